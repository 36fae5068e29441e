package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
	"github.com/runnel-dev/runnel/streams"
)

// The demo against the bundled broker: counts come out on stream-time
// punctuation, and after a restart the in-memory Counts store is restored
// from its changelog, so counting continues where it stopped.
func TestWordCountAgainstBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	ctx := context.Background()
	b, err := broker.Start(ctx, broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if resp, err := kadm.NewClient(cl).CreateTopics(ctx, 1, 1, nil, InputTopic, OutputTopic); err != nil || resp.Error() != nil {
		t.Fatalf("create topics: %v %v", err, resp.Error())
	}
	t0 := time.UnixMilli(1_000_000)
	produce := func(lines ...string) {
		t.Helper()
		var recs []*kgo.Record
		for i := 0; i+1 < len(lines); i += 2 {
			ms, _ := strconv.Atoi(lines[i])
			recs = append(recs, &kgo.Record{Topic: InputTopic, Value: []byte(lines[i+1]), Timestamp: t0.Add(time.Duration(ms) * time.Millisecond)})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	stateDir := t.TempDir()
	runApp := func() (stop func()) {
		topo, err := NewTopology(InputTopic, OutputTopic)
		if err != nil {
			t.Fatal(err)
		}
		app, err := streams.New(topo, streams.Config{
			ApplicationID:    "wordcount-e2e",
			BootstrapServers: []string{b.Addr()},
			StateDir:         stateDir,
			CommitInterval:   100 * time.Millisecond,
			Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- app.Run(runCtx) }()
		return func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("Run did not stop")
			}
		}
	}

	out, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ConsumeTopics(OutputTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	latest := map[string]string{}
	waitCount := func(word, want string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		for latest[word] != want {
			fs := out.PollFetches(wctx)
			if wctx.Err() != nil {
				t.Fatalf("timed out waiting for %s=%s; latest counts %v", word, want, latest)
			}
			fs.EachRecord(func(r *kgo.Record) { latest[string(r.Key)] = string(r.Value) })
		}
	}

	stop := runApp()
	produce("0", "all streams lead to kafka", "100", "hello kafka streams", "200", "join kafka summit", "1000", "tick")
	waitCount("tick", "1")
	want := map[string]string{"all": "1", "streams": "2", "lead": "1", "to": "1", "kafka": "3", "hello": "1", "join": "1", "summit": "1", "tick": "1"}
	for w, c := range want {
		if latest[w] != c {
			t.Errorf("%s = %q, want %s (all: %v)", w, latest[w], c, latest)
		}
	}
	stop()

	stop = runApp()
	defer stop()
	produce("2000", "kafka again")
	waitCount("again", "1")
	if latest["kafka"] != "4" || latest["streams"] != "2" {
		t.Errorf("after restart kafka = %q, streams = %q; the store was not restored (%v)", latest["kafka"], latest["streams"], latest)
	}
}
