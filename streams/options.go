package streams

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// Option is an optional argument of a DSL operation: Named, Produced,
// Grouped, Materialized, Joined, Repartitioned or Branched. Each
// operation says which ones it takes; any other is reported by Build,
// naming the operation.
type Option interface{ dslOption() }

// Named names the processor an operation adds (Kafka's Named). Names must
// be unique and use only ASCII letters, digits, '.', '_' and '-'.
type Named string

func (Named) dslOption() {}

// Consumed says how a source reads its topics (Kafka's Consumed). Nil
// serdes fall back to the builder's defaults (DefaultSerde) and the
// built-in serdes.
type Consumed[K, V any] struct {
	// Name names the source node (tables: "<Name>-source" for the source
	// and Name for the table processor).
	Name       string
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	// TimestampExtractor defaults to the record timestamp (failing on
	// negative ones).
	TimestampExtractor topology.TimestampExtractor[K, V]
	// OffsetReset overrides auto.offset.reset for these topics.
	OffsetReset topology.OffsetReset
}

// ConsumedWith is Consumed with serdes; it lets Go infer K and V.
func ConsumedWith[K, V any](keySerde serde.Serde[K], valueSerde serde.Serde[V]) Consumed[K, V] {
	return Consumed[K, V]{KeySerde: keySerde, ValueSerde: valueSerde}
}

// Produced says how To writes records (Kafka's Produced). Nil serdes fall
// back to the stream's serdes, then to the defaults.
type Produced[K, V any] struct {
	Name        string
	KeySerde    serde.Serde[K]
	ValueSerde  serde.Serde[V]
	Partitioner topology.StreamPartitioner[K, V]
}

func (Produced[K, V]) dslOption() {}

// ProducedWith is Produced with serdes; it lets Go infer K and V.
func ProducedWith[K, V any](keySerde serde.Serde[K], valueSerde serde.Serde[V]) Produced[K, V] {
	return Produced[K, V]{KeySerde: keySerde, ValueSerde: valueSerde}
}

// Grouped configures the repartition topic of a grouping (Kafka's
// Grouped): Name names it "<Name>-repartition" (and the key-selecting
// processor of GroupBy); the serdes write it.
type Grouped[K, V any] struct {
	Name       string
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
}

func (Grouped[K, V]) dslOption() {}

// Repartitioned configures Repartition (Kafka's Repartitioned).
// NumPartitions 0 means as many partitions as the topics feeding it.
type Repartitioned[K, V any] struct {
	Name          string
	KeySerde      serde.Serde[K]
	ValueSerde    serde.Serde[V]
	NumPartitions int32
	Partitioner   topology.StreamPartitioner[K, V]
}

func (Repartitioned[K, V]) dslOption() {}

// StoreType picks the store implementation of a Materialized.
type StoreType uint8

const (
	// PersistentStore keeps the data on local disk (Kafka's ROCKS_DB); the
	// default.
	PersistentStore StoreType = iota
	// InMemoryStore keeps it in memory, restored from the changelog.
	InMemoryStore
)

// Materialized configures the state store of an aggregation or table
// (Kafka's Materialized). The zero value is Kafka's default: a generated
// store name, persistent, change-logged and cached. A table operation
// (Filter, MapValues) only gets a store when StoreName (or StoreSupplier)
// is given, as in Kafka.
type Materialized[K, V any] struct {
	// StoreName names the store, which makes it queryable; it also names
	// the changelog "<application.id>-<StoreName>-changelog" and, for
	// aggregations, the repartition topic "<StoreName>-repartition".
	StoreName  string
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	StoreType  StoreType
	// StoreSupplier overrides StoreType; its name is the store's name.
	StoreSupplier state.KeyValueBytesStoreSupplier
	// LoggingDisabled turns the changelog off.
	LoggingDisabled bool
	// LogConfig holds topic configs for the changelog.
	LogConfig map[string]string
	// CachingDisabled turns the record cache off.
	CachingDisabled bool
}

func (Materialized[K, V]) dslOption() {}

// Joined configures a stream-table join (Kafka's Joined): Name names the
// join processor and, when the stream must be repartitioned first, the
// topic "<Name>-repartition".
type Joined[K, V, VT any] struct {
	Name            string
	KeySerde        serde.Serde[K]
	ValueSerde      serde.Serde[V]
	OtherValueSerde serde.Serde[VT]
}

func (Joined[K, V, VT]) dslOption() {}

// Branched configures one branch of Split (Kafka's Branched). The branch
// is named "<split name><Name>" (default: its 1-based position, or 0 for
// the default branch). Chain, if set, is applied to the branch stream and
// its result is what the branch map holds (nil: the branch is left out).
type Branched[K, V any] struct {
	Name  string
	Chain func(*KStream[K, V]) *KStream[K, V]
}

func (Branched[K, V]) dslOption() {}

// optSet hands out the options of one operation and reports the ones it
// did not take.
type optSet struct {
	op   string
	opts []Option
	used []bool
	b    *Builder
}

func (b *Builder) options(op string, opts []Option) *optSet {
	return &optSet{op: op, opts: opts, used: make([]bool, len(opts)), b: b}
}

// take returns the option of type T, if given; giving it twice is an
// error.
func take[T Option](o *optSet) (T, bool) {
	var out T
	found := false
	for i, opt := range o.opts {
		v, ok := opt.(T)
		if !ok {
			continue
		}
		if found {
			o.b.fail("%s: %s is given more than once", o.op, optionName(opt))
		}
		out, found = v, true
		o.used[i] = true
	}
	return out, found
}

// name is the Named option, or "" for a generated name.
func (o *optSet) name() string {
	n, _ := take[Named](o)
	o.b.checkName(o.op, "name", string(n))
	return string(n)
}

// done reports every option the operation did not take: a wrong kind, or
// a Materialized/Grouped/... whose types differ from the operation's.
func (o *optSet) done(want ...string) {
	for i, opt := range o.opts {
		if o.used[i] {
			continue
		}
		if opt == nil {
			o.b.fail("%s: an option is nil", o.op)
			continue
		}
		o.b.fail("%s: option %s does not apply (takes %s)", o.op, optionName(opt), strings.Join(want, ", "))
	}
}

func optionName(o Option) string {
	if o == nil {
		return "<nil>"
	}
	return reflect.TypeOf(o).String()
}

// optName names a generic option type for messages, e.g.
// "streams.Materialized[string,int64]".
func optName[T any]() string { return reflect.TypeFor[T]().String() }

// resolveSerde picks the first non-nil candidate, else the builder's
// default for T, else a built-in serde for T.
func resolveSerde[T any](b *Builder, op, what string, candidates ...serde.Serde[T]) (serde.Serde[T], error) {
	for _, c := range candidates {
		if c != nil {
			return c, nil
		}
	}
	if s, ok := b.serdes[reflect.TypeFor[T]()]; ok {
		return s.(serde.Serde[T]), nil
	}
	if s, ok := builtinSerde[T](); ok {
		return s, nil
	}
	return nil, fmt.Errorf("%s: no %s serde for type %v: give one in the operation's options or register a default with streams.DefaultSerde", op, what, reflect.TypeFor[T]())
}

// builtinSerde is the serde package's serde for T's exact type.
func builtinSerde[T any]() (serde.Serde[T], bool) {
	var s any
	switch reflect.TypeFor[T]() {
	case reflect.TypeFor[string]():
		s = serde.String()
	case reflect.TypeFor[[]byte]():
		s = serde.Bytes()
	case reflect.TypeFor[int64]():
		s = serde.Int64()
	case reflect.TypeFor[int32]():
		s = serde.Int32()
	case reflect.TypeFor[int16]():
		s = serde.Int16()
	case reflect.TypeFor[float64]():
		s = serde.Float64()
	case reflect.TypeFor[float32]():
		s = serde.Float32()
	case reflect.TypeFor[bool]():
		s = serde.Bool()
	default:
		return nil, false
	}
	return s.(serde.Serde[T]), true
}
