package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
)

// globalThread keeps the global stores (GlobalKTables and Processor API
// global stores), as Kafka's GlobalStreamThread: before any stream thread
// starts it reads every partition of every global topic up to the end
// offsets it finds, then it follows the topics on its own goroutine. Every
// instance holds a full copy; nothing is committed to the group, and the
// stores have no changelog because their topic is their changelog.
type globalThread struct {
	task   *topology.Task
	cl     *kgo.Client
	log    *slog.Logger
	onFail func(error)

	cancel context.CancelFunc
	done   chan struct{}
}

// globalIdleWait is how long a bootstrap poll may return nothing before
// the global topics count as read to their end: positions can stop short
// of the end offset when the last offsets are transaction markers or were
// compacted away, and waiting for them would hang.
const globalIdleWait = 500 * time.Millisecond

// startGlobalThread bootstraps the global stores of top and starts
// following their topics. It returns after the bootstrap, so stream tasks
// created afterwards see complete global stores.
func startGlobalThread(ctx context.Context, rt *runtime, top *topology.Topology) (*globalThread, error) {
	task, err := topology.NewGlobalTask(top, topology.TaskEnv{
		ApplicationID: rt.cfg.ApplicationID,
		Sink:          noGlobalSink{},
		StateDir:      rt.cfg.StateDir,
		Logger:        rt.log,
	})
	if err != nil || task == nil {
		return nil, err
	}
	if err := task.Init(ctx); err != nil {
		return nil, fmt.Errorf("global stores: %w", err)
	}
	var topics []string
	for _, g := range top.GlobalStores() {
		if !slices.Contains(topics, g.Topic) {
			topics = append(topics, g.Topic)
		}
	}
	// The global client is not in the group: it reads every partition.
	cl, err := kgo.NewClient(append(rt.baseOpts("global"), kgo.FetchMaxWait(globalIdleWait/2))...)
	if err != nil {
		_ = task.Close(ctx)
		return nil, fmt.Errorf("global stores: creating client: %w", err)
	}
	fail := func(err error) (*globalThread, error) {
		cl.Close()
		_ = task.Close(ctx)
		return nil, err
	}
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topics...)
	if err != nil {
		return fail(fmt.Errorf("global stores: listing end offsets of %v: %w", topics, err))
	}
	start := map[string]map[int32]kgo.Offset{}
	remaining := map[string]map[int32]int64{}
	for _, t := range topics {
		parts, ok := ends[t]
		if !ok || len(parts) == 0 {
			return fail(fmt.Errorf("global stores: source topic %s does not exist: %w", t, ErrMissingSourceTopic))
		}
		start[t] = map[int32]kgo.Offset{}
		remaining[t] = map[int32]int64{}
		for p, o := range parts {
			if errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
				return fail(fmt.Errorf("global stores: source topic %s does not exist: %w", t, ErrMissingSourceTopic))
			}
			if o.Err != nil {
				return fail(fmt.Errorf("global stores: end offset of %s-%d: %w", t, p, o.Err))
			}
			start[t][p] = kgo.NewOffset().AtStart()
			if o.Offset > 0 {
				remaining[t][p] = o.Offset
			}
		}
	}
	cl.AddConsumePartitions(start)
	g := &globalThread{task: task, cl: cl, log: rt.log.With("thread", "global"), onFail: rt.app.fail, done: make(chan struct{})}
	began := time.Now()
	n, err := g.bootstrap(ctx, remaining)
	if err != nil {
		return fail(err)
	}
	g.log.Info("global stores restored", "topics", topics, "records", n, "took", time.Since(began).Round(time.Millisecond))

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g.cancel = cancel
	go g.follow(runCtx)
	return g, nil
}

// bootstrap processes records until every partition has reached the end
// offset it had at start-up, or the topics stay idle for globalIdleWait.
func (g *globalThread) bootstrap(ctx context.Context, remaining map[string]map[int32]int64) (int64, error) {
	var total int64
	pending := 0
	for _, ps := range remaining {
		pending += len(ps)
	}
	for pending > 0 {
		pollCtx, cancel := context.WithTimeout(ctx, globalIdleWait)
		fs := g.cl.PollFetches(pollCtx)
		cancel()
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var err error
		fs.EachError(func(t string, p int32, ferr error) {
			if err == nil && !errors.Is(ferr, context.DeadlineExceeded) {
				err = fmt.Errorf("global stores: fetching %s-%d: %w", t, p, ferr)
			}
		})
		if err != nil {
			return total, err
		}
		if fs.NumRecords() == 0 {
			break // idle: what is left is markers or compacted offsets
		}
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			if err != nil {
				return
			}
			if p.Err != nil && !errors.Is(p.Err, context.DeadlineExceeded) {
				err = fmt.Errorf("global stores: fetching %s-%d: %w", p.Topic, p.Partition, p.Err)
				return
			}
			for _, r := range p.Records {
				if err = g.process(ctx, r); err != nil {
					return
				}
				total++
			}
			if len(p.Records) == 0 {
				return
			}
			last := p.Records[len(p.Records)-1].Offset
			if end, ok := remaining[p.Topic][p.Partition]; ok && last+1 >= end {
				delete(remaining[p.Topic], p.Partition)
				pending--
			}
		})
		if err != nil {
			return total, err
		}
	}
	return total, g.task.Flush(ctx)
}

// follow keeps the global stores up to date until stop.
func (g *globalThread) follow(ctx context.Context) {
	defer close(g.done)
	flushEvery := time.NewTicker(10 * time.Second)
	defer flushEvery.Stop()
	for {
		fs := g.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return
		}
		var err error
		fs.EachError(func(t string, p int32, ferr error) {
			if err == nil && !errors.Is(ferr, context.Canceled) {
				err = fmt.Errorf("global stores: fetching %s-%d: %w", t, p, ferr)
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			if err == nil {
				err = g.process(ctx, r)
			}
		})
		if err != nil {
			g.log.Error("global thread stopped", "error", err)
			g.onFail(err)
			return
		}
		select {
		case <-flushEvery.C:
			if err := g.task.Flush(ctx); err != nil {
				g.log.Warn("flushing global stores", "error", err)
			}
		default:
		}
	}
}

// process feeds one record to the global task. A record that cannot be
// deserialized is logged and skipped, as Kafka's global thread does with
// the default handler: one bad record must not make every instance fail.
func (g *globalThread) process(ctx context.Context, r *kgo.Record) error {
	err := g.task.Process(ctx, topology.RawRecord{
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Key: r.Key, Value: r.Value, TimestampMs: r.Timestamp.UnixMilli(),
		Headers: headersFromKgo(r.Headers),
	})
	var de *topology.DeserializationError
	if errors.As(err, &de) {
		g.log.Warn("skipping a global record that cannot be deserialized",
			"topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "error", err)
		return nil
	}
	return err
}

// store returns a global store by name, for the stream tasks.
func (g *globalThread) store(name string) (state.StateStore, bool) {
	if g == nil {
		return nil, false
	}
	s := g.task.Store(name)
	return s, s != nil
}

// stop ends the follower, flushes and closes the global stores.
func (g *globalThread) stop(ctx context.Context) {
	if g == nil {
		return
	}
	g.cancel()
	<-g.done
	g.cl.Close()
	if err := g.task.Flush(ctx); err != nil {
		g.log.Warn("flushing global stores", "error", err)
	}
	if err := g.task.Close(ctx); err != nil {
		g.log.Warn("closing global stores", "error", err)
	}
}

// noGlobalSink rejects output: a global store's processor only updates
// its store, as Kafka requires.
type noGlobalSink struct{}

func (noGlobalSink) Send(topic string, _ int32, _, _ []byte, _ int64, _ topology.Headers) error {
	return fmt.Errorf("a global store processor cannot forward records (to %s)", topic)
}

func (noGlobalSink) Partitions(topic string) (int32, error) {
	return 0, fmt.Errorf("a global store processor cannot write to %s", topic)
}
