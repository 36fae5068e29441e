package streams

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

type globalLoader struct {
	store state.KeyValueStore[string, string]
}

func (p *globalLoader) Init(ctx topology.ProcessorContext[string, string]) (err error) {
	p.store, err = state.GetKeyValueStore[string, string](ctx, "users")
	return err
}
func (p *globalLoader) Process(rec topology.Record[string, string]) error {
	return p.store.Put(rec.Key, rec.Value)
}
func (p *globalLoader) Close() error { return nil }

type globalEnricher struct {
	ctx   topology.ProcessorContext[string, string]
	users state.KeyValueStore[string, string]
}

func (p *globalEnricher) Init(ctx topology.ProcessorContext[string, string]) (err error) {
	p.ctx = ctx
	p.users, err = state.GetKeyValueStore[string, string](ctx, "users")
	return err
}
func (p *globalEnricher) Process(rec topology.Record[string, string]) error {
	name, ok, err := p.users.Get(rec.Key)
	if err != nil {
		return err
	}
	if !ok {
		name = "?"
	}
	rec.Value = name + ":" + rec.Value
	return p.ctx.Forward(rec)
}
func (p *globalEnricher) Close() error { return nil }

// A global store is fully restored from its topic before stream tasks
// process, on every instance, and follows later updates of the topic.
func TestGlobalStoreIsBootstrappedThenFollowed(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 3, "users", "clicks", "enriched")
	produceRaw(t, addr,
		&kgo.Record{Topic: "users", Key: []byte("u1"), Value: []byte("Ada")},
		&kgo.Record{Topic: "users", Key: []byte("u2"), Value: []byte("Grace")},
		&kgo.Record{Topic: "users", Key: []byte("u3"), Value: []byte("Edsger")},
	)
	// Clicks exist before the app starts: they must all see the users.
	produceRaw(t, addr,
		&kgo.Record{Topic: "clicks", Key: []byte("u1"), Value: []byte("/a")},
		&kgo.Record{Topic: "clicks", Key: []byte("u2"), Value: []byte("/b")},
		&kgo.Record{Topic: "clicks", Key: []byte("u3"), Value: []byte("/c")},
	)
	global := state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("users"), serde.String(), serde.String()).WithLoggingDisabled()
	str := topology.Source[string, string]{KeySerde: serde.String(), ValueSerde: serde.String()}
	usersSrc, clicksSrc := str, str
	usersSrc.Topics, clicksSrc.Topics = []string{"users"}, []string{"clicks"}
	top, err := topology.NewBuilder().
		AddGlobalStore(global, "users-source", usersSrc, "users-loader",
			topology.Supply(func() topology.Processor[string, string, string, string] { return &globalLoader{} })).
		AddSource("in", clicksSrc).
		AddProcessor("enrich", topology.Supply(func() topology.Processor[string, string, string, string] { return &globalEnricher{} }), "in").
		AddSink("out", topology.Sink[string, string]{Topic: "enriched", KeySerde: serde.String(), ValueSerde: serde.String()}, "enrich").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(top, baseConfig(t, addr, "global-app"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()

	want := map[string]string{"u1": "Ada:/a", "u2": "Grace:/b", "u3": "Edsger:/c"}
	if got := readLatest(t, addr, "enriched", want, 30*time.Second); !sameStrings(got, want) {
		t.Fatalf("enriched before updates = %v, want %v", got, want)
	}

	// An update of the global topic reaches the running instance.
	produceRaw(t, addr, &kgo.Record{Topic: "users", Key: []byte("u1"), Value: []byte("Lovelace")})
	deadline := time.Now().Add(30 * time.Second)
	for {
		produceRaw(t, addr, &kgo.Record{Topic: "clicks", Key: []byte("u1"), Value: []byte("/again")})
		got := readLatest(t, addr, "enriched", map[string]string{"u1": "Lovelace:/again"}, 2*time.Second)
		if got["u1"] == "Lovelace:/again" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("global update not seen: u1 = %q", got["u1"])
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func sameStrings(a, b map[string]string) bool {
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// readLatest reads topic from the start until every key in want shows its
// wanted value as the latest (or the timeout passes).
func readLatest(t *testing.T, addr, topic string, want map[string]string, timeout time.Duration) map[string]string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got := map[string]string{}
	for !sameStrings(got, want) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		fs.EachRecord(func(r *kgo.Record) { got[string(r.Key)] = string(r.Value) })
	}
	return got
}

func TestGlobalStoreMissingTopicFailsClearly(t *testing.T) {
	addr := startBroker(t)
	createTopics(t, addr, 1, "clicks2", "out2")
	global := state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("users"), serde.String(), serde.String()).WithLoggingDisabled()
	str := topology.Source[string, string]{KeySerde: serde.String(), ValueSerde: serde.String()}
	usersSrc, clicksSrc := str, str
	usersSrc.Topics, clicksSrc.Topics = []string{"no-such-users"}, []string{"clicks2"}
	top, err := topology.NewBuilder().
		AddGlobalStore(global, "users-source", usersSrc, "users-loader",
			topology.Supply(func() topology.Processor[string, string, string, string] { return &globalLoader{} })).
		AddSource("in", clicksSrc).
		AddSink("out", topology.Sink[string, string]{Topic: "out2", KeySerde: serde.String(), ValueSerde: serde.String()}, "in").
		Build()
	if err != nil {
		t.Fatal(err)
	}
	app, err := New(top, baseConfig(t, addr, "global-missing"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = app.Run(ctx)
	if err == nil || !errors.Is(err, ErrMissingSourceTopic) {
		t.Fatalf("Run = %v, want ErrMissingSourceTopic", err)
	}
}
