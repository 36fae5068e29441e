package streams_test

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
	"github.com/runnel-dev/runnel/topology/serde"
)

// A DSL topology on the runtime against the bundled broker: a table
// re-grouped by value (old/new pairs through the repartition topic in
// Kafka's Change format) and counted, joined with a stream.
func TestDSLAgainstBroker(t *testing.T) {
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
	if resp, err := kadm.NewClient(cl).CreateTopics(ctx, 2, 1, nil, "users", "visits", "per-city", "enriched"); err != nil || resp.Error() != nil {
		t.Fatalf("create topics: %v %v", err, resp.Error())
	}

	sb := streams.NewBuilder()
	users := streams.Table(sb, "users", strings2) // user -> city
	perCity := streams.TableGroupBy(users, func(_, city string) (string, string) { return city, city }).Count()
	perCity.ToStream().To("per-city")
	visits := streams.Stream(sb, []string{"visits"}, strings2) // user -> page
	streams.Join(visits, users, func(page, city string) string { return page + "@" + city }).To("enriched")
	topo, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	app, err := streams.New(topo, streams.Config{
		ApplicationID:    "dsl-e2e",
		BootstrapServers: []string{b.Addr()},
		StateDir:         t.TempDir(),
		CommitInterval:   100 * time.Millisecond,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	produce := func(topic, k, v string) {
		t.Helper()
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(k), Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	out, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ConsumeTopics("per-city", "enriched"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	counts, enriched := map[string]int64{}, map[string]string{}
	waitFor := func(done func() bool) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for !done() {
			fs := out.PollFetches(wctx)
			if wctx.Err() != nil {
				t.Fatalf("timed out; counts %v, enriched %v", counts, enriched)
			}
			fs.EachRecord(func(r *kgo.Record) {
				if r.Topic == "per-city" {
					n, _ := serde.Int64().Deserialize(r.Topic, r.Value)
					counts[string(r.Key)] = n
				} else {
					enriched[string(r.Key)] = string(r.Value)
				}
			})
		}
	}
	for i, city := range []string{"paris", "paris", "rome", "oslo"} {
		produce("users", "u"+strconv.Itoa(i), city)
	}
	waitFor(func() bool { return counts["paris"] == 2 && counts["rome"] == 1 && counts["oslo"] == 1 })
	produce("users", "u1", "rome") // u1 moves: paris loses one, rome gains one
	waitFor(func() bool { return counts["paris"] == 1 && counts["rome"] == 2 })
	produce("visits", "u1", "/home")
	waitFor(func() bool { return enriched["u1"] == "/home@rome" })
}
