package cdc

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/runnel-dev/runnel/connect/data"
)

// column is one captured column and how its values become Connect values.
type column struct {
	name     string
	oid      uint32
	typmod   int32
	optional bool // the column is nullable
	key      bool // part of the primary key (the record key)
	// inValue is false for columns left out of the value struct (column
	// filters, unsupported types).
	inValue    bool
	decode     decodeFunc
	zero       any
	toast      any // placeholder for an unchanged TOASTed value, or nil
	valueField *data.Field
	keyField   *data.Field
}

// table is a captured table with its Debezium schemas.
type table struct {
	oid          uint32
	schema, name string
	topic        string
	columns      []*column
	keySchema    *data.Schema // nil when the table has no primary key
	valueSchema  *data.Schema
	envelope     *data.Schema
	env          envelopeFields
	// schemaAny and nameAny are the names, boxed once for source blocks.
	schemaAny, nameAny any
}

// envelopeFields are the envelope schema's fields, looked up once.
type envelopeFields struct {
	before, after, source, op, tsMs, tsUs, tsNs *data.Field
}

func (t *table) String() string { return t.schema + "." + t.name }

// catalogColumn is a pg_attribute row.
type catalogColumn struct {
	name    string
	oid     uint32
	typmod  int32
	notNull bool
	pk      bool
	// defaultExpr is the column's DEFAULT expression, if any.
	defaultExpr *string
}

const tableColumnsQuery = `SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull,
	COALESCE(a.attnum = ANY(pk.indkey::int2[]), false), pg_catalog.pg_get_expr(d.adbin, d.adrelid)
	FROM pg_catalog.pg_attribute a
	LEFT JOIN pg_catalog.pg_index pk ON pk.indrelid = a.attrelid AND pk.indisprimary
	LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
	ORDER BY a.attnum`

// replicaIndexQuery lists the columns of a REPLICA IDENTITY USING INDEX
// index, the key Debezium uses for tables without a primary key.
const replicaIndexQuery = `SELECT a.attname FROM pg_catalog.pg_index i
	JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey::int2[])
	WHERE i.indrelid = $1 AND i.indisreplident`

func readCatalogColumns(ctx context.Context, conn *pgx.Conn, oid uint32) ([]catalogColumn, error) {
	rows, err := conn.Query(ctx, tableColumnsQuery, oid)
	if err != nil {
		return nil, fmt.Errorf("reading columns of table oid %d: %w", oid, err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalogColumn, error) {
		var c catalogColumn
		err := r.Scan(&c.name, &c.oid, &c.typmod, &c.notNull, &c.pk, &c.defaultExpr)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading columns of table oid %d: %w", oid, err)
	}
	hasPK := false
	for _, c := range cols {
		hasPK = hasPK || c.pk
	}
	if !hasPK {
		names, err := pgx.CollectRows(mustQuery(ctx, conn, replicaIndexQuery, oid), pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("reading the replica identity index of table oid %d: %w", oid, err)
		}
		for i := range cols {
			for _, n := range names {
				if cols[i].name == n {
					cols[i].pk = true
				}
			}
		}
	}
	return cols, nil
}

// mustQuery defers a query error to the row collection that follows.
func mustQuery(ctx context.Context, conn *pgx.Conn, sql string, args ...any) pgx.Rows {
	rows, _ := conn.Query(ctx, sql, args...)
	return rows
}

// schemaBuilder turns table metadata into captured tables with their
// schemas; it holds what every table shares.
type schemaBuilder struct {
	cfg    *config
	types  *typeRegistry
	source *data.Schema
	log    *slog.Logger
	// prefixAny and dbAny are topic.prefix and the database name, boxed
	// once for source blocks.
	prefixAny, dbAny any
}

// build makes a table from the column list (from a pgoutput Relation
// message, or from the catalog for a snapshot) and catalog facts.
func (b *schemaBuilder) build(oid uint32, schema, name string, cols []catalogColumn) (*table, error) {
	t := &table{oid: oid, schema: schema, name: name,
		topic: topicName(b.cfg.topicPrefix, schema, name)}
	recordPrefix := b.cfg.topicPrefix + "." + schema + "." + name
	vb := data.StructBuilder().Name(recordPrefix + ".Value")
	kb := data.StructBuilder().Name(recordPrefix + ".Key")
	hasKey := false
	var skipped []string
	custom, err := b.cfg.keyColumns.forTable(schema, name, cols)
	if err != nil {
		return nil, err
	}
	for _, cc := range cols {
		isKey := cc.pk
		if custom != nil {
			isKey = custom[cc.name]
		}
		c := &column{name: cc.name, oid: cc.oid, typmod: cc.typmod, optional: !cc.notNull, key: isKey}
		cd := codecFor(b.types, cc.oid, cc.typmod, b.cfg)
		if cd == nil {
			if c.key {
				return nil, fmt.Errorf("table %s: primary key column %q has type %s, which the connector does not support; set include.unknown.datatypes=true to send it as bytes",
					t, cc.name, b.types.typeName(cc.oid))
			}
			skipped = append(skipped, cc.name+" ("+b.types.typeName(cc.oid)+")")
			t.columns = append(t.columns, c)
			continue
		}
		fieldBuilder := cd.build()
		if c.optional {
			fieldBuilder.Optional()
		}
		if v := defaultValue(cd, cc.defaultExpr); v != nil {
			fieldBuilder.Default(v)
		}
		fs, err := fieldBuilder.Build()
		if err != nil {
			return nil, fmt.Errorf("table %s column %q: %w", t, cc.name, err)
		}
		c.decode, c.zero = cd.decode, cd.zero
		if cd.bind != nil {
			c.decode = cd.bind(fs)
			if z, err := c.decode([]byte("0")); err == nil {
				c.zero = z
			}
		}
		if cd.toast != nil {
			c.toast = cd.toast(b.cfg.toastPlaceholder)
		}
		c.inValue = b.cfg.filter.includesColumn(schema, name, cc.name)
		if c.inValue {
			vb.Field(cc.name, fs)
		}
		if c.key {
			// Primary key columns are never null, whatever the catalog
			// says; message.key.columns may name nullable ones.
			ks := fs
			if ks.Optional() && custom == nil {
				kfb := cd.build()
				if v := defaultValue(cd, cc.defaultExpr); v != nil {
					kfb.Default(v)
				}
				if ks, err = kfb.Build(); err != nil {
					return nil, fmt.Errorf("table %s column %q: %w", t, cc.name, err)
				}
			}
			kb.Field(cc.name, ks)
			hasKey = true
		}
		t.columns = append(t.columns, c)
	}
	if len(skipped) > 0 && b.log != nil {
		b.log.Warn("columns of unsupported types are left out of change events; set include.unknown.datatypes=true to send them as bytes",
			"table", t.String(), "columns", strings.Join(skipped, ", "))
	}
	if t.valueSchema, err = vb.Optional().Build(); err != nil {
		return nil, fmt.Errorf("table %s: %w", t, err)
	}
	if hasKey {
		if t.keySchema, err = kb.Build(); err != nil {
			return nil, fmt.Errorf("table %s: %w", t, err)
		}
	}
	t.envelope, err = data.StructBuilder().Name(t.topic+".Envelope").Version(2).
		Field("before", t.valueSchema).
		Field("after", t.valueSchema).
		Field("source", b.source).
		Field("transaction", transactionSchema).
		Field("op", data.StringSchema).
		Field("ts_ms", data.OptionalInt64Schema).
		Field("ts_us", data.OptionalInt64Schema).
		Field("ts_ns", data.OptionalInt64Schema).
		Build()
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t, err)
	}
	e := t.envelope
	t.env = envelopeFields{e.Field("before"), e.Field("after"), e.Field("source"), e.Field("op"), e.Field("ts_ms"), e.Field("ts_us"), e.Field("ts_ns")}
	t.schemaAny, t.nameAny = schema, name
	for _, c := range t.columns {
		if c.inValue && c.decode != nil {
			c.valueField = t.valueSchema.Field(c.name)
		}
		if c.key && t.keySchema != nil {
			c.keyField = t.keySchema.Field(c.name)
		}
	}
	return t, nil
}

// defaultValue converts a column's DEFAULT expression to a schema default,
// as Debezium does for constant defaults ('x'::text, 42, true,
// '2024-01-01'::date). Defaults computed at insert time (now(), nextval())
// have no schema default; nil means none.
func defaultValue(cd *codec, expr *string) any {
	if expr == nil || cd.bind != nil {
		return nil
	}
	lit, ok := defaultLiteral(*expr)
	if !ok {
		return nil
	}
	v, err := cd.decode([]byte(lit))
	if err != nil {
		return nil
	}
	s, err := cd.build().Build()
	if err != nil || data.ValidateValue(s, v) != nil {
		return nil
	}
	return v
}

// defaultLiteral extracts the constant of a default expression as printed
// by pg_get_expr: 'text'::type (quotes doubled inside), a number (possibly
// parenthesised or cast), true or false.
func defaultLiteral(expr string) (string, bool) {
	e := strings.TrimSpace(expr)
	for strings.HasPrefix(e, "(") && strings.HasSuffix(e, ")") {
		e = strings.TrimSpace(e[1 : len(e)-1])
	}
	if strings.HasPrefix(e, "'") {
		var b strings.Builder
		for i := 1; i < len(e); i++ {
			if e[i] == '\'' {
				if i+1 < len(e) && e[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				rest := e[i+1:]
				if rest == "" || strings.HasPrefix(rest, "::") && castOnly(rest) {
					return b.String(), true
				}
				return "", false
			}
			b.WriteByte(e[i])
		}
		return "", false
	}
	if i := strings.Index(e, "::"); i > 0 {
		if !castOnly(e[i:]) {
			return "", false
		}
		e = strings.TrimSpace(e[:i])
		for strings.HasPrefix(e, "(") && strings.HasSuffix(e, ")") {
			e = strings.TrimSpace(e[1 : len(e)-1])
		}
	}
	switch e {
	case "true", "false":
		return e[:1], true
	}
	if _, err := strconv.ParseFloat(e, 64); err == nil {
		return e, true
	}
	return "", false
}

// castOnly reports whether s is a chain of casts ("::text", "::character
// varying") with nothing else.
func castOnly(s string) bool {
	for _, part := range strings.Split(s, "::")[1:] {
		for _, c := range part {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || c == '_' || c == '"' || c == '.' || c == '[' || c == ']' || c == '(' || c == ')' || c == ',') {
				return false
			}
		}
	}
	return true
}

// topicName is Debezium's default topic naming: <prefix>.<schema>.<table>
// with characters Kafka does not allow in topic names replaced by '_'.
func topicName(prefix, schema, table string) string {
	name := prefix + "." + schema + "." + table
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

// capturedTable is a table found in the catalog that the filters select.
type capturedTable struct {
	oid          uint32
	schema, name string
	canSelect    bool
}

const capturedTablesQuery = `SELECT c.oid, n.nspname, c.relname, c.relreplident, has_table_privilege(c.oid, 'SELECT')
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relkind = 'r' AND c.relpersistence = 'p'
	ORDER BY n.nspname, c.relname`

// listCapturedTables returns the permanent tables of the database that the
// filters select.
func listCapturedTables(ctx context.Context, conn *pgx.Conn, f *tableFilter) ([]capturedTable, error) {
	rows, err := conn.Query(ctx, capturedTablesQuery)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (capturedTable, error) {
		var t capturedTable
		var ident string
		err := r.Scan(&t.oid, &t.schema, &t.name, &ident, &t.canSelect)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	var out []capturedTable
	for _, t := range all {
		if f.captures(t.schema, t.name) {
			out = append(out, t)
		}
	}
	return out, nil
}

// listAllTableNames returns schema.table of every permanent user table, for
// checking that include-list entries match something.
func listAllTableNames(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, capturedTablesQuery)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	var out []string
	for rows.Next() {
		var oid uint32
		var schema, name, ident string
		var sel bool
		if err := rows.Scan(&oid, &schema, &name, &ident, &sel); err != nil {
			rows.Close()
			return nil, err
		}
		if !systemSchema(schema) {
			out = append(out, schema+"."+name)
		}
	}
	return out, rows.Err()
}
