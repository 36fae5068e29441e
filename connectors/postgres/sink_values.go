package postgres

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/runnel-dev/runnel/connect/data"
)

// targetKind groups PostgreSQL column types by how values are written.
type targetKind uint8

const (
	tkOther targetKind = iota
	tkInt
	tkFloat
	tkNumeric
	tkBool
	tkText
	tkBytes
	tkDate
	tkTime
	tkTimestamp   // without time zone: wall clock in db.timezone
	tkTimestampTZ // an instant
	tkJSON
	tkArray
)

func kindOfOID(oid uint32, typeName string) targetKind {
	switch oid {
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		return tkInt
	case pgtype.Float4OID, pgtype.Float8OID:
		return tkFloat
	case pgtype.NumericOID:
		return tkNumeric
	case pgtype.BoolOID:
		return tkBool
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		return tkText
	case pgtype.ByteaOID:
		return tkBytes
	case pgtype.DateOID:
		return tkDate
	case pgtype.TimeOID:
		return tkTime
	case pgtype.TimestampOID:
		return tkTimestamp
	case pgtype.TimestamptzOID:
		return tkTimestampTZ
	case pgtype.JSONOID, pgtype.JSONBOID:
		return tkJSON
	}
	if strings.HasSuffix(typeName, "[]") {
		return tkArray
	}
	return tkOther
}

// valueConverter turns Connect values of one column into values pgx
// encodes for the destination column's type.
type valueConverter struct {
	col    *sinkColumn
	target targetKind
	loc    *time.Location
}

func (vc *valueConverter) convert(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		switch vc.target {
		case tkDate, tkTime, tkTimestamp, tkTimestampTZ:
			return vc.parseTemporal(x)
		case tkInt, tkFloat, tkNumeric, tkBool:
			return vc.parseText(x)
		case tkText, tkJSON, tkOther:
			if strings.IndexByte(x, 0) >= 0 {
				// PostgreSQL text cannot hold NUL; Confluent strips it too.
				return strings.ReplaceAll(x, "\x00", ""), nil
			}
		}
		return x, nil
	case int8:
		if vc.target == tkText {
			return strconv.Itoa(int(x)), nil
		}
		return int16(x), nil
	case int16, int32, float32, float64, bool:
		if vc.target == tkText {
			// COPY's binary format cannot turn numbers into text itself.
			return fmt.Sprint(v), nil
		}
		return v, nil
	case int64:
		if vc.target == tkText {
			return strconv.FormatInt(x, 10), nil
		}
		switch vc.target {
		case tkTimestamp, tkTimestampTZ, tkDate:
			if vc.col.schema == nil { // schemaless epoch milliseconds
				return vc.timestamp(time.UnixMilli(x))
			}
		}
		return v, nil
	case []byte:
		return v, nil
	case *data.Decimal:
		return vc.decimal(x)
	case time.Time:
		return vc.temporal(x)
	case []any:
		if vc.target == tkArray {
			return typedSlice(x)
		}
		return vc.json(v)
	case map[string]any, map[any]any, *data.Struct:
		return vc.json(v)
	}
	return nil, fmt.Errorf("cannot write a %T to column %q", v, vc.col.name)
}

func (vc *valueConverter) json(v any) (any, error) {
	b, err := json.Marshal(toJSONValue(v))
	if err != nil {
		return nil, fmt.Errorf("column %q: encode as JSON: %w", vc.col.name, err)
	}
	if vc.target == tkText {
		return string(b), nil
	}
	if vc.target != tkJSON {
		return nil, fmt.Errorf("column %q: a nested value can only be written to a json, jsonb or text column", vc.col.name)
	}
	return b, nil
}

func (vc *valueConverter) decimal(d *data.Decimal) (any, error) {
	switch vc.target {
	case tkFloat:
		return d.Float64(), nil
	case tkText:
		return d.String(), nil
	case tkInt:
		r, err := d.Rescale(0)
		if err != nil {
			return nil, fmt.Errorf("column %q is an integer but the value %s has a fraction", vc.col.name, d)
		}
		u := r.Unscaled()
		if !u.IsInt64() {
			return nil, fmt.Errorf("column %q: %s is out of range", vc.col.name, d)
		}
		return u.Int64(), nil
	}
	return pgtype.Numeric{Int: d.Unscaled(), Exp: -d.Scale(), Valid: true}, nil
}

// temporal writes a Date, Time or Timestamp (chosen by the field's logical
// type) into the destination column's type.
func (vc *valueConverter) temporal(t time.Time) (any, error) {
	name := ""
	if vc.col.schema != nil {
		name = vc.col.schema.Name()
	}
	switch {
	case name == data.TimeLogicalName || vc.target == tkTime:
		if vc.target == tkText {
			return t.UTC().Format("15:04:05.999999"), nil
		}
		u := t.UTC()
		us := int64(u.Hour())*3600e6 + int64(u.Minute())*60e6 + int64(u.Second())*1e6 + int64(u.Nanosecond()/1000)
		return pgtype.Time{Microseconds: us, Valid: true}, nil
	case name == data.DateLogicalName && (vc.target == tkDate || vc.target == tkOther):
		u := t.UTC()
		return pgtype.Date{Time: time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC), Valid: true}, nil
	}
	return vc.timestamp(t)
}

func (vc *valueConverter) timestamp(t time.Time) (any, error) {
	switch vc.target {
	case tkTimestamp:
		// pgx writes the wall clock of the time's location.
		return t.In(vc.loc), nil
	case tkDate:
		u := t.In(vc.loc)
		return pgtype.Date{Time: time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC), Valid: true}, nil
	case tkText:
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	return t, nil
}

var temporalLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999", "2006-01-02", "15:04:05.999999999"}

// parseTemporal reads an ISO-8601 string (schemaless data) for a date,
// time or timestamp column.
func (vc *valueConverter) parseTemporal(s string) (any, error) {
	for _, layout := range temporalLayouts {
		t, err := time.ParseInLocation(layout, s, vc.loc)
		if err != nil {
			continue
		}
		switch vc.target {
		case tkDate:
			return pgtype.Date{Time: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), Valid: true}, nil
		case tkTime:
			us := int64(t.Hour())*3600e6 + int64(t.Minute())*60e6 + int64(t.Second())*1e6 + int64(t.Nanosecond()/1000)
			return pgtype.Time{Microseconds: us, Valid: true}, nil
		}
		return vc.timestamp(t)
	}
	return nil, fmt.Errorf("column %q: %q is not an ISO-8601 date or time", vc.col.name, s)
}

// parseText reads a string written to a numeric or boolean column, so
// that COPY (binary) gets a value of the column's type and a malformed
// string is reported with its record.
func (vc *valueConverter) parseText(s string) (any, error) {
	t := strings.TrimSpace(s)
	switch vc.target {
	case tkInt:
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("column %q: %q is not an integer", vc.col.name, s)
		}
		return n, nil
	case tkFloat:
		f, err := strconv.ParseFloat(t, 64)
		if err != nil {
			return nil, fmt.Errorf("column %q: %q is not a number", vc.col.name, s)
		}
		return f, nil
	case tkNumeric:
		d, err := data.ParseDecimal(t)
		if err != nil {
			return nil, fmt.Errorf("column %q: %q is not a decimal number", vc.col.name, s)
		}
		return pgtype.Numeric{Int: d.Unscaled(), Exp: -d.Scale(), Valid: true}, nil
	}
	b, err := strconv.ParseBool(t)
	if err != nil {
		return nil, fmt.Errorf("column %q: %q is not a boolean", vc.col.name, s)
	}
	return b, nil
}

// typedSlice turns a Connect array into a slice pgx encodes as a
// PostgreSQL array (nil elements become NULLs).
func typedSlice(a []any) (any, error) {
	var kind any
	hasNil := false
	for _, e := range a {
		if e == nil {
			hasNil = true
			continue
		}
		if kind == nil {
			kind = e
		}
	}
	switch kind.(type) {
	case nil:
		return []*string(make([]*string, len(a))), nil
	case int8:
		return sliceOf(a, hasNil, func(e any) (int16, bool) { x, ok := e.(int8); return int16(x), ok })
	case int16:
		return sliceOf(a, hasNil, func(e any) (int16, bool) { x, ok := e.(int16); return x, ok })
	case int32:
		return sliceOf(a, hasNil, func(e any) (int32, bool) { x, ok := e.(int32); return x, ok })
	case int64:
		return sliceOf(a, hasNil, func(e any) (int64, bool) { x, ok := e.(int64); return x, ok })
	case float32:
		return sliceOf(a, hasNil, func(e any) (float32, bool) { x, ok := e.(float32); return x, ok })
	case float64:
		return sliceOf(a, hasNil, func(e any) (float64, bool) { x, ok := e.(float64); return x, ok })
	case bool:
		return sliceOf(a, hasNil, func(e any) (bool, bool) { x, ok := e.(bool); return x, ok })
	case string:
		return sliceOf(a, hasNil, func(e any) (string, bool) { x, ok := e.(string); return x, ok })
	case *data.Decimal:
		return sliceOf(a, hasNil, func(e any) (pgtype.Numeric, bool) {
			x, ok := e.(*data.Decimal)
			if !ok {
				return pgtype.Numeric{}, false
			}
			return pgtype.Numeric{Int: x.Unscaled(), Exp: -x.Scale(), Valid: true}, true
		})
	case time.Time:
		return sliceOf(a, hasNil, func(e any) (time.Time, bool) { x, ok := e.(time.Time); return x, ok })
	}
	return nil, fmt.Errorf("arrays of %T cannot be written to an array column (use a json or jsonb column)", kind)
}

func sliceOf[T any](a []any, hasNil bool, get func(any) (T, bool)) (any, error) {
	if hasNil {
		out := make([]*T, len(a))
		for i, e := range a {
			if e == nil {
				continue
			}
			v, ok := get(e)
			if !ok {
				return nil, fmt.Errorf("array mixes %T and other element types", e)
			}
			out[i] = &v
		}
		return out, nil
	}
	out := make([]T, len(a))
	for i, e := range a {
		v, ok := get(e)
		if !ok {
			return nil, fmt.Errorf("array mixes %T and other element types", e)
		}
		out[i] = v
	}
	return out, nil
}

// toJSONValue converts Connect values to values encoding/json renders the
// way the JsonConverter would without schemas.
func toJSONValue(v any) any {
	switch x := v.(type) {
	case *data.Struct:
		m := make(map[string]any, len(x.Schema().Fields()))
		for _, f := range x.Schema().Fields() {
			m[f.Name()] = toJSONValue(x.GetField(f))
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = toJSONValue(e)
		}
		return m
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = toJSONValue(e)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toJSONValue(e)
		}
		return out
	case *data.Decimal:
		return json.Number(x.String())
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	}
	return v
}

// sqlLiteral renders a default value for DDL.
func sqlLiteral(s *data.Schema, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "NULL", nil
	case *data.Decimal:
		return x.PlainString(), nil
	case time.Time:
		switch s.Name() {
		case data.DateLogicalName:
			return "'" + x.UTC().Format("2006-01-02") + "'", nil
		case data.TimeLogicalName:
			return "'" + x.UTC().Format("15:04:05.999") + "'", nil
		}
		return "'" + x.UTC().Format("2006-01-02 15:04:05.999") + "'", nil
	case int8:
		return strconv.Itoa(int(x)), nil
	case int16:
		return strconv.Itoa(int(x)), nil
	case int32:
		return strconv.Itoa(int(x)), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		if x {
			return "TRUE", nil
		}
		return "FALSE", nil
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'", nil
	case []byte:
		return `'\x` + hex.EncodeToString(x) + `'::bytea`, nil
	}
	return "", fmt.Errorf("unsupported default value of type %T", v)
}

// keyString encodes converted primary-key values to find records with the
// same key within a batch.
func keyString(b *strings.Builder, vals []any) {
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			b.WriteString("\x00n")
		case string:
			b.WriteString("\x00s")
			b.WriteString(x)
		case int16:
			b.WriteString("\x00i")
			b.WriteString(strconv.FormatInt(int64(x), 10))
		case int32:
			b.WriteString("\x00i")
			b.WriteString(strconv.FormatInt(int64(x), 10))
		case int64:
			b.WriteString("\x00i")
			b.WriteString(strconv.FormatInt(x, 10))
		case []byte:
			b.WriteString("\x00b")
			b.Write(x)
		case pgtype.Numeric:
			r := new(big.Rat).SetInt(x.Int)
			if x.Exp < 0 {
				r.Quo(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-x.Exp)), nil)))
			} else if x.Exp > 0 {
				r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(x.Exp)), nil)))
			}
			b.WriteString("\x00d")
			b.WriteString(r.RatString())
		case time.Time:
			b.WriteString("\x00t")
			b.WriteString(strconv.FormatInt(x.UnixNano(), 10))
		default:
			fmt.Fprintf(b, "\x00%T:%v", v, v)
		}
	}
}
