package streams

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

func patternTopology(t *testing.T, pattern, out string) *topology.Topology {
	t.Helper()
	top, err := topology.NewBuilder().
		AddSource("events", topology.Source[string, string]{Pattern: regexp.MustCompile(pattern), KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddSink("out", topology.Sink[string, string]{Topic: out, KeySerde: serde.String(), ValueSerde: serde.String()}, "events").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	return top
}

// A pattern source reads every existing topic whose whole name matches,
// as Kafka's Pattern.matcher().matches(), and no other.
func TestPatternSourceReadsMatchingTopics(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 2, "orders-eu", "orders-us", "orders-eu-archive", "refunds", "pat-out")
	produceRaw(t, addr,
		&kgo.Record{Topic: "orders-eu", Key: []byte("a"), Value: []byte("1")},
		&kgo.Record{Topic: "orders-us", Key: []byte("b"), Value: []byte("2")},
		&kgo.Record{Topic: "orders-eu-archive", Key: []byte("c"), Value: []byte("3")},
		&kgo.Record{Topic: "refunds", Key: []byte("d"), Value: []byte("4")},
	)
	app, err := New(patternTopology(t, `orders-[a-z]{2}`, "pat-out"), baseConfig(t, addr, "pattern-app"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()

	got := readLatest(t, addr, "pat-out", map[string]string{"a": "1", "b": "2"}, 30*time.Second)
	if got["a"] != "1" || got["b"] != "2" {
		t.Fatalf("output %v, want a=1 and b=2", got)
	}
	// Give stray records a moment to show up, then check none did.
	extra := readLatest(t, addr, "pat-out", map[string]string{"never": "x"}, time.Second)
	if _, ok := extra["c"]; ok {
		t.Error("orders-eu-archive matched a pattern that must match whole names only")
	}
	if _, ok := extra["d"]; ok {
		t.Error("refunds was read")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestPatternMatchingNothingFailsClearly(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 1, "pat-out2")
	app, err := New(patternTopology(t, `nothing-.*`, "pat-out2"), baseConfig(t, addr, "pattern-none"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Run(ctx); !errors.Is(err, ErrMissingSourceTopic) {
		t.Fatalf("Run = %v, want ErrMissingSourceTopic", err)
	}
}
