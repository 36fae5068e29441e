package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// workKind is what a queued work item asks a stream thread to do.
type workKind uint8

const (
	// workRecords processes a batch of one input partition.
	workRecords workKind = iota
	// workAdd takes over a newly assigned task.
	workAdd
	// workClose closes tasks (clean: flush, commit; dirty: just close).
	workClose
	// workStop ends the thread after closing whatever it still runs.
	workStop
)

// work is one item in a thread's queue. Records of a partition arrive as
// one item per fetched batch, so the hand-over costs one queue append per
// partition and poll, not one per record.
type work struct {
	kind  workKind
	task  *streamTask
	recs  []*kgo.Record
	hwm   int64 // the partition's high watermark when recs were fetched
	tasks []*streamTask
	clean bool
	done  chan struct{}
}

// streamThread runs a set of tasks on one goroutine, like a Kafka Streams
// StreamThread, with its own record collector and commit schedule. Tasks
// never move between threads while they run, so each partition's records
// are processed in order.
type streamThread struct {
	rt        *runtime
	id        int
	name      string
	log       *slog.Logger
	collector *recordCollector

	mu    sync.Mutex
	queue []work
	spare []work
	dead  bool
	wake  chan struct{}

	// Owned by the thread goroutine.
	tasks           map[*streamTask]struct{}
	merging         map[*streamTask]struct{} // multi-input tasks with queued records
	lastCommit      time.Time
	commitRequested bool
	offsets         map[string]map[int32]kgo.EpochOffset
}

func newStreamThread(rt *runtime, id int) *streamThread {
	name := fmt.Sprintf("%s-StreamThread-%d", rt.cfg.ClientID, id)
	t := &streamThread{
		rt:      rt,
		id:      id,
		name:    name,
		log:     rt.log.With("thread", name),
		wake:    make(chan struct{}, 1),
		tasks:   map[*streamTask]struct{}{},
		merging: map[*streamTask]struct{}{},
	}
	t.collector = newRecordCollector(rt.threadCtx, rt.cl, t.onProductionError, rt.partitions, t.poke)
	t.collector.isChangelog = rt.isChangelog
	return t
}

// enqueue hands work to the thread. It returns false when the thread has
// died; the caller then treats the work as done.
func (t *streamThread) enqueue(w work) bool {
	t.mu.Lock()
	if t.dead {
		t.mu.Unlock()
		return false
	}
	t.queue = append(t.queue, w)
	t.mu.Unlock()
	t.poke()
	return true
}

// poke wakes the thread's loop if it waits.
func (t *streamThread) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *streamThread) isDead() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dead
}

// take swaps out the queued work.
func (t *streamThread) take() []work {
	t.mu.Lock()
	defer t.mu.Unlock()
	items := t.queue
	t.queue = t.spare[:0]
	t.spare = nil
	return items
}

func (t *streamThread) recycle(items []work) {
	clear(items)
	t.mu.Lock()
	if t.spare == nil {
		t.spare = items[:0]
	}
	t.mu.Unlock()
}

// run is the thread's loop. It returns nil after workStop, or the error
// that killed the thread; either way every task it ran is closed.
func (t *streamThread) run(ctx context.Context) (err error) {
	t.lastCommit = time.Now()
	idle := time.NewTimer(t.rt.cfg.PollInterval)
	defer idle.Stop()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("stream thread %s panicked: %v", t.name, r)
		}
		if err != nil {
			t.die(ctx, err)
		}
	}()
	for {
		items := t.take()
		stop := false
		for i := range items {
			if items[i].kind == workStop {
				stop = true
				close(items[i].done)
				continue
			}
			if err := t.handle(ctx, &items[i]); err != nil {
				t.release(items[i+1:])
				return err
			}
			if items[i].kind != workRecords {
				continue
			}
			// A long queue is worked through without starving the
			// sender or delaying commits: hand output over after each
			// batch, and commit when the interval is up.
			t.collector.dispatch()
			if time.Since(t.lastCommit) >= t.rt.cfg.CommitInterval {
				if err := t.commit(ctx, t.ownedTasks()); err != nil {
					t.release(items[i+1:])
					return err
				}
			}
		}
		t.recycle(items)
		if err := t.mergeQueued(ctx); err != nil {
			return err
		}
		if stop {
			return t.closeTasks(ctx, t.ownedTasks(), true)
		}
		now := time.Now()
		if err := t.punctuate(ctx, now); err != nil {
			return err
		}
		if t.commitRequested || now.Sub(t.lastCommit) >= t.rt.cfg.CommitInterval {
			if err := t.commit(ctx, t.ownedTasks()); err != nil {
				return err
			}
		}
		// Hand what this round produced to the sender, unless it is still
		// busy with the previous round (then the batches keep growing).
		t.collector.dispatch()
		if len(items) > 0 {
			continue
		}
		if !idle.Stop() {
			select {
			case <-idle.C:
			default:
			}
		}
		idle.Reset(min(t.rt.cfg.PollInterval, max(time.Until(t.lastCommit.Add(t.rt.cfg.CommitInterval)), time.Millisecond)))
		select {
		case <-t.wake:
		case <-idle.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (t *streamThread) handle(ctx context.Context, w *work) error {
	switch w.kind {
	case workRecords:
		return t.process(ctx, w.task, w.recs, w.hwm)
	case workAdd:
		t.tasks[w.task] = struct{}{}
		if err := w.task.eng.Init(ctx); err != nil {
			return fmt.Errorf("task %s: initializing: %w", w.task.name, err)
		}
		w.task.initialized = true
		return nil
	case workClose:
		defer close(w.done)
		var owned []*streamTask
		for _, task := range w.tasks {
			if _, ok := t.tasks[task]; ok {
				owned = append(owned, task)
			}
		}
		return t.closeTasks(ctx, owned, w.clean)
	}
	return nil
}

// process runs one fetched batch through a task.
func (t *streamThread) process(ctx context.Context, task *streamTask, recs []*kgo.Record, hwm int64) error {
	if _, ok := t.tasks[task]; !ok || len(recs) == 0 {
		t.rt.consumed(len(recs))
		return nil // the task was closed after this batch was routed
	}
	i := task.addInput(recs[0].Topic, recs[0].Partition)
	if task.multiInput {
		// Records of several partitions are merged by timestamp; see
		// partition_group.go.
		task.queues[i].push(recs, hwm)
		t.merging[task] = struct{}{}
		return nil
	}
	defer t.rt.consumed(len(recs))
	in := &task.inputs[i]
	for _, r := range recs {
		if err := t.processOne(ctx, task, in, r); err != nil {
			return err
		}
	}
	return t.afterProcessing(task)
}

// processOne runs one record through its task and applies the error
// handlers.
func (t *streamThread) processOne(ctx context.Context, task *streamTask, in *inputPartition, r *kgo.Record) error {
	if r.Offset < in.next {
		r.Recycle()
		return nil
	}
	if err := task.eng.Process(ctx, r); err != nil {
		var de *deserializationError
		var se *serializationError
		switch {
		case errors.As(err, &de):
			if err := t.onDeserializationError(ctx, task, r, de.err); err != nil {
				return err
			}
		case errors.As(err, &se):
			if err := t.onSerializationError(task, se); err != nil {
				return err
			}
		default:
			return fmt.Errorf("task %s: processing %s-%d offset %d: %w", task.name, r.Topic, r.Partition, r.Offset, err)
		}
	}
	in.next = r.Offset + 1
	in.epoch = r.LeaderEpoch
	// Engines copy what they keep (topology.RawRecord's bytes point into
	// the fetch buffer, not into the record), so the record goes back to
	// kgo's slab pool now (recordSlabs).
	r.Recycle()
	return nil
}

func (t *streamThread) afterProcessing(task *streamTask) error {
	if task.eng.CommitRequested() {
		t.commitRequested = true
	}
	// A send that failed under a "fail" production handler stops the
	// thread now, as Kafka's RecordCollector rethrows on the next send.
	return t.collector.err()
}

func (t *streamThread) punctuate(ctx context.Context, now time.Time) error {
	for task := range t.tasks {
		if !task.initialized {
			continue
		}
		if err := task.eng.PunctuateWallClock(ctx, now); err != nil {
			return fmt.Errorf("task %s: wall-clock punctuation: %w", task.name, err)
		}
		if task.eng.CommitRequested() {
			t.commitRequested = true
		}
	}
	return nil
}

// commit is Kafka Streams' at-least-once commit for the given tasks:
// flush every task (caches downstream, stores to disk), wait until every
// record produced so far is acknowledged, then commit the position after
// the last processed record of each input partition.
func (t *streamThread) commit(ctx context.Context, tasks []*streamTask) error {
	t.lastCommit = time.Now()
	t.commitRequested = false
	for _, task := range tasks {
		if !task.initialized {
			continue
		}
		if err := task.eng.Flush(ctx); err != nil {
			return fmt.Errorf("task %s: flushing: %w", task.name, err)
		}
	}
	if err := t.collector.flush(ctx); err != nil {
		return fmt.Errorf("waiting for produced records: %w", err)
	}
	if err := t.checkpointTasks(ctx, tasks); err != nil {
		return err
	}
	if t.offsets == nil {
		t.offsets = map[string]map[int32]kgo.EpochOffset{}
	}
	clear(t.offsets)
	for _, task := range tasks {
		task.appendOffsets(t.offsets)
	}
	if len(t.offsets) == 0 {
		return nil
	}
	var commitErr error
	t.rt.cl.CommitOffsetsSync(ctx, t.offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		commitErr = commitResponseError(resp, err)
	})
	if commitErr != nil {
		// Not fatal: the offsets stay uncommitted and are retried at the
		// next commit; if the partitions moved meanwhile, the new owner
		// reprocesses from the last commit (at-least-once).
		t.log.Warn("committing offsets failed; will retry", "error", commitErr)
		return nil
	}
	for _, task := range tasks {
		task.markCommitted(t.offsets)
	}
	return nil
}

func commitResponseError(resp *kmsg.OffsetCommitResponse, err error) error {
	if err != nil {
		return err
	}
	for _, topic := range resp.Topics {
		for _, p := range topic.Partitions {
			if code := p.ErrorCode; code != 0 {
				return fmt.Errorf("%s-%d: %w", topic.Topic, p.Partition, kerr.ErrorForCode(code))
			}
		}
	}
	return nil
}

// closeTasks closes tasks. A clean close commits first (Kafka's
// closeClean); a dirty one abandons uncommitted work (closeDirty), which
// the next owner reprocesses.
func (t *streamThread) closeTasks(ctx context.Context, tasks []*streamTask, clean bool) error {
	if len(tasks) == 0 {
		return nil
	}
	var err error
	if clean {
		err = t.commit(ctx, tasks)
	}
	for _, task := range tasks {
		delete(t.tasks, task)
		t.dropQueued(task)
		if !task.initialized {
			continue
		}
		if cerr := task.eng.Close(ctx, clean && err == nil); cerr != nil && err == nil {
			err = fmt.Errorf("task %s: closing: %w", task.name, cerr)
		}
		task.initialized = false
	}
	return err
}

func (t *streamThread) ownedTasks() []*streamTask {
	out := make([]*streamTask, 0, len(t.tasks))
	for task := range t.tasks {
		out = append(out, task)
	}
	return out
}

// release finishes queued work the thread will never handle.
func (t *streamThread) release(items []work) {
	for i := range items {
		switch items[i].kind {
		case workRecords:
			t.rt.consumed(len(items[i].recs))
		case workClose, workStop:
			close(items[i].done)
		}
	}
}

// die marks the thread dead, closes its tasks without committing and
// releases everything still queued.
func (t *streamThread) die(ctx context.Context, cause error) {
	t.mu.Lock()
	t.dead = true
	rest := t.queue
	t.queue = nil
	t.mu.Unlock()
	t.release(rest)
	// Records already handed to the producer (a dead-letter record, for
	// one) still go out; nothing is committed.
	if err := t.collector.flush(ctx); err != nil {
		t.log.Debug("flushing producer of failed thread", "error", err)
	}
	for task := range t.tasks {
		t.dropQueued(task)
		if task.initialized {
			if err := task.eng.Close(ctx, false); err != nil {
				t.log.Warn("closing task of failed thread", "task", task.name, "error", err)
			}
			task.initialized = false
		}
		delete(t.tasks, task)
	}
	t.log.Error("stream thread failed", "error", cause)
}

// onDeserializationError applies the deserialization exception handler
// and, when configured, writes the record to the dead-letter queue.
func (t *streamThread) onDeserializationError(ctx context.Context, task *streamTask, r *kgo.Record, cause error) error {
	ec := ErrorContext{
		TaskID: task.name, Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Timestamp: r.Timestamp.UnixMilli(), Key: r.Key, Value: r.Value,
	}
	if len(r.Headers) > 0 {
		ec.Headers = make([]Header, len(r.Headers))
		for i, h := range r.Headers {
			ec.Headers[i] = Header{Key: h.Key, Value: h.Value}
		}
	}
	resp := t.rt.cfg.DeserializationExceptionHandler.HandleDeserializationError(t.log, ec, cause)
	if dlq := t.rt.cfg.DeadLetterQueueTopic; dlq != "" {
		t.collector.send(dlq, -1, r.Key, r.Value, ec.Timestamp, deadLetterHeaders(r, cause))
	}
	if resp == DeserializationFail {
		return fmt.Errorf("task %s: deserializing %s-%d offset %d: %w", task.name, r.Topic, r.Partition, r.Offset, cause)
	}
	return nil
}

// deadLetterHeaders are the input record's headers plus KIP-1034's
// __streams.errors.* headers describing the failure.
func deadLetterHeaders(r *kgo.Record, cause error) []kgo.RecordHeader {
	hs := make([]kgo.RecordHeader, 0, len(r.Headers)+6)
	hs = append(hs, r.Headers...)
	return append(hs,
		kgo.RecordHeader{Key: "__streams.errors.exception", Value: []byte(fmt.Sprintf("%T", cause))},
		kgo.RecordHeader{Key: "__streams.errors.message", Value: []byte(cause.Error())},
		kgo.RecordHeader{Key: "__streams.errors.stacktrace", Value: []byte(errorChain(cause))},
		kgo.RecordHeader{Key: "__streams.errors.topic", Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: "__streams.errors.partition", Value: strconv.AppendInt(nil, int64(r.Partition), 10)},
		kgo.RecordHeader{Key: "__streams.errors.offset", Value: strconv.AppendInt(nil, r.Offset, 10)},
	)
}

// errorChain renders the wrapped errors, outermost first: the closest Go
// has to a stack trace for an error value.
func errorChain(err error) string {
	var out []byte
	for e := err; e != nil; e = errors.Unwrap(e) {
		if len(out) > 0 {
			out = append(out, "\ncaused by: "...)
		}
		out = fmt.Appendf(out, "%T: %v", e, e)
	}
	return string(out)
}

// onSerializationError gives a sink's serialization failure to the
// production exception handler, as Kafka's
// handleSerializationException does.
func (t *streamThread) onSerializationError(task *streamTask, se *serializationError) error {
	pe := ProductionError{TaskID: task.name, Topic: se.topic, Partition: -1}
	if t.rt.cfg.ProductionExceptionHandler.HandleProductionError(t.log, pe, se.err) == ProductionContinue {
		return nil
	}
	return fmt.Errorf("task %s: %w", task.name, se.err)
}

// onProductionError runs in the producer's callback goroutine.
func (t *streamThread) onProductionError(r *kgo.Record, err error) error {
	pe := ProductionError{
		Topic: r.Topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp.UnixMilli(),
	}
	if t.rt.cfg.ProductionExceptionHandler.HandleProductionError(t.log, pe, err) == ProductionContinue {
		return nil
	}
	return fmt.Errorf("producing to %s: %w", r.Topic, err)
}
