package topology

import (
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/runnel-dev/runnel/state"
)

// TaskID names a task: one partition of one sub-topology ("0_1").
type TaskID = state.TaskID

// Processor is a node of the Processor API. A new instance is made for every
// task; one goroutine drives it, so it needs no locking.
type Processor[KIn, VIn, KOut, VOut any] interface {
	// Init is called once before the first record, after the task's
	// stores are open and restored. Keep ctx for Forward, Schedule and
	// store lookups.
	Init(ctx ProcessorContext[KOut, VOut]) error
	// Process handles one record. An error stops the task.
	Process(rec Record[KIn, VIn]) error
	// Close is called once when the task closes.
	Close() error
}

// ProcessorContext is a processor's view of its task.
type ProcessorContext[KOut, VOut any] interface {
	ApplicationID() string
	TaskID() TaskID
	// RecordMetadata is the topic, partition and offset of the input
	// record being processed; ok is false while punctuating.
	RecordMetadata() (meta RecordMetadata, ok bool)
	// Forward sends rec to every child, depth first, in the order the
	// children were added.
	Forward(rec Record[KOut, VOut]) error
	// ForwardTo sends rec to the named child only.
	ForwardTo(rec Record[KOut, VOut], child string) error
	// Schedule registers a punctuator. StreamTime punctuators fire when
	// stream time reaches the next multiple of interval (aligned to 0),
	// once per advance however far it jumps; WallClockTime ones fire every
	// interval of wall-clock time, starting one interval from now.
	Schedule(interval time.Duration, typ PunctuationType, fn Punctuator) (Cancellable, error)
	// GetStateStore returns a store connected to this processor (or a
	// global store). Use state.GetKeyValueStore for a typed store.
	GetStateStore(name string) (state.StateStore, error)
	// Commit asks the runtime to commit the task soon.
	Commit()
	// CurrentStreamTimeMs is the task's stream time: the largest record
	// timestamp seen so far, -1 before the first record.
	CurrentStreamTimeMs() int64
	// CurrentSystemTimeMs is the wall clock, in milliseconds.
	CurrentSystemTimeMs() int64
	// StateDir is the task's state directory.
	StateDir() string
	Logger() *slog.Logger
}

// PunctuationType selects the clock a punctuator follows.
type PunctuationType uint8

const (
	// StreamTime follows the largest record timestamp seen by the task.
	StreamTime PunctuationType = iota + 1
	// WallClockTime follows the system clock.
	WallClockTime
)

func (p PunctuationType) String() string {
	switch p {
	case StreamTime:
		return "STREAM_TIME"
	case WallClockTime:
		return "WALL_CLOCK_TIME"
	}
	return fmt.Sprintf("PunctuationType(%d)", uint8(p))
}

// Punctuator is called with the punctuation time: the stream time or wall
// clock, in milliseconds, that made it due.
type Punctuator func(timestampMs int64) error

// Cancellable cancels a scheduled punctuator. Cancel may be called from the
// punctuator itself; call it only from the task's goroutine.
type Cancellable interface {
	Cancel()
}

// ProcessorSupplier makes the processor of a node, once per task. Build one
// with Supply or ProcessFunc.
type ProcessorSupplier interface {
	supplier() *supplierInfo
}

type supplierInfo struct {
	inK, inV, outK, outV reflect.Type
	stores               []state.StoreBuilder
	newNode              func(def *nodeDef) instance
}

func (s *supplierInfo) supplier() *supplierInfo { return s }

// Supply wraps a constructor of processors. stores are store builders the
// processor uses; they are added to the topology and connected to it (like
// Kafka's ConnectedStoreProvider).
func Supply[KIn, VIn, KOut, VOut any](newProcessor func() Processor[KIn, VIn, KOut, VOut], stores ...state.StoreBuilder) ProcessorSupplier {
	info := &supplierInfo{
		inK: reflect.TypeFor[KIn](), inV: reflect.TypeFor[VIn](),
		outK: reflect.TypeFor[KOut](), outV: reflect.TypeFor[VOut](),
		stores: stores,
	}
	if newProcessor != nil {
		info.newNode = func(def *nodeDef) instance {
			return &procNode[KIn, VIn, KOut, VOut]{d: def, newProc: newProcessor}
		}
	}
	return info
}

// ProcessFunc makes a stateless processor from a function.
func ProcessFunc[KIn, VIn, KOut, VOut any](fn func(ctx ProcessorContext[KOut, VOut], rec Record[KIn, VIn]) error) ProcessorSupplier {
	if fn == nil {
		return Supply[KIn, VIn, KOut, VOut](nil)
	}
	return Supply(func() Processor[KIn, VIn, KOut, VOut] { return &funcProcessor[KIn, VIn, KOut, VOut]{fn: fn} })
}

type funcProcessor[KIn, VIn, KOut, VOut any] struct {
	ctx ProcessorContext[KOut, VOut]
	fn  func(ProcessorContext[KOut, VOut], Record[KIn, VIn]) error
}

func (p *funcProcessor[KIn, VIn, KOut, VOut]) Init(ctx ProcessorContext[KOut, VOut]) error {
	p.ctx = ctx
	return nil
}
func (p *funcProcessor[KIn, VIn, KOut, VOut]) Process(rec Record[KIn, VIn]) error {
	return p.fn(p.ctx, rec)
}
func (p *funcProcessor[KIn, VIn, KOut, VOut]) Close() error { return nil }
