package state

import (
	"bytes"
	"sync"

	"github.com/RaduBerinde/btreemap"
)

// InMemoryKeyValueStore returns a supplier of non-persistent key-value
// stores held in an ordered in-memory B-tree. Its data survives a restart
// only through the changelog.
func InMemoryKeyValueStore(name string) KeyValueBytesStoreSupplier {
	return inMemorySupplier{name: name}
}

type inMemorySupplier struct{ name string }

func (s inMemorySupplier) Name() string { return s.name }
func (s inMemorySupplier) Get() KeyValueBytesStore {
	return NewInMemoryKeyValueBytesStore(s.name)
}

// InMemoryKeyValueBytesStore is an ordered in-memory byte store. Reads may
// come from other goroutines (interactive queries); writes come from the
// owning task.
//
// Iterators are live, not snapshots: each step finds the next key after the
// last one returned, so writes made while iterating (including deleting the
// current key) are safe; keys inserted ahead of the cursor are seen.
type InMemoryKeyValueBytesStore struct {
	name string
	mu   sync.RWMutex
	tree *btreemap.BTreeMap[[]byte, []byte]
	open bool
}

// NewInMemoryKeyValueBytesStore makes an unopened store; Init opens it.
func NewInMemoryKeyValueBytesStore(name string) *InMemoryKeyValueBytesStore {
	return &InMemoryKeyValueBytesStore{name: name, tree: btreemap.New[[]byte, []byte](32, bytes.Compare)}
}

func (s *InMemoryKeyValueBytesStore) Name() string     { return s.name }
func (s *InMemoryKeyValueBytesStore) Persistent() bool { return false }

func (s *InMemoryKeyValueBytesStore) IsOpen() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.open
}

func (s *InMemoryKeyValueBytesStore) Init(ctx StateStoreContext, root StateStore) error {
	s.mu.Lock()
	s.open = true
	s.mu.Unlock()
	if ctx == nil {
		return nil
	}
	return ctx.Register(root, s.restore)
}

func (s *InMemoryKeyValueBytesStore) restore(batch []ChangelogRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range batch {
		s.putLocked(r.Key, r.Value)
	}
	return nil
}

func (s *InMemoryKeyValueBytesStore) Flush() error { return nil }

func (s *InMemoryKeyValueBytesStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = false
	s.tree.Clear(false)
	return nil
}

func (s *InMemoryKeyValueBytesStore) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.open {
		return nil, closedError(s.name)
	}
	_, v, _ := s.tree.Get(key)
	return v, nil
}

func (s *InMemoryKeyValueBytesStore) Put(key, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open {
		return closedError(s.name)
	}
	s.putLocked(key, value)
	return nil
}

func (s *InMemoryKeyValueBytesStore) putLocked(key, value []byte) {
	if value == nil {
		s.tree.Delete(key)
		return
	}
	// Keys and values are copied: callers may reuse their buffers, and
	// values already handed out must never change under their readers.
	s.tree.ReplaceOrInsert(bytes.Clone(key), bytes.Clone(value))
}

func (s *InMemoryKeyValueBytesStore) PutIfAbsent(key, value []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open {
		return nil, closedError(s.name)
	}
	if _, old, ok := s.tree.Get(key); ok {
		return old, nil
	}
	s.putLocked(key, value)
	return nil, nil
}

func (s *InMemoryKeyValueBytesStore) PutAll(entries []KeyValue[[]byte, []byte]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open {
		return closedError(s.name)
	}
	for _, e := range entries {
		s.putLocked(e.Key, e.Value)
	}
	return nil
}

func (s *InMemoryKeyValueBytesStore) Delete(key []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open {
		return nil, closedError(s.name)
	}
	_, old, _ := s.tree.Delete(key)
	return old, nil
}

func (s *InMemoryKeyValueBytesStore) ApproximateNumEntries() (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.open {
		return 0, closedError(s.name)
	}
	return int64(s.tree.Len()), nil
}

func (s *InMemoryKeyValueBytesStore) Range(from, to []byte) (KeyValueIterator[[]byte, []byte], error) {
	return s.iterate(from, to, false)
}

func (s *InMemoryKeyValueBytesStore) ReverseRange(from, to []byte) (KeyValueIterator[[]byte, []byte], error) {
	return s.iterate(from, to, true)
}

func (s *InMemoryKeyValueBytesStore) All() (KeyValueIterator[[]byte, []byte], error) {
	return s.iterate(nil, nil, false)
}

func (s *InMemoryKeyValueBytesStore) ReverseAll() (KeyValueIterator[[]byte, []byte], error) {
	return s.iterate(nil, nil, true)
}

func (s *InMemoryKeyValueBytesStore) PrefixScan(prefix []byte) (KeyValueIterator[[]byte, []byte], error) {
	if !s.IsOpen() {
		return nil, closedError(s.name)
	}
	it := &memIterator{s: s, lower: btreemap.GE(bytes.Clone(prefix)), upper: btreemap.Max[[]byte]()}
	if end := PrefixEnd(prefix); end != nil {
		it.upper = btreemap.LT(end)
	}
	return it, nil
}

// PrefixEnd is the smallest key greater than every key starting with
// prefix, or nil when there is none (prefix is empty or all 0xff).
func PrefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func (s *InMemoryKeyValueBytesStore) iterate(from, to []byte, reverse bool) (KeyValueIterator[[]byte, []byte], error) {
	if !s.IsOpen() {
		return nil, closedError(s.name)
	}
	it := &memIterator{s: s, reverse: reverse, lower: btreemap.Min[[]byte](), upper: btreemap.Max[[]byte]()}
	if from != nil && to != nil && bytes.Compare(from, to) > 0 {
		it.done = true // Kafka returns an empty iterator for an inverted range
		return it, nil
	}
	if from != nil {
		it.lower = btreemap.GE(bytes.Clone(from))
	}
	if to != nil {
		it.upper = btreemap.LE(bytes.Clone(to))
	}
	return it, nil
}

// memIterator re-seeks from its last key on every step, so it never holds
// the lock between calls and tolerates writes in between.
type memIterator struct {
	s            *InMemoryKeyValueBytesStore
	lower        btreemap.LowerBound[[]byte]
	upper        btreemap.UpperBound[[]byte]
	reverse      bool
	started      bool
	done         bool
	key, value   []byte
	err          error
	yieldedEntry bool
}

func (it *memIterator) Next() bool {
	if it.done {
		return false
	}
	s := it.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.open {
		it.err, it.done = closedError(s.name), true
		return false
	}
	it.yieldedEntry = false
	yield := func(k, v []byte) bool {
		it.key, it.value, it.yieldedEntry = k, v, true
		return false
	}
	if !it.reverse {
		lower := it.lower
		if it.started {
			lower = btreemap.GT(it.key)
		}
		s.tree.AscendFunc(lower, it.upper, yield)
	} else {
		upper := it.upper
		if it.started {
			upper = btreemap.LT(it.key)
		}
		s.tree.DescendFunc(upper, it.lower, yield)
	}
	it.started = true
	if !it.yieldedEntry {
		it.done, it.key, it.value = true, nil, nil
		return false
	}
	return true
}

func (it *memIterator) Key() []byte   { return it.key }
func (it *memIterator) Value() []byte { return it.value }
func (it *memIterator) Err() error    { return it.err }
func (it *memIterator) Close() error {
	it.done = true
	return nil
}
