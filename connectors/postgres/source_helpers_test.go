package postgres

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/runnel-dev/runnel/internal/pgtest"
)

// offsetStore is an in-memory offset store keyed like Kafka's (the
// partition's JSON), fed from emitted records as a worker would after
// they are acknowledged.
type offsetStore struct {
	mu sync.Mutex
	m  map[string]map[string]any
}

func newOffsetStore() *offsetStore { return &offsetStore{m: map[string]map[string]any{}} }

func partKey(p map[string]any) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// commit stores the offsets of records, round-tripped through JSON as a
// real offsets topic would (numbers come back as float64).
func (s *offsetStore) commit(recs []connect.SourceRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		if r.SourceOffset == nil {
			continue
		}
		b, _ := json.Marshal(r.SourceOffset)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		s.m[partKey(r.SourcePartition)] = m
	}
}

func (s *offsetStore) Offset(_ context.Context, p map[string]any) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[partKey(p)], nil
}

func (s *offsetStore) Offsets(ctx context.Context, ps []map[string]any) ([]map[string]any, error) {
	out := make([]map[string]any, len(ps))
	for i, p := range ps {
		out[i], _ = s.Offset(ctx, p)
	}
	return out, nil
}

type sourceCtx struct{ store *offsetStore }

func (c *sourceCtx) OffsetStorageReader() connect.OffsetStorageReader { return c.store }
func (c *sourceCtx) Logger() *slog.Logger                             { return slog.Default() }

func sourceProps(db *pgtest.DB, kv ...string) map[string]string {
	p := map[string]string{"name": "test-source", "connection.url": db.URL, "connection.attempts": "1",
		"topic.prefix": "pg-", "poll.interval.ms": "50"}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return p
}

func startSource(t *testing.T, store *offsetStore, props map[string]string) *SourceTask {
	t.Helper()
	task := &SourceTask{}
	if err := task.Start(context.Background(), &sourceCtx{store: store}, props); err != nil {
		t.Fatalf("start source: %v", err)
	}
	t.Cleanup(func() { _ = task.Stop() })
	return task
}

// pollUntil polls until want records arrived (committing their offsets),
// failing after a timeout; it then polls a little more to catch extras.
func pollUntil(t *testing.T, task *SourceTask, store *offsetStore, want int) []connect.SourceRecord {
	t.Helper()
	var out []connect.SourceRecord
	deadline := time.Now().Add(10 * time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		store.commit(recs)
		out = append(out, recs...)
	}
	if len(out) < want {
		t.Fatalf("got %d records, want %d", len(out), want)
	}
	return out
}

// pollQuiet polls for d and returns what arrives (expected: nothing new).
func pollQuiet(t *testing.T, task *SourceTask, store *offsetStore, d time.Duration) []connect.SourceRecord {
	t.Helper()
	var out []connect.SourceRecord
	for end := time.Now().Add(d); time.Now().Before(end); {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		store.commit(recs)
		out = append(out, recs...)
	}
	return out
}

func field(t *testing.T, r connect.SourceRecord, name string) any {
	t.Helper()
	v, err := r.Value.(*data.Struct).Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ids(t *testing.T, recs []connect.SourceRecord) []int64 {
	t.Helper()
	var out []int64
	for _, r := range recs {
		switch v := field(t, r, "id").(type) {
		case int32:
			out = append(out, int64(v))
		case int64:
			out = append(out, v)
		}
	}
	return out
}
