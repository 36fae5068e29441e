package topology_test

import (
	"regexp"
	"testing"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// spec is one node of a test topology: kind 'S' source, 'P' processor,
// 'K' sink; for sinks, topic is the target topic.
type spec struct {
	kind    byte
	name    string
	topics  []string
	topic   string
	parents []string
	stores  []string
}

func src(name string, topics ...string) spec { return spec{kind: 'S', name: name, topics: topics} }
func proc(name string, parents []string, stores ...string) spec {
	return spec{kind: 'P', name: name, parents: parents, stores: stores}
}
func sink(name, topic string, parents ...string) spec {
	return spec{kind: 'K', name: name, topic: topic, parents: parents}
}
func p(names ...string) []string { return names }

func passThrough() topology.ProcessorSupplier {
	return topology.ProcessFunc(func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
		return ctx.Forward(rec)
	})
}

func kvStore(name string) state.StoreBuilder {
	return state.KeyValueStoreBuilder(state.InMemoryKeyValueStore(name), serde.String(), serde.String())
}

func build(t *testing.T, specs []spec) *topology.Topology {
	t.Helper()
	b := topology.NewBuilder()
	added := map[string]bool{}
	for _, s := range specs {
		switch s.kind {
		case 'S':
			b.AddSource(s.name, str(s.topics...))
		case 'P':
			b.AddProcessor(s.name, passThrough(), s.parents...)
			for _, st := range s.stores {
				if !added[st] {
					added[st] = true
					b.AddStateStore(kvStore(st))
				}
				b.ConnectProcessorAndStateStores(s.name, st)
			}
		case 'K':
			b.AddSink(s.name, strSink(s.topic), s.parents...)
		}
	}
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func streamStreamJoin(this, other, thisStore, otherStore string, thisStores, otherStores []string) []spec {
	return []spec{
		src("KSTREAM-SOURCE-0000000000", "input-topic1"),
		src("KSTREAM-SOURCE-0000000001", "input-topic2"),
		proc("KSTREAM-WINDOWED-0000000002", p("KSTREAM-SOURCE-0000000000"), thisStore),
		proc("KSTREAM-WINDOWED-0000000003", p("KSTREAM-SOURCE-0000000001"), otherStore),
		proc(this, p("KSTREAM-WINDOWED-0000000002"), thisStores...),
		proc(other, p("KSTREAM-WINDOWED-0000000003"), otherStores...),
		proc("KSTREAM-MERGE-0000000006", p(this, other)),
	}
}

func TestDescribeMatchesKafka(t *testing.T) {
	const (
		joinThis   = "KSTREAM-JOINTHIS-0000000004"
		joinOther  = "KSTREAM-JOINOTHER-0000000005"
		outerThis  = "KSTREAM-OUTERTHIS-0000000004"
		outerOther = "KSTREAM-OUTEROTHER-0000000005"
	)
	cases := map[string][]spec{
		"streamStreamJoinDefault": streamStreamJoin(joinThis, joinOther,
			joinThis+"-store", joinOther+"-store", p(joinOther+"-store"), p(joinThis+"-store")),
		"streamStreamLeftJoinDefault": streamStreamJoin(joinThis, outerOther,
			joinThis+"-store", outerOther+"-store",
			p(outerOther+"-store", "KSTREAM-OUTERSHARED-0000000004-store"),
			p(joinThis+"-store", "KSTREAM-OUTERSHARED-0000000004-store")),
		"streamStreamLeftJoinCustom": streamStreamJoin(joinThis, outerOther,
			"custom-name-this-join-store", "custom-name-outer-other-join-store",
			p("custom-name-outer-other-join-store", "custom-name-left-shared-join-store"),
			p("custom-name-this-join-store", "custom-name-left-shared-join-store")),
		"streamStreamOuterJoinDefault": streamStreamJoin(outerThis, outerOther,
			outerThis+"-store", outerOther+"-store",
			p(outerOther+"-store", "KSTREAM-OUTERSHARED-0000000004-store"),
			p(outerThis+"-store", "KSTREAM-OUTERSHARED-0000000004-store")),
		"streamStreamOuterJoinCustom": streamStreamJoin(outerThis, outerOther,
			"custom-name-outer-this-join-store", "custom-name-outer-other-join-store",
			p("custom-name-outer-other-join-store", "custom-name-outer-shared-join-store"),
			p("custom-name-outer-this-join-store", "custom-name-outer-shared-join-store")),
		"groupedCount": {
			src("KSTREAM-SOURCE-0000000000", "input-topic"),
			proc("KSTREAM-AGGREGATE-0000000002", p("KSTREAM-SOURCE-0000000000"), "KSTREAM-AGGREGATE-STATE-STORE-0000000001"),
		},
		"tableCount": {
			src("KSTREAM-SOURCE-0000000001", "input-topic"),
			proc("KTABLE-SOURCE-0000000002", p("KSTREAM-SOURCE-0000000001"), "input-topic-STATE-STORE-0000000000"),
			proc("KTABLE-SELECT-0000000003", p("KTABLE-SOURCE-0000000002")),
			sink("KSTREAM-SINK-0000000005", "KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition", "KTABLE-SELECT-0000000003"),
			src("KSTREAM-SOURCE-0000000006", "KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition"),
			proc("KTABLE-AGGREGATE-0000000007", p("KSTREAM-SOURCE-0000000006"), "KTABLE-AGGREGATE-STATE-STORE-0000000004"),
		},
		"mergeOptimized": {
			src("KSTREAM-SOURCE-0000000000", "input_topic"),
			proc("KSTREAM-KEY-SELECT-0000000001", p("KSTREAM-SOURCE-0000000000")),
			proc("KSTREAM-MAPVALUES-0000000002", p("KSTREAM-KEY-SELECT-0000000001")),
			proc("KSTREAM-MAPVALUES-0000000003", p("KSTREAM-KEY-SELECT-0000000001")),
			proc("KSTREAM-MAPVALUES-0000000004", p("KSTREAM-KEY-SELECT-0000000001")),
			proc("KSTREAM-MERGE-0000000005", p("KSTREAM-MAPVALUES-0000000002", "KSTREAM-MAPVALUES-0000000003")),
			proc("KSTREAM-MERGE-0000000006", p("KSTREAM-MERGE-0000000005", "KSTREAM-MAPVALUES-0000000004")),
			sink("KSTREAM-SINK-0000000007", "output_topic", "KSTREAM-MERGE-0000000006"),
		},
		"complexMerge": complexMerge(),
	}
	for name, specs := range cases {
		t.Run(name, func(t *testing.T) {
			want, ok := kafkaDescribe[name]
			if !ok {
				t.Fatalf("no expected text for %s", name)
			}
			if got := build(t, specs).Describe().String(); got != want {
				t.Errorf("describe mismatch\n--- got:\n%s\n--- want:\n%s", got, want)
			}
		})
	}
}

// complexMerge is the optimized topology of Kafka's
// StreamsGraphTest#shouldNotThrowNPEWithMergeNodes (KAFKA-9739).
func complexMerge() []spec {
	const rep14 = "KSTREAM-AGGREGATE-STATE-STORE-0000000014-repartition"
	return []spec{
		src("KSTREAM-SOURCE-0000000000", "retryTopic"),
		proc("KSTREAM-PROCESSOR-0000000001", p("KSTREAM-SOURCE-0000000000")),
		proc("KSTREAM-AGGREGATE-0000000003", p("KSTREAM-SOURCE-0000000006"), "KSTREAM-AGGREGATE-STATE-STORE-0000000002"),
		sink("KSTREAM-SINK-0000000004", "KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition", "KSTREAM-FILTER-0000000005"),
		proc("KSTREAM-FILTER-0000000005", p("KSTREAM-PROCESSOR-0000000001")),
		src("KSTREAM-SOURCE-0000000006", "KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition"),
		proc("KTABLE-SUPPRESS-0000000007", p("KSTREAM-AGGREGATE-0000000003"), "KTABLE-SUPPRESS-STATE-STORE-0000000008"),
		proc("KTABLE-TOSTREAM-0000000009", p("KTABLE-SUPPRESS-0000000007")),
		proc("KSTREAM-FLATMAP-0000000010", p("KTABLE-TOSTREAM-0000000009")),
		src("KSTREAM-SOURCE-0000000011", "id-table-topic"),
		proc("KSTREAM-FLATMAP-0000000012", p("KSTREAM-SOURCE-0000000011")),
		proc("KSTREAM-PEEK-0000000013", p(rep14+"-source")),
		proc(rep14+"-filter", p("KSTREAM-FLATMAP-0000000012")),
		sink(rep14+"-sink", rep14, rep14+"-filter"),
		src(rep14+"-source", rep14),
		proc("KSTREAM-AGGREGATE-0000000015", p("KSTREAM-PEEK-0000000013"), "KSTREAM-AGGREGATE-STATE-STORE-0000000014"),
		src("KSTREAM-SOURCE-0000000019", "internal-topic-command"),
		proc("KSTREAM-PEEK-0000000020", p("KSTREAM-SOURCE-0000000019")),
		proc("KSTREAM-MAPVALUES-0000000021", p("KSTREAM-PEEK-0000000020")),
		proc("KSTREAM-MERGE-0000000022", p("KSTREAM-MAPVALUES-0000000021", "KSTREAM-FLATMAP-0000000010")),
		sink("KSTREAM-SINK-0000000023", "KSTREAM-MERGE-0000000022-repartition", "KSTREAM-FILTER-0000000024"),
		proc("KSTREAM-FILTER-0000000024", p("KSTREAM-MERGE-0000000022")),
		src("KSTREAM-SOURCE-0000000025", "KSTREAM-MERGE-0000000022-repartition"),
		proc("KSTREAM-LEFTJOIN-0000000026", p("KSTREAM-SOURCE-0000000025"), "KSTREAM-AGGREGATE-STATE-STORE-0000000014"),
		proc("KSTREAM-BRANCH-0000000027", p("KSTREAM-LEFTJOIN-0000000026")),
		proc("KSTREAM-BRANCH-00000000270", p("KSTREAM-BRANCH-0000000027")),
		proc("KSTREAM-BRANCH-00000000271", p("KSTREAM-BRANCH-0000000027")),
		proc("KSTREAM-MAP-0000000029", p("KSTREAM-BRANCH-00000000271")),
		proc("KSTREAM-PEEK-0000000030", p("KSTREAM-MAP-0000000029")),
		sink("KSTREAM-SINK-0000000031", "external-command", "KSTREAM-PEEK-0000000030"),
		proc("KSTREAM-FILTER-0000000033", p("KSTREAM-BRANCH-00000000270")),
		proc("KSTREAM-PEEK-0000000034", p("KSTREAM-FILTER-0000000033")),
		proc("KSTREAM-MAPVALUES-0000000035", p("KSTREAM-PEEK-0000000034")),
		sink("KSTREAM-SINK-0000000036", "dlq-topic", "KSTREAM-MAPVALUES-0000000035"),
		proc("KSTREAM-MAP-0000000037", p("KSTREAM-BRANCH-00000000270")),
		sink("KSTREAM-SINK-0000000038", "retryTopic", "KSTREAM-MAP-0000000037"),
	}
}

type describedExtractor struct{}

func (describedExtractor) Extract(key, _ string, rc topology.RecordContext) (string, error) {
	return rc.Topic + "-" + key, nil
}
func (describedExtractor) String() string {
	return "anonymous topic name extractor. topic is [recordContext.topic()]-[key]"
}

func TestDescribeDynamicSink(t *testing.T) {
	topo, err := topology.NewBuilder().
		AddSource("KSTREAM-SOURCE-0000000000", str("input-topic")).
		AddSink("KSTREAM-SINK-0000000001", topology.Sink[string, string]{TopicExtractor: describedExtractor{}, KeySerde: serde.String(), ValueSerde: serde.String()}, "KSTREAM-SOURCE-0000000000").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := topo.Describe().String(), kafkaDescribe["dynamicRouting"]; got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestDescribeGlobalStoresAndPatterns(t *testing.T) {
	global := func(name string) state.StoreBuilder {
		return state.KeyValueStoreBuilder(state.InMemoryKeyValueStore(name), serde.String(), serde.String()).WithLoggingDisabled()
	}
	topo, err := topology.NewBuilder().
		AddGlobalStore(global("globalStore1"), "source1", str("globalTopic1"), "processor1", passThrough()).
		AddSource("source", topology.Source[string, string]{Pattern: regexp.MustCompile("topic[0-9]"), KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddProcessor("processor", passThrough(), "source").
		AddGlobalStore(global("globalStore2"), "source2", str("globalTopic2"), "processor2", passThrough()).
		AddSource("multi", str("topic-a", "topic-b", "topic-c")).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	// Kafka prints a global store as its own numbered group, a newline
	// only after it (no blank line), and topic sets in HashSet order.
	want := "Topologies:\n" +
		"   Sub-topology: 0 for global store (will not generate tasks)\n" +
		"    Source: source1 (topics: [globalTopic1])\n" +
		"      --> processor1\n" +
		"    Processor: processor1 (stores: [globalStore1])\n" +
		"      --> none\n" +
		"      <-- source1\n" +
		"  Sub-topology: 1\n" +
		"    Source: source (topics: topic[0-9])\n" +
		"      --> processor\n" +
		"    Processor: processor (stores: [])\n" +
		"      --> none\n" +
		"      <-- source\n" +
		"\n" +
		"  Sub-topology: 2 for global store (will not generate tasks)\n" +
		"    Source: source2 (topics: [globalTopic2])\n" +
		"      --> processor2\n" +
		"    Processor: processor2 (stores: [globalStore2])\n" +
		"      --> none\n" +
		"      <-- source2\n" +
		"  Sub-topology: 3\n" +
		"    Source: multi (topics: [topic-a, topic-b, topic-c])\n" +
		"      --> none\n" +
		"\n"
	if got := topo.Describe().String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := topo.GlobalStores(); len(got) != 2 || got[1].Store != "globalStore2" || got[1].Topic != "globalTopic2" || got[1].ID != 2 {
		t.Errorf("GlobalStores() = %+v", got)
	}
}

func TestDescribeEmpty(t *testing.T) {
	topo, err := topology.NewBuilder().Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := topo.Describe().String(); got != "Topologies:\n " {
		t.Errorf("got %q", got)
	}
}
