package cli

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/runnel-dev/runnel/broker"
)

const (
	defaultDataDir = "./runnel-data"
	defaultListen  = "localhost:9092"
)

type brokerOptions struct {
	dataDir         string
	inMemory        bool
	listen          string
	advertise       string
	partitions      int
	autoCreate      bool
	syncWrites      bool
	maxRequestBytes int
	configFile      string
	overrides       []string
	logLevel        string
}

func newBrokerCommand() *cobra.Command { return newBrokerCommandFor(&brokerOptions{}) }

func newBrokerCommandFor(o *brokerOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "broker [flags]",
		Short: "Run the bundled Kafka-compatible broker (like kafka-server-start.sh)",
		Long: `Run Runnel's bundled single-node Kafka-compatible broker until SIGINT or
SIGTERM, then shut down cleanly, writing its state to the data directory.

Settings come from, in increasing precedence: built-in defaults, the
--config properties file (Kafka's config/broker.properties format),
--override key=value, then the other flags. From the properties file,
log.dirs, listeners, advertised.listeners, num.partitions,
auto.create.topics.enable, socket.request.max.bytes and
log.flush.interval.messages=1 map onto the flags; every other key is
passed to the broker as a broker config (log.retention.ms,
log.cleanup.policy, message.max.bytes, ...).

On start it prints one line: "runnel broker listening on HOST:PORT ...".`,
		Example: `  runnel broker
  runnel broker --data-dir /var/lib/runnel --listen 0.0.0.0:9092 --advertise kafka.local:9092
  runnel broker --config config/broker.properties --override log.retention.ms=3600000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.dataDir, "data-dir", defaultDataDir, "`DIR` for the broker's logs and metadata (Kafka's log.dirs)")
	fs.BoolVar(&o.inMemory, "in-memory", false, "Keep everything in memory; nothing survives a restart")
	fs.StringVar(&o.listen, "listen", defaultListen, "`HOST:PORT` to listen on (port 0 picks a free port)")
	fs.StringVar(&o.advertise, "advertise", "", "`HOST:PORT` clients are told to connect to (default: the listen address)")
	fs.IntVar(&o.partitions, "partitions", 1, "Partition count for auto-created topics and topics created without one (num.partitions)")
	fs.BoolVar(&o.autoCreate, "auto-create", true, "Create unknown topics on first use (auto.create.topics.enable)")
	fs.BoolVar(&o.syncWrites, "sync-writes", false, "fsync every produced batch before acknowledging it (log.flush.interval.messages=1)")
	fs.IntVar(&o.maxRequestBytes, "max-request-bytes", broker.DefaultMaxRequestBytes, "Largest request a client may send (socket.request.max.bytes)")
	fs.StringVar(&o.configFile, "config", "", "Kafka broker properties `FILE` (config/broker.properties format)")
	fs.StringArrayVar(&o.overrides, "override", nil, "Broker property `key=value` that overrides the --config file; repeat for several")
	fs.StringVar(&o.logLevel, "log-level", "warn", "Log level on stderr: debug, info, warn or error")
	return cmd
}

// config resolves the broker configuration from defaults, the properties
// file, --override and flags.
func (o *brokerOptions) config(cmd *cobra.Command) (broker.Config, error) {
	cfg := broker.Config{
		DataDir:           defaultDataDir,
		Listen:            defaultListen,
		DefaultPartitions: 1,
		AutoCreateTopics:  true,
	}
	var fileProps []property
	if o.configFile != "" {
		ps, err := readBrokerProperties(o.configFile)
		if err != nil {
			return cfg, err
		}
		fileProps = ps
	}
	overrides, err := parseKeyValueFlags("override", o.overrides)
	if err != nil {
		return cfg, usageErrorf(cmd, "%v", err)
	}
	if err := applyBrokerProperties(newPropertyMap(fileProps, overrides), &cfg); err != nil {
		return cfg, err
	}

	changed := cmd.Flags().Changed
	if changed("data-dir") {
		cfg.DataDir = o.dataDir
	}
	if changed("listen") {
		cfg.Listen = o.listen
		// The file's advertised address describes the file's listener,
		// not this one.
		cfg.Advertise = ""
	}
	if changed("advertise") {
		cfg.Advertise = o.advertise
	}
	if changed("partitions") {
		if o.partitions < 1 {
			return cfg, usageErrorf(cmd, "--partitions: expected a number >= 1, got %d", o.partitions)
		}
		cfg.DefaultPartitions = o.partitions
	}
	if changed("auto-create") {
		cfg.AutoCreateTopics = o.autoCreate
	}
	if changed("sync-writes") {
		cfg.SyncWrites = o.syncWrites
	}
	if changed("max-request-bytes") {
		if o.maxRequestBytes < 1 {
			return cfg, usageErrorf(cmd, "--max-request-bytes: expected a number >= 1, got %d", o.maxRequestBytes)
		}
		cfg.MaxRequestBytes = o.maxRequestBytes
	}
	if o.inMemory {
		if changed("data-dir") {
			return cfg, usageErrorf(cmd, "--in-memory and --data-dir cannot be used together")
		}
		cfg.DataDir = ""
	} else if strings.TrimSpace(cfg.DataDir) == "" {
		return cfg, usageErrorf(cmd, "--data-dir: expected a directory (use --in-memory for a broker without one)")
	}
	return cfg, nil
}

func (o *brokerOptions) run(cmd *cobra.Command) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usageErrorf(cmd, "--log-level: expected debug, info, warn or error, got %q", o.logLevel)
	}
	cfg, err := o.config(cmd)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))

	ctx := cmd.Context()
	b, err := broker.Start(ctx, cfg)
	if err != nil {
		return err
	}
	where := "in memory"
	if cfg.DataDir != "" {
		where = "data dir " + cfg.DataDir
	}
	fmt.Fprintf(cmd.OutOrStdout(), "runnel broker listening on %s (%s)\n", b.Addr(), where)

	// Run until main's signal context ends; Close writes the broker's
	// state, which a persistent broker needs to restart where it was.
	<-ctx.Done()
	if err := b.Close(); err != nil {
		return fmt.Errorf("stopping broker: %w", err)
	}
	return nil
}
