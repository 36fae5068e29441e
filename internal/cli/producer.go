package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

type producerOptions struct {
	client         clientFlags
	brokerList     string
	topic          string
	readerProps    []string
	producerProps  []string
	producerConfig string
	compression    string
	sync           bool
	acks           string
	requestTimeout int64
	lingerMs       int64
}

func newConsoleProducerCommand() *cobra.Command {
	o := &producerOptions{}
	cmd := &cobra.Command{
		Use:   "console-producer --topic TOPIC [flags]",
		Short: "Produce records from standard input, one per line (like kafka-console-producer.sh)",
		Long: `Read lines from standard input and produce each as a record to --topic, like
Kafka's kafka-console-producer.sh. Records are sent with acks=all unless
--request-required-acks says otherwise.

The command exits 0 only when every record read was acknowledged by the
broker. A line that does not match the --property format (for example no
key.separator with parse.key=true) stops reading: the records before it
are still delivered, and the error names the line number.

Line format properties (--property, also spelled --reader-property):
  parse.key=true|false          split each line into key and value (default false)
  key.separator=SEP             between key and value (default tab)
  parse.headers=true|false      lines start with headers (default false)
  headers.delimiter=SEP         between headers and key (default tab)
  headers.separator=SEP         between headers (default ",")
  headers.key.separator=SEP     between a header's key and value (default ":")
  null.marker=TEXT              a key, value or header value equal to TEXT is sent as null
  ignore.error=true|false       produce malformed lines whole instead of failing`,
		Example: `  echo 'hello' | runnel console-producer --topic greetings
  runnel console-producer --topic orders --property parse.key=true --property key.separator=: < orders.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	fs := cmd.Flags()
	o.client.register(fs)
	fs.StringVar(&o.brokerList, "broker-list", "", "Deprecated alias of --bootstrap-server (`host:port[,host:port...]`)")
	fs.StringVar(&o.topic, "topic", "", "The `topic` to produce to (required)")
	fs.StringArrayVar(&o.readerProps, "property", nil, "A line format property `key=value` (see above); repeat for several")
	fs.StringArrayVar(&o.readerProps, "reader-property", nil, "Same as --property (`key=value`)")
	fs.StringArrayVar(&o.producerProps, "producer-property", nil, "A Kafka producer property `key=value` (acks, compression.type, linger.ms, client.id ...); repeat for several")
	fs.StringArrayVar(&o.producerProps, "command-property", nil, "Same as --producer-property (`key=value`)")
	fs.StringVar(&o.producerConfig, "producer.config", "", "A Kafka producer properties `FILE`")
	fs.StringVar(&o.compression, "compression-codec", "", "Compression: none, gzip, snappy, lz4 or zstd")
	fs.BoolVar(&o.sync, "sync", false, "Send each record synchronously, waiting for its acknowledgement")
	fs.StringVar(&o.acks, "request-required-acks", "all", "Acknowledgements required: all (-1), 1 or 0")
	fs.Int64Var(&o.requestTimeout, "request-timeout-ms", 30000, "How long the broker may take to acknowledge a produce request, in `ms`")
	fs.Int64Var(&o.lingerMs, "timeout", 10, "How long, in `ms`, a record may wait to be batched with others (linger.ms)")
	return cmd
}

func (o *producerOptions) run(cmd *cobra.Command) error {
	if o.topic == "" {
		return usageErrorf(cmd, "--topic is required: the topic to produce to")
	}
	if cmd.Flags().Changed("broker-list") && cmd.Flags().Changed("bootstrap-server") {
		return usageErrorf(cmd, "--broker-list and --bootstrap-server cannot be used together")
	}
	if o.requestTimeout <= 0 {
		return usageErrorf(cmd, "--request-timeout-ms: expected a positive number, got %d", o.requestTimeout)
	}
	if o.lingerMs < 0 {
		return usageErrorf(cmd, "--timeout: expected a non-negative number of milliseconds, got %d", o.lingerMs)
	}

	format, err := o.lineFormat()
	if err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	cl, err := o.newClient(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()

	p := &lineProducer{cl: cl.Client, topic: o.topic, format: format, sync: o.sync}
	p.onDone = p.promise
	res := p.run(cmd.Context(), cmd.InOrStdin())
	if res != nil {
		return cl.explain(res)
	}
	return nil
}

func (o *producerOptions) lineFormat() (*lineFormat, error) {
	ps, err := parseKeyValueFlags("property", o.readerProps)
	if err != nil {
		return nil, err
	}
	return newLineFormat(newPropertyMap(ps))
}

// client builds the producer client. Flags that are Kafka producer
// settings become properties, so that an explicit --producer-property
// wins over a flag's default but a changed flag wins over everything.
func (o *producerOptions) newClient(cmd *cobra.Command) (*kafkaClient, error) {
	defaults := []string{
		"acks=all",
		"allow.auto.create.topics=true",
		// Kafka's default: a record that cannot be delivered in two
		// minutes (a broker that is down) fails instead of waiting forever.
		"delivery.timeout.ms=120000",
		"request.timeout.ms=" + strconv.FormatInt(o.requestTimeout, 10),
		"linger.ms=" + strconv.FormatInt(o.lingerMs, 10),
	}
	var flagged []string
	changed := cmd.Flags().Changed
	if changed("request-required-acks") {
		flagged = append(flagged, "acks="+o.acks)
	}
	if changed("compression-codec") {
		flagged = append(flagged, "compression.type="+o.compression)
	}
	if changed("request-timeout-ms") {
		flagged = append(flagged, "request.timeout.ms="+strconv.FormatInt(o.requestTimeout, 10))
	}
	if changed("timeout") {
		flagged = append(flagged, "linger.ms="+strconv.FormatInt(o.lingerMs, 10))
	}
	props, err := o.client.properties([]string{o.producerConfig},
		kvFlag{"defaults", defaults}, kvFlag{"producer-property", o.producerProps}, kvFlag{"flags", flagged})
	if err != nil {
		return nil, usageErrorf(cmd, "%v", err)
	}
	seeds, err := o.client.seeds(cmd, props, "broker-list")
	if err != nil {
		return nil, err
	}
	opts, err := applyClientProps("producer", props, producerClientProps)
	if err != nil {
		return nil, usageErrorf(cmd, "%v", err)
	}
	// Kafka's console producer calls itself console-producer unless told
	// otherwise; options apply in order, so a client.id property wins.
	opts = append([]kgo.Opt{kgo.ClientID("console-producer")}, opts...)
	opts = append(opts, kgo.DefaultProduceTopic(o.topic))
	return newKafkaClient(seeds, opts...)
}

// lineProducer streams stdin lines into records. Records and their bytes
// come from slabs so that the hot path does not allocate per line.
type lineProducer struct {
	cl     *kgo.Client
	topic  string
	format *lineFormat
	sync   bool

	mu      sync.Mutex // orders produce calls against stopping
	stopped bool

	sent     atomic.Int64
	acked    atomic.Int64
	failed   atomic.Int64
	errOnce  sync.Once
	firstErr error

	slab  []lineRecord
	arena []byte

	// onDone is promise bound once: a method value made per Produce call
	// would allocate per record.
	onDone func(*kgo.Record, error)
}

// lineRecord is a record together with its line number, which a failed
// delivery reports. The record's Context points at lineCtx.
type lineRecord struct {
	rec kgo.Record
	ctx lineCtx
}

type lineCtx struct {
	context.Context
	line int64
}

var emptyBytes = []byte{}

const (
	slabRecords = 512
	arenaBytes  = 256 << 10
)

func (p *lineProducer) newRecord(ctx context.Context, line int64) *kgo.Record {
	if len(p.slab) == 0 {
		p.slab = make([]lineRecord, slabRecords)
	}
	lr := &p.slab[0]
	p.slab = p.slab[1:]
	lr.ctx = lineCtx{Context: ctx, line: line}
	lr.rec.Context = &lr.ctx
	lr.rec.Topic = p.topic
	return &lr.rec
}

// own copies b into the arena; the result stays valid after the line
// buffer is reused.
func (p *lineProducer) own(b []byte) []byte {
	if b == nil {
		return nil
	}
	if len(b) == 0 {
		return emptyBytes // empty, not null: Kafka tells them apart
	}
	if cap(p.arena)-len(p.arena) < len(b) {
		p.arena = make([]byte, 0, max(arenaBytes, len(b)))
	}
	start := len(p.arena)
	p.arena = append(p.arena, b...)
	return p.arena[start:len(p.arena):len(p.arena)]
}

func (p *lineProducer) promise(r *kgo.Record, err error) {
	if err == nil {
		p.acked.Add(1)
		return
	}
	p.failed.Add(1)
	p.errOnce.Do(func() {
		line := int64(0)
		if lc, ok := r.Context.(*lineCtx); ok {
			line = lc.line
		}
		p.firstErr = fmt.Errorf("record from line %d: %w", line, err)
	})
}

// run reads in until EOF, a malformed line, a delivery failure or ctx's
// end, then waits for every sent record's acknowledgement.
func (p *lineProducer) run(ctx context.Context, in io.Reader) error {
	// Records outlive a Ctrl-C: what was read is still delivered.
	produceCtx := context.WithoutCancel(ctx)
	readDone := make(chan error, 1)
	go func() { readDone <- p.readAll(produceCtx, in) }()

	var readErr error
	select {
	case readErr = <-readDone:
	case <-ctx.Done():
		// The reader may be blocked on a terminal read; it stops at its
		// next line.
		p.mu.Lock()
		p.stopped = true
		p.mu.Unlock()
	}
	flushErr := p.cl.Flush(produceCtx)

	sent, acked, failed := p.sent.Load(), p.acked.Load(), p.failed.Load()
	switch {
	case failed > 0:
		return fmt.Errorf("producing to topic '%s': %d of %d records were not acknowledged; first failure: %w", p.topic, failed, sent, p.firstErr)
	case flushErr != nil:
		return fmt.Errorf("producing to topic '%s': waiting for acknowledgements: %w (%d of %d acknowledged)", p.topic, flushErr, acked, sent)
	case readErr != nil:
		return fmt.Errorf("%w (%s before it acknowledged)", readErr, plural(acked, "record", "records"))
	}
	return nil
}

func (p *lineProducer) readAll(ctx context.Context, in io.Reader) error {
	sc := newLineScanner(in)
	var lineNo int64
	for {
		line, err := sc.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading standard input after line %d: %w", lineNo, err)
		}
		lineNo++
		if p.failed.Load() > 0 {
			return nil // a delivery already failed; run reports it
		}
		r := p.newRecord(ctx, lineNo)
		if err := p.format.parse(line, lineNo, r); err != nil {
			return err
		}
		r.Key = p.own(r.Key)
		r.Value = p.own(r.Value)

		p.mu.Lock()
		if p.stopped {
			p.mu.Unlock()
			return nil
		}
		p.sent.Add(1)
		if p.sync {
			p.promise(r, p.cl.ProduceSync(ctx, r).FirstErr())
		} else {
			p.cl.Produce(ctx, r, p.onDone)
		}
		p.mu.Unlock()
	}
}
