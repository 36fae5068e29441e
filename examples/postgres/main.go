// Command postgres is Runnel's PostgreSQL pipeline in one process: change
// data capture from an orders table, a streams app keeping the revenue per
// customer, and a JDBC sink writing it to a customer_totals table.
//
//	go run ./examples/postgres [--postgres-url postgres://user:pass@host:5432/db] [--follow]
//
// It starts the bundled broker (data under .demo/postgres, wiped at
// start), a standalone Connect worker with the REST API on port 8083 (or
// a free port) running orders-cdc-source.json and
// customer-totals-sink.json, and the streams app. Then it changes the
// orders table step by step and prints customer_totals after each step
// until it equals SELECT customer_id, count(*), sum(amount) FROM orders
// GROUP BY customer_id. With --follow it keeps running for you to change
// orders yourself.
//
// The database needs wal_level=logical and a user with the REPLICATION
// attribute; the demo creates (and on the next run drops) the table
// orders, the table customer_totals (created by the sink), and the
// connector's replication slot and publication.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const defaultPostgresURL = "postgres://runnel:runnel@127.0.0.1:5432/postgres"

func main() {
	url := os.Getenv("RUNNEL_TEST_POSTGRES_URL")
	if url == "" {
		url = defaultPostgresURL
	}
	postgresURL := flag.String("postgres-url", url, "the database to use, as a postgres:// URL (default: $RUNNEL_TEST_POSTGRES_URL, else "+defaultPostgresURL+")")
	follow := flag.Bool("follow", false, "keep running after the scripted steps, printing customer_totals as it changes, until Ctrl-C")
	dataDir := flag.String("data-dir", ".demo/postgres", "where the bundled broker, the Connect offsets and the streams state live (wiped at start)")
	timeout := flag.Duration("step-timeout", time.Minute, "how long one step may take to reach the expected totals")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	err := runDemo(ctx, demoConfig{
		postgresURL: *postgresURL, dataDir: *dataDir, follow: *follow, stepTimeout: *timeout,
		steps: demoSteps, out: os.Stdout, logger: logger,
	})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "postgres demo:", err)
		stop()
		os.Exit(1) //nolint:gocritic // every deferred close already ran in runDemo
	}
}
