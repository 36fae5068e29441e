package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/runnel-dev/runnel/connect"
)

// SinkTask writes records to PostgreSQL. Each Put is one transaction, so a
// put either lands completely or not at all; Flush has nothing left to do.
type SinkTask struct {
	cfg     *sinkConfig
	tctx    connect.SinkTaskContext
	log     *slog.Logger
	w       *sinkWriter
	retries int // transient failures left before the task fails
}

// Version implements connect.SinkTask.
func (t *SinkTask) Version() string { return Version }

// Start implements connect.SinkTask: it parses the configuration and
// connects, failing with a message that says what to fix.
func (t *SinkTask) Start(ctx context.Context, tctx connect.SinkTaskContext, config map[string]string) error {
	cfg, err := parseSinkConfig(config)
	if err != nil {
		return err
	}
	t.cfg, t.tctx = cfg, tctx
	t.log = slog.Default()
	if tctx != nil && tctx.Logger() != nil {
		t.log = tctx.Logger()
	}
	cfg.conn.maxConns = 1 // one session: temporary staging tables live there
	pool, err := cfg.conn.connect(ctx, t.log)
	if err != nil {
		return err
	}
	t.w = newSinkWriter(cfg, pool, t.log)
	t.retries = cfg.maxRetries
	return nil
}

// Put implements connect.SinkTask.
func (t *SinkTask) Put(ctx context.Context, records []connect.SinkRecord) error {
	if len(records) == 0 {
		return nil
	}
	err := t.put(ctx, records)
	if err == nil {
		t.retries = t.cfg.maxRetries
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var fe *fatalError
	if !errors.As(err, &fe) {
		t.w.forgetTables() // the table may have changed under us
	}
	if isTransient(err) || tableChanged(err) {
		if t.retries > 0 {
			t.retries--
			t.log.Warn("write to PostgreSQL failed, the records will be redelivered", "retries_left", t.retries, "err", err)
			if t.tctx != nil {
				t.tctx.Timeout(t.cfg.retryDelay)
			}
			return connect.Retriable(err)
		}
		return fmt.Errorf("giving up after %d retries (max.retries): %w", t.cfg.maxRetries, err)
	}
	return err
}

func (t *SinkTask) put(ctx context.Context, records []connect.SinkRecord) error {
	plans, bad, err := t.w.plan(ctx, records)
	if err != nil {
		return err
	}
	for _, re := range bad {
		if err := t.report(ctx, re); err != nil {
			return err
		}
	}
	if len(plans) == 0 {
		return nil
	}
	err = t.w.write(ctx, plans)
	if err == nil || !isRecordError(err) {
		return err
	}
	// Some record does not fit: find it (them) and write the rest.
	t.log.Debug("batch rejected, writing record by record to find the bad ones", "err", err)
	return t.w.writeCareful(ctx, plans, func(re *recordError) error { return t.report(ctx, re) })
}

// tableChanged reports errors that mean the table changed under the
// connector (dropped, or a column removed): after forgetting the cached
// definition a redelivery may succeed (auto.create, auto.evolve).
func tableChanged(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "42P01" || pe.Code == "42703")
}

// report hands a record that cannot be written to the errant record
// reporter (dead letter queue, error log) or, without one, fails the put
// with an error naming the record.
func (t *SinkTask) report(ctx context.Context, re *recordError) error {
	var r connect.ErrantRecordReporter
	if t.tctx != nil {
		r = t.tctx.ErrantRecordReporter()
	}
	if r == nil {
		return re
	}
	return r.Report(ctx, re.rec, re)
}

// Flush implements connect.SinkTask. Put commits before returning, so the
// offsets passed here are already safe to commit.
func (t *SinkTask) Flush(context.Context, map[connect.TopicPartition]connect.OffsetAndMetadata) error {
	return nil
}

// Stop implements connect.SinkTask.
func (t *SinkTask) Stop() error {
	if t.w != nil {
		t.w.pool.Close()
	}
	return nil
}
