package state_test

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

// A value Get handed out stays as it was when the owner rewrites the key:
// the cache updates an entry's bytes in place only when nobody else holds
// them.
func TestCachedValueFromGetSurvivesRewrite(t *testing.T) {
	_, kv, _, _ := cachedCounts(t, false, 1<<20, false)
	bs := kv.Bytes()
	must(t, kv.Put("a", 1))
	lent, err := bs.Get([]byte("a"))
	must(t, err)
	held := bytes.Clone(lent)
	for v := int64(2); v < 5; v++ {
		must(t, kv.Put("a", v))
	}
	if !bytes.Equal(lent, held) {
		t.Fatalf("a value Get returned changed from % x to % x when the key was rewritten", held, lent)
	}
	if v, _, _ := kv.Get("a"); v != 4 {
		t.Fatalf("Get after rewrites = %d, want 4", v)
	}
}

// The owner's read-then-write cycle: GetForUpdate sees every write, an
// empty value stays present (not a deletion), a deletion in the cache reads
// as absent, and a rewrite after a flush (whose entries are pinned) still
// reads back right.
func TestGetForUpdateReadsOwnWrites(t *testing.T) {
	ctx := newTestCtx(t, true)
	e := engines(t)[0]
	st := e.build(t, ctx, state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("s"), serde.String(), serde.String()).WithCachingEnabled())
	kv := st.(state.UpdatableKeyValueStore[string, string])
	check := func(key, want string, wantOK bool) {
		t.Helper()
		v, ok, err := kv.GetForUpdate(key)
		must(t, err)
		if v != want || ok != wantOK {
			t.Fatalf("GetForUpdate(%q) = %q, %v; want %q, %v", key, v, ok, want, wantOK)
		}
	}
	check("k", "", false)
	must(t, kv.Put("k", "a longer value"))
	check("k", "a longer value", true)
	must(t, kv.Put("k", "short"))
	check("k", "short", true)
	must(t, kv.Put("k", ""))
	check("k", "", true)
	must(t, kv.Put("k", "grown again, longer than before"))
	check("k", "grown again, longer than before", true)
	must(t, kv.Flush())
	must(t, kv.Put("k", "after flush"))
	check("k", "after flush", true)
	if _, _, err := kv.Delete("k"); err != nil {
		t.Fatal(err)
	}
	check("k", "", false)
	must(t, kv.Flush())
	check("k", "", false)
	var got []string
	for _, l := range ctx.log {
		got = append(got, fmt.Sprintf("%s=%q", l.key, l.value))
	}
	if want := fmt.Sprint([]string{`k="grown again, longer than before"`, `k=""`}); fmt.Sprint(got) != want {
		t.Errorf("changelog %v, want %v", got, want)
	}
}

// Readers on other goroutines (interactive queries) use Get while the
// owner reads with GetForUpdate and rewrites the same keys; under -race
// this fails if the owner overwrites bytes a reader holds.
func TestConcurrentReadersWhileOwnerUpdatesInPlace(t *testing.T) {
	_, kv, _, _ := cachedCounts(t, false, 1<<20, false)
	upd := kv.(state.UpdatableKeyValueStore[string, int64])
	keys := []string{"a", "b", "c", "d"}
	for _, k := range keys {
		must(t, kv.Put(k, 0))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := map[string]int64{}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := keys[i%len(keys)]
				v, ok, err := kv.Get(k)
				if err != nil || !ok || v < last[k] {
					t.Errorf("reader: Get(%q) = %d, %v, %v after seeing %d", k, v, ok, err, last[k])
					return
				}
				last[k] = v
			}
		}()
	}
	for i := 0; i < 20_000; i++ {
		k := keys[i%len(keys)]
		v, _, err := upd.GetForUpdate(k)
		must(t, err)
		must(t, kv.Put(k, v+1))
	}
	close(stop)
	wg.Wait()
	for _, k := range keys {
		if v, _, _ := kv.Get(k); v != 5_000 {
			t.Errorf("%s = %d, want 5000", k, v)
		}
	}
}

// Rewriting a cached key through GetForUpdate and Put allocates nothing.
func TestCachedUpdateDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	_, kv, _, _ := cachedCounts(t, true, 1<<20, false)
	upd := kv.(state.UpdatableKeyValueStore[string, int64])
	words := []string{"alpha", "beta", "gamma"}
	for _, w := range words {
		must(t, kv.Put(w, 0))
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		w := words[i%len(words)]
		i++
		v, _, err := upd.GetForUpdate(w)
		if err != nil {
			t.Fatal(err)
		}
		if err := kv.Put(w, v+1); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per cached read-and-rewrite, want 0", allocs)
	}
	// A flush lends the values only while it runs: the first rewrite of
	// each key after it is in place too.
	many := make([]string, 200)
	for j := range many {
		many[j] = fmt.Sprintf("key%03d", j)
		must(t, kv.Put(many[j], 0))
	}
	must(t, kv.Flush())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, w := range many {
		v, _, err := upd.GetForUpdate(w)
		must(t, err)
		must(t, kv.Put(w, v+1))
	}
	runtime.ReadMemStats(&after)
	// MemStats counts the whole process: allow for a background goroutine.
	if n := after.Mallocs - before.Mallocs; n >= 20 {
		t.Errorf("%d allocations rewriting %d keys after a flush, want none", n, len(many))
	}
}

// A flush listener that writes back to its own store (as a downstream
// processor may) during a flush: the flush hands out every entry as it was
// when the flush began, and the writes wait, dirty, for the next flush.
func TestFlushListenerWritingBackSeesFlushSnapshot(t *testing.T) {
	ctx := newTestCtx(t, true)
	st := engines(t)[0].build(t, ctx, state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("s"), serde.String(), serde.Int64()).WithCachingEnabled())
	kv := st.(state.KeyValueStore[string, int64])
	var flushed []string
	state.SetKeyValueFlushListener(kv, false, func(f state.CacheFlush[string, int64]) error {
		flushed = append(flushed, fmt.Sprintf("%s=%d", f.Key, f.NewValue))
		if f.NewValue < 100 { // rewrite this key and the next one in the dirty order
			for _, k := range []string{"a", "b"} {
				if err := kv.Put(k, 100+f.NewValue); err != nil {
					return err
				}
			}
		}
		return nil
	})
	must(t, kv.Put("a", 1))
	must(t, kv.Put("b", 2))
	must(t, kv.Flush())
	if want := "[a=1 b=2]"; fmt.Sprint(flushed) != want {
		t.Fatalf("first flush %v, want %v", flushed, want)
	}
	flushed = nil
	must(t, kv.Flush())
	if want := "[a=102 b=102]"; fmt.Sprint(flushed) != want {
		t.Fatalf("second flush %v, want %v (the listener's last writes)", flushed, want)
	}
}

// copyingCtx is a testCtx whose change logging copies (as the runtime's
// does), and says so.
type copyingCtx struct{ *testCtx }

func (c copyingCtx) ChangeLogCopies() bool { return true }
func (c copyingCtx) LogChange(store string, key, value []byte) error {
	return c.LogChangeAt(store, key, value, c.recordTs)
}
func (c copyingCtx) LogChangeAt(store string, key, value []byte, ts int64) error {
	var v []byte
	if value != nil {
		v = bytes.Clone(value)
	}
	return c.testCtx.LogChangeAt(store, bytes.Clone(key), v, ts)
}

// Typed stores serialize every write into the same buffers: the changelog
// still gets each change right, whether the context keeps what it is
// given (so the logging layer copies) or copies it itself.
func TestChangelogOfReusedBuffers(t *testing.T) {
	for _, copies := range []bool{false, true} {
		t.Run(fmt.Sprintf("contextCopies=%v", copies), func(t *testing.T) {
			tc := newTestCtx(t, true)
			var ctx state.StateStoreContext = tc
			if copies {
				ctx = copyingCtx{tc}
			}
			for _, cached := range []bool{false, true} {
				b := state.TimestampedKeyValueStoreBuilder(state.InMemoryKeyValueStore(fmt.Sprintf("s%v", cached)), serde.String(), serde.String())
				if cached {
					b.WithCachingEnabled()
				}
				st, err := b.Build()
				must(t, err)
				must(t, st.Init(ctx, st))
				kv := st.(state.TimestampedKeyValueStore[string, string])
				must(t, kv.Put("first-key", state.ValueAndTimestamp[string]{Value: "a long first value", Timestamp: 5}))
				must(t, kv.Flush())
				must(t, kv.Put("k2", state.ValueAndTimestamp[string]{Value: "v2", Timestamp: 6}))
				must(t, kv.Flush())
				_, _, err = kv.Delete("k2")
				must(t, err)
				must(t, kv.Flush())
				must(t, st.Close())
			}
			var got []string
			for _, l := range tc.log {
				got = append(got, fmt.Sprintf("%s:%s=%q@%d", l.store, l.key, l.value, l.ts))
			}
			want := fmt.Sprint([]string{`sfalse:first-key="a long first value"@5`, `sfalse:k2="v2"@6`, `sfalse:k2=""@-1`,
				`strue:first-key="a long first value"@5`, `strue:k2="v2"@6`, `strue:k2=""@-1`})
			if fmt.Sprint(got) != want {
				t.Errorf("changelog\n%v\nwant\n%v", got, want)
			}
		})
	}
}
