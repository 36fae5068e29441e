package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
)

// copyEngine is a minimal task engine: it writes every input record to an
// output topic with the value prefixed, and treats the value "poison" as
// undeserializable.
type copyEngine struct {
	out     string
	th      *streamThread
	flushes *atomic.Int64
}

func (e *copyEngine) Init(context.Context) error { return nil }
func (e *copyEngine) Process(ctx context.Context, r *kgo.Record) error {
	if string(r.Value) == "poison" {
		return &deserializationError{err: errors.New("value is poison")}
	}
	e.th.collector.send(e.out, -1, r.Key, append([]byte("out:"), r.Value...), r.Timestamp.UnixMilli(), nil)
	return nil
}
func (e *copyEngine) PunctuateWallClock(context.Context, time.Time) error { return nil }
func (e *copyEngine) Flush(context.Context) error {
	if e.flushes != nil {
		e.flushes.Add(1)
	}
	return nil
}
func (e *copyEngine) Close(context.Context, bool) error { return nil }
func (e *copyEngine) CommitRequested() bool             { return false }

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("RUNNEL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func startBroker(t *testing.T) string {
	t.Helper()
	b, err := broker.Start(context.Background(), broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b.Addr()
}

func createTopics(t *testing.T, addr string, partitions int32, topics ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopics(context.Background(), partitions, 1, nil, topics...)
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Error(); err != nil {
		t.Fatal(err)
	}
}

func produce(t *testing.T, addr, topic string, values ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, len(values))
	for i, v := range values {
		recs[i] = &kgo.Record{Topic: topic, Key: []byte(v), Value: []byte(v)}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// consumeUntil reads topic from the start until want distinct values were
// seen (or the timeout passes) and returns every record read.
func consumeUntil(t *testing.T, addr, topic string, want int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []*kgo.Record
	distinct := map[string]bool{}
	for len(distinct) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		fs.EachRecord(func(r *kgo.Record) {
			out = append(out, r)
			distinct[string(r.Value)] = true
		})
	}
	return out
}

func copyLayout(in string) *topicLayout {
	return &topicLayout{subtopologies: []subtopologyTopics{{id: 0, sources: []string{in}}}}
}

func newCopyApp(t *testing.T, addr, appID, in, out string, mut func(*Config)) *App {
	t.Helper()
	cfg := Config{
		ApplicationID:    appID,
		BootstrapServers: []string{addr},
		StateDir:         t.TempDir(),
		CommitInterval:   200 * time.Millisecond,
		Logger:           testLogger(t),
	}
	if mut != nil {
		mut(&cfg)
	}
	a, err := newApp(cfg, copyLayout(in), func(rt *runtime, id taskKey, th *streamThread) (engine, error) {
		return &copyEngine{out: out, th: th}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type runningApp struct {
	app    *App
	cancel context.CancelFunc
	done   chan error
}

// run starts a.Run; the test's cleanup stops it if the test did not.
func run(t *testing.T, a *App) *runningApp {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningApp{app: a, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		a.Close()
	})
	return r
}

func (r *runningApp) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		return err
	case <-time.After(90 * time.Second):
		t.Fatal("Run did not return after cancel")
		return nil
	}
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func committed(t *testing.T, addr, group, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	offs, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[int32]int64{}
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic {
			out[o.Partition] = o.At
		}
	})
	return out
}

func values(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%05d", prefix, i)
	}
	return out
}

func TestRunProcessesAndShutdownCommits(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 4, "in", "out")
	in := values(400, "v")
	produce(t, addr, "in", in...)

	a := newCopyApp(t, addr, "copy", "in", "out", func(c *Config) {
		c.CommitInterval = time.Hour // only the shutdown commits
		c.NumStreamThreads = 2
	})
	var mu sync.Mutex
	var states []State
	a.SetStateListener(func(_, s State) {
		mu.Lock()
		states = append(states, s)
		mu.Unlock()
	})
	r := run(t, a)
	got := consumeUntil(t, addr, "out", len(in), 30*time.Second)
	seen := map[string]bool{}
	for _, rec := range got {
		seen[string(rec.Value)] = true
	}
	for _, v := range in {
		if !seen["out:"+v] {
			t.Fatalf("output lacks %q", v)
		}
	}
	if a.State() != Running {
		t.Errorf("state = %v while processing, want RUNNING", a.State())
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if a.State() != NotRunning {
		t.Errorf("state after stop = %v", a.State())
	}
	offs := committed(t, addr, "copy", "in")
	var total int64
	for _, o := range offs {
		total += o
	}
	if total != int64(len(in)) {
		t.Fatalf("committed offsets %v sum to %d, want %d (graceful shutdown must commit everything processed)", offs, total, len(in))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(states) < 4 || states[0] != Rebalancing || states[len(states)-2] != PendingShutdown || states[len(states)-1] != NotRunning {
		t.Errorf("state sequence %v", states)
	}
}

func TestScalingTwoInstancesShareAndTakeOver(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 4, "in", "out")
	first := values(200, "a")
	produce(t, addr, "in", first...)

	a1 := newCopyApp(t, addr, "scale", "in", "out", nil)
	a2 := newCopyApp(t, addr, "scale", "in", "out", nil)
	r1 := run(t, a1)
	r2 := run(t, a2)
	waitFor(t, "both instances to run 2 tasks each", 60*time.Second, func() bool {
		return len(a1.activeTasks()) == 2 && len(a2.activeTasks()) == 2
	})
	t1, t2 := a1.activeTasks(), a2.activeTasks()
	all := map[string]bool{}
	for _, id := range append(t1, t2...) {
		all[id] = true
	}
	if len(all) != 4 {
		t.Fatalf("tasks %v and %v overlap or miss some", t1, t2)
	}

	second := values(200, "b")
	produce(t, addr, "in", second...)
	consumeUntil(t, addr, "out", len(first)+len(second), 30*time.Second)

	if err := r1.stop(t); err != nil {
		t.Fatalf("instance 1: %v", err)
	}
	waitFor(t, "instance 2 to take over all tasks", 60*time.Second, func() bool {
		return len(a2.activeTasks()) == 4
	})
	third := values(200, "c")
	produce(t, addr, "in", third...)

	want := append(append(append([]string{}, first...), second...), third...)
	got := consumeUntil(t, addr, "out", len(want), 30*time.Second)
	seen := map[string]bool{}
	for _, rec := range got {
		seen[string(rec.Value)] = true
	}
	var missing []string
	for _, v := range want {
		if !seen["out:"+v] {
			missing = append(missing, v)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("%d inputs never reached the output, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	if err := r2.stop(t); err != nil {
		t.Fatalf("instance 2: %v", err)
	}
}
