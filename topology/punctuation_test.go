package topology_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/topology"
)

// punctuating is a processor that records its punctuations.
type punctuating struct {
	ctx      topology.ProcessorContext[string, string]
	interval time.Duration
	typ      topology.PunctuationType
	fired    *[]int64
	meta     *[]bool
	cancel   topology.Cancellable
	cancelAt int64 // cancel from inside the punctuator at this time
	fail     error
}

func (p *punctuating) Init(ctx topology.ProcessorContext[string, string]) error {
	p.ctx = ctx
	c, err := ctx.Schedule(p.interval, p.typ, func(ts int64) error {
		*p.fired = append(*p.fired, ts)
		_, ok := ctx.RecordMetadata()
		*p.meta = append(*p.meta, ok)
		if p.cancelAt != 0 && ts >= p.cancelAt {
			p.cancel.Cancel()
		}
		return p.fail
	})
	p.cancel = c
	return err
}
func (p *punctuating) Process(topology.Record[string, string]) error { return nil }
func (p *punctuating) Close() error                                  { return nil }

type clock struct{ now int64 }

func (c *clock) ms() int64 { return c.now }

func punctTask(t *testing.T, p *punctuating, c *clock) *topology.Task {
	t.Helper()
	topo, err := topology.NewBuilder().
		AddSource("s", str("in")).
		AddProcessor("p", topology.Supply(func() topology.Processor[string, string, string, string] { return p }), "s").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	task, err := topology.NewTask(topo, topology.TaskID{}, topology.TaskEnv{ApplicationID: "app", Sink: &memSink{}, WallClock: c.ms})
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return task
}

func at(t *testing.T, task *topology.Task, ts int64) error {
	t.Helper()
	return task.Process(context.Background(), topology.RawRecord{Topic: "in", Value: []byte("v"), TimestampMs: ts})
}

// Kafka's PunctuationQueue: stream-time schedules start at 0, fire once when
// stream time reaches them (with the stream time), then move to the next
// multiple of the interval after it, skipping missed ones.
func TestStreamTimePunctuation(t *testing.T) {
	var fired []int64
	var meta []bool
	task := punctTask(t, &punctuating{interval: 10 * time.Millisecond, typ: topology.StreamTime, fired: &fired, meta: &meta}, &clock{})
	for _, ts := range []int64{3, 9, 10, 4, 15, 19, 20, 57, 59, 60, 61} {
		if err := at(t, task, ts); err != nil {
			t.Fatal(err)
		}
	}
	want := []int64{3, 10, 20, 57, 60}
	if !reflect.DeepEqual(fired, want) {
		t.Fatalf("fired at %v, want %v", fired, want)
	}
	for i, ok := range meta {
		if ok {
			t.Errorf("punctuation %d saw record metadata; it must be absent", i)
		}
	}
	if task.StreamTime() != 61 {
		t.Errorf("stream time %d", task.StreamTime())
	}
}

func TestStreamTimePunctuatorCancelsItself(t *testing.T) {
	var fired []int64
	var meta []bool
	task := punctTask(t, &punctuating{interval: 10 * time.Millisecond, typ: topology.StreamTime, fired: &fired, meta: &meta, cancelAt: 10}, &clock{})
	for _, ts := range []int64{0, 10, 20, 30} {
		if err := at(t, task, ts); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(fired, []int64{0, 10}) {
		t.Fatalf("fired at %v, want [0 10]", fired)
	}
}

func TestWallClockPunctuation(t *testing.T) {
	var fired []int64
	var meta []bool
	c := &clock{now: 1000}
	task := punctTask(t, &punctuating{interval: 100 * time.Millisecond, typ: topology.WallClockTime, fired: &fired, meta: &meta}, c)
	// Records do not drive wall-clock punctuation.
	if err := at(t, task, 5000); err != nil {
		t.Fatal(err)
	}
	for _, now := range []int64{1099, 1100, 1150, 1200, 1450, 1499, 1500} {
		if err := task.PunctuateWallClock(now); err != nil {
			t.Fatal(err)
		}
	}
	// first due at 1000+100; at 1450 it is overdue (1300 missed), fires
	// once and moves to 1500.
	want := []int64{1100, 1200, 1450, 1500}
	if !reflect.DeepEqual(fired, want) {
		t.Fatalf("fired at %v, want %v", fired, want)
	}
}

func TestPunctuatorErrorIsLocated(t *testing.T) {
	var fired []int64
	var meta []bool
	boom := errors.New("boom")
	task := punctTask(t, &punctuating{interval: time.Second, typ: topology.StreamTime, fired: &fired, meta: &meta, fail: boom}, &clock{})
	err := at(t, task, 0)
	var pe *topology.ProcessingError
	if !errors.As(err, &pe) || pe.Node != "p" || pe.Punctuation != topology.StreamTime || !errors.Is(err, boom) {
		t.Fatalf("got %v (%+v)", err, pe)
	}
	if !strings.Contains(err.Error(), `STREAM_TIME punctuator of "p": boom`) {
		t.Errorf("message %q", err)
	}
}

func TestScheduleRejectsTinyIntervals(t *testing.T) {
	p := &punctuating{interval: time.Microsecond, typ: topology.StreamTime, fired: new([]int64), meta: new([]bool)}
	topo, _ := topology.NewBuilder().AddSource("s", str("in")).
		AddProcessor("p", topology.Supply(func() topology.Processor[string, string, string, string] { return p }), "s").Build()
	task, err := topology.NewTask(topo, topology.TaskID{}, topology.TaskEnv{Sink: &memSink{}})
	if err != nil {
		t.Fatal(err)
	}
	err = task.Init(context.Background())
	if err == nil || !strings.Contains(err.Error(), "below the 1 ms minimum") {
		t.Fatalf("got %v", err)
	}
}
