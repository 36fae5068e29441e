package state_test

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

func openBytes(t *testing.T, entries ...string) *state.InMemoryKeyValueBytesStore {
	t.Helper()
	s := state.NewInMemoryKeyValueBytesStore("s")
	if err := s.Init(nil, s); err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(entries); i += 2 {
		if err := s.Put([]byte(entries[i]), []byte(entries[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// lister returns a function listing an iterator's entries as "k=v".
func lister(t *testing.T) func(it state.KeyValueIterator[[]byte, []byte], err error) []string {
	return func(it state.KeyValueIterator[[]byte, []byte], err error) []string {
		t.Helper()
		return list(t, it, err)
	}
}

func list(t *testing.T, it state.KeyValueIterator[[]byte, []byte], err error) []string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	out := []string{}
	for it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInMemoryPointOps(t *testing.T) {
	s := openBytes(t)
	buf := []byte("key")
	if err := s.Put(buf, []byte("v1")); err != nil {
		t.Fatal(err)
	}
	buf[0] = 'X' // the store must have copied the key
	if v, _ := s.Get([]byte("key")); string(v) != "v1" {
		t.Fatalf("Get = %q", v)
	}
	if old, _ := s.PutIfAbsent([]byte("key"), []byte("v2")); string(old) != "v1" {
		t.Errorf("PutIfAbsent on a present key returned %q", old)
	}
	if old, _ := s.PutIfAbsent([]byte("new"), []byte("n")); old != nil {
		t.Errorf("PutIfAbsent on an absent key returned %q", old)
	}
	if v, _ := s.Get([]byte("new")); string(v) != "n" {
		t.Errorf("PutIfAbsent did not store: %q", v)
	}
	if old, _ := s.Delete([]byte("key")); string(old) != "v1" {
		t.Errorf("Delete returned %q", old)
	}
	if old, _ := s.Delete([]byte("key")); old != nil {
		t.Errorf("second Delete returned %q", old)
	}
	s.Put([]byte("new"), nil) // nil value deletes
	if n, _ := s.ApproximateNumEntries(); n != 0 {
		t.Errorf("%d entries left", n)
	}
	s.PutAll([]state.KeyValue[[]byte, []byte]{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte("2")}})
	if n, _ := s.ApproximateNumEntries(); n != 2 {
		t.Errorf("%d entries after PutAll", n)
	}
}

func TestInMemoryRanges(t *testing.T) {
	s := openBytes(t, "a", "1", "b", "2", "ba", "3", "bb", "4", "c", "5")
	keys := lister(t)
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"range inclusive", keys(s.Range([]byte("b"), []byte("bb"))), []string{"b=2", "ba=3", "bb=4"}},
		{"range between keys", keys(s.Range([]byte("aa"), []byte("bz"))), []string{"b=2", "ba=3", "bb=4"}},
		{"open start", keys(s.Range(nil, []byte("b"))), []string{"a=1", "b=2"}},
		{"open end", keys(s.Range([]byte("bb"), nil)), []string{"bb=4", "c=5"}},
		{"inverted range is empty", keys(s.Range([]byte("c"), []byte("a"))), []string{}},
		{"reverse range", keys(s.ReverseRange([]byte("b"), []byte("bb"))), []string{"bb=4", "ba=3", "b=2"}},
		{"all", keys(s.All()), []string{"a=1", "b=2", "ba=3", "bb=4", "c=5"}},
		{"reverse all", keys(s.ReverseAll()), []string{"c=5", "bb=4", "ba=3", "b=2", "a=1"}},
		{"prefix", keys(s.PrefixScan([]byte("b"))), []string{"b=2", "ba=3", "bb=4"}},
		{"prefix none", keys(s.PrefixScan([]byte("d"))), []string{}},
		{"empty prefix", keys(s.PrefixScan(nil)), []string{"a=1", "b=2", "ba=3", "bb=4", "c=5"}},
	}
	for _, c := range cases {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestPrefixScanWithFFBytes(t *testing.T) {
	s := openBytes(t, "\xff", "1", "\xff\xff", "2", "\xff\xff\x00", "3", "\xfe", "0")
	got := lister(t)(s.PrefixScan([]byte("\xff\xff")))
	if want := []string{"\xff\xff=2", "\xff\xff\x00=3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if e := state.PrefixEnd([]byte{0x01, 0xff}); !reflect.DeepEqual(e, []byte{0x02}) {
		t.Errorf("PrefixEnd = % x", e)
	}
}

func TestIteratorToleratesWrites(t *testing.T) {
	s := openBytes(t, "a", "1", "b", "2", "c", "3", "d", "4")
	it, _ := s.All()
	defer it.Close()
	var seen []string
	for it.Next() {
		k := string(it.Key())
		seen = append(seen, k)
		s.Delete(it.Key()) // delete the current key
		if k == "a" {
			s.Delete([]byte("c")) // and one ahead
			s.Put([]byte("bb"), []byte("new"))
		}
	}
	if want := []string{"a", "b", "bb", "d"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("saw %v, want %v", seen, want)
	}
	if n, _ := s.ApproximateNumEntries(); n != 0 {
		t.Errorf("%d left", n)
	}
}

func TestClosedStoreErrors(t *testing.T) {
	s := openBytes(t, "a", "1")
	it, _ := s.All()
	s.Close()
	if s.IsOpen() {
		t.Fatal("open after Close")
	}
	if _, err := s.Get([]byte("a")); !errors.Is(err, state.ErrStoreClosed) {
		t.Errorf("Get on closed: %v", err)
	}
	if err := s.Put([]byte("a"), []byte("b")); !errors.Is(err, state.ErrStoreClosed) {
		t.Errorf("Put on closed: %v", err)
	}
	if it.Next() || !errors.Is(it.Err(), state.ErrStoreClosed) {
		t.Errorf("iterator over a closed store: %v", it.Err())
	}
}

func TestConcurrentReadsDuringWrites(t *testing.T) {
	s := openBytes(t)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 2000; i++ {
			s.Put([]byte(fmt.Sprintf("k%04d", i)), []byte("v"))
		}
	}()
	for i := 0; i < 200; i++ {
		it, _ := s.All()
		prev := ""
		for it.Next() {
			if k := string(it.Key()); k <= prev {
				t.Fatalf("out of order: %q after %q", k, prev)
			} else {
				prev = k
			}
		}
		it.Close()
	}
	wg.Wait()
}

func typedStore[K, V any](t *testing.T, k serde.Serde[K], v serde.Serde[V]) state.KeyValueStore[K, V] {
	t.Helper()
	st, err := state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("typed"), k, v).Build()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Init(nil, st); err != nil {
		t.Fatal(err)
	}
	return st.(state.KeyValueStore[K, V])
}

// Typed ranges follow the serialized bytes, as Kafka's do: big-endian
// two's complement puts negative Int32 keys after the positive ones.
func TestTypedStoreByteOrder(t *testing.T) {
	s := typedStore(t, serde.Int32(), serde.String())
	for _, k := range []int32{5, -1, 0, 300, -300} {
		if err := s.Put(k, fmt.Sprint(k)); err != nil {
			t.Fatal(err)
		}
	}
	it, err := s.All()
	if err != nil {
		t.Fatal(err)
	}
	var order []int32
	for it.Next() {
		order = append(order, it.Key())
		if it.Value() != fmt.Sprint(it.Key()) {
			t.Errorf("value of %d is %q", it.Key(), it.Value())
		}
	}
	it.Close()
	if want := []int32{0, 5, 300, -300, -1}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	it, _ = s.Range(0, 300)
	var r []int32
	for it.Next() {
		r = append(r, it.Key())
	}
	if want := []int32{0, 5, 300}; !reflect.DeepEqual(r, want) {
		t.Errorf("range %v, want %v", r, want)
	}
}

func TestTypedStoreOps(t *testing.T) {
	s := typedStore(t, serde.String(), serde.Int64())
	if _, ok, err := s.Get("missing"); ok || err != nil {
		t.Errorf("Get missing: %v %v", ok, err)
	}
	s.Put("apple", 1)
	s.Put("apricot", 2)
	s.Put("banana", 3)
	if prev, existed, _ := s.PutIfAbsent("apple", 9); !existed || prev != 1 {
		t.Errorf("PutIfAbsent: %v %v", prev, existed)
	}
	if old, existed, _ := s.Delete("banana"); !existed || old != 3 {
		t.Errorf("Delete: %v %v", old, existed)
	}
	it, _ := s.PrefixScan("ap")
	var got []string
	for it.Next() {
		got = append(got, fmt.Sprintf("%s=%d", it.Key(), it.Value()))
	}
	if want := []string{"apple=1", "apricot=2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("prefix scan %v", got)
	}
	it, _ = s.ReverseRange("a", "b")
	got = nil
	for it.Next() {
		got = append(got, it.Key())
	}
	if want := []string{"apricot", "apple"}; !reflect.DeepEqual(got, want) {
		t.Errorf("reverse range %v", got)
	}
	// A value the serde cannot read surfaces as an iterator error.
	s.Bytes().Put([]byte("bad"), []byte{1, 2, 3})
	it, _ = s.All()
	for it.Next() {
	}
	if err := it.Err(); err == nil || err.Error() != `store "typed": value: Int64 deserialize for topic "": expected 8 bytes, got 3` {
		t.Errorf("iterator error: %v", err)
	}
	if _, _, err := s.Get("bad"); err == nil {
		t.Error("Get of a corrupt value must fail")
	}
}

func TestBuilderSwitches(t *testing.T) {
	b := state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("x"), serde.String(), serde.String())
	if !b.LoggingEnabled() || b.CachingEnabled() {
		t.Error("defaults must be logging on, caching off (Kafka's)")
	}
	b.WithLoggingEnabled(map[string]string{"min.insync.replicas": "2"}).WithCachingEnabled()
	if !b.LoggingEnabled() || b.LogConfig()["min.insync.replicas"] != "2" || !b.CachingEnabled() {
		t.Error("switches not recorded")
	}
	b.WithLoggingDisabled().WithCachingDisabled()
	if b.LoggingEnabled() || b.CachingEnabled() {
		t.Error("switches not recorded")
	}
	if _, err := state.KeyValueStoreBuilder[string, string](state.InMemoryKeyValueStore("y"), nil, serde.String()).Build(); err == nil {
		t.Error("a nil serde must fail Build")
	}
	st, _ := b.Build()
	if _, err := state.GetKeyValueStore[string, int64](getter{st}, "x"); err == nil ||
		err.Error() != `store "x" is a *state.typedKV[string,string], not a KeyValueStore[string, int64]` {
		t.Errorf("type mismatch error: %v", err)
	}
}

type getter struct{ s state.StateStore }

func (g getter) GetStateStore(string) (state.StateStore, error) { return g.s, nil }
