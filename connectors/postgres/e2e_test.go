package postgres_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/broker"
	"github.com/runnel-dev/runnel/connect/convert"
	"github.com/runnel-dev/runnel/connect/transforms"
	"github.com/runnel-dev/runnel/internal/pgtest"
	"github.com/runnel-dev/runnel/workers"
)

// TestEndToEndThroughWorker (an external test package, so that workers
// may register these connectors without an import cycle) copies a table through Kafka with both
// connectors running in a standalone worker: the polling source reads new
// rows into a topic (JSON with schemas) and the sink upserts them into
// another table, which auto.create makes.
func TestEndToEndThroughWorker(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE accounts (id serial PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL, opened timestamptz NOT NULL DEFAULT now())`)
	db.Exec(t, `INSERT INTO accounts (owner, balance) SELECT 'owner ' || g, g * 10.01 FROM generate_series(1, 500) g`)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := broker.Start(ctx, broker.Config{AutoCreateTopics: true, DefaultPartitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg, err := workers.ParseWorkerConfig(map[string]string{
		"bootstrap.servers":            b.Addr(),
		"key.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":              "org.apache.kafka.connect.json.JsonConverter",
		"offset.storage.file.filename": filepath.Join(t.TempDir(), "connect.offsets"),
		"offset.flush.interval.ms":     "200",
	})
	if err != nil {
		t.Fatal(err)
	}
	convs := convert.NewRegistry()
	xforms := transforms.NewRegistry()
	plugins, err := workers.BuiltinPlugins(convs, xforms)
	if err != nil {
		t.Fatal(err)
	}
	loggers := workers.NewLoggers(slog.NewTextHandler(&testLog{t}, nil), slog.LevelWarn)
	h, err := workers.NewStandalone(workers.StandaloneOptions{Config: cfg, Plugins: plugins, Converters: convs, Transforms: xforms, Loggers: loggers, WorkerID: "test:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())

	if _, _, err := h.PutConnectorConfig(ctx, "pg-source", map[string]string{
		"name": "pg-source", "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "tasks.max": "1",
		"connection.url": "jdbc:" + strings.Replace(db.URL, "postgres://", "postgresql://", 1), "mode": "incrementing",
		"table.whitelist": "accounts", "topic.prefix": "db-", "poll.interval.ms": "100", "batch.max.rows": "200",
	}, false, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.PutConnectorConfig(ctx, "pg-sink", map[string]string{
		"name": "pg-sink", "connector.class": "PostgresSink", "tasks.max": "1", "topics": "db-accounts",
		"connection.url": db.URL, "insert.mode": "upsert", "pk.mode": "record_value", "pk.fields": "id",
		"auto.create": "true", "table.name.format": "copy_of_${topic}",
	}, false, ""); err != nil {
		t.Fatal(err)
	}
	waitCopy := func(want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var n int
			err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM "copy_of_db-accounts"`).Scan(&n)
			if err == nil && n == want {
				return
			}
			if time.Now().After(deadline) {
				st, _ := h.ConnectorStatus(ctx, "pg-sink")
				st2, _ := h.ConnectorStatus(ctx, "pg-source")
				t.Fatalf("copy has %d rows (err %v), want %d; sink %+v source %+v", n, err, want, st, st2)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitCopy(500)
	db.Exec(t, `INSERT INTO accounts (owner, balance) VALUES ('late', 1.5)`)
	waitCopy(501)
	var diff int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM (
		SELECT id, owner, balance, date_trunc('milliseconds', opened) FROM accounts
		EXCEPT SELECT id, owner, balance, opened AT TIME ZONE 'UTC' FROM "copy_of_db-accounts") d`).Scan(&diff); err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Fatalf("%d rows differ between the table and its copy", diff)
	}
	var typ string
	_ = db.Pool.QueryRow(ctx, `SELECT data_type FROM information_schema.columns WHERE table_name = 'copy_of_db-accounts' AND column_name = 'balance'`).Scan(&typ)
	if typ != "numeric" {
		t.Fatalf("balance column is %s", typ)
	}
}

type testLog struct{ t *testing.T }

func (w *testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
