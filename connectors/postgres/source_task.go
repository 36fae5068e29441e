package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/runnel-dev/runnel/connect"
)

// SourceTask polls its share of the tables (or the custom query).
type SourceTask struct {
	cfg      *sourceConfig
	log      *slog.Logger
	pool     *pgxpool.Pool
	queriers []*tableQuerier
	active   *tableQuerier // the querier whose result set is open
}

// Version implements connect.SourceTask.
func (t *SourceTask) Version() string { return Version }

// Start implements connect.SourceTask: it connects, checks the tables'
// offset columns and loads the stored offsets.
func (t *SourceTask) Start(ctx context.Context, tctx connect.SourceTaskContext, config map[string]string) error {
	cfg, err := parseSourceConfig(config)
	if err != nil {
		return err
	}
	t.cfg = cfg
	t.log = slog.Default()
	if tctx != nil && tctx.Logger() != nil {
		t.log = tctx.Logger()
	}
	cfg.conn.maxConns = 2
	pool, err := cfg.conn.connect(ctx, t.log)
	if err != nil {
		return err
	}
	t.pool = pool
	if err := t.setup(ctx, tctx, config); err != nil {
		pool.Close()
		return err
	}
	return nil
}

func (t *SourceTask) setup(ctx context.Context, tctx connect.SourceTaskContext, config map[string]string) error {
	var db string
	if err := t.pool.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return err
	}
	if t.cfg.query != "" {
		q := &tableQuerier{cfg: t.cfg, topic: t.cfg.topicPrefix, partition: map[string]any{partitionQuery: partitionQuery},
			incCol: t.cfg.incrementing, tsCols: t.cfg.timestampCols}
		q.buildSQL()
		t.queriers = append(t.queriers, q)
	} else {
		var tables []tableID
		if raw := config[cfgTaskTables]; raw != "" {
			if err := json.Unmarshal([]byte(raw), &tables); err != nil {
				return fmt.Errorf("task config %q is not a JSON list of tables: %w", cfgTaskTables, err)
			}
		} else {
			found, err := listTables(ctx, t.pool, t.cfg, db)
			if err != nil {
				return err
			}
			tables = found
		}
		for _, id := range tables {
			q, err := t.tableQuerier(ctx, db, id)
			if err != nil {
				return err
			}
			t.queriers = append(t.queriers, q)
		}
	}
	return t.loadOffsets(ctx, tctx, db)
}

// tableQuerier checks a table's offset columns (detecting a serial or
// identity column when incrementing.column.name is empty) and builds its
// querier.
func (t *SourceTask) tableQuerier(ctx context.Context, db string, id tableID) (*tableQuerier, error) {
	cfg := t.cfg
	q := &tableQuerier{cfg: cfg, table: &id, topic: cfg.topicPrefix + id.name, schemaName: id.name,
		incCol: cfg.incrementing, tsCols: cfg.timestampCols,
		partition: map[string]any{partitionProtocol: protocolV1, partitionTable: db + "." + id.schema + "." + id.name}}
	if cfg.mode == modeIncrementing || cfg.mode == modeTimestampIncrementing {
		if q.incCol == "" {
			err := t.pool.QueryRow(ctx, `SELECT a.attname FROM pg_catalog.pg_attribute a
				LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
				WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
				  AND (a.attidentity <> '' OR pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')
				ORDER BY a.attnum LIMIT 1`, id.sql(quoteAlways)).Scan(&q.incCol)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil, &fatalError{fmt.Errorf("table %s has no serial or identity column to use as the incrementing column; set incrementing.column.name", id)}
			}
			if err != nil {
				return nil, err
			}
		}
	}
	if cfg.validateNull && cfg.mode != modeBulk {
		if err := t.validateNonNull(ctx, q); err != nil {
			return nil, err
		}
	}
	q.buildSQL()
	return q, nil
}

// validateNonNull applies validate.non.null with Confluent's messages.
func (t *SourceTask) validateNonNull(ctx context.Context, q *tableQuerier) error {
	nullable := func(col string) (bool, error) {
		var notNull bool
		err := t.pool.QueryRow(ctx, `SELECT a.attnotnull FROM pg_catalog.pg_attribute a
			WHERE a.attrelid = pg_catalog.to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
			q.table.sql(quoteAlways), col).Scan(&notNull)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, &fatalError{fmt.Errorf("table %s has no column %q", q.table, col)}
		}
		return !notNull, err
	}
	if q.incCol != "" {
		n, err := nullable(q.incCol)
		if err != nil {
			return err
		}
		if n {
			return &fatalError{fmt.Errorf("Cannot make incremental queries using incrementing column %s on %s because this column is nullable; make it NOT NULL or set validate.non.null=false", q.incCol, q.table)}
		}
	}
	if len(q.tsCols) > 0 {
		anyNotNull := false
		for _, c := range q.tsCols {
			n, err := nullable(c)
			if err != nil {
				return err
			}
			anyNotNull = anyNotNull || !n
		}
		if !anyNotNull {
			return &fatalError{fmt.Errorf("Cannot make incremental queries using timestamp columns %v on %s because all of these columns are nullable; make one NOT NULL or set validate.non.null=false", q.tsCols, q.table)}
		}
	}
	return nil
}

// loadOffsets resumes each querier from its stored offset, looking for
// Confluent's protocol-1 partition (database.schema.table, or
// schema.table as older PostgreSQL drivers named it) and then protocol 0
// (the bare table name).
func (t *SourceTask) loadOffsets(ctx context.Context, tctx connect.SourceTaskContext, db string) error {
	var initial *time.Time
	if t.cfg.tsInitial != nil && (t.cfg.mode == modeTimestamp || t.cfg.mode == modeTimestampIncrementing) {
		var ts time.Time
		if *t.cfg.tsInitial == timestampInitialCurrent {
			if err := t.pool.QueryRow(ctx, "SELECT CURRENT_TIMESTAMP").Scan(&ts); err != nil {
				return err
			}
		} else {
			ts = time.UnixMilli(*t.cfg.tsInitial).UTC()
		}
		initial = &ts
	}
	var reader connect.OffsetStorageReader
	if tctx != nil {
		reader = tctx.OffsetStorageReader()
	}
	for _, q := range t.queriers {
		candidates := []map[string]any{q.partition}
		if q.table != nil {
			candidates = append(candidates,
				map[string]any{partitionProtocol: protocolV1, partitionTable: q.table.schema + "." + q.table.name},
				map[string]any{partitionTable: q.table.name})
		}
		var stored map[string]any
		if reader != nil && t.cfg.mode != modeBulk {
			offs, err := reader.Offsets(ctx, candidates)
			if err != nil {
				return fmt.Errorf("read stored offsets: %w", err)
			}
			for _, o := range offs {
				if len(o) > 0 {
					stored = o
					break
				}
			}
		}
		pos, err := positionFrom(stored)
		if err != nil {
			return fmt.Errorf("%s: stored offset %v: %w", q.describe(), stored, err)
		}
		if !pos.valid && initial != nil {
			pos.ts = initial
		}
		q.pos = pos
	}
	return nil
}

// Poll implements connect.SourceTask: it continues the open result set,
// or starts the table that is due next, returning at most batch.max.rows.
func (t *SourceTask) Poll(ctx context.Context) ([]connect.SourceRecord, error) {
	q := t.active
	if q == nil {
		q = t.due()
		if q == nil { // no tables yet: do not let the runtime spin
			timer := time.NewTimer(time.Second)
			defer timer.Stop()
			select {
			case <-ctx.Done():
			case <-timer.C:
			}
			return nil, nil
		}
		if wait := time.Until(q.nextPoll); wait > 0 {
			timer := time.NewTimer(min(wait, time.Second))
			select {
			case <-ctx.Done():
				timer.Stop()
				return nil, nil
			case <-timer.C:
			}
			if time.Now().Before(q.nextPoll) {
				return nil, nil
			}
		}
		if err := q.start(ctx, t.pool); err != nil {
			return nil, t.pollFailed(ctx, q, err)
		}
		t.active = q
	}
	recs, done, err := q.next(t.cfg.batchMaxRows, make([]connect.SourceRecord, 0, min(t.cfg.batchMaxRows, 4096)))
	if done {
		t.active = nil
		q.nextPoll = time.Now().Add(t.cfg.pollInterval)
	}
	if err != nil {
		return recs, t.pollFailed(ctx, q, err)
	}
	return recs, nil
}

// due returns the querier with the earliest next poll.
func (t *SourceTask) due() *tableQuerier {
	var best *tableQuerier
	for _, q := range t.queriers {
		if best == nil || q.nextPoll.Before(best.nextPoll) {
			best = q
		}
	}
	return best
}

// pollFailed decides between retrying later (the database went away)
// and failing the task.
func (t *SourceTask) pollFailed(ctx context.Context, q *tableQuerier, err error) error {
	q.close()
	t.active = nil
	if ctx.Err() != nil {
		return nil
	}
	var fe *fatalError
	if errors.As(err, &fe) || !isTransient(err) {
		return err
	}
	backoff := min(t.cfg.conn.backoff, max(t.cfg.pollInterval, time.Second))
	t.log.Warn("query failed, will retry", "source", q.describe(), "retry_in", backoff, "err", err)
	q.nextPoll = time.Now().Add(backoff)
	return nil
}

// Stop implements connect.SourceTask.
func (t *SourceTask) Stop() error {
	for _, q := range t.queriers {
		q.close()
	}
	if t.pool != nil {
		t.pool.Close()
	}
	return nil
}
