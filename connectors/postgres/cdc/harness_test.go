package cdc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/internal/pgtest"
)

// memOffsets is an offset store as the worker keeps one: offsets go
// through JSON, so numbers come back as int64.
type memOffsets struct {
	mu sync.Mutex
	m  map[string][]byte
}

func partitionKey(p map[string]any) string {
	b, _ := json.Marshal(p)
	return string(b)
}

func (o *memOffsets) Offset(_ context.Context, partition map[string]any) (map[string]any, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.m[partitionKey(partition)]
	if !ok {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	for k, v := range m {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				m[k] = i
			}
		}
	}
	return m, nil
}

func (o *memOffsets) Offsets(ctx context.Context, ps []map[string]any) ([]map[string]any, error) {
	out := make([]map[string]any, len(ps))
	for i, p := range ps {
		m, err := o.Offset(ctx, p)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

func (o *memOffsets) store(partition, offset map[string]any) {
	b, err := json.Marshal(offset)
	if err != nil {
		panic(err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string][]byte{}
	}
	o.m[partitionKey(partition)] = b
}

type fakeTaskContext struct {
	offsets *memOffsets
	log     *slog.Logger
}

func (c *fakeTaskContext) OffsetStorageReader() connect.OffsetStorageReader { return c.offsets }
func (c *fakeTaskContext) Logger() *slog.Logger                             { return c.log }

// harness drives a Task as the worker would: Poll, then per acknowledged
// record CommitRecord, an offset flush, and Commit.
type harness struct {
	t       testing.TB
	db      *pgtest.DB
	props   map[string]string
	offsets *memOffsets
	task    *Task
	slot    string
	pub     string
}

var testLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// newHarness creates a fresh database with a unique slot and publication;
// the slot is dropped when the test ends.
func newHarness(t *testing.T, db *pgtest.DB, extra map[string]string) *harness {
	t.Helper()
	return newHarnessDB(t, db, extra)
}

func newHarnessTB(tb testing.TB, extra map[string]string) *harness {
	tb.Helper()
	return newHarnessDB(tb, nil, extra)
}

func newHarnessDB(t testing.TB, db *pgtest.DB, extra map[string]string) *harness {
	t.Helper()
	if db == nil {
		db = pgtest.New(t)
	}
	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := u.User.Password()
	h := &harness{t: t, db: db, offsets: &memOffsets{}, slot: "s_" + db.Name[len(db.Name)-12:], pub: "p_" + db.Name[len(db.Name)-12:]}
	h.props = map[string]string{
		"connector.class":  ConnectorClass,
		"tasks.max":        "1",
		keyHostname:        u.Hostname(),
		keyPort:            u.Port(),
		keyUser:            u.User.Username(),
		keyPassword:        pass,
		keyDBName:          strings.TrimPrefix(u.Path, "/"),
		keySSLMode:         "disable",
		keyTopicPrefix:     "srv",
		keySlotName:        h.slot,
		keyPublicationName: h.pub,
		keyStatusInterval:  "100",
		keyPollInterval:    "100",
	}
	maps.Copy(h.props, extra)
	t.Cleanup(func() {
		h.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for {
			_, err := db.Pool.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, h.slot)
			if err == nil || ctx.Err() != nil {
				if err != nil {
					t.Errorf("dropping slot %s: %v", h.slot, err)
				}
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return h
}

func (h *harness) start() error {
	h.t.Helper()
	h.stop()
	task := NewTask()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := task.Start(ctx, &fakeTaskContext{offsets: h.offsets, log: testLogger}, h.props); err != nil {
		return err
	}
	h.task = task
	return nil
}

func (h *harness) mustStart() {
	h.t.Helper()
	if err := h.start(); err != nil {
		h.t.Fatalf("Start: %v", err)
	}
}

func (h *harness) stop() {
	if h.task != nil {
		if err := h.task.Stop(); err != nil {
			h.t.Errorf("Stop: %v", err)
		}
		h.task = nil
	}
}

// poll collects records until done returns true or the timeout passes.
func (h *harness) poll(timeout time.Duration, done func([]connect.SourceRecord) bool) []connect.SourceRecord {
	h.t.Helper()
	var all []connect.SourceRecord
	deadline := time.Now().Add(timeout)
	for !done(all) {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %v with %d records: %s", timeout, len(all), describe(all))
		}
		recs, err := h.task.Poll(context.Background())
		if err != nil {
			h.t.Fatalf("Poll: %v", err)
		}
		all = append(all, recs...)
	}
	return all
}

// pollN collects at least n records that are not heartbeats.
func (h *harness) pollN(n int) []connect.SourceRecord {
	h.t.Helper()
	var data []connect.SourceRecord
	h.poll(30*time.Second, func(all []connect.SourceRecord) bool {
		data = data[:0]
		for _, r := range all {
			if !strings.HasPrefix(r.Topic, "__debezium-heartbeat") {
				data = append(data, r)
			}
		}
		return len(data) >= n
	})
	return data
}

// ack acknowledges records as the worker does after Kafka accepted them:
// CommitRecord each, flush the last offset, then Commit.
func (h *harness) ack(recs []connect.SourceRecord) {
	h.t.Helper()
	for i := range recs {
		md := &connect.RecordMetadata{Topic: recs[i].Topic, Offset: int64(i)}
		if rc, ok := any(h.task).(connect.SourceRecordCommitter); ok {
			if err := rc.CommitRecord(&recs[i], md); err != nil {
				h.t.Fatalf("CommitRecord: %v", err)
			}
		}
	}
	if len(recs) > 0 {
		last := recs[len(recs)-1]
		h.offsets.store(last.SourcePartition, last.SourceOffset)
	}
	if err := h.task.Commit(context.Background()); err != nil {
		h.t.Fatalf("Commit: %v", err)
	}
}

// dropSlot drops the slot, waiting for the server to release it (a
// walsender outlives its client's disconnection by a moment).
func (h *harness) dropSlot() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := dropSlotWhenFree(ctx, mustConn(h.t, h.db), h.slot); err != nil {
		h.t.Fatalf("dropping slot: %v", err)
	}
}

func mustConn(tb testing.TB, db *pgtest.DB) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), db.URL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// confirmedFlush reads the slot's confirmed_flush_lsn.
func (h *harness) confirmedFlush() uint64 {
	h.t.Helper()
	var s string
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1`, h.slot).Scan(&s); err != nil {
		h.t.Fatalf("reading slot: %v", err)
	}
	lsn, err := pglogrepl.ParseLSN(s)
	if err != nil {
		h.t.Fatal(err)
	}
	return uint64(lsn)
}

func (h *harness) currentWAL() uint64 {
	h.t.Helper()
	var s string
	if err := h.db.Pool.QueryRow(context.Background(), `SELECT pg_current_wal_lsn()::text`).Scan(&s); err != nil {
		h.t.Fatal(err)
	}
	lsn, _ := pglogrepl.ParseLSN(s)
	return uint64(lsn)
}

func describe(recs []connect.SourceRecord) string {
	var b strings.Builder
	for i, r := range recs {
		if i == 20 {
			fmt.Fprintf(&b, "... (%d more)", len(recs)-20)
			break
		}
		fmt.Fprintf(&b, "\n  %s key=%v value=%v", r.Topic, r.Key, r.Value)
	}
	return b.String()
}
