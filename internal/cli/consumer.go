package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

type consumerOptions struct {
	client          clientFlags
	topic           string
	include         string
	partition       int32
	offset          string
	fromBeginning   bool
	group           string
	maxMessages     int
	timeoutMs       int64
	formatterProps  []string
	formatterConfig string
	consumerProps   []string
	consumerConfig  string
	isolationLevel  string
	keyDeser        string
	valueDeser      string
	skipOnError     bool
}

func newConsoleConsumerCommand() *cobra.Command {
	o := &consumerOptions{}
	cmd := &cobra.Command{
		Use:   "console-consumer (--topic TOPIC|--include REGEX) [flags]",
		Short: "Print records of a topic to standard output (like kafka-console-consumer.sh)",
		Long: `Consume records and print them to standard output, like Kafka's
kafka-console-consumer.sh. At exit it prints "Processed a total of N
messages" to standard error.

With --group the consumer joins that consumer group and commits the offsets
of the records it printed. Without --group it reads the partitions
directly and commits nothing; with --partition it reads one partition from
--offset.

Formatter properties (--property, also spelled --formatter-property):
  print.timestamp, print.key, print.value, print.partition, print.offset,
  print.headers (true|false), key.separator (default tab), line.separator,
  headers.separator, null.literal, key.deserializer, value.deserializer,
  headers.deserializer (Kafka's String/ByteArray/Long/Integer/Short/Double/Float
  deserializers).`,
		Example: `  runnel console-consumer --topic orders --from-beginning
  runnel console-consumer --topic orders --group billing --property print.key=true --property key.separator=:
  runnel console-consumer --topic orders --partition 0 --offset 42 --max-messages 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	fs := cmd.Flags()
	o.client.register(fs)
	fs.StringVar(&o.topic, "topic", "", "The `topic` to consume")
	fs.StringVar(&o.include, "include", "", "A regular expression of topics to consume instead of --topic")
	fs.Int32Var(&o.partition, "partition", -1, "Consume only this `partition` (needs --topic); -1 means all partitions")
	fs.StringVar(&o.offset, "offset", "", "With --partition: where to start, earliest, latest or an offset (default latest)")
	fs.BoolVar(&o.fromBeginning, "from-beginning", false, "Start at the earliest record when there is no committed offset")
	fs.StringVar(&o.group, "group", "", "The consumer `group` to join; its committed offsets are used and updated")
	fs.IntVar(&o.maxMessages, "max-messages", -1, "Exit after printing this many records; -1 means no limit")
	fs.Int64Var(&o.timeoutMs, "timeout-ms", -1, "Exit after this many `ms` without a record; -1 waits forever")
	fs.StringArrayVar(&o.formatterProps, "property", nil, "A formatter property `key=value` (see above); repeat for several")
	fs.StringArrayVar(&o.formatterProps, "formatter-property", nil, "Same as --property (`key=value`)")
	fs.StringVar(&o.formatterConfig, "formatter-config", "", "A formatter properties `FILE`")
	fs.StringArrayVar(&o.consumerProps, "consumer-property", nil, "A Kafka consumer property `key=value` (group.id, auto.offset.reset, isolation.level ...); repeat for several")
	fs.StringArrayVar(&o.consumerProps, "command-property", nil, "Same as --consumer-property (`key=value`)")
	fs.StringVar(&o.consumerConfig, "consumer.config", "", "A Kafka consumer properties `FILE`")
	fs.StringVar(&o.isolationLevel, "isolation-level", "read_uncommitted", "read_committed to skip aborted transactional records, or read_uncommitted")
	fs.StringVar(&o.keyDeser, "key-deserializer", "", "Kafka deserializer class for keys (e.g. LongDeserializer)")
	fs.StringVar(&o.valueDeser, "value-deserializer", "", "Kafka deserializer class for values")
	fs.BoolVar(&o.skipOnError, "skip-message-on-error", false, "Skip a record that cannot be formatted instead of stopping")
	return cmd
}

// consumerPlan is what the flags and properties resolve to.
type consumerPlan struct {
	group      string
	commit     bool
	opts       []kgo.Opt
	formatter  *messageFormatter
	maxRecords int
	idle       time.Duration // with hasIdle: exit after this long without a record
	hasIdle    bool
}

func (o *consumerOptions) plan(cmd *cobra.Command) (*consumerPlan, []string, error) {
	if (o.topic == "") == (o.include == "") {
		return nil, nil, usageErrorf(cmd, "exactly one of --topic or --include is required")
	}
	changed := cmd.Flags().Changed
	if changed("partition") {
		if o.topic == "" {
			return nil, nil, usageErrorf(cmd, "--partition needs --topic")
		}
		if o.partition < 0 {
			return nil, nil, usageErrorf(cmd, "--partition: expected a partition number >= 0, got %d", o.partition)
		}
		if o.fromBeginning && changed("offset") {
			return nil, nil, usageErrorf(cmd, "--from-beginning and --offset cannot be used together")
		}
	} else if changed("offset") {
		return nil, nil, usageErrorf(cmd, "--offset needs --partition")
	}
	if changed("max-messages") && o.maxMessages < 1 {
		return nil, nil, usageErrorf(cmd, "--max-messages: expected a number >= 1, got %d", o.maxMessages)
	}
	if changed("timeout-ms") && o.timeoutMs < 0 {
		return nil, nil, usageErrorf(cmd, "--timeout-ms: expected a number >= 0, got %d", o.timeoutMs)
	}

	// Formatter.
	fprops := []string{}
	if o.keyDeser != "" {
		fprops = append(fprops, "key.deserializer="+o.keyDeser)
	}
	if o.valueDeser != "" {
		fprops = append(fprops, "value.deserializer="+o.valueDeser)
	}
	fpm, err := (&clientFlags{}).properties([]string{o.formatterConfig}, kvFlag{"property", o.formatterProps}, kvFlag{"deserializer flags", fprops})
	if err != nil {
		return nil, nil, usageErrorf(cmd, "%v", err)
	}
	formatter, err := newMessageFormatter(fpm)
	if err != nil {
		return nil, nil, usageErrorf(cmd, "%v", err)
	}

	// Consumer properties.
	var flagged []string
	if changed("isolation-level") {
		flagged = append(flagged, "isolation.level="+o.isolationLevel)
	}
	props, err := o.client.properties([]string{o.consumerConfig},
		kvFlag{"defaults", []string{"allow.auto.create.topics=true"}},
		kvFlag{"consumer-property", o.consumerProps}, kvFlag{"isolation-level", flagged})
	if err != nil {
		return nil, nil, usageErrorf(cmd, "%v", err)
	}
	seeds, err := o.client.seeds(cmd, props)
	if err != nil {
		return nil, nil, err
	}
	p := &consumerPlan{formatter: formatter, maxRecords: o.maxMessages}
	if o.timeoutMs >= 0 {
		p.idle, p.hasIdle = time.Duration(o.timeoutMs)*time.Millisecond, true
	}

	p.group = o.group
	if v, src, ok := props.take("group.id"); ok {
		if p.group != "" && v != p.group {
			return nil, nil, usageErrorf(cmd, "the group ids given by --group (%q) and %s group.id (%q) do not match", p.group, src, v)
		}
		p.group = v
	}
	if p.group != "" && changed("partition") {
		return nil, nil, usageErrorf(cmd, "--group and --partition cannot be used together")
	}
	p.commit = p.group != ""
	if v, src, ok := props.take("enable.auto.commit"); ok {
		b, valid := parseBoolProperty(v)
		if !valid {
			return nil, nil, usageErrorf(cmd, "%s: enable.auto.commit: expected true or false, got %q", src, v)
		}
		p.commit = p.commit && b
	}

	reset := kgo.NewOffset().AtEnd()
	if o.fromBeginning {
		reset = kgo.NewOffset().AtStart()
	}
	if v, src, ok := props.take("auto.offset.reset"); ok {
		switch strings.ToLower(v) {
		case "earliest":
			reset = kgo.NewOffset().AtStart()
		case "latest", "none":
			if o.fromBeginning {
				return nil, nil, usageErrorf(cmd, "--from-beginning conflicts with %s auto.offset.reset=%s", src, v)
			}
			reset = kgo.NewOffset().AtEnd()
			if strings.EqualFold(v, "none") {
				reset = kgo.NoResetOffset()
			}
		default:
			return nil, nil, usageErrorf(cmd, "%s: auto.offset.reset: expected earliest, latest or none, got %q", src, v)
		}
	}

	copts, err := applyClientProps("consumer", props, consumerClientProps)
	if err != nil {
		return nil, nil, usageErrorf(cmd, "%v", err)
	}
	p.opts = append([]kgo.Opt{kgo.ClientID("console-consumer")}, append(p.opts, copts...)...)

	switch {
	case changed("partition"):
		start, err := parseStartOffset(o.offset)
		if err != nil {
			return nil, nil, usageErrorf(cmd, "--offset: %v", err)
		}
		if o.fromBeginning {
			start = kgo.NewOffset().AtStart()
		}
		p.opts = append(p.opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.topic: {o.partition: start}}))
	case o.include != "":
		if _, err := regexp.Compile(o.include); err != nil {
			return nil, nil, usageErrorf(cmd, "--include: %q is not a valid regular expression: %v", o.include, err)
		}
		p.opts = append(p.opts, kgo.ConsumeRegex(), kgo.ConsumeTopics("^(?:"+o.include+")$"), kgo.ConsumeResetOffset(reset))
	default:
		p.opts = append(p.opts, kgo.ConsumeTopics(o.topic), kgo.ConsumeResetOffset(reset))
	}
	if p.group != "" {
		p.opts = append(p.opts, kgo.ConsumerGroup(p.group))
		if p.commit {
			// Commit only what was printed: records fetched but not yet
			// printed at exit are consumed again next time.
			p.opts = append(p.opts, kgo.AutoCommitMarks())
		} else {
			p.opts = append(p.opts, kgo.DisableAutoCommit())
		}
	}
	return p, seeds, nil
}

func parseStartOffset(v string) (kgo.Offset, error) {
	switch strings.ToLower(v) {
	case "", "latest":
		return kgo.NewOffset().AtEnd(), nil
	case "earliest":
		return kgo.NewOffset().AtStart(), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return kgo.Offset{}, fmt.Errorf("expected earliest, latest or a non-negative offset, got %q", v)
	}
	return kgo.NewOffset().At(n), nil
}

func (o *consumerOptions) run(cmd *cobra.Command) error {
	p, seeds, err := o.plan(cmd)
	if err != nil {
		return err
	}
	cl, err := newKafkaClient(seeds, p.opts...)
	if err != nil {
		return err
	}
	count, err := o.consume(cmd.Context(), cl, p, cmd.OutOrStdout(), cmd.ErrOrStderr())
	if p.commit {
		// Bounded: a broker that went away must not hang the exit.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), 10*time.Second)
		if cerr := cl.CommitMarkedOffsets(cctx); cerr != nil && err == nil {
			err = fmt.Errorf("committing offsets of group '%s': %w", p.group, cl.explain(cerr))
		}
		cancel()
	}
	cl.Close()
	fmt.Fprintf(cmd.ErrOrStderr(), "Processed a total of %d messages\n", count)
	return err
}

// consume polls and prints until --max-messages, --timeout-ms of silence,
// ctx's end or an error. It returns how many records it printed.
func (o *consumerOptions) consume(ctx context.Context, cl *kafkaClient, p *consumerPlan, out, errOut io.Writer) (int, error) {
	w := bufio.NewWriterSize(out, 64<<10)
	var line bytes.Buffer
	count := 0
	deadline := time.Now().Add(p.idle)
	for p.maxRecords < 0 || count < p.maxRecords {
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if p.hasIdle {
			pollCtx, cancel = context.WithDeadline(ctx, deadline)
		}
		want := -1
		if p.maxRecords > 0 {
			want = p.maxRecords - count
		}
		fetches := cl.PollRecords(pollCtx, want)
		cancel()
		if fetches.IsClientClosed() {
			break
		}
		var fetchErr error
		fetches.EachError(func(t string, part int32, err error) {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return
			}
			if fetchErr == nil {
				fetchErr = fmt.Errorf("consuming topic '%s' partition %d: %w", t, part, err)
			}
		})
		if fetchErr != nil {
			return count, cl.explain(fetchErr)
		}
		n := 0
		var formatErr error
		fetches.EachRecord(func(r *kgo.Record) {
			if formatErr != nil {
				return
			}
			line.Reset()
			if err := p.formatter.write(&line, r); err != nil {
				err = fmt.Errorf("formatting record at topic '%s' partition %d offset %d: %w", r.Topic, r.Partition, r.Offset, err)
				if !o.skipOnError {
					formatErr = err
					return
				}
				fmt.Fprintln(errOut, "Error processing message, skipping this message:", err)
			} else {
				w.Write(line.Bytes())
			}
			n++
			if p.commit {
				cl.MarkCommitRecords(r)
			}
		})
		count += n
		if err := w.Flush(); err != nil {
			return count, fmt.Errorf("unable to write to standard output, closing consumer: %w", err)
		}
		if formatErr != nil {
			return count, formatErr
		}
		if n > 0 {
			deadline = time.Now().Add(p.idle)
			continue
		}
		if ctx.Err() != nil {
			return count, nil // interrupted: a clean exit
		}
		if p.hasIdle && !time.Now().Before(deadline) {
			// --timeout-ms without a record: a normal end, unless the
			// cluster was never reachable at all.
			if err := cl.tracker.neverConnected(); err != nil {
				return count, cl.explain(err)
			}
			return count, nil
		}
	}
	return count, nil
}
