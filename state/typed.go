package state

import (
	"fmt"
	"sync"

	"github.com/runnel-dev/runnel/topology/serde"
)

// NewKeyValueStore wraps a byte store with serdes. The serdes get the
// changelog-less topic name "" unless the task names one; they must not rely
// on it.
func NewKeyValueStore[K, V any](inner KeyValueBytesStore, keySerde serde.Serde[K], valueSerde serde.Serde[V]) KeyValueStore[K, V] {
	return &typedKV[K, V]{inner: inner, keys: keySerde, values: valueSerde,
		keyApp: serde.AppenderOf(keySerde), valueApp: serde.AppenderOf(valueSerde)}
}

// UpdatableKeyValueStore is a KeyValueStore that lets its owning task read
// a value it is about to rewrite more cheaply than Get. The typed
// key-value stores of this package implement it.
type UpdatableKeyValueStore[K, V any] interface {
	KeyValueStore[K, V]
	// GetForUpdate is Get for the goroutine of the task that owns the
	// store, and no other: the record cache lends it the entry's bytes
	// without protecting them from other readers, so the task's next
	// write of the key can update the entry in place.
	GetForUpdate(key K) (V, bool, error)
}

type typedKV[K, V any] struct {
	inner    KeyValueBytesStore
	keys     serde.Serde[K]
	values   serde.Serde[V]
	keyApp   serde.Appender[K]
	valueApp serde.Appender[V]
	topic    string // changelog topic, passed to serdes as Kafka does

	// Serialization buffers of the owning task, the only writer. The
	// layers below copy what they keep, so one pair serves every call;
	// busy makes a nested call (a flush listener writing back to the
	// store during an eviction) use fresh buffers instead.
	kbuf, vbuf []byte
	busy       bool

	// Get may come from any goroutine (interactive queries): readers
	// share one key buffer, and allocate when another reader holds it.
	rmu  sync.Mutex
	rbuf []byte
}

// maxKeptBuffer bounds the serialization buffers a store keeps between
// calls: a rare huge key or value is not held for the store's lifetime.
const maxKeptBuffer = 64 << 10

func keep(b []byte) []byte {
	if cap(b) > maxKeptBuffer {
		return nil
	}
	return b[:0]
}

func (s *typedKV[K, V]) Name() string              { return s.inner.Name() }
func (s *typedKV[K, V]) Persistent() bool          { return s.inner.Persistent() }
func (s *typedKV[K, V]) IsOpen() bool              { return s.inner.IsOpen() }
func (s *typedKV[K, V]) Flush() error              { return s.inner.Flush() }
func (s *typedKV[K, V]) Close() error              { return s.inner.Close() }
func (s *typedKV[K, V]) Bytes() KeyValueBytesStore { return s.inner }
func (s *typedKV[K, V]) innerStore() StateStore    { return s.inner }

func (s *typedKV[K, V]) Init(ctx StateStoreContext, root StateStore) error {
	if ctx != nil {
		s.topic = ctx.ChangelogTopic(s.inner.Name())
	}
	return s.inner.Init(ctx, root)
}

func (s *typedKV[K, V]) key(k K) ([]byte, error) {
	return s.appendKey(nil, k)
}

// appendKey serializes k onto dst.
func (s *typedKV[K, V]) appendKey(dst []byte, k K) ([]byte, error) {
	b, err := s.keyApp.AppendSerialize(dst, s.topic, k)
	if err != nil {
		return nil, fmt.Errorf("store %q: key: %w", s.inner.Name(), err)
	}
	return b, nil
}

// appendValue serializes v onto dst.
func (s *typedKV[K, V]) appendValue(dst []byte, v V) ([]byte, error) {
	b, err := s.valueApp.AppendSerialize(dst, s.topic, v)
	if err != nil {
		return nil, fmt.Errorf("store %q: value: %w", s.inner.Name(), err)
	}
	return b, nil
}

func (s *typedKV[K, V]) value(b []byte) (V, error) {
	v, err := s.values.Deserialize(s.topic, b)
	if err != nil {
		return v, fmt.Errorf("store %q: value: %w", s.inner.Name(), err)
	}
	return v, nil
}

// writeBuffers takes the owner's buffers for one call; release gives them
// back, grown.
func (s *typedKV[K, V]) writeBuffers() (kbuf, vbuf []byte, owned bool) {
	if s.busy {
		return nil, nil, false
	}
	s.busy = true
	return s.kbuf[:0], s.vbuf[:0], true
}

func (s *typedKV[K, V]) release(kbuf, vbuf []byte, owned bool) {
	if owned {
		s.kbuf, s.vbuf, s.busy = keep(kbuf), keep(vbuf), false
	}
}

func (s *typedKV[K, V]) Get(key K) (V, bool, error) {
	var buf []byte
	locked := s.rmu.TryLock()
	if locked {
		buf = s.rbuf[:0]
	}
	v, ok, kb, err := s.get(buf, key, s.inner.Get)
	if locked {
		if kb != nil {
			s.rbuf = keep(kb)
		}
		s.rmu.Unlock()
	}
	return v, ok, err
}

func (s *typedKV[K, V]) GetForUpdate(key K) (V, bool, error) {
	read := s.inner.Get
	if l, ok := s.inner.(lender); ok {
		read = l.getLent
	}
	kbuf, vbuf, owned := s.writeBuffers()
	v, ok, kb, err := s.get(kbuf, key, read)
	if kb != nil {
		kbuf = kb
	}
	s.release(kbuf, vbuf, owned)
	return v, ok, err
}

// get serializes key onto buf and reads it with read; kb is the grown
// buffer.
func (s *typedKV[K, V]) get(buf []byte, key K, read func([]byte) ([]byte, error)) (v V, ok bool, kb []byte, err error) {
	kb, err = s.appendKey(buf, key)
	if err != nil {
		return v, false, nil, err
	}
	vb, err := read(kb)
	if err != nil || vb == nil {
		return v, false, kb, err
	}
	v, err = s.value(vb)
	return v, err == nil, kb, err
}

func (s *typedKV[K, V]) Put(key K, value V) error {
	kbuf, vbuf, owned := s.writeBuffers()
	kb, err := s.appendKey(kbuf, key)
	if err != nil {
		s.release(kbuf, vbuf, owned)
		return err
	}
	vb, err := s.appendValue(vbuf, value)
	if err != nil {
		s.release(kb, vbuf, owned)
		return err
	}
	err = s.inner.Put(kb, vb)
	if vb == nil {
		vb = vbuf
	}
	s.release(kb, vb, owned)
	return err
}

func (s *typedKV[K, V]) PutIfAbsent(key K, value V) (V, bool, error) {
	var zero V
	kb, err := s.key(key)
	if err != nil {
		return zero, false, err
	}
	vb, err := s.values.Serialize(s.topic, value)
	if err != nil {
		return zero, false, fmt.Errorf("store %q: value: %w", s.inner.Name(), err)
	}
	old, err := s.inner.PutIfAbsent(kb, vb)
	if err != nil || old == nil {
		return zero, false, err
	}
	v, err := s.value(old)
	return v, err == nil, err
}

func (s *typedKV[K, V]) PutAll(entries []KeyValue[K, V]) error {
	raw := make([]KeyValue[[]byte, []byte], len(entries))
	for i, e := range entries {
		kb, err := s.key(e.Key)
		if err != nil {
			return err
		}
		vb, err := s.values.Serialize(s.topic, e.Value)
		if err != nil {
			return fmt.Errorf("store %q: value: %w", s.inner.Name(), err)
		}
		raw[i] = KeyValue[[]byte, []byte]{Key: kb, Value: vb}
	}
	return s.inner.PutAll(raw)
}

func (s *typedKV[K, V]) Delete(key K) (V, bool, error) {
	var zero V
	kbuf, vbuf, owned := s.writeBuffers()
	kb, err := s.appendKey(kbuf, key)
	if err != nil {
		s.release(kbuf, vbuf, owned)
		return zero, false, err
	}
	old, err := s.inner.Delete(kb)
	s.release(kb, vbuf, owned)
	if err != nil || old == nil {
		return zero, false, err
	}
	v, err := s.value(old)
	return v, err == nil, err
}

func (s *typedKV[K, V]) Range(from, to K) (KeyValueIterator[K, V], error) {
	return s.rangeOf(from, to, s.inner.Range)
}

func (s *typedKV[K, V]) ReverseRange(from, to K) (KeyValueIterator[K, V], error) {
	return s.rangeOf(from, to, s.inner.ReverseRange)
}

func (s *typedKV[K, V]) rangeOf(from, to K, open func(from, to []byte) (KeyValueIterator[[]byte, []byte], error)) (KeyValueIterator[K, V], error) {
	fb, err := s.key(from)
	if err != nil {
		return nil, err
	}
	tb, err := s.key(to)
	if err != nil {
		return nil, err
	}
	return s.wrap(open(fb, tb))
}

func (s *typedKV[K, V]) All() (KeyValueIterator[K, V], error) { return s.wrap(s.inner.All()) }
func (s *typedKV[K, V]) ReverseAll() (KeyValueIterator[K, V], error) {
	return s.wrap(s.inner.ReverseAll())
}

func (s *typedKV[K, V]) PrefixScan(prefix K) (KeyValueIterator[K, V], error) {
	pb, err := s.key(prefix)
	if err != nil {
		return nil, err
	}
	return s.wrap(s.inner.PrefixScan(pb))
}

func (s *typedKV[K, V]) ApproximateNumEntries() (int64, error) {
	return s.inner.ApproximateNumEntries()
}

func (s *typedKV[K, V]) wrap(it KeyValueIterator[[]byte, []byte], err error) (KeyValueIterator[K, V], error) {
	if err != nil {
		return nil, err
	}
	return &typedIterator[K, V]{s: s, it: it}, nil
}

type typedIterator[K, V any] struct {
	s   *typedKV[K, V]
	it  KeyValueIterator[[]byte, []byte]
	key K
	val V
	err error
}

func (t *typedIterator[K, V]) Next() bool {
	if t.err != nil || !t.it.Next() {
		return false
	}
	k, err := t.s.keys.Deserialize(t.s.topic, t.it.Key())
	if err != nil {
		t.err = fmt.Errorf("store %q: key: %w", t.s.inner.Name(), err)
		return false
	}
	v, err := t.s.value(t.it.Value())
	if err != nil {
		t.err = err
		return false
	}
	t.key, t.val = k, v
	return true
}

func (t *typedIterator[K, V]) Key() K   { return t.key }
func (t *typedIterator[K, V]) Value() V { return t.val }
func (t *typedIterator[K, V]) Err() error {
	if t.err != nil {
		return t.err
	}
	return t.it.Err()
}
func (t *typedIterator[K, V]) Close() error { return t.it.Close() }

// CacheFlush is one update a caching store releases downstream when it
// flushes (at commit) or evicts: the latest value of a key since the
// previous flush, and the value the store held before when old values
// were asked for. HasNew false is a deletion.
type CacheFlush[K, V any] struct {
	Key            K
	NewValue       V
	OldValue       V
	HasNew, HasOld bool
	TimestampMs    int64
}

// SetFlushListener makes the store's record cache hand its flushed
// updates to fn (Kafka's setFlushListener). It returns false when the
// store has no cache; the caller then forwards every update itself.
func (s *typedKV[K, V]) SetFlushListener(fn func(CacheFlush[K, V]) error, sendOldValues bool) bool {
	c := findLayer[*cachingKV](s.inner)
	if c == nil {
		return false
	}
	c.setFlushListener(func(key, newValue, oldValue []byte, ts int64) error {
		f := CacheFlush[K, V]{TimestampMs: ts}
		k, err := s.keys.Deserialize(s.topic, key)
		if err != nil {
			return fmt.Errorf("store %q: key: %w", s.inner.Name(), err)
		}
		f.Key = k
		if newValue != nil {
			if f.NewValue, err = s.value(newValue); err != nil {
				return err
			}
			f.HasNew = true
		}
		if oldValue != nil {
			if f.OldValue, err = s.value(oldValue); err != nil {
				return err
			}
			f.HasOld = true
		}
		return fn(f)
	}, sendOldValues)
	return true
}

// SetKeyValueFlushListener sets a flush listener on a typed key-value
// store built by this package; see typedKV.SetFlushListener.
func SetKeyValueFlushListener[K, V any](s KeyValueStore[K, V], sendOldValues bool, fn func(CacheFlush[K, V]) error) bool {
	l, ok := s.(interface {
		SetFlushListener(func(CacheFlush[K, V]) error, bool) bool
	})
	return ok && l.SetFlushListener(fn, sendOldValues)
}

// findLayer returns the first layer of type T in a store's stack.
func findLayer[T StateStore](s StateStore) T {
	var zero T
	for s != nil {
		if t, ok := s.(T); ok {
			return t
		}
		in, ok := s.(innerStoreOf)
		if !ok {
			break
		}
		s = in.innerStore()
	}
	return zero
}
