package state_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

func windowStore(t *testing.T, e engine, ctx *testCtx, retention, size time.Duration, dups bool) state.WindowStore[string, string] {
	t.Helper()
	b := state.WindowStoreBuilder(e.windowSupplier("w", retention, size, dups), serde.String(), serde.String())
	return e.build(t, ctx, b).(state.WindowStore[string, string])
}

func windows(it state.KeyValueIterator[state.Windowed[string], string], err error) []string {
	all, err := collect(it, err)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	out := []string{}
	for _, kv := range all {
		out = append(out, fmt.Sprintf("%s@%d-%d=%s", kv.Key.Key, kv.Key.Window.Start, kv.Key.Window.End, kv.Value))
	}
	return out
}

func starts(it state.KeyValueIterator[int64, string], err error) []string {
	all, err := collect(it, err)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	out := []string{}
	for _, kv := range all {
		out = append(out, fmt.Sprintf("%d=%s", kv.Key, kv.Value))
	}
	return out
}

func TestWindowStoreFetch(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, false)
		w := windowStore(t, e, ctx, time.Hour, 10*time.Second, false)
		for _, p := range []struct {
			k, v string
			ts   int64
		}{{"a", "a0", 0}, {"a", "a10", 10_000}, {"b", "b10", 10_000}, {"a", "a20", 20_000}, {"a\x00", "nul", 10_000}, {"ab", "ab10", 10_000}, {"a", "a10'", 10_000}} {
			must(t, w.Put(p.k, p.v, p.ts))
		}
		e.commit(t, ctx)
		if got, want := starts(w.Fetch("a", 0, 20_000)), []string{"0=a0", "10000=a10'", "20000=a20"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Fetch(a) = %v, want %v (keys sharing a prefix must not mix in)", got, want)
		}
		if got, want := starts(w.Fetch("a", 5_000, 15_000)), []string{"10000=a10'"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Fetch(a, 5s, 15s) = %v, want %v", got, want)
		}
		if got, want := starts(w.BackwardFetch("a", 0, 20_000)), []string{"20000=a20", "10000=a10'", "0=a0"}; !reflect.DeepEqual(got, want) {
			t.Errorf("BackwardFetch(a) = %v, want %v", got, want)
		}
		if v, ok, _ := w.FetchWindow("a", 10_000); !ok || v != "a10'" {
			t.Errorf("FetchWindow(a, 10s) = %q, %v", v, ok)
		}
		if _, ok, _ := w.FetchWindow("a", 5_000); ok {
			t.Error("FetchWindow found a window that was never written")
		}
		if got, want := windows(w.FetchKeyRange("a", "ab", 10_000, 10_000)), []string{"a@10000-20000=a10'", "a\x00@10000-20000=nul", "ab@10000-20000=ab10"}; !reflect.DeepEqual(got, want) {
			t.Errorf("FetchKeyRange = %q, want %q", got, want)
		}
		if got, want := windows(w.FetchAll(10_000, 10_000)), []string{"a@10000-20000=a10'", "a\x00@10000-20000=nul", "ab@10000-20000=ab10", "b@10000-20000=b10"}; !reflect.DeepEqual(got, want) {
			t.Errorf("FetchAll = %q, want %q", got, want)
		}
		if got := windows(w.All()); len(got) != 6 {
			t.Errorf("All = %q, want 6 windows", got)
		}
		if got := windows(w.BackwardAll()); len(got) != 6 || got[0] != "b@10000-20000=b10" {
			t.Errorf("BackwardAll = %q", got)
		}
		must(t, w.Delete("a", 0))
		if got, want := starts(w.Fetch("a", 0, 0)), []string{}; !reflect.DeepEqual(got, want) {
			t.Errorf("after Delete: %v", got)
		}
		if err := w.Put("a", "neg", -1); err == nil {
			t.Error("a negative window start was accepted")
		}
	})
}

func TestWindowStoreRetainDuplicates(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, false)
		w := windowStore(t, e, ctx, time.Hour, time.Second, true)
		must(t, w.Put("k", "1", 5))
		must(t, w.Put("k", "2", 5))
		must(t, w.Put("k", "3", 3))
		must(t, w.Delete("k", 5)) // ignored with duplicates, as in Kafka
		if got, want := starts(w.Fetch("k", 0, 10)), []string{"3=3", "5=1", "5=2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Fetch with duplicates = %v, want %v", got, want)
		}
	})
}

// TestWindowStoreRetention: stream time is the largest window start put;
// windows older than stream time minus retention are neither returned nor
// accepted, and their segments are dropped.
func TestWindowStoreRetention(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, false)
		// Retention 2 min: segments of 1 min.
		w := windowStore(t, e, ctx, 2*time.Minute, time.Second, false)
		must(t, w.Put("k", "old", 0))
		must(t, w.Put("k", "mid", 90_000))
		if got := starts(w.Fetch("k", 0, 1<<40)); len(got) != 2 {
			t.Fatalf("before expiry: %v", got)
		}
		must(t, w.Put("k", "new", 200_000)) // stream time 200s: live from 80s
		if got, want := starts(w.Fetch("k", 0, 1<<40)), []string{"90000=mid", "200000=new"}; !reflect.DeepEqual(got, want) {
			t.Errorf("after expiry: %v, want %v", got, want)
		}
		must(t, w.Put("k", "late", 10_000)) // expired on arrival: dropped
		if _, ok, _ := w.FetchWindow("k", 10_000); ok {
			t.Error("an expired put was stored")
		}
		must(t, w.Put("k", "newest", 300_000)) // live from 180s: 90s is gone
		if got, want := windows(w.All()), []string{"k@200000-201000=new", "k@300000-301000=newest"}; !reflect.DeepEqual(got, want) {
			t.Errorf("All after second expiry: %v, want %v", got, want)
		}
	})
}

func TestWindowStoreChangelogRestore(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, true)
		w := windowStore(t, e, ctx, time.Hour, time.Second, true)
		ctx.recordTs = 7
		must(t, w.Put("a", "1", 1000))
		must(t, w.Put("a", "2", 1000))
		must(t, w.Put("b", "3", 2000))
		log := ctx.changelog("w")
		if len(log) != 3 {
			t.Fatalf("changelog has %d records, want 3", len(log))
		}
		// Kafka's layout: key, window start (8 bytes), sequence (4 bytes).
		if k := log[1].Key; string(k[:1]) != "a" || len(k) != 13 || k[12] != 2 {
			t.Errorf("changelog key %x, want 'a' + start + seq 2", k)
		}
		fresh := newTestCtx(t, true)
		r := windowStore(t, e, fresh, time.Hour, time.Second, true)
		must(t, fresh.restores["w"](log))
		e.commit(t, fresh)
		if got, want := windows(r.All()), windows(w.All()); !reflect.DeepEqual(got, want) {
			t.Errorf("restored %v, want %v", got, want)
		}
	})
}

func sessionStore(t *testing.T, e engine, ctx *testCtx, retention time.Duration) state.SessionStore[string, string] {
	t.Helper()
	return e.build(t, ctx, state.SessionStoreBuilder(e.sessionSupplier("s", retention), serde.String(), serde.String())).(state.SessionStore[string, string])
}

func session(k string, start, end int64) state.Windowed[string] {
	return state.Windowed[string]{Key: k, Window: state.Window{Start: start, End: end}}
}

func TestSessionStore(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, false)
		s := sessionStore(t, e, ctx, time.Hour)
		must(t, s.Put(session("a", 0, 10), "a1"))
		must(t, s.Put(session("a", 20, 30), "a2"))
		must(t, s.Put(session("a", 100, 100), "a3"))
		must(t, s.Put(session("ab", 15, 25), "ab"))
		must(t, s.Put(session("b", 0, 5), "b"))
		e.commit(t, ctx)
		// Sessions a record at 25 with gap 5 merges with: end >= 20, start <= 30.
		if got, want := windows(s.FindSessions("a", 20, 30)), []string{"a@20-30=a2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("FindSessions(a, 20, 30) = %v, want %v", got, want)
		}
		if got, want := windows(s.FindSessions("a", 5, 100)), []string{"a@0-10=a1", "a@20-30=a2", "a@100-100=a3"}; !reflect.DeepEqual(got, want) {
			t.Errorf("FindSessions(a, 5, 100) = %v, want %v", got, want)
		}
		if got, want := windows(s.BackwardFindSessions("a", 0, 1000)), []string{"a@100-100=a3", "a@20-30=a2", "a@0-10=a1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("BackwardFindSessions = %v, want %v", got, want)
		}
		if got, want := windows(s.FindSessionsKeyRange("a", "b", 0, 16)), []string{"a@0-10=a1", "ab@15-25=ab", "b@0-5=b"}; !reflect.DeepEqual(got, want) {
			t.Errorf("FindSessionsKeyRange = %v, want %v", got, want)
		}
		if v, ok, _ := s.FetchSession("a", 20, 30); !ok || v != "a2" {
			t.Errorf("FetchSession = %q, %v", v, ok)
		}
		must(t, s.Remove(session("a", 20, 30)))
		if got, want := windows(s.Fetch("a")), []string{"a@0-10=a1", "a@100-100=a3"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Fetch(a) after Remove = %v, want %v", got, want)
		}
		if err := s.Put(session("a", 10, 5), "bad"); err == nil {
			t.Error("a session ending before it starts was accepted")
		}
	})
}

func TestSessionStoreRetentionAndRestore(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, true)
		s := sessionStore(t, e, ctx, 2*time.Minute)
		must(t, s.Put(session("k", 0, 1000), "old"))
		must(t, s.Put(session("k", 100_000, 200_000), "new")) // live from 80s
		must(t, s.Put(session("k", 0, 2000), "late"))         // expired: dropped
		if got, want := windows(s.Fetch("k")), []string{"k@100000-200000=new"}; !reflect.DeepEqual(got, want) {
			t.Errorf("after expiry: %v, want %v", got, want)
		}
		log := ctx.changelog("s")
		if len(log) != 2 {
			t.Fatalf("changelog has %d records, want 2 (the dropped put is not logged)", len(log))
		}
		fresh := newTestCtx(t, true)
		r := sessionStore(t, e, fresh, 2*time.Minute)
		must(t, fresh.restores["s"](log))
		e.commit(t, fresh)
		if got, want := windows(r.Fetch("k")), []string{"k@100000-200000=new"}; !reflect.DeepEqual(got, want) {
			t.Errorf("restored %v, want %v (the expired session must stay expired)", got, want)
		}
	})
}

func TestWindowedLogConfig(t *testing.T) {
	b := state.WindowStoreBuilder(state.InMemoryWindowStore("w", time.Hour, time.Minute, false), serde.String(), serde.String())
	cfg := b.WithLoggingEnabled(map[string]string{"min.insync.replicas": "2"}).LogConfig()
	want := map[string]string{"cleanup.policy": "compact,delete", "retention.ms": "90000000", "min.insync.replicas": "2"}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("LogConfig = %v, want %v", cfg, want)
	}
	if _, err := state.WindowStoreBuilder(state.InMemoryWindowStore("w", time.Second, time.Minute, false), serde.String(), serde.String()).Build(); err == nil {
		t.Error("retention smaller than the window size was accepted")
	}
}

func TestTimestampedKeyValueStore(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, true)
		kv := e.build(t, ctx, state.TimestampedKeyValueStoreBuilder(e.kvSupplier("t"), serde.String(), serde.Int64())).(state.TimestampedKeyValueStore[string, int64])
		ctx.recordTs = 99
		must(t, kv.Put("a", state.ValueAndTimestamp[int64]{Value: 5, Timestamp: 1234}))
		got, ok, err := kv.Get("a")
		if err != nil || !ok || got != (state.ValueAndTimestamp[int64]{Value: 5, Timestamp: 1234}) {
			t.Fatalf("Get = %+v, %v, %v", got, ok, err)
		}
		log := ctx.changelog("t")
		// The changelog holds the plain value, stamped with the value's timestamp.
		if len(log) != 1 || len(log[0].Value) != 8 || log[0].TimestampMs != 1234 {
			t.Fatalf("changelog = %+v", log)
		}
		fresh := newTestCtx(t, true)
		r := e.build(t, fresh, state.TimestampedKeyValueStoreBuilder(e.kvSupplier("t"), serde.String(), serde.Int64())).(state.TimestampedKeyValueStore[string, int64])
		must(t, fresh.restores["t"](log))
		e.commit(t, fresh)
		if got, ok, _ := r.Get("a"); !ok || got.Timestamp != 1234 || got.Value != 5 {
			t.Fatalf("restored %+v, %v", got, ok)
		}
	})
}
