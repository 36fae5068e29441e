package topology_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

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
	v := string(value)
	if value == nil {
		v = "<null>"
	}
	m.out = append(m.out, sent{topic, partition, string(key), v, ts})
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

func TestTaskContextFeatures(t *testing.T) {
	var metas []topology.RecordMetadata
	var storeErr error
	router := topology.Supply(func() topology.Processor[string, string, string, string] {
		return &routerProc{metas: &metas, storeErr: &storeErr}
	})
	topo, err := topology.NewBuilder().
		AddSource("src", str("in")).
		AddProcessor("router", router, "src").
		AddSink("left", strSink("left-out"), "router").
		AddSink("right", strSink("right-out"), "router").
		AddProcessor("other", passThrough(), "src").
		AddStateStore(kvStore("others-store"), "other").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	task := newTask(t, topo, sink)
	hdrs := topology.Headers{{Key: "h", Value: []byte("1")}}
	if err := task.Process(context.Background(), topology.RawRecord{Topic: "in", Partition: 0, Offset: 11, Key: []byte("k"), Value: []byte("right"), TimestampMs: 5, Headers: hdrs}); err != nil {
		t.Fatal(err)
	}
	if len(sink.out) != 1 || sink.out[0].topic != "right-out" {
		t.Fatalf("ForwardTo must reach only the named child: %+v", sink.out)
	}
	if !reflect.DeepEqual(metas, []topology.RecordMetadata{{Topic: "in", Partition: 0, Offset: 11}}) {
		t.Errorf("metadata %+v", metas)
	}
	if !task.CommitRequested() {
		t.Error("Commit() was not recorded")
	}
	if err := task.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if task.CommitRequested() || task.CommitNeeded() {
		t.Error("Flush must clear the commit flags")
	}
	if storeErr == nil || !strings.Contains(storeErr.Error(), `processor "router" has no access to state store "others-store": it is not connected to it`) {
		t.Errorf("unconnected store lookup: %v", storeErr)
	}
	err = task.Process(context.Background(), topology.RawRecord{Topic: "in", Offset: 12, Value: []byte("nowhere"), TimestampMs: 6})
	var pe *topology.ProcessingError
	if !errors.As(err, &pe) || pe.Node != "router" || pe.Offset != 12 || !strings.Contains(err.Error(), `ForwardTo "nowhere": not a child`) {
		t.Errorf("bad ForwardTo error: %v", err)
	}
}

type routerProc struct {
	ctx      topology.ProcessorContext[string, string]
	metas    *[]topology.RecordMetadata
	storeErr *error
}

func (p *routerProc) Init(ctx topology.ProcessorContext[string, string]) error {
	p.ctx = ctx
	_, *p.storeErr = ctx.GetStateStore("others-store")
	return nil
}
func (p *routerProc) Process(rec topology.Record[string, string]) error {
	m, ok := p.ctx.RecordMetadata()
	if ok {
		*p.metas = append(*p.metas, m)
	}
	p.ctx.Commit()
	return p.ctx.ForwardTo(rec, rec.Value)
}
func (p *routerProc) Close() error { return nil }

func TestTaskTimestamps(t *testing.T) {
	build := func(ex topology.TimestampExtractor[string, string]) *topology.Task {
		s := str("in")
		s.TimestampExtractor = ex
		topo, err := topology.NewBuilder().AddSource("src", s).AddSink("out", strSink("out"), "src").Build()
		if err != nil {
			t.Fatal(err)
		}
		return newTask(t, topo, &memSink{})
	}
	// default: a negative timestamp fails the task
	err := build(nil).Process(context.Background(), topology.RawRecord{Topic: "in", TimestampMs: -1})
	if !errors.Is(err, topology.ErrInvalidTimestamp) {
		t.Errorf("negative timestamp with the default extractor: %v", err)
	}
	// log-and-skip drops it
	task := build(topology.LogAndSkipOnInvalidTimestamp[string, string]())
	if err := task.Process(context.Background(), topology.RawRecord{Topic: "in", TimestampMs: -1}); err != nil {
		t.Fatal(err)
	}
	if task.DroppedRecords() != 1 || task.StreamTime() != -1 {
		t.Errorf("dropped %d, stream time %d", task.DroppedRecords(), task.StreamTime())
	}
	// partition time replaces a negative timestamp
	task = build(topology.UsePartitionTimeOnInvalidTimestamp[string, string]())
	for _, ts := range []int64{7, -1} {
		if err := task.Process(context.Background(), topology.RawRecord{Topic: "in", TimestampMs: ts}); err != nil {
			t.Fatal(err)
		}
	}
	if task.StreamTime() != 7 {
		t.Errorf("stream time %d", task.StreamTime())
	}
}

func TestSinkPartitionerAndDynamicTopic(t *testing.T) {
	byLen := func(topic string, key, value string, n int32) []int32 {
		switch key {
		case "default":
			return nil
		case "drop":
			return []int32{}
		case "all":
			return []int32{0, 1, 2}
		}
		return []int32{int32(len(key)) % n}
	}
	extract := topology.TopicNameExtractorFunc[string, string](func(key, value string, rc topology.RecordContext) (string, error) {
		return rc.Topic + "-" + value, nil
	})
	topo, err := topology.NewBuilder().
		AddSource("src", str("in")).
		AddSink("k", topology.Sink[string, string]{TopicExtractor: extract, KeySerde: serde.String(), ValueSerde: serde.String(), Partitioner: byLen}, "src").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{partitions: 3}
	task := newTask(t, topo, sink)
	for _, k := range []string{"default", "drop", "all", "abcd"} {
		if err := task.Process(context.Background(), topology.RawRecord{Topic: "in", Key: []byte(k), Value: []byte("x"), TimestampMs: 1}); err != nil {
			t.Fatal(err)
		}
	}
	want := []sent{{"in-x", -1, "default", "x", 1}, {"in-x", 0, "all", "x", 1}, {"in-x", 1, "all", "x", 1}, {"in-x", 2, "all", "x", 1}, {"in-x", 1, "abcd", "x", 1}}
	if !reflect.DeepEqual(sink.out, want) {
		t.Errorf("sent %+v\nwant %+v", sink.out, want)
	}
}

// A processor typed on interfaces receives records through the boxing
// adapter; a wrong dynamic type is reported, not panicked on.
func TestInterfaceTypedProcessor(t *testing.T) {
	var got []any
	anyProc := topology.ProcessFunc(func(ctx topology.ProcessorContext[any, any], rec topology.Record[any, any]) error {
		got = append(got, rec.Value)
		return ctx.Forward(rec)
	})
	strProc := topology.ProcessFunc(func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
		return ctx.Forward(rec)
	})
	topo, err := topology.NewBuilder().
		AddSource("src", topology.Source[string, int64]{Topics: []string{"in"}, KeySerde: serde.String(), ValueSerde: serde.Int64()}).
		AddProcessor("any", anyProc, "src").
		AddProcessor("str", strProc, "any").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	task := newTask(t, topo, &memSink{})
	err = task.Process(context.Background(), topology.RawRecord{Topic: "in", Key: []byte("k"), Value: []byte{0, 0, 0, 0, 0, 0, 0, 9}, TimestampMs: 1})
	if !reflect.DeepEqual(got, []any{int64(9)}) {
		t.Errorf("any processor saw %v", got)
	}
	if err == nil || !strings.Contains(err.Error(), `node "str" expects a value of type string, got int64`) {
		t.Errorf("got %v", err)
	}
}

func TestStoresRegisterAndLogChanges(t *testing.T) {
	topo, err := topology.NewBuilder().
		AddSource("src", str("in")).
		AddProcessor("p", passThrough(), "src").
		AddStateStore(kvStore("logged"), "p").
		AddStateStore(state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("unlogged"), serde.String(), serde.String()).WithLoggingDisabled(), "p").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	task, err := topology.NewTask(topo, topology.TaskID{Subtopology: 0, Partition: 4}, topology.TaskEnv{ApplicationID: "app", Sink: &memSink{}, StateDir: "/tmp/x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := task.InitStores(context.Background()); err != nil {
		t.Fatal(err)
	}
	cls := task.Changelogs()
	if len(cls) != 1 || cls[0].Store != "logged" || cls[0].Topic != "app-logged-changelog" || cls[0].Partition != 4 || cls[0].Restore == nil {
		t.Fatalf("changelogs %+v", cls)
	}
	if err := cls[0].Restore([]state.ChangelogRecord{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte("2")}, {Key: []byte("a")}}); err != nil {
		t.Fatal(err)
	}
	kv := task.Store("logged").(state.KeyValueStore[string, string])
	if _, ok, _ := kv.Get("a"); ok {
		t.Error("a restored tombstone must delete")
	}
	if v, _, _ := kv.Get("b"); v != "2" {
		t.Errorf("restored b = %q", v)
	}
	if err := task.InitProcessors(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := task.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if kv.IsOpen() {
		t.Error("Close must close the stores")
	}
}

type logProc struct {
	ctx    topology.ProcessorContext[string, string]
	logged state.KeyValueStore[string, string]
	quiet  state.KeyValueStore[string, string]
}

func (p *logProc) Init(ctx topology.ProcessorContext[string, string]) (err error) {
	p.ctx = ctx
	if p.logged, err = state.GetKeyValueStore[string, string](ctx, "logged"); err != nil {
		return err
	}
	p.quiet, err = state.GetKeyValueStore[string, string](ctx, "unlogged")
	return err
}

func (p *logProc) Process(rec topology.Record[string, string]) error {
	if err := p.quiet.Put(rec.Key, rec.Value); err != nil {
		return err
	}
	if rec.Value == "" {
		_, _, err := p.logged.Delete(rec.Key)
		return err
	}
	return p.logged.Put(rec.Key, rec.Value)
}
func (p *logProc) Close() error { return nil }

func TestLoggedStoreWritesChangelog(t *testing.T) {
	topo, err := topology.NewBuilder().
		AddSource("src", str("in")).
		AddProcessor("p", topology.Supply(func() topology.Processor[string, string, string, string] { return &logProc{} }), "src").
		AddStateStore(kvStore("logged"), "p").
		AddStateStore(state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("unlogged"), serde.String(), serde.String()).WithLoggingDisabled(), "p").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	task, err := topology.NewTask(topo, topology.TaskID{Subtopology: 0, Partition: 3}, topology.TaskEnv{ApplicationID: "app", Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer task.Close(context.Background())
	for i, v := range []string{"1", "2", ""} {
		if err := task.Process(context.Background(), topology.RawRecord{Topic: "in", Partition: 3, Key: []byte("k"), Value: []byte(v), TimestampMs: int64(10 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	want := []sent{{"app-logged-changelog", 3, "k", "1", 10}, {"app-logged-changelog", 3, "k", "2", 11}, {"app-logged-changelog", 3, "k", "<null>", 12}}
	if !reflect.DeepEqual(sink.out, want) {
		t.Errorf("changelog writes %+v\nwant %+v", sink.out, want)
	}
}
