package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// taskState is one task's view of the Manager's database: every
// persistent store of the task writes into one indexed Pebble batch, so
// reads see the task's own uncommitted writes, and Commit applies the
// whole batch, with the changelog checkpoints of the stores, atomically.
// Until then nothing of the task's work since its last commit is on disk;
// that is what lets exactly-once apply a batch only once its transaction
// committed, and discard it otherwise.
//
// The mutex serialises the owning task with readers on other goroutines
// (interactive queries); Pebble batches are not safe for concurrent use.
type taskState struct {
	m  *Manager
	id TaskID

	mu     sync.Mutex
	batch  *pebble.Batch
	stores map[string]*storeSlot
	refs   int // guarded by m.mu
	// iters counts open iterators over batch; a commit then starts a new
	// batch instead of resetting the one they read.
	iters int
	// dirty is set by writes and checkpoint moves since the last commit.
	dirty bool
	// restoring switches the batch to a plain (unindexed) one: restoration
	// only writes, and indexing would cost a skiplist insert per record.
	restoring bool
	closed    bool
	key       []byte // scratch for prefixed keys, guarded by mu
}

// storeSlot is a store's place in the database.
type storeSlot struct {
	name       string
	id         uint32
	prefix     []byte
	checkpoint int64 // -1: none
}

func newTaskState(m *Manager, id TaskID) *taskState {
	return &taskState{m: m, id: id, batch: m.db.NewIndexedBatch(), stores: map[string]*storeSlot{}}
}

// register opens a store of the task and loads its checkpoint.
func (ts *taskState) register(name string) (*storeSlot, error) {
	ts.mu.Lock()
	s := ts.stores[name]
	ts.mu.Unlock()
	if s != nil {
		return nil, fmt.Errorf("store %q of task %s is opened twice", name, ts.id)
	}
	id, err := ts.m.storeID(ts.id, name)
	if err != nil {
		return nil, err
	}
	s = &storeSlot{name: name, id: id, prefix: dataPrefixOf(id), checkpoint: -1}
	v, err := ts.m.getMeta(checkpointKey(id))
	if err != nil {
		return nil, err
	}
	if len(v) == 8 {
		s.checkpoint = int64(binary.BigEndian.Uint64(v))
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.stores[name] = s
	return s, nil
}

func (ts *taskState) unregister(name string) {
	ts.mu.Lock()
	delete(ts.stores, name)
	ts.mu.Unlock()
}

func (ts *taskState) slot(store string) (*storeSlot, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	s := ts.stores[store]
	return s, s != nil
}

func (ts *taskState) checkpoint(store string) (int64, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	s := ts.stores[store]
	if s == nil || s.checkpoint < 0 {
		return 0, false
	}
	return s.checkpoint, true
}

// prefixed builds prefix+key in the scratch buffer; call with mu held and
// use the result before the next call.
func (ts *taskState) prefixed(s *storeSlot, key []byte) []byte {
	ts.key = append(append(ts.key[:0], s.prefix...), key...)
	return ts.key
}

// get reads through the indexed batch (own writes first, then the
// database), or the database while restoring. The result is a copy.
func (ts *taskState) get(k []byte) ([]byte, error) {
	var v []byte
	var closer interface{ Close() error }
	var err error
	if ts.restoring {
		v, closer, err = ts.m.db.Get(k)
	} else {
		v, closer, err = ts.batch.Get(k)
	}
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(v)) // non-nil even when empty: present
	copy(out, v)
	closer.Close()
	return out, nil
}

func (ts *taskState) newIter(lower, upper []byte) (*pebble.Iterator, error) {
	o := &pebble.IterOptions{LowerBound: lower, UpperBound: upper}
	if ts.restoring {
		return ts.m.db.NewIter(o)
	}
	return ts.batch.NewIter(o)
}

func (ts *taskState) pendingBytes() int64 {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return int64(ts.batch.Len())
}

// commit applies the batch and the new checkpoints, without waiting for
// the disk: Manager.Sync makes every commit so far durable with one WAL
// sync. Whatever a crash loses of unsynced commits, Pebble recovers a
// prefix of them, each consistent with its own checkpoint, and
// restoration replays the rest of the changelog.
func (ts *taskState) commit(offsets map[string]int64) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.closed {
		return fmt.Errorf("task %s: state is closed", ts.id)
	}
	for name, off := range offsets {
		s := ts.stores[name]
		if s == nil || off == s.checkpoint {
			continue
		}
		ts.batch.Set(checkpointKey(s.id), binary.BigEndian.AppendUint64(nil, uint64(off)), nil)
		s.checkpoint = off
		ts.dirty = true
	}
	if !ts.dirty {
		return nil
	}
	if err := ts.m.db.Apply(ts.batch, pebble.NoSync); err != nil {
		return fmt.Errorf("task %s: committing state: %w", ts.id, err)
	}
	ts.m.unsynced.Store(true)
	if !ts.restoring && int64(ts.batch.Len()) > 2*ts.m.batchShare() {
		// A batch that grew past its share (a burst, or fewer tasks
		// earlier) would keep its buffers when reset: let them go.
		ts.batch.Close()
		ts.batch = ts.m.db.NewIndexedBatch()
		ts.dirty = false
		return nil
	}
	ts.renewLocked()
	return nil
}

// discard drops the uncommitted writes and re-reads the checkpoints they
// may have moved.
func (ts *taskState) discard() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if !ts.dirty {
		return
	}
	ts.renewLocked()
	for _, s := range ts.stores {
		s.checkpoint = -1
		if v, err := ts.m.getMeta(checkpointKey(s.id)); err == nil && len(v) == 8 {
			s.checkpoint = int64(binary.BigEndian.Uint64(v))
		}
	}
}

func (ts *taskState) renewLocked() {
	ts.dirty = false
	switch {
	case ts.restoring:
		ts.batch.Reset()
	case ts.iters > 0:
		// Open iterators still read the old batch: leave it to them.
		ts.batch = ts.m.db.NewIndexedBatch()
	default:
		ts.batch.Reset()
	}
}

// beginRestore switches to an unindexed batch for restoration.
func (ts *taskState) beginRestore() error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.dirty {
		return fmt.Errorf("task %s: restoring over uncommitted writes", ts.id)
	}
	if !ts.restoring {
		ts.restoring = true
		ts.batch = ts.m.db.NewBatch()
	}
	return nil
}

func (ts *taskState) endRestore() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.restoring {
		ts.restoring = false
		ts.batch.Close()
		ts.batch = ts.m.db.NewIndexedBatch()
		ts.dirty = false
	}
}

// restored commits what a restore callback wrote, with the store's new
// checkpoint: a restoration cut short resumes where it stopped.
func (ts *taskState) restored(store string, next int64) error {
	return ts.commit(map[string]int64{store: next})
}

// wipe deletes a store's data and checkpoint, committed at once: its
// local state is unusable (the changelog no longer covers it).
func (ts *taskState) wipe(store string) error {
	ts.mu.Lock()
	s := ts.stores[store]
	if s == nil {
		ts.mu.Unlock()
		return nil
	}
	ts.batch.DeleteRange(s.prefix, PrefixEnd(s.prefix), nil)
	ts.batch.Delete(checkpointKey(s.id), nil)
	s.checkpoint = -1
	ts.dirty = true
	ts.mu.Unlock()
	return ts.commit(nil)
}
