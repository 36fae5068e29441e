package topology_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

type sent struct {
	topic     string
	partition int32
	key, val  string
	ts        int64
}

type memSink struct {
	out        []sent
	partitions int32
}

func (m *memSink) Send(topic string, partition int32, key, value []byte, ts int64, _ topology.Headers) error {
	m.out = append(m.out, sent{topic, partition, string(key), string(value), ts})
	return nil
}

func (m *memSink) Partitions(string) (int32, error) { return m.partitions, nil }

func str(topics ...string) topology.Source[string, string] {
	return topology.Source[string, string]{Topics: topics, KeySerde: serde.String(), ValueSerde: serde.String()}
}

func strSink(topic string) topology.Sink[string, string] {
	return topology.Sink[string, string]{Topic: topic, KeySerde: serde.String(), ValueSerde: serde.String()}
}

func upper() topology.ProcessorSupplier {
	return topology.ProcessFunc(func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
		rec.Value = strings.ToUpper(rec.Value)
		return ctx.Forward(rec)
	})
}

func newTask(t *testing.T, topo *topology.Topology, sink *memSink) *topology.Task {
	t.Helper()
	task, err := topology.NewTask(topo, topology.TaskID{Subtopology: 0, Partition: 0}, topology.TaskEnv{ApplicationID: "app", Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Close(context.Background()) })
	return task
}

func TestTaskForwardsThroughGraph(t *testing.T) {
	topo, err := topology.NewBuilder().
		AddSource("src", str("in")).
		AddProcessor("up", upper(), "src").
		AddSink("out", strSink("out"), "up").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	task := newTask(t, topo, sink)
	if err := task.Process(context.Background(), topology.RawRecord{Topic: "in", Offset: 7, Key: []byte("k"), Value: []byte("hello"), TimestampMs: 42}); err != nil {
		t.Fatal(err)
	}
	want := []sent{{"out", -1, "k", "HELLO", 42}}
	if len(sink.out) != 1 || sink.out[0] != want[0] {
		t.Fatalf("sent %+v, want %+v", sink.out, want)
	}
	if task.StreamTime() != 42 {
		t.Fatalf("stream time %d", task.StreamTime())
	}
}

func TestTaskDeserializationErrorIsTyped(t *testing.T) {
	topo, err := topology.NewBuilder().
		AddSource("src", topology.Source[string, int64]{Topics: []string{"in"}, KeySerde: serde.String(), ValueSerde: serde.Int64()}).
		AddProcessor("p", topology.ProcessFunc(func(ctx topology.ProcessorContext[string, int64], rec topology.Record[string, int64]) error {
			return ctx.Forward(rec)
		}), "src").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	task := newTask(t, topo, &memSink{})
	err = task.Process(context.Background(), topology.RawRecord{Topic: "in", Partition: 0, Offset: 3, Value: []byte("abc"), TimestampMs: 1})
	var de *topology.DeserializationError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a DeserializationError", err)
	}
	if de.Topic != "in" || de.Offset != 3 || de.IsKey || de.Source != "src" {
		t.Fatalf("bad error fields: %+v", de)
	}
	for _, part := range []string{`in-0@3`, `Int64`, `expected 8 bytes, got 3`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %q", err, part)
		}
	}
	if task.StreamTime() != -1 {
		t.Fatalf("a failed record advanced stream time to %d", task.StreamTime())
	}
}

var _ = time.Second
var _ = state.ErrStoreClosed
