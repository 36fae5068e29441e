package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// demoMarker is the comment on the demo's orders table: the demo only ever
// drops an orders table that carries it, never one of the user's.
const demoMarker = "runnel examples/postgres demo table"

// database is the demo's side of PostgreSQL: it owns the orders table,
// makes the changes and reads both tables back.
type database struct {
	pool   *pgxpool.Pool
	target dbTarget
}

// openDatabase connects, failing fast and clearly when the server is not
// there.
func openDatabase(ctx context.Context, t dbTarget) (*database, error) {
	cfg, err := pgxpool.ParseConfig(t.url)
	if err != nil {
		return nil, fmt.Errorf("--postgres-url: %w", err)
	}
	cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s: %w\n"+
			"  start one with wal_level=logical (scripts/ensure-postgres.sh does it for the local server) or point --postgres-url at one", t.where(), err)
	}
	return &database{pool: pool, target: t}, nil
}

func (db *database) close() { db.pool.Close() }

// reset removes what an earlier run left: the orders and customer_totals
// tables and the connector's replication slot and publication, then
// creates an empty orders table. It refuses to touch tables it did not
// create.
func (db *database) reset(ctx context.Context, totalsTable, slot, publication string) error {
	var ordersExists, ours, totalsExists bool
	err := db.pool.QueryRow(ctx, `SELECT to_regclass('public.orders') IS NOT NULL,
		coalesce(obj_description(to_regclass('public.orders'), 'pg_class') = $1, false),
		to_regclass(quote_ident($2)) IS NOT NULL`, demoMarker, totalsTable).Scan(&ordersExists, &ours, &totalsExists)
	if err != nil {
		return fmt.Errorf("looking for earlier demo tables: %w", err)
	}
	if ordersExists && !ours {
		return fmt.Errorf("database %s already has a table public.orders that this demo did not create; point --postgres-url at another database", db.target.where())
	}
	if totalsExists && !ordersExists {
		return fmt.Errorf("database %s already has a table %s that this demo did not create; point --postgres-url at another database", db.target.where(), totalsTable)
	}
	if err := db.dropSlot(ctx, slot, false); err != nil {
		return err
	}
	stmts := []string{
		"DROP PUBLICATION IF EXISTS " + pgx.Identifier{publication}.Sanitize(),
		"DROP TABLE IF EXISTS public.orders",
		"DROP TABLE IF EXISTS " + pgx.Identifier{totalsTable}.Sanitize(),
		`CREATE TABLE public.orders (
			id          bigserial PRIMARY KEY,
			customer_id bigint NOT NULL,
			amount      numeric(12,2) NOT NULL,
			status      text NOT NULL DEFAULT 'new',
			created_at  timestamptz NOT NULL DEFAULT now()
		)`,
		"COMMENT ON TABLE public.orders IS '" + demoMarker + "'",
	}
	for _, s := range stmts {
		if _, err := db.pool.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// dropSlot drops the connector's replication slot, if there is one. A
// slot left behind would make the server keep WAL forever. Slot names are
// server-wide, so a slot of another database is reported, not dropped.
// With wait, a slot still in use is retried for a few seconds (the
// replication connection of a stopping connector takes a moment to end).
func (db *database) dropSlot(ctx context.Context, slot string, wait bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var active bool
		var dbname string
		err := db.pool.QueryRow(ctx, `SELECT active, coalesce(database, '') FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&active, &dbname)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return nil
		case err != nil:
			return fmt.Errorf("looking for replication slot %s: %w", slot, err)
		case dbname != db.target.dbname:
			return fmt.Errorf("replication slot %q belongs to database %q, not %q: change slot.name in orders-cdc-source.json, or drop it there with SELECT pg_drop_replication_slot('%s')",
				slot, dbname, db.target.dbname, slot)
		case active && (!wait || time.Now().After(deadline)):
			return fmt.Errorf("replication slot %q is in use by another process (is a demo already running?)", slot)
		case active:
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if _, err := db.pool.Exec(ctx, `SELECT pg_drop_replication_slot($1)`, slot); err != nil {
			return fmt.Errorf("dropping replication slot %s: %w", slot, err)
		}
		return nil
	}
}

// apply runs one step's statements in one transaction.
func (db *database) apply(ctx context.Context, stmts []string) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
}

// totals is customer id -> (order count, total).
type totals map[int64]Revenue

// truth is what customer_totals must converge to, straight from orders.
func (db *database) truth(ctx context.Context) (totals, error) {
	return db.readTotals(ctx, `SELECT customer_id, count(*), sum(amount)::text FROM public.orders GROUP BY customer_id`)
}

// sinkTotals reads the table the sink maintains; a table the sink has not
// created yet reads as empty.
func (db *database) sinkTotals(ctx context.Context, table string) (totals, error) {
	t, err := db.readTotals(ctx, "SELECT customer_id, order_count, total::text FROM "+pgx.Identifier{table}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return totals{}, nil
	}
	return t, err
}

func (db *database) readTotals(ctx context.Context, query string) (totals, error) {
	rows, err := db.pool.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	out := totals{}
	for rows.Next() {
		var id, n int64
		var sum string
		if err := rows.Scan(&id, &n, &sum); err != nil {
			return nil, err
		}
		c, err := ParseCents(sum)
		if err != nil {
			return nil, err
		}
		out[id] = Revenue{Orders: n, Total: c}
	}
	return out, rows.Err()
}
