package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/runnel-dev/runnel/connect/data"
)

// tableColumn is a column as the catalog describes it.
type tableColumn struct {
	name       string
	typeOID    uint32
	typeName   string // format_type, e.g. "character varying(20)", "timestamp without time zone"
	notNull    bool
	hasDefault bool
	generated  bool
}

// tableInfo is a destination table as found in the catalog.
type tableInfo struct {
	id      tableID // actual schema and name
	kind    string  // relkind: r table, p partitioned, v view
	cols    []*tableColumn
	byName  map[string]*tableColumn
	byLower map[string]*tableColumn
	// uniqueSets are the column sets of the primary key and unique
	// indexes: an upsert's ON CONFLICT target must be one of them.
	uniqueSets [][]string
}

// ref is the always-quoted reference used in DML.
func (t *tableInfo) ref() string { return t.id.sql(quoteAlways) }

// column finds a column by exact name, then ignoring case (as Confluent).
func (t *tableInfo) column(name string) *tableColumn {
	if c := t.byName[name]; c != nil {
		return c
	}
	return t.byLower[strings.ToLower(name)]
}

func (t *tableInfo) kindName() string {
	switch t.kind {
	case "v", "m":
		return "VIEW"
	case "p":
		return "PARTITIONED TABLE"
	case "f":
		return "FOREIGN TABLE"
	}
	return "TABLE"
}

// hasUnique reports whether cols (in any order) are exactly a unique key.
func (t *tableInfo) hasUnique(cols []string) bool {
	for _, set := range t.uniqueSets {
		if len(set) != len(cols) {
			continue
		}
		all := true
		for _, c := range cols {
			found := false
			for _, s := range set {
				if s == c {
					found = true
					break
				}
			}
			all = all && found
		}
		if all {
			return true
		}
	}
	return false
}

// querier is what table loading needs from a pool, a conn or a tx.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// loadTable reads a table's definition; nil, nil when it does not exist.
func loadTable(ctx context.Context, q querier, id tableID, quote quoting) (*tableInfo, error) {
	var oid uint32
	t := &tableInfo{byName: map[string]*tableColumn{}, byLower: map[string]*tableColumn{}}
	err := q.QueryRow(ctx, `SELECT c.oid, n.nspname, c.relname, c.relkind::text
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = pg_catalog.to_regclass($1)`, id.sql(quote)).Scan(&oid, &t.id.schema, &t.id.name, &t.kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up table %s: %w", id, err)
	}
	rows, err := q.Query(ctx, `SELECT a.attname, a.atttypid, pg_catalog.format_type(a.atttypid, a.atttypmod),
			a.attnotnull, a.atthasdef, a.attgenerated <> ''
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, oid)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", t.id, err)
	}
	for rows.Next() {
		c := &tableColumn{}
		if err := rows.Scan(&c.name, &c.typeOID, &c.typeName, &c.notNull, &c.hasDefault, &c.generated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read columns of %s: %w", t.id, err)
		}
		t.cols = append(t.cols, c)
		t.byName[c.name] = c
		if _, dup := t.byLower[strings.ToLower(c.name)]; !dup {
			t.byLower[strings.ToLower(c.name)] = c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", t.id, err)
	}
	rows, err = q.Query(ctx, `SELECT array_agg(a.attname ORDER BY k.ord)
		FROM pg_catalog.pg_index i
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = $1 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
		GROUP BY i.indexrelid`, oid)
	if err != nil {
		return nil, fmt.Errorf("read unique keys of %s: %w", t.id, err)
	}
	for rows.Next() {
		var set []string
		if err := rows.Scan(&set); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read unique keys of %s: %w", t.id, err)
		}
		t.uniqueSets = append(t.uniqueSets, set)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read unique keys of %s: %w", t.id, err)
	}
	return t, nil
}

// sqlType maps a column to PostgreSQL's type as Confluent's
// PostgreSqlDatabaseDialect.getSqlType does. MAP and STRUCT, which
// Confluent cannot write, become JSONB.
func sqlType(c *sinkColumn) (string, error) {
	if c.schema == nil {
		return kindSQLType(c.kind)
	}
	return schemaSQLType(c.schema)
}

func schemaSQLType(s *data.Schema) (string, error) {
	switch s.Name() {
	case data.DecimalLogicalName:
		return "DECIMAL", nil
	case data.DateLogicalName:
		return "DATE", nil
	case data.TimeLogicalName:
		return "TIME", nil
	case data.TimestampLogicalName:
		return "TIMESTAMP", nil
	}
	switch s.Type() {
	case data.TypeArray:
		elem, err := schemaSQLType(s.ValueSchema())
		if err != nil {
			return "", err
		}
		if strings.HasSuffix(elem, "[]") || elem == "JSONB" {
			return "JSONB", nil // nested arrays and arrays of objects as JSON
		}
		return elem + "[]", nil
	case data.TypeMap, data.TypeStruct:
		return "JSONB", nil
	}
	return kindSQLType(s.Type())
}

func kindSQLType(t data.Type) (string, error) {
	switch t {
	case data.TypeInt8, data.TypeInt16:
		return "SMALLINT", nil
	case data.TypeInt32:
		return "INT", nil
	case data.TypeInt64:
		return "BIGINT", nil
	case data.TypeFloat32:
		return "REAL", nil
	case data.TypeFloat64:
		return "DOUBLE PRECISION", nil
	case data.TypeBoolean:
		return "BOOLEAN", nil
	case data.TypeString, 0:
		return "TEXT", nil
	case data.TypeBytes:
		return "BYTEA", nil
	case data.TypeArray, data.TypeMap, data.TypeStruct:
		return "JSONB", nil
	}
	return "", fmt.Errorf("%s type doesn't have a mapping to the SQL database column type", t)
}

// columnSpec is one column definition for CREATE or ALTER TABLE.
func columnSpec(c *sinkColumn, q quoting) (string, error) {
	typ, err := sqlType(c)
	if err != nil {
		return "", fmt.Errorf("column %s: %w", c.name, err)
	}
	spec := q.ident(c.name) + " " + typ
	switch {
	case c.schema != nil && c.schema.HasDefault():
		lit, err := sqlLiteral(c.schema, c.schema.Default())
		if err != nil {
			return "", fmt.Errorf("default of column %s: %w", c.name, err)
		}
		spec += " DEFAULT " + lit
	case c.optional():
		spec += " NULL"
	default:
		spec += " NOT NULL"
	}
	return spec, nil
}

// createTableSQL builds Confluent's CREATE TABLE, made idempotent so
// concurrent tasks can race to create the same table.
func createTableSQL(id tableID, s *shape, q quoting) (string, error) {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(id.sql(q))
	b.WriteString(" (")
	for i, ci := range s.createOrder {
		if i > 0 {
			b.WriteByte(',')
		}
		spec, err := columnSpec(&s.cols[ci], q)
		if err != nil {
			return "", err
		}
		b.WriteString("\n")
		b.WriteString(spec)
	}
	if s.nKey > 0 {
		b.WriteString(",\nPRIMARY KEY(")
		for i, c := range s.keyCols() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(q.ident(c.name))
		}
		b.WriteByte(')')
	}
	b.WriteByte(')')
	return b.String(), nil
}

// alterTableSQL adds the missing columns in one statement.
func alterTableSQL(t *tableInfo, missing []*sinkColumn, q quoting) (string, error) {
	var b strings.Builder
	b.WriteString("ALTER TABLE ")
	b.WriteString(t.id.sql(quoteAlways))
	for i, c := range missing {
		if i > 0 {
			b.WriteByte(',')
		}
		spec, err := columnSpec(c, q)
		if err != nil {
			return "", err
		}
		b.WriteString(" ADD COLUMN IF NOT EXISTS ")
		b.WriteString(spec)
	}
	return b.String(), nil
}
