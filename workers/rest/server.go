package rest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/runnel-dev/runnel/workers"
)

// DefaultRequestTimeout bounds every herder call, as Kafka's
// RestServer.DEFAULT_REST_REQUEST_TIMEOUT_MS.
const DefaultRequestTimeout = 90 * time.Second

// Options configures a Server.
type Options struct {
	// Listeners are host:port addresses to serve on (":0" picks a port).
	Listeners []string
	// AdminListeners serve /admin/*: nil means the regular listeners, an
	// empty non-nil slice disables the admin endpoints.
	AdminListeners []string
	// TopicTracking and TopicTrackingReset gate the /topics endpoints.
	TopicTracking      bool
	TopicTrackingReset bool
	// RequestTimeout defaults to DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Loggers backs /admin/loggers; nil disables it.
	Loggers *workers.Loggers
	Logger  *slog.Logger
}

// Server is the REST server of one worker.
type Server struct {
	herder workers.Herder
	opts   Options
	log    *slog.Logger

	mu      sync.Mutex
	servers []*http.Server
	addrs   []string
	wg      sync.WaitGroup
}

// New builds a server; call Start to listen.
func New(h workers.Herder, opts Options) *Server {
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{herder: h, opts: opts, log: opts.Logger}
}

// Start binds every listener and serves in background goroutines that end
// on Close.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	type bind struct {
		addr  string
		admin bool
		main  bool
	}
	var binds []bind
	adminSeparate := s.opts.AdminListeners != nil
	for _, a := range s.opts.Listeners {
		binds = append(binds, bind{addr: a, main: true, admin: !adminSeparate})
	}
	for _, a := range s.opts.AdminListeners {
		binds = append(binds, bind{addr: a, admin: true})
	}
	for _, b := range binds {
		ln, err := net.Listen("tcp", b.addr)
		if err != nil {
			s.closeLocked(context.Background())
			return fmt.Errorf("REST listener %s: %w", b.addr, err)
		}
		srv := &http.Server{Handler: s.handler(b.main, b.admin), ReadHeaderTimeout: 30 * time.Second}
		s.servers = append(s.servers, srv)
		if b.main {
			s.addrs = append(s.addrs, ln.Addr().String())
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("REST server stopped", "addr", ln.Addr().String(), "err", err)
			}
		}()
	}
	return nil
}

// Addrs returns the bound addresses of the regular listeners.
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.addrs...)
}

// Close shuts the listeners down, waiting for in-flight requests until ctx
// is done.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeLocked(ctx)
}

func (s *Server) closeLocked(ctx context.Context) error {
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
			errs = append(errs, err)
		}
	}
	s.servers = nil
	s.wg.Wait()
	return errors.Join(errs...)
}

// Handler returns the full API (regular and admin endpoints) as one
// handler, for embedding and tests.
func (s *Server) Handler() http.Handler { return s.handler(true, true) }
