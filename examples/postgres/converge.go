package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// truthQuery is what customer_totals must equal once the pipeline has
// caught up.
const truthQuery = "SELECT customer_id, count(*), sum(amount) FROM orders GROUP BY customer_id"

// watcher polls customer_totals and prints each state it sees.
type watcher struct {
	db      *database
	table   string
	out     io.Writer
	timeout time.Duration
	// healthy reports a failed connector, task or streams app, so a broken
	// pipeline stops the wait with its cause instead of a timeout.
	healthy func(context.Context) error

	last totals // the state printed last
}

// converge waits until customer_totals equals the SQL truth, printing the
// table each time it changes.
func (w *watcher) converge(ctx context.Context) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	for {
		want, err := w.db.truth(ctx)
		if err != nil {
			return w.stopped(ctx, err)
		}
		got, err := w.db.sinkTotals(ctx, w.table)
		if err != nil {
			return w.stopped(ctx, err)
		}
		if !maps.Equal(got, w.last) {
			fmt.Fprintf(w.out, "   %s after %.1fs:\n", w.table, time.Since(start).Seconds())
			printTotals(w.out, got)
			w.last = got
		}
		if maps.Equal(got, want) {
			fmt.Fprintf(w.out, "   = %s (%.1fs)\n", truthQuery, time.Since(start).Seconds())
			return nil
		}
		if err := w.healthy(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s did not converge within %v:\n%s\nwant (%s):\n%s",
					w.table, w.timeout, formatTotals(got), truthQuery, formatTotals(want))
			}
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// follow prints customer_totals whenever it changes, until ctx ends.
func (w *watcher) follow(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
		if err := w.healthy(ctx); err != nil {
			return err
		}
		got, err := w.db.sinkTotals(ctx, w.table)
		if err != nil {
			return w.stopped(ctx, err)
		}
		if !maps.Equal(got, w.last) {
			fmt.Fprintf(w.out, "%s %s:\n", time.Now().Format(time.TimeOnly), w.table)
			printTotals(w.out, got)
			w.last = got
		}
	}
}

// stopped turns a query cancelled by ctx into ctx's error.
func (w *watcher) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func printTotals(out io.Writer, t totals) { fmt.Fprint(out, formatTotals(t)) }

// formatTotals lays the rows out as psql would, indented.
func formatTotals(t totals) string {
	var b strings.Builder
	fmt.Fprintf(&b, "     %11s | %11s | %10s\n", "customer_id", "order_count", "total")
	if len(t) == 0 {
		b.WriteString("     (no rows)\n")
	}
	for _, id := range slices.Sorted(maps.Keys(t)) {
		fmt.Fprintf(&b, "     %11d | %11d | %10s\n", id, t[id].Orders, t[id].Total)
	}
	return b.String()
}
