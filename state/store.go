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
