package postgres

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/internal/pgtest"
)

// sinkCtx is a SinkTaskContext recording what the task asks of the runtime.
type sinkCtx struct {
	mu       sync.Mutex
	reporter *reporter
	timeout  time.Duration
}

func (c *sinkCtx) Offset(map[connect.TopicPartition]int64) {}
func (c *sinkCtx) Timeout(d time.Duration)                 { c.mu.Lock(); c.timeout = d; c.mu.Unlock() }
func (c *sinkCtx) Assignment() []connect.TopicPartition    { return nil }
func (c *sinkCtx) Pause(...connect.TopicPartition)         {}
func (c *sinkCtx) Resume(...connect.TopicPartition)        {}
func (c *sinkCtx) RequestCommit()                          {}
func (c *sinkCtx) Logger() *slog.Logger                    { return slog.Default() }
func (c *sinkCtx) ErrantRecordReporter() connect.ErrantRecordReporter {
	if c.reporter == nil {
		return nil
	}
	return c.reporter
}

// reporter is an ErrantRecordReporter with errors.tolerance=all.
type reporter struct {
	mu   sync.Mutex
	recs []connect.SinkRecord
	errs []error
}

func (r *reporter) Report(_ context.Context, rec *connect.SinkRecord, err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, *rec)
	r.errs = append(r.errs, err)
	return nil
}

func (r *reporter) offsets() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, rec := range r.recs {
		out = append(out, rec.Offset)
	}
	return out
}

func sinkProps(db *pgtest.DB, kv ...string) map[string]string {
	p := map[string]string{"name": "test-sink", "connection.url": db.URL, "connection.attempts": "1"}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return p
}

// startSink starts a sink task and stops it at cleanup.
func startSink(t *testing.T, tctx connect.SinkTaskContext, props map[string]string) *SinkTask {
	t.Helper()
	task := (&SinkConnector{}).NewTask().(*SinkTask)
	if err := task.Start(context.Background(), tctx, props); err != nil {
		t.Fatalf("start sink: %v", err)
	}
	t.Cleanup(func() { _ = task.Stop() })
	return task
}

func put(t *testing.T, task *SinkTask, recs ...connect.SinkRecord) {
	t.Helper()
	if err := task.Put(context.Background(), recs); err != nil {
		t.Fatalf("put: %v", err)
	}
}

// queryRows returns all rows of a query as strings (NULL as "<nil>").
func queryRows(t *testing.T, db *pgtest.DB, sql string, args ...any) [][]any {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, db *pgtest.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
