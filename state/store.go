package state

import (
	"errors"
	"fmt"
	"log/slog"
)

// TaskID names a task: one partition of one sub-topology. Its String form is
// Kafka's "<subtopology>_<partition>", e.g. "0_0".
type TaskID struct {
	Subtopology int
	Partition   int32
}

func (id TaskID) String() string { return fmt.Sprintf("%d_%d", id.Subtopology, id.Partition) }

// StateStore is what every store implements, whatever its data model.
type StateStore interface {
	// Name is the store's name, unique within a topology.
	Name() string
	// Init opens the store for one task. root is the outermost store of the
	// layered stack (the one processors see); a store registers root, not
	// itself, with ctx so restoration goes through the full stack.
	Init(ctx StateStoreContext, root StateStore) error
	// Flush makes buffered writes durable (or visible downstream).
	Flush() error
	// Close releases the store; it can not be used afterwards.
	Close() error
	// Persistent reports whether the store keeps its data on local disk.
	Persistent() bool
	// IsOpen reports whether Init has run and Close has not.
	IsOpen() bool
}

// ChangelogRecord is one record read back from a store's changelog topic.
// A nil Value is a deletion.
type ChangelogRecord struct {
	Key, Value  []byte
	Offset      int64
	TimestampMs int64
}

// RestoreCallback applies a batch of changelog records to a store during
// restoration, in offset order.
type RestoreCallback func(batch []ChangelogRecord) error

// StateStoreContext is what a task gives its stores at Init.
type StateStoreContext interface {
	ApplicationID() string
	TaskID() TaskID
	// StateDir is the task's own directory (<state.dir>/<application.id>/<task>).
	// It is not created for the store; persistent stores create it.
	StateDir() string
	// Register announces a store (the root of its stack) and how to restore
	// it from its changelog.
	Register(store StateStore, restore RestoreCallback) error
	// ChangelogTopic is the full name of the store's changelog topic, or ""
	// when logging is disabled for it.
	ChangelogTopic(storeName string) string
	// LogChange writes one change (nil value = delete) to the store's
	// changelog, on the task's partition, stamped with the timestamp of the
	// record being processed.
	LogChange(storeName string, key, value []byte) error
	Logger() *slog.Logger
}

// StoreGetter is the part of a processor context that hands out stores.
type StoreGetter interface {
	GetStateStore(name string) (StateStore, error)
}

// ErrStoreClosed is returned by operations on a store that is not open.
var ErrStoreClosed = errors.New("state store is not open")

// closedError names the store in an ErrStoreClosed.
func closedError(name string) error {
	return fmt.Errorf("store %q: %w", name, ErrStoreClosed)
}

// RecordContext is implemented by a StateStoreContext that knows the
// record being processed. Stores use it to stamp cache entries and
// changelog records with the record's timestamp.
type RecordContext interface {
	// RecordTimestamp is the timestamp of the record being processed, or
	// -1 outside of processing.
	RecordTimestamp() int64
}

// TimestampedChangeLogger is implemented by a StateStoreContext that can
// log a change with an explicit record timestamp. Timestamped stores log
// the value's own timestamp, as Kafka does, so the changelog holds plain
// values and restoration rebuilds the timestamp from the record.
type TimestampedChangeLogger interface {
	LogChangeAt(storeName string, key, value []byte, timestampMs int64) error
}

// CopyingChangeLogger is implemented by a StateStoreContext that can say
// whether LogChange and LogChangeAt copy key and value before they
// return. When they do, logging layers log the bytes they were given
// instead of copies of them.
type CopyingChangeLogger interface {
	ChangeLogCopies() bool
}

// changeLogCopies reports whether ctx's change logging copies.
func changeLogCopies(ctx StateStoreContext) bool {
	cl, ok := ctx.(CopyingChangeLogger)
	return ok && cl.ChangeLogCopies()
}

// recordTimestamp is ctx's record timestamp, or -1.
func recordTimestamp(ctx StateStoreContext) int64 {
	if rc, ok := ctx.(RecordContext); ok {
		return rc.RecordTimestamp()
	}
	return -1
}

// logChangeAt logs with an explicit timestamp when ctx can, and with the
// context's own timestamp otherwise.
func logChangeAt(ctx StateStoreContext, store string, key, value []byte, ts int64) error {
	if tl, ok := ctx.(TimestampedChangeLogger); ok && ts >= 0 {
		return tl.LogChangeAt(store, key, value, ts)
	}
	return ctx.LogChange(store, key, value)
}

// innerStoreOf is implemented by store layers that wrap another store;
// Manager.BuildStore walks the layers to bind the persistent ones.
type innerStoreOf interface {
	innerStore() StateStore
}

// managerBinder is implemented by layers that take resources from the
// Manager (persistent stores: the database; caching layers: the budget).
type managerBinder interface {
	bindManager(m *Manager, task TaskID)
}

// contextWrapper lets a layer change what the layers under it see of the
// task's context while keeping the optional interfaces working.
type contextWrapper struct {
	StateStoreContext
	register func(store StateStore, restore RestoreCallback) error // nil: pass through
	ts       func() int64                                          // nil: pass through
}

func (c *contextWrapper) Register(store StateStore, restore RestoreCallback) error {
	if c.register != nil {
		return c.register(store, restore)
	}
	return c.StateStoreContext.Register(store, restore)
}

func (c *contextWrapper) RecordTimestamp() int64 {
	if c.ts != nil {
		return c.ts()
	}
	return recordTimestamp(c.StateStoreContext)
}

func (c *contextWrapper) ChangeLogCopies() bool { return changeLogCopies(c.StateStoreContext) }

func (c *contextWrapper) LogChangeAt(storeName string, key, value []byte, ts int64) error {
	return logChangeAt(c.StateStoreContext, storeName, key, value, ts)
}

// LogChange stamps the change with RecordTimestamp, so a caching layer
// flushing an entry logs it with the timestamp of the update it holds.
func (c *contextWrapper) LogChange(storeName string, key, value []byte) error {
	if c.ts != nil {
		return logChangeAt(c.StateStoreContext, storeName, key, value, c.ts())
	}
	return c.StateStoreContext.LogChange(storeName, key, value)
}
