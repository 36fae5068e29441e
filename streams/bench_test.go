package streams

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type nopEngine struct{ n int }

func (e *nopEngine) Init(context.Context) error                          { return nil }
func (e *nopEngine) Process(context.Context, *kgo.Record) error          { e.n++; return nil }
func (e *nopEngine) PunctuateWallClock(context.Context, time.Time) error { return nil }
func (e *nopEngine) Flush(context.Context) error                         { return nil }
func (e *nopEngine) Close(context.Context, bool) error                   { return nil }
func (e *nopEngine) CommitRequested() bool                               { return false }

// BenchmarkThreadProcessPerRecord measures the runtime's own per-record
// work (batch hand-over, offset tracking, handler checks) around an engine
// that does nothing. Run: go test -run XXX -bench ThreadProcess -benchmem ./streams/
func BenchmarkThreadProcessPerRecord(b *testing.B) {
	cfg, _ := Config{ApplicationID: "bench", BootstrapServers: []string{"x:1"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}.withDefaults()
	rt := &runtime{cfg: &cfg, log: cfg.Logger, room: make(chan struct{}, 1), maxBacklog: 1 << 40}
	th := newStreamThread(rt, 1)
	eng := &nopEngine{}
	task := newStreamTask(taskKey{}, eng)
	task.thread = th
	task.initialized = true
	th.tasks[task] = struct{}{}

	const batch = 1000
	recs := make([]*kgo.Record, batch)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "in", Partition: 0, Key: []byte("k"), Value: []byte("v")}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	offset := int64(0)
	for i := 0; i < b.N; i += batch {
		for _, r := range recs {
			r.Offset = offset
			offset++
		}
		rt.backlog.Add(batch)
		if !th.enqueue(work{kind: workRecords, task: task, recs: recs}) {
			b.Fatal("enqueue failed")
		}
		items := th.take()
		for j := range items {
			if err := th.handle(ctx, &items[j]); err != nil {
				b.Fatal(err)
			}
		}
		th.recycle(items)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(max(eng.n, 1)), "ns/record")
}

// BenchmarkPassThroughEndToEnd runs a source->sink topology over the
// bundled broker: b.N records are produced first, then the time from Run
// to the last committed offset is measured.
// Run: go test -run XXX -bench PassThrough -benchtime 200000x ./streams/
func BenchmarkPassThroughEndToEnd(b *testing.B) {
	addr := startBrokerB(b)
	createTopicsB(b, addr, 4, "bin", "bout")
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 100)
	for i := 0; i < b.N; i++ {
		cl.Produce(context.Background(), &kgo.Record{Topic: "bin", Key: []byte(fmt.Sprint(i)), Value: val}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	cl.Close()

	top := passThroughB(b, "bin", "bout")
	cfg := Config{
		ApplicationID:    "bench",
		BootstrapServers: []string{addr},
		StateDir:         b.TempDir(),
		NumStreamThreads: 2,
		CommitInterval:   100 * time.Millisecond,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	app, err := New(top, cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.ResetTimer()
	go func() { done <- app.Run(ctx) }()
	for {
		if committedTotal(b, addr, "bench", "bin") >= int64(b.N) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
