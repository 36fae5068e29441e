package streams

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// wordCounter is the Processor API word count (Kafka's
// WordCountProcessorDemo): process only updates the "Counts" store; a
// wall-clock punctuator forwards every count.
type wordCounter struct {
	ctx    topology.ProcessorContext[string, string]
	counts state.KeyValueStore[string, int64]
}

func (p *wordCounter) Init(ctx topology.ProcessorContext[string, string]) error {
	p.ctx = ctx
	kv, err := state.GetKeyValueStore[string, int64](ctx, "Counts")
	if err != nil {
		return err
	}
	p.counts = kv
	_, err = ctx.Schedule(50*time.Millisecond, topology.WallClockTime, p.emit)
	return err
}

func (p *wordCounter) Process(rec topology.Record[string, string]) error {
	for _, w := range strings.Fields(strings.ToLower(rec.Value)) {
		n, _, err := p.counts.Get(w)
		if err != nil {
			return err
		}
		if err := p.counts.Put(w, n+1); err != nil {
			return err
		}
	}
	return nil
}

func (p *wordCounter) emit(ts int64) error {
	it, err := p.counts.All()
	if err != nil {
		return err
	}
	defer it.Close()
	for it.Next() {
		if err := p.ctx.Forward(topology.Record[string, string]{Key: it.Key(), Value: strconv.FormatInt(it.Value(), 10), Timestamp: ts}); err != nil {
			return err
		}
	}
	return it.Err()
}

func (p *wordCounter) Close() error { return nil }

func wordCountTopology(t *testing.T, in, out string) *topology.Topology {
	t.Helper()
	store := state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("Counts"), serde.String(), serde.Int64())
	top, err := topology.NewBuilder().
		AddSource("Source", topology.Source[string, string]{Topics: []string{in}, KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddProcessor("Process", topology.Supply(func() topology.Processor[string, string, string, string] { return &wordCounter{} }, store), "Source").
		AddSink("Sink", topology.Sink[string, string]{Topic: out, KeySerde: serde.String(), ValueSerde: serde.String()}, "Process").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func baseConfig(t *testing.T, addr, appID string) Config {
	return Config{
		ApplicationID:    appID,
		BootstrapServers: []string{addr},
		StateDir:         t.TempDir(),
		CommitInterval:   100 * time.Millisecond,
		Logger:           testLogger(t),
	}
}

// latestCounts reads the output until every expected word shows its
// expected count as the latest value (or the timeout passes).
func latestCounts(t *testing.T, addr, topic string, want map[string]int64, timeout time.Duration) map[string]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got := map[string]int64{}
	matches := func() bool {
		for w, n := range want {
			if got[w] != n {
				return false
			}
		}
		return true
	}
	for !matches() {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		fs.EachRecord(func(r *kgo.Record) {
			n, err := strconv.ParseInt(string(r.Value), 10, 64)
			if err != nil {
				t.Errorf("output %q=%q is not a count", r.Key, r.Value)
				return
			}
			got[string(r.Key)] = n
		})
	}
	return got
}

func TestWordCountProcessorAPIEndToEnd(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 2, "wc-in", "wc-out")
	lines := []string{"all streams lead to kafka", "hello kafka streams", "join kafka summit"}
	produce(t, addr, "wc-in", lines...)

	cfg := baseConfig(t, addr, "wordcount")
	cfg.NumStreamThreads = 2
	app, err := New(wordCountTopology(t, "wc-in", "wc-out"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, app)
	// Each line is one record (keyed by itself) so words of different
	// lines may be counted on different partitions: sum per partition
	// would be wrong, so every word here appears on one line or all
	// lines land on one partition. Count per line key instead.
	want := map[string]int64{}
	for _, l := range lines {
		for _, w := range strings.Fields(l) {
			want[w]++
		}
	}
	// Words shared by lines (kafka, streams) may be counted by two tasks;
	// only check those that occur on a single line.
	single := map[string]int64{}
	for w, n := range want {
		if n == 1 {
			single[w] = n
		}
	}
	got := latestCounts(t, addr, "wc-out", single, 30*time.Second)
	for w, n := range single {
		if got[w] != n {
			t.Errorf("count of %q = %d, want %d (all: %v)", w, got[w], n, got)
		}
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestWordCountScalingKeepsExactCountsAcrossHandOver(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 4, "words", "counts")
	words := []string{"apple", "banana", "cherry", "date", "elder", "fig", "grape", "hazel"}
	want := map[string]int64{}
	produceWords := func(rounds int) {
		var batch []string
		for i := 0; i < rounds; i++ {
			for _, w := range words {
				batch = append(batch, w)
				want[w]++
			}
		}
		produce(t, addr, "words", batch...) // key = value = the word: one partition per word
	}

	newApp := func() *App {
		app, err := New(wordCountTopology(t, "words", "counts"), baseConfig(t, addr, "wc-scale"))
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	a1, a2 := newApp(), newApp()
	r1, r2 := run(t, a1), run(t, a2)
	produceWords(50)
	waitFor(t, "two instances sharing 4 tasks", 60*time.Second, func() bool {
		return len(a1.activeTasks()) == 2 && len(a2.activeTasks()) == 2
	})
	got := latestCounts(t, addr, "counts", want, 30*time.Second)
	for w, n := range want {
		if got[w] != n {
			t.Fatalf("before hand-over: count of %q = %d, want %d", w, got[w], n)
		}
	}

	if len(consumeUntil(t, addr, "wc-scale-Counts-changelog", 1, 10*time.Second)) == 0 {
		t.Fatal("changelog topic wc-scale-Counts-changelog is empty")
	}
	if err := r1.stop(t); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "instance 2 to own all tasks", 60*time.Second, func() bool { return len(a2.activeTasks()) == 4 })
	produceWords(30)
	got = latestCounts(t, addr, "counts", want, 30*time.Second)
	for w, n := range want {
		if got[w] != n {
			t.Fatalf("after hand-over: count of %q = %d, want %d: the moved tasks must restore their store and resume at the commit", w, got[w], n)
		}
	}
	if err := r2.stop(t); err != nil {
		t.Fatal(err)
	}
}

// int64Topology reads int64 values and writes them doubled; any value that
// is not 8 bytes fails deserialization.
func int64Topology(t *testing.T, in, out string) *topology.Topology {
	t.Helper()
	top, err := topology.NewBuilder().
		AddSource("Source", topology.Source[string, int64]{Topics: []string{in}, KeySerde: serde.String(), ValueSerde: serde.Int64()}).
		AddProcessor("Double", topology.ProcessFunc(func(ctx topology.ProcessorContext[string, int64], rec topology.Record[string, int64]) error {
			rec.Value *= 2
			return ctx.Forward(rec)
		}), "Source").
		AddSink("Sink", topology.Sink[string, int64]{Topic: out, KeySerde: serde.String(), ValueSerde: serde.Int64()}, "Double").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func produceRaw(t *testing.T, addr string, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func int64Rec(topic, key string, v int64) *kgo.Record {
	b, _ := serde.Int64().Serialize(topic, v)
	return &kgo.Record{Topic: topic, Key: []byte(key), Value: b}
}

func TestPoisonRecordLogAndContinueGoesToDeadLetterQueue(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 1, "nums", "doubled", "nums-dlq")
	poison := &kgo.Record{Topic: "nums", Key: []byte("bad"), Value: []byte("poison"),
		Headers: []kgo.RecordHeader{{Key: "origin", Value: []byte("test")}}}
	produceRaw(t, addr, int64Rec("nums", "a", 1), poison, int64Rec("nums", "b", 2))

	cfg := baseConfig(t, addr, "poison")
	cfg.DeserializationExceptionHandler = LogAndContinue
	cfg.DeadLetterQueueTopic = "nums-dlq"
	app, err := New(int64Topology(t, "nums", "doubled"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, app)
	out := consumeUntil(t, addr, "doubled", 2, 30*time.Second)
	if len(out) != 2 || string(out[0].Key) != "a" || string(out[1].Key) != "b" {
		t.Fatalf("output = %v, want a and b processed around the poison record", keysOf(out))
	}
	dlq := consumeUntil(t, addr, "nums-dlq", 1, 30*time.Second)
	if len(dlq) != 1 {
		t.Fatalf("dead-letter topic has %d records, want 1", len(dlq))
	}
	d := dlq[0]
	if string(d.Key) != "bad" || string(d.Value) != "poison" {
		t.Errorf("dead letter = %q/%q, want the raw input record", d.Key, d.Value)
	}
	hs := map[string]string{}
	for _, h := range d.Headers {
		hs[h.Key] = string(h.Value)
	}
	for k, v := range map[string]string{"origin": "test", "__streams.errors.topic": "nums", "__streams.errors.partition": "0", "__streams.errors.offset": "1"} {
		if hs[k] != v {
			t.Errorf("dead letter header %s = %q, want %q", k, hs[k], v)
		}
	}
	for _, k := range []string{"__streams.errors.exception", "__streams.errors.message", "__streams.errors.stacktrace"} {
		if hs[k] == "" {
			t.Errorf("dead letter header %s missing", k)
		}
	}
	if app.State() != Running {
		t.Errorf("state = %v, want RUNNING after a skipped poison record", app.State())
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if got := committed(t, addr, "poison", "nums")[0]; got != 3 {
		t.Errorf("committed offset = %d, want 3 (the poison record counts as handled)", got)
	}
}

func TestPoisonRecordLogAndFailStopsTheApp(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 1, "nums", "doubled")
	produceRaw(t, addr, int64Rec("nums", "a", 1), &kgo.Record{Topic: "nums", Value: []byte("poison")}, int64Rec("nums", "b", 2))

	app, err := New(int64Topology(t, "nums", "doubled"), baseConfig(t, addr, "failing"))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, app)
	select {
	case err := <-r.done:
		var de *topology.DeserializationError
		if !errors.As(err, &de) {
			t.Fatalf("Run = %v, want a deserialization error", err)
		}
	case <-time.After(60 * time.Second):
		_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
		t.Fatal("Run did not fail on a poison record under LogAndFail")
	}
	if app.State() != Error {
		t.Errorf("state = %v, want ERROR", app.State())
	}
	// Nothing past the poison record was committed.
	if got, ok := committed(t, addr, "failing", "nums")[0]; ok && got > 1 {
		t.Errorf("committed offset %d, must not pass the failed record at 1", got)
	}
}

func TestReplaceThreadResumesFromLastCommit(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 2, "in", "out")
	var failures atomic.Int32
	top, err := topology.NewBuilder().
		AddSource("Source", topology.Source[string, string]{Topics: []string{"in"}, KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddProcessor("Flaky", topology.ProcessFunc(func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
			if rec.Value == "boom" && failures.Add(1) == 1 {
				return errors.New("transient failure")
			}
			return ctx.Forward(rec)
		}), "Source").
		AddSink("Sink", topology.Sink[string, string]{Topic: "out", KeySerde: serde.String(), ValueSerde: serde.String()}, "Flaky").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(t, addr, "replace")
	app, err := New(top, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var replaced atomic.Int32
	app.SetUncaughtExceptionHandler(func(error) ThreadExceptionResponse {
		replaced.Add(1)
		return ReplaceThread
	})
	r := run(t, app)
	in := append(values(100, "x"), "boom")
	in = append(in, values(100, "y")...)
	produce(t, addr, "in", in...)
	got := consumeUntil(t, addr, "out", len(in), 30*time.Second)
	seen := map[string]bool{}
	for _, rec := range got {
		seen[string(rec.Value)] = true
	}
	for _, v := range in {
		if !seen[v] {
			t.Fatalf("%q never reached the output after the thread was replaced", v)
		}
	}
	if replaced.Load() != 1 {
		t.Errorf("uncaught exception handler called %d times, want 1", replaced.Load())
	}
	if app.State() != Running {
		t.Errorf("state = %v, want RUNNING", app.State())
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestMissingSourceTopicFailsClearly(t *testing.T) {
	addr := startBroker(t)
	app, err := New(int64Topology(t, "nope", "out"), baseConfig(t, addr, "missing"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = app.Run(ctx)
	if !errors.Is(err, ErrMissingSourceTopic) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("Run = %v, want ErrMissingSourceTopic naming the topic", err)
	}
	if app.State() != Error {
		t.Errorf("state = %v, want ERROR", app.State())
	}
}

func TestRepartitionTopicIsCreatedWithKafkaConfigs(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 3, "src", "final")
	top, err := topology.NewBuilder().
		AddInternalTopic("by-value-repartition", topology.InternalTopicConfig{}).
		AddSource("Source", topology.Source[string, string]{Topics: []string{"src"}, KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddProcessor("Rekey", topology.ProcessFunc(func(ctx topology.ProcessorContext[string, string], rec topology.Record[string, string]) error {
			rec.Key = rec.Value
			return ctx.Forward(rec)
		}), "Source").
		AddSink("ToRepartition", topology.Sink[string, string]{Topic: "by-value-repartition", KeySerde: serde.String(), ValueSerde: serde.String()}, "Rekey").
		AddSource("FromRepartition", topology.Source[string, string]{Topics: []string{"by-value-repartition"}, KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddSink("Final", topology.Sink[string, string]{Topic: "final", KeySerde: serde.String(), ValueSerde: serde.String()}, "FromRepartition").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(top, baseConfig(t, addr, "rep"))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, app)
	produce(t, addr, "src", values(30, "k")...)
	out := consumeUntil(t, addr, "final", 30, 30*time.Second)
	if len(out) < 30 {
		t.Fatalf("only %d records went through the repartition topic", len(out))
	}
	for _, rec := range out {
		if string(rec.Key) != string(rec.Value) {
			t.Fatalf("record %q=%q was not re-keyed", rec.Key, rec.Value)
		}
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	name := "rep-by-value-repartition"
	details, err := adm.ListTopics(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(details[name].Partitions); n != 3 {
		t.Errorf("%s has %d partitions, want 3 (from its source topic)", name, n)
	}
	cfgs, err := adm.DescribeTopicConfigs(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cfgs.On(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range rc.Configs {
		got[c.Key] = c.MaybeValue()
	}
	for k, v := range map[string]string{"cleanup.policy": "delete", "retention.ms": "-1", "segment.bytes": "52428800", "message.timestamp.type": "CreateTime"} {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", name, k, got[k], v)
		}
	}
}

func keysOf(rs []*kgo.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmt.Sprintf("%s=%x", r.Key, r.Value)
	}
	return out
}

func passThrough(t *testing.T, in, out string) *topology.Topology {
	t.Helper()
	top, err := topology.NewBuilder().
		AddSource("Source", topology.Source[[]byte, []byte]{Topics: []string{in}, KeySerde: serde.Bytes(), ValueSerde: serde.Bytes()}).
		AddSink("Sink", topology.Sink[[]byte, []byte]{Topic: out, KeySerde: serde.Bytes(), ValueSerde: serde.Bytes()}, "Source").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func TestProductionErrorHandler(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler ProductionExceptionHandler
		fails   bool
	}{
		{"continue", ContinueOnProductionError, false},
		{"fail", FailOnProductionError, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := startBroker(t)
			createTopics(t, addr, 1, "src")
			// The output topic refuses records over 1 KiB.
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), 1, 1, map[string]*string{"max.message.bytes": kadm.StringPtr("1024")}, "small-out")
			cl.Close()
			if err == nil {
				err = resp.Err
			}
			if err != nil {
				t.Fatal(err)
			}
			big := make([]byte, 4096) // incompressible, so compression cannot shrink it under the limit
			rand.Read(big)
			produce(t, addr, "src", "a", string(big), "c")
			cfg := baseConfig(t, addr, "prod-"+tc.name)
			cfg.ProductionExceptionHandler = tc.handler
			app, err := New(passThrough(t, "src", "small-out"), cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := run(t, app)
			if tc.fails {
				select {
				case err := <-r.done:
					if !errors.Is(err, kerr.MessageTooLarge) {
						t.Fatalf("Run = %v, want the production error", err)
					}
				case <-time.After(60 * time.Second):
					t.Fatal("Run did not fail")
				}
				if got := committed(t, addr, "prod-fail", "src")[0]; got > 1 {
					t.Errorf("offset %d committed although the output of offset 1 was never written", got)
				}
				return
			}
			waitFor(t, "the input to be committed despite the failed send", 60*time.Second, func() bool {
				return committed(t, addr, "prod-continue", "src")[0] == 3
			})
			if app.State() != Running {
				t.Errorf("state = %v, want RUNNING", app.State())
			}
			if err := r.stop(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAutoOffsetResetLatestAndPerSourceOverride(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 1, "late", "early", "merged")
	produce(t, addr, "late", "old-late")
	produce(t, addr, "early", "old-early")
	top, err := topology.NewBuilder().
		AddSource("Late", topology.Source[string, string]{Topics: []string{"late"}, KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddSource("Early", topology.Source[string, string]{Topics: []string{"early"}, KeySerde: serde.String(), ValueSerde: serde.String(), OffsetReset: topology.ResetEarliest}).
		AddSink("Out", topology.Sink[string, string]{Topic: "merged", KeySerde: serde.String(), ValueSerde: serde.String()}, "Late", "Early").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(t, addr, "resets")
	cfg.AutoOffsetReset = "latest"
	app, err := New(top, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, app)
	// Keep producing until something new comes out: the app only starts
	// reading "late" once it has looked up the end offset.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("merged"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seen := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; !seen["new-late"] || !seen["old-early"]; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("output so far: %v", seen)
		}
		produce(t, addr, "late", "new-late")
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
		cancel()
	}
	if seen["old-late"] {
		t.Error("a record written before the first start was read from a topic resetting to latest")
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}

func TestMultiInputTaskProcessesInTimestampOrder(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 1, "left", "right", "merged")
	at := func(topic string, ms int64) *kgo.Record {
		return &kgo.Record{Topic: topic, Value: []byte(fmt.Sprint(ms)), Timestamp: time.UnixMilli(ms)}
	}
	produceRaw(t, addr, at("left", 1000), at("left", 3000), at("left", 5000), at("left", 7000))
	produceRaw(t, addr, at("right", 2000), at("right", 4000), at("right", 6000))
	top, err := topology.NewBuilder().
		AddSource("Left", topology.Source[string, string]{Topics: []string{"left"}, KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddSource("Right", topology.Source[string, string]{Topics: []string{"right"}, KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddSink("Out", topology.Sink[string, string]{Topic: "merged", KeySerde: serde.String(), ValueSerde: serde.String()}, "Left", "Right").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(top, baseConfig(t, addr, "merge"))
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, app)
	out := consumeUntil(t, addr, "merged", 7, 30*time.Second)
	var got []string
	for _, rec := range out {
		got = append(got, string(rec.Value))
	}
	want := []string{"1000", "2000", "3000", "4000", "5000", "6000", "7000"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("output order %v, want timestamp order %v", got, want)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}
