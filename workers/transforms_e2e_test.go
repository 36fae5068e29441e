package workers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestSourceTransformsRouteAndFilter(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "seq", "config": map[string]string{
		"connector.class": "sequence-source", "topic": "nums", "count": "10",
		"transforms":            "route,drop",
		"transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter", "transforms.route.regex": "(.*)", "transforms.route.replacement": "routed-$1",
		"transforms.drop.type": "Filter", "transforms.drop.predicate": "isDlq", "transforms.drop.negate": "true",
		"predicates": "isDlq", "predicates.isDlq.type": "TopicNameMatches", "predicates.isDlq.pattern": "routed-.*",
	}}, 201, nil)
	recs := readTopic(t, b.Addr(), "routed-nums", 10, 20*time.Second)
	if len(recs) != 10 {
		t.Fatalf("routed records: %d", len(recs))
	}
	if string(recs[3].Value) != "3" {
		t.Fatalf("value %q", recs[3].Value)
	}
}

func TestSinkTransformFailureGoesToDLQ(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	produce(t, b.Addr(), "raw", `{"a":1}`, `"not a map"`, `{"a":3}`)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "rec", "config": map[string]string{
		"connector.class": "recording-sink", "topics": "raw",
		"transforms": "extract", "transforms.extract.type": "org.apache.kafka.connect.transforms.ExtractField$Value", "transforms.extract.field": "a",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq", "errors.deadletterqueue.topic.replication.factor": "1",
		"errors.deadletterqueue.context.headers.enable": "true"}}, 201, nil)
	eventually(t, 20*time.Second, "two transformed records", func() bool { return len(w.recorder.Records()) == 2 })
	got := w.recorder.Records()
	if got[0].Value != int64(1) || got[1].Value != int64(3) {
		t.Fatalf("values %v %v", got[0].Value, got[1].Value)
	}
	dlq := readTopic(t, b.Addr(), "dlq", 1, 20*time.Second)
	if len(dlq) != 1 || string(dlq[0].Value) != `"not a map"` {
		t.Fatalf("dlq %v", dlq)
	}
	h := headerMap(dlq[0])
	if h["__connect.errors.stage"] != "TRANSFORMATION" || !strings.Contains(h["__connect.errors.class.name"], "ExtractField") {
		t.Fatalf("headers %v", h)
	}
}

func TestSinkTopicsRegexAndTwoTasksShareTheGroup(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 4, 1, nil, "num-a"); err != nil {
		t.Fatal(err)
	}
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "rec", "config": map[string]string{
		"connector.class": "recording-sink", "topics.regex": "num-.*", "tasks.max": "2"}}, 201, nil)
	w.waitRunning("rec", 2)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "seq", "config": map[string]string{
		"connector.class": "sequence-source", "topic": "num-a", "count": "2000", "rate": "4000"}}, 201, nil)
	eventually(t, 30*time.Second, "2000 records", func() bool { return len(w.recorder.Records()) >= 2000 })
	time.Sleep(500 * time.Millisecond)
	seen := map[int64]int{}
	partitions := map[int32]bool{}
	for _, r := range w.recorder.Records() {
		seen[r.Value.(int64)]++
		partitions[r.Partition] = true
	}
	for i := int64(0); i < 2000; i++ {
		if seen[i] != 1 {
			t.Fatalf("record %d received %d times", i, seen[i])
		}
	}
	if len(partitions) != 4 {
		t.Fatalf("records came from partitions %v, want all 4", partitions)
	}
	var topics map[string]map[string][]string
	w.call("GET", "/connectors/rec/topics", nil, &topics)
	if len(topics["rec"]["topics"]) != 1 || topics["rec"]["topics"][0] != "num-a" {
		t.Fatalf("active topics %v", topics)
	}
}
