package streamstest_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/streams/streamstest"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

func strSource(topics ...string) topology.Source[string, string] {
	return topology.Source[string, string]{Topics: topics, KeySerde: serde.String(), ValueSerde: serde.String()}
}

func strSink(topic string) topology.Sink[string, string] {
	return topology.Sink[string, string]{Topic: topic, KeySerde: serde.String(), ValueSerde: serde.String()}
}

func fn(f func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error) topology.ProcessorSupplier {
	return topology.ProcessFunc(f)
}

func start(t *testing.T, b *topology.Builder, opts ...streamstest.Option) *streamstest.Driver {
	t.Helper()
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := streamstest.New(topo, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// Records written to a repartition topic are processed before the next
// input record, in the order they were written.
func TestRepartitionRecordsFedBackBeforeNextInput(t *testing.T) {
	var log []string
	b := topology.NewBuilder().
		AddInternalTopic("rep", topology.InternalTopicConfig{}).
		AddSource("in", strSource("input")).
		AddProcessor("split", fn(func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
			log = append(log, "input:"+rec.Value)
			for _, w := range strings.Fields(rec.Value) {
				if err := ctx.Forward(topology.Record[string, string]{Key: w, Value: w, Timestamp: rec.Timestamp}); err != nil {
					return err
				}
			}
			return nil
		}), "in").
		AddSink("to-rep", strSink("rep"), "split").
		AddSource("from-rep", strSource("rep")).
		AddProcessor("seen", fn(func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
			m, _ := ctx.RecordMetadata()
			log = append(log, m.Topic+":"+rec.Key)
			return ctx.Forward(rec)
		}), "from-rep").
		AddSink("out", strSink("output"), "seen")
	d := start(t, b)
	in := streamstest.CreateInputTopic(d, "input", serde.String(), serde.String())
	if err := in.PipeValueList([]string{"a b", "c"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"input:a b", "test-driver-app-rep:a", "test-driver-app-rep:b", "input:c", "test-driver-app-rep:c"}
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("processing order %v\nwant %v", log, want)
	}
	out := streamstest.CreateOutputTopic(d, "output", serde.String(), serde.String())
	if got := must[[]string](t)(out.ReadValuesToList()); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("output %v", got)
	}
	if got := d.ProducedTopicNames(); !reflect.DeepEqual(got, []string{"test-driver-app-rep", "output"}) {
		t.Errorf("produced topics %v", got)
	}
	// The repartition topic can be read too, under its full name.
	rep := streamstest.CreateOutputTopic(d, "test-driver-app-rep", serde.String(), serde.String())
	if rep.QueueSize() != 3 {
		t.Errorf("repartition topic holds %d records", rep.QueueSize())
	}
}

// countingStore counts flushes: the driver commits after every record.
type countingStore struct {
	state.KeyValueStore[string, string]
	flushes *int
}

func (c countingStore) Flush() error { *c.flushes++; return c.KeyValueStore.Flush() }

type countingBuilder struct {
	*state.KeyValueBuilder[string, string]
	flushes *int
}

func (b countingBuilder) Build() (state.StateStore, error) {
	s, err := b.KeyValueBuilder.Build()
	if err != nil {
		return nil, err
	}
	return countingStore{s.(state.KeyValueStore[string, string]), b.flushes}, nil
}

func TestCommitsAfterEveryRecord(t *testing.T) {
	flushes := 0
	sb := countingBuilder{state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("s"), serde.String(), serde.String()), &flushes}
	b := topology.NewBuilder().
		AddSource("in", strSource("input")).
		AddProcessor("p", fn(func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
			return nil
		}), "in").
		AddStateStore(sb, "p")
	d := start(t, b)
	in := streamstest.CreateInputTopic(d, "input", serde.String(), serde.String())
	for i := 0; i < 3; i++ {
		if err := in.PipeInput("k", "v"); err != nil {
			t.Fatal(err)
		}
		if flushes != i+1 {
			t.Fatalf("after %d records the store was flushed %d times", i+1, flushes)
		}
	}
}

type ticker struct {
	ctx topology.ProcessorContext[string, string]
}

func (p *ticker) Init(ctx topology.ProcessorContext[string, string]) error {
	p.ctx = ctx
	_, err := ctx.Schedule(10*time.Second, topology.WallClockTime, func(ts int64) error {
		return ctx.Forward(topology.Record[string, string]{Key: "tick", Value: "wall", Timestamp: ts})
	})
	return err
}
func (p *ticker) Process(rec topology.Record[string, string]) error { return p.ctx.Forward(rec) }
func (p *ticker) Close() error                                      { return nil }

func TestWallClockPunctuationOnlyWhenAdvanced(t *testing.T) {
	b := topology.NewBuilder().
		AddSource("in", strSource("input")).
		AddProcessor("p", topology.Supply(func() topology.Processor[string, string, string, string] { return &ticker{} }), "in").
		AddSink("out", strSink("output"), "p")
	t0 := time.UnixMilli(1_000_000)
	d := start(t, b, streamstest.WithInitialWallClock(t0))
	in := streamstest.CreateInputTopic(d, "input", serde.String(), serde.String())
	out := streamstest.CreateOutputTopic(d, "output", serde.String(), serde.String())
	if err := in.PipeInputAt("k", "v", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := must[[]string](t)(out.ReadValuesToList()); !reflect.DeepEqual(got, []string{"v"}) {
		t.Fatalf("records must not trigger wall-clock punctuation: %v", got)
	}
	if err := d.AdvanceWallClockTime(9 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !out.IsEmpty() {
		t.Fatal("punctuated before the interval")
	}
	if err := d.AdvanceWallClockTime(time.Second); err != nil {
		t.Fatal(err)
	}
	rec := must[streamstest.TestRecord[string, string]](t)(out.ReadRecord())
	if rec.Key != "tick" || rec.TimestampMs() != t0.Add(10*time.Second).UnixMilli() {
		t.Errorf("tick %+v", rec)
	}
	if d.WallClock() != t0.Add(10*time.Second) {
		t.Errorf("wall clock %v", d.WallClock())
	}
}

// bytesPipe copies input to output unchanged, null keys and values included.
func bytesPipe(t *testing.T) *streamstest.Driver {
	return start(t, topology.NewBuilder().
		AddSource("in", topology.Source[[]byte, []byte]{Topics: []string{"input"}, KeySerde: serde.Bytes(), ValueSerde: serde.Bytes()}).
		AddSink("out", topology.Sink[[]byte, []byte]{Topic: "output", KeySerde: serde.Bytes(), ValueSerde: serde.Bytes()}, "in"))
}

func TestInputTopicTimesAndHeaders(t *testing.T) {
	d := bytesPipe(t)
	t0 := time.UnixMilli(50_000)
	in := streamstest.CreateInputTopic(d, "input", serde.String(), serde.Bytes(), streamstest.StartAt(t0), streamstest.AutoAdvance(5*time.Millisecond))
	out := streamstest.CreateOutputTopic(d, "output", serde.String(), serde.Bytes())
	hdrs := topology.Headers{{Key: "trace", Value: []byte("x1")}}
	steps := []error{
		in.PipeInput("a", []byte("1")),
		in.PipeInput("b", []byte("2")),
		in.PipeRecord(streamstest.TestRecord[string, []byte]{Key: "c", Value: []byte("3"), Headers: hdrs, Timestamp: t0.Add(time.Hour)}),
		in.PipeInput("a", nil),
		in.AdvanceTime(time.Minute),
		in.PipeInput("d", []byte("4")),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	if out.QueueSize() != 5 {
		t.Fatalf("queue size %d", out.QueueSize())
	}
	first := must[[]streamstest.TestRecord[string, []byte]](t)(func() ([]streamstest.TestRecord[string, []byte], error) {
		var rs []streamstest.TestRecord[string, []byte]
		for i := 0; i < 3; i++ {
			r, err := out.ReadRecord()
			if err != nil {
				return nil, err
			}
			rs = append(rs, r)
		}
		return rs, nil
	}())
	times := []int64{first[0].TimestampMs(), first[1].TimestampMs(), first[2].TimestampMs()}
	if want := []int64{50_000, 50_005, 50_000 + 3_600_000}; !reflect.DeepEqual(times, want) {
		t.Errorf("timestamps %v, want %v", times, want)
	}
	if !reflect.DeepEqual(first[2].Headers, hdrs) {
		t.Errorf("headers %v", first[2].Headers)
	}
	if d.StreamTime() != 50_000+3_600_000 {
		t.Errorf("stream time %d", d.StreamTime())
	}
	// the tombstone removes "a"; "d" came a minute and two steps later
	rest := must[[]streamstest.TestRecord[string, []byte]](t)(out.ReadRecordsToList())
	if len(rest) != 2 || rest[0].Value != nil || rest[1].TimestampMs() != 50_000+15+60_000 {
		t.Errorf("rest %+v", rest)
	}
	if !out.IsEmpty() {
		t.Error("not empty after reading everything")
	}
	if _, err := out.ReadValue(); !errors.Is(err, streamstest.ErrEmptyTopic) {
		t.Errorf("reading an empty topic: %v", err)
	}
}

func TestReadKeyValuesToMap(t *testing.T) {
	d := bytesPipe(t)
	in := streamstest.CreateInputTopic(d, "input", serde.String(), serde.Bytes())
	out := streamstest.CreateOutputTopic(d, "output", serde.String(), serde.Bytes())
	kvs := []streamstest.KeyValue[string, []byte]{{Key: "a", Value: []byte("1")}, {Key: "b", Value: []byte("2")}, {Key: "a", Value: nil}, {Key: "b", Value: []byte("3")}}
	if err := in.PipeKeyValueList(kvs); err != nil {
		t.Fatal(err)
	}
	m := must[map[string][]byte](t)(streamstest.ReadKeyValuesToMap(out))
	if len(m) != 1 || string(m["b"]) != "3" {
		t.Errorf("map %q", m)
	}
	if err := in.PipeValue([]byte("no key")); err != nil {
		t.Fatal(err)
	}
	if _, err := streamstest.ReadKeyValuesToMap(out); err == nil || !strings.Contains(err.Error(), "null key") {
		t.Errorf("a null key must be refused: %v", err)
	}
}

func TestDriverErrors(t *testing.T) {
	d := start(t, topology.NewBuilder().
		AddSource("in", topology.Source[string, int64]{Topics: []string{"numbers"}, KeySerde: serde.String(), ValueSerde: serde.Int64()}))
	raw := streamstest.CreateInputTopic(d, "numbers", serde.String(), serde.String())
	err := raw.PipeInput("k", "not eight bytes")
	var de *topology.DeserializationError
	if !errors.As(err, &de) || de.Topic != "numbers" || de.Offset != 0 {
		t.Errorf("deserialization failure: %v", err)
	}
	other := streamstest.CreateInputTopic(d, "nope", serde.String(), serde.String())
	if err := other.PipeInput("k", "v"); err == nil || !strings.Contains(err.Error(), `unknown topic "nope"`) {
		t.Errorf("unknown topic: %v", err)
	}
	if _, err := streamstest.GetKeyValueStore[string, string](d, "missing"); err == nil {
		t.Error("a missing store must be an error")
	}
}

// A global store is fed from its topic; every processor can read it.
func TestGlobalStore(t *testing.T) {
	global := state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("users"), serde.String(), serde.String()).WithLoggingDisabled()
	loader := topology.Supply(func() topology.Processor[string, string, string, string] { return &storeLoader{} })
	b := topology.NewBuilder().
		AddGlobalStore(global, "users-source", strSource("users"), "users-loader", loader).
		AddSource("in", strSource("clicks")).
		AddProcessor("enrich", topology.Supply(func() topology.Processor[string, string, string, string] { return &enricher{} }), "in").
		AddSink("out", strSink("enriched"), "enrich")
	d := start(t, b)
	users := streamstest.CreateInputTopic(d, "users", serde.String(), serde.String())
	clicks := streamstest.CreateInputTopic(d, "clicks", serde.String(), serde.String())
	out := streamstest.CreateOutputTopic(d, "enriched", serde.String(), serde.String())
	if err := errors.Join(users.PipeInput("u1", "Ada"), clicks.PipeInput("u1", "/home"), clicks.PipeInput("u2", "/faq")); err != nil {
		t.Fatal(err)
	}
	got := must[[]string](t)(out.ReadValuesToList())
	if want := []string{"Ada:/home", "?:/faq"}; !reflect.DeepEqual(got, want) {
		t.Errorf("enriched %v, want %v", got, want)
	}
	st := must[state.KeyValueStore[string, string]](t)(streamstest.GetKeyValueStore[string, string](d, "users"))
	if v, ok, _ := st.Get("u1"); !ok || v != "Ada" {
		t.Errorf("global store u1 = %q", v)
	}
}

type storeLoader struct {
	store state.KeyValueStore[string, string]
}

func (p *storeLoader) Init(ctx topology.ProcessorContext[string, string]) (err error) {
	p.store, err = state.GetKeyValueStore[string, string](ctx, "users")
	return err
}
func (p *storeLoader) Process(rec topology.Record[string, string]) error {
	return p.store.Put(rec.Key, rec.Value)
}
func (p *storeLoader) Close() error { return nil }

type enricher struct {
	ctx   topology.ProcessorContext[string, string]
	users state.KeyValueStore[string, string]
}

func (p *enricher) Init(ctx topology.ProcessorContext[string, string]) (err error) {
	p.ctx = ctx
	p.users, err = state.GetKeyValueStore[string, string](ctx, "users")
	return err
}
func (p *enricher) Process(rec topology.Record[string, string]) error {
	name, ok, err := p.users.Get(rec.Key)
	if err != nil {
		return err
	}
	if !ok {
		name = "?"
	}
	rec.Value = name + ":" + rec.Value
	return p.ctx.Forward(rec)
}
func (p *enricher) Close() error { return nil }
