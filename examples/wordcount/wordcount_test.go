package main

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/streams/streamstest"
	"github.com/runnel-dev/runnel/topology/serde"
)

func newDriver(t *testing.T, o Options) (*streamstest.Driver, *streamstest.TestInputTopic[string, string], *streamstest.TestOutputTopic[string, int64]) {
	t.Helper()
	topo, err := NewTopology(o)
	if err != nil {
		t.Fatal(err)
	}
	d, err := streamstest.New(topo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	in := streamstest.CreateInputTopic(d, InputTopic, serde.String(), serde.String())
	out := streamstest.CreateOutputTopic(d, OutputTopic, serde.String(), serde.Int64())
	return d, in, out
}

// Kafka's WordCountDemoTest#testOneWord.
func TestOneWord(t *testing.T) {
	_, in, out := newDriver(t, Options{})
	if err := in.PipeValue("Hello"); err != nil {
		t.Fatal(err)
	}
	kv, err := out.ReadKeyValue()
	if err != nil {
		t.Fatal(err)
	}
	if kv != (streamstest.KeyValue[string, int64]{Key: "hello", Value: 1}) {
		t.Fatalf("got %+v, want hello=1", kv)
	}
	if !out.IsEmpty() {
		t.Fatalf("%d more records, want none", out.QueueSize())
	}
}

// Kafka's WordCountDemoTest#testCountListOfWords, plus the per-update
// sequence the topology produces with the cache off (one record per word
// occurrence, in input order).
func TestCountListOfWords(t *testing.T) {
	_, in, out := newDriver(t, Options{})
	if err := in.PipeValueList([]string{
		"Apache   Kafka Streams   Example",
		"Using  \t\t Kafka   Streams\tTest Utils",
		"Reading and Writing Kafka Topic",
	}); err != nil {
		t.Fatal(err)
	}
	recs, err := out.ReadKeyValuesToList()
	if err != nil {
		t.Fatal(err)
	}
	want := []streamstest.KeyValue[string, int64]{
		{Key: "apache", Value: 1}, {Key: "kafka", Value: 1}, {Key: "streams", Value: 1}, {Key: "example", Value: 1},
		{Key: "using", Value: 1}, {Key: "kafka", Value: 2}, {Key: "streams", Value: 2}, {Key: "test", Value: 1}, {Key: "utils", Value: 1},
		{Key: "reading", Value: 1}, {Key: "and", Value: 1}, {Key: "writing", Value: 1}, {Key: "kafka", Value: 3}, {Key: "topic", Value: 1},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Fatalf("updates\n got %v\nwant %v", recs, want)
	}
	final := map[string]int64{}
	for _, kv := range recs {
		final[kv.Key] = kv.Value
	}
	wantFinal := map[string]int64{"apache": 1, "kafka": 3, "streams": 2, "example": 1, "using": 1, "test": 1, "utils": 1, "reading": 1, "and": 1, "writing": 1, "topic": 1}
	if !maps.Equal(final, wantFinal) {
		t.Fatalf("final counts %v, want %v", final, wantFinal)
	}
}

// The quickstart's console output (quickstart.html).
func TestQuickstartSequence(t *testing.T) {
	_, in, out := newDriver(t, Options{})
	if err := in.PipeValueList([]string{"all streams lead to kafka", "hello kafka streams", "join kafka summit"}); err != nil {
		t.Fatal(err)
	}
	recs, err := out.ReadKeyValuesToList()
	if err != nil {
		t.Fatal(err)
	}
	want := []streamstest.KeyValue[string, int64]{
		{Key: "all", Value: 1}, {Key: "streams", Value: 1}, {Key: "lead", Value: 1}, {Key: "to", Value: 1}, {Key: "kafka", Value: 1},
		{Key: "hello", Value: 1}, {Key: "kafka", Value: 2}, {Key: "streams", Value: 2},
		{Key: "join", Value: 1}, {Key: "kafka", Value: 3}, {Key: "summit", Value: 1},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Fatalf("got %v\nwant %v", recs, want)
	}
}

// The count store is queryable by its generated name, as Kafka's
// driver.getKeyValueStore.
func TestCountStoreReadable(t *testing.T) {
	d, in, _ := newDriver(t, Options{})
	if err := in.PipeValueList([]string{"a b a", "b a"}); err != nil {
		t.Fatal(err)
	}
	store, err := streamstest.GetKeyValueStore[string, int64](d, "KSTREAM-AGGREGATE-STATE-STORE-0000000003")
	if err != nil {
		t.Fatal(err)
	}
	for word, want := range map[string]int64{"a": 3, "b": 2} {
		got, ok, err := store.Get(word)
		if err != nil || !ok || got != want {
			t.Errorf("%s: got %d %v %v, want %d", word, got, ok, err, want)
		}
	}
}

// Describe matches Kafka's for WordCountDemo.
func TestDescribeLikeKafka(t *testing.T) {
	topo, err := NewTopology(Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])\n" +
		"      --> KSTREAM-FLATMAPVALUES-0000000001\n" +
		"    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n" +
		"      --> KSTREAM-KEY-SELECT-0000000002\n" +
		"      <-- KSTREAM-SOURCE-0000000000\n" +
		"    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n" +
		"      --> KSTREAM-FILTER-0000000006\n" +
		"      <-- KSTREAM-FLATMAPVALUES-0000000001\n" +
		"    Processor: KSTREAM-FILTER-0000000006 (stores: [])\n" +
		"      --> KSTREAM-SINK-0000000005\n" +
		"      <-- KSTREAM-KEY-SELECT-0000000002\n" +
		"    Sink: KSTREAM-SINK-0000000005 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)\n" +
		"      <-- KSTREAM-FILTER-0000000006\n" +
		"\n" +
		"  Sub-topology: 1\n" +
		"    Source: KSTREAM-SOURCE-0000000007 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])\n" +
		"      --> KSTREAM-AGGREGATE-0000000004\n" +
		"    Processor: KSTREAM-AGGREGATE-0000000004 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000003])\n" +
		"      --> KTABLE-TOSTREAM-0000000008\n" +
		"      <-- KSTREAM-SOURCE-0000000007\n" +
		"    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n" +
		"      --> KSTREAM-SINK-0000000009\n" +
		"      <-- KSTREAM-AGGREGATE-0000000004\n" +
		"    Sink: KSTREAM-SINK-0000000009 (topic: streams-wordcount-output)\n" +
		"      <-- KTABLE-TOSTREAM-0000000008\n\n"
	if got := topo.Describe().String(); got != want {
		t.Fatalf("describe:\n%s\nwant:\n%s", got, want)
	}
}

func TestSplitNonWordLikeJava(t *testing.T) {
	for in, want := range map[string][]string{
		"":                      {""},
		"hello world":           {"hello", "world"},
		"  leading":             {"", "leading"},
		"trailing!!":            {"trailing"},
		"a\t\tb  c":             {"a", "b", "c"},
		"under_score 42x":       {"under_score", "42x"},
		"!!!":                   {},
		"caf\u00e9 ol\u00e9":    {"caf", "ol"},
		"Using  \t\t Kafka\tUp": {"Using", "Kafka", "Up"},
	} {
		got := SplitNonWord(in)
		if !slices.Equal(got, want) {
			t.Errorf("SplitNonWord(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string][]string{
		"a b c": {"a", "b", "c"}, "": {}, "a  b ": {"a", "b"}, "one": {"one"},
	} {
		if got := SplitSpaces(in); !slices.Equal(got, want) {
			t.Errorf("SplitSpaces(%q) = %q, want %q", in, got, want)
		}
	}
}

// The harness's shape: split on spaces, counts as decimal text, a named
// in-memory store.
func TestBenchShape(t *testing.T) {
	topo, err := NewTopology(Options{
		Input: "in", Output: "out", Split: SplitSpaces, CountSerde: DecimalCount(),
		Counts: &streams.Materialized[string, int64]{StoreName: "counts", StoreType: streams.InMemoryStore},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := streamstest.New(topo)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	in := streamstest.CreateInputTopic(d, "in", serde.String(), serde.String())
	out := streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())
	if err := in.PipeInput("1", "x y x"); err != nil {
		t.Fatal(err)
	}
	got, err := out.ReadKeyValuesToList()
	if err != nil {
		t.Fatal(err)
	}
	want := []streamstest.KeyValue[string, string]{{Key: "x", Value: "1"}, {Key: "y", Value: "1"}, {Key: "x", Value: "2"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if names := d.ProducedTopicNames(); !slices.Contains(names, streamstest.DefaultApplicationID+"-counts-repartition") {
		t.Fatalf("produced topics %v: want the repartition topic named after the store", names)
	}
}
