package topology_test

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

func wantBuildError(t *testing.T, b *topology.Builder, parts ...string) {
	t.Helper()
	_, err := b.Build()
	if err == nil {
		t.Fatalf("Build succeeded, want an error mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestBuildValidation(t *testing.T) {
	t.Run("unknown parent", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddSource("s", str("in")).AddProcessor("p", passThrough(), "nope"),
			`processor "p": parent "nope" is not defined`)
	})
	t.Run("duplicate name", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddSource("x", str("in")).AddProcessor("x", passThrough(), "x"),
			`processor "x": the name is already used by source "x"`)
	})
	t.Run("cycle", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().
			AddSource("s", str("in")).
			AddProcessor("a", passThrough(), "s", "c").
			AddProcessor("b", passThrough(), "a").
			AddProcessor("c", passThrough(), "b"),
			"cycle", `"a" -> "b" -> "c" -> "a"`)
	})
	t.Run("sink with children", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().
			AddSource("s", str("in")).
			AddSink("k", strSink("out"), "s").
			AddProcessor("p", passThrough(), "k"),
			`processor "p": parent "k" is a sink; sinks cannot have children`)
	})
	t.Run("processor without parent", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddProcessor("p", passThrough()), `processor "p": needs at least one parent`)
	})
	t.Run("type mismatch", func(t *testing.T) {
		ints := topology.ProcessFunc(func(ctx topology.ProcessorContext[int32, int64], rec topology.Record[int32, int64]) error { return nil })
		wantBuildError(t, topology.NewBuilder().AddSource("s", str("in")).AddProcessor("p", ints, "s"),
			`processor "p" takes records of (int32, int64) but parent "s" forwards (string, string)`)
	})
	t.Run("topic read twice", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddSource("a", str("in")).AddSource("b", str("x", "in")),
			`source "b": topic "in" is already read by source "a"`)
	})
	t.Run("pattern overlaps topic", func(t *testing.T) {
		pat := topology.Source[string, string]{Pattern: regexp.MustCompile("in.*"), KeySerde: serde.String(), ValueSerde: serde.String()}
		wantBuildError(t, topology.NewBuilder().AddSource("a", str("input")).AddSource("b", pat),
			`pattern in.* matches topic "input", already read by source "a"`)
	})
	t.Run("source without topics or serdes", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddSource("a", topology.Source[string, string]{}),
			`source "a": needs Topics or a Pattern`, "KeySerde is nil", "ValueSerde is nil")
	})
	t.Run("sink without topic", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddSource("s", str("in")).
			AddSink("k", topology.Sink[string, string]{KeySerde: serde.String(), ValueSerde: serde.String()}, "s"),
			`sink "k": needs a Topic or a TopicExtractor`)
	})
	t.Run("store on a source", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddSource("s", str("in")).AddStateStore(kvStore("st"), "s"),
			`state store "st": cannot connect it to source "s", only to processors`)
	})
	t.Run("store for unknown processor", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddStateStore(kvStore("st"), "ghost"),
			`state store "st": processor "ghost" has not been added`)
	})
	t.Run("connect unknown store", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddSource("s", str("in")).AddProcessor("p", passThrough(), "s").
			ConnectProcessorAndStateStores("p", "missing"),
			`processor "p": state store "missing" has not been added`)
	})
	t.Run("two stores one name", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddStateStore(kvStore("st")).AddStateStore(kvStore("st")),
			`state store "st": a different store with this name was already added`)
	})
	t.Run("global store with logging", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().AddGlobalStore(kvStore("g"), "gs", str("gt"), "gp", passThrough()),
			`global store "g": logging must be disabled`)
	})
	t.Run("all errors reported", func(t *testing.T) {
		wantBuildError(t, topology.NewBuilder().
			AddProcessor("p", passThrough(), "a").
			AddSink("k", strSink("out"), "b"),
			`parent "a" is not defined`, `parent "b" is not defined`)
	})
}

func TestSameStoreBuilderSharedByTwoProcessors(t *testing.T) {
	sb := kvStore("shared")
	topo, err := topology.NewBuilder().
		AddSource("s1", str("t1")).AddProcessor("p1", passThrough(), "s1").
		AddSource("s2", str("t2")).AddProcessor("p2", passThrough(), "s2").
		AddStateStore(sb, "p1").AddStateStore(sb, "p2").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	subs := topo.Subtopologies("app")
	if len(subs) != 1 {
		t.Fatalf("processors sharing a store must be one sub-topology, got %d", len(subs))
	}
	if got := subs[0].SourceTopics; !reflect.DeepEqual(got, []string{"t1", "t2"}) {
		t.Errorf("source topics %v", got)
	}
	if got := topo.CopartitionGroups("app"); !reflect.DeepEqual(got, [][]string{{"t1", "t2"}}) {
		t.Errorf("co-partition groups %v", got)
	}
}

// A repartition topic cuts the graph: the sink's sub-topology writes it, the
// source's reads it; internal names get the application-id prefix.
func TestSubtopologySplitAtRepartitionTopic(t *testing.T) {
	topo, err := topology.NewBuilder().
		AddInternalTopic("counts-repartition", topology.InternalTopicConfig{}).
		AddSource("src", str("input")).
		AddProcessor("rekey", passThrough(), "src").
		AddSink("to-rep", strSink("counts-repartition"), "rekey").
		AddSource("from-rep", str("counts-repartition")).
		AddProcessor("count", passThrough(), "from-rep").
		AddStateStore(kvStore("counts"), "count").
		AddStateStore(state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("scratch"), serde.String(), serde.String()).WithLoggingDisabled(), "count").
		AddSink("out", strSink("output"), "count").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	subs := topo.Subtopologies("wc")
	if len(subs) != 2 {
		t.Fatalf("got %d sub-topologies, want 2", len(subs))
	}
	s0, s1 := subs[0], subs[1]
	if !reflect.DeepEqual(s0.SourceTopics, []string{"input"}) || !reflect.DeepEqual(s0.RepartitionSinkTopics, []string{"wc-counts-repartition"}) {
		t.Errorf("sub-topology 0: %+v", s0)
	}
	if !reflect.DeepEqual(s1.SourceTopics, []string{"wc-counts-repartition"}) || !reflect.DeepEqual(s1.RepartitionSourceTopics, []string{"wc-counts-repartition"}) ||
		!reflect.DeepEqual(s1.SinkTopics, []string{"output"}) {
		t.Errorf("sub-topology 1: %+v", s1)
	}
	wantStores := []topology.StoreInfo{{Name: "counts", ChangelogTopic: "wc-counts-changelog"}, {Name: "scratch"}}
	if !reflect.DeepEqual(s1.Stores, wantStores) {
		t.Errorf("stores %+v, want %+v", s1.Stores, wantStores)
	}
	if got := topo.InternalTopics("wc"); len(got) != 1 || got[0].Name != "wc-counts-repartition" {
		t.Errorf("internal topics %+v", got)
	}
	if !strings.Contains(topo.Describe().String(), "Sink: to-rep (topic: counts-repartition)") {
		t.Errorf("describe must show short internal names:\n%s", topo.Describe())
	}

	// A task of sub-topology 1 reads the prefixed topic.
	task, err := topology.NewTask(topo, topology.TaskID{Subtopology: 1, Partition: 2}, topology.TaskEnv{ApplicationID: "wc", Sink: &memSink{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := task.SourceTopics(); !reflect.DeepEqual(got, []string{"wc-counts-repartition"}) {
		t.Errorf("task topics %v", got)
	}
	if _, err := topology.NewTask(topo, topology.TaskID{Subtopology: 2}, topology.TaskEnv{ApplicationID: "wc", Sink: &memSink{}}); err == nil {
		t.Error("a task of a missing sub-topology must fail")
	}
}

func TestBuilderChangesDoNotLeakIntoBuiltTopology(t *testing.T) {
	b := topology.NewBuilder().AddSource("s", str("in")).AddProcessor("p", passThrough(), "s")
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	b.AddProcessor("q", passThrough(), "p")
	if got := topo.NodeNames(); !reflect.DeepEqual(got, []string{"s", "p"}) {
		t.Errorf("nodes %v", got)
	}
}
