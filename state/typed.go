package state

import (
	"fmt"

	"github.com/runnel-dev/runnel/topology/serde"
)

// NewKeyValueStore wraps a byte store with serdes. The serdes get the
// changelog-less topic name "" unless the task names one; they must not rely
// on it.
func NewKeyValueStore[K, V any](inner KeyValueBytesStore, keySerde serde.Serde[K], valueSerde serde.Serde[V]) KeyValueStore[K, V] {
	return &typedKV[K, V]{inner: inner, keys: keySerde, values: valueSerde}
}

type typedKV[K, V any] struct {
	inner  KeyValueBytesStore
	keys   serde.Serde[K]
	values serde.Serde[V]
	topic  string // changelog topic, passed to serdes as Kafka does
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
	b, err := s.keys.Serialize(s.topic, k)
	if err != nil {
		return nil, fmt.Errorf("store %q: key: %w", s.inner.Name(), err)
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

func (s *typedKV[K, V]) Get(key K) (V, bool, error) {
	var zero V
	kb, err := s.key(key)
	if err != nil {
		return zero, false, err
	}
	vb, err := s.inner.Get(kb)
	if err != nil || vb == nil {
		return zero, false, err
	}
	v, err := s.value(vb)
	return v, err == nil, err
}

func (s *typedKV[K, V]) Put(key K, value V) error {
	kb, err := s.key(key)
	if err != nil {
		return err
	}
	vb, err := s.values.Serialize(s.topic, value)
	if err != nil {
		return fmt.Errorf("store %q: value: %w", s.inner.Name(), err)
	}
	return s.inner.Put(kb, vb)
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
	kb, err := s.key(key)
	if err != nil {
		return zero, false, err
	}
	old, err := s.inner.Delete(kb)
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
