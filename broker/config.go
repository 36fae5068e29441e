package broker

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
)

// DefaultMaxRequestBytes is the largest request frame the broker accepts
// unless Config.MaxRequestBytes says otherwise (Kafka's
// socket.request.max.bytes default is the same 100 MiB).
const DefaultMaxRequestBytes = 100 << 20

// Config configures a bundled broker. The zero value is an in-memory broker
// on a free loopback port with auto topic creation off.
type Config struct {
	// DataDir holds the broker's logs and metadata. Empty means in-memory:
	// everything is lost on Close.
	DataDir string
	// Listen is the host:port to listen on; empty means 127.0.0.1:0
	// (a free loopback port).
	Listen string
	// Advertise is the host:port clients are told to connect to. Empty
	// means the listener's own address (localhost when it listens on all
	// interfaces).
	Advertise string
	// DefaultPartitions is the partition count of auto-created topics and
	// of topics created without one; 0 means 1, as Kafka's num.partitions.
	DefaultPartitions int
	// AutoCreateTopics creates unknown topics on produce and metadata
	// requests, as Kafka's auto.create.topics.enable.
	AutoCreateTopics bool
	// SyncWrites fsyncs every produced batch before acknowledging it.
	// Off, writes reach the OS page cache and are fsynced on segment roll
	// and shutdown, matching Kafka's default flush policy.
	SyncWrites bool
	// BrokerConfigs are passed through as broker-level configs (for
	// example log.retention.ms, log.cleanup.policy, message.max.bytes).
	BrokerConfigs map[string]string
	// MaxRequestBytes caps a request frame; a client that sends a larger
	// one has its connection closed. 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int
	// TLS, when set, serves TLS on the listener.
	TLS *tls.Config
	// SASLUsers, when non-empty, require SASL authentication. Each user
	// is a superuser (the bundled broker does not enforce ACLs).
	SASLUsers []SASLUser
	// ClusterID overrides the generated cluster id.
	ClusterID string
	// Logger receives lifecycle lines and broker warnings; nil discards them.
	Logger *slog.Logger
}

// SASLUser is one SASL credential the broker accepts.
type SASLUser struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string
	User      string
	Password  string
}

func (c Config) validate() error {
	if c.DefaultPartitions < 0 {
		return fmt.Errorf("broker: DefaultPartitions must be >= 0, got %d", c.DefaultPartitions)
	}
	if c.MaxRequestBytes < 0 {
		return fmt.Errorf("broker: MaxRequestBytes must be >= 0, got %d", c.MaxRequestBytes)
	}
	for _, u := range c.SASLUsers {
		switch strings.ToUpper(u.Mechanism) {
		case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		default:
			return fmt.Errorf("broker: SASL user %q: mechanism %q is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512", u.User, u.Mechanism)
		}
		if u.User == "" {
			return fmt.Errorf("broker: SASL user with mechanism %s has an empty name", u.Mechanism)
		}
	}
	return nil
}

func (c Config) listenAddr() string {
	if c.Listen == "" {
		return "127.0.0.1:0"
	}
	return c.Listen
}

func (c Config) maxRequestBytes() int {
	if c.MaxRequestBytes == 0 {
		return DefaultMaxRequestBytes
	}
	return c.MaxRequestBytes
}
