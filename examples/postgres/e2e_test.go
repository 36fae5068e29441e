package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/pgtest"
)

// The pipeline end to end against the real PostgreSQL and the bundled
// broker: the demo's steps (inserts, an amount change, a customer change,
// deletes) each converge, and afterwards customer_totals, read here
// independently, equals the SQL truth. A customer whose orders are all
// deleted has no row: the aggregate's subtractor returns null, which
// Kafka's KTable semantics turn into a tombstone and the sink into a DELETE.
func TestPipelineEndToEnd(t *testing.T) {
	db := pgtest.New(t)
	out := runPipeline(t, db, demoSteps)
	if !strings.Contains(out, "== done: customer_totals matches the orders table after every step") {
		t.Fatalf("no completion line:\n%s", out)
	}
	for i := range demoSteps {
		if !strings.Contains(out, fmt.Sprintf("== step %d/%d", i+1, len(demoSteps))) {
			t.Errorf("step %d is not in the output:\n%s", i+1, out)
		}
	}
	want := totals{101: {Orders: 2, Total: 6200}, 102: {Orders: 1, Total: 9999}, 104: {Orders: 1, Total: 1234}}
	assertTotals(t, db.URL, want)

	// The demo drops its replication slot when it ends, so the server
	// does not keep WAL for it.
	var slots int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1`, db.Name).Scan(&slots); err != nil || slots != 0 {
		t.Errorf("replication slots left: %d, %v", slots, err)
	}

	// auto.create made the table from the records' Connect schemas, with
	// the record key as primary key.
	var cols string
	err := db.Pool.QueryRow(context.Background(), `SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
			CASE WHEN i.indisprimary THEN ' pk' ELSE '' END, ', ' ORDER BY a.attname)
		FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY(i.indkey)
		WHERE a.attrelid = 'customer_totals'::regclass AND a.attnum > 0 AND NOT a.attisdropped`).Scan(&cols)
	if err != nil {
		t.Fatal(err)
	}
	if cols != "customer_id bigint pk, order_count bigint, total numeric" {
		t.Errorf("customer_totals columns: %s", cols)
	}
}

// Random changes, applied in bursts while the pipeline is busy:
// inserts, amount changes, customer changes (with and without a new
// amount), primary key changes (a delete and an insert for the CDC
// source) and deletes, spread over a few customers so that customers
// empty out and come back.
func TestPipelineRandomChanges(t *testing.T) {
	db := pgtest.New(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	steps := randomSteps(rand.New(rand.NewPCG(seed, seed>>1)), 25)
	runPipeline(t, db, steps)

	want, err := (&database{pool: db.Pool}).truth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatal("the random steps left no orders; the test compares nothing")
	}
	assertTotals(t, db.URL, want)
}

// An unreachable server stops the demo at once with a message that says
// what to do, before anything is started.
func TestUnreachablePostgres(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := filepath.Join(t.TempDir(), "demo")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = runDemo(ctx, demoConfig{postgresURL: "postgres://runnel:secret@" + addr + "/shop", dataDir: dir, stepTimeout: time.Minute, out: &bytes.Buffer{}, logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL at runnel@"+addr+"/shop") || !strings.Contains(err.Error(), "wal_level=logical") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the password is in the message: %v", err)
	}
	if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
		t.Errorf("the demo started before finding the database: %s exists", dir)
	}
}

// A server the CDC connector cannot use (here: a user without the
// REPLICATION attribute; likewise wal_level other than logical) stops the
// demo with the connector's own explanation.
func TestConnectorRefusalIsSurfaced(t *testing.T) {
	admin := pgtest.AdminURL(t)
	role := fmt.Sprintf("rt_norepl_%d", time.Now().UnixNano()%1_000_000_000)
	execAdmin(t, admin, "CREATE ROLE "+role+" LOGIN PASSWORD 'pw' NOREPLICATION")
	t.Cleanup(func() { execAdmin(t, admin, "DROP ROLE IF EXISTS "+role) }) // after the database is gone
	db := pgtest.New(t)
	execAdmin(t, admin, "ALTER DATABASE "+db.Name+" OWNER TO "+role)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := runDemo(ctx, demoConfig{postgresURL: fmt.Sprintf("postgres://%s:pw@%s/%s?sslmode=disable", role, hostPort(t, admin), db.Name),
		dataDir: filepath.Join(t.TempDir(), "demo"), restURL: "http://127.0.0.1:0", slotName: db.Name, stepTimeout: time.Minute,
		steps: demoSteps, out: &out, logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "connector orders-cdc") || !strings.Contains(err.Error(), "REPLICATION attribute") {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
	t.Log(err)
}

// runPipeline runs the demo with steps against db and returns what it
// printed. The replication slot is named after the database, so tests and
// demos on the same server keep out of each other's way.
func runPipeline(t *testing.T, db *pgtest.DB, steps []step) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out syncBuffer
	logs := &syncBuffer{}
	err := runDemo(ctx, demoConfig{
		postgresURL: db.URL, dataDir: filepath.Join(t.TempDir(), "demo"), restURL: "http://127.0.0.1:0", slotName: db.Name,
		stepTimeout: time.Minute, steps: steps, out: &out,
		logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		t.Fatalf("runDemo: %v\noutput:\n%s\nlogs:\n%s", err, out.String(), logs.String())
	}
	return out.String()
}

// assertTotals reads customer_totals on its own connection.
func assertTotals(t *testing.T, url string, want totals) {
	t.Helper()
	target, err := parseDBTarget(url)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openDatabase(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()
	got, err := db.sinkTotals(context.Background(), "customer_totals")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("customer_totals:\n%s\nwant:\n%s", formatTotals(got), formatTotals(want))
	}
}

// randomSteps builds n transactions of random changes over a model of the
// orders table, so every statement touches a row that exists.
func randomSteps(r *rand.Rand, n int) []step {
	orders := map[int64]bool{}
	nextID := int64(1)
	customer := func() int64 { return 1 + r.Int64N(8) }
	amount := func() string { return Cents(r.Int64N(200_000) - 10_000).String() }
	pick := func() int64 {
		ids := slices.Sorted(maps.Keys(orders))
		return ids[r.IntN(len(ids))]
	}
	steps := make([]step, n)
	for i := range steps {
		var sql []string
		for range 1 + r.IntN(8) {
			op := r.IntN(100)
			if len(orders) == 0 || op < 35 {
				sql = append(sql, fmt.Sprintf("INSERT INTO orders (id, customer_id, amount) VALUES (%d, %d, %s)", nextID, customer(), amount()))
				orders[nextID] = true
				nextID++
				continue
			}
			id := pick()
			switch {
			case op < 55:
				sql = append(sql, fmt.Sprintf("UPDATE orders SET amount = %s WHERE id = %d", amount(), id))
			case op < 70:
				sql = append(sql, fmt.Sprintf("UPDATE orders SET customer_id = %d WHERE id = %d", customer(), id))
			case op < 80:
				sql = append(sql, fmt.Sprintf("UPDATE orders SET customer_id = %d, amount = %s WHERE id = %d", customer(), amount(), id))
			case op < 85:
				sql = append(sql, fmt.Sprintf("UPDATE orders SET id = %d WHERE id = %d", nextID, id))
				delete(orders, id)
				orders[nextID] = true
				nextID++
			default:
				sql = append(sql, fmt.Sprintf("DELETE FROM orders WHERE id = %d", id))
				delete(orders, id)
			}
		}
		// Wait now and then: changes the app sees between two commits are
		// coalesced by its record cache, so only waiting makes later
		// changes subtract from totals already written.
		steps[i] = step{title: fmt.Sprintf("random changes %d", i+1), sql: sql, noWait: i%5 != 4}
	}
	return steps
}

func execAdmin(t *testing.T, url, sql string) {
	t.Helper()
	target, err := parseDBTarget(url)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openDatabase(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.close()
	if _, err := db.pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func hostPort(t *testing.T, url string) string {
	t.Helper()
	target, err := parseDBTarget(url)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(target.host, target.port)
}

// syncBuffer is a bytes.Buffer safe for the loggers' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
