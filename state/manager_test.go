package state_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

// managedKV opens store "s" of ctx's task in m.
func managedKV(t *testing.T, m *state.Manager, ctx *testCtx) state.KeyValueStore[string, string] {
	t.Helper()
	st, err := m.BuildStore(ctx.task, state.KeyValueStoreBuilder(state.PersistentKeyValueStore("s"), serde.String(), serde.String()))
	must(t, err)
	must(t, st.Init(ctx, st))
	return st.(state.KeyValueStore[string, string])
}

// TestCommitIsAtomicWithCheckpoint: what a commit wrote, and the changelog
// offset it records, survive a reopen together; writes after the last
// commit do not.
func TestCommitIsAtomicWithCheckpoint(t *testing.T) {
	ctx := newTestCtx(t, true)
	dir := filepath.Join(ctx.dir, "db")
	m := openManager(t, dir)
	kv := managedKV(t, m, ctx)
	if _, ok := m.Checkpoint(ctx.task, "s"); ok {
		t.Fatal("a new store has a checkpoint")
	}
	must(t, kv.Put("a", "1"))
	must(t, kv.Put("b", "2"))
	must(t, m.Commit(ctx.task, map[string]int64{"s": 2}))
	must(t, kv.Put("c", "uncommitted"))
	must(t, m.Close()) // like a crash: the task never committed "c"

	m = openManager(t, dir)
	defer m.Close()
	kv = managedKV(t, m, ctx)
	defer kv.Close()
	if off, ok := m.Checkpoint(ctx.task, "s"); !ok || off != 2 {
		t.Fatalf("checkpoint after reopen = %d, %v; want 2", off, ok)
	}
	all, err := collect(kv.All())
	must(t, err)
	if want := []state.KeyValue[string, string]{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}; !reflect.DeepEqual(all, want) {
		t.Fatalf("after reopen: %v, want %v", all, want)
	}
}

// TestAbortDropsUncommittedWrites: a dirty close (or an aborted
// transaction) leaves the store as of its last commit.
func TestAbortDropsUncommittedWrites(t *testing.T) {
	ctx := newTestCtx(t, true)
	m := openManager(t, filepath.Join(ctx.dir, "db"))
	defer m.Close()
	kv := managedKV(t, m, ctx)
	defer kv.Close()
	must(t, kv.Put("a", "committed"))
	must(t, m.Commit(ctx.task, map[string]int64{"s": 1}))
	must(t, kv.Put("a", "dirty"))
	must(t, kv.Put("b", "dirty"))
	m.Abort(ctx.task)
	if v, _, _ := kv.Get("a"); v != "committed" {
		t.Errorf("a = %q after abort, want the committed value", v)
	}
	if _, ok, _ := kv.Get("b"); ok {
		t.Error("b survived the abort")
	}
	if off, _ := m.Checkpoint(ctx.task, "s"); off != 1 {
		t.Errorf("checkpoint = %d after abort, want 1", off)
	}
}

// TestTasksShareOneDatabase: stores of different tasks with the same name
// are separate.
func TestTasksShareOneDatabase(t *testing.T) {
	dir := t.TempDir()
	m := openManager(t, filepath.Join(dir, "db"))
	defer m.Close()
	var stores []state.KeyValueStore[string, string]
	for p := range 3 {
		ctx := newTestCtx(t, false)
		ctx.task = state.TaskID{Subtopology: 0, Partition: int32(p)}
		kv := managedKV(t, m, ctx)
		defer kv.Close()
		must(t, kv.Put("k", fmt.Sprint(p)))
		must(t, m.Commit(ctx.task, nil))
		stores = append(stores, kv)
	}
	for p, kv := range stores {
		all, err := collect(kv.All())
		must(t, err)
		if len(all) != 1 || all[0].Value != fmt.Sprint(p) {
			t.Errorf("task 0_%d sees %v", p, all)
		}
	}
}

// TestCleanObsolete: the state of a task that closed here longer than the
// delay ago and is not owned is deleted; owned, open and recent tasks stay.
func TestCleanObsolete(t *testing.T) {
	dir := t.TempDir()
	m := openManager(t, filepath.Join(dir, "db"))
	defer m.Close()
	open := func(p int32) (*testCtx, state.KeyValueStore[string, string]) {
		ctx := newTestCtx(t, false)
		ctx.task = state.TaskID{Partition: p}
		kv := managedKV(t, m, ctx)
		must(t, kv.Put("k", "v"))
		must(t, m.Commit(ctx.task, map[string]int64{"s": 7}))
		return ctx, kv
	}
	_, gone := open(0)
	_, owned := open(1)
	_, stillOpen := open(2)
	defer stillOpen.Close()
	must(t, gone.Close())
	must(t, owned.Close())

	later := time.Now().Add(time.Hour)
	removed, err := m.CleanObsolete(func(id state.TaskID) bool { return id.Partition == 1 }, 2*time.Hour, later)
	must(t, err)
	if len(removed) != 0 {
		t.Fatalf("removed %v before the delay passed", removed)
	}
	removed, err = m.CleanObsolete(func(id state.TaskID) bool { return id.Partition == 1 }, time.Minute, later)
	must(t, err)
	if !reflect.DeepEqual(removed, []state.TaskID{{Partition: 0}}) {
		t.Fatalf("removed %v, want only 0_0", removed)
	}
	ctx := newTestCtx(t, false)
	again := managedKV(t, m, ctx)
	defer again.Close()
	if _, ok, _ := again.Get("k"); ok {
		t.Error("the removed task's data is still there")
	}
	if _, ok := m.Checkpoint(ctx.task, "s"); ok {
		t.Error("the removed task's checkpoint is still there")
	}
}

// TestCommitNeeded: a task whose uncommitted writes outgrow their share of
// the memory budget asks for an early commit.
func TestCommitNeeded(t *testing.T) {
	ctx := newTestCtx(t, false)
	m := openManager(t, filepath.Join(ctx.dir, "db")) // 16 MiB: 2 MiB for batches
	defer m.Close()
	kv := managedKV(t, m, ctx)
	defer kv.Close()
	value := string(make([]byte, 1000))
	for i := 0; !m.CommitNeeded(ctx.task); i++ {
		if i > 10_000 {
			t.Fatal("10 MB of uncommitted writes and no commit request")
		}
		must(t, kv.Put(fmt.Sprint(i), value))
	}
	must(t, m.Commit(ctx.task, nil))
	if m.CommitNeeded(ctx.task) {
		t.Fatal("still needs a commit after committing")
	}
}
