package state_test

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

// cachedCounts builds a caching, logged String->Int64 store through a
// Manager with the given cache budget (in memory or Pebble), and records
// what its flush listener receives.
func cachedCounts(t *testing.T, persistent bool, cacheBytes int64, sendOld bool) (*testCtx, state.KeyValueStore[string, int64], *[]string, *state.Manager) {
	t.Helper()
	ctx := newTestCtx(t, true)
	m, err := state.OpenManager(state.ManagerOptions{Dir: filepath.Join(ctx.dir, "db"), CacheMaxBytes: cacheBytes,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	must(t, err)
	t.Cleanup(func() { m.Close() })
	var sup state.KeyValueBytesStoreSupplier = state.InMemoryKeyValueStore("c")
	if persistent {
		sup = state.PersistentKeyValueStore("c")
	}
	st, err := m.BuildStore(ctx.task, state.KeyValueStoreBuilder(sup, serde.String(), serde.Int64()).WithCachingEnabled())
	must(t, err)
	must(t, st.Init(ctx, st))
	t.Cleanup(func() { st.Close() })
	kv := st.(state.KeyValueStore[string, int64])
	var got []string
	if !state.SetKeyValueFlushListener(kv, sendOld, func(f state.CacheFlush[string, int64]) error {
		s := fmt.Sprintf("%s:", f.Key)
		if f.HasNew {
			s += fmt.Sprint(f.NewValue)
		} else {
			s += "null"
		}
		if f.HasOld {
			s += fmt.Sprintf("(old %d)", f.OldValue)
		}
		got = append(got, s+fmt.Sprintf("@%d", f.TimestampMs))
		return nil
	}) {
		t.Fatal("SetFlushListener reported no cache on a caching store")
	}
	return ctx, kv, &got, m
}

// TestCachingCoalescesUntilFlush is Kafka's caching contract: downstream
// and the changelog see one update per key per commit, the latest, with
// the timestamp of the record that made it.
func TestCachingCoalescesUntilFlush(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		t.Run(fmt.Sprintf("persistent=%v", persistent), func(t *testing.T) {
			ctx, kv, got, m := cachedCounts(t, persistent, 1<<20, true)
			for i, v := range []int64{1, 21, 321} {
				ctx.recordTs = int64(10 + i)
				must(t, kv.Put("A", v))
			}
			ctx.recordTs = 20
			must(t, kv.Put("D", 5))
			if v, _, _ := kv.Get("A"); v != 321 {
				t.Fatalf("read through the cache = %d", v)
			}
			if len(*got) != 0 || len(ctx.log) != 0 {
				t.Fatalf("before the commit: forwarded %v, logged %d", *got, len(ctx.log))
			}
			must(t, kv.Flush())
			must(t, m.Commit(ctx.task, nil))
			if want := []string{"A:321@12", "D:5@20"}; !reflect.DeepEqual(*got, want) {
				t.Fatalf("flushed %v, want %v", *got, want)
			}
			if len(ctx.log) != 2 || ctx.log[0].ts != 12 {
				t.Fatalf("changelog %+v: want one record per key, stamped with its update's time", ctx.log)
			}
			*got = nil
			ctx.recordTs = 30
			must(t, kv.Put("A", 4000))
			_, _, err := kv.Delete("D")
			must(t, err)
			_, _, err = kv.Delete("never")
			must(t, err)
			must(t, kv.Flush())
			if want := []string{"A:4000(old 321)@30", "D:null(old 5)@30"}; !reflect.DeepEqual(*got, want) {
				t.Fatalf("second flush %v, want %v (deleting an absent key forwards nothing)", *got, want)
			}
		})
	}
}

// TestCachingWithoutBudgetForwardsEveryUpdate: statestore.cache.max.bytes=0
// turns the cache into a pass-through, as in Kafka.
func TestCachingWithoutBudgetForwardsEveryUpdate(t *testing.T) {
	ctx, kv, got, _ := cachedCounts(t, true, 0, false)
	for i, v := range []int64{1, 21, 321} {
		ctx.recordTs = int64(i)
		must(t, kv.Put("A", v))
	}
	if want := []string{"A:1@0", "A:21@1", "A:321@2"}; !reflect.DeepEqual(*got, want) {
		t.Fatalf("forwarded %v, want every update", *got)
	}
	if len(ctx.log) != 3 {
		t.Fatalf("logged %d changes, want 3", len(ctx.log))
	}
}

// TestCachingEvictsOverBudget: a full cache evicts its least recently used
// entries, flushing all dirty ones first; nothing is lost.
func TestCachingEvictsOverBudget(t *testing.T) {
	ctx, kv, got, m := cachedCounts(t, true, 2000, false)
	for i := range 100 {
		must(t, kv.Put(fmt.Sprintf("k%03d", i), int64(i)))
	}
	if len(*got) == 0 {
		t.Fatal("nothing was evicted from a 2000-byte cache after 100 puts")
	}
	if size := m.RecordCache().SizeBytes(); size > 2000 {
		t.Fatalf("cache holds %d bytes, budget 2000", size)
	}
	must(t, kv.Flush())
	seen := map[string]bool{}
	for _, g := range *got {
		seen[g[:4]] = true
	}
	if len(seen) != 100 {
		t.Fatalf("%d distinct keys forwarded, want 100", len(seen))
	}
	all, err := collect(kv.All())
	must(t, err)
	if len(all) != 100 || all[42].Value != 42 {
		t.Fatalf("store has %d entries after eviction", len(all))
	}
	if len(ctx.log) != 100 {
		t.Fatalf("logged %d, want 100", len(ctx.log))
	}
}

// TestCachingRangeMergesCacheAndStore: ranges see cached updates and
// deletions over what the store holds.
func TestCachingRangeMergesCacheAndStore(t *testing.T) {
	_, kv, _, _ := cachedCounts(t, true, 1<<20, false)
	for i, k := range []string{"a", "b", "c", "d"} {
		must(t, kv.Put(k, int64(i)))
	}
	must(t, kv.Flush())
	must(t, kv.Put("b", 10))
	must(t, kv.Put("bb", 11))
	_, _, err := kv.Delete("c")
	must(t, err)
	list := func(it state.KeyValueIterator[string, int64], err error) string {
		all, err := collect(it, err)
		must(t, err)
		return fmt.Sprint(all)
	}
	if got, want := list(kv.All()), "[{a 0} {b 10} {bb 11} {d 3}]"; got != want {
		t.Errorf("All = %s, want %s", got, want)
	}
	if got, want := list(kv.ReverseRange("a", "c")), "[{bb 11} {b 10} {a 0}]"; got != want {
		t.Errorf("ReverseRange = %s, want %s", got, want)
	}
	if got, want := list(kv.PrefixScan("b")), "[{b 10} {bb 11}]"; got != want {
		t.Errorf("PrefixScan = %s, want %s", got, want)
	}
}

// TestCachingWindowAndSessionStores: with caching, window and session
// stores coalesce updates per window until the flush, read through the
// cache, and log and forward one update per window per flush.
func TestCachingWindowAndSessionStores(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		t.Run(fmt.Sprintf("persistent=%v", persistent), func(t *testing.T) {
			ctx := newTestCtx(t, true)
			m, err := state.OpenManager(state.ManagerOptions{Dir: filepath.Join(ctx.dir, "db"), CacheMaxBytes: 1 << 20, Logger: discard()})
			must(t, err)
			defer m.Close()
			e := engine{persistent: persistent}
			build := func(b state.StoreBuilder) state.StateStore {
				st, err := m.BuildStore(ctx.task, b)
				must(t, err)
				must(t, st.Init(ctx, st))
				t.Cleanup(func() { st.Close() })
				return st
			}
			w := build(state.WindowStoreBuilder(e.windowSupplier("w", time.Hour, time.Second, false), serde.String(), serde.String()).WithCachingEnabled()).(state.WindowStore[string, string])
			s := build(state.SessionStoreBuilder(e.sessionSupplier("s", time.Hour), serde.String(), serde.String()).WithCachingEnabled()).(state.SessionStore[string, string])
			var got []string
			listen := func(f state.WindowedCacheFlush[string, string]) error {
				v := "null"
				if f.HasNew {
					v = f.NewValue
				}
				if f.HasOld {
					v += "(old " + f.OldValue + ")"
				}
				got = append(got, fmt.Sprintf("%s@%d-%d=%s@%d", f.Key.Key, f.Key.Window.Start, f.Key.Window.End, v, f.TimestampMs))
				return nil
			}
			if !state.SetWindowedFlushListener(w, true, listen) || !state.SetWindowedFlushListener(s, true, listen) {
				t.Fatal("no cache on caching windowed stores")
			}
			ctx.recordTs = 5
			must(t, w.Put("k", "1", 0))
			ctx.recordTs = 6
			must(t, w.Put("k", "2", 0))
			must(t, w.Put("k", "x", 1000))
			must(t, s.Put(session("k", 0, 10), "s1"))
			must(t, s.Put(session("k", 0, 10), "s2"))
			if got, want := starts(w.Fetch("k", 0, 2000)), []string{"0=2", "1000=x"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("Fetch through the cache = %v, want %v", got, want)
			}
			if got, want := windows(s.FindSessions("k", 0, 100)), []string{"k@0-10=s2"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("FindSessions through the cache = %v, want %v", got, want)
			}
			if len(ctx.log) != 0 || len(got) != 0 {
				t.Fatalf("before the flush: logged %d, forwarded %v", len(ctx.log), got)
			}
			must(t, w.Flush())
			must(t, s.Flush())
			if want := []string{"k@0-1000=2@6", "k@1000-2000=x@6", "k@0-10=s2@6"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("flushed %v, want %v", got, want)
			}
			if log := ctx.changelog("w"); len(log) != 2 || len(log[0].Key) != 1+12 {
				t.Fatalf("window changelog %+v: want 2 records in Kafka's layout", log)
			}
			if log := ctx.changelog("s"); len(log) != 1 || len(log[0].Key) != 1+16 {
				t.Fatalf("session changelog %+v: want 1 record in Kafka's layout", log)
			}
			got = nil
			must(t, w.Delete("k", 1000))
			if got, want := starts(w.Fetch("k", 0, 2000)), []string{"0=2"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("a cached delete must hide the stored window: %v", got)
			}
			must(t, w.Flush())
			if want := []string{"k@1000-2000=null(old x)@6"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("flushed %v, want %v", got, want)
			}
			// Restoring the changelog rebuilds what the cache flushed.
			fresh := newTestCtx(t, true)
			fresh.task = state.TaskID{Partition: 9}
			r, err := m.BuildStore(fresh.task, state.WindowStoreBuilder(e.windowSupplier("w", time.Hour, time.Second, false), serde.String(), serde.String()))
			must(t, err)
			must(t, r.Init(fresh, r))
			defer r.Close()
			must(t, fresh.restores["w"](ctx.changelog("w")))
			if got, want := starts(r.(state.WindowStore[string, string]).Fetch("k", 0, 2000)), []string{"0=2"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("restored %v, want %v", got, want)
			}
		})
	}
}
