package state_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

func bytesKV(t *testing.T, e engine, ctx *testCtx, name string, logging bool) state.KeyValueBytesStore {
	b := state.KeyValueStoreBuilder(e.kvSupplier(name), serde.Bytes(), serde.Bytes())
	if !logging {
		b.WithLoggingDisabled()
	}
	return e.build(t, ctx, b).(state.KeyValueStore[[]byte, []byte]).Bytes()
}

func TestKVPointOps(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, false)
		s := bytesKV(t, e, ctx, "s", false)
		key := []byte("key")
		must(t, s.Put(key, []byte("v1")))
		key[0] = 'X' // the store must have copied the key
		if v, _ := s.Get([]byte("key")); string(v) != "v1" {
			t.Fatalf("Get = %q, want v1", v)
		}
		if v, _ := s.Get([]byte("Xey")); v != nil {
			t.Fatalf("Get(absent) = %q, want nil", v)
		}
		must(t, s.Put([]byte("empty"), []byte{}))
		if v, err := s.Get([]byte("empty")); err != nil || v == nil || len(v) != 0 {
			t.Fatalf("empty value: Get = %v, %v; want a present empty value", v, err)
		}
		e.commit(t, ctx)
		if v, _ := s.Get([]byte("empty")); v == nil {
			t.Fatal("empty value lost its presence after commit")
		}
		if old, _ := s.PutIfAbsent([]byte("key"), []byte("ignored")); string(old) != "v1" {
			t.Fatalf("PutIfAbsent on present key returned %q", old)
		}
		if old, _ := s.PutIfAbsent([]byte("new"), []byte("n")); old != nil {
			t.Fatalf("PutIfAbsent on absent key returned %q", old)
		}
		if old, _ := s.Delete([]byte("key")); string(old) != "v1" {
			t.Fatalf("Delete returned %q", old)
		}
		if v, _ := s.Get([]byte("key")); v != nil {
			t.Fatalf("deleted key still reads %q", v)
		}
		must(t, s.Put([]byte("new"), nil)) // a nil value deletes
		if v, _ := s.Get([]byte("new")); v != nil {
			t.Fatalf("Put(nil) did not delete: %q", v)
		}
		must(t, s.PutAll([]state.KeyValue[[]byte, []byte]{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte("2")}}))
		e.commit(t, ctx)
		if got := kvStrings(s.All()); !reflect.DeepEqual(got, []string{"a=1", "b=2", "empty="}) {
			t.Fatalf("All = %v", got)
		}
		if n, _ := s.ApproximateNumEntries(); n != 3 {
			t.Fatalf("ApproximateNumEntries = %d, want 3", n)
		}
	})
}

func TestKVRanges(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, false)
		s := bytesKV(t, e, ctx, "s", false)
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			must(t, s.Put([]byte(k), []byte(k+k)))
		}
		e.commit(t, ctx)
		// Uncommitted changes on top of committed data must show.
		must(t, s.Put([]byte("bb"), []byte("new")))
		_, err := s.Delete([]byte("c"))
		must(t, err)
		cases := []struct {
			name string
			got  []string
			want []string
		}{
			{"range", kvStrings(s.Range([]byte("b"), []byte("d"))), []string{"b=bb", "bb=new", "d=dd"}},
			{"reverse", kvStrings(s.ReverseRange([]byte("b"), []byte("d"))), []string{"d=dd", "bb=new", "b=bb"}},
			{"open from", kvStrings(s.Range(nil, []byte("b"))), []string{"a=aa", "b=bb"}},
			{"open to", kvStrings(s.Range([]byte("d"), nil)), []string{"d=dd", "e=ee"}},
			{"inverted", kvStrings(s.Range([]byte("d"), []byte("b"))), []string{}},
			{"all", kvStrings(s.All()), []string{"a=aa", "b=bb", "bb=new", "d=dd", "e=ee"}},
			{"reverse all", kvStrings(s.ReverseAll()), []string{"e=ee", "d=dd", "bb=new", "b=bb", "a=aa"}},
			{"prefix", kvStrings(s.PrefixScan([]byte("b"))), []string{"b=bb", "bb=new"}},
			{"prefix none", kvStrings(s.PrefixScan([]byte("x"))), []string{}},
		}
		for _, c := range cases {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
			}
		}
		must(t, s.Put([]byte{0xff, 0xff}, []byte("x")))
		must(t, s.Put([]byte{0xff, 0xff, 0x01}, []byte("y")))
		if got := kvStrings(s.PrefixScan([]byte{0xff, 0xff})); len(got) != 2 {
			t.Errorf("prefix scan of 0xffff = %v", got)
		}
	})
}

// TestKVIteratorOutlivesCommit: an iterator opened before a commit keeps
// reading what it saw.
func TestKVIteratorOutlivesCommit(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, false)
		s := bytesKV(t, e, ctx, "s", false)
		for i := range 10 {
			must(t, s.Put(fmt.Appendf(nil, "k%d", i), []byte("v")))
		}
		it, err := s.All()
		must(t, err)
		defer it.Close()
		for range 3 {
			if !it.Next() {
				t.Fatal("iterator ended early")
			}
		}
		e.commit(t, ctx)
		must(t, s.Put([]byte("k5x"), []byte("later")))
		e.commit(t, ctx)
		n := 3
		for it.Next() {
			if !bytes.HasPrefix(it.Key(), []byte("k")) {
				t.Fatalf("bad key %q", it.Key())
			}
			n++
		}
		must(t, it.Err())
		if n < 10 {
			t.Fatalf("iterator saw %d entries after commits, want at least 10", n)
		}
	})
}

func TestKVClosedStore(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, false)
		st := e.build(t, ctx, state.KeyValueStoreBuilder(e.kvSupplier("s"), serde.String(), serde.String()).WithLoggingDisabled())
		kv := st.(state.KeyValueStore[string, string])
		must(t, kv.Put("a", "1"))
		must(t, st.Flush())
		must(t, st.Close())
		if st.IsOpen() {
			t.Fatal("IsOpen after Close")
		}
		if _, _, err := kv.Get("a"); !errors.Is(err, state.ErrStoreClosed) {
			t.Fatalf("Get on closed store: %v", err)
		}
		if err := kv.Put("a", "2"); !errors.Is(err, state.ErrStoreClosed) {
			t.Fatalf("Put on closed store: %v", err)
		}
		if _, err := kv.All(); !errors.Is(err, state.ErrStoreClosed) {
			t.Fatalf("All on closed store: %v", err)
		}
	})
}

func TestKVTypedByteOrder(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, false)
		kv := e.build(t, ctx, state.KeyValueStoreBuilder(e.kvSupplier("s"), serde.Int32(), serde.String()).WithLoggingDisabled()).(state.KeyValueStore[int32, string])
		for _, k := range []int32{5, -1, 0, 300, -300} {
			must(t, kv.Put(k, fmt.Sprint(k)))
		}
		all, err := collect(kv.All())
		must(t, err)
		var keys []int32
		for _, e := range all {
			keys = append(keys, e.Key)
		}
		// Big-endian two's complement: non-negative first, then negative.
		if want := []int32{0, 5, 300, -300, -1}; !reflect.DeepEqual(keys, want) {
			t.Fatalf("key order %v, want %v", keys, want)
		}
		if v, ok, _ := kv.Get(300); !ok || v != "300" {
			t.Fatalf("Get(300) = %q, %v", v, ok)
		}
	})
}

// TestKVChangelogRestore: what the store logs restores an equal store.
func TestKVChangelogRestore(t *testing.T) {
	forEngines(t, func(t *testing.T, e engine) {
		ctx := newTestCtx(t, true)
		kv := e.build(t, ctx, state.KeyValueStoreBuilder(e.kvSupplier("s"), serde.String(), serde.String())).(state.KeyValueStore[string, string])
		ctx.recordTs = 42
		must(t, kv.Put("a", "1"))
		must(t, kv.Put("b", "2"))
		must(t, kv.Put("a", "3"))
		_, _, err := kv.Delete("b")
		must(t, err)
		must(t, kv.Put("c", "4"))
		log := ctx.changelog("s")
		if len(log) != 5 || log[3].Value != nil || log[0].TimestampMs != 42 {
			t.Fatalf("changelog = %+v", log)
		}

		fresh := newTestCtx(t, true)
		restored := e.build(t, fresh, state.KeyValueStoreBuilder(e.kvSupplier("s"), serde.String(), serde.String())).(state.KeyValueStore[string, string])
		must(t, fresh.restores["s"](log[:2]))
		must(t, fresh.restores["s"](log[2:]))
		e.commit(t, fresh)
		got, err := collect(restored.All())
		must(t, err)
		if want := []state.KeyValue[string, string]{{Key: "a", Value: "3"}, {Key: "c", Value: "4"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("restored %v, want %v", got, want)
		}
		if len(fresh.log) != 0 {
			t.Fatalf("restoration was logged again: %v", fresh.log)
		}
	})
}
