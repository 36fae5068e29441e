package cdc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/runnel-dev/runnel/connect/data"
)

// snapshotRow is a row read but not yet emitted: the snapshot marker of a
// row depends on whether another row follows it.
type snapshotRow struct {
	t          *table
	key, after *data.Struct
	ts         time.Time
	first      bool // first row of its table
}

// snapshot reads every captured table in one REPEATABLE READ transaction.
// When the slot was just created, the transaction imports the snapshot the
// slot exported, so the rows read are exactly the state at the slot's
// consistent point, where streaming starts: no change is missed or
// delivered twice.
func (r *reader) snapshot(ctx context.Context) (err error) {
	conn := r.meta
	if _, err := conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ"); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if r.plan.exported != "" {
		if _, err := conn.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(r.plan.exported)); err != nil {
			return fmt.Errorf("snapshot: importing the slot's snapshot %s: %w", r.plan.exported, err)
		}
	}
	var txid int64
	if err := conn.QueryRow(ctx, "SELECT txid_current()").Scan(&txid); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	tables, err := listCapturedTables(ctx, conn, r.cfg.filter)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	r.log.Info("snapshot started", "tables", len(tables), "exported_snapshot", r.plan.exported != "")

	base := r.plan.base
	pos := func(last bool) *position {
		return &position{lsn: base.lsn, commitLSN: base.commitLSN, txID: txid, hasTxID: true,
			tsUsec: time.Now().UnixMicro(), inSnapshot: !last, lastSnapshot: last}
	}
	var pending *snapshotRow
	release := func(next *snapshotRow, last bool) error {
		if pending == nil {
			return nil
		}
		marker := snapTrue
		switch {
		case last:
			marker = snapLast
		case pending.first && r.lastCreated == nil:
			marker = snapFirst
		case next == nil || next.t != pending.t:
			marker = snapLastInCollection
		case pending.first:
			marker = snapFirstInCollection
		}
		p := pos(last)
		src, err := r.sb.sourceStruct(pending.t, &sourceInfo{ts: pending.ts, snapshot: marker, lsn: base.lsn, txID: txid, hasTxID: true})
		if err != nil {
			return err
		}
		env, err := envelopeStruct(pending.t, opRead, nil, pending.after, src, time.Now())
		if err != nil {
			return err
		}
		rec := r.record(pending.t, pending.key, env, p, nil)
		pending = nil
		return r.emit(ctx, rec, p)
	}
	for _, ct := range tables {
		cols, err := readCatalogColumns(ctx, conn, ct.oid)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		oids := make([]uint32, len(cols))
		for i, c := range cols {
			oids[i] = c.oid
		}
		if err := r.sb.types.load(ctx, conn, oids); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		t, err := r.sb.build(ct.oid, ct.schema, ct.name, cols)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		if err := r.snapshotTable(ctx, t, func(row *snapshotRow) error {
			if err := release(row, false); err != nil {
				return err
			}
			pending = row
			return nil
		}); err != nil {
			return fmt.Errorf("snapshot of table %s: %w", t, err)
		}
	}
	if err := release(nil, true); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	r.prog.publish(r.lastCreated, 0)
	return r.flushBatch(ctx)
}

// snapshotTable reads one table in text format, streaming the rows.
func (r *reader) snapshotTable(ctx context.Context, t *table, each func(*snapshotRow) error) error {
	if len(t.columns) == 0 {
		return nil
	}
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = pgx.Identifier{c.name}.Sanitize()
	}
	sql := "SELECT " + strings.Join(names, ", ") + " FROM " + pgx.Identifier{t.schema, t.name}.Sanitize()
	rr := r.meta.PgConn().ExecParams(ctx, sql, nil, nil, nil, nil)
	row := make([]tupleCol, len(t.columns))
	first := true
	for rr.NextRow() {
		for i, v := range rr.Values() {
			if v == nil {
				row[i] = tupleCol{kind: colNull}
			} else {
				row[i] = tupleCol{kind: colText, data: v}
			}
		}
		after, err := valueStruct(t, row, nil)
		if err != nil {
			rr.Close()
			return err
		}
		key, err := keyStruct(t, row)
		if err != nil {
			rr.Close()
			return err
		}
		if err := each(&snapshotRow{t: t, key: key, after: after, ts: time.Now(), first: first}); err != nil {
			rr.Close()
			return err
		}
		first = false
	}
	_, err := rr.Close()
	return err
}
