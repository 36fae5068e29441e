package streams

import (
	"context"
	"errors"
	"fmt"

	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

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
		e := &topologyEngine{rt: rt, th: th}
		task, err := topology.NewTask(top, id, topology.TaskEnv{
			ApplicationID: rt.cfg.ApplicationID,
			Sink:          threadSink{th: th, rt: rt},
			StateDir:      rt.cfg.StateDir,
			Logger:        th.log,
			GlobalStore:   rt.global.store,
			BuildStore:    rt.state.BuildStore,
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
	th   *streamThread
	task *topology.Task
}

func (e *topologyEngine) Init(ctx context.Context) error {
	if err := e.task.InitStores(ctx); err != nil {
		return err
	}
	if err := e.rt.restoreTask(ctx, e.th, e.task); err != nil {
		return err
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

// Close closes the task; a dirty close first drops its uncommitted store
// writes, which the changelog restores from the last checkpoint.
func (e *topologyEngine) Close(ctx context.Context, clean bool) error {
	if !clean {
		e.rt.state.Abort(e.task.ID())
	}
	return e.task.Close(ctx)
}

// CommitRequested is true when a processor asked for a commit or the
// task's uncommitted store writes outgrew their memory share.
func (e *topologyEngine) CommitRequested() bool {
	return e.task.CommitRequested() || e.rt.state.CommitNeeded(e.task.ID())
}

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
	s.th.collector.send(topic, partition, key, value, timestampMs, headersToKgo(headers))
	return nil
}

// SendCopies marks threadSink as a topology.CopyingRecordSink: the
// collector copies key, value and headers into its batch during Send, so
// sink nodes may reuse their serialization buffers.
func (threadSink) SendCopies() {}

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
