package topology_test

import (
	"context"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

type discardSink struct{ n int }

func (d *discardSink) Send(string, int32, []byte, []byte, int64, topology.Headers) error {
	d.n++
	return nil
}
func (d *discardSink) Partitions(string) (int32, error) { return 1, nil }

func benchTask(b *testing.B, bld *topology.Builder) *topology.Task {
	topo, err := bld.Build()
	if err != nil {
		b.Fatal(err)
	}
	task, err := topology.NewTask(topo, topology.TaskID{}, topology.TaskEnv{ApplicationID: "bench", Sink: &discardSink{}})
	if err != nil {
		b.Fatal(err)
	}
	if err := task.Init(context.Background()); err != nil {
		b.Fatal(err)
	}
	return task
}

// Source -> 3 pass-through processors -> sink, []byte keys and values: the
// engine's own per-record cost (no serde allocations).
func BenchmarkTaskProcessPassThrough(b *testing.B) {
	bytesFwd := topology.ProcessFunc(func(ctx topology.ProcessorContext[[]byte, []byte], rec topology.Record[[]byte, []byte]) error {
		return ctx.Forward(rec)
	})
	task := benchTask(b, topology.NewBuilder().
		AddSource("s", topology.Source[[]byte, []byte]{Topics: []string{"in"}, KeySerde: serde.Bytes(), ValueSerde: serde.Bytes()}).
		AddProcessor("p1", bytesFwd, "s").
		AddProcessor("p2", bytesFwd, "p1").
		AddProcessor("p3", bytesFwd, "p2").
		AddSink("k", topology.Sink[[]byte, []byte]{Topic: "out", KeySerde: serde.Bytes(), ValueSerde: serde.Bytes()}, "p3"))
	ctx := context.Background()
	rec := topology.RawRecord{Topic: "in", Key: []byte("key"), Value: []byte("value"), TimestampMs: 1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rec.Offset, rec.TimestampMs = int64(i), int64(i)
		if err := task.Process(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// The same with String serdes, as most applications use.
func BenchmarkTaskProcessStrings(b *testing.B) {
	task := benchTask(b, topology.NewBuilder().
		AddSource("s", str("in")).
		AddProcessor("p", passThrough(), "s").
		AddSink("k", strSink("out"), "p"))
	ctx := context.Background()
	rec := topology.RawRecord{Topic: "in", Key: []byte("key"), Value: []byte("value"), TimestampMs: 1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rec.Offset = int64(i)
		if err := task.Process(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// copyingDiscardSink is a discardSink that declares it copies what Send
// gets (topology.CopyingRecordSink), as the runtime's record collector does.
type copyingDiscardSink struct{ discardSink }

func (*copyingDiscardSink) SendCopies() {}

// The word count's first sub-topology: a line of ten words is split, each
// word becomes the key (groupBy's selectKey, then the repartition filter)
// and goes to the repartition sink, with String serdes. Per word, the
// sink's serialization is all that allocates when the sink copies.
func BenchmarkTaskProcessWordSplit(b *testing.B) {
	for _, sink := range []struct {
		name string
		sink topology.RecordSink
	}{{"owning", &discardSink{}}, {"copying", &copyingDiscardSink{}}} {
		b.Run("sink="+sink.name, func(b *testing.B) {
			words := make([]string, 0, 16)
			split := topology.ProcessFunc(func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
				words = words[:0]
				for w := range strings.SplitSeq(rec.Value, " ") {
					words = append(words, w)
				}
				for _, w := range words {
					if err := ctx.Forward(topology.Record[string, string]{Key: rec.Key, Value: w, Timestamp: rec.Timestamp, Headers: rec.Headers}); err != nil {
						return err
					}
				}
				return nil
			})
			selectKey := topology.ProcessFunc(func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
				return ctx.Forward(topology.Record[string, string]{Key: rec.Value, Value: rec.Value, Timestamp: rec.Timestamp, Headers: rec.Headers})
			})
			topo, err := topology.NewBuilder().
				AddSource("s", str("in")).
				AddProcessor("split", split, "s").
				AddProcessor("key", selectKey, "split").
				AddProcessor("filter", passThrough(), "key").
				AddSink("k", strSink("repartition"), "filter").
				Build()
			if err != nil {
				b.Fatal(err)
			}
			task, err := topology.NewTask(topo, topology.TaskID{}, topology.TaskEnv{ApplicationID: "bench", Sink: sink.sink})
			if err != nil {
				b.Fatal(err)
			}
			if err := task.Init(context.Background()); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			rec := topology.RawRecord{Topic: "in", Value: []byte("the quick brown fox jumps over the lazy dog again"), TimestampMs: 1}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				rec.Offset = int64(i)
				if err := task.Process(ctx, rec); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10), "ns/word")
		})
	}
}
