package streams

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/state"
)

// engine is what the runtime needs from a task of the topology's task
// engine; engine_topology.go adapts topology.Task to it.
type engine interface {
	// Init opens stores and restores them; called on the owning thread
	// before the first record.
	Init(ctx context.Context) error
	// Process runs one input record through the sub-topology. A
	// deserialization failure is reported as a *deserializationError.
	Process(ctx context.Context, r *kgo.Record) error
	// PunctuateWallClock runs the wall-clock punctuators that are due.
	PunctuateWallClock(ctx context.Context, now time.Time) error
	// Flush flushes caches downstream and stores to disk.
	Flush(ctx context.Context) error
	// Close releases the task; clean means it was flushed and committed.
	Close(ctx context.Context, clean bool) error
	// CommitRequested reports whether a processor asked for a commit.
	CommitRequested() bool
}

// inputPartition is one source partition of a task and its progress.
type inputPartition struct {
	topic     string
	partition int32
	// next is the offset after the last record processed, -1 if none.
	next  int64
	epoch int32
	// committed is the last offset committed for this partition, -1 if
	// this task has committed nothing.
	committed int64
}

// streamTask is the runtime's state for one task it runs.
type streamTask struct {
	id     state.TaskID
	name   string
	eng    engine
	inputs []inputPartition
	thread *streamThread
	// multiInput tasks read several partitions and process their
	// records in timestamp order; queues parallels inputs.
	multiInput   bool
	queues       []partitionQueue
	waitingSince time.Time // when the merge started waiting for a lagging partition

	initialized bool
}

func newStreamTask(id state.TaskID, eng engine) *streamTask {
	return &streamTask{id: id, name: id.String(), eng: eng}
}

// addInput registers a source partition and returns its index.
func (t *streamTask) addInput(topic string, partition int32) int {
	for i := range t.inputs {
		if t.inputs[i].topic == topic && t.inputs[i].partition == partition {
			return i
		}
	}
	t.inputs = append(t.inputs, inputPartition{topic: topic, partition: partition, next: -1, committed: -1})
	t.queues = append(t.queues, partitionQueue{hwm: -1, fetchedNext: -1})
	return len(t.inputs) - 1
}

// dirty reports whether the task processed records it has not committed.
func (t *streamTask) dirty() bool {
	for i := range t.inputs {
		if t.inputs[i].next > t.inputs[i].committed {
			return true
		}
	}
	return false
}

// appendOffsets adds the task's uncommitted positions to a commit request.
func (t *streamTask) appendOffsets(into map[string]map[int32]kgo.EpochOffset) {
	for i := range t.inputs {
		in := &t.inputs[i]
		if in.next <= in.committed {
			continue
		}
		m := into[in.topic]
		if m == nil {
			m = map[int32]kgo.EpochOffset{}
			into[in.topic] = m
		}
		m[in.partition] = kgo.EpochOffset{Epoch: in.epoch, Offset: in.next}
	}
}

// markCommitted records that the positions in offsets are committed.
func (t *streamTask) markCommitted(offsets map[string]map[int32]kgo.EpochOffset) {
	for i := range t.inputs {
		in := &t.inputs[i]
		if eo, ok := offsets[in.topic][in.partition]; ok && eo.Offset > in.committed {
			in.committed = eo.Offset
		}
	}
}

func timeFromMillis(ms int64) time.Time { return time.UnixMilli(ms) }

// deserializationError marks an engine error as a failure to deserialize
// the input record (handled by the deserialization exception handler)
// rather than a processing failure.
type deserializationError struct{ err error }

func (e *deserializationError) Error() string { return e.err.Error() }
func (e *deserializationError) Unwrap() error { return e.err }

// serializationError marks an engine error as a sink failing to serialize
// an output record (handled by the production exception handler).
type serializationError struct {
	topic string
	err   error
}

func (e *serializationError) Error() string { return e.err.Error() }
func (e *serializationError) Unwrap() error { return e.err }
