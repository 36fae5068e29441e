package streams

import (
	"fmt"
	"maps"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// The DSL keeps tables and aggregates in timestamped key-value stores, as
// Kafka does: each value is stored with the timestamp of the record that
// last changed it.

// storeSpec is a resolved Materialized: what to build and how.
type storeSpec struct {
	name      string
	supplier  state.KeyValueBytesStoreSupplier
	logging   bool
	logConfig map[string]string
	caching   bool
}

// materialize resolves m for an operation; prefix is the generated name's
// prefix when m has no name (the caller generates it, since Kafka burns
// the index at a specific point).
func materializedSpec[K, V any](m Materialized[K, V], name string) storeSpec {
	spec := storeSpec{
		name:      name,
		logging:   !m.LoggingDisabled,
		logConfig: maps.Clone(m.LogConfig),
		caching:   !m.CachingDisabled,
	}
	switch {
	case m.StoreSupplier != nil:
		spec.supplier = m.StoreSupplier
		spec.name = m.StoreSupplier.Name()
	case m.StoreType == InMemoryStore:
		spec.supplier = state.InMemoryKeyValueStore(name)
	default:
		spec.supplier = persistentKeyValueStore(name)
	}
	return spec
}

// materializedName is the store name m gives, or "" (MaterializedInternal#storeName).
func materializedName[K, V any](m Materialized[K, V]) string {
	if m.StoreSupplier != nil {
		return m.StoreSupplier.Name()
	}
	return m.StoreName
}

// persistentKeyValueStore is the supplier of PersistentStore: package
// state's Pebble store, in the instance's one database.
func persistentKeyValueStore(name string) state.KeyValueBytesStoreSupplier {
	return state.PersistentKeyValueStore(name)
}

// tsStoreBuilder declares a DSL store: package state's timestamped
// key-value store (Kafka's changelog layout, record cache, Pebble or
// memory) behind the DSL's view of it.
type tsStoreBuilder[K, V any] struct {
	spec   storeSpec
	keys   serde.Serde[K]
	values serde.Serde[V]
}

func newTSStoreBuilder[K, V any](spec storeSpec, keys serde.Serde[K], values serde.Serde[V]) *tsStoreBuilder[K, V] {
	return &tsStoreBuilder[K, V]{spec: spec, keys: keys, values: values}
}

func (b *tsStoreBuilder[K, V]) Name() string                 { return b.spec.name }
func (b *tsStoreBuilder[K, V]) LoggingEnabled() bool         { return b.spec.logging }
func (b *tsStoreBuilder[K, V]) LogConfig() map[string]string { return maps.Clone(b.spec.logConfig) }
func (b *tsStoreBuilder[K, V]) CachingEnabled() bool         { return b.spec.caching }

func (b *tsStoreBuilder[K, V]) Build() (state.StateStore, error) {
	sb := state.TimestampedKeyValueStoreBuilder(b.spec.supplier, b.keys, b.values)
	if b.spec.logging {
		sb.WithLoggingEnabled(b.spec.logConfig)
	} else {
		sb.WithLoggingDisabled()
	}
	if b.spec.caching {
		sb.WithCachingEnabled()
	}
	st, err := sb.Build()
	if err != nil {
		return nil, err
	}
	inner, ok := st.(state.TimestampedKeyValueStore[K, V])
	if !ok {
		return nil, fmt.Errorf("store %q: the state package built a %T, not a timestamped key-value store", b.spec.name, st)
	}
	return newTimestampedKV(inner), nil
}

// timestampedKV is a DSL store as the task holds it: the DSL's processors
// read and write values with their timestamps; everyone else (interactive
// queries, streamstest.GetKeyValueStore) sees a plain
// state.KeyValueStore[K, V], like Kafka's facade over timestamped stores.
type timestampedKV[K, V any] struct {
	inner state.TimestampedKeyValueStore[K, V]
	// read is the processors' read: GetForUpdate, which lets their
	// following write update the cached entry in place, when the store
	// has it (package state's stores do).
	read func(K) (state.ValueAndTimestamp[V], bool, error)
}

func newTimestampedKV[K, V any](inner state.TimestampedKeyValueStore[K, V]) *timestampedKV[K, V] {
	s := &timestampedKV[K, V]{inner: inner, read: inner.Get}
	if u, ok := inner.(state.UpdatableKeyValueStore[K, state.ValueAndTimestamp[V]]); ok {
		s.read = u.GetForUpdate
	}
	return s
}

func (s *timestampedKV[K, V]) Name() string     { return s.inner.Name() }
func (s *timestampedKV[K, V]) Persistent() bool { return s.inner.Persistent() }
func (s *timestampedKV[K, V]) IsOpen() bool     { return s.inner.IsOpen() }
func (s *timestampedKV[K, V]) Flush() error     { return s.inner.Flush() }
func (s *timestampedKV[K, V]) Close() error     { return s.inner.Close() }
func (s *timestampedKV[K, V]) Init(ctx state.StateStoreContext, root state.StateStore) error {
	return s.inner.Init(ctx, root)
}

// Bytes is the byte store underneath; the state Manager binds its layers
// through it.
func (s *timestampedKV[K, V]) Bytes() state.KeyValueBytesStore { return s.inner.Bytes() }

// Timestamped is the store with the timestamps (Kafka's
// QueryableStoreTypes.timestampedKeyValueStore).
func (s *timestampedKV[K, V]) Timestamped() state.TimestampedKeyValueStore[K, V] { return s.inner }

// get returns the value under k with the timestamp of the record that
// last changed it. Any goroutine may call it (global stores are read by
// every stream thread).
func (s *timestampedKV[K, V]) get(k K) (v V, ts int64, ok bool, err error) {
	vt, ok, err := s.inner.Get(k)
	return vt.Value, vt.Timestamp, ok, err
}

// getForUpdate is get for a processor of the task that owns the store,
// about to write k: the write then updates the cached entry in place.
func (s *timestampedKV[K, V]) getForUpdate(k K) (v V, ts int64, ok bool, err error) {
	vt, ok, err := s.read(k)
	return vt.Value, vt.Timestamp, ok, err
}

// write stores v with timestamp ts, or deletes k when !present. With a
// record cache the write waits there for the next commit.
func (s *timestampedKV[K, V]) write(k K, v V, present bool, ts int64) error {
	if !present {
		_, _, err := s.inner.Delete(k)
		return err
	}
	return s.inner.Put(k, state.ValueAndTimestamp[V]{Value: v, Timestamp: ts})
}

// forwardOnFlush connects a DSL processor to its store, as Kafka's
// TimestampedTupleForwarder: with a record cache the store forwards each
// key's latest change when it flushes, and forwardOnFlush returns true so
// the processor does not forward; without one the processor forwards
// every change itself. A flushed change carries the new value's timestamp
// (or, for a delete, the deleting record's).
func forwardOnFlush[K, V any](s *timestampedKV[K, V], ctx topology.ProcessorContext[K, tableChange[V]], sendOld bool) bool {
	return state.SetKeyValueFlushListener(s.inner, sendOld, func(f state.CacheFlush[K, state.ValueAndTimestamp[V]]) error {
		c := tableChange[V]{newV: f.NewValue.Value, hasNew: f.HasNew, oldV: f.OldValue.Value, hasOld: f.HasOld, isLatest: true}
		ts := f.TimestampMs
		if f.HasNew {
			ts = f.NewValue.Timestamp
		}
		return ctx.Forward(topology.Record[K, tableChange[V]]{Key: f.Key, Value: c, Timestamp: ts})
	})
}

// state.KeyValueStore[K, V]: the plain view. Writes through it are the
// owning task's only, and carry timestamp 0, since they come from no
// record.

func (s *timestampedKV[K, V]) Get(k K) (V, bool, error) {
	v, _, ok, err := s.get(k)
	return v, ok, err
}

func (s *timestampedKV[K, V]) Put(k K, v V) error { return s.write(k, v, true, 0) }

func (s *timestampedKV[K, V]) PutIfAbsent(k K, v V) (V, bool, error) {
	old, ok, err := s.inner.PutIfAbsent(k, state.ValueAndTimestamp[V]{Value: v})
	return old.Value, ok, err
}

func (s *timestampedKV[K, V]) PutAll(entries []state.KeyValue[K, V]) error {
	for _, e := range entries {
		if err := s.Put(e.Key, e.Value); err != nil {
			return err
		}
	}
	return nil
}

func (s *timestampedKV[K, V]) Delete(k K) (V, bool, error) {
	old, ok, err := s.inner.Delete(k)
	return old.Value, ok, err
}

func (s *timestampedKV[K, V]) Range(from, to K) (state.KeyValueIterator[K, V], error) {
	return plainIter(s.inner.Range(from, to))
}

func (s *timestampedKV[K, V]) ReverseRange(from, to K) (state.KeyValueIterator[K, V], error) {
	return plainIter(s.inner.ReverseRange(from, to))
}

func (s *timestampedKV[K, V]) All() (state.KeyValueIterator[K, V], error) {
	return plainIter(s.inner.All())
}

func (s *timestampedKV[K, V]) ReverseAll() (state.KeyValueIterator[K, V], error) {
	return plainIter(s.inner.ReverseAll())
}

func (s *timestampedKV[K, V]) PrefixScan(prefix K) (state.KeyValueIterator[K, V], error) {
	return plainIter(s.inner.PrefixScan(prefix))
}

func (s *timestampedKV[K, V]) ApproximateNumEntries() (int64, error) {
	return s.inner.ApproximateNumEntries()
}

func plainIter[K, V any](it state.KeyValueIterator[K, state.ValueAndTimestamp[V]], err error) (state.KeyValueIterator[K, V], error) {
	if err != nil {
		return nil, err
	}
	return tsIterator[K, V]{it}, nil
}

// tsIterator strips the timestamps.
type tsIterator[K, V any] struct {
	state.KeyValueIterator[K, state.ValueAndTimestamp[V]]
}

func (t tsIterator[K, V]) Value() V { return t.KeyValueIterator.Value().Value }

// lookupTSStore finds a DSL store from a processor's context.
func lookupTSStore[K, V any](g state.StoreGetter, name string) (*timestampedKV[K, V], error) {
	s, err := g.GetStateStore(name)
	if err != nil {
		return nil, err
	}
	ts, ok := s.(*timestampedKV[K, V])
	if !ok {
		var k K
		var v V
		return nil, fmt.Errorf("store %q is a %T, not the DSL's timestamped store of (%T, %T)", name, s, any(k), any(v))
	}
	return ts, nil
}
