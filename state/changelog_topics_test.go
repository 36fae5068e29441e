package state_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// windowWriter puts every record into the window store "w".
type windowWriter struct {
	w state.WindowStore[string, string]
}

func (p *windowWriter) Init(ctx topology.ProcessorContext[string, string]) error {
	w, err := state.GetWindowStore[string, string](ctx, "w")
	p.w = w
	return err
}

func (p *windowWriter) Process(rec topology.Record[string, string]) error {
	return p.w.Put(rec.Key, rec.Value, rec.Timestamp-rec.Timestamp%1000)
}

func (p *windowWriter) Close() error { return nil }

// TestChangelogTopicsCreated: the runtime creates each store's changelog
// with one partition per task: compacted for key-value stores, compacted
// and deleted after the retention plus a day for windowed stores, with the
// builder's own configs on top.
func TestChangelogTopicsCreated(t *testing.T) {
	addr := startBroker(t, nil)
	cl := client(t, addr)
	ctx := context.Background()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 1, nil, "topics-in"); err != nil {
		t.Fatal(err)
	}
	kv := state.KeyValueStoreBuilder(state.PersistentKeyValueStore("kv"), serde.String(), serde.String()).
		WithLoggingEnabled(map[string]string{"min.compaction.lag.ms": "100"})
	win := state.WindowStoreBuilder(state.PersistentWindowStore("w", time.Hour, time.Second, false), serde.String(), serde.String())
	top, err := topology.NewBuilder().
		AddSource("in", topology.Source[string, string]{Topics: []string{"topics-in"}, KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddProcessor("win", topology.Supply(func() topology.Processor[string, string, string, string] { return &windowWriter{} }, win, kv), "in").
		Build()
	must(t, err)
	app, err := streams.New(top, streams.Config{ApplicationID: "topics", BootstrapServers: []string{addr}, StateDir: t.TempDir(), Logger: discard()})
	must(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	waitUntil(t, "the app to run", 30*time.Second, func() bool { return app.State() == streams.Running })

	adm := kadm.NewClient(cl)
	details, err := adm.ListTopics(ctx, "topics-kv-changelog", "topics-w-changelog")
	must(t, err)
	for _, name := range []string{"topics-kv-changelog", "topics-w-changelog"} {
		if d, ok := details[name]; !ok || d.Err != nil || len(d.Partitions) != 3 {
			t.Fatalf("%s: %+v, want 3 partitions", name, d)
		}
	}
	configs, err := adm.DescribeTopicConfigs(ctx, "topics-kv-changelog", "topics-w-changelog")
	must(t, err)
	want := map[string]map[string]string{
		"topics-kv-changelog": {"cleanup.policy": "compact", "min.compaction.lag.ms": "100"},
		"topics-w-changelog":  {"cleanup.policy": "compact,delete", "retention.ms": "90000000"},
	}
	for _, rc := range configs {
		for k, v := range want[rc.Name] {
			found := false
			for _, c := range rc.Configs {
				if c.Key == k && c.Value != nil && *c.Value == v {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: config %s is not %q: %+v", rc.Name, k, v, rc.Configs)
			}
		}
	}
}
