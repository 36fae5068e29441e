package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// The demo end to end: bundled broker, producing, the DSL app, and the
// printed updates ending with every word's final count.
func TestDemoMode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	dir := t.TempDir()
	text := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(text, []byte("all streams lead to kafka\nhello kafka streams\njoin kafka summit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := runDemo(ctx, demoConfig{file: text, dataDir: filepath.Join(dir, "demo"), out: &out, logger: quiet}); err != nil {
		t.Fatalf("runDemo: %v\n%s", err, out.String())
	}
	last := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] != "==" {
			last[f[0]] = f[1]
		}
	}
	want := map[string]string{"all": "1", "streams": "2", "lead": "1", "to": "1", "kafka": "3", "hello": "1", "join": "1", "summit": "1"}
	for w, c := range want {
		if last[w] != c {
			t.Errorf("%s: last printed count %q, want %s\n%s", w, last[w], c, out.String())
		}
	}
	if !strings.Contains(out.String(), "== done: 8 distinct words") {
		t.Errorf("no completion line:\n%s", out.String())
	}
}

// The harness's app against the bundled broker: four input partitions,
// counts per word as decimal text, a clean stop on cancellation (SIGTERM),
// and a restart that restores the counts from the changelog.
func TestBenchModeAgainstBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	ctx := context.Background()
	b, err := broker.Start(ctx, broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.DefaultProduceTopic("input"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if resp, err := kadm.NewClient(cl).CreateTopics(ctx, 4, 1, nil, "input", "output"); err != nil || resp.Error() != nil {
		t.Fatalf("create topics: %v %v", err, resp.Error())
	}
	want := map[string]int64{}
	produce := func(from, to int) {
		t.Helper()
		var recs []*kgo.Record
		for i := from; i < to; i++ {
			words := make([]string, 0, 4)
			for j := 0; j < 1+i%4; j++ {
				w := fmt.Sprintf("w%d", (i*7+j*13)%50)
				words = append(words, w)
				want[w]++
			}
			recs = append(recs, &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: []byte(strings.Join(words, " ")), Partition: int32(i % 4)})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	state := t.TempDir()
	start := func() (stop func()) {
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- runBench(runCtx, benchConfig{brokers: b.Addr(), stateDir: state, group: "wc-bench", input: "input", output: "output", threads: 1, commit: 200 * time.Millisecond})
		}()
		return func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("runBench: %v", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("the app did not stop")
			}
		}
	}
	out, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ConsumeTopics("output"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	latest := map[string]int64{}
	waitFinal := func() {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for !countsEqual(latest, want) {
			fs := out.PollFetches(wctx)
			if wctx.Err() != nil {
				t.Fatalf("timed out; latest %v, want %v", latest, want)
			}
			fs.EachRecord(func(r *kgo.Record) {
				n, err := strconv.ParseInt(string(r.Value), 10, 64)
				if err != nil {
					t.Errorf("value %q is not a decimal count", r.Value)
				}
				latest[string(r.Key)] = n
			})
		}
	}

	produce(0, 400)
	stop := start()
	waitFinal()
	stop()

	produce(400, 500) // counted on top of the restored store
	stop = start()
	waitFinal()
	stop()
}

func countsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}
