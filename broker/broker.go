package broker

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is a running bundled broker.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	listen  string
	lock    *dirLock
	log     *slog.Logger

	closeOnce sync.Once
}

// Start starts a single broker and returns once it accepts connections.
// The context bounds start-up only (loading a large data directory); stop
// the broker with Close.
func Start(ctx context.Context, cfg Config) (*Broker, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("broker: start: %w", err)
	}

	var lock *dirLock
	if cfg.DataDir != "" {
		l, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		lock = l
	}

	raw, err := net.Listen("tcp", cfg.listenAddr())
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("broker: listen on %s: %w", cfg.listenAddr(), err)
	}
	adv, err := advertisedAddr(raw.Addr(), cfg.Advertise)
	if err != nil {
		raw.Close()
		lock.release()
		return nil, err
	}
	var inner net.Listener = raw
	if cfg.TLS != nil {
		// TLS is terminated here rather than by kfake so that the frame
		// cap below sees Kafka frames, not TLS records.
		inner = tls.NewListener(raw, cfg.TLS)
	}
	ln := &brokerListener{Listener: inner, advertised: adv, maxFrame: cfg.maxRequestBytes(), log: log}

	parts := cfg.DefaultPartitions
	if parts == 0 {
		parts = 1
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(0),
		kfake.ListenFn(func(string, string) (net.Listener, error) { return ln, nil }),
		kfake.DefaultNumPartitions(parts),
		kfake.WithLogger(slogAdapter{log}),
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	if cfg.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	if len(cfg.BrokerConfigs) > 0 {
		opts = append(opts, kfake.BrokerConfigs(cfg.BrokerConfigs))
	}
	if cfg.ClusterID != "" {
		opts = append(opts, kfake.ClusterID(cfg.ClusterID))
	}
	if len(cfg.SASLUsers) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for _, u := range cfg.SASLUsers {
			opts = append(opts, kfake.Superuser(strings.ToUpper(u.Mechanism), u.User, u.Password))
		}
	}

	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		raw.Close()
		lock.release()
		return nil, fmt.Errorf("broker: starting: %w", err)
	}
	if cfg.AutoCreateTopics {
		installAutoCreate(cluster, log)
	}
	b := &Broker{cluster: cluster, addr: adv.String(), listen: raw.Addr().String(), lock: lock, log: log}
	log.Info("broker started", "listen", raw.Addr().String(), "advertised", b.addr,
		"data_dir", cfg.DataDir, "persistent", cfg.DataDir != "")
	return b, nil
}

// Addr is the advertised host:port clients bootstrap from.
func (b *Broker) Addr() string { return b.addr }

// ListenAddr is the address the broker actually listens on, which differs
// from Addr when an advertised address is configured.
func (b *Broker) ListenAddr() string { return b.listen }

// Port is the advertised port.
func (b *Broker) Port() int {
	_, p, _ := net.SplitHostPort(b.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Close stops the broker, writes its state to the data directory and
// releases the directory lock. It is safe to call more than once.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.cluster.Close()
		b.lock.release()
		b.log.Info("broker stopped", "advertised", b.addr)
	})
	return nil
}

// slogAdapter forwards kfake's warnings and errors to slog; kfake's info
// level logs every request, which is debug noise for Runnel users.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Logf(level kfake.LogLevel, msg string, args ...any) {
	var lv slog.Level
	switch level {
	case kfake.LogLevelError:
		lv = slog.LevelError
	case kfake.LogLevelWarn:
		lv = slog.LevelWarn
	default:
		lv = slog.LevelDebug
	}
	if !a.l.Enabled(context.Background(), lv) {
		return
	}
	a.l.Log(context.Background(), lv, fmt.Sprintf(msg, args...), "component", "kfake")
}
