package topology_test

import (
	"context"
	"testing"

	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// A repartition record of groupBy((k, v) -> v) carries the same bytes as
// key and value: the source deserializes them once and hands the same
// string on, and still reads values that differ, or are null, on their own.
func TestSourceReadsAValueEqualToItsKeyOnce(t *testing.T) {
	var got []topology.Record[string, string]
	collect := topology.ProcessFunc(func(_ topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
		got = append(got, rec)
		return nil
	})
	topo, err := topology.NewBuilder().
		AddSource("s", topology.Source[string, string]{Topics: []string{"in"}, KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddProcessor("p", collect, "s").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	task, err := topology.NewTask(topo, topology.TaskID{}, topology.TaskEnv{ApplicationID: "t", Sink: &discardSink{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := task.Init(ctx); err != nil {
		t.Fatal(err)
	}
	process := func(offset int64, key, value []byte) {
		t.Helper()
		if err := task.Process(ctx, topology.RawRecord{Topic: "in", Offset: offset, Key: key, Value: value, TimestampMs: 1}); err != nil {
			t.Fatal(err)
		}
	}
	process(0, []byte("word"), []byte("word"))
	process(1, []byte("word"), []byte("other"))
	process(2, []byte{}, nil)
	want := [][2]string{{"word", "word"}, {"word", "other"}, {"", ""}}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Key != w[0] || got[i].Value != w[1] {
			t.Errorf("record %d = %q/%q, want %q/%q", i, got[i].Key, got[i].Value, w[0], w[1])
		}
	}

	// One string per record, not two.
	got = got[:0]
	rec := topology.RawRecord{Topic: "in", Key: []byte("word"), Value: []byte("word"), TimestampMs: 1}
	offset := int64(3)
	allocs := testing.AllocsPerRun(200, func() {
		rec.Offset = offset
		offset++
		if err := task.Process(ctx, rec); err != nil {
			t.Fatal(err)
		}
		got = got[:0]
	})
	if allocs > 1 {
		t.Errorf("%v allocations per record whose value equals its key, want 1 (the key's string)", allocs)
	}
}
