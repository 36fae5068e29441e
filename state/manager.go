package state

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// MemoryBytesConfig is the property that bounds the memory of an
// instance's persistent stores (Pebble block cache and memtables).
const MemoryBytesConfig = "runnel.state.memory.bytes"

// DefaultMemoryBytes is the default of runnel.state.memory.bytes.
const DefaultMemoryBytes = 64 << 20

// minMemoryBytes keeps Pebble workable when a tiny budget is configured.
const minMemoryBytes = 8 << 20

// ManagerOptions configures a Manager.
type ManagerOptions struct {
	// Dir holds the Pebble database; it is created if missing.
	Dir string
	// MemoryBytes (runnel.state.memory.bytes) bounds the block cache and
	// memtables of every persistent store of the instance together;
	// 0 means DefaultMemoryBytes. See memoryPlan for the split.
	MemoryBytes int64
	// CacheMaxBytes (statestore.cache.max.bytes) is the record cache
	// budget shared by the caching stores of the instance; 0 disables
	// caching (every update goes straight through).
	CacheMaxBytes int64
	// RestoreListener, when set, is told about every restoration.
	RestoreListener RestoreListener
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Manager owns the persistent state of one application instance: one
// Pebble database holding every store of every task under its own key
// prefix, the shared memory budget, the changelog checkpoints and the
// record cache. The runtime opens one per instance, builds stores through
// BuildStore, restores them with Restore, commits each task's writes with
// Commit and removes the state of tasks it no longer owns with
// CleanObsolete. Its methods are safe for concurrent use.
type Manager struct {
	dir         string
	db          *pebble.DB
	log         *slog.Logger
	cache       *RecordCache
	listener    RestoreListener
	plan        memoryPlan
	batchBudget int64

	// unsynced is set by commits that Sync has not made durable yet.
	unsynced atomic.Bool

	mu     sync.Mutex
	tasks  map[TaskID]*taskState
	nextID uint32
	closed bool
}

// memoryPlan is how runnel.state.memory.bytes is split:
//   - 3/8 for the block cache (data, index and filter blocks of every
//     store),
//   - 1/8 per memtable, with at most three alive (the mutable one, one
//     being flushed, one kept by Pebble for reuse): 3/8,
//   - 1/8 for the tasks' uncommitted write batches, split over the open
//     tasks; they live on the Go heap, where buffer doubling and garbage
//     collection can take up to twice that: the last 2/8.
type memoryPlan struct {
	total, blockCache, memTable, batches int64
}

func planMemory(total int64) memoryPlan {
	if total <= 0 {
		total = DefaultMemoryBytes
	}
	total = max(total, minMemoryBytes)
	return memoryPlan{total: total, blockCache: total * 3 / 8, memTable: total / 8, batches: total / 8}
}

// Meta keys live under metaPrefix; store data under dataPrefix followed by
// the store's 4-byte id.
const (
	metaPrefix byte = 0x00
	dataPrefix byte = 0x01

	metaStoreID    byte = 'S' // 'S' len(task) task store -> id
	metaNextID     byte = 'N' // -> next free id
	metaCheckpoint byte = 'C' // 'C' id -> offset after the last changelog record the store holds
	metaTaskSeen   byte = 'T' // 'T' task -> unix ms when the task last closed here (0: open)
)

// OpenManager opens (or creates) the state database in opts.Dir. Only one
// Manager can have a directory open at a time.
func OpenManager(opts ManagerOptions) (*Manager, error) {
	if opts.Dir == "" {
		return nil, errors.New("state: ManagerOptions.Dir is empty")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("state: creating %s: %w", opts.Dir, err)
	}
	plan := planMemory(opts.MemoryBytes)
	cache := pebble.NewCache(plan.blockCache)
	defer cache.Unref()
	popts := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                uint64(plan.memTable),
		MemTableStopWritesThreshold: 2,
		MaxOpenFiles:                1000,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      pebbleLogger{log},
		// Restoration and commits write in large batches; a second
		// compaction keeps L0 from piling up on both cores.
		CompactionConcurrencyRange: func() (int, int) { return 1, 2 },
	}
	db, err := pebble.Open(opts.Dir, popts)
	if err != nil {
		return nil, fmt.Errorf("state: opening %s: %w", opts.Dir, err)
	}
	m := &Manager{
		dir:         opts.Dir,
		db:          db,
		log:         log,
		cache:       NewRecordCache(opts.CacheMaxBytes),
		listener:    opts.RestoreListener,
		plan:        plan,
		batchBudget: plan.batches,
		tasks:       map[TaskID]*taskState{},
	}
	v, err := m.getMeta([]byte{metaPrefix, metaNextID})
	if err != nil {
		db.Close()
		return nil, err
	}
	m.nextID = 1
	if len(v) == 4 {
		m.nextID = binary.BigEndian.Uint32(v)
	}
	return m, nil
}

// Dir is the directory of the database.
func (m *Manager) Dir() string { return m.dir }

// RecordCache is the instance's record cache.
func (m *Manager) RecordCache() *RecordCache { return m.cache }

// MemoryBudget is the configured runnel.state.memory.bytes after defaults.
func (m *Manager) MemoryBudget() int64 { return m.plan.total }

// Close closes the database. Tasks still open lose their uncommitted
// writes, which their changelogs restore.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	tasks := m.tasks
	m.tasks = map[TaskID]*taskState{}
	m.mu.Unlock()
	for _, ts := range tasks {
		ts.mu.Lock()
		ts.closed = true
		ts.mu.Unlock()
	}
	if err := m.db.Close(); err != nil {
		return fmt.Errorf("state: closing %s: %w", m.dir, err)
	}
	return nil
}

func (m *Manager) getMeta(key []byte) ([]byte, error) {
	v, closer, err := m.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: reading %s: %w", m.dir, err)
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

func storeIDKey(task TaskID, store string) []byte {
	t := task.String()
	k := make([]byte, 0, 3+len(t)+len(store))
	k = append(k, metaPrefix, metaStoreID, byte(len(t)))
	k = append(k, t...)
	return append(k, store...)
}

func taskSeenKey(task TaskID) []byte {
	return append([]byte{metaPrefix, metaTaskSeen}, task.String()...)
}

func checkpointKey(id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{metaPrefix, metaCheckpoint}, id)
}

func dataPrefixOf(id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{dataPrefix}, id)
}

// storeID returns the id of a task's store, allocating one the first time
// the store is seen. Ids are never reused, so a wiped store can not leak
// into a new one.
func (m *Manager) storeID(task TaskID, store string) (uint32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, errors.New("state: manager is closed")
	}
	key := storeIDKey(task, store)
	v, err := m.getMeta(key)
	if err != nil {
		return 0, err
	}
	if len(v) == 4 {
		return binary.BigEndian.Uint32(v), nil
	}
	id := m.nextID
	b := m.db.NewBatch()
	defer b.Close()
	b.Set(key, binary.BigEndian.AppendUint32(nil, id), nil)
	b.Set([]byte{metaPrefix, metaNextID}, binary.BigEndian.AppendUint32(nil, id+1), nil)
	if err := b.Commit(pebble.NoSync); err != nil {
		return 0, fmt.Errorf("state: registering store %q of task %s: %w", store, task, err)
	}
	m.nextID = id + 1
	return id, nil
}

// acquire returns the task's state, opening it on first use; every
// acquire is paired with a release.
func (m *Manager) acquire(id TaskID) (*taskState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("state: manager is closed")
	}
	ts := m.tasks[id]
	if ts == nil {
		ts = newTaskState(m, id)
		m.tasks[id] = ts
		if err := m.db.Set(taskSeenKey(id), binary.BigEndian.AppendUint64(nil, 0), pebble.NoSync); err != nil {
			delete(m.tasks, id)
			return nil, fmt.Errorf("state: opening task %s: %w", id, err)
		}
	}
	ts.refs++
	return ts, nil
}

// release drops one reference; the last one discards uncommitted writes
// and stamps the time, from which CleanObsolete counts the cleanup delay.
func (m *Manager) release(ts *taskState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts.refs--
	if ts.refs > 0 || m.tasks[ts.id] != ts {
		return
	}
	delete(m.tasks, ts.id)
	ts.discard()
	if !m.closed {
		now := uint64(time.Now().UnixMilli())
		if err := m.db.Set(taskSeenKey(ts.id), binary.BigEndian.AppendUint64(nil, now), pebble.NoSync); err != nil {
			m.log.Warn("recording task close", "task", ts.id.String(), "error", err)
		}
	}
}

func (m *Manager) lookup(id TaskID) *taskState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tasks[id]
}

// Commit applies a task's writes since its last commit in one Pebble
// batch, together with the changelog position each store now reflects:
// offsets maps a store name to the offset after the last changelog record
// of that store that the broker acknowledged. Call it after the task's
// stores are flushed and its changelog records are acknowledged, and Sync
// after the commits of a round. Stores missing from offsets keep their
// checkpoint.
func (m *Manager) Commit(id TaskID, offsets map[string]int64) error {
	ts := m.lookup(id)
	if ts == nil {
		return nil
	}
	return ts.commit(offsets)
}

// Sync makes every commit so far durable with one sync of the write-ahead
// log. Pebble keeps unsynced log records in memory until a block fills,
// so without it a killed process would lose recent commits (restoration
// would then replay more of the changelog, never lose data). The runtime
// calls it once per commit of a thread, after committing its tasks and
// before committing their input offsets.
func (m *Manager) Sync() error {
	if !m.unsynced.Swap(false) {
		return nil
	}
	if err := m.db.LogData(nil, pebble.Sync); err != nil {
		m.unsynced.Store(true)
		return fmt.Errorf("state: syncing %s: %w", m.dir, err)
	}
	return nil
}

// Abort drops a task's writes since its last commit (a dirty close, or a
// transaction that did not commit); its stores then read the last
// committed state again.
func (m *Manager) Abort(id TaskID) {
	if ts := m.lookup(id); ts != nil {
		ts.discard()
	}
}

// CommitNeeded reports whether a task's uncommitted writes outgrew its
// share of the memory budget, so the runtime should commit it early.
func (m *Manager) CommitNeeded(id TaskID) bool {
	ts := m.lookup(id)
	if ts == nil {
		return false
	}
	return ts.pendingBytes() > m.batchShare()
}

// minBatchShare keeps commits from becoming tiny with very many tasks.
const minBatchShare = 64 << 10

// batchShare is what one task's uncommitted writes may take: the batch
// budget split over the open tasks.
func (m *Manager) batchShare() int64 {
	m.mu.Lock()
	n := int64(max(len(m.tasks), 1))
	m.mu.Unlock()
	return max(m.batchBudget/n, minBatchShare)
}

// Checkpoint returns the changelog offset a task's store has restored up
// to, and whether it has one.
func (m *Manager) Checkpoint(id TaskID, store string) (int64, bool) {
	ts := m.lookup(id)
	if ts == nil {
		return 0, false
	}
	return ts.checkpoint(store)
}

// CleanObsolete deletes the state of tasks that owned reports false for
// and that closed here longer than delay ago (state.cleanup.delay.ms).
// Tasks that are open are never touched. It returns the tasks removed.
func (m *Manager) CleanObsolete(owned func(TaskID) bool, delay time.Duration, now time.Time) ([]TaskID, error) {
	type seen struct {
		id     TaskID
		closed int64
	}
	var candidates []seen
	it, err := m.db.NewIter(&pebble.IterOptions{
		LowerBound: []byte{metaPrefix, metaTaskSeen},
		UpperBound: []byte{metaPrefix, metaTaskSeen + 1},
	})
	if err != nil {
		return nil, err
	}
	for it.First(); it.Valid(); it.Next() {
		var id TaskID
		if _, err := fmt.Sscanf(string(it.Key()[2:]), "%d_%d", &id.Subtopology, &id.Partition); err != nil {
			continue
		}
		if v := it.Value(); len(v) == 8 {
			candidates = append(candidates, seen{id, int64(binary.BigEndian.Uint64(v))})
		}
	}
	if err := it.Close(); err != nil {
		return nil, err
	}
	var removed []TaskID
	var errs []error
	for _, c := range candidates {
		if c.closed == 0 || owned(c.id) || now.Sub(time.UnixMilli(c.closed)) < delay {
			continue
		}
		ok, err := m.removeTask(c.id)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			removed = append(removed, c.id)
		}
	}
	return removed, errors.Join(errs...)
}

// removeTask deletes every store of a closed task, its checkpoints and its
// registry entries, unless the task was reopened meanwhile.
func (m *Manager) removeTask(id TaskID) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.tasks[id] != nil {
		return false, nil
	}
	prefix := storeIDKey(id, "")
	it, err := m.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: PrefixEnd(prefix)})
	if err != nil {
		return false, err
	}
	b := m.db.NewBatch()
	defer b.Close()
	for it.First(); it.Valid(); it.Next() {
		if v := it.Value(); len(v) == 4 {
			sid := binary.BigEndian.Uint32(v)
			p := dataPrefixOf(sid)
			b.DeleteRange(p, PrefixEnd(p), nil)
			b.Delete(checkpointKey(sid), nil)
		}
		b.Delete(it.Key(), nil)
	}
	if err := it.Close(); err != nil {
		return false, err
	}
	b.Delete(taskSeenKey(id), nil)
	if err := b.Commit(pebble.NoSync); err != nil {
		return false, fmt.Errorf("state: removing task %s: %w", id, err)
	}
	return true, nil
}

// pebbleLogger sends Pebble's own logging to slog: its informational
// lines at debug level, so the happy path stays quiet.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	if p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug("pebble: " + fmt.Sprintf(format, args...))
	}
}
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error("pebble: " + fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error("pebble fatal: " + msg)
	panic("pebble: " + msg)
}

// BuildStore builds one store of a task with b and binds its layers to
// the manager: persistent stores to the database, caching layers to the
// shared record cache. The runtime passes it as topology.TaskEnv.BuildStore.
func (m *Manager) BuildStore(task TaskID, b StoreBuilder) (StateStore, error) {
	s, err := b.Build()
	if err != nil {
		return nil, err
	}
	for layer := s; layer != nil; {
		if mb, ok := layer.(managerBinder); ok {
			mb.bindManager(m, task)
		}
		switch in := layer.(type) {
		case innerStoreOf:
			layer = in.innerStore()
		case interface{ Bytes() KeyValueBytesStore }:
			// A wrapper from another package over a typed store of ours.
			layer = in.Bytes()
		default:
			layer = nil
		}
	}
	return s, nil
}
