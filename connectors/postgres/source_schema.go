package postgres

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/runnel-dev/runnel/connect/data"
)

// Confluent's scale for NUMERIC columns declared without one.
const numericScaleUnset = 127

// colKind is how a result column is decoded.
type colKind uint8

const (
	ckBool colKind = iota
	ckInt16
	ckInt32
	ckInt64
	ckFloat32
	ckFloat64
	ckNumericDecimal
	ckNumericInt // NUMERIC mapped to an integer type by numeric.mapping
	ckNumericFloat
	ckBytes
	ckDate
	ckTime
	ckTimestamp
	ckText // everything else, in PostgreSQL's text form
)

// resultColumn decodes one column of a query result into a Connect value.
type resultColumn struct {
	name   string
	kind   colKind
	schema *data.Schema
	scale  int32 // ckNumericDecimal
	intTyp data.Type
	format int16
}

// resultMapping is the Connect schema of a query's rows and how to decode
// them; it is derived once per prepared statement.
type resultMapping struct {
	cols    []resultColumn
	schema  *data.Schema
	formats []int16
}

// mapResult derives the value schema from a statement's result columns, as
// Confluent's dialect does: nullable columns are optional, NUMERIC follows
// numeric.mapping, timestamps are Connect Timestamps. Types Confluent skips
// (arrays, intervals, enums, network types...) are read as strings.
func mapResult(ctx context.Context, q querier, schemaName string, fields []pgconn.FieldDescription, numeric string) (*resultMapping, error) {
	notNull, err := columnsNotNull(ctx, q, fields)
	if err != nil {
		return nil, err
	}
	b := data.StructBuilder()
	if schemaName != "" {
		b.Name(schemaName)
	}
	m := &resultMapping{}
	seen := map[string]bool{}
	for i, f := range fields {
		if seen[f.Name] {
			return nil, fmt.Errorf("the result has two columns named %q; alias one of them", f.Name)
		}
		seen[f.Name] = true
		optional := !notNull[i]
		c := resultColumn{name: f.Name, format: pgtype.BinaryFormatCode}
		prim := func(t data.Type) *data.Schema { return data.PrimitiveSchema(t, optional) }
		switch f.DataTypeOID {
		case pgtype.BoolOID:
			c.kind, c.schema = ckBool, prim(data.TypeBoolean)
		case pgtype.Int2OID:
			c.kind, c.schema = ckInt16, prim(data.TypeInt16)
		case pgtype.Int4OID:
			c.kind, c.schema = ckInt32, prim(data.TypeInt32)
		case pgtype.Int8OID, pgtype.OIDOID:
			c.kind, c.schema = ckInt64, prim(data.TypeInt64)
		case pgtype.Float4OID:
			c.kind, c.schema = ckFloat32, prim(data.TypeFloat32)
		case pgtype.Float8OID:
			c.kind, c.schema = ckFloat64, prim(data.TypeFloat64)
		case pgtype.NumericOID:
			mapNumeric(&c, f.TypeModifier, optional, numeric)
		case pgtype.ByteaOID:
			c.kind, c.schema = ckBytes, prim(data.TypeBytes)
		case pgtype.DateOID:
			c.kind, c.schema = ckDate, logical(data.DateBuilder(), optional)
		case pgtype.TimeOID:
			c.kind, c.schema = ckTime, logical(data.TimeBuilder(), optional)
		case pgtype.TimestampOID, pgtype.TimestamptzOID:
			c.kind, c.schema = ckTimestamp, logical(data.TimestampBuilder(), optional)
		default:
			c.kind, c.schema, c.format = ckText, prim(data.TypeString), pgtype.TextFormatCode
		}
		b.Field(c.name, c.schema)
		m.cols = append(m.cols, c)
		m.formats = append(m.formats, c.format)
	}
	s, err := b.Build()
	if err != nil {
		return nil, err
	}
	m.schema = s
	return m, nil
}

func logical(b *data.SchemaBuilder, optional bool) *data.Schema {
	if optional {
		b.Optional()
	}
	return b.MustBuild()
}

// mapNumeric applies numeric.mapping to a NUMERIC(precision, scale).
func mapNumeric(c *resultColumn, typmod int32, optional bool, mapping string) {
	precision, scale := 0, numericScaleUnset
	if typmod >= 4 {
		precision = int((typmod - 4) >> 16 & 0xffff)
		scale = int(int16((typmod - 4) & 0xffff))
		if scale > 1000 { // PostgreSQL 15 stores negative scales in 11 bits
			scale -= 2048
		}
	}
	bounded := precision > 0
	integer := func() {
		c.kind = ckNumericInt
		switch {
		case precision > 9:
			c.intTyp = data.TypeInt64
		case precision > 4:
			c.intTyp = data.TypeInt32
		case precision > 2:
			c.intTyp = data.TypeInt16
		default:
			c.intTyp = data.TypeInt8
		}
		c.schema = data.PrimitiveSchema(c.intTyp, optional)
	}
	float := func() {
		c.kind, c.schema = ckNumericFloat, data.PrimitiveSchema(data.TypeFloat64, optional)
	}
	switch mapping {
	case numericMappingPrecision:
		if bounded && scale == 0 && precision <= 18 {
			integer()
			return
		}
	case numericMappingBestFit:
		if bounded && precision <= 18 {
			if scale < 1 && scale >= -84 {
				integer()
				return
			}
			float()
			return
		}
	case numericMappingBestFitDbl:
		if bounded && scale < 1 && scale >= -84 && precision <= 18 {
			integer()
			return
		}
		if bounded && scale > 0 {
			float()
			return
		}
	}
	c.kind, c.scale = ckNumericDecimal, int32(scale)
	b := data.DecimalBuilder(int32(scale))
	if bounded {
		b.Parameter("connect.decimal.precision", strconv.Itoa(precision))
	}
	c.schema = logical(b, optional)
}

// columnsNotNull reads the NOT NULL flags of result columns that come
// straight from a table column; computed columns are nullable.
func columnsNotNull(ctx context.Context, q querier, fields []pgconn.FieldDescription) ([]bool, error) {
	out := make([]bool, len(fields))
	var rels []uint32
	var nums []int16
	for _, f := range fields {
		if f.TableOID != 0 {
			rels = append(rels, f.TableOID)
			nums = append(nums, int16(f.TableAttributeNumber))
		}
	}
	if len(rels) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT a.attrelid, a.attnum FROM pg_catalog.pg_attribute a
		JOIN unnest($1::oid[], $2::int2[]) AS c(rel, num) ON a.attrelid = c.rel AND a.attnum = c.num
		WHERE a.attnotnull`, rels, nums)
	if err != nil {
		return nil, fmt.Errorf("read column nullability: %w", err)
	}
	defer rows.Close()
	type key struct {
		rel uint32
		num int16
	}
	nn := map[key]bool{}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.rel, &k.num); err != nil {
			return nil, err
		}
		nn[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, f := range fields {
		out[i] = f.TableOID != 0 && nn[key{f.TableOID, int16(f.TableAttributeNumber)}]
	}
	return out, nil
}

// scanTargets holds one reusable scan destination per column.
type scanTargets struct {
	dest []any
	b    []pgtype.Bool
	i2   []pgtype.Int2
	i4   []pgtype.Int4
	i8   []pgtype.Int8
	f4   []pgtype.Float4
	f8   []pgtype.Float8
	num  []pgtype.Numeric
	byt  [][]byte
	date []pgtype.Date
	tim  []pgtype.Time
	ts   []pgtype.Timestamp
	tstz []pgtype.Timestamptz
	txt  []pgtype.Text
	// tz tells timestamp columns with and without time zone apart.
	tz []bool
}

func newScanTargets(m *resultMapping, fields []pgconn.FieldDescription) *scanTargets {
	n := len(m.cols)
	st := &scanTargets{dest: make([]any, n), b: make([]pgtype.Bool, n), i2: make([]pgtype.Int2, n), i4: make([]pgtype.Int4, n),
		i8: make([]pgtype.Int8, n), f4: make([]pgtype.Float4, n), f8: make([]pgtype.Float8, n), num: make([]pgtype.Numeric, n),
		byt: make([][]byte, n), date: make([]pgtype.Date, n), tim: make([]pgtype.Time, n), ts: make([]pgtype.Timestamp, n),
		tstz: make([]pgtype.Timestamptz, n), txt: make([]pgtype.Text, n), tz: make([]bool, n)}
	for i, c := range m.cols {
		switch c.kind {
		case ckBool:
			st.dest[i] = &st.b[i]
		case ckInt16:
			st.dest[i] = &st.i2[i]
		case ckInt32:
			st.dest[i] = &st.i4[i]
		case ckInt64:
			st.dest[i] = &st.i8[i]
		case ckFloat32:
			st.dest[i] = &st.f4[i]
		case ckFloat64:
			st.dest[i] = &st.f8[i]
		case ckNumericDecimal, ckNumericInt, ckNumericFloat:
			st.dest[i] = &st.num[i]
		case ckBytes:
			st.dest[i] = &st.byt[i]
		case ckDate:
			st.dest[i] = &st.date[i]
		case ckTime:
			st.dest[i] = &st.tim[i]
		case ckTimestamp:
			if fields[i].DataTypeOID == pgtype.TimestamptzOID {
				st.tz[i] = true
				st.dest[i] = &st.tstz[i]
			} else {
				st.dest[i] = &st.ts[i]
			}
		default:
			st.dest[i] = &st.txt[i]
		}
	}
	return st
}

// value returns column i of the last scanned row as a Connect value.
func (st *scanTargets) value(m *resultMapping, i int) (any, error) {
	c := &m.cols[i]
	switch c.kind {
	case ckBool:
		return valid(st.b[i].Bool, st.b[i].Valid), nil
	case ckInt16:
		return valid(st.i2[i].Int16, st.i2[i].Valid), nil
	case ckInt32:
		return valid(st.i4[i].Int32, st.i4[i].Valid), nil
	case ckInt64:
		return valid(st.i8[i].Int64, st.i8[i].Valid), nil
	case ckFloat32:
		return valid(st.f4[i].Float32, st.f4[i].Valid), nil
	case ckFloat64:
		return valid(st.f8[i].Float64, st.f8[i].Valid), nil
	case ckNumericDecimal, ckNumericInt, ckNumericFloat:
		return numericValue(c, st.num[i])
	case ckBytes:
		if st.byt[i] == nil {
			return nil, nil
		}
		return append([]byte(nil), st.byt[i]...), nil
	case ckDate:
		if !st.date[i].Valid {
			return nil, nil
		}
		if st.date[i].InfinityModifier != pgtype.Finite {
			return nil, fmt.Errorf("column %s: infinite dates have no Connect representation", c.name)
		}
		d := st.date[i].Time
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC), nil
	case ckTime:
		if !st.tim[i].Valid {
			return nil, nil
		}
		return time.UnixMilli(st.tim[i].Microseconds / 1000).UTC(), nil
	case ckTimestamp:
		var t time.Time
		var ok bool
		var inf pgtype.InfinityModifier
		if st.tz[i] {
			t, ok, inf = st.tstz[i].Time, st.tstz[i].Valid, st.tstz[i].InfinityModifier
		} else {
			t, ok, inf = st.ts[i].Time, st.ts[i].Valid, st.ts[i].InfinityModifier
		}
		if !ok {
			return nil, nil
		}
		if inf != pgtype.Finite {
			return nil, fmt.Errorf("column %s: infinite timestamps have no Connect representation", c.name)
		}
		return t.UTC(), nil
	}
	return valid(st.txt[i].String, st.txt[i].Valid), nil
}

func valid[T any](v T, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func numericValue(c *resultColumn, n pgtype.Numeric) (any, error) {
	if !n.Valid {
		return nil, nil
	}
	if n.NaN || n.InfinityModifier != pgtype.Finite {
		if c.kind == ckNumericFloat {
			f, _ := n.Float64Value()
			return f.Float64, nil
		}
		return nil, fmt.Errorf("column %s: NaN and infinity have no Decimal representation; use numeric.mapping=best_fit or cast the column", c.name)
	}
	switch c.kind {
	case ckNumericFloat:
		f, err := n.Float64Value()
		if err != nil {
			return nil, err
		}
		return f.Float64, nil
	case ckNumericInt:
		i, err := n.Int64Value()
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		switch c.intTyp {
		case data.TypeInt8:
			if i.Int64 < math.MinInt8 || i.Int64 > math.MaxInt8 {
				return nil, fmt.Errorf("column %s: %d overflows INT8", c.name, i.Int64)
			}
			return int8(i.Int64), nil
		case data.TypeInt16:
			return int16(i.Int64), nil
		case data.TypeInt32:
			return int32(i.Int64), nil
		}
		return i.Int64, nil
	}
	return decimalAtScale(n.Int, -n.Exp, c.scale), nil
}

// decimalAtScale expresses unscaled×10^-scale at the target scale,
// rounding half up when digits must go (as getBigDecimal(col, scale)).
func decimalAtScale(unscaled *big.Int, scale, target int32) *data.Decimal {
	u := new(big.Int).Set(unscaled)
	switch {
	case target > scale:
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(target-scale)), nil))
	case target < scale:
		div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-target)), nil)
		q, r := new(big.Int).QuoRem(u, div, new(big.Int))
		r.Abs(r).Mul(r, big.NewInt(2))
		if r.Cmp(div) >= 0 {
			if u.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		u = q
	}
	return data.NewDecimal(u, target)
}
