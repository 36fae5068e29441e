package state_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/state"
)

// logged is one change a store sent to its changelog.
type logged struct {
	store      string
	key, value []byte
	ts         int64
}

// testCtx is a StateStoreContext for one task: it records changelog writes
// (with their offsets, as the broker would assign them) and restore
// callbacks, and lets tests set the record timestamp.
type testCtx struct {
	dir      string
	task     state.TaskID
	logging  bool
	recordTs int64
	log      []logged
	restores map[string]state.RestoreCallback
}

func newTestCtx(t *testing.T, logging bool) *testCtx {
	return &testCtx{dir: t.TempDir(), logging: logging, recordTs: -1, restores: map[string]state.RestoreCallback{}}
}

func (c *testCtx) ApplicationID() string { return "app" }
func (c *testCtx) TaskID() state.TaskID  { return c.task }
func (c *testCtx) StateDir() string      { return filepath.Join(c.dir, "app", c.task.String()) }
func (c *testCtx) Logger() *slog.Logger  { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func (c *testCtx) RecordTimestamp() int64 {
	return c.recordTs
}

func (c *testCtx) Register(s state.StateStore, restore state.RestoreCallback) error {
	c.restores[s.Name()] = restore
	return nil
}

func (c *testCtx) ChangelogTopic(store string) string {
	if !c.logging {
		return ""
	}
	return "app-" + store + "-changelog"
}

func (c *testCtx) LogChange(store string, key, value []byte) error {
	return c.LogChangeAt(store, key, value, c.recordTs)
}

func (c *testCtx) LogChangeAt(store string, key, value []byte, ts int64) error {
	c.log = append(c.log, logged{store: store, key: key, value: value, ts: ts})
	return nil
}

// changelog returns the logged changes of store as changelog records with
// offsets 0, 1, ...
func (c *testCtx) changelog(store string) []state.ChangelogRecord {
	var out []state.ChangelogRecord
	for _, l := range c.log {
		if l.store == store {
			out = append(out, state.ChangelogRecord{Key: l.key, Value: l.value, Offset: int64(len(out)), TimestampMs: l.ts})
		}
	}
	return out
}

func openManager(t *testing.T, dir string) *state.Manager {
	t.Helper()
	m, err := state.OpenManager(state.ManagerOptions{Dir: dir, MemoryBytes: 16 << 20, CacheMaxBytes: 1 << 20,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// engine makes stores of one kind (in memory, Pebble in a Manager, Pebble
// on its own) so one suite runs against each.
type engine struct {
	name       string
	persistent bool
	// build makes and opens a store of task from b; commit makes its
	// writes durable; reopen closes everything and opens again on the
	// same directory (persistent engines only).
	build  func(t *testing.T, ctx *testCtx, b state.StoreBuilder) state.StateStore
	commit func(t *testing.T, ctx *testCtx)
}

func engines(t *testing.T) []engine {
	return []engine{
		{
			name: "memory",
			build: func(t *testing.T, ctx *testCtx, b state.StoreBuilder) state.StateStore {
				s, err := b.Build()
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Init(ctx, s); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			},
			commit: func(*testing.T, *testCtx) {},
		},
		managedEngine(t),
		{
			name:       "pebble-private",
			persistent: true,
			build: func(t *testing.T, ctx *testCtx, b state.StoreBuilder) state.StateStore {
				s, err := b.Build()
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Init(ctx, s); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			},
			commit: func(*testing.T, *testCtx) {},
		},
	}
}

// managedEngine builds stores through one Manager per test directory.
func managedEngine(t *testing.T) engine {
	managers := map[string]*state.Manager{}
	get := func(t *testing.T, ctx *testCtx) *state.Manager {
		m := managers[ctx.dir]
		if m == nil {
			m = openManager(t, filepath.Join(ctx.dir, "db"))
			managers[ctx.dir] = m
			t.Cleanup(func() { m.Close(); delete(managers, ctx.dir) })
		}
		return m
	}
	return engine{
		name:       "pebble",
		persistent: true,
		build: func(t *testing.T, ctx *testCtx, b state.StoreBuilder) state.StateStore {
			m := get(t, ctx)
			s, err := m.BuildStore(ctx.task, b)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Init(ctx, s); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		commit: func(t *testing.T, ctx *testCtx) {
			if err := get(t, ctx).Commit(ctx.task, nil); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// kvSupplier returns the supplier of the engine's key-value stores.
func (e engine) kvSupplier(name string) state.KeyValueBytesStoreSupplier {
	if e.persistent {
		return state.PersistentKeyValueStore(name)
	}
	return state.InMemoryKeyValueStore(name)
}

// forEngines runs fn as a subtest per engine.
func forEngines(t *testing.T, fn func(t *testing.T, e engine)) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) { fn(t, e) })
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// collect reads an iterator to the end and closes it.
func collect[K, V any](it state.KeyValueIterator[K, V], err error) ([]state.KeyValue[K, V], error) {
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []state.KeyValue[K, V]
	for it.Next() {
		out = append(out, state.KeyValue[K, V]{Key: it.Key(), Value: it.Value()})
	}
	return out, it.Err()
}

// kvStrings lists a byte iterator as "k=v" strings; an error shows up as
// an entry, so comparisons fail with it in the message.
func kvStrings(it state.KeyValueIterator[[]byte, []byte], err error) []string {
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	defer it.Close()
	out := []string{}
	for it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	if err := it.Err(); err != nil {
		out = append(out, "error: "+err.Error())
	}
	return out
}

func (e engine) windowSupplier(name string, retention, size time.Duration, dups bool) state.WindowBytesStoreSupplier {
	if e.persistent {
		return state.PersistentWindowStore(name, retention, size, dups)
	}
	return state.InMemoryWindowStore(name, retention, size, dups)
}

func (e engine) sessionSupplier(name string, retention time.Duration) state.SessionBytesStoreSupplier {
	if e.persistent {
		return state.PersistentSessionStore(name, retention)
	}
	return state.InMemorySessionStore(name, retention)
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
