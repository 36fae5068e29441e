package workers_test

import (
	"context"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/broker"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestSourceTopicCreationGroups(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := broker.Start(ctx, broker.Config{AutoCreateTopics: false, DefaultPartitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w := startWorker(t, b)
	tc := map[string]string{
		"topic.creation.default.replication.factor": "1", "topic.creation.default.partitions": "3",
		"topic.creation.groups": "compacted", "topic.creation.compacted.include": "comp-.*",
		"topic.creation.compacted.partitions": "2", "topic.creation.compacted.cleanup.policy": "compact",
	}
	mk := func(name, topic string) {
		cfg := map[string]string{"connector.class": "sequence-source", "topic": topic, "count": "5"}
		for k, v := range tc {
			cfg[k] = v
		}
		expectCode(t, w, "POST", "/connectors", map[string]any{"name": name, "config": cfg}, 201, nil)
	}
	mk("plain", "plain-topic")
	mk("comp", "comp-topic")
	if got := readTopic(t, b.Addr(), "plain-topic", 5, 20*time.Second); len(got) != 5 {
		t.Fatalf("plain-topic has %d records", len(got))
	}
	if got := readTopic(t, b.Addr(), "comp-topic", 5, 20*time.Second); len(got) != 5 {
		t.Fatalf("comp-topic has %d records", len(got))
	}
	cl, _ := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	defer cl.Close()
	adm := kadm.NewClient(cl)
	details, err := adm.ListTopics(ctx, "plain-topic", "comp-topic")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(details["plain-topic"].Partitions); n != 3 {
		t.Errorf("plain-topic has %d partitions, want 3 (default group)", n)
	}
	if n := len(details["comp-topic"].Partitions); n != 2 {
		t.Errorf("comp-topic has %d partitions, want 2 (compacted group)", n)
	}
	cfgs, err := adm.DescribeTopicConfigs(ctx, "comp-topic")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cfgs.On("comp-topic", nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range rc.Configs {
		if c.Key == "cleanup.policy" && c.Value != nil && *c.Value == "compact" {
			found = true
		}
	}
	if !found {
		t.Errorf("comp-topic lacks cleanup.policy=compact: %+v", rc.Configs)
	}
	// Validation knows the group keys and checks them.
	cfg := map[string]string{"connector.class": "sequence-source", "name": "x", "topic": "t", "topic.creation.default.partitions": "0"}
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": cfg}, 400,
		`Missing required configuration "topic.creation.default.replication.factor"`, "Number of partitions must be positive")
}
