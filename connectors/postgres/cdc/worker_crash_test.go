package cdc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
	"github.com/runnel-dev/runnel/connect/convert"
	"github.com/runnel-dev/runnel/connect/transforms"
	"github.com/runnel-dev/runnel/connectors/postgres/cdc/unwrap"
	"github.com/runnel-dev/runnel/workers"
)

// The crash test re-runs this test binary as a standalone worker process
// (see TestMain) so that it can be killed with SIGKILL.
const (
	childEnv          = "RUNNEL_CDC_CHILD_WORKER"
	childBootstrapEnv = "RUNNEL_CDC_CHILD_BOOTSTRAP"
	childOffsetsEnv   = "RUNNEL_CDC_CHILD_OFFSETS"
	childConnectorEnv = "RUNNEL_CDC_CHILD_CONNECTOR"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChildWorker())
	}
	os.Exit(m.Run())
}

// runChildWorker runs a standalone worker with the CDC connector until it
// is killed.
func runChildWorker() int {
	ctx := context.Background()
	var connector map[string]string
	if err := json.Unmarshal([]byte(os.Getenv(childConnectorEnv)), &connector); err != nil {
		fmt.Fprintln(os.Stderr, "child: connector config:", err)
		return 2
	}
	cfg, err := workers.ParseWorkerConfig(map[string]string{
		"bootstrap.servers":            os.Getenv(childBootstrapEnv),
		"offset.storage.file.filename": os.Getenv(childOffsetsEnv),
		"offset.flush.interval.ms":     "300",
		"key.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":              "org.apache.kafka.connect.json.JsonConverter",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: worker config:", err)
		return 2
	}
	convs, xforms := convert.NewRegistry(), transforms.NewRegistry()
	unwrap.Register(xforms)
	plugins, err := workers.BuiltinPlugins(convs, xforms, Plugin())
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: plugins:", err)
		return 2
	}
	h, err := workers.NewStandalone(workers.StandaloneOptions{Config: cfg, Plugins: plugins, Converters: convs, Transforms: xforms, WorkerID: "child:0"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: herder:", err)
		return 2
	}
	if err := h.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child: start:", err)
		return 2
	}
	if _, _, err := h.PutConnectorConfig(ctx, "pg-cdc", connector, true, workers.TargetStarted); err != nil {
		fmt.Fprintln(os.Stderr, "child: create connector:", err)
		return 2
	}
	fmt.Fprintln(os.Stderr, "child: worker running")
	select {}
}

type childWorker struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	mu     sync.Mutex
}

func startChild(t *testing.T, bootstrap, offsets string, connector map[string]string) *childWorker {
	t.Helper()
	conf, _ := json.Marshal(connector)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childBootstrapEnv+"="+bootstrap, childOffsetsEnv+"="+offsets, childConnectorEnv+"="+string(conf))
	c := &childWorker{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = &lockedWriter{w: c.stderr, mu: &c.mu}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.kill() })
	return c
}

func (c *childWorker) kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		_ = c.cmd.Wait()
	}
}

func (c *childWorker) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestWorkerKilledDuringStreaming runs the connector in a real worker
// process, SIGKILLs it while rows are being inserted, and restarts it:
// every committed row must reach Kafka at least once, and the slot must
// catch up with the database afterwards.
func TestWorkerKilledDuringStreaming(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keyStatusInterval: "200"})
	h.db.Exec(t, `CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL)`)
	h.db.Exec(t, `INSERT INTO orders SELECT g, 'initial' FROM generate_series(1, 500) g`)
	br, err := broker.Start(context.Background(), broker.Config{AutoCreateTopics: true, DefaultPartitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	offsets := filepath.Join(t.TempDir(), "offsets")
	connector := map[string]string{"name": "pg-cdc", "tasks.max": "1"}
	for k, v := range h.props {
		connector[k] = v
	}

	// Insert rows, one transaction each, for the whole test.
	var written atomic.Int32
	written.Store(500)
	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				writerDone <- nil
				return
			default:
			}
			id := written.Load() + 1
			if _, err := h.db.Pool.Exec(context.Background(), `INSERT INTO orders VALUES ($1, 'live')`, id); err != nil {
				writerDone <- err
				return
			}
			written.Store(id)
			time.Sleep(time.Millisecond)
		}
	}()

	seen := map[int32]int{}
	cl, err := kgo.NewClient(kgo.SeedBrokers(br.Addr()), kgo.ConsumeTopics("srv.public.orders"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	consume := func(d time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			var v struct {
				Payload struct {
					After *struct {
						ID int32 `json:"id"`
					} `json:"after"`
				} `json:"payload"`
			}
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Fatalf("record %s: %v", r.Value, err)
			}
			if v.Payload.After != nil {
				seen[v.Payload.After.ID]++
			}
		})
	}

	child := startChild(t, br.Addr(), offsets, connector)
	deadline := time.Now().Add(60 * time.Second)
	for len(seen) < 1000 {
		if time.Now().After(deadline) {
			t.Fatalf("first worker delivered %d rows; its log:\n%s", len(seen), child.output())
		}
		consume(500 * time.Millisecond)
	}
	child.kill()
	beforeKill := len(seen)
	time.Sleep(300 * time.Millisecond) // rows committed while no worker runs
	child = startChild(t, br.Addr(), offsets, connector)
	time.Sleep(2 * time.Second)
	close(stop)
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	last := written.Load()
	walAfterWrites := h.currentWAL()

	deadline = time.Now().Add(60 * time.Second)
	for len(seen) < int(last) {
		if time.Now().After(deadline) {
			var missing []int32
			for id := int32(1); id <= last && len(missing) < 20; id++ {
				if seen[id] == 0 {
					missing = append(missing, id)
				}
			}
			t.Fatalf("after the crash, %d of %d rows arrived (missing e.g. %v); worker log:\n%s", len(seen), last, missing, child.output())
		}
		consume(500 * time.Millisecond)
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	t.Logf("rows=%d delivered before the kill=%d duplicates after restart=%d", last, beforeKill, dups)
	// The slot follows: the worker commits offsets every 300ms and the
	// slot is confirmed up to them, so it reaches the WAL written.
	waitFor(t, 30*time.Second, "the slot to catch up with the writes", func() bool { return h.confirmedFlush() >= walAfterWrites })
}

// TestWorkerRunsUnwrapTransform runs the connector with
// ExtractNewRecordState in a real worker: the topic holds plain rows.
func TestWorkerRunsUnwrapTransform(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data"})
	h.db.Exec(t, `CREATE TABLE items (id int PRIMARY KEY, name text)`)
	br, err := broker.Start(context.Background(), broker.Config{AutoCreateTopics: true, DefaultPartitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	connector := map[string]string{"name": "pg-cdc", "tasks.max": "1",
		"transforms": "unwrap", "transforms.unwrap.type": "ExtractNewRecordState",
		"transforms.unwrap.add.fields": "op,table", "transforms.unwrap.delete.tombstone.handling.mode": "rewrite"}
	for k, v := range h.props {
		connector[k] = v
	}
	child := startChild(t, br.Addr(), filepath.Join(t.TempDir(), "offsets"), connector)
	cl, err := kgo.NewClient(kgo.SeedBrokers(br.Addr()), kgo.ConsumeTopics("srv.public.items"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []string
	deadline := time.Now().Add(60 * time.Second)
	inserted := false
	for len(got) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("got %v; worker log:\n%s", got, child.output())
		}
		if !inserted {
			// The slot exists once the connector runs; rows written before
			// are not part of no_data mode, so write until the first shows.
			var n int
			_ = h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND active`, h.slot).Scan(&n)
			if n == 1 {
				h.db.Exec(t, `INSERT INTO items VALUES (1, 'one')`)
				h.db.Exec(t, `DELETE FROM items WHERE id = 1`)
				inserted = true
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
		cancel()
	}
	var rows []struct {
		Payload map[string]any `json:"payload"`
	}
	for _, v := range got {
		var r struct {
			Payload map[string]any `json:"payload"`
		}
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		rows = append(rows, r)
	}
	if p := rows[0].Payload; p["id"] != 1.0 || p["name"] != "one" || p["__op"] != "c" || p["__table"] != "items" || p["__deleted"] != "false" {
		t.Errorf("create row: %v", p)
	}
	if p := rows[1].Payload; p["id"] != 1.0 || p["__op"] != "d" || p["__deleted"] != "true" {
		t.Errorf("delete row: %v", p)
	}
}
