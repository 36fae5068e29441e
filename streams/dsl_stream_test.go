package streams_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/streams/streamstest"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

func TestFilterAndFilterNot(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, strings2)
	long := func(_, v string) bool { return len(v) > 1 }
	s.Filter(long).To("kept")
	s.FilterNot(long).To("dropped")
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "in", serde.String(), serde.String())
	pipe(t, in, "1", "a", 1)
	pipe(t, in, "2", "bb", 2)
	pipe(t, in, "3", "ccc", 3)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "kept", serde.String(), serde.String())),
		kvt[string, string]{"2", "bb", 2}, kvt[string, string]{"3", "ccc", 3})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "dropped", serde.String(), serde.String())),
		kvt[string, string]{"1", "a", 1})
}

func TestMapSelectKeyAndMapValues(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, strings2)
	streams.Map(s, func(k, v string) (int64, string) { return int64(len(v)), k + v }).To("map")
	streams.SelectKey(s, func(_, v string) string { return strings.ToUpper(v) }).To("selectKey")
	streams.MapValues(s, func(v string) int32 { return int32(len(v)) }).To("mapValues")
	streams.MapValuesWithKey(s, func(k, v string) string { return k + "=" + v }).To("mapValuesWithKey")
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "in", serde.String(), serde.String())
	pipe(t, in, "k1", "abc", 10)
	pipe(t, in, "k2", "de", 20)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "map", serde.Int64(), serde.String())),
		kvt[int64, string]{3, "k1abc", 10}, kvt[int64, string]{2, "k2de", 20})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "selectKey", serde.String(), serde.String())),
		kvt[string, string]{"ABC", "abc", 10}, kvt[string, string]{"DE", "de", 20})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "mapValues", serde.String(), serde.Int32())),
		kvt[string, int32]{"k1", 3, 10}, kvt[string, int32]{"k2", 2, 20})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "mapValuesWithKey", serde.String(), serde.String())),
		kvt[string, string]{"k1", "k1=abc", 10}, kvt[string, string]{"k2", "k2=de", 20})
}

func TestFlatMapAndFlatMapValues(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, strings2)
	streams.FlatMap(s, func(k, v string) []streams.KeyValue[string, int64] {
		var out []streams.KeyValue[string, int64]
		for i, w := range strings.Fields(v) {
			out = append(out, streams.KeyValue[string, int64]{Key: w, Value: int64(i)})
		}
		return out
	}).To("flatMap")
	streams.FlatMapValues(s, strings.Fields).To("flatMapValues")
	streams.FlatMapValuesWithKey(s, func(k, v string) []string { return []string{k, v} }).To("withKey")
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "in", serde.String(), serde.String())
	pipe(t, in, "k", "x y", 5)
	pipe(t, in, "e", "", 6) // no words: no records
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "flatMap", serde.String(), serde.Int64())),
		kvt[string, int64]{"x", 0, 5}, kvt[string, int64]{"y", 1, 5})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "flatMapValues", serde.String(), serde.String())),
		kvt[string, string]{"k", "x", 5}, kvt[string, string]{"k", "y", 5})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "withKey", serde.String(), serde.String())),
		kvt[string, string]{"k", "k", 5}, kvt[string, string]{"k", "x y", 5},
		kvt[string, string]{"e", "e", 6}, kvt[string, string]{"e", "", 6})
}

func TestPeekForeachAndHeaders(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, strings2)
	var peeked, seen []string
	s.Peek(func(k, v string) { peeked = append(peeked, k+v) }).To("out")
	s.Foreach(func(k, v string) { seen = append(seen, k+v) })
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "in", serde.String(), serde.String())
	if err := in.PipeRecord(streamstest.TestRecord[string, string]{Key: "a", Value: "1", Headers: topology.Headers{{Key: "h", Value: []byte("x")}}}); err != nil {
		t.Fatal(err)
	}
	pipe(t, in, "b", "2", 7)
	if !slices.Equal(peeked, []string{"a1", "b2"}) || !slices.Equal(seen, []string{"a1", "b2"}) {
		t.Fatalf("peek saw %v, foreach saw %v", peeked, seen)
	}
	out := streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())
	r, err := out.ReadRecord()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Headers.LastValue("h"); !ok || string(v) != "x" {
		t.Fatalf("headers %v: peek must pass the record on unchanged", r.Headers)
	}
}

func TestSplitBranches(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, strings2)
	branches := s.Split(streams.Named("route-")).
		Branch(func(_, v string) bool { return strings.HasPrefix(v, "a") }, streams.Branched[string, string]{Name: "a"}).
		Branch(func(_, v string) bool { return strings.HasPrefix(v, "b") }, streams.Branched[string, string]{
			Name: "b",
			Chain: func(s *streams.KStream[string, string]) *streams.KStream[string, string] {
				return streams.MapValues(s, strings.ToUpper)
			},
		}).
		Branch(func(_, v string) bool { return strings.HasPrefix(v, "a") }). // never reached: "a" took them
		DefaultBranch()
	var names []string
	for n := range branches {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"route-0", "route-3", "route-a", "route-b"}; !slices.Equal(names, want) {
		t.Fatalf("branch names %v, want %v", names, want)
	}
	for n, br := range branches {
		br.To(n)
	}
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "in", serde.String(), serde.String())
	for i, v := range []string{"apple", "banana", "cherry", "avocado"} {
		pipe(t, in, fmt.Sprint(i), v, int64(i))
	}
	read := func(topic string) []kvt[string, string] {
		return readAll(t, streamstest.CreateOutputTopic(d, topic, serde.String(), serde.String()))
	}
	expect(t, read("route-a"), kvt[string, string]{"0", "apple", 0}, kvt[string, string]{"3", "avocado", 3})
	expect(t, read("route-b"), kvt[string, string]{"1", "BANANA", 1})
	expect(t, read("route-3"))
	expect(t, read("route-0"), kvt[string, string]{"2", "cherry", 2})
}

func TestMerge(t *testing.T) {
	b := streams.NewBuilder()
	x := streams.Stream(b, []string{"x"}, strings2)
	y := streams.Stream(b, []string{"y"}, strings2)
	x.Merge(y).To("out")
	d := build(t, b)
	pipe(t, streamstest.CreateInputTopic(d, "x", serde.String(), serde.String()), "1", "from x", 1)
	pipe(t, streamstest.CreateInputTopic(d, "y", serde.String(), serde.String()), "2", "from y", 2)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())),
		kvt[string, string]{"1", "from x", 1}, kvt[string, string]{"2", "from y", 2})
}

func TestRepartitionRoundTrip(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, strings2)
	keyed := streams.SelectKey(s, func(_, v string) string { return v })
	keyed.Repartition(streams.Repartitioned[string, string]{Name: "by-value", NumPartitions: 3}).To("out")
	d := build(t, b)
	pipe(t, streamstest.CreateInputTopic(d, "in", serde.String(), serde.String()), "k", "v", 9)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())), kvt[string, string]{"v", "v", 9})
	if got := d.ProducedTopicNames(); !slices.Equal(got, []string{"test-driver-app-by-value-repartition", "out"}) {
		t.Fatalf("produced topics %v", got)
	}
}

func TestToTopicNameExtractor(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, strings2)
	s.ToExtractor(topology.TopicNameExtractorFunc[string, string](func(k, _ string, rc topology.RecordContext) (string, error) {
		return rc.Topic + "-" + k, nil
	}))
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "in", serde.String(), serde.String())
	pipe(t, in, "a", "1", 1)
	pipe(t, in, "b", "2", 2)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "in-a", serde.String(), serde.String())), kvt[string, string]{"a", "1", 1})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "in-b", serde.String(), serde.String())), kvt[string, string]{"b", "2", 2})
}

func TestToWithProducedSerdesAndPartitioner(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, streams.ConsumedWith(serde.String(), serde.Int64()))
	var asked []string
	s.To("out", streams.Produced[string, int64]{
		ValueSerde: serde.Funcs("decimal", func(_ string, n int64) ([]byte, error) { return fmt.Appendf(nil, "%d", n), nil },
			func(_ string, b []byte) (int64, error) {
				var n int64
				_, err := fmt.Sscan(string(b), &n)
				return n, err
			}),
		Partitioner: func(topic string, k string, _ int64, n int32) []int32 {
			asked = append(asked, topic+"/"+k)
			return []int32{0}
		},
	})
	d := build(t, b)
	pipe(t, streamstest.CreateInputTopic(d, "in", serde.String(), serde.Int64()), "k", 42, 1)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())), kvt[string, string]{"k", "42", 1})
	if !slices.Equal(asked, []string{"out/k"}) {
		t.Fatalf("partitioner asked for %v", asked)
	}
}

// A Processor API node inside the DSL, with a store it owns.
func TestProcessWithStore(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, strings2)
	seen := state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("seen"), serde.String(), serde.Int64())
	firsts := streams.Process(s, func() topology.Processor[string, string, string, int64] { return &firstSeen{} },
		streams.Named("first-seen"), streams.ProcessorStores{seen})
	firsts.To("out", streams.ProducedWith(serde.String(), serde.Int64()))
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "in", serde.String(), serde.String())
	pipe(t, in, "a", "x", 1)
	pipe(t, in, "a", "y", 2)
	pipe(t, in, "b", "z", 3)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.Int64())),
		kvt[string, int64]{"a", 1, 1}, kvt[string, int64]{"b", 3, 3})
	if got := d.StateStore("seen"); got == nil {
		t.Fatal("the processor's store is not in the topology")
	}
}

// firstSeen forwards each key the first time it appears, with its time.
type firstSeen struct {
	ctx  topology.ProcessorContext[string, int64]
	seen state.KeyValueStore[string, int64]
}

func (p *firstSeen) Init(ctx topology.ProcessorContext[string, int64]) error {
	p.ctx = ctx
	s, err := state.GetKeyValueStore[string, int64](ctx, "seen")
	p.seen = s
	return err
}

func (p *firstSeen) Process(rec topology.Record[string, string]) error {
	if _, ok, err := p.seen.Get(rec.Key); err != nil || ok {
		return err
	}
	if err := p.seen.Put(rec.Key, rec.Timestamp); err != nil {
		return err
	}
	return p.ctx.Forward(topology.Record[string, int64]{Key: rec.Key, Value: rec.Timestamp, Timestamp: rec.Timestamp})
}

func (p *firstSeen) Close() error { return nil }

// Two Stream calls on the same topic share one source, as Kafka merges them.
func TestDuplicateSourcesShareOneNode(t *testing.T) {
	b := streams.NewBuilder()
	streams.Stream(b, []string{"in"}, strings2).To("a")
	streams.Stream(b, []string{"in"}, strings2).To("b")
	d := build(t, b)
	pipe(t, streamstest.CreateInputTopic(d, "in", serde.String(), serde.String()), "k", "v", 1)
	for _, topic := range []string{"a", "b"} {
		expect(t, readAll(t, streamstest.CreateOutputTopic(d, topic, serde.String(), serde.String())), kvt[string, string]{"k", "v", 1})
	}
}
