package topology_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// keepingSink holds on to the slices Send gets, as a RecordSink that owns
// them may.
type keepingSink struct {
	keys, values [][]byte
}

func (k *keepingSink) Send(_ string, _ int32, key, value []byte, _ int64, _ topology.Headers) error {
	k.keys, k.values = append(k.keys, key), append(k.values, value)
	return nil
}

func (k *keepingSink) Partitions(string) (int32, error) { return 3, nil }

func (k *keepingSink) strings() []string {
	out := make([]string, len(k.keys))
	for i := range k.keys {
		v := string(k.values[i])
		if k.values[i] == nil {
			v = "<null>"
		}
		out[i] = string(k.keys[i]) + "=" + v
	}
	return out
}

// copyingSink copies what Send gets, and so declares it may get reused
// buffers.
type copyingSink struct {
	memSink
	raw [][]byte // the value slices as passed
}

func (c *copyingSink) SendCopies() {}

func (c *copyingSink) Send(topic string, partition int32, key, value []byte, ts int64, h topology.Headers) error {
	c.raw = append(c.raw, value)
	return c.memSink.Send(topic, partition, key, value, ts, h)
}

// nullable maps "null" to a null value, to see nulls through the sink.
func nullable() serde.Serde[string] {
	return serde.Funcs("NullableString", func(_ string, v string) ([]byte, error) {
		if v == "null" {
			return nil, nil
		}
		return []byte(v), nil
	}, func(_ string, b []byte) (string, error) { return string(b), nil })
}

func sinkTopology(t *testing.T, multicast bool) *topology.Topology {
	t.Helper()
	sink := topology.Sink[string, string]{Topic: "out", KeySerde: serde.String(), ValueSerde: nullable()}
	if multicast {
		sink.Partitioner = func(_ string, key, _ string, n int32) []int32 {
			if key == "both" {
				return []int32{0, n - 1}
			}
			return nil
		}
	}
	topo, err := topology.NewBuilder().AddSource("src", str("in")).AddSink("out", sink, "src").Build()
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

var sinkInputs = [][2]string{{"a", "first"}, {"both", "a much longer value than before"}, {"", ""}, {"c", "null"}, {"d", "x"}}

func pipeSinkInputs(t *testing.T, task *topology.Task) {
	t.Helper()
	for i, in := range sinkInputs {
		if err := task.Process(context.Background(), topology.RawRecord{Topic: "in", Offset: int64(i), Key: []byte(in[0]), Value: []byte(in[1]), TimestampMs: 1}); err != nil {
			t.Fatal(err)
		}
	}
}

// A sink that owns what Send gets keeps every record intact: the sink
// node gives it new slices each time.
func TestSinkGivesOwningSinkFreshSlices(t *testing.T) {
	for _, multicast := range []bool{false, true} {
		t.Run(fmt.Sprintf("multicast=%v", multicast), func(t *testing.T) {
			sink := &keepingSink{}
			task, err := topology.NewTask(sinkTopology(t, multicast), topology.TaskID{}, topology.TaskEnv{ApplicationID: "app", Sink: sink})
			if err != nil {
				t.Fatal(err)
			}
			if err := task.Init(context.Background()); err != nil {
				t.Fatal(err)
			}
			pipeSinkInputs(t, task)
			want := []string{"a=first", "both=a much longer value than before", "=", "c=<null>", "d=x"}
			if multicast {
				want = append(want[:2], want[1:]...)
			}
			if got := sink.strings(); !reflect.DeepEqual(got, want) {
				t.Errorf("kept records %q, want %q", got, want)
			}
		})
	}
}

// A CopyingRecordSink gets every record right, nulls and empty values
// included, while the sink node reuses its buffers.
func TestSinkReusesBuffersWithCopyingSink(t *testing.T) {
	sink := &copyingSink{memSink: memSink{partitions: 3}}
	task, err := topology.NewTask(sinkTopology(t, true), topology.TaskID{}, topology.TaskEnv{ApplicationID: "app", Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	pipeSinkInputs(t, task)
	want := []sent{{"out", -1, "a", "first", 1}, {"out", 0, "both", "a much longer value than before", 1}, {"out", 2, "both", "a much longer value than before", 1},
		{"out", -1, "", "", 1}, {"out", -1, "c", "<null>", 1}, {"out", -1, "d", "x", 1}}
	if !reflect.DeepEqual(sink.out, want) {
		t.Errorf("sent %v, want %v", sink.out, want)
	}
	if v := sink.raw[3]; v == nil {
		t.Error("an empty value reached the sink as null")
	}
	if &sink.raw[1][0] != &sink.raw[5][0] { // "x" fits where the long value was
		t.Error("the sink node did not reuse its value buffer for a CopyingRecordSink")
	}
}

// Through a CopyingRecordSink, passing a record of fixed-size types from
// a source to a sink allocates nothing per record.
func TestSinkToCopyingSinkDoesNotAllocate(t *testing.T) {
	topo, err := topology.NewBuilder().
		AddSource("src", topology.Source[int64, int64]{Topics: []string{"in"}, KeySerde: serde.Int64(), ValueSerde: serde.Int64()}).
		AddSink("out", topology.Sink[int64, int64]{Topic: "out", KeySerde: serde.Int64(), ValueSerde: serde.Int64()}, "src").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	sink := &countingSink{}
	task, err := topology.NewTask(topo, topology.TaskID{}, topology.TaskEnv{ApplicationID: "app", Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw := topology.RawRecord{Topic: "in", Key: make([]byte, 8), Value: make([]byte, 8), TimestampMs: 1}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		raw.Offset++
		if err := task.Process(ctx, raw); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per record, want 0", allocs)
	}
	if sink.n != 101 {
		t.Errorf("sent %d records, want 101", sink.n)
	}
}

type countingSink struct{ n int }

func (c *countingSink) SendCopies() {}
func (c *countingSink) Send(string, int32, []byte, []byte, int64, topology.Headers) error {
	c.n++
	return nil
}
func (c *countingSink) Partitions(string) (int32, error) { return 1, nil }
