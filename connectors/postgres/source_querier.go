package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// tableQuerier reads one table (or the custom query) in the configured mode.
// Its result set stays open across polls until it is drained, as
// Confluent's TableQuerier; then the table waits poll.interval.ms.
type tableQuerier struct {
	cfg        *sourceConfig
	table      *tableID // nil in query mode
	topic      string
	partition  map[string]any
	schemaName string

	incCol string
	tsCols []string
	sql    string

	pos      position
	nextPoll time.Time

	conn     *pgxpool.Conn
	rows     pgx.Rows
	mapping  *resultMapping
	targets  *scanTargets
	incIdx   int
	tsIdx    []int
	lastSeen *data.Schema
}

// buildSQL assembles the statement, with Confluent's incremental criteria
// (TimestampIncrementingCriteria) appended for the incremental modes.
func (q *tableQuerier) buildSQL() {
	var b strings.Builder
	if q.table != nil {
		b.WriteString("SELECT * FROM ")
		b.WriteString(q.table.sql(q.cfg.quote))
	} else {
		b.WriteString(q.cfg.query)
	}
	ident := q.cfg.quote.ident
	coalesce := func() string {
		if len(q.tsCols) == 1 {
			return ident(q.tsCols[0])
		}
		parts := make([]string, len(q.tsCols))
		for i, c := range q.tsCols {
			parts[i] = ident(c)
		}
		return "COALESCE(" + strings.Join(parts, ",") + ")"
	}
	switch q.cfg.mode {
	case modeIncrementing:
		inc := ident(q.incCol)
		b.WriteString(" WHERE " + inc + " > $1 ORDER BY " + inc + " ASC")
	case modeTimestamp:
		ts := coalesce()
		b.WriteString(" WHERE " + ts + " > $1 AND " + ts + " < $2 ORDER BY " + ts + " ASC")
	case modeTimestampIncrementing:
		ts, inc := coalesce(), ident(q.incCol)
		b.WriteString(" WHERE " + ts + " < $1 AND ((" + ts + " = $2 AND " + inc + " > $3) OR " + ts + " > $2) ORDER BY " + ts + "," + inc + " ASC")
	}
	if q.cfg.querySuffix != "" {
		b.WriteString(" ")
		b.WriteString(q.cfg.querySuffix)
	}
	q.sql = b.String()
}

// start runs the query from the current position.
func (q *tableQuerier) start(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	args, err := q.args(ctx, conn)
	if err != nil {
		conn.Release()
		return err
	}
	sd, err := conn.Conn().PgConn().Prepare(ctx, "", q.sql, nil)
	if err != nil {
		conn.Release()
		return q.explain(err)
	}
	m, err := mapResult(ctx, conn, q.schemaName, sd.Fields, q.cfg.numericMapping)
	if err != nil {
		conn.Release()
		return fmt.Errorf("%s: %w", q.describe(), err)
	}
	if err := q.locateOffsetColumns(m); err != nil {
		conn.Release()
		return err
	}
	if q.lastSeen != nil && q.lastSeen.Equal(m.schema) {
		m.schema = q.lastSeen // keep the pointer: converters cache by it
	}
	q.lastSeen = m.schema
	all := append([]any{pgx.QueryExecModeDescribeExec, pgx.QueryResultFormats(m.formats)}, args...)
	rows, err := conn.Query(ctx, q.sql, all...)
	if err != nil {
		conn.Release()
		return q.explain(err)
	}
	if len(rows.FieldDescriptions()) != len(m.cols) {
		rows.Close()
		conn.Release()
		if err := rows.Err(); err != nil {
			return q.explain(err)
		}
		return fmt.Errorf("%s: the result columns changed between describing and running the query", q.describe())
	}
	q.conn, q.rows, q.mapping = conn, rows, m
	q.targets = newScanTargets(m, rows.FieldDescriptions())
	return nil
}

// args are the criteria's parameters; timestamps are compared in
// db.timezone so naive TIMESTAMP columns see their own wall clock.
func (q *tableQuerier) args(ctx context.Context, conn *pgxpool.Conn) ([]any, error) {
	loc := q.cfg.conn.location
	if q.cfg.mode == modeBulk {
		return nil, nil
	}
	inc := int64(-1)
	if q.pos.inc != nil {
		inc = *q.pos.inc
	}
	if q.cfg.mode == modeIncrementing {
		return []any{inc}, nil
	}
	var now time.Time
	if err := conn.QueryRow(ctx, "SELECT CURRENT_TIMESTAMP").Scan(&now); err != nil {
		return nil, err
	}
	end := now.Add(-q.cfg.tsDelay).In(loc)
	begin := time.Unix(0, 0)
	if q.pos.ts != nil {
		begin = *q.pos.ts
	}
	if q.cfg.mode == modeTimestamp {
		return []any{begin.In(loc), end}, nil
	}
	return []any{end, begin.In(loc), inc}, nil
}

func (q *tableQuerier) locateOffsetColumns(m *resultMapping) error {
	q.incIdx, q.tsIdx = -1, q.tsIdx[:0]
	find := func(name string) int {
		for i, c := range m.cols {
			if c.name == name {
				return i
			}
		}
		for i, c := range m.cols {
			if strings.EqualFold(c.name, name) {
				return i
			}
		}
		return -1
	}
	if q.cfg.mode == modeIncrementing || q.cfg.mode == modeTimestampIncrementing {
		q.incIdx = find(q.incCol)
		if q.incIdx < 0 {
			return fmt.Errorf("%s: incrementing column %q is not in the result", q.describe(), q.incCol)
		}
		switch m.cols[q.incIdx].kind {
		case ckInt16, ckInt32, ckInt64, ckNumericInt, ckNumericDecimal:
		default:
			return fmt.Errorf("%s: incrementing column %q must be an integer column", q.describe(), q.incCol)
		}
	}
	if q.cfg.mode == modeTimestamp || q.cfg.mode == modeTimestampIncrementing {
		for _, c := range q.tsCols {
			i := find(c)
			if i < 0 {
				return fmt.Errorf("%s: timestamp column %q is not in the result", q.describe(), c)
			}
			if m.cols[i].kind != ckTimestamp && m.cols[i].kind != ckDate {
				return fmt.Errorf("%s: timestamp column %q is not a timestamp or date column", q.describe(), c)
			}
			q.tsIdx = append(q.tsIdx, i)
		}
	}
	return nil
}

// next reads up to max rows as records; done reports the result set ended.
func (q *tableQuerier) next(max int, out []connect.SourceRecord) ([]connect.SourceRecord, bool, error) {
	m := q.mapping
	for n := 0; n < max; n++ {
		if !q.rows.Next() {
			err := q.rows.Err()
			q.close()
			if err != nil {
				return out, true, q.explain(err)
			}
			return out, true, nil
		}
		if err := q.rows.Scan(q.targets.dest...); err != nil {
			q.close()
			return out, true, fmt.Errorf("%s: %w", q.describe(), err)
		}
		st := data.NewStruct(m.schema)
		for i := range m.cols {
			v, err := q.targets.value(m, i)
			if err != nil {
				q.close()
				return out, true, fmt.Errorf("%s: %w", q.describe(), err)
			}
			if v != nil {
				if err := st.PutField(m.schema.Fields()[i], v); err != nil {
					q.close()
					return out, true, fmt.Errorf("%s: column %s: %w", q.describe(), m.cols[i].name, err)
				}
			}
		}
		var offset map[string]any
		if q.cfg.mode != modeBulk {
			if err := q.advance(st); err != nil {
				q.close()
				return out, true, err
			}
			offset = q.pos.toMap()
		}
		out = append(out, connect.SourceRecord{SourcePartition: q.partition, SourceOffset: offset,
			Topic: q.topic, Partition: connect.NoPartition, ValueSchema: m.schema, Value: st})
	}
	return out, false, nil
}

// advance moves the position to the row just read.
func (q *tableQuerier) advance(st *data.Struct) error {
	fields := q.mapping.schema.Fields()
	if q.incIdx >= 0 {
		v := st.GetFieldWithoutDefault(fields[q.incIdx])
		var n int64
		switch x := v.(type) {
		case int16:
			n = int64(x)
		case int32:
			n = int64(x)
		case int64:
			n = x
		case int8:
			n = int64(x)
		case *data.Decimal:
			u := x.Unscaled()
			if x.Scale() != 0 || !u.IsInt64() {
				r, err := x.Rescale(0)
				if err != nil || !r.Unscaled().IsInt64() {
					return fmt.Errorf("%s: incrementing column %q holds %s, not a 64-bit integer", q.describe(), q.incCol, x)
				}
				u = r.Unscaled()
			}
			n = u.Int64()
		case nil:
			return fmt.Errorf("%s: incrementing column %q is null in a row; it must be NOT NULL", q.describe(), q.incCol)
		}
		q.pos.inc = &n
	}
	if len(q.tsIdx) > 0 {
		for _, i := range q.tsIdx {
			if t, ok := st.GetFieldWithoutDefault(fields[i]).(time.Time); ok {
				q.pos.ts = &t
				break
			}
		}
	}
	q.pos.valid = true
	return nil
}

func (q *tableQuerier) close() {
	if q.rows != nil {
		q.rows.Close()
		q.rows = nil
	}
	if q.conn != nil {
		q.conn.Release()
		q.conn = nil
	}
}

func (q *tableQuerier) describe() string {
	if q.table != nil {
		return "table " + q.table.String()
	}
	return "query " + strconv.Quote(q.cfg.query)
}

// explain adds what to fix to query errors.
func (q *tableQuerier) explain(err error) error {
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		switch pe.SQLState() {
		case "42501":
			return &fatalError{fmt.Errorf("%s: permission denied; GRANT SELECT on it to the connector's user: %w", q.describe(), err)}
		case "42P01":
			return fmt.Errorf("%s does not exist (dropped?): %w", q.describe(), err)
		case "42601":
			if q.table == nil && q.cfg.mode != modeBulk {
				return &fatalError{fmt.Errorf("%s: syntax error in the query with the incremental WHERE clause appended (%s); the query must not have its own WHERE: %w", q.describe(), q.sql, err)}
			}
		}
	}
	return fmt.Errorf("%s: %w", q.describe(), err)
}
