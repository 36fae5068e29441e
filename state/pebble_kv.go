package state

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// PersistentKeyValueStore returns a supplier of Pebble-backed key-value
// stores (Kafka's Stores.persistentKeyValueStore). Under the streams
// runtime every store of the instance lives in the Manager's one database;
// built without a Manager (for example by the test driver) a store opens
// its own database in <task dir>/pebble/<name>.
func PersistentKeyValueStore(name string) KeyValueBytesStoreSupplier {
	return persistentSupplier{name: name}
}

type persistentSupplier struct{ name string }

func (s persistentSupplier) Name() string            { return s.name }
func (s persistentSupplier) Get() KeyValueBytesStore { return newPebbleKV(s.name) }

// pebbleKV is a byte-level key-value store in a task's Pebble batch.
type pebbleKV struct {
	name string
	// m and task are set by Manager.BuildStore; without them Init opens a
	// private Manager and Flush commits.
	m       *Manager
	task    TaskID
	private bool

	ts   *taskState
	slot *storeSlot
	open atomic.Bool
}

func newPebbleKV(name string) *pebbleKV { return &pebbleKV{name: name} }

func (s *pebbleKV) Name() string     { return s.name }
func (s *pebbleKV) Persistent() bool { return true }
func (s *pebbleKV) IsOpen() bool     { return s.open.Load() }

func (s *pebbleKV) bindManager(m *Manager, task TaskID) { s.m, s.task = m, task }

func (s *pebbleKV) Init(ctx StateStoreContext, root StateStore) error {
	if s.open.Load() {
		return fmt.Errorf("store %q is already open", s.name)
	}
	if s.m == nil {
		if ctx == nil || ctx.StateDir() == "" {
			return fmt.Errorf("persistent store %q needs a state directory", s.name)
		}
		m, err := OpenManager(ManagerOptions{Dir: filepath.Join(ctx.StateDir(), "pebble", s.name), MemoryBytes: minMemoryBytes, Logger: ctx.Logger()})
		if err != nil {
			return fmt.Errorf("store %q: %w", s.name, err)
		}
		s.m, s.task, s.private = m, ctx.TaskID(), true
	}
	ts, err := s.m.acquire(s.task)
	if err != nil {
		return s.initFailed(fmt.Errorf("store %q: %w", s.name, err))
	}
	slot, err := ts.register(s.name)
	if err != nil {
		s.m.release(ts)
		return s.initFailed(err)
	}
	s.ts, s.slot = ts, slot
	s.open.Store(true)
	if ctx != nil {
		if err := ctx.Register(root, s.restore); err != nil {
			s.Close()
			return err
		}
	}
	return nil
}

func (s *pebbleKV) initFailed(err error) error {
	if s.private {
		s.m.Close()
		s.m, s.private = nil, false
	}
	return err
}

// restore writes changelog records into the task's batch; the restorer
// commits them with the new checkpoint.
func (s *pebbleKV) restore(batch []ChangelogRecord) error {
	ts := s.ts
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, r := range batch {
		k := ts.prefixed(s.slot, r.Key)
		var err error
		if r.Value == nil {
			err = ts.batch.Delete(k, nil)
		} else {
			err = ts.batch.Set(k, r.Value, nil)
		}
		if err != nil {
			return fmt.Errorf("store %q: restoring offset %d: %w", s.name, r.Offset, err)
		}
	}
	ts.dirty = true
	return nil
}

// Flush commits only for a store outside a Manager's runtime (the test
// driver); under the runtime the commit comes with the changelog offsets
// through Manager.Commit.
func (s *pebbleKV) Flush() error {
	if !s.open.Load() {
		return nil
	}
	if s.private {
		return s.ts.commit(nil)
	}
	return nil
}

func (s *pebbleKV) Close() error {
	if !s.open.Swap(false) {
		return nil
	}
	var err error
	if s.private {
		err = s.ts.commit(nil)
	}
	s.ts.unregister(s.name)
	s.m.release(s.ts)
	if s.private {
		if cerr := s.m.Close(); err == nil {
			err = cerr
		}
		s.m, s.private = nil, false
	}
	s.ts, s.slot = nil, nil
	return err
}

// lock takes the task lock if the store is open; callers unlock ts.mu.
func (s *pebbleKV) lock() (*taskState, error) {
	ts := s.ts
	if !s.open.Load() || ts == nil {
		return nil, closedError(s.name)
	}
	ts.mu.Lock()
	if ts.closed || !s.open.Load() {
		ts.mu.Unlock()
		return nil, closedError(s.name)
	}
	return ts, nil
}

func (s *pebbleKV) Get(key []byte) ([]byte, error) {
	ts, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer ts.mu.Unlock()
	return ts.get(ts.prefixed(s.slot, key))
}

func (s *pebbleKV) Put(key, value []byte) error {
	ts, err := s.lock()
	if err != nil {
		return err
	}
	defer ts.mu.Unlock()
	return s.putLocked(ts, key, value)
}

func (s *pebbleKV) putLocked(ts *taskState, key, value []byte) error {
	k := ts.prefixed(s.slot, key)
	ts.dirty = true
	if value == nil {
		return ts.batch.Delete(k, nil)
	}
	return ts.batch.Set(k, value, nil)
}

func (s *pebbleKV) PutIfAbsent(key, value []byte) ([]byte, error) {
	ts, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer ts.mu.Unlock()
	old, err := ts.get(ts.prefixed(s.slot, key))
	if err != nil || old != nil {
		return old, err
	}
	return nil, s.putLocked(ts, key, value)
}

func (s *pebbleKV) PutAll(entries []KeyValue[[]byte, []byte]) error {
	ts, err := s.lock()
	if err != nil {
		return err
	}
	defer ts.mu.Unlock()
	for _, e := range entries {
		if err := s.putLocked(ts, e.Key, e.Value); err != nil {
			return err
		}
	}
	return nil
}

func (s *pebbleKV) Delete(key []byte) ([]byte, error) {
	ts, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer ts.mu.Unlock()
	old, err := ts.get(ts.prefixed(s.slot, key))
	if err != nil {
		return nil, err
	}
	return old, s.putLocked(ts, key, nil)
}

// deleteRange removes the keys in [from, to) with one range tombstone.
func (s *pebbleKV) deleteRange(from, to []byte) error {
	ts, err := s.lock()
	if err != nil {
		return err
	}
	defer ts.mu.Unlock()
	lo := append(bytes.Clone(s.slot.prefix), from...)
	hi := PrefixEnd(s.slot.prefix)
	if to != nil {
		hi = append(bytes.Clone(s.slot.prefix), to...)
	}
	ts.dirty = true
	return ts.batch.DeleteRange(lo, hi, nil)
}

func (s *pebbleKV) ApproximateNumEntries() (int64, error) {
	it, err := s.iterate(nil, nil, false, false)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	var n int64
	for it.Next() {
		n++
	}
	return n, it.Err()
}

func (s *pebbleKV) Range(from, to []byte) (KeyValueIterator[[]byte, []byte], error) {
	return s.iterate(from, to, false, false)
}

func (s *pebbleKV) ReverseRange(from, to []byte) (KeyValueIterator[[]byte, []byte], error) {
	return s.iterate(from, to, true, false)
}

func (s *pebbleKV) All() (KeyValueIterator[[]byte, []byte], error) {
	return s.iterate(nil, nil, false, false)
}

func (s *pebbleKV) ReverseAll() (KeyValueIterator[[]byte, []byte], error) {
	return s.iterate(nil, nil, true, false)
}

func (s *pebbleKV) PrefixScan(prefix []byte) (KeyValueIterator[[]byte, []byte], error) {
	return s.iterate(prefix, nil, false, true)
}

// iterate opens an iterator over [from, to] (both inclusive, nil = open),
// or over the keys starting with from when isPrefix.
func (s *pebbleKV) iterate(from, to []byte, reverse, isPrefix bool) (KeyValueIterator[[]byte, []byte], error) {
	ts, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer ts.mu.Unlock()
	if !isPrefix && from != nil && to != nil && bytes.Compare(from, to) > 0 {
		return emptyIterator{}, nil
	}
	p := s.slot.prefix
	lower := append(bytes.Clone(p), from...)
	var upper []byte
	switch {
	case isPrefix:
		upper = PrefixEnd(lower)
	case to != nil:
		upper = append(append(bytes.Clone(p), to...), 0) // smallest key after to
	default:
		upper = PrefixEnd(p)
	}
	it, err := ts.newIter(lower, upper)
	if err != nil {
		return nil, fmt.Errorf("store %q: %w", s.name, err)
	}
	ts.iters++
	return &pebbleIter{s: s, ts: ts, it: it, skip: len(p), reverse: reverse}, nil
}

// pebbleIter walks a snapshot of the store taken when it was opened (the
// task's writes until then included). Key and Value are valid until the
// next call to Next.
type pebbleIter struct {
	s       *pebbleKV
	ts      *taskState
	it      *pebble.Iterator
	skip    int
	reverse bool
	started bool
	done    bool
	err     error
}

func (i *pebbleIter) Next() bool {
	if i.done {
		return false
	}
	i.ts.mu.Lock()
	defer i.ts.mu.Unlock()
	if i.ts.closed || !i.s.open.Load() {
		i.err = closedError(i.s.name)
		i.finishLocked()
		return false
	}
	var ok bool
	switch {
	case !i.started && i.reverse:
		ok = i.it.Last()
	case !i.started:
		ok = i.it.First()
	case i.reverse:
		ok = i.it.Prev()
	default:
		ok = i.it.Next()
	}
	i.started = true
	if !ok {
		i.err = i.it.Error()
		i.finishLocked()
		return false
	}
	return true
}

func (i *pebbleIter) finishLocked() {
	if i.done {
		return
	}
	i.done = true
	if err := i.it.Close(); err != nil && i.err == nil {
		i.err = err
	}
	i.ts.iters--
}

func (i *pebbleIter) Key() []byte {
	if i.done {
		return nil
	}
	return i.it.Key()[i.skip:]
}

func (i *pebbleIter) Value() []byte {
	if i.done {
		return nil
	}
	v := i.it.Value()
	if v == nil {
		v = []byte{}
	}
	return v
}

func (i *pebbleIter) Err() error { return i.err }

func (i *pebbleIter) Close() error {
	i.ts.mu.Lock()
	defer i.ts.mu.Unlock()
	i.finishLocked()
	return nil
}

type emptyIterator struct{}

func (emptyIterator) Next() bool    { return false }
func (emptyIterator) Key() []byte   { return nil }
func (emptyIterator) Value() []byte { return nil }
func (emptyIterator) Err() error    { return nil }
func (emptyIterator) Close() error  { return nil }
