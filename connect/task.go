package connect

import (
	"context"
	"log/slog"
	"time"
)

// SourceTask pulls records from an external system.
//
// Lifecycle: Start, then Poll repeatedly from one goroutine until the task is
// stopped (ctx passed to Poll is cancelled, and Poll should then return
// promptly), then Stop once after the last Poll returned. Optional methods
// are declared by SourceTaskCommitter and SourceRecordCommitter.
type SourceTask interface {
	Version() string
	// Start begins the task with the configuration its connector generated.
	Start(ctx context.Context, tctx SourceTaskContext, config map[string]string) error
	// Poll returns the next records, or none if there is nothing yet. It
	// should block briefly (at most about a second) rather than return
	// empty-handed in a tight loop, and return when ctx is done.
	Poll(ctx context.Context) ([]SourceRecord, error)
	// Stop releases resources; it is never called concurrently with Poll.
	Stop() error
}

// SourceTaskCommitter is implemented by tasks that want to know when the
// runtime has committed offsets (for example to acknowledge messages in
// the source system). Commit runs after each successful offset flush.
type SourceTaskCommitter interface {
	Commit(ctx context.Context) error
}

// SourceRecordCommitter is implemented by tasks that want a callback per
// record once Kafka acknowledged it. md is nil when the record was dropped
// by a transformation or tolerated as an error. It may be called from a
// goroutine other than Poll's, concurrently with Poll.
type SourceRecordCommitter interface {
	CommitRecord(rec *SourceRecord, md *RecordMetadata) error
}

// SinkTask writes records from Kafka to an external system.
//
// Lifecycle: Start, then (Open, Put*, Flush/PreCommit, Close)* as
// partitions are assigned and revoked, then Stop. All calls come from one
// goroutine at a time. Open and Close are optional (SinkPartitionListener),
// as is PreCommit (SinkPreCommitter).
type SinkTask interface {
	Version() string
	Start(ctx context.Context, tctx SinkTaskContext, config map[string]string) error
	// Put delivers records. Returning an error wrapped with Retriable makes
	// the runtime redeliver the same batch after the delay set with
	// SinkTaskContext.Timeout; any other error fails the task.
	Put(ctx context.Context, records []SinkRecord) error
	// Flush makes everything Put so far durable; offsets are the next
	// offsets to consume per partition. The runtime commits them afterwards.
	Flush(ctx context.Context, offsets map[TopicPartition]OffsetAndMetadata) error
	Stop() error
}

// SinkPartitionListener is implemented by sink tasks that keep per-partition
// state (writers, transactions).
type SinkPartitionListener interface {
	// Open is called when partitions are assigned to the task.
	Open(ctx context.Context, partitions []TopicPartition) error
	// Close is called when partitions are revoked, after a final flush.
	Close(ctx context.Context, partitions []TopicPartition) error
}

// SinkPreCommitter replaces the default commit step (Flush, then commit the
// consumed offsets): it returns the offsets that are safe to commit, which
// may trail the ones passed in. Returning an empty map commits nothing.
type SinkPreCommitter interface {
	PreCommit(ctx context.Context, offsets map[TopicPartition]OffsetAndMetadata) (map[TopicPartition]OffsetAndMetadata, error)
}

// OffsetStorageReader reads the committed offsets of a source connector.
type OffsetStorageReader interface {
	// Offset returns the offset stored for partition, or nil if none.
	Offset(ctx context.Context, partition map[string]any) (map[string]any, error)
	// Offsets returns the offsets for several partitions, index-aligned with
	// partitions (nil where none is stored).
	Offsets(ctx context.Context, partitions []map[string]any) ([]map[string]any, error)
}

// SourceTaskContext is the runtime's side of a source task.
type SourceTaskContext interface {
	// OffsetStorageReader reads this connector's committed offsets, usually
	// in Start, to resume where a previous run stopped.
	OffsetStorageReader() OffsetStorageReader
	Logger() *slog.Logger
}

// SinkTaskContext is the runtime's side of a sink task. Its methods may be
// called from Start, Put, Flush, Open and Close.
type SinkTaskContext interface {
	// Offset rewinds (or skips) consumption of partitions to the given next
	// offsets, for tasks that store offsets in the sink system.
	Offset(offsets map[TopicPartition]int64)
	// Timeout sets how long to wait before redelivering a batch whose Put
	// failed with a retriable error.
	Timeout(d time.Duration)
	// Assignment lists the partitions currently assigned to the task.
	Assignment() []TopicPartition
	// Pause stops fetching from partitions until Resume.
	Pause(partitions ...TopicPartition)
	Resume(partitions ...TopicPartition)
	// RequestCommit asks for an offset commit as soon as possible.
	RequestCommit()
	// ErrantRecordReporter reports records the task could not write, for
	// the dead letter queue and error log; nil if the connector has no
	// error reporting configured (errors.tolerance=none, no DLQ, no log).
	ErrantRecordReporter() ErrantRecordReporter
	Logger() *slog.Logger
}

// ErrantRecordReporter sends a bad record to the connector's error handling
// (log and dead letter queue, as configured). It returns an error when the
// error is not tolerated (errors.tolerance=none): the task should then fail
// by returning it from Put.
type ErrantRecordReporter interface {
	Report(ctx context.Context, rec *SinkRecord, err error) error
}
