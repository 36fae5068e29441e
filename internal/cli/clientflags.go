package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// clientFlags are the connection flags every Kafka tool shares.
type clientFlags struct {
	bootstrap     string
	commandConfig string
	commandProps  []string
}

func (f *clientFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.bootstrap, "bootstrap-server", defaultBootstrap, "Kafka broker(s) to connect to, as host:port[,host:port...]")
	fs.StringVar(&f.commandConfig, "command-config", "", "A Kafka client properties `FILE` (client.id, security.protocol, sasl.*, ssl.* ...)")
}

// kvFlag is a repeated key=value flag and its values.
type kvFlag struct {
	name   string
	values []string
}

// properties loads the client properties: the --command-config file, then
// the other files, then key=value flags in order, later ones winning.
func (f *clientFlags) properties(files []string, flags ...kvFlag) (*propertyMap, error) {
	var lists [][]property
	for _, path := range append([]string{f.commandConfig}, files...) {
		if path == "" {
			continue
		}
		ps, err := readPropertiesFile(path)
		if err != nil {
			return nil, err
		}
		lists = append(lists, ps)
	}
	for _, fl := range flags {
		ps, err := parseKeyValueFlags(fl.name, fl.values)
		if err != nil {
			return nil, err
		}
		lists = append(lists, ps)
	}
	return newPropertyMap(lists...), nil
}

// seeds returns the bootstrap servers: the flag when given, else
// bootstrap.servers from the properties, else the default.
func (f *clientFlags) seeds(cmd *cobra.Command, props *propertyMap, flagNames ...string) ([]string, error) {
	v, src, fromProps := props.take("bootstrap.servers")
	for _, n := range append([]string{"bootstrap-server"}, flagNames...) {
		if fl := cmd.Flags().Lookup(n); fl != nil && fl.Changed {
			return parseBootstrap(cmd, n, fl.Value.String())
		}
	}
	if fromProps {
		seeds, err := parseBootstrap(cmd, "bootstrap-server", v)
		if err != nil {
			return nil, fmt.Errorf("%s: bootstrap.servers: %w", src, err)
		}
		return seeds, nil
	}
	return parseBootstrap(cmd, "bootstrap-server", f.bootstrap)
}

// adminSession is an admin client bounded by the command's --timeout.
type adminSession struct {
	cl  *kafkaClient
	adm *kadm.Client
	ctx context.Context

	cancel context.CancelFunc
}

func openAdmin(cmd *cobra.Command, cf *clientFlags, timeout time.Duration) (*adminSession, error) {
	props, err := cf.properties(nil)
	if err != nil {
		return nil, err
	}
	seeds, err := cf.seeds(cmd, props)
	if err != nil {
		return nil, err
	}
	opts, err := applyClientProps("admin", props)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.RetryTimeout(timeout))
	cl, err := newKafkaClient(seeds, opts...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	adm := kadm.NewClient(cl.Client)
	adm.SetTimeoutMillis(int32(min(timeout.Milliseconds(), 1<<31-1)))
	return &adminSession{cl: cl, adm: adm, ctx: ctx, cancel: cancel}, nil
}

func (s *adminSession) Close() {
	s.cancel()
	s.cl.Close()
}

// fail wraps an admin error with what was being done and, for connection
// trouble, where we tried to connect.
func (s *adminSession) fail(what string, err error) error {
	return fmt.Errorf("%s: %w", what, s.cl.explain(err))
}

// timeoutFlag registers --timeout in milliseconds, as Kafka's admin tools.
func timeoutFlag(fs *pflag.FlagSet, p *int64) {
	fs.Int64Var(p, "timeout", 30000, "How long to wait for the cluster, in `ms`, before giving up")
}

func timeoutFrom(cmd *cobra.Command, ms int64) (time.Duration, error) {
	if ms <= 0 {
		return 0, usageErrorf(cmd, "--timeout: expected a positive number of milliseconds, got %d", ms)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
