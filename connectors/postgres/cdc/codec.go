package cdc

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect/data"
)

// Debezium's logical schema names.
const (
	nameMicroTimestamp = "io.debezium.time.MicroTimestamp"
	nameTimestamp      = "io.debezium.time.Timestamp"
	nameZonedTimestamp = "io.debezium.time.ZonedTimestamp"
	nameDate           = "io.debezium.time.Date"
	nameTime           = "io.debezium.time.Time"
	nameMicroTime      = "io.debezium.time.MicroTime"
	nameZonedTime      = "io.debezium.time.ZonedTime"
	nameMicroDuration  = "io.debezium.time.MicroDuration"
	nameInterval       = "io.debezium.time.Interval"
	nameJSON           = "io.debezium.data.Json"
	nameUUID           = "io.debezium.data.Uuid"
	nameXML            = "io.debezium.data.Xml"
	nameEnum           = "io.debezium.data.Enum"
	nameBits           = "io.debezium.data.Bits"
	nameVarDecimal     = "io.debezium.data.VariableScaleDecimal"
	nameLtree          = "io.debezium.data.Ltree"
	precisionParam     = "connect.decimal.precision"
)

// decodeFunc converts one value from PostgreSQL's text format to its
// Connect representation.
type decodeFunc func(b []byte) (any, error)

// codec is how one column type maps to Connect: its schema (built fresh so
// that each column can be optional or not), the text decoder, the value
// Debezium substitutes for a null in a NOT NULL column (seen in key-only
// before images), and the value used for an unchanged TOASTed column.
type codec struct {
	build  func() *data.SchemaBuilder
	decode decodeFunc
	// bind, when set, makes the decoder for the column's final schema; it is
	// needed by struct-valued types, whose values carry their schema. zero
	// is then computed by decoding "0".
	bind func(s *data.Schema) decodeFunc
	zero any
	// toast returns the placeholder for an unchanged TOAST value; nil for
	// types that are never TOASTed or have no placeholder form.
	toast func(placeholder string) any
}

func textPlaceholder(p string) any  { return p }
func bytesPlaceholder(p string) any { return []byte(p) }

// codecFor maps a (resolved) type to a codec; nil means the type is not
// supported and the column is left out (or, with
// include.unknown.datatypes, sent as the bytes of its text).
func codecFor(reg *typeRegistry, oid uint32, typmod int32, cfg *config) *codec {
	t, typmod := reg.resolve(oid, typmod)
	if t == nil {
		return unknownCodec(cfg)
	}
	if t.kind == 'e' {
		allowed := strings.Join(t.labels, ",")
		return &codec{
			build: func() *data.SchemaBuilder {
				return data.StringBuilder().Name(nameEnum).Version(1).Parameter("allowed", allowed)
			},
			decode: decodeString, zero: "", toast: textPlaceholder,
		}
	}
	if t.category == 'A' && t.elem != 0 {
		return arrayCodec(reg, t.elem, typmod, cfg)
	}
	if t.kind == 'r' || t.kind == 'm' {
		return stringCodec(nil)
	}
	switch t.name {
	case "bool":
		return &codec{build: data.BooleanBuilder, decode: decodeBool, zero: false}
	case "int2":
		return &codec{build: data.Int16Builder, decode: decodeInt16, zero: int16(0)}
	case "int4":
		return &codec{build: data.Int32Builder, decode: decodeInt32, zero: int32(0)}
	case "int8", "oid":
		return &codec{build: data.Int64Builder, decode: decodeInt64, zero: int64(0)}
	case "float4":
		return &codec{build: data.Float32Builder, decode: decodeFloat32, zero: float32(0)}
	case "float8":
		return &codec{build: data.Float64Builder, decode: decodeFloat64, zero: float64(0)}
	case "numeric":
		return numericCodec(typmod, cfg)
	case "money":
		return moneyCodec(cfg)
	case "text", "varchar", "bpchar", "char", "name", "citext", "inet", "cidr", "macaddr", "macaddr8", "tsvector", "isbn":
		return stringCodec(nil)
	case "ltree":
		return stringCodec(func() *data.SchemaBuilder { return data.StringBuilder().Name(nameLtree).Version(1) })
	case "json", "jsonb":
		return stringCodec(func() *data.SchemaBuilder { return data.StringBuilder().Name(nameJSON).Version(1) })
	case "xml":
		return stringCodec(func() *data.SchemaBuilder { return data.StringBuilder().Name(nameXML).Version(1) })
	case "uuid":
		return &codec{build: func() *data.SchemaBuilder { return data.StringBuilder().Name(nameUUID).Version(1) }, decode: decodeString, zero: ""}
	case "bytea":
		return byteaCodec(cfg)
	case "date":
		return dateCodec(cfg)
	case "time":
		return timeCodec(precisionOf(typmod), cfg)
	case "timetz":
		return &codec{build: func() *data.SchemaBuilder { return data.StringBuilder().Name(nameZonedTime).Version(1) },
			decode: decodeTimeTZ, zero: "00:00:00Z"}
	case "timestamp":
		return timestampCodec(precisionOf(typmod), cfg)
	case "timestamptz":
		return zonedTimestampCodec(precisionOf(typmod))
	case "interval":
		if cfg.intervalMode == intervalISO {
			return &codec{build: func() *data.SchemaBuilder { return data.StringBuilder().Name(nameInterval).Version(1) }, decode: decodeString, zero: "P0D"}
		}
		return &codec{build: func() *data.SchemaBuilder { return data.Int64Builder().Name(nameMicroDuration).Version(1) }, decode: decodeInterval, zero: int64(0)}
	case "bit", "varbit":
		return bitCodec(t.name, typmod)
	}
	return unknownCodec(cfg)
}

// precisionOf is the fractional-second precision of a time type (6 when
// the column declares none).
func precisionOf(typmod int32) int {
	if typmod < 0 || typmod > 6 {
		return 6
	}
	return int(typmod)
}

func unknownCodec(cfg *config) *codec {
	if !cfg.unknownTypes {
		return nil
	}
	c := byteaCodec(cfg)
	c.decode = func(b []byte) (any, error) { return encodeBinary(cfg.binaryMode, append([]byte(nil), b...)), nil }
	return c
}

func stringCodec(build func() *data.SchemaBuilder) *codec {
	if build == nil {
		build = data.StringBuilder
	}
	return &codec{build: build, decode: decodeString, zero: "", toast: textPlaceholder}
}

func decodeString(b []byte) (any, error) { return string(b), nil }

func decodeBool(b []byte) (any, error) {
	switch string(b) {
	case "t", "true":
		return true, nil
	case "f", "false":
		return false, nil
	}
	return nil, fmt.Errorf("cannot parse boolean %q", b)
}

// parseInt parses a decimal integer without allocating.
func parseInt(b []byte, bits int) (int64, error) {
	neg := false
	i := 0
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, i = b[0] == '-', 1
	}
	if i == len(b) {
		return 0, fmt.Errorf("cannot parse integer %q", b)
	}
	var n uint64
	limit := uint64(1) << (bits - 1)
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("cannot parse integer %q", b)
		}
		n = n*10 + uint64(c-'0')
		if n > limit {
			return 0, fmt.Errorf("integer %q out of range", b)
		}
	}
	if neg {
		return -int64(n), nil
	}
	if n == limit {
		return 0, fmt.Errorf("integer %q out of range", b)
	}
	return int64(n), nil
}

func decodeInt16(b []byte) (any, error) {
	n, err := parseInt(b, 16)
	return int16(n), err
}

func decodeInt32(b []byte) (any, error) {
	n, err := parseInt(b, 32)
	return int32(n), err
}

func decodeInt64(b []byte) (any, error) {
	n, err := parseInt(b, 64)
	return n, err
}

func decodeFloat32(b []byte) (any, error) {
	f, err := strconv.ParseFloat(string(b), 32)
	return float32(f), err
}

func decodeFloat64(b []byte) (any, error) {
	return strconv.ParseFloat(string(b), 64)
}

// numericCodec follows decimal.handling.mode: precise gives a Connect
// Decimal with the column's scale (or Debezium's VariableScaleDecimal
// struct for an unconstrained NUMERIC), double a FLOAT64, string the text.
func numericCodec(typmod int32, cfg *config) *codec {
	switch cfg.decimalMode {
	case decimalDouble:
		return &codec{build: data.Float64Builder, decode: decodeFloat64, zero: float64(0)}
	case decimalString:
		return &codec{build: data.StringBuilder, decode: decodeString, zero: "0"}
	}
	if typmod < 4 {
		return &codec{
			build: func() *data.SchemaBuilder {
				return data.StructBuilder().Name(nameVarDecimal).Version(1).Doc("Variable scaled decimal").
					Field("scale", data.Int32Schema).Field("value", data.BytesSchema)
			},
			bind: func(s *data.Schema) decodeFunc {
				return func(b []byte) (any, error) {
					d, err := parseNumeric(b)
					if err != nil {
						return nil, err
					}
					return newVarDecimal(s, d)
				}
			},
		}
	}
	precision := int(((typmod - 4) >> 16) & 0xffff)
	scale := int32((((typmod - 4) & 0x7ff) ^ 1024) - 1024)
	return &codec{
		build: func() *data.SchemaBuilder {
			return data.DecimalBuilder(scale).Parameter(precisionParam, strconv.Itoa(precision))
		},
		decode: func(b []byte) (any, error) {
			d, err := parseNumeric(b)
			if err != nil {
				return nil, err
			}
			return d.Rescale(scale)
		},
		zero: data.NewDecimalFromInt64(0, scale),
	}
}

func parseNumeric(b []byte) (*data.Decimal, error) {
	switch string(b) {
	case "NaN", "Infinity", "-Infinity":
		return nil, fmt.Errorf("NUMERIC value %s cannot be represented with decimal.handling.mode=precise; set decimal.handling.mode to string or double", b)
	}
	// Fast path: up to 18 digits fit an int64 unscaled value.
	var unscaled int64
	scale, digits := int32(-1), 0
	neg := false
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			unscaled = unscaled*10 + int64(c-'0')
			digits++
			if scale >= 0 {
				scale++
			}
		case c == '.' && scale < 0:
			scale = 0
		case c == '-' && i == 0:
			neg = true
		default:
			digits = 19 // exponent or anything unusual: the general parser
		}
		if digits > 18 {
			return data.ParseDecimal(string(b))
		}
	}
	if digits == 0 {
		return data.ParseDecimal(string(b))
	}
	if scale < 0 {
		scale = 0
	}
	if neg {
		unscaled = -unscaled
	}
	return data.NewDecimalFromInt64(unscaled, scale), nil
}

// newVarDecimal builds Debezium's VariableScaleDecimal struct of d.
func newVarDecimal(schema *data.Schema, d *data.Decimal) (*data.Struct, error) {
	s := data.NewStruct(schema)
	if err := s.Put("scale", d.Scale()); err != nil {
		return nil, err
	}
	if err := s.Put("value", data.TwosComplement(d.Unscaled())); err != nil {
		return nil, err
	}
	return s, nil
}

func moneyCodec(cfg *config) *codec {
	digits := int32(cfg.moneyDigits)
	parse := func(b []byte) (*data.Decimal, error) {
		// Money text depends on lc_monetary ("$1,234.56", "-$1.00",
		// "($1.00)"); keep the digits and the decimal point.
		var sb strings.Builder
		neg := false
		for _, c := range b {
			switch {
			case c >= '0' && c <= '9', c == '.':
				sb.WriteByte(c)
			case c == '-', c == '(':
				neg = true
			}
		}
		d, err := data.ParseDecimal(sb.String())
		if err != nil {
			return nil, fmt.Errorf("cannot parse money %q", b)
		}
		if neg {
			d = data.NewDecimal(new(big.Int).Neg(d.Unscaled()), d.Scale())
		}
		return d.Rescale(digits)
	}
	switch cfg.decimalMode {
	case decimalDouble:
		return &codec{build: data.Float64Builder, zero: float64(0), decode: func(b []byte) (any, error) {
			d, err := parse(b)
			if err != nil {
				return nil, err
			}
			return d.Float64(), nil
		}}
	case decimalString:
		return &codec{build: data.StringBuilder, zero: "0", decode: func(b []byte) (any, error) {
			d, err := parse(b)
			if err != nil {
				return nil, err
			}
			return d.PlainString(), nil
		}}
	}
	return &codec{build: func() *data.SchemaBuilder { return data.DecimalBuilder(digits) }, zero: data.NewDecimalFromInt64(0, digits),
		decode: func(b []byte) (any, error) { return parse(b) }}
}

// decodeBytea reads the hex output format ("\x0102").
func decodeBytea(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != '\\' || b[1] != 'x' {
		return nil, fmt.Errorf("bytea value is not in hex format (bytea_output=hex)")
	}
	out := make([]byte, (len(b)-2)/2)
	if _, err := hex.Decode(out, b[2:]); err != nil {
		return nil, fmt.Errorf("cannot parse bytea: %w", err)
	}
	return out, nil
}

func encodeBinary(mode string, p []byte) any {
	switch mode {
	case binaryBase64:
		return base64.StdEncoding.EncodeToString(p)
	case binaryBase64URL:
		return base64.URLEncoding.EncodeToString(p)
	case binaryHex:
		return hex.EncodeToString(p)
	}
	return p
}

func byteaCodec(cfg *config) *codec {
	decode := func(b []byte) (any, error) {
		p, err := decodeBytea(b)
		if err != nil {
			return nil, err
		}
		return encodeBinary(cfg.binaryMode, p), nil
	}
	if cfg.binaryMode == binaryBytes {
		return &codec{build: data.BytesBuilder, decode: decode, zero: []byte{}, toast: bytesPlaceholder}
	}
	return &codec{build: data.StringBuilder, decode: decode, zero: "", toast: textPlaceholder}
}

func dateCodec(cfg *config) *codec {
	if cfg.timePrecision == timeConnect {
		return &codec{build: data.DateBuilder, zero: time.Unix(0, 0).UTC(), decode: func(b []byte) (any, error) {
			days, err := parseDate(b)
			if err != nil {
				return nil, err
			}
			return time.UnixMilli(days * 86_400_000).UTC(), nil
		}}
	}
	return &codec{build: func() *data.SchemaBuilder { return data.Int32Builder().Name(nameDate).Version(1) }, zero: int32(0),
		decode: func(b []byte) (any, error) {
			days, err := parseDate(b)
			return int32(days), err
		}}
}

func timeCodec(precision int, cfg *config) *codec {
	switch {
	case cfg.timePrecision == timeConnect:
		return &codec{build: data.TimeBuilder, zero: time.Unix(0, 0).UTC(), decode: func(b []byte) (any, error) {
			us, err := parseTime(b)
			if err != nil {
				return nil, err
			}
			return time.UnixMilli(us / 1000).UTC(), nil
		}}
	case cfg.timePrecision == timeAdaptive && precision <= 3:
		return &codec{build: func() *data.SchemaBuilder { return data.Int32Builder().Name(nameTime).Version(1) }, zero: int32(0),
			decode: func(b []byte) (any, error) {
				us, err := parseTime(b)
				return int32(us / 1000), err
			}}
	}
	return &codec{build: func() *data.SchemaBuilder { return data.Int64Builder().Name(nameMicroTime).Version(1) }, zero: int64(0),
		decode: func(b []byte) (any, error) { return parseTime(b) }}
}

func timestampCodec(precision int, cfg *config) *codec {
	infinity := func(inf int) int64 {
		if inf > 0 {
			return timestampPosInfinity
		}
		return timestampNegInfinity
	}
	switch {
	case cfg.timePrecision == timeConnect:
		return &codec{build: data.TimestampBuilder, zero: time.Unix(0, 0).UTC(), decode: func(b []byte) (any, error) {
			us, inf, err := parseTimestamp(b, false)
			if err != nil {
				return nil, err
			}
			if inf != 0 {
				return time.UnixMilli(infinity(inf) / 1000).UTC(), nil
			}
			return time.UnixMilli(floorDiv(us, 1000)).UTC(), nil
		}}
	case precision <= 3:
		return &codec{build: func() *data.SchemaBuilder { return data.Int64Builder().Name(nameTimestamp).Version(1) }, zero: int64(0),
			decode: func(b []byte) (any, error) {
				us, inf, err := parseTimestamp(b, false)
				if inf != 0 {
					return infinity(inf), nil
				}
				return floorDiv(us, 1000), err
			}}
	}
	return &codec{build: func() *data.SchemaBuilder { return data.Int64Builder().Name(nameMicroTimestamp).Version(1) }, zero: int64(0),
		decode: func(b []byte) (any, error) {
			us, inf, err := parseTimestamp(b, false)
			if inf != 0 {
				return infinity(inf), nil
			}
			return us, err
		}}
}

func zonedTimestampCodec(precision int) *codec {
	return &codec{build: func() *data.SchemaBuilder { return data.StringBuilder().Name(nameZonedTimestamp).Version(1) }, zero: "1970-01-01T00:00:00Z",
		decode: func(b []byte) (any, error) {
			us, inf, err := parseTimestamp(b, true)
			switch {
			case err != nil:
				return nil, err
			case inf > 0:
				return "infinity", nil
			case inf < 0:
				return "-infinity", nil
			}
			return formatISOTimestamp(us, precision), nil
		}}
}

func decodeTimeTZ(b []byte) (any, error) {
	us, err := parseTimeTZ(b)
	if err != nil {
		return nil, err
	}
	return formatISOTime(us, -1), nil
}

func decodeInterval(b []byte) (any, error) {
	p, err := parseISOInterval(b)
	if err != nil {
		return nil, err
	}
	return p.totalMicros(), nil
}

// bitCodec maps BIT(1) to a boolean and wider bit strings to Debezium's
// Bits: the bytes of a Java BitSet (bit 0 = last character), little-endian.
func bitCodec(name string, typmod int32) *codec {
	length := int(typmod)
	if name == "bit" && length == 1 {
		return &codec{build: data.BooleanBuilder, zero: false, decode: func(b []byte) (any, error) {
			switch string(b) {
			case "1":
				return true, nil
			case "0":
				return false, nil
			}
			return nil, fmt.Errorf("cannot parse bit %q", b)
		}}
	}
	if length < 0 {
		length = math.MaxInt32
	}
	lenParam := strconv.Itoa(length)
	return &codec{build: func() *data.SchemaBuilder {
		return data.BytesBuilder().Name(nameBits).Version(1).Parameter("length", lenParam)
	}, zero: []byte{}, decode: func(b []byte) (any, error) {
		out := make([]byte, (len(b)+7)/8)
		for i := range b {
			bit := len(b) - 1 - i
			switch b[i] {
			case '1':
				out[bit/8] |= 1 << (bit % 8)
			case '0':
			default:
				return nil, fmt.Errorf("cannot parse bit string %q", b)
			}
		}
		// BitSet.toByteArray drops trailing zero bytes.
		for len(out) > 0 && out[len(out)-1] == 0 {
			out = out[:len(out)-1]
		}
		return out, nil
	}}
}

// arrayCodec maps a one-dimensional array of a supported element type to
// an ARRAY of optional elements.
func arrayCodec(reg *typeRegistry, elemOID uint32, typmod int32, cfg *config) *codec {
	elem := codecFor(reg, elemOID, typmod, cfg)
	if elem == nil {
		return nil
	}
	elemSchema, err := elem.build().Optional().Build()
	if err != nil {
		return nil
	}
	elemDecode := elem.decode
	if elem.bind != nil {
		elemDecode = elem.bind(elemSchema)
	}
	c := &codec{
		build: func() *data.SchemaBuilder { return data.ArrayBuilder(elemSchema) },
		zero:  []any{},
		decode: func(b []byte) (any, error) {
			items, err := parseArray(b)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(items))
			for i, it := range items {
				if it == nil {
					continue
				}
				v, err := elemDecode(it)
				if err != nil {
					return nil, err
				}
				out[i] = v
			}
			return out, nil
		},
	}
	if elem.toast != nil {
		c.toast = func(p string) any { return []any{elem.toast(p)} }
	}
	return c
}

// parseArray splits a one-dimensional array literal ("{a,\"b c\",NULL}")
// into its elements; nil elements are SQL NULLs.
func parseArray(b []byte) ([][]byte, error) {
	if i := indexByte(b, '='); len(b) > 0 && b[0] == '[' && i > 0 {
		b = b[i+1:] // "[0:2]={...}" lower-bound decoration
	}
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, fmt.Errorf("cannot parse array %q", b)
	}
	body := b[1 : len(b)-1]
	if len(body) == 0 {
		return [][]byte{}, nil
	}
	if body[0] == '{' {
		return nil, fmt.Errorf("multi-dimensional arrays are not supported: %q", b)
	}
	var out [][]byte
	for i := 0; i <= len(body); {
		if i < len(body) && body[i] == '"' {
			var el []byte
			i++
			for i < len(body) && body[i] != '"' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				el = append(el, body[i])
				i++
			}
			i++ // closing quote
			if el == nil {
				el = []byte{}
			}
			out = append(out, el)
		} else {
			j := i
			for j < len(body) && body[j] != ',' {
				j++
			}
			el := body[i:j]
			if string(el) == "NULL" {
				out = append(out, nil)
			} else {
				out = append(out, el)
			}
			i = j
		}
		if i >= len(body) {
			break
		}
		if body[i] != ',' {
			return nil, fmt.Errorf("cannot parse array %q", b)
		}
		i++
	}
	return out, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
