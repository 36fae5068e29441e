package streams_test

import (
	"testing"

	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// The expected texts are Kafka's own, from TopologyTest, KStreamImplTest
// and KStreamKTableJoinTest (apache/kafka trunk, 2024-10).

func describe(t *testing.T, b *streams.Builder) string {
	t.Helper()
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return topo.Describe().String()
}

func checkDescribe(t *testing.T, b *streams.Builder, want string) {
	t.Helper()
	if got := describe(t, b); got != want {
		t.Fatalf("describe:\n%s\nwant:\n%s", got, want)
	}
}

// TopologyTest#kGroupedStreamZeroArgCountShouldPreserveTopologyStructure
func TestDescribeGroupedStreamZeroArgCount(t *testing.T) {
	b := streams.NewBuilder()
	streams.Stream(b, []string{"input-topic"}, strings2).GroupByKey().Count()
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-AGGREGATE-0000000002\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
}

// ...NamedMaterializedCount... and ...AnonymousMaterializedCount...: a
// Materialized without a name burns one index.
func TestDescribeGroupedStreamMaterializedCounts(t *testing.T) {
	b := streams.NewBuilder()
	streams.Stream(b, []string{"input-topic"}, strings2).GroupByKey().
		Count(streams.Materialized[string, int64]{StoreName: "count-store", StoreType: streams.InMemoryStore})
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-AGGREGATE-0000000001\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000001 (stores: [count-store])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")

	b = streams.NewBuilder()
	streams.Stream(b, []string{"input-topic"}, strings2).GroupByKey().
		Count(streams.Materialized[string, int64]{ValueSerde: serde.Int64()})
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-AGGREGATE-0000000003\n"+
		"    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
}

// TopologyTest#tableZeroArgCountShouldPreserveTopologyStructure and
// #tableNamedMaterializedCountShouldPreserveTopologyStructure: grouping a
// table materializes it.
func TestDescribeTableGroupByCount(t *testing.T) {
	b := streams.NewBuilder()
	streams.TableGroupBy(streams.Table(b, "input-topic", strings2), func(k, v string) (string, string) { return k, v }).Count()
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n"+
		"      --> KTABLE-SOURCE-0000000002\n"+
		"    Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])\n"+
		"      --> KTABLE-SELECT-0000000003\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000005\n"+
		"      <-- KTABLE-SOURCE-0000000002\n"+
		"    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"+
		"      <-- KTABLE-SELECT-0000000003\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"+
		"      --> KTABLE-AGGREGATE-0000000007\n"+
		"    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"\n")

	b = streams.NewBuilder()
	streams.TableGroupBy(streams.Table(b, "input-topic", strings2), func(k, v string) (string, string) { return k, v }).
		Count(streams.Materialized[string, int64]{StoreName: "count-store", StoreType: streams.InMemoryStore})
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n"+
		"      --> KTABLE-SOURCE-0000000002\n"+
		"    Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])\n"+
		"      --> KTABLE-SELECT-0000000003\n"+
		"      <-- KSTREAM-SOURCE-0000000001\n"+
		"    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000004\n"+
		"      <-- KTABLE-SOURCE-0000000002\n"+
		"    Sink: KSTREAM-SINK-0000000004 (topic: count-store-repartition)\n"+
		"      <-- KTABLE-SELECT-0000000003\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000005 (topics: [count-store-repartition])\n"+
		"      --> KTABLE-AGGREGATE-0000000006\n"+
		"    Processor: KTABLE-AGGREGATE-0000000006 (stores: [count-store])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000005\n"+
		"\n")
}

// TopologyTest#kTable{Non,Anonymous,Named}Materialized{MapValues,Filter}ShouldPreserveTopologyStructure:
// only a named Materialized gives the operation a store; an anonymous one
// burns an index.
func TestDescribeTableMapValuesAndFilterMaterialization(t *testing.T) {
	head := "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n"
	for _, tc := range []struct {
		name  string
		build func(*streams.KTable[string, string])
		want  string
	}{
		{"mapValues", func(t *streams.KTable[string, string]) {
			streams.TableMapValues(t, func(_, v string) string { return v })
		}, "      --> KTABLE-SOURCE-0000000002\n" +
			"    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n" +
			"      --> KTABLE-MAPVALUES-0000000003\n" +
			"      <-- KSTREAM-SOURCE-0000000001\n" +
			"    Processor: KTABLE-MAPVALUES-0000000003 (stores: [])\n" +
			"      --> none\n" +
			"      <-- KTABLE-SOURCE-0000000002\n\n"},
		{"anonymous mapValues", func(t *streams.KTable[string, string]) {
			streams.TableMapValues(t, func(_, v string) string { return v }, streams.Materialized[string, string]{StoreType: streams.InMemoryStore})
		}, "      --> KTABLE-SOURCE-0000000002\n" +
			"    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n" +
			"      --> KTABLE-MAPVALUES-0000000004\n" +
			"      <-- KSTREAM-SOURCE-0000000001\n" +
			"    Processor: KTABLE-MAPVALUES-0000000004 (stores: [])\n" +
			"      --> none\n" +
			"      <-- KTABLE-SOURCE-0000000002\n\n"},
		{"named mapValues", func(t *streams.KTable[string, string]) {
			streams.TableMapValues(t, func(_, v string) string { return v }, streams.Materialized[string, string]{StoreName: "store-name"})
		}, "      --> KTABLE-SOURCE-0000000002\n" +
			"    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n" +
			"      --> KTABLE-MAPVALUES-0000000003\n" +
			"      <-- KSTREAM-SOURCE-0000000001\n" +
			"    Processor: KTABLE-MAPVALUES-0000000003 (stores: [store-name])\n" +
			"      --> none\n" +
			"      <-- KTABLE-SOURCE-0000000002\n\n"},
		{"filter", func(t *streams.KTable[string, string]) {
			t.Filter(func(_, _ string) bool { return false })
		}, "      --> KTABLE-SOURCE-0000000002\n" +
			"    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n" +
			"      --> KTABLE-FILTER-0000000003\n" +
			"      <-- KSTREAM-SOURCE-0000000001\n" +
			"    Processor: KTABLE-FILTER-0000000003 (stores: [])\n" +
			"      --> none\n" +
			"      <-- KTABLE-SOURCE-0000000002\n\n"},
		{"anonymous filter", func(t *streams.KTable[string, string]) {
			t.Filter(func(_, _ string) bool { return false }, streams.Materialized[string, string]{})
		}, "      --> KTABLE-SOURCE-0000000002\n" +
			"    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n" +
			"      --> KTABLE-FILTER-0000000004\n" +
			"      <-- KSTREAM-SOURCE-0000000001\n" +
			"    Processor: KTABLE-FILTER-0000000004 (stores: [])\n" +
			"      --> none\n" +
			"      <-- KTABLE-SOURCE-0000000002\n\n"},
		{"named filter", func(t *streams.KTable[string, string]) {
			t.Filter(func(_, _ string) bool { return false }, streams.Materialized[string, string]{StoreName: "store-name"})
		}, "      --> KTABLE-SOURCE-0000000002\n" +
			"    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n" +
			"      --> KTABLE-FILTER-0000000003\n" +
			"      <-- KSTREAM-SOURCE-0000000001\n" +
			"    Processor: KTABLE-FILTER-0000000003 (stores: [store-name])\n" +
			"      --> none\n" +
			"      <-- KTABLE-SOURCE-0000000002\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := streams.NewBuilder()
			tc.build(streams.Table(b, "input-topic", strings2))
			checkDescribe(t, b, head+tc.want)
		})
	}
}

type extractor struct{}

func (extractor) Extract(k, _ string, rc topology.RecordContext) (string, error) {
	return rc.Topic + "-" + k, nil
}
func (extractor) String() string {
	return "anonymous topic name extractor. topic is [recordContext.topic()]-[key]"
}

// TopologyTest#topologyWithDynamicRoutingShouldDescribeExtractorClass
func TestDescribeTopicNameExtractor(t *testing.T) {
	b := streams.NewBuilder()
	streams.Stream(b, []string{"input-topic"}, strings2).ToExtractor(extractor{})
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"+
		"      --> KSTREAM-SINK-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000001 (extractor class: anonymous topic name extractor. topic is [recordContext.topic()]-[key])\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n\n")
}

// KStreamImplTest#shouldSupportKeyChangeKTableFromKStream
func TestDescribeToTableAfterMap(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"input"}, strings2)
	streams.Map(s, func(k, v string) (int32, string) { return int32(k[0] - 'A'), v }).
		ToTable(streams.Materialized[int32, string]{KeySerde: serde.Int32()}).
		ToStream().To("output", streams.ProducedWith(serde.Int32(), serde.String()))
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"+
		"      --> KSTREAM-MAP-0000000001\n"+
		"    Processor: KSTREAM-MAP-0000000001 (stores: [])\n"+
		"      --> KSTREAM-FILTER-0000000005\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000004\n"+
		"      <-- KSTREAM-MAP-0000000001\n"+
		"    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-TOTABLE-0000000002-repartition)\n"+
		"      <-- KSTREAM-FILTER-0000000005\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-TOTABLE-0000000002-repartition])\n"+
		"      --> KSTREAM-TOTABLE-0000000002\n"+
		"    Processor: KSTREAM-TOTABLE-0000000002 (stores: [])\n"+
		"      --> KTABLE-TOSTREAM-0000000007\n"+
		"      <-- KSTREAM-SOURCE-0000000006\n"+
		"    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000008\n"+
		"      <-- KSTREAM-TOTABLE-0000000002\n"+
		"    Sink: KSTREAM-SINK-0000000008 (topic: output)\n"+
		"      <-- KTABLE-TOSTREAM-0000000007\n\n")
}

func rekeyedJoins(b *streams.Builder, names ...string) {
	a := streams.Stream(b, []string{"topic"}, strings2)
	tb := streams.Table(b, "topic2", strings2)
	tc := streams.Table(b, "topic3", strings2)
	rekeyed := streams.Map(a, func(k, v string) (string, string) { return v, k })
	concat := func(v1, v2 string) string { return v1 + v2 }
	var opts [2][]streams.Option
	for i, n := range names {
		opts[i] = []streams.Option{streams.Joined[string, string, string]{Name: n}}
	}
	streams.Join(rekeyed, tb, concat, opts[0]...).To("out-one")
	streams.Join(rekeyed, tc, concat, opts[1]...).To("out-two")
}

// KStreamKTableJoinTest#shouldCreateRepartitionTopicsWithUserProvidedName
// and its generated-names twin: both joins of one re-keyed stream share a
// generated repartition topic, but get one each when named.
func TestDescribeStreamTableJoinRepartition(t *testing.T) {
	b := streams.NewBuilder()
	rekeyedJoins(b)
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"+
		"      --> KSTREAM-MAP-0000000007\n"+
		"    Processor: KSTREAM-MAP-0000000007 (stores: [])\n"+
		"      --> KSTREAM-FILTER-0000000009\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: KSTREAM-FILTER-0000000009 (stores: [])\n"+
		"      --> KSTREAM-SINK-0000000008\n"+
		"      <-- KSTREAM-MAP-0000000007\n"+
		"    Sink: KSTREAM-SINK-0000000008 (topic: KSTREAM-MAP-0000000007-repartition)\n"+
		"      <-- KSTREAM-FILTER-0000000009\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: KSTREAM-SOURCE-0000000010 (topics: [KSTREAM-MAP-0000000007-repartition])\n"+
		"      --> KSTREAM-JOIN-0000000011, KSTREAM-JOIN-0000000016\n"+
		"    Processor: KSTREAM-JOIN-0000000011 (stores: [topic2-STATE-STORE-0000000001])\n"+
		"      --> KSTREAM-SINK-0000000012\n"+
		"      <-- KSTREAM-SOURCE-0000000010\n"+
		"    Processor: KSTREAM-JOIN-0000000016 (stores: [topic3-STATE-STORE-0000000004])\n"+
		"      --> KSTREAM-SINK-0000000017\n"+
		"      <-- KSTREAM-SOURCE-0000000010\n"+
		"    Source: KSTREAM-SOURCE-0000000002 (topics: [topic2])\n"+
		"      --> KTABLE-SOURCE-0000000003\n"+
		"    Source: KSTREAM-SOURCE-0000000005 (topics: [topic3])\n"+
		"      --> KTABLE-SOURCE-0000000006\n"+
		"    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n"+
		"      <-- KSTREAM-JOIN-0000000011\n"+
		"    Sink: KSTREAM-SINK-0000000017 (topic: out-two)\n"+
		"      <-- KSTREAM-JOIN-0000000016\n"+
		"    Processor: KTABLE-SOURCE-0000000003 (stores: [topic2-STATE-STORE-0000000001])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000002\n"+
		"    Processor: KTABLE-SOURCE-0000000006 (stores: [topic3-STATE-STORE-0000000004])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000005\n\n")

	b = streams.NewBuilder()
	rekeyedJoins(b, "first-join", "second-join")
	checkDescribe(t, b, "Topologies:\n"+
		"   Sub-topology: 0\n"+
		"    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"+
		"      --> KSTREAM-MAP-0000000007\n"+
		"    Processor: KSTREAM-MAP-0000000007 (stores: [])\n"+
		"      --> first-join-repartition-filter, second-join-repartition-filter\n"+
		"      <-- KSTREAM-SOURCE-0000000000\n"+
		"    Processor: first-join-repartition-filter (stores: [])\n"+
		"      --> first-join-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000007\n"+
		"    Processor: second-join-repartition-filter (stores: [])\n"+
		"      --> second-join-repartition-sink\n"+
		"      <-- KSTREAM-MAP-0000000007\n"+
		"    Sink: first-join-repartition-sink (topic: first-join-repartition)\n"+
		"      <-- first-join-repartition-filter\n"+
		"    Sink: second-join-repartition-sink (topic: second-join-repartition)\n"+
		"      <-- second-join-repartition-filter\n"+
		"\n"+
		"  Sub-topology: 1\n"+
		"    Source: first-join-repartition-source (topics: [first-join-repartition])\n"+
		"      --> first-join\n"+
		"    Source: KSTREAM-SOURCE-0000000002 (topics: [topic2])\n"+
		"      --> KTABLE-SOURCE-0000000003\n"+
		"    Processor: first-join (stores: [topic2-STATE-STORE-0000000001])\n"+
		"      --> KSTREAM-SINK-0000000012\n"+
		"      <-- first-join-repartition-source\n"+
		"    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n"+
		"      <-- first-join\n"+
		"    Processor: KTABLE-SOURCE-0000000003 (stores: [topic2-STATE-STORE-0000000001])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000002\n"+
		"\n"+
		"  Sub-topology: 2\n"+
		"    Source: second-join-repartition-source (topics: [second-join-repartition])\n"+
		"      --> second-join\n"+
		"    Source: KSTREAM-SOURCE-0000000005 (topics: [topic3])\n"+
		"      --> KTABLE-SOURCE-0000000006\n"+
		"    Processor: second-join (stores: [topic3-STATE-STORE-0000000004])\n"+
		"      --> KSTREAM-SINK-0000000017\n"+
		"      <-- second-join-repartition-source\n"+
		"    Sink: KSTREAM-SINK-0000000017 (topic: out-two)\n"+
		"      <-- second-join\n"+
		"    Processor: KTABLE-SOURCE-0000000006 (stores: [topic3-STATE-STORE-0000000004])\n"+
		"      --> none\n"+
		"      <-- KSTREAM-SOURCE-0000000005\n\n")
}
