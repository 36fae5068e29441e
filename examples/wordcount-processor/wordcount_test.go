package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/streams/streamstest"
	"github.com/runnel-dev/runnel/topology/serde"
)

func newDriver(t *testing.T) (*streamstest.Driver, *streamstest.TestInputTopic[string, string], *streamstest.TestOutputTopic[string, string]) {
	t.Helper()
	topo, err := NewTopology(InputTopic, OutputTopic)
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
	out := streamstest.CreateOutputTopic(d, OutputTopic, serde.String(), serde.String())
	return d, in, out
}

func read(t *testing.T, out *streamstest.TestOutputTopic[string, string]) []streamstest.TestRecord[string, string] {
	t.Helper()
	recs, err := out.ReadRecordsToList()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

type kvt struct {
	k, v string
	ts   int64
}

func flat(recs []streamstest.TestRecord[string, string]) []kvt {
	out := []kvt{}
	for _, r := range recs {
		out = append(out, kvt{r.Key, r.Value, r.TimestampMs()})
	}
	return out
}

// Kafka's WordCountProcessorTest: "alpha beta\tgamma\n\talpha" then a punctuation
// at 0 forwards alpha "2", beta "1", gamma "1" at ts 0. Through the driver
// the stream-time punctuator (aligned to 0) fires right after the record.
func TestWordCountProcessorLikeKafkaTest(t *testing.T) {
	_, in, out := newDriver(t)
	if err := in.PipeInputAt("key", "alpha beta\tgamma\n\talpha", time.UnixMilli(0)); err != nil {
		t.Fatal(err)
	}
	want := []kvt{{"alpha", "2", 0}, {"beta", "1", 0}, {"gamma", "1", 0}}
	if got := flat(read(t, out)); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestWordCountPunctuatesOncePerStreamTimeSecond(t *testing.T) {
	_, in, out := newDriver(t)
	step := func(line string, ts int64, want []kvt) {
		t.Helper()
		if err := in.PipeInputAt("", line, time.UnixMilli(ts)); err != nil {
			t.Fatal(err)
		}
		if got := flat(read(t, out)); !reflect.DeepEqual(got, want) {
			t.Fatalf("after %q at %d: got %v, want %v", line, ts, got, want)
		}
	}
	step("Hello Kafka", 0, []kvt{{"hello", "1", 0}, {"kafka", "1", 0}})
	step("hello runnel", 999, []kvt{}) // next punctuation is at 1000
	step("late KAFKA", 200, []kvt{})   // out-of-order: stream time stays 999
	step("x", 1000, []kvt{{"hello", "2", 1000}, {"kafka", "2", 1000}, {"late", "1", 1000}, {"runnel", "1", 1000}, {"x", "1", 1000}})
	// A jump of several seconds punctuates once, with the new stream time.
	step("y", 5500, []kvt{{"hello", "2", 5500}, {"kafka", "2", 5500}, {"late", "1", 5500}, {"runnel", "1", 5500}, {"x", "1", 5500}, {"y", "1", 5500}})
	step("z", 5999, []kvt{})
	step("", 6000, []kvt{{"", "1", 6000}, {"hello", "2", 6000}, {"kafka", "2", 6000}, {"late", "1", 6000}, {"runnel", "1", 6000}, {"x", "1", 6000}, {"y", "1", 6000}, {"z", "1", 6000}})
}

func TestWordCountStoreAndDescribe(t *testing.T) {
	d, in, _ := newDriver(t)
	if err := in.PipeValueList([]string{"a b a", "  b"}); err != nil {
		t.Fatal(err)
	}
	store, err := streamstest.GetKeyValueStore[string, int32](d, CountsStore)
	if err != nil {
		t.Fatal(err)
	}
	for word, want := range map[string]int32{"a": 2, "b": 2, "": 1} {
		got, ok, err := store.Get(word)
		if err != nil || !ok || got != want {
			t.Errorf("count of %q = %d, %v, %v; want %d", word, got, ok, err, want)
		}
	}
	topo, _ := NewTopology(InputTopic, OutputTopic)
	want := "Topologies:\n" +
		"   Sub-topology: 0\n" +
		"    Source: Source (topics: [streams-plaintext-input])\n" +
		"      --> Process\n" +
		"    Processor: Process (stores: [Counts])\n" +
		"      --> Sink\n" +
		"      <-- Source\n" +
		"    Sink: Sink (topic: streams-wordcount-processor-output)\n" +
		"      <-- Process\n\n"
	if got := topo.Describe().String(); got != want {
		t.Errorf("describe:\n%s\nwant:\n%s", got, want)
	}
}

func TestSplitNonWordLikeJava(t *testing.T) {
	cases := map[string][]string{
		"alpha beta\tgamma\n\talpha": {"alpha", "beta", "gamma", "alpha"},
		"  b":                        {"", "b"},
		"a, b!!":                     {"a", "b"},
		"":                           {""},
		"!!!":                        {},
		"snake_case x1":              {"snake_case", "x1"},
		"héllo":                      {"h", "llo"},
	}
	for in, want := range cases {
		if got := splitNonWord(in); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("split(%q) = %q, want %q", in, got, want)
		}
	}
}
