package state_test

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/topology/serde"
)

// partitionListener records finished restorations by partition.
type partitionListener struct {
	mu    sync.Mutex
	start map[int32][2]int64
	done  map[int32]restoreLine
}

func newPartitionListener() *partitionListener {
	return &partitionListener{start: map[int32][2]int64{}, done: map[int32]restoreLine{}}
}

func (l *partitionListener) OnRestoreStart(_ string, p int32, _ string, start, end int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.start[p] = [2]int64{start, end}
}
func (l *partitionListener) OnBatchRestored(string, int32, string, int64, int64) {}
func (l *partitionListener) OnRestoreEnd(_ string, p int32, _ string, total int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done[p] = restoreLine{Partition: p, Start: l.start[p][0], End: l.start[p][1], Restored: total}
}

func (l *partitionListener) restored() map[int32]restoreLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.done)
}

func (l *partitionListener) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.done)
}

// runningApp is a counting app run in this process.
type runningApp struct {
	app      *streams.App
	stateDir string
	listener *partitionListener
	done     chan error
}

func startCountingApp(t *testing.T, addr, topic, stateDir string) *runningApp {
	t.Helper()
	top, err := countTopology(topic)
	must(t, err)
	l := newPartitionListener()
	app, err := streams.New(top, streams.Config{
		ApplicationID:    "count",
		BootstrapServers: []string{addr},
		StateDir:         stateDir,
		CommitInterval:   100 * time.Millisecond,
		RestoreListener:  l,
		Logger:           discard(),
		ClientOpts:       []kgo.Opt{kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(200 * time.Millisecond)},
	})
	must(t, err)
	r := &runningApp{app: app, stateDir: stateDir, listener: l, done: make(chan error, 1)}
	go func() { r.done <- app.Run(context.Background()) }()
	t.Cleanup(func() { app.Close() })
	return r
}

func (r *runningApp) stop(t *testing.T) {
	t.Helper()
	must(t, r.app.Close())
	must(t, <-r.done)
}

// taskStore reads one task's "counts" store from a stopped instance's
// state database; ok is false when the instance never had the task.
func taskStore(t *testing.T, stateDir string, partition int32) (map[string]int64, bool) {
	t.Helper()
	m := openManager(t, filepath.Join(stateDir, "count", "pebble"))
	defer m.Close()
	ctx := newTestCtx(t, false)
	ctx.task = state.TaskID{Subtopology: 0, Partition: partition}
	st, err := m.BuildStore(ctx.task, state.KeyValueStoreBuilder(state.PersistentKeyValueStore("counts"), serde.String(), serde.Int64()))
	must(t, err)
	must(t, st.Init(ctx, st))
	defer st.Close()
	_, ok := m.Checkpoint(ctx.task, "counts")
	all, err := collect(st.(state.KeyValueStore[string, int64]).All())
	must(t, err)
	out := map[string]int64{}
	for _, kv := range all {
		out[kv.Key] = kv.Value
	}
	return out, ok
}

func produceKeyed(t *testing.T, cl *kgo.Client, topic string, from, n, keys int) {
	t.Helper()
	recs := make([]*kgo.Record, 0, n)
	for i := from; i < from+n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i%keys), Value: []byte("x")})
	}
	must(t, cl.ProduceSync(context.Background(), recs...).FirstErr())
}

// TestTaskMigration moves tasks between two instances: the new owner
// restores a store equal to the old owner's, and when the tasks move back
// the old owner resumes from its checkpoint, replaying only what the other
// instance added meanwhile.
func TestTaskMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two instances")
	}
	const (
		topic      = "migrate-in"
		partitions = 4
		keys       = 50
	)
	addr := startBroker(t, nil)
	cl := client(t, addr)
	resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	must(t, err)
	produceKeyed(t, cl, topic, 0, 4000, keys)

	a := startCountingApp(t, addr, topic, t.TempDir())
	waitUntil(t, "instance A to process the input", 60*time.Second, func() bool { return committed(t, cl, "count", topic) == 4000 })

	b := startCountingApp(t, addr, topic, t.TempDir())
	waitUntil(t, "instance B to take over and restore tasks", 60*time.Second, func() bool {
		// Two instances share four tasks evenly.
		return len(b.listener.restored()) == partitions/2 && b.app.State() == streams.Running && a.app.State() == streams.Running
	})
	moved := b.listener.restored()
	for p, r := range moved {
		if r.Start != 0 || r.Restored == 0 {
			t.Errorf("B restored partition %d as %+v: want a full restore of a non-empty changelog", p, r)
		}
	}
	// Input that arrives while B owns the moved tasks.
	produceKeyed(t, cl, topic, 4000, 2000, keys)
	waitUntil(t, "both instances to process the new input", 60*time.Second, func() bool { return committed(t, cl, "count", topic) == 6000 })
	afterB := map[int32]map[string]int64{}
	a.listener.reset()
	b.stop(t) // its tasks move back to A
	for p := range moved {
		got, _ := taskStore(t, b.stateDir, p)
		afterB[p] = got
	}
	waitUntil(t, "instance A to take the tasks back", 60*time.Second, func() bool {
		back := a.listener.restored()
		for p := range moved {
			if _, ok := back[p]; !ok {
				return false
			}
		}
		return a.app.State() == streams.Running
	})
	back := a.listener.restored()
	a.stop(t)

	var total int64
	for p := range moved {
		r := back[p]
		if r.Start == 0 {
			t.Errorf("partition %d: A restored from the start (%+v), not from its checkpoint", p, r)
		}
		if r.Restored == 0 || r.Restored >= r.End {
			t.Errorf("partition %d: A replayed %d of %d records; want only what B added", p, r.Restored, r.End)
		}
		aStore, ok := taskStore(t, a.stateDir, p)
		if !ok {
			t.Fatalf("partition %d: A has no checkpoint for the store", p)
		}
		if len(aStore) == 0 || !maps.Equal(aStore, afterB[p]) {
			t.Errorf("partition %d: A's store after the move back differs from B's:\nA %v\nB %v", p, aStore, afterB[p])
		}
		t.Logf("partition %d: B restored %d records; A later replayed %d (from %d to %d)", p, moved[p].Restored, r.Restored, r.Start, r.End)
	}
	for p := range int32(partitions) {
		s, _ := taskStore(t, a.stateDir, p)
		for _, n := range s {
			total += n
		}
	}
	if total != 6000 {
		t.Errorf("A's stores count %d records, want 6000 (clean moves reprocess nothing)", total)
	}
}
