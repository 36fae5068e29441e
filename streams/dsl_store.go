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
// last changed it (Kafka's ValueAndTimestamp layout, see
// appendTimestamped). The store a task holds is a timestampedKV; to
// everyone else (interactive queries, streamstest.GetKeyValueStore) it is
// a plain state.KeyValueStore[K, V], like Kafka's facade over timestamped
// stores.

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

// persistentKeyValueStore is the supplier of PersistentStore.
//
// Package state has no on-disk key-value store yet, so this is the
// in-memory store (restored from the changelog on restart). Switch to the
// Pebble store when it lands; nothing else in the DSL changes.
func persistentKeyValueStore(name string) state.KeyValueBytesStoreSupplier {
	return state.InMemoryKeyValueStore(name)
}

// tsStoreBuilder declares a DSL store.
type tsStoreBuilder[K, V any] struct {
	spec       storeSpec
	keys       serde.Serde[K]
	values     serde.Serde[V]
	cacheBytes int64
}

func newTSStoreBuilder[K, V any](spec storeSpec, keys serde.Serde[K], values serde.Serde[V]) *tsStoreBuilder[K, V] {
	return &tsStoreBuilder[K, V]{spec: spec, keys: keys, values: values, cacheBytes: DefaultStateStoreCacheBytes}
}

func (b *tsStoreBuilder[K, V]) Name() string                 { return b.spec.name }
func (b *tsStoreBuilder[K, V]) LoggingEnabled() bool         { return b.spec.logging }
func (b *tsStoreBuilder[K, V]) LogConfig() map[string]string { return maps.Clone(b.spec.logConfig) }
func (b *tsStoreBuilder[K, V]) CachingEnabled() bool         { return b.spec.caching }

func (b *tsStoreBuilder[K, V]) Build() (state.StateStore, error) {
	base := state.KeyValueStoreBuilder(b.spec.supplier, serde.Bytes(), serde.Bytes())
	if b.spec.logging {
		base.WithLoggingEnabled(b.spec.logConfig)
	} else {
		base.WithLoggingDisabled()
	}
	st, err := base.Build()
	if err != nil {
		return nil, err
	}
	typed, ok := st.(state.KeyValueStore[[]byte, []byte])
	if !ok {
		return nil, fmt.Errorf("store %q: the state package built a %T, not a byte key-value store", b.spec.name, st)
	}
	s := &timestampedKV[K, V]{base: typed, bytes: typed.Bytes(), keys: b.keys, values: b.values}
	if b.spec.caching && b.cacheBytes > 0 {
		s.cache = newRecordCache[K, V](b.cacheBytes)
	}
	return s, nil
}

// timestampedKV is a DSL store: timestamped access for the DSL's
// processors, and state.KeyValueStore[K, V] for everyone else.
type timestampedKV[K, V any] struct {
	base   state.KeyValueStore[[]byte, []byte] // owns Init/Flush/Close
	bytes  state.KeyValueBytesStore            // base's (logged) byte store
	keys   serde.Serde[K]
	values serde.Serde[V]
	topic  string // changelog topic, passed to serdes as Kafka does
	buf    []byte // scratch for put: the byte store does not keep its arguments

	cache    *recordCache[K, V] // nil: caching disabled
	listener flushListener[K, V]
	sendOld  bool
}

// flushListener receives what a cache flush writes: the key, the change
// (the old value is the store's, when sendOld) and the record's timestamp
// and headers.
type flushListener[K, V any] func(key K, c tableChange[V], ts int64, headers topology.Headers) error

// setFlushListener makes cache flushes forward through fn and reports
// whether the store caches; without a cache the processor forwards itself
// (Kafka's TimestampedTupleForwarder).
func (s *timestampedKV[K, V]) setFlushListener(fn flushListener[K, V], sendOld bool) bool {
	s.listener, s.sendOld = fn, sendOld
	return s.cache != nil
}

func (s *timestampedKV[K, V]) Name() string     { return s.base.Name() }
func (s *timestampedKV[K, V]) Persistent() bool { return s.base.Persistent() }
func (s *timestampedKV[K, V]) IsOpen() bool     { return s.base.IsOpen() }

func (s *timestampedKV[K, V]) Flush() error {
	if s.cache != nil {
		if err := s.flushCache(); err != nil {
			return err
		}
	}
	return s.base.Flush()
}

// Close drops what the cache still holds: a clean close flushed it
// before, and after a failure it must not reach downstream.
func (s *timestampedKV[K, V]) Close() error {
	if s.cache != nil {
		s.cache.clear()
	}
	return s.base.Close()
}

// flushCache writes the cache's dirty entries to the store, in the order
// they were last written, and forwards each change (Kafka's
// CachingKeyValueStore#putAndMaybeForward).
func (s *timestampedKV[K, V]) flushCache() error {
	keys, entries := s.cache.drainDirty()
	var deleted []string
	for i := range entries {
		e := &entries[i]
		kb := []byte(keys[i])
		var old V
		hasOld := false
		if !e.present || s.sendOld {
			var err error
			if old, _, hasOld, err = s.getStored(kb); err != nil {
				return err
			}
		}
		if !e.present {
			deleted = append(deleted, keys[i])
			if !hasOld {
				continue // never stored: nothing to delete or forward
			}
		}
		if err := s.writeStore(kb, e.value, e.present, e.ts); err != nil {
			return err
		}
		if s.listener != nil {
			c := tableChange[V]{newV: e.value, hasNew: e.present, isLatest: true}
			if s.sendOld {
				c.oldV, c.hasOld = old, hasOld
			}
			if err := s.listener(e.key, c, e.ts, e.headers); err != nil {
				return err
			}
		}
	}
	s.cache.forgetDeleted(deleted)
	return nil
}

func (s *timestampedKV[K, V]) Init(ctx state.StateStoreContext, root state.StateStore) error {
	if ctx != nil {
		s.topic = ctx.ChangelogTopic(s.base.Name())
	}
	return s.base.Init(ctx, root)
}

// keyBytes serializes a key once for a get-then-put.
func (s *timestampedKV[K, V]) keyBytes(k K) ([]byte, error) {
	b, err := s.keys.Serialize(s.topic, k)
	if err != nil {
		return nil, fmt.Errorf("store %q: key: %w", s.Name(), err)
	}
	return b, nil
}

// getTS returns the value and timestamp under kb, from the cache first.
// Only the owning task may call it.
func (s *timestampedKV[K, V]) getTS(kb []byte) (v V, ts int64, ok bool, err error) {
	if s.cache != nil {
		if e, hit := s.cache.get(kb); hit {
			return e.value, e.ts, e.present, nil
		}
	}
	return s.getStored(kb)
}

// getStored reads the store under the cache.
func (s *timestampedKV[K, V]) getStored(kb []byte) (v V, ts int64, ok bool, err error) {
	raw, err := s.bytes.Get(kb)
	if err != nil || raw == nil {
		return v, 0, false, err
	}
	ts, vb, err := splitTimestamped(raw)
	if err != nil {
		return v, 0, false, fmt.Errorf("store %q: %w", s.Name(), err)
	}
	if v, err = s.values.Deserialize(s.topic, vb); err != nil {
		return v, 0, false, fmt.Errorf("store %q: value: %w", s.Name(), err)
	}
	return v, ts, true, nil
}

// write stores v (or, when !present, deletes the key) with timestamp ts;
// with a cache the write waits there for the next flush. headers go
// downstream with the flushed change.
func (s *timestampedKV[K, V]) write(kb []byte, k K, v V, present bool, ts int64, headers topology.Headers) error {
	if s.cache == nil {
		return s.writeStore(kb, v, present, ts)
	}
	if s.cache.put(kb, k, v, present, ts, headers) {
		// over budget: flush now (forwarding, as Kafka's eviction does)
		if err := s.flushCache(); err != nil {
			return err
		}
		s.cache.dropClean()
	}
	return nil
}

// writeStore writes under the cache.
func (s *timestampedKV[K, V]) writeStore(kb []byte, v V, present bool, ts int64) error {
	if !present {
		_, err := s.bytes.Delete(kb)
		return err
	}
	vb, err := s.values.Serialize(s.topic, v)
	if err != nil {
		return fmt.Errorf("store %q: value: %w", s.Name(), err)
	}
	s.buf = appendTimestamped(s.buf[:0], ts, vb)
	return s.bytes.Put(kb, s.buf)
}

// get is getTS by typed key.
func (s *timestampedKV[K, V]) get(k K) (V, int64, bool, error) {
	kb, err := s.keyBytes(k)
	if err != nil {
		var zero V
		return zero, 0, false, err
	}
	return s.getTS(kb)
}

// state.KeyValueStore[K, V]: the plain view, for interactive queries
// (which may read from any goroutine) and tests. Writes through it are
// the owning task's only, and carry timestamp 0, since they do not come
// from a record.

func (s *timestampedKV[K, V]) Bytes() state.KeyValueBytesStore { return s.bytes }

func (s *timestampedKV[K, V]) Get(k K) (V, bool, error) {
	kb, err := s.keyBytes(k)
	if err != nil {
		var zero V
		return zero, false, err
	}
	if s.cache != nil {
		if v, present, hit := s.cache.getShared(kb); hit {
			return v, present, nil
		}
	}
	v, _, ok, err := s.getStored(kb)
	return v, ok, err
}

func (s *timestampedKV[K, V]) Put(k K, v V) error {
	kb, err := s.keyBytes(k)
	if err != nil {
		return err
	}
	return s.write(kb, k, v, true, 0, nil)
}

func (s *timestampedKV[K, V]) PutIfAbsent(k K, v V) (V, bool, error) {
	kb, err := s.keyBytes(k)
	if err != nil {
		var zero V
		return zero, false, err
	}
	old, _, ok, err := s.getTS(kb)
	if err != nil || ok {
		return old, ok, err
	}
	return old, false, s.write(kb, k, v, true, 0, nil)
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
	kb, err := s.keyBytes(k)
	if err != nil {
		var zero V
		return zero, false, err
	}
	old, _, ok, err := s.getTS(kb)
	if err != nil {
		return old, ok, err
	}
	var zero V
	return old, ok, s.write(kb, k, zero, false, 0, nil)
}

func (s *timestampedKV[K, V]) Range(from, to K) (state.KeyValueIterator[K, V], error) {
	return s.rangeOf(from, to, s.bytes.Range, false)
}

func (s *timestampedKV[K, V]) ReverseRange(from, to K) (state.KeyValueIterator[K, V], error) {
	return s.rangeOf(from, to, s.bytes.ReverseRange, true)
}

func (s *timestampedKV[K, V]) rangeOf(from, to K, open func(from, to []byte) (state.KeyValueIterator[[]byte, []byte], error), reverse bool) (state.KeyValueIterator[K, V], error) {
	fb, err := s.keyBytes(from)
	if err != nil {
		return nil, err
	}
	tb, err := s.keyBytes(to)
	if err != nil {
		return nil, err
	}
	it, err := open(fb, tb)
	return s.wrap(it, err, fb, tb, nil, reverse)
}

func (s *timestampedKV[K, V]) All() (state.KeyValueIterator[K, V], error) {
	it, err := s.bytes.All()
	return s.wrap(it, err, nil, nil, nil, false)
}

func (s *timestampedKV[K, V]) ReverseAll() (state.KeyValueIterator[K, V], error) {
	it, err := s.bytes.ReverseAll()
	return s.wrap(it, err, nil, nil, nil, true)
}

func (s *timestampedKV[K, V]) PrefixScan(prefix K) (state.KeyValueIterator[K, V], error) {
	pb, err := s.keyBytes(prefix)
	if err != nil {
		return nil, err
	}
	it, err := s.bytes.PrefixScan(pb)
	return s.wrap(it, err, nil, nil, pb, false)
}

func (s *timestampedKV[K, V]) ApproximateNumEntries() (int64, error) {
	return s.bytes.ApproximateNumEntries()
}

// wrap turns a byte iterator into a typed one, merged with the cache's
// entries in the same bounds.
func (s *timestampedKV[K, V]) wrap(it state.KeyValueIterator[[]byte, []byte], err error, from, to, prefix []byte, reverse bool) (state.KeyValueIterator[K, V], error) {
	if err != nil {
		return nil, err
	}
	if s.cache != nil {
		return newMergedIterator(s, s.cache.snapshot(from, to, prefix, reverse), it, reverse), nil
	}
	return &tsIterator[K, V]{s: s, it: it}, nil
}

type tsIterator[K, V any] struct {
	s   *timestampedKV[K, V]
	it  state.KeyValueIterator[[]byte, []byte]
	key K
	val V
	err error
}

func (t *tsIterator[K, V]) Next() bool {
	if t.err != nil || !t.it.Next() {
		return false
	}
	k, err := t.s.keys.Deserialize(t.s.topic, t.it.Key())
	if err != nil {
		t.err = fmt.Errorf("store %q: key: %w", t.s.Name(), err)
		return false
	}
	_, vb, err := splitTimestamped(t.it.Value())
	if err != nil {
		t.err = fmt.Errorf("store %q: %w", t.s.Name(), err)
		return false
	}
	v, err := t.s.values.Deserialize(t.s.topic, vb)
	if err != nil {
		t.err = fmt.Errorf("store %q: value: %w", t.s.Name(), err)
		return false
	}
	t.key, t.val = k, v
	return true
}

func (t *tsIterator[K, V]) Key() K   { return t.key }
func (t *tsIterator[K, V]) Value() V { return t.val }
func (t *tsIterator[K, V]) Err() error {
	if t.err != nil {
		return t.err
	}
	return t.it.Err()
}
func (t *tsIterator[K, V]) Close() error { return t.it.Close() }

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

// forwardOnFlush connects a DSL processor to its store: with a cache the
// store forwards on flush and the processor must not (it returns true);
// without one the processor forwards each change itself.
func forwardOnFlush[K, V any](s *timestampedKV[K, V], ctx topology.ProcessorContext[K, tableChange[V]], sendOld bool) bool {
	return s.setFlushListener(func(k K, c tableChange[V], ts int64, headers topology.Headers) error {
		return ctx.Forward(topology.Record[K, tableChange[V]]{Key: k, Value: c, Timestamp: ts, Headers: headers})
	}, sendOld)
}
