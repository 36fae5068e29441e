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
	// AllowOrigin and AllowMethods configure CORS, as Kafka's
	// access.control.allow.origin and access.control.allow.methods.
	AllowOrigin, AllowMethods string
	// ResponseHeaders are added to every response
	// (response.http.headers.config).
	ResponseHeaders []HeaderDirective
	// Loggers backs /admin/loggers; nil disables it.
	Loggers *workers.Loggers
	Logger  *slog.Logger
}

// Server is the REST server of one worker. Listen binds the listeners
// (so the worker can learn its advertised port), Serve starts answering.
type Server struct {
	herder workers.Herder
	opts   Options
	log    *slog.Logger

	mu      sync.Mutex
	binds   []bind
	servers []*http.Server
	addrs   []string
	admin   []string
	wg      sync.WaitGroup
}

type bind struct {
	ln          net.Listener
	main, admin bool
}

// New builds a server; call Listen, then Serve.
func New(opts Options) *Server {
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: opts, log: opts.Logger}
}

// Listen binds every listener.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	adminSeparate := s.opts.AdminListeners != nil
	add := func(addr string, main, admin bool) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("REST listener %s: %w", addr, err)
		}
		s.binds = append(s.binds, bind{ln: ln, main: main, admin: admin})
		if main {
			s.addrs = append(s.addrs, ln.Addr().String())
		} else {
			s.admin = append(s.admin, ln.Addr().String())
		}
		return nil
	}
	for _, a := range s.opts.Listeners {
		if err := add(a, true, !adminSeparate); err != nil {
			s.closeLocked(context.Background())
			return err
		}
	}
	for _, a := range s.opts.AdminListeners {
		if err := add(a, false, true); err != nil {
			s.closeLocked(context.Background())
			return err
		}
	}
	return nil
}

// Serve answers requests on the bound listeners with h, in goroutines that
// end on Close.
func (s *Server) Serve(h workers.Herder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.herder = h
	for _, b := range s.binds {
		srv := &http.Server{Handler: s.withHeaders(s.handler(b.main, b.admin)), ReadHeaderTimeout: 30 * time.Second}
		s.servers = append(s.servers, srv)
		ln := b.ln
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("REST server stopped", "addr", ln.Addr().String(), "err", err)
			}
		}()
	}
	s.binds = nil
}

// Addrs returns the bound addresses of the regular listeners.
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.addrs...)
}

// AdminAddrs returns the bound addresses of separate admin listeners.
func (s *Server) AdminAddrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.admin...)
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
	for _, b := range s.binds {
		_ = b.ln.Close()
	}
	s.binds = nil
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

// Handler returns the full API (regular and admin endpoints) over h as one
// handler, for embedding and tests.
func (s *Server) Handler(h workers.Herder) http.Handler {
	s.mu.Lock()
	s.herder = h
	s.mu.Unlock()
	return s.handler(true, true)
}
