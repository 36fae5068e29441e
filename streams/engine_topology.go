package streams

import (
	"context"
	"errors"
	"fmt"

	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
)

// New prepares an App running top with cfg. It validates both but does no
// I/O; Run connects, creates internal topics and starts processing.
func New(top *topology.Topology, cfg Config) (*App, error) {
	if top == nil {
		return nil, errors.New("streams: topology is nil")
	}
	full, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("streams: invalid config: %w", err)
	}
	layout, err := layoutOf(top, full.ApplicationID)
	if err != nil {
		return nil, fmt.Errorf("streams: %w", err)
	}
	a, err := newApp(full, layout, func(rt *runtime, id taskKey, th *streamThread) (engine, error) {
		e := &topologyEngine{rt: rt}
		task, err := topology.NewTask(top, id, topology.TaskEnv{
			ApplicationID: rt.cfg.ApplicationID,
			Sink:          threadSink{th: th, rt: rt},
			StateDir:      rt.cfg.StateDir,
			Logger:        th.log,
			GlobalStore:   rt.global.store,
		})
		if err != nil {
			return nil, err
		}
		e.task = task
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	if len(top.GlobalStores()) > 0 {
		a.newGlobal = func(ctx context.Context, rt *runtime) (*globalThread, error) {
			return startGlobalThread(ctx, rt, top)
		}
	}
	return a, nil
}

// topologyEngine adapts topology.Task to the runtime's engine interface
// and restores the task's changelogs before it processes.
type topologyEngine struct {
	rt   *runtime
	task *topology.Task
}

func (e *topologyEngine) Init(ctx context.Context) error {
	if err := e.task.InitStores(ctx); err != nil {
		return err
	}
	for _, cp := range e.task.Changelogs() {
		if err := e.rt.restore(ctx, cp); err != nil {
			return fmt.Errorf("restoring store %q from %s-%d: %w", cp.Store, cp.Topic, cp.Partition, err)
		}
	}
	return e.task.InitProcessors(ctx)
}

func (e *topologyEngine) Process(ctx context.Context, r *kgo.Record) error {
	err := e.task.Process(ctx, topology.RawRecord{
		Topic:       r.Topic,
		Partition:   r.Partition,
		Offset:      r.Offset,
		Key:         r.Key,
		Value:       r.Value,
		TimestampMs: r.Timestamp.UnixMilli(),
		Headers:     headersFromKgo(r.Headers),
	})
	if err != nil {
		var de *topology.DeserializationError
		if errors.As(err, &de) {
			return &deserializationError{err: err}
		}
		var se *topology.SerializationError
		if errors.As(err, &se) {
			return &serializationError{topic: se.Topic, err: err}
		}
	}
	return err
}

func (e *topologyEngine) PunctuateWallClock(_ context.Context, now time.Time) error {
	return e.task.PunctuateWallClock(now.UnixMilli())
}

func (e *topologyEngine) Flush(ctx context.Context) error { return e.task.Flush(ctx) }

func (e *topologyEngine) Close(ctx context.Context, _ bool) error { return e.task.Close(ctx) }

func (e *topologyEngine) CommitRequested() bool { return e.task.CommitRequested() }

// headersFromKgo views kgo headers as topology headers without copying;
// the pointer conversion compiles only while both structs have the same
// fields, so the layouts cannot drift apart silently.
func headersFromKgo(hs []kgo.RecordHeader) topology.Headers {
	if len(hs) == 0 {
		return nil
	}
	return unsafe.Slice((*topology.Header)(unsafe.SliceData(hs)), len(hs))
}

func headersToKgo(hs topology.Headers) []kgo.RecordHeader {
	if len(hs) == 0 {
		return nil
	}
	return unsafe.Slice((*kgo.RecordHeader)(unsafe.SliceData(hs)), len(hs))
}

// threadSink is a task's topology.RecordSink: the owning thread's record
// collector.
type threadSink struct {
	th *streamThread
	rt *runtime
}

func (s threadSink) Send(topic string, partition int32, key, value []byte, timestampMs int64, headers topology.Headers) error {
	s.th.collector.send(s.rt.threadCtx, topic, partition, key, value, timestampMs, headersToKgo(headers))
	return nil
}

func (s threadSink) Partitions(topic string) (int32, error) { return s.rt.partitions(topic) }

// partitions returns a topic's partition count, from the topics the
// runtime prepared or, for other sink topics, from cached metadata.
func (rt *runtime) partitions(topic string) (int32, error) {
	if n, ok := rt.counts[topic]; ok {
		return n, nil
	}
	if n, ok := rt.sinkCounts.Load(topic); ok {
		return n.(int32), nil
	}
	ctx, cancel := context.WithTimeout(rt.threadCtx, 30*time.Second)
	defer cancel()
	details, err := kadm.NewClient(rt.cl).ListTopics(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("looking up partitions of %s: %w", topic, err)
	}
	d, ok := details[topic]
	if !ok || d.Err != nil {
		return 0, fmt.Errorf("looking up partitions of %s: topic not found (%v)", topic, d.Err)
	}
	n := int32(len(d.Partitions))
	rt.sinkCounts.Store(topic, n)
	return n, nil
}

// restore replays a changelog partition into its store, from the start of
// the log to the end offset it has when restoration begins.
func (rt *runtime) restore(ctx context.Context, cp topology.ChangelogPartition) error {
	if cp.Restore == nil {
		return nil
	}
	adm := kadm.NewClient(rt.cl)
	ends, err := adm.ListEndOffsets(ctx, cp.Topic)
	if err != nil {
		return fmt.Errorf("listing end offsets: %w", err)
	}
	end, ok := ends.Lookup(cp.Topic, cp.Partition)
	if !ok || end.Err != nil {
		return fmt.Errorf("listing end offset: %v", end.Err)
	}
	starts, err := adm.ListStartOffsets(ctx, cp.Topic)
	if err != nil {
		return fmt.Errorf("listing start offsets: %w", err)
	}
	start, ok := starts.Lookup(cp.Topic, cp.Partition)
	if !ok || start.Err != nil || start.Offset >= end.Offset {
		return nil // empty changelog
	}
	cl, err := kgo.NewClient(append(rt.baseOpts("restore"),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{cp.Topic: {cp.Partition: kgo.NewOffset().At(start.Offset)}}),
	)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	var batch []state.ChangelogRecord
	restored := int64(0)
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return ferr
		}
		batch = batch[:0]
		done := false
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset >= end.Offset {
				done = true
				return
			}
			batch = append(batch, state.ChangelogRecord{Key: r.Key, Value: r.Value, Offset: r.Offset, TimestampMs: r.Timestamp.UnixMilli()})
			if r.Offset == end.Offset-1 {
				done = true
			}
		})
		if len(batch) > 0 {
			if err := cp.Restore(batch); err != nil {
				return err
			}
			restored += int64(len(batch))
		}
		if done {
			rt.log.Debug("restored store", "store", cp.Store, "changelog", cp.Topic, "partition", cp.Partition, "records", restored)
			return nil
		}
	}
}
