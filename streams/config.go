package streams

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/state"
)

// ProcessingGuarantee is Kafka Streams' processing.guarantee.
type ProcessingGuarantee string

const (
	// AtLeastOnce commits consumed offsets only after the records they
	// produced are acknowledged and the stores are flushed.
	AtLeastOnce ProcessingGuarantee = "at_least_once"
	// ExactlyOnceV2 is Kafka's transactional mode (KIP-447). It is
	// recognised so that configurations written for Kafka Streams give a
	// clear error; the runtime does not run it yet.
	ExactlyOnceV2 ProcessingGuarantee = "exactly_once_v2"
)

// Defaults of Kafka Streams (StreamsConfig) that the runtime applies when a
// Config field is left at its zero value.
const (
	DefaultCommitInterval        = 30 * time.Second
	DefaultCommitIntervalEOS     = 100 * time.Millisecond
	DefaultStateStoreCacheBytes  = 10 << 20
	DefaultStateCleanupDelay     = 10 * time.Minute
	DefaultPollInterval          = 100 * time.Millisecond
	DefaultMaxPollRecords        = 1000
	DefaultRepartitionSegmentLen = 52428800 // segment.bytes of repartition topics (50 MiB)
)

// Config configures an App. Field comments name the Kafka Streams property
// each field corresponds to; LoadConfig reads a .properties file with those
// names. Zero values mean the Kafka Streams default.
type Config struct {
	// ApplicationID (application.id) names the consumer group, the
	// prefix of internal topics and the state directory. Required.
	ApplicationID string
	// BootstrapServers (bootstrap.servers) are host:port pairs. Required.
	BootstrapServers []string
	// ClientID (client.id) prefixes the clients' ids; default
	// "<application.id>-<process id>".
	ClientID string
	// NumStreamThreads (num.stream.threads) is how many goroutines
	// process tasks; default 1.
	NumStreamThreads int
	// ProcessingGuarantee (processing.guarantee); default at_least_once.
	ProcessingGuarantee ProcessingGuarantee
	// CommitInterval (commit.interval.ms) is how often tasks flush and
	// commit; default 30 s (100 ms under exactly_once_v2).
	CommitInterval time.Duration
	// PollInterval (poll.ms) bounds how long a poll blocks waiting for
	// records; default 100 ms.
	PollInterval time.Duration
	// MaxPollRecords (max.poll.records), default 1000 (Kafka Streams'
	// override), sizes the fetched-but-unprocessed backlog: at most 16 x
	// MaxPollRecords records per stream thread. A poll takes whatever room
	// the backlog has, and at least MaxPollRecords.
	MaxPollRecords int
	// MaxTaskIdle (max.task.idle.ms) is how long a task reading several
	// partitions waits for a partition that is known to have more data
	// before processing the others out of timestamp order; 0 (the
	// default) waits only for data already being fetched, up to poll.ms;
	// negative (Kafka's -1) never waits.
	MaxTaskIdle time.Duration
	// AutoOffsetReset (auto.offset.reset) is where a partition without a
	// committed offset starts: "earliest" (default) or "latest".
	AutoOffsetReset string
	// StateDir (state.dir) holds task state; default
	// "<os temp dir>/runnel-streams".
	StateDir string
	// StateCleanupDelay (state.cleanup.delay.ms) is how long the
	// directory of a task this instance no longer owns is kept; default 10 min.
	StateCleanupDelay time.Duration
	// StateStoreCacheMaxBytes (statestore.cache.max.bytes) is the record
	// cache budget of the whole instance, shared by its caching stores;
	// default 10 MiB. Negative means 0 (no caching).
	StateStoreCacheMaxBytes int64
	// StateMemoryBytes (runnel.state.memory.bytes) bounds the memory of
	// all persistent stores of the instance together (Pebble block cache,
	// memtables and uncommitted write batches); default 64 MiB.
	StateMemoryBytes int64
	// RestoreListener, when set, is told about every state restoration
	// (Kafka's global state restore listener).
	RestoreListener state.RestoreListener
	// DefaultKeySerde and DefaultValueSerde (default.key.serde,
	// default.value.serde) name the serdes used where the topology did
	// not set one.
	DefaultKeySerde   string
	DefaultValueSerde string
	// DeserializationExceptionHandler (deserialization.exception.handler,
	// formerly default.deserialization.exception.handler) decides what
	// happens to a record that cannot be deserialized; default
	// LogAndFail, as Kafka.
	DeserializationExceptionHandler DeserializationExceptionHandler
	// ProductionExceptionHandler (production.exception.handler, formerly
	// default.production.exception.handler) decides what happens when a
	// record cannot be produced; default fail.
	ProductionExceptionHandler ProductionExceptionHandler
	// DeadLetterQueueTopic (errors.deadletterqueue.topic.name, KIP-1034):
	// when set, the built-in handlers write the raw failing record there
	// with __streams.errors.* headers before continuing or failing.
	DeadLetterQueueTopic string
	// ReplicationFactor (replication.factor) of internal topics; default
	// -1, the broker's default.
	ReplicationFactor int
	// NumStandbyReplicas (num.standby.replicas) must be 0: standby tasks
	// are not implemented.
	NumStandbyReplicas int
	// TopicConfigs are the "topic."-prefixed properties, applied to every
	// internal topic the application creates (without the prefix).
	TopicConfigs map[string]string
	// Logger receives lifecycle lines and errors; default slog.Default().
	Logger *slog.Logger
	// ClientOpts are extra franz-go options for every client the app
	// creates (TLS, SASL, ...). They are applied after Runnel's own.
	// Output, repartition and changelog records are written by the stream
	// threads' own batch producer (uncompressed, acks=all), so kgo's
	// producer options have no effect on them.
	ClientOpts []kgo.Opt
}

var applicationIDPattern = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// withDefaults returns cfg with every zero field set to its default and
// validates the result.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.ApplicationID == "" {
		return cfg, fmt.Errorf("application.id is required")
	}
	if !applicationIDPattern.MatchString(cfg.ApplicationID) {
		return cfg, fmt.Errorf("application.id %q: only ASCII letters, digits, '.', '_' and '-' are allowed", cfg.ApplicationID)
	}
	servers := cfg.BootstrapServers[:0:0]
	for _, s := range cfg.BootstrapServers {
		if s = strings.TrimSpace(s); s != "" {
			servers = append(servers, s)
		}
	}
	if len(servers) == 0 {
		return cfg, fmt.Errorf("bootstrap.servers is required")
	}
	cfg.BootstrapServers = servers
	if cfg.ClientID == "" {
		cfg.ClientID = fmt.Sprintf("%s-%d", cfg.ApplicationID, os.Getpid())
	}
	switch {
	case cfg.NumStreamThreads == 0:
		cfg.NumStreamThreads = 1
	case cfg.NumStreamThreads < 0:
		return cfg, fmt.Errorf("num.stream.threads must be at least 1, got %d", cfg.NumStreamThreads)
	}
	switch cfg.ProcessingGuarantee {
	case "":
		cfg.ProcessingGuarantee = AtLeastOnce
	case AtLeastOnce:
	case ExactlyOnceV2:
		return cfg, fmt.Errorf("processing.guarantee %q is not supported yet; use %q", cfg.ProcessingGuarantee, AtLeastOnce)
	default:
		return cfg, fmt.Errorf("processing.guarantee %q: expected %q or %q", cfg.ProcessingGuarantee, AtLeastOnce, ExactlyOnceV2)
	}
	switch {
	case cfg.CommitInterval == 0 && cfg.ProcessingGuarantee == ExactlyOnceV2:
		cfg.CommitInterval = DefaultCommitIntervalEOS
	case cfg.CommitInterval == 0:
		cfg.CommitInterval = DefaultCommitInterval
	case cfg.CommitInterval < 0:
		return cfg, fmt.Errorf("commit.interval.ms must not be negative, got %v", cfg.CommitInterval)
	}
	switch {
	case cfg.PollInterval == 0:
		cfg.PollInterval = DefaultPollInterval
	case cfg.PollInterval < 0:
		return cfg, fmt.Errorf("poll.ms must not be negative, got %v", cfg.PollInterval)
	}
	switch {
	case cfg.MaxPollRecords == 0:
		cfg.MaxPollRecords = DefaultMaxPollRecords
	case cfg.MaxPollRecords < 0:
		return cfg, fmt.Errorf("max.poll.records must be at least 1, got %d", cfg.MaxPollRecords)
	}
	switch cfg.AutoOffsetReset {
	case "":
		cfg.AutoOffsetReset = "earliest"
	case "earliest", "latest":
	default:
		return cfg, fmt.Errorf("auto.offset.reset %q: expected \"earliest\" or \"latest\"", cfg.AutoOffsetReset)
	}
	if cfg.StateDir == "" {
		cfg.StateDir = filepath.Join(os.TempDir(), "runnel-streams")
	}
	switch {
	case cfg.StateCleanupDelay == 0:
		cfg.StateCleanupDelay = DefaultStateCleanupDelay
	case cfg.StateCleanupDelay < 0:
		return cfg, fmt.Errorf("state.cleanup.delay.ms must not be negative, got %v", cfg.StateCleanupDelay)
	}
	// Negative stays negative ("no caching") so that applying the
	// defaults twice (New, then newApp) cannot turn caching back on.
	if cfg.StateStoreCacheMaxBytes == 0 {
		cfg.StateStoreCacheMaxBytes = DefaultStateStoreCacheBytes
	}
	if cfg.StateMemoryBytes < 0 {
		return cfg, fmt.Errorf("%s must not be negative, got %d", state.MemoryBytesConfig, cfg.StateMemoryBytes)
	}
	if cfg.StateMemoryBytes == 0 {
		cfg.StateMemoryBytes = state.DefaultMemoryBytes
	}
	if cfg.DeserializationExceptionHandler == nil {
		cfg.DeserializationExceptionHandler = LogAndFail
	}
	if cfg.ProductionExceptionHandler == nil {
		cfg.ProductionExceptionHandler = FailOnProductionError
	}
	switch {
	case cfg.ReplicationFactor == 0:
		cfg.ReplicationFactor = -1
	case cfg.ReplicationFactor < -1:
		return cfg, fmt.Errorf("replication.factor must be -1 (broker default) or at least 1, got %d", cfg.ReplicationFactor)
	}
	if cfg.NumStandbyReplicas != 0 {
		return cfg, fmt.Errorf("num.standby.replicas=%d: standby replicas are not supported yet; use 0", cfg.NumStandbyReplicas)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg, nil
}
