package state_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

// countStore is the store of the DSL's count(): a cached, logged,
// timestamped Pebble store of String keys and Int64 counts, in a Manager,
// with vocab keys already counted once and flushed.
func countStore(b *testing.B, vocab int) (state.TimestampedKeyValueStore[string, int64], []string, *testCtx, *state.Manager) {
	b.Helper()
	m, err := state.OpenManager(state.ManagerOptions{Dir: filepath.Join(b.TempDir(), "db"), CacheMaxBytes: state.DefaultCacheMaxBytes, Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := &testCtx{dir: b.TempDir(), logging: true, recordTs: 1, restores: map[string]state.RestoreCallback{}}
	builder := state.TimestampedKeyValueStoreBuilder(state.PersistentTimestampedKeyValueStore("counts"), serde.String(), serde.Int64()).WithCachingEnabled()
	st, err := m.BuildStore(ctx.task, builder)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Init(ctx, st); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close(); m.Close() })
	kv := st.(state.TimestampedKeyValueStore[string, int64])
	words := make([]string, vocab)
	for i := range words {
		words[i] = fmt.Sprintf("word%06d", i)
		if err := kv.Put(words[i], state.ValueAndTimestamp[int64]{Value: 1, Timestamp: 1}); err != nil {
			b.Fatal(err)
		}
	}
	if err := kv.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := m.Commit(ctx.task, nil); err != nil {
		b.Fatal(err)
	}
	ctx.log = nil
	return kv, words, ctx, m
}

// BenchmarkCachedCountUpdate is one word of the word count's aggregation:
// read a key's count and timestamp and write it back incremented, for a
// vocabulary that fits in the record cache. With GetForUpdate (the DSL's
// read) both steps are a hash lookup and an in-place update of the cached
// entry, without allocating; with Get the cache lends the value's bytes
// to the reader, so the write stores a fresh copy.
func BenchmarkCachedCountUpdate(b *testing.B) {
	for _, read := range []string{"GetForUpdate", "Get"} {
		b.Run(read, func(b *testing.B) {
			kv, words, ctx, _ := countStore(b, 10_000)
			// Words in random order, as in text: most lookups miss the CPU caches.
			seq := make([]string, 1<<16)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range seq {
				seq[i] = words[rng.IntN(len(words))]
			}
			get := kv.Get
			if read == "GetForUpdate" {
				get = kv.(state.UpdatableKeyValueStore[string, state.ValueAndTimestamp[int64]]).GetForUpdate
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := seq[i&(len(seq)-1)]
				old, _, err := get(w)
				if err != nil {
					b.Fatal(err)
				}
				if err := kv.Put(w, state.ValueAndTimestamp[int64]{Value: old.Value + 1, Timestamp: max(old.Timestamp, 2)}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := kv.Flush(); err != nil {
				b.Fatal(err)
			}
			written := map[string]bool{}
			for i := 0; i < b.N && len(written) < len(words); i++ {
				written[seq[i&(len(seq)-1)]] = true
			}
			if n := len(ctx.log); n != len(written) {
				b.Fatalf("flushed %d changes, want one per key written (%d)", n, len(written))
			}
		})
	}
}

// BenchmarkCachedCountFlush is the cache's part of a commit of the count
// store: every one of 10,000 cached counts changed since the last one, and
// the cache writes each to the store's batch and its changelog.
func BenchmarkCachedCountFlush(b *testing.B) {
	kv, words, ctx, m := countStore(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for _, w := range words {
			if err := kv.Put(w, state.ValueAndTimestamp[int64]{Value: int64(i), Timestamp: 2}); err != nil {
				b.Fatal(err)
			}
		}
		ctx.log = ctx.log[:0]
		b.StartTimer()
		if err := kv.Flush(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := m.Commit(ctx.task, nil); err != nil { // the store's batch, as the runtime commits it
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(words)), "ns/key")
}
