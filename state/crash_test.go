package state_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// counter counts records per key in the persistent store "counts".
type counter struct {
	counts state.KeyValueStore[string, int64]
}

func (c *counter) Init(ctx topology.ProcessorContext[string, int64]) error {
	kv, err := state.GetKeyValueStore[string, int64](ctx, "counts")
	c.counts = kv
	return err
}

func (c *counter) Process(rec topology.Record[string, string]) error {
	n, _, err := c.counts.Get(rec.Key)
	if err != nil {
		return err
	}
	return c.counts.Put(rec.Key, n+1)
}

func (c *counter) Close() error { return nil }

func countTopology(in string) (*topology.Topology, error) {
	store := state.KeyValueStoreBuilder(state.PersistentKeyValueStore("counts"), serde.String(), serde.Int64())
	return topology.NewBuilder().
		AddSource("in", topology.Source[string, string]{Topics: []string{in}, KeySerde: serde.String(), ValueSerde: serde.String()}).
		AddProcessor("count", topology.Supply(func() topology.Processor[string, string, string, int64] { return &counter{} }, store), "in").
		Build()
}

// restoreLine is one finished restoration, as the helper process logs it.
type restoreLine struct {
	Partition int32 `json:"partition"`
	Start     int64 `json:"start"`
	End       int64 `json:"end"`
	Restored  int64 `json:"restored"`
}

// fileListener appends a JSON line per finished restoration to a file.
type fileListener struct {
	mu    sync.Mutex
	f     *os.File
	start map[int32][2]int64
}

func (l *fileListener) OnRestoreStart(_ string, p int32, _ string, start, end int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.start[p] = [2]int64{start, end}
}
func (l *fileListener) OnBatchRestored(string, int32, string, int64, int64) {}
func (l *fileListener) OnRestoreEnd(_ string, p int32, _ string, total int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, _ := json.Marshal(restoreLine{Partition: p, Start: l.start[p][0], End: l.start[p][1], Restored: total})
	l.f.Write(append(b, '\n'))
}

// TestCountingAppHelper is not a test: the crash and migration tests run
// the test binary again with RUNNEL_COUNT_BROKER set, and this runs the
// counting app in that child until SIGTERM (clean shutdown) or SIGKILL.
func TestCountingAppHelper(t *testing.T) {
	addr := os.Getenv("RUNNEL_COUNT_BROKER")
	if addr == "" {
		t.Skip("helper process for the crash and migration tests")
	}
	f, err := os.OpenFile(os.Getenv("RUNNEL_COUNT_RESTORE_LOG"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	must(t, err)
	defer f.Close()
	top, err := countTopology(os.Getenv("RUNNEL_COUNT_TOPIC"))
	must(t, err)
	app, err := streams.New(top, streams.Config{
		ApplicationID:    "count",
		BootstrapServers: []string{addr},
		StateDir:         os.Getenv("RUNNEL_COUNT_STATE"),
		CommitInterval:   100 * time.Millisecond,
		RestoreListener:  &fileListener{f: f, start: map[int32][2]int64{}},
		Logger:           helperLogger(),
		ClientOpts: []kgo.Opt{
			kgo.InstanceID(os.Getenv("RUNNEL_COUNT_INSTANCE")),
			kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(300 * time.Millisecond),
		},
	})
	must(t, err)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	must(t, app.Run(ctx))
}

// countingChild is one run of the helper process.
type countingChild struct {
	cmd        *exec.Cmd
	restoreLog string
}

func startCountingChild(t *testing.T, addr, topic, stateDir, instance string, run int) *countingChild {
	t.Helper()
	c := &countingChild{restoreLog: filepath.Join(t.TempDir(), fmt.Sprintf("restore-%s-%d.jsonl", instance, run))}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestCountingAppHelper$")
	c.cmd.Env = append(os.Environ(), "RUNNEL_COUNT_BROKER="+addr, "RUNNEL_COUNT_STATE="+stateDir, "RUNNEL_COUNT_TOPIC="+topic,
		"RUNNEL_COUNT_INSTANCE="+instance, "RUNNEL_COUNT_RESTORE_LOG="+c.restoreLog)
	c.cmd.Stdout, c.cmd.Stderr = os.Stderr, os.Stderr
	must(t, c.cmd.Start())
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	})
	return c
}

// restores reads what the child restored so far, by partition.
func (c *countingChild) restores(t *testing.T) map[int32]restoreLine {
	t.Helper()
	out := map[int32]restoreLine{}
	f, err := os.Open(c.restoreLog)
	if os.IsNotExist(err) {
		return out
	}
	must(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l restoreLine
		must(t, json.Unmarshal(sc.Bytes(), &l))
		out[l.Partition] = l
	}
	return out
}

func (c *countingChild) stop(t *testing.T) {
	t.Helper()
	must(t, c.cmd.Process.Signal(syscall.SIGTERM))
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("helper did not shut down cleanly: %v", err)
	}
}

func committed(t *testing.T, cl *kgo.Client, group, topic string) int64 {
	t.Helper()
	offs, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	if err != nil {
		return 0
	}
	var n int64
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			n += o.At
		}
	})
	return n
}

func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storeCounts opens an instance's state database (after the instance
// stopped) and reads every task's "counts" store.
func storeCounts(t *testing.T, stateDir string, partitions int32) map[string]int64 {
	t.Helper()
	m := openManager(t, filepath.Join(stateDir, "count", "pebble"))
	defer m.Close()
	out := map[string]int64{}
	for p := range partitions {
		ctx := newTestCtx(t, false)
		ctx.task = state.TaskID{Subtopology: 0, Partition: p}
		st, err := m.BuildStore(ctx.task, state.KeyValueStoreBuilder(state.PersistentKeyValueStore("counts"), serde.String(), serde.Int64()))
		must(t, err)
		must(t, st.Init(ctx, st))
		all, err := collect(st.(state.KeyValueStore[string, int64]).All())
		must(t, err)
		for _, kv := range all {
			out[kv.Key] += kv.Value
		}
		st.Close()
	}
	return out
}

// TestKillNineResumesFromCheckpoint kills a counting app with SIGKILL at
// random points while it processes, several times, and restarts it. After
// the last restart its store counts every input record at least once,
// and every restart replayed only the changelog tail written after the
// last commit, not the whole changelog.
func TestKillNineResumesFromCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs several processes")
	}
	const (
		topic      = "count-in"
		partitions = 4
		records    = 60_000
		keys       = 300
		kills      = 4
	)
	addr := startBroker(t, nil)
	cl := client(t, addr)
	resp, err := kadm.NewClient(cl).CreateTopic(context.Background(), partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	must(t, err)
	want := map[string]int64{}
	for i := range records {
		want[fmt.Sprintf("k%d", i%keys)]++
	}
	produced := make(chan error, 1)
	var sent atomic.Int64 // input records sent so far
	go func() {
		// Input keeps arriving during the kills: 60 batches of 1000.
		for i := 0; i < records; i += 1000 {
			recs := make([]*kgo.Record, 0, 1000)
			for j := i; j < i+1000; j++ {
				recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", j%keys), Value: []byte("x")})
			}
			// Counted before sending: the app may process a batch before
			// ProduceSync returns here.
			sent.Add(int64(len(recs)))
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				produced <- err
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		produced <- nil
	}()

	stateDir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	// uncommitted bounds what a restart may replay: every changelog record
	// after the checkpoint comes from an input record processed after the
	// last commit, so at most the inputs sent minus those committed when
	// the process died.
	var uncommitted int64
	for run := range kills + 1 {
		child := startCountingChild(t, addr, topic, stateDir, "count-1", run)
		before := committed(t, cl, "count", topic)
		if run == kills {
			if err := <-produced; err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the last run to process every record", 90*time.Second, func() bool {
				return committed(t, cl, "count", topic) == records
			})
			assertTailReplay(t, run, child.restores(t), uncommitted)
			child.stop(t)
			break
		}
		// Kill once it demonstrably processes and commits again, after a
		// random extra moment.
		waitUntil(t, fmt.Sprintf("run %d to commit progress", run), 60*time.Second, func() bool {
			return committed(t, cl, "count", topic) > before
		})
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
		must(t, child.cmd.Process.Signal(syscall.SIGKILL))
		child.cmd.Wait()
		if run > 0 {
			assertTailReplay(t, run, child.restores(t), uncommitted)
		}
		done := committed(t, cl, "count", topic)
		uncommitted = sent.Load() - done
		t.Logf("run %d: killed with %d of %d inputs committed, at most %d processed but uncommitted", run, done, records, uncommitted)
	}

	got := storeCounts(t, stateDir, partitions)
	var total, extra int64
	for k, n := range want {
		if got[k] < n {
			t.Errorf("key %s counted %d times, want at least %d: input lost", k, got[k], n)
		}
		total += got[k]
		extra += got[k] - n
	}
	t.Logf("store counts %d records for %d inputs (%d counted twice after kills)", total, records, extra)
}

// assertTailReplay checks that a restarted instance restored every store
// from a checkpoint and replayed at most the uncommitted tail.
func assertTailReplay(t *testing.T, run int, restores map[int32]restoreLine, uncommitted int64) {
	t.Helper()
	if len(restores) == 0 {
		t.Fatalf("run %d restored nothing: no restore listener events", run)
	}
	var replayed, changelog int64
	for p, r := range restores {
		replayed += r.Restored
		changelog += r.End
		if r.End > 0 && r.Start == 0 {
			t.Errorf("run %d: partition %d restored from the start of its changelog (0..%d), not from a checkpoint", run, p, r.End)
		}
		if r.Restored > r.End-r.Start {
			t.Errorf("run %d: partition %d replayed %d records from %d..%d", run, p, r.Restored, r.Start, r.End)
		}
	}
	t.Logf("run %d: replayed %d of %d changelog records (uncommitted tail at most %d)", run, replayed, changelog, uncommitted)
	if replayed > uncommitted {
		t.Errorf("run %d replayed %d changelog records, more than the %d inputs processed after the last commit", run, replayed, uncommitted)
	}
}

func helperLogger() *slog.Logger {
	if os.Getenv("RUNNEL_COUNT_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return discard()
}
