package state_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

func startBroker(t *testing.T, configs map[string]string) string {
	t.Helper()
	b, err := broker.Start(context.Background(), broker.Config{DefaultPartitions: 1, BrokerConfigs: configs})
	must(t, err)
	t.Cleanup(func() { b.Close() })
	return b.Addr()
}

func client(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	must(t, err)
	t.Cleanup(cl.Close)
	return cl
}

func createTopic(t *testing.T, cl *kgo.Client, topic string, configs map[string]*string) {
	t.Helper()
	resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), 1, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	must(t, err)
}

// restoreEvent is what a recording listener saw.
type restoreEvent struct {
	start, end, total int64
	batches           int
}

type recordingListener struct {
	mu     sync.Mutex
	events map[string]*restoreEvent
}

func (l *recordingListener) ev(store string) *restoreEvent {
	if l.events == nil {
		l.events = map[string]*restoreEvent{}
	}
	if l.events[store] == nil {
		l.events[store] = &restoreEvent{total: -1}
	}
	return l.events[store]
}

func (l *recordingListener) OnRestoreStart(_ string, _ int32, store string, start, end int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.ev(store)
	e.start, e.end = start, end
}

func (l *recordingListener) OnBatchRestored(_ string, _ int32, store string, _, _ int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ev(store).batches++
}

func (l *recordingListener) OnRestoreEnd(_ string, _ int32, store string, total int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ev(store).total = total
}

func (l *recordingListener) get(store string) restoreEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return *l.ev(store)
}

// restoreInto opens store "s" in a Manager on dir and restores it from
// topic partition 0, failing the test if that takes more than 20s.
func restoreInto(t *testing.T, cl *kgo.Client, dir, topic string, opts state.RestoreOptions) (state.KeyValueStore[string, string], *recordingListener, func()) {
	t.Helper()
	l := &recordingListener{}
	m, err := state.OpenManager(state.ManagerOptions{Dir: dir, RestoreListener: l, Logger: discard()})
	must(t, err)
	ctx := newTestCtx(t, true)
	st, err := m.BuildStore(ctx.task, state.KeyValueStoreBuilder(state.PersistentKeyValueStore("s"), serde.String(), serde.String()))
	must(t, err)
	must(t, st.Init(ctx, st))
	rctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = m.Restore(rctx, cl, ctx.task, []state.Changelog{{Store: "s", Topic: topic, Partition: 0, Restore: ctx.restores["s"]}}, opts)
	if err != nil {
		st.Close()
		m.Close()
		t.Fatalf("restore: %v", err)
	}
	return st.(state.KeyValueStore[string, string]), l, func() { st.Close(); m.Close() }
}

func produce(t *testing.T, cl *kgo.Client, topic string, from, n int, keys int) {
	t.Helper()
	recs := make([]*kgo.Record, 0, n)
	for i := from; i < from+n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%03d", i%keys), Value: fmt.Appendf(nil, "v%d", i)})
	}
	must(t, cl.ProduceSync(context.Background(), recs...).FirstErr())
}

func TestRestoreEmptyChangelog(t *testing.T) {
	cl := client(t, startBroker(t, nil))
	createTopic(t, cl, "empty-changelog", nil)
	kv, l, done := restoreInto(t, cl, t.TempDir(), "empty-changelog", state.RestoreOptions{})
	defer done()
	if ev := l.get("s"); ev.start != 0 || ev.end != 0 || ev.total != 0 {
		t.Fatalf("listener saw %+v, want start=end=total=0", ev)
	}
	if n, _ := kv.ApproximateNumEntries(); n != 0 {
		t.Fatalf("%d entries restored from nothing", n)
	}
}

// TestRestoreResumesFromCheckpoint: a store restored once replays only the
// records written after its checkpoint the next time.
func TestRestoreResumesFromCheckpoint(t *testing.T) {
	cl := client(t, startBroker(t, nil))
	createTopic(t, cl, "c", nil)
	produce(t, cl, "c", 0, 1000, 100)
	dir := t.TempDir()
	kv, l, done := restoreInto(t, cl, dir, "c", state.RestoreOptions{})
	if ev := l.get("s"); ev.start != 0 || ev.end != 1000 || ev.total != 1000 {
		t.Fatalf("first restore %+v, want 0..1000, 1000 records", ev)
	}
	if v, _, _ := kv.Get("k007"); v != "v907" {
		t.Fatalf("k007 = %q, want the last value v907", v)
	}
	done()

	produce(t, cl, "c", 1000, 50, 100)
	kv, l, done = restoreInto(t, cl, dir, "c", state.RestoreOptions{})
	defer done()
	if ev := l.get("s"); ev.start != 1000 || ev.end != 1050 || ev.total != 50 {
		t.Fatalf("second restore %+v, want only the 50-record tail from 1000", ev)
	}
	if v, _, _ := kv.Get("k007"); v != "v1007" {
		t.Fatalf("k007 = %q, want v1007", v)
	}
	if n, _ := kv.ApproximateNumEntries(); n != 100 {
		t.Fatalf("%d keys, want 100", n)
	}
}

// TestRestoreTransactionalChangelog: the log ends with transaction markers
// (control records, never returned as data) and holds an aborted
// transaction; restoration reaches the end and skips aborted records when
// reading committed data.
func TestRestoreTransactionalChangelog(t *testing.T) {
	addr := startBroker(t, nil)
	cl := client(t, addr)
	createTopic(t, cl, "tx", nil)
	tx := client(t, addr, kgo.TransactionalID("restore-test"), kgo.DefaultProduceTopic("tx"))
	ctx := context.Background()
	txn := func(commit bool, recs ...string) {
		must(t, tx.BeginTransaction())
		for i := 0; i < len(recs); i += 2 {
			must(t, tx.ProduceSync(ctx, &kgo.Record{Key: []byte(recs[i]), Value: []byte(recs[i+1])}).FirstErr())
		}
		must(t, tx.EndTransaction(ctx, kgo.TransactionEndTry(commit)))
	}
	txn(true, "a", "1", "b", "1")
	txn(false, "a", "aborted", "c", "aborted")
	txn(true, "b", "2")

	kv, l, done := restoreInto(t, cl, t.TempDir(), "tx", state.RestoreOptions{ReadCommitted: true})
	defer done()
	all, err := collect(kv.All())
	must(t, err)
	if got := fmt.Sprint(all); got != "[{a 1} {b 2}]" {
		t.Fatalf("restored %s, want [{a 1} {b 2}] (no aborted records)", got)
	}
	if ev := l.get("s"); ev.total != 3 || ev.end != 8 {
		t.Fatalf("listener %+v: want 3 committed records restored up to offset 8 (5 records + 3 markers)", ev)
	}
}

// TestRestoreCompactedChangelog: compaction leaves gaps in the offsets;
// restoration follows the batches' offsets through them.
func TestRestoreCompactedChangelog(t *testing.T) {
	cl := client(t, startBroker(t, map[string]string{"log.cleaner.backoff.ms": "50"}))
	compact := "compact"
	createTopic(t, cl, "compacted", map[string]*string{"cleanup.policy": &compact})
	for round := range 20 {
		produce(t, cl, "compacted", round*10, 10, 10) // one batch per round
	}
	// Wait until the broker compacted: fewer records than offsets remain.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if n := countRecords(t, cl, "compacted", 200); n < 200 {
			t.Logf("compaction left %d of 200 records", n)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the broker did not compact the changelog")
		}
		time.Sleep(100 * time.Millisecond)
	}
	kv, l, done := restoreInto(t, cl, t.TempDir(), "compacted", state.RestoreOptions{})
	defer done()
	if ev := l.get("s"); ev.end != 200 || ev.total >= 200 {
		t.Fatalf("listener %+v: want the end offset 200 reached with fewer than 200 records", ev)
	}
	for k := range 10 {
		if v, _, _ := kv.Get(fmt.Sprintf("k%03d", k)); v != fmt.Sprintf("v%d", 190+k) {
			t.Fatalf("k%03d = %q, want v%d", k, v, 190+k)
		}
	}
}

// countRecords reads a topic from the start up to end and counts records.
func countRecords(t *testing.T, cl *kgo.Client, topic string, end int64) int {
	t.Helper()
	c := client(t, "", kgo.SeedBrokers(cl.OptValue(kgo.SeedBrokers).([]string)...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	for {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			return n
		}
		last := int64(-1)
		fs.EachRecord(func(r *kgo.Record) { n++; last = r.Offset })
		if last == end-1 {
			return n
		}
	}
}

// TestRestoreCheckpointOutsideLog: a checkpoint past the log's end (the
// changelog was recreated) wipes the store and restores from the start.
func TestRestoreCheckpointOutsideLog(t *testing.T) {
	cl := client(t, startBroker(t, nil))
	createTopic(t, cl, "recreated", nil)
	produce(t, cl, "recreated", 0, 10, 10)
	dir := filepath.Join(t.TempDir(), "db")
	m := openManager(t, dir)
	ctx := newTestCtx(t, true)
	kv := managedKV(t, m, ctx)
	must(t, kv.Put("stale", "x"))
	must(t, m.Commit(ctx.task, map[string]int64{"s": 5000}))
	kv.Close()
	m.Close()

	kv2, l, done := restoreInto(t, cl, dir, "recreated", state.RestoreOptions{})
	defer done()
	if ev := l.get("s"); ev.start != 0 || ev.total != 10 {
		t.Fatalf("listener %+v: want a full restore from 0", ev)
	}
	if _, ok, _ := kv2.Get("stale"); ok {
		t.Fatal("local state from before the recreation survived")
	}
}
