package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/runnel-dev/runnel/connect"
)

// unnestUpsertFrom is the batch size from which an upsert binds one array
// per column rather than one parameter per value. BenchmarkUpsertPath
// measured it as fast as multi-row VALUES at 50 rows and up to 1.5 times
// faster at 5000; COPY into a temporary table and INSERT ... SELECT was
// never faster and costs a temporary table truncation per put.
const unnestUpsertFrom = 32

// maxParams is PostgreSQL's limit of bind parameters per statement.
const maxParams = 65535

// sinkWriter turns batches of sink records into SQL.
type sinkWriter struct {
	cfg  *sinkConfig
	pool *pgxpool.Pool
	log  *slog.Logger

	topicTables map[string]tableID
	shapes      map[shapeKey]*shape
	schemaless  map[string]*shape
	tables      map[tableID]*tableInfo
	bindings    map[*shape]*binding
	// unnestFrom is the size from which upserts pass one array per column
	// (INSERT ... SELECT FROM unnest(...)) instead of a VALUES row each.
	unnestFrom int
}

func newSinkWriter(cfg *sinkConfig, pool *pgxpool.Pool, log *slog.Logger) *sinkWriter {
	return &sinkWriter{cfg: cfg, pool: pool, log: log, topicTables: map[string]tableID{},
		shapes: map[shapeKey]*shape{}, schemaless: map[string]*shape{},
		tables: map[tableID]*tableInfo{}, bindings: map[*shape]*binding{}, unnestFrom: unnestUpsertFrom}
}

// op is one record ready to write: its binding and converted row (key
// columns only for deletes).
type op struct {
	rec *connect.SinkRecord
	b   *binding
	row []any
	del bool
}

// tablePlan is the ops for one table, in record order.
type tablePlan struct {
	table *tableInfo
	ops   []op
}

// plan resolves tables, runs DDL, converts every record and sets aside the
// ones that cannot be written.
func (w *sinkWriter) plan(ctx context.Context, records []connect.SinkRecord) ([]*tablePlan, []*recordError, error) {
	if len(w.shapes) > 1000 {
		clear(w.shapes) // schemas that are not pointer-stable must not grow the cache forever
		clear(w.bindings)
	}
	var plans []*tablePlan
	// Keyed by name, not by *tableInfo: auto.evolve replaces the definition
	// mid-batch and records before and after must stay in one plan.
	byTable := map[tableID]*tablePlan{}
	var bad []*recordError
	for i := range records {
		rec := &records[i]
		id, ok := w.topicTables[rec.Topic]
		if !ok {
			var err error
			if id, err = w.cfg.tableFor(rec.Topic); err != nil {
				return nil, nil, &fatalError{err}
			}
			if len(w.topicTables) > 10000 {
				clear(w.topicTables)
			}
			w.topicTables[rec.Topic] = id
		}
		if re := w.checkRecord(rec); re != nil {
			bad = append(bad, re)
			continue
		}
		del := rec.Value == nil
		tbl := id.String()
		var s *shape
		var re *recordError
		if del {
			s, re = w.deleteShape(tbl, rec)
		} else {
			s, re = w.shapeFor(tbl, rec)
		}
		if re != nil {
			re.msg = "table " + tbl + ": " + re.msg
			bad = append(bad, re)
			continue
		}
		b, err := w.bind(ctx, id, s)
		if err != nil {
			return nil, nil, err
		}
		if b.absent {
			continue
		}
		if b.misfit != "" {
			bad = append(bad, w.recErr(rec, "%s", b.misfit))
			continue
		}
		row, re := w.row(b, rec)
		if re != nil {
			bad = append(bad, re)
			continue
		}
		p := byTable[b.table.id]
		if p == nil {
			p = &tablePlan{table: b.table}
			byTable[b.table.id] = p
			plans = append(plans, p)
		}
		p.ops = append(p.ops, op{rec: rec, b: b, row: row, del: del})
	}
	return plans, bad, nil
}

// write applies the plans in one transaction.
func (w *sinkWriter) write(ctx context.Context, plans []*tablePlan) error {
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	for _, p := range plans {
		var err error
		switch w.cfg.insertMode {
		case insertModeUpsert:
			err = w.writeUpsert(ctx, tx, p)
		case insertModeUpdate:
			err = w.writeInOrder(ctx, tx, p)
		default:
			err = w.writeInsert(ctx, tx, p)
		}
		if err != nil {
			return w.explain(fmt.Errorf("write %d records to %s: %w", len(p.ops), p.table.id, err), p.table.id.String())
		}
	}
	return tx.Commit(ctx)
}

// writeUpsert keeps the last op per primary key (what redelivery and
// ON CONFLICT need), then deletes and upserts the survivors. When a key
// is written with different column sets in one batch (schemaless records,
// or a schema change mid-batch), an upsert only sets the columns its
// record has, so the records are applied one by one in order instead.
func (w *sinkWriter) writeUpsert(ctx context.Context, tx pgx.Tx, p *tablePlan) error {
	last := make(map[string]int, len(p.ops))
	keys := make([]string, len(p.ops))
	var sb strings.Builder
	for i := range p.ops {
		o := &p.ops[i]
		sb.Reset()
		keyString(&sb, o.row[:o.b.nKey()])
		k := sb.String()
		if j, seen := last[k]; seen && !o.del && !p.ops[j].del && p.ops[j].b != o.b {
			return w.writeInOrder(ctx, tx, p)
		}
		last[k] = i
		keys[i] = k
	}
	var deletes []op
	groups := map[*binding][]op{}
	var order []*binding
	for i := range p.ops {
		o := p.ops[i]
		if last[keys[i]] != i {
			continue
		}
		if o.del {
			deletes = append(deletes, o)
			continue
		}
		if _, ok := groups[o.b]; !ok {
			order = append(order, o.b)
		}
		groups[o.b] = append(groups[o.b], o)
	}
	if err := w.deleteRows(ctx, tx, deletes); err != nil {
		return err
	}
	for _, b := range order {
		ops := groups[b]
		var err error
		switch {
		case len(ops) >= w.unnestFrom && b.unnestable():
			err = w.unnestUpsert(ctx, tx, b, ops)
		default:
			err = w.valuesUpsert(ctx, tx, b, ops)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeInsert copies runs of inserts and deletes runs of tombstones,
// keeping their relative order.
func (w *sinkWriter) writeInsert(ctx context.Context, tx pgx.Tx, p *tablePlan) error {
	for start := 0; start < len(p.ops); {
		end := start + 1
		for end < len(p.ops) && p.ops[end].del == p.ops[start].del {
			end++
		}
		seg := p.ops[start:end]
		if seg[0].del {
			if err := w.deleteRows(ctx, tx, seg); err != nil {
				return err
			}
		} else if err := w.copyRows(ctx, tx, seg); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// copyRows inserts with COPY, one COPY per binding.
func (w *sinkWriter) copyRows(ctx context.Context, tx pgx.Tx, ops []op) error {
	groups, order := groupByBinding(ops)
	for _, b := range order {
		rows := rowsOf(groups[b])
		n, err := tx.CopyFrom(ctx, pgx.Identifier{b.table.id.schema, b.table.id.name}, b.colNames, pgx.CopyFromRows(rows))
		if err != nil {
			return err
		}
		if n != int64(len(rows)) {
			return fmt.Errorf("COPY wrote %d rows, expected %d", n, len(rows))
		}
	}
	return nil
}

func onConflict(b *binding) string {
	var sb strings.Builder
	sb.WriteString(" ON CONFLICT (")
	sb.WriteString(quotedList(b.colNames[:b.nKey()]))
	if b.nKey() == len(b.colNames) {
		sb.WriteString(") DO NOTHING")
		return sb.String()
	}
	sb.WriteString(") DO UPDATE SET ")
	for i, c := range b.colNames[b.nKey():] {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(quoteIdent(c))
		sb.WriteString("=EXCLUDED.")
		sb.WriteString(quoteIdent(c))
	}
	return sb.String()
}

// unnestUpsert upserts with INSERT ... SELECT FROM unnest($1::type[], ...)
// ON CONFLICT: one statement and one array parameter per column, whatever
// the number of rows.
func (w *sinkWriter) unnestUpsert(ctx context.Context, tx pgx.Tx, b *binding, ops []op) error {
	sql, ok := b.sqlCache["unnest"]
	if !ok {
		var sb strings.Builder
		cols := quotedList(b.colNames)
		sb.WriteString("INSERT INTO " + b.table.ref() + " (" + cols + ") SELECT * FROM unnest(")
		for i, t := range b.colTypes {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("$" + strconv.Itoa(i+1) + "::" + t + "[]")
		}
		sb.WriteString(")")
		sb.WriteString(onConflict(b))
		sql = sb.String()
		b.sqlCache["unnest"] = sql
	}
	args := make([]any, len(b.colNames))
	for c := range b.colNames {
		col := make([]any, len(ops))
		for r, o := range ops {
			col[r] = o.row[c]
		}
		args[c] = col
	}
	_, err := tx.Exec(ctx, sql, args...)
	return err
}

// unnestable reports whether no column is itself an array (unnest would
// flatten it).
func (b *binding) unnestable() bool {
	for i, t := range b.colTypes {
		if strings.HasSuffix(t, "]") || b.convs[i].target == tkArray {
			return false
		}
	}
	return true
}

// valuesUpsert upserts with multi-row INSERT ... VALUES statements of at
// most batch.size rows.
func (w *sinkWriter) valuesUpsert(ctx context.Context, tx pgx.Tx, b *binding, ops []op) error {
	per := min(w.cfg.batchSize, maxParams/len(b.colNames))
	for start := 0; start < len(ops); start += per {
		chunk := ops[start:min(start+per, len(ops))]
		sql := b.valuesSQL(len(chunk))
		args := make([]any, 0, len(chunk)*len(b.colNames))
		for _, o := range chunk {
			args = append(args, o.row...)
		}
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return err
		}
	}
	return nil
}

// valuesSQL is INSERT ... VALUES (...),(...) ON CONFLICT for n rows.
func (b *binding) valuesSQL(n int) string {
	key := "values" + strconv.Itoa(n)
	if s, ok := b.sqlCache[key]; ok {
		return s
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO ")
	sb.WriteString(b.table.ref())
	sb.WriteString(" (")
	sb.WriteString(quotedList(b.colNames))
	sb.WriteString(") VALUES ")
	p := 1
	for r := 0; r < n; r++ {
		if r > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for c := range b.colNames {
			if c > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(p))
			p++
		}
		sb.WriteByte(')')
	}
	sb.WriteString(onConflict(b))
	s := sb.String()
	if len(b.sqlCache) < 64 {
		b.sqlCache[key] = s
	}
	return s
}

// deleteRows deletes by primary key, batch.size keys per statement.
func (w *sinkWriter) deleteRows(ctx context.Context, tx pgx.Tx, ops []op) error {
	groups, order := groupByBinding(ops)
	for _, b := range order {
		ops := groups[b]
		per := min(w.cfg.batchSize, maxParams/b.nKey())
		for start := 0; start < len(ops); start += per {
			chunk := ops[start:min(start+per, len(ops))]
			args := make([]any, 0, len(chunk)*b.nKey())
			for _, o := range chunk {
				args = append(args, o.row[:b.nKey()]...)
			}
			if _, err := tx.Exec(ctx, b.deleteSQL(len(chunk)), args...); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteSQL is DELETE ... USING (VALUES ...) matching n keys.
func (b *binding) deleteSQL(n int) string {
	key := "delete" + strconv.Itoa(n)
	if s, ok := b.sqlCache[key]; ok {
		return s
	}
	k := b.nKey()
	var sb strings.Builder
	sb.WriteString("DELETE FROM ")
	sb.WriteString(b.table.ref())
	sb.WriteString(" AS t USING (VALUES ")
	p := 1
	for r := 0; r < n; r++ {
		if r > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for c := 0; c < k; c++ {
			if c > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('$')
			sb.WriteString(strconv.Itoa(p))
			sb.WriteString("::")
			sb.WriteString(b.colTypes[c])
			p++
		}
		sb.WriteByte(')')
	}
	sb.WriteString(") AS d(")
	for c := 0; c < k; c++ {
		if c > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("k" + strconv.Itoa(c))
	}
	sb.WriteString(") WHERE ")
	for c := 0; c < k; c++ {
		if c > 0 {
			sb.WriteString(" AND ")
		}
		sb.WriteString("t.")
		sb.WriteString(quoteIdent(b.colNames[c]))
		sb.WriteString(" = d.k" + strconv.Itoa(c))
	}
	s := sb.String()
	if len(b.sqlCache) < 64 {
		b.sqlCache[key] = s
	}
	return s
}

// writeInOrder runs one statement per record, pipelined in batches of
// batch.size: update mode, where order matters and rows are not merged.
func (w *sinkWriter) writeInOrder(ctx context.Context, tx pgx.Tx, p *tablePlan) error {
	for start := 0; start < len(p.ops); start += w.cfg.batchSize {
		chunk := p.ops[start:min(start+w.cfg.batchSize, len(p.ops))]
		batch := &pgx.Batch{}
		for _, o := range chunk {
			sql, args := w.singleStatement(o)
			if sql != "" {
				batch.Queue(sql, args...)
			}
		}
		if batch.Len() == 0 {
			continue
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return err
		}
	}
	return nil
}

// singleStatement is the one-row statement for an op ("" when there is
// nothing to do, as an update of a key-only record).
func (w *sinkWriter) singleStatement(o op) (string, []any) {
	b := o.b
	if o.del {
		return b.deleteSQL(1), o.row[:b.nKey()]
	}
	switch w.cfg.insertMode {
	case insertModeUpsert:
		return b.valuesSQL(1), o.row
	case insertModeUpdate:
		if b.nKey() == len(b.colNames) {
			return "", nil
		}
		return b.updateSQL(), append(append(make([]any, 0, len(o.row)), o.row[b.nKey():]...), o.row[:b.nKey()]...)
	}
	return b.insertSQL(), o.row
}

// updateSQL is UPDATE ... SET non-keys WHERE keys, non-key values first.
func (b *binding) updateSQL() string {
	if s, ok := b.sqlCache["update"]; ok {
		return s
	}
	var sb strings.Builder
	sb.WriteString("UPDATE ")
	sb.WriteString(b.table.ref())
	sb.WriteString(" SET ")
	p := 1
	for i, c := range b.colNames[b.nKey():] {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(quoteIdent(c))
		sb.WriteString(" = $" + strconv.Itoa(p))
		p++
	}
	sb.WriteString(" WHERE ")
	for i, c := range b.colNames[:b.nKey()] {
		if i > 0 {
			sb.WriteString(" AND ")
		}
		sb.WriteString(quoteIdent(c))
		sb.WriteString(" = $" + strconv.Itoa(p))
		p++
	}
	s := sb.String()
	b.sqlCache["update"] = s
	return s
}

// insertSQL is a plain one-row INSERT.
func (b *binding) insertSQL() string {
	if s, ok := b.sqlCache["insert"]; ok {
		return s
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO ")
	sb.WriteString(b.table.ref())
	sb.WriteString(" (")
	sb.WriteString(quotedList(b.colNames))
	sb.WriteString(") VALUES (")
	for i := range b.colNames {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("$" + strconv.Itoa(i+1))
	}
	sb.WriteByte(')')
	s := sb.String()
	b.sqlCache["insert"] = s
	return s
}

// writeCareful writes record by record, each under a savepoint, so that
// the records the database rejects are found and set aside while the
// others are written. It runs only after a batch failed on its data.
func (w *sinkWriter) writeCareful(ctx context.Context, plans []*tablePlan, report func(*recordError) error) error {
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	for _, p := range plans {
		for _, o := range p.ops {
			sql, args := w.singleStatement(o)
			if sql == "" {
				continue
			}
			if _, err := tx.Exec(ctx, "SAVEPOINT runnel_record"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, sql, args...)
			if err == nil {
				if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT runnel_record"); err != nil {
					return err
				}
				continue
			}
			if !isRecordError(err) {
				return fmt.Errorf("write to %s: %w", p.table.id, err)
			}
			if _, rerr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT runnel_record"); rerr != nil {
				return errors.Join(err, rerr)
			}
			re := &recordError{rec: o.rec, msg: "rejected by " + p.table.id.String(), err: err}
			if err := report(re); err != nil {
				return err
			}
		}
	}
	return tx.Commit(ctx)
}

// isRecordError reports whether a failed statement was rejected for its
// data (a value out of range, a constraint violation...) rather than for
// the connection, permissions or the schema.
func isRecordError(err error) bool {
	msg := err.Error()
	// pgx fails to encode a value client-side without a typed error (inside
	// COPY it surfaces as the server's "COPY from stdin failed").
	if strings.Contains(msg, "unable to encode") || strings.Contains(msg, "failed to encode") {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "22"), // data exception
			strings.HasPrefix(pe.Code, "23"), // integrity constraint violation
			pe.Code == "42804":               // datatype mismatch
			return true
		}
		return false
	}
	// Any other failure is not the record's fault and must not send
	// records to the dead letter queue.
	return false
}

func groupByBinding(ops []op) (map[*binding][]op, []*binding) {
	groups := map[*binding][]op{}
	var order []*binding
	for _, o := range ops {
		if _, ok := groups[o.b]; !ok {
			order = append(order, o.b)
		}
		groups[o.b] = append(groups[o.b], o)
	}
	return groups, order
}

func rowsOf(ops []op) [][]any {
	rows := make([][]any, len(ops))
	for i, o := range ops {
		rows[i] = o.row
	}
	return rows
}

// explain turns a database error into one that says what to fix.
func (w *sinkWriter) explain(err error, table string) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	user := w.pool.Config().ConnConfig.User
	switch pe.Code {
	case "42501":
		return fatalf("user %q lacks a privilege on %s (%s): GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %s (and CREATE on the schema for auto.create/auto.evolve): %w",
			user, table, pe.Message, table, user, err)
	case "3F000":
		return fatalf("the schema of table %s does not exist (%s): create it or fix table.name.format: %w", table, pe.Message, err)
	case "42P10":
		return fatalf("upsert into %s needs a primary key or unique index on the pk.fields columns: %w", table, err)
	}
	return err
}
