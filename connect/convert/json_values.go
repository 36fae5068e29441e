package convert

import (
	"bytes"
	"encoding/base64"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect/data"
)

// appendValue appends value as JSON following schema (JsonConverter.convertToJson).
func (c *JSONConverter) appendValue(b []byte, s *data.Schema, v any) ([]byte, error) {
	if v == nil {
		switch {
		case s == nil:
			return append(b, "null"...), nil
		case s.HasDefault() && c.replaceNull:
			return c.appendValue(b, s, s.Default())
		case s.Optional():
			return append(b, "null"...), nil
		}
		return nil, data.Errorf("Conversion error: null value for field that is required and has no default value")
	}
	if s != nil && s.Name() != "" {
		if out, handled, err := c.appendLogical(b, s, v); handled {
			return out, err
		}
	}
	var t data.Type
	if s == nil {
		if st, ok := v.(*data.Struct); ok && st != nil {
			// Kafka fails here ("Mismatching schema."); a struct carries its
			// schema, so use it.
			return c.appendStruct(b, st.Schema(), st)
		}
		var ok bool
		if t, ok = data.InferType(v); !ok {
			return nil, data.Errorf("Go type %T does not have corresponding schema type.", v)
		}
	} else {
		t = s.Type()
	}
	switch t {
	case data.TypeInt8:
		if x, ok := v.(int8); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case data.TypeInt16:
		if x, ok := v.(int16); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case data.TypeInt32:
		if x, ok := v.(int32); ok {
			return strconv.AppendInt(b, int64(x), 10), nil
		}
	case data.TypeInt64:
		if x, ok := v.(int64); ok {
			return strconv.AppendInt(b, x, 10), nil
		}
	case data.TypeFloat32:
		if x, ok := v.(float32); ok {
			return appendJavaFloat32(b, x), nil
		}
	case data.TypeFloat64:
		if x, ok := v.(float64); ok {
			return appendJavaDouble(b, x), nil
		}
	case data.TypeBoolean:
		if x, ok := v.(bool); ok {
			return strconv.AppendBool(b, x), nil
		}
	case data.TypeString:
		if x, ok := v.(string); ok {
			return appendJSONString(b, x), nil
		}
	case data.TypeBytes:
		if x, ok := v.([]byte); ok {
			return appendBase64(b, x), nil
		}
	case data.TypeArray:
		if x, ok := v.([]any); ok {
			var elem *data.Schema
			if s != nil {
				elem = s.ValueSchema()
			}
			b = append(b, '[')
			for i, e := range x {
				if i > 0 {
					b = append(b, ',')
				}
				var err error
				if b, err = c.appendValue(b, elem, e); err != nil {
					return nil, err
				}
			}
			return append(b, ']'), nil
		}
	case data.TypeMap:
		return c.appendMap(b, s, v)
	case data.TypeStruct:
		if x, ok := v.(*data.Struct); ok && x != nil {
			if x.Schema() != s && !x.Schema().Equal(s) {
				return nil, data.Errorf("Mismatching schema.")
			}
			return c.appendStruct(b, s, x)
		}
	}
	return nil, data.Errorf("Invalid type for %s: %T", t, v)
}

func (c *JSONConverter) appendStruct(b []byte, s *data.Schema, st *data.Struct) ([]byte, error) {
	b = append(b, '{')
	for i, f := range s.Fields() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.Name())
		b = append(b, ':')
		var err error
		if b, err = c.appendValue(b, f.Schema(), st.GetFieldWithoutDefault(f)); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendMap writes a map as a JSON object when its keys are strings (per the
// key schema, or all keys when schemaless) and as an array of [key,value]
// pairs otherwise. Go maps have no order, so entries are sorted by key (by
// the key's JSON text for pairs) to keep the output deterministic, which
// matters for compacted topics keyed by these bytes.
func (c *JSONConverter) appendMap(b []byte, s *data.Schema, v any) ([]byte, error) {
	var ks, vs *data.Schema
	if s != nil {
		ks, vs = s.KeySchema(), s.ValueSchema()
	}
	var err error
	switch m := v.(type) {
	case map[string]any:
		if s != nil && ks.Type() != data.TypeString {
			return nil, data.Errorf("Invalid type for MAP with %s keys: %T", ks.Type(), v)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			if b, err = c.appendValue(b, vs, m[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case map[any]any:
		objectMode := s != nil && ks.Type() == data.TypeString
		if s == nil {
			objectMode = true
			for k := range m {
				if _, ok := k.(string); !ok {
					objectMode = false
					break
				}
			}
		}
		type pair struct{ k, v []byte }
		pairs := make([]pair, 0, len(m))
		for k, val := range m {
			var p pair
			if objectMode {
				ksv, ok := k.(string)
				if !ok {
					return nil, data.Errorf("Invalid type for STRING map key: %T", k)
				}
				p.k = appendJSONString(nil, ksv)
			} else if p.k, err = c.appendValue(nil, ks, k); err != nil {
				return nil, err
			}
			if p.v, err = c.appendValue(nil, vs, val); err != nil {
				return nil, err
			}
			pairs = append(pairs, p)
		}
		slices.SortFunc(pairs, func(a, b pair) int { return bytes.Compare(a.k, b.k) })
		if objectMode {
			b = append(b, '{')
		} else {
			b = append(b, '[')
		}
		for i, p := range pairs {
			if i > 0 {
				b = append(b, ',')
			}
			if objectMode {
				b = append(b, p.k...)
				b = append(b, ':')
				b = append(b, p.v...)
			} else {
				b = append(b, '[')
				b = append(b, p.k...)
				b = append(b, ',')
				b = append(b, p.v...)
				b = append(b, ']')
			}
		}
		if objectMode {
			return append(b, '}'), nil
		}
		return append(b, ']'), nil
	}
	return nil, data.Errorf("Invalid type for MAP: %T", v)
}

// appendLogical handles the logical types; handled is false for other names.
func (c *JSONConverter) appendLogical(b []byte, s *data.Schema, v any) (out []byte, handled bool, err error) {
	switch s.Name() {
	case data.DecimalLogicalName:
		d, ok := v.(*data.Decimal)
		if !ok {
			return nil, true, data.Errorf("Invalid type for Decimal, expected *data.Decimal but was %T", v)
		}
		if c.decimalFormat == DecimalNumeric {
			return append(b, d.String()...), true, nil
		}
		raw, err := data.DecimalFromLogical(s, d)
		if err != nil {
			return nil, true, err
		}
		return appendBase64(b, raw), true, nil
	case data.DateLogicalName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, true, data.Errorf("Invalid type for Date, expected time.Time but was %T", v)
		}
		n, err := data.DateFromLogical(s, t)
		return strconv.AppendInt(b, int64(n), 10), true, err
	case data.TimeLogicalName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, true, data.Errorf("Invalid type for Time, expected time.Time but was %T", v)
		}
		n, err := data.TimeFromLogical(s, t)
		return strconv.AppendInt(b, int64(n), 10), true, err
	case data.TimestampLogicalName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, true, data.Errorf("Invalid type for Timestamp, expected time.Time but was %T", v)
		}
		n, err := data.TimestampFromLogical(s, t)
		return strconv.AppendInt(b, n, 10), true, err
	}
	return b, false, nil
}

// readValue reads one value following schema (JsonConverter.convertToConnect).
func (c *JSONConverter) readValue(r *jsonReader, s *data.Schema) (any, error) {
	if s == nil {
		return c.readSchemaless(r)
	}
	k, err := r.peek()
	if err != nil {
		return nil, err
	}
	if k == kindNull || k == kindMissing {
		if k == kindNull {
			if err := r.readNull(); err != nil {
				return nil, err
			}
		}
		switch {
		case s.HasDefault() && c.replaceNull:
			return s.Default(), nil
		case s.Optional():
			return nil, nil
		}
		return nil, data.Errorf("Invalid null value for required %s field", s.Type())
	}
	if s.Name() != "" {
		if v, handled, err := c.readLogical(r, s, k); handled {
			return v, err
		}
	}
	switch s.Type() {
	case data.TypeBoolean:
		if k != kindBoolean {
			return nil, mismatchNode(s, k)
		}
		return r.readBool()
	case data.TypeInt8:
		n, err := readInt(r, k, s, math.MinInt8, math.MaxInt8)
		return int8(n), err
	case data.TypeInt16:
		n, err := readInt(r, k, s, math.MinInt16, math.MaxInt16)
		return int16(n), err
	case data.TypeInt32:
		n, err := readInt(r, k, s, math.MinInt32, math.MaxInt32)
		return int32(n), err
	case data.TypeInt64:
		return readInt(r, k, s, math.MinInt64, math.MaxInt64)
	case data.TypeFloat32:
		f, err := readFloat(r, k, s, 32)
		return float32(f), err
	case data.TypeFloat64:
		return readFloat(r, k, s, 64)
	case data.TypeString:
		if k != kindString {
			return nil, mismatchNode(s, k)
		}
		return r.readString()
	case data.TypeBytes:
		if k != kindString {
			return nil, mismatchNode(s, k)
		}
		return readBase64(r)
	case data.TypeArray:
		if k != kindArray {
			return nil, mismatchNode(s, k)
		}
		r.i++
		out := []any{}
		for first := true; ; first = false {
			more, err := r.more(']', first)
			if err != nil {
				return nil, err
			}
			if !more {
				return out, nil
			}
			e, err := c.readValue(r, s.ValueSchema())
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	case data.TypeMap:
		return c.readMap(r, s, k)
	case data.TypeStruct:
		return c.readStruct(r, s, k)
	}
	return nil, data.Errorf("Unknown schema type: %s", s.Type())
}

func mismatchNode(s *data.Schema, k nodeKind) error {
	return data.Errorf("Invalid JSON for schema type %s: found %s", s.Type(), k)
}

// readInt reads an integer in [lo, hi]. A number written with a fraction or
// exponent is accepted when its value is integral; anything that would be
// truncated or overflow is an error rather than Java's silent narrowing.
func readInt(r *jsonReader, k nodeKind, s *data.Schema, lo, hi int64) (int64, error) {
	if k != kindNumber {
		return 0, mismatchNode(s, k)
	}
	text, isFloat, err := r.readNumber()
	if err != nil {
		return 0, err
	}
	var n int64
	if !isFloat {
		n, err = strconv.ParseInt(string(text), 10, 64)
	} else {
		d, perr := data.ParseDecimal(string(text))
		if perr != nil {
			return 0, perr
		}
		rat := d.Rat()
		if !rat.IsInt() || !rat.Num().IsInt64() {
			return 0, data.Errorf("Invalid value %s for schema type %s: not an integer in range", text, s.Type())
		}
		n = rat.Num().Int64()
	}
	if err != nil || n < lo || n > hi {
		return 0, data.Errorf("Invalid value %s for schema type %s: out of range", text, s.Type())
	}
	return n, nil
}

func readFloat(r *jsonReader, k nodeKind, s *data.Schema, bits int) (float64, error) {
	if k == kindString { // "NaN", "Infinity", "-Infinity" as Jackson writes them
		str, err := r.readString()
		if err != nil {
			return 0, err
		}
		switch str {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		return 0, data.Errorf("Invalid value %q for schema type %s", str, s.Type())
	}
	if k != kindNumber {
		return 0, mismatchNode(s, k)
	}
	text, _, err := r.readNumber()
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(text), bits)
	if err != nil && !strings.Contains(err.Error(), "range") {
		return 0, err
	}
	return f, nil // out-of-range values become ±Inf, as Java's doubleValue
}

func readBase64(r *jsonReader) ([]byte, error) {
	raw, err := r.readStringBytes()
	if err != nil {
		return nil, err
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Decode(out, raw)
	if err != nil {
		// Jackson also accepts unpadded input.
		if n, err = base64.RawStdEncoding.Decode(out, raw); err != nil {
			return nil, data.Errorf("Invalid bytes field: not base64: %w", err)
		}
	}
	return out[:n], nil
}

func (c *JSONConverter) readLogical(r *jsonReader, s *data.Schema, k nodeKind) (any, bool, error) {
	switch s.Name() {
	case data.DecimalLogicalName:
		switch k {
		case kindNumber:
			text, _, err := r.readNumber()
			if err != nil {
				return nil, true, err
			}
			d, err := data.ParseDecimal(string(text))
			if err != nil {
				return nil, true, err
			}
			// Kafka keeps the number's own scale; rescaling to the schema's
			// scale when exact keeps later BASE64 writes working.
			if scale, err := data.DecimalScale(s); err == nil {
				if rd, err := d.Rescale(scale); err == nil {
					d = rd
				}
			}
			return d, true, nil
		case kindString:
			raw, err := readBase64(r)
			if err != nil {
				return nil, true, data.Errorf("Invalid bytes for Decimal field: %w", err)
			}
			d, err := data.DecimalToLogical(s, raw)
			return d, true, err
		}
		return nil, true, data.Errorf("Invalid type for Decimal, underlying representation should be numeric or bytes but was %s", k)
	case data.DateLogicalName, data.TimeLogicalName, data.TimestampLogicalName:
		if k != kindNumber {
			return nil, true, data.Errorf("Invalid type for %s, underlying representation should be integral but was %s", logicalShort(s.Name()), k)
		}
		text, isFloat, err := r.readNumber()
		if err != nil {
			return nil, true, err
		}
		n, err := strconv.ParseInt(string(text), 10, 64)
		if isFloat || err != nil {
			return nil, true, data.Errorf("Invalid type for %s, underlying representation should be integral but was %s", logicalShort(s.Name()), text)
		}
		var t time.Time
		switch s.Name() {
		case data.DateLogicalName:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, true, data.Errorf("Invalid type for Date, underlying representation should be integer but was %s", text)
			}
			t, err = data.DateToLogical(s, int32(n))
		case data.TimeLogicalName:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, true, data.Errorf("Invalid type for Time, underlying representation should be integer but was %s", text)
			}
			t, err = data.TimeToLogical(s, int32(n))
		default:
			t, err = data.TimestampToLogical(s, n)
		}
		return t, true, err
	}
	return nil, false, nil
}

func logicalShort(name string) string { return name[strings.LastIndexByte(name, '.')+1:] }

func (c *JSONConverter) readMap(r *jsonReader, s *data.Schema, k nodeKind) (any, error) {
	ks, vs := s.KeySchema(), s.ValueSchema()
	if ks.Type() == data.TypeString {
		if k != kindObject {
			return nil, data.Errorf("Maps with string fields should be encoded as JSON objects, but found %s", k)
		}
		r.i++
		out := map[string]any{}
		for first := true; ; first = false {
			more, err := r.more('}', first)
			if err != nil {
				return nil, err
			}
			if !more {
				return out, nil
			}
			key, err := r.objectKey()
			if err != nil {
				return nil, err
			}
			name := string(key)
			v, err := c.readValue(r, vs)
			if err != nil {
				return nil, err
			}
			out[name] = v
		}
	}
	if k != kindArray {
		return nil, data.Errorf("Maps with non-string fields should be encoded as JSON array of tuples, but found %s", k)
	}
	r.i++
	out := map[any]any{}
	for first := true; ; first = false {
		more, err := r.more(']', first)
		if err != nil {
			return nil, err
		}
		if !more {
			return out, nil
		}
		if ek, err := r.peek(); err != nil {
			return nil, err
		} else if ek != kindArray {
			return nil, data.Errorf("Found invalid map entry instead of array tuple: %s", ek)
		}
		r.i++
		var kv [2]any
		n := 0
		for f2 := true; ; f2 = false {
			more, err := r.more(']', f2)
			if err != nil {
				return nil, err
			}
			if !more {
				break
			}
			sch := ks
			if n == 1 {
				sch = vs
			}
			if n >= 2 {
				if _, err := r.skipValue(); err != nil {
					return nil, err
				}
				n++
				continue
			}
			if kv[n], err = c.readValue(r, sch); err != nil {
				return nil, err
			}
			n++
		}
		if n != 2 {
			return nil, data.Errorf("Found invalid map entry, expected length 2 but found :%d", n)
		}
		if !hashable(kv[0]) {
			return nil, data.Errorf("Map keys of type %T are not supported", kv[0])
		}
		out[kv[0]] = kv[1]
	}
}

// hashable reports whether a Connect value can be a Go map key.
func hashable(v any) bool {
	switch v.(type) {
	case []byte, []any, map[string]any, map[any]any:
		return false
	}
	return true
}

func (c *JSONConverter) readStruct(r *jsonReader, s *data.Schema, k nodeKind) (any, error) {
	if k != kindObject {
		return nil, data.Errorf("Structs should be encoded as JSON objects, but found %s", k)
	}
	st := data.NewStruct(s)
	fields := s.Fields()
	var seenSmall uint64
	var seenBig []bool
	if len(fields) > 64 {
		seenBig = make([]bool, len(fields))
	}
	r.i++
	for first := true; ; first = false {
		more, err := r.more('}', first)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		key, err := r.objectKey()
		if err != nil {
			return nil, err
		}
		var f *data.Field
		for _, cand := range fields {
			if cand.Name() == string(key) {
				f = cand
				break
			}
		}
		if f == nil { // not in the schema: ignored, as Kafka does
			if _, err := r.skipValue(); err != nil {
				return nil, err
			}
			continue
		}
		v, err := c.readValue(r, f.Schema())
		if err != nil {
			return nil, fieldError(f, err)
		}
		if err := st.PutField(f, v); err != nil {
			return nil, err
		}
		if seenBig != nil {
			seenBig[f.Index()] = true
		} else {
			seenSmall |= 1 << uint(f.Index())
		}
	}
	for _, f := range fields {
		seen := seenSmall&(1<<uint(f.Index())) != 0
		if seenBig != nil {
			seen = seenBig[f.Index()]
		}
		if seen {
			continue
		}
		// A missing member reads as null.
		v, err := c.readValue(&jsonReader{}, f.Schema())
		if err != nil {
			return nil, fieldError(f, err)
		}
		if err := st.PutField(f, v); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func fieldError(f *data.Field, err error) error {
	return &data.DataError{Msg: `field "` + f.Name() + `": ` + err.Error(), Err: err}
}

// readSchemaless reads any JSON value as Kafka does without a schema:
// integers as int64, other numbers as float64, objects as map[string]any,
// arrays as []any.
func (c *JSONConverter) readSchemaless(r *jsonReader) (any, error) {
	k, err := r.peek()
	if err != nil {
		return nil, err
	}
	switch k {
	case kindMissing:
		return nil, r.errorf("unexpected end of input")
	case kindNull:
		return nil, r.readNull()
	case kindBoolean:
		return r.readBool()
	case kindString:
		return r.readString()
	case kindNumber:
		text, isFloat, err := r.readNumber()
		if err != nil {
			return nil, err
		}
		if !isFloat {
			n, err := strconv.ParseInt(string(text), 10, 64)
			if err == nil {
				return n, nil
			}
			// Beyond int64: Kafka would truncate; keep the value as a double.
			if _, ok := new(big.Int).SetString(string(text), 10); !ok {
				return nil, r.errorf("invalid number %s", text)
			}
		}
		return strconv.ParseFloat(string(text), 64)
	case kindArray:
		r.i++
		out := []any{}
		for first := true; ; first = false {
			more, err := r.more(']', first)
			if err != nil {
				return nil, err
			}
			if !more {
				return out, nil
			}
			v, err := c.readSchemaless(r)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	default: // object
		r.i++
		out := map[string]any{}
		for first := true; ; first = false {
			more, err := r.more('}', first)
			if err != nil {
				return nil, err
			}
			if !more {
				return out, nil
			}
			key, err := r.objectKey()
			if err != nil {
				return nil, err
			}
			name := string(key)
			v, err := c.readSchemaless(r)
			if err != nil {
				return nil, err
			}
			out[name] = v
		}
	}
}
