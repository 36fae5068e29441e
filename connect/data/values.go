package data

import (
	"encoding/base64"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file ports the parts of Kafka's org.apache.kafka.connect.data.Values
// that header handling relies on: ConvertToString (what SimpleHeaderConverter
// writes) and ParseString (what it reads, and how InsertHeader interprets
// value.literal). Temporal text is read and written in UTC.

const (
	isoDateLayout      = "2006-01-02"
	isoTimeLayout      = "15:04:05.000Z"
	isoTimestampLayout = "2006-01-02T15:04:05.000Z"
)

// ConvertToString renders a value the way Kafka's Values.convertToString
// does: strings as-is at top level and quoted (with \ and " escaped) when
// nested, bytes as base64, arrays as [a,b], maps as {k:v} (keys sorted, since
// Go maps are unordered), structs as {"field":value}, times as ISO-8601 UTC
// (time of day, date, or timestamp depending on the instant). The schema is
// not consulted, as in Kafka. A nil value gives "" and ok=false.
func ConvertToString(_ *Schema, value any) (s string, ok bool) {
	if value == nil {
		return "", false
	}
	var b strings.Builder
	appendValueString(&b, value, false)
	return b.String(), true
}

func appendValueString(b *strings.Builder, v any, embedded bool) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		if embedded {
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(strings.ReplaceAll(x, `\`, `\\`), `"`, `\"`))
			b.WriteByte('"')
		} else {
			b.WriteString(x)
		}
	case []byte:
		enc := base64.StdEncoding.EncodeToString(x)
		if embedded {
			b.WriteString(`"` + enc + `"`)
		} else {
			b.WriteString(enc)
		}
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int8:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int16:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float32:
		b.WriteString(JavaFloatString(float64(x), 32))
	case float64:
		b.WriteString(JavaFloatString(x, 64))
	case *Decimal:
		b.WriteString(x.String())
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			appendValueString(b, e, true)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			appendValueString(b, k, true)
			b.WriteByte(':')
			appendValueString(b, x[k], true)
		}
		b.WriteByte('}')
	case map[any]any:
		type kv struct {
			k string
			v any
		}
		entries := make([]kv, 0, len(x))
		for k, v := range x {
			var kb strings.Builder
			appendValueString(&kb, k, true)
			entries = append(entries, kv{kb.String(), v})
		}
		slices.SortFunc(entries, func(a, b kv) int { return strings.Compare(a.k, b.k) })
		b.WriteByte('{')
		for i, e := range entries {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(e.k)
			b.WriteByte(':')
			appendValueString(b, e.v, true)
		}
		b.WriteByte('}')
	case *Struct:
		b.WriteByte('{')
		for i, f := range x.schema.fields {
			if i > 0 {
				b.WriteByte(',')
			}
			appendValueString(b, f.name, true)
			b.WriteByte(':')
			appendValueString(b, x.GetField(f), true)
		}
		b.WriteByte('}')
	case time.Time:
		b.WriteString(FormatTemporal(x))
	default:
		b.WriteString("?")
	}
}

// FormatTemporal formats an instant as Kafka's Values.dateFormatFor chooses:
// before one day past the epoch as a time (HH:mm:ss.SSSZ), on a UTC midnight
// as a date (yyyy-MM-dd), otherwise as a timestamp.
func FormatTemporal(t time.Time) string {
	ms := t.UnixMilli()
	t = t.UTC()
	switch {
	case ms < millisPerDay:
		return t.Format(isoTimeLayout)
	case ms%millisPerDay == 0:
		return t.Format(isoDateLayout)
	}
	return t.Format(isoTimestampLayout)
}

// JavaFloatString formats f like Java's Double.toString (bits 64) or
// Float.toString (bits 32).
func JavaFloatString(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits)
	neg := strings.HasPrefix(e, "-")
	e = strings.TrimPrefix(e, "-")
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	var out strings.Builder
	if neg {
		out.WriteByte('-')
	}
	if abs := math.Abs(f); abs >= 1e-3 && abs < 1e7 {
		switch {
		case exp < 0:
			out.WriteString("0.")
			out.WriteString(strings.Repeat("0", -exp-1))
			out.WriteString(digits)
		case len(digits) > exp+1:
			out.WriteString(digits[:exp+1])
			out.WriteByte('.')
			out.WriteString(digits[exp+1:])
		default:
			out.WriteString(digits)
			out.WriteString(strings.Repeat("0", exp+1-len(digits)))
			out.WriteString(".0")
		}
		return out.String()
	}
	out.WriteByte(digits[0])
	out.WriteByte('.')
	if len(digits) > 1 {
		out.WriteString(digits[1:])
	} else {
		out.WriteByte('0')
	}
	out.WriteByte('E')
	out.WriteString(strconv.Itoa(exp))
	return out.String()
}

// ParseString infers a schema and value from text as Kafka's
// Values.parseString does: "true"/"false" are booleans, "null" is null,
// integers get the narrowest of INT8..INT64, other numbers FLOAT32 (FLOAT64
// or Decimal when float32 cannot hold them), ISO-8601 dates, times and
// timestamps their logical types, [..] arrays and {..} maps with a common
// element schema; anything else is the original STRING. Unlike Kafka, a
// number or temporal followed by more text ("12, 13") stays a string rather
// than losing the rest.
func ParseString(s string) SchemaAndValue {
	if s == "" {
		return SchemaAndValue{Schema: StringSchema, Value: s}
	}
	p := &valueParser{orig: s}
	sv, err := p.parse(false)
	if err != nil || sv == nil {
		if err != nil {
			return SchemaAndValue{Schema: StringSchema, Value: s}
		}
		return SchemaAndValue{}
	}
	return *sv
}

type valueParser struct {
	orig    string
	pos     int
	next    string
	hasNext bool // a token has been read ahead into next
	prev    string
}

func isBlank(s string) bool { return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }) == "" }

func javaTrim(s string) string { return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' }) }

func (p *valueParser) mark() int {
	if p.hasNext {
		return p.pos - len(p.next)
	}
	return p.pos
}

func (p *valueParser) rewindTo(pos int) { p.pos, p.hasNext, p.next, p.prev = pos, false, "", "" }

func (p *valueParser) more() bool { return p.hasNext || p.pos < len(p.orig) }

// consume reads the next token: a run of text or a single delimiter
// (: , { } [ ] "), with backslash escaping a delimiter.
func (p *valueParser) consume() string {
	escaped := false
	start := p.pos
	for p.pos < len(p.orig) {
		switch c := p.orig[p.pos]; c {
		case '\\':
			escaped = !escaped
		case ':', ',', '{', '}', '[', ']', '"':
			if !escaped {
				if start < p.pos {
					return p.orig[start:p.pos]
				}
				p.pos++
				return p.orig[start:p.pos]
			}
			escaped = false
		default:
			escaped = false
		}
		p.pos++
	}
	return p.orig[start:p.pos]
}

func (p *valueParser) nextToken() string {
	if p.hasNext {
		p.prev, p.hasNext = p.next, false
	} else {
		p.prev = p.consume()
	}
	return p.prev
}

func (p *valueParser) nextN(n int) (string, bool) {
	start := p.mark()
	for i := 0; i < n; i++ {
		if !p.more() {
			p.rewindTo(start)
			return "", false
		}
		p.nextToken()
	}
	return p.orig[start:p.pos], true
}

func (p *valueParser) isNext(expected string) bool {
	if !p.hasNext {
		if !p.more() {
			return false
		}
		p.next, p.hasNext = p.consume(), true
	}
	for isBlank(p.next) && p.pos < len(p.orig) {
		p.next = p.consume()
	}
	return javaTrim(p.next) == expected
}

func (p *valueParser) canConsume(expected string) bool {
	if p.isNext(expected) {
		p.hasNext = false
		return true
	}
	return false
}

func (p *valueParser) singleTokenLiteral(embedded bool, lit string) bool {
	start := p.mark()
	if p.canConsume(lit) && (embedded || !p.more()) {
		return true
	}
	p.rewindTo(start)
	return false
}

func (p *valueParser) parse(embedded bool) (*SchemaAndValue, error) {
	if !p.more() {
		return nil, nil
	}
	if embedded && p.canConsume(`"`) {
		return p.parseQuoted(), nil
	}
	if p.singleTokenLiteral(embedded, "null") {
		return nil, nil
	}
	if p.singleTokenLiteral(embedded, "true") {
		return &SchemaAndValue{Schema: BooleanSchema, Value: true}, nil
	}
	if p.singleTokenLiteral(embedded, "false") {
		return &SchemaAndValue{Schema: BooleanSchema, Value: false}, nil
	}
	start := p.mark()
	var (
		sv  *SchemaAndValue
		err error
		try bool
	)
	if p.canConsume("[") {
		sv, err, try = p.parseArray()
	} else if p.canConsume("{") {
		sv, err, try = p.parseMap()
	}
	if try {
		if err == nil && (embedded || !p.more()) {
			return sv, nil
		}
		p.rewindTo(start)
	}
	token := p.nextToken()
	if isBlank(token) {
		return &SchemaAndValue{Schema: StringSchema, Value: token}, nil
	}
	return p.parseToken(embedded, javaTrim(token))
}

func (p *valueParser) parseToken(embedded bool, token string) (*SchemaAndValue, error) {
	first := token[0]
	isDigit := first >= '0' && first <= '9'
	if isDigit {
		if sv := p.parseMultiTokenTemporal(token); sv != nil && (embedded || !p.more()) {
			return sv, nil
		}
	}
	if isDigit || first == '+' || first == '-' {
		if sv := parseNumber(token); sv != nil && (embedded || !p.more()) {
			return sv, nil
		}
	}
	if embedded {
		return nil, Errorf("Failed to parse embedded value")
	}
	return &SchemaAndValue{Schema: StringSchema, Value: p.orig}, nil
}

func (p *valueParser) parseQuoted() *SchemaAndValue {
	var b strings.Builder
	for p.more() {
		if p.canConsume(`"`) {
			break
		}
		b.WriteString(p.nextToken())
	}
	content := b.String()
	if sv := parseTemporal(content); sv != nil {
		return sv
	}
	return &SchemaAndValue{Schema: StringSchema, Value: content}
}

// parseArray returns try=true when it consumed '[' (always, here); err means
// "not an array after all".
func (p *valueParser) parseArray() (*SchemaAndValue, error, bool) {
	var result []any
	var merger schemaMerger
	for p.more() {
		if p.canConsume("]") {
			if merger.common == nil {
				return &SchemaAndValue{Schema: NewSchemaBuilder(TypeArray).MustBuild(), Value: nonNilSlice(result)}, nil, true
			}
			elem := merger.common
			aligned := make([]any, len(result))
			for i, v := range result {
				c, err := convertNumber(elem, v)
				if err != nil {
					return nil, err, true
				}
				aligned[i] = c
			}
			s, err := ArrayBuilder(elem).Build()
			if err != nil {
				return nil, err, true
			}
			return &SchemaAndValue{Schema: s, Value: aligned}, nil, true
		}
		if p.canConsume(",") {
			return nil, Errorf("Unable to parse an empty array element: %s", p.orig), true
		}
		el, err := p.parse(true)
		if err != nil {
			return nil, err, true
		}
		merger.merge(el)
		if el != nil {
			result = append(result, el.Value)
		} else {
			result = append(result, nil)
		}
		pos := p.mark()
		if p.canConsume("]") {
			p.rewindTo(pos)
		} else if !p.canConsume(",") {
			return nil, Errorf("Array elements missing ',' delimiter"), true
		}
	}
	return nil, Errorf("Array is missing terminating ']': %s", p.orig), true
}

func nonNilSlice(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}

func (p *valueParser) parseMap() (*SchemaAndValue, error, bool) {
	type entry struct{ k, v any }
	var entries []entry
	var keyMerger, valMerger schemaMerger
	for p.more() {
		if p.canConsume("}") {
			ks, vs := keyMerger.common, valMerger.common
			var b *SchemaBuilder
			switch {
			case ks != nil && vs != nil:
				b = MapBuilder(ks, vs)
			case ks != nil:
				b = NewSchemaBuilder(TypeMap)
				b.s.keySchema = ks
			default:
				b = NewSchemaBuilder(TypeMap)
			}
			schema, err := b.Build()
			if err != nil {
				return nil, err, true
			}
			if ks != nil && ks.typ == TypeString {
				m := make(map[string]any, len(entries))
				for _, e := range entries {
					v, err := convertNumber(vs, e.v)
					if err != nil {
						return nil, err, true
					}
					m[e.k.(string)] = v
				}
				return &SchemaAndValue{Schema: schema, Value: m}, nil, true
			}
			m := make(map[any]any, len(entries))
			for _, e := range entries {
				k, err := convertNumber(ks, e.k)
				if err != nil {
					return nil, err, true
				}
				if !hashableValue(k) {
					return nil, Errorf("Map keys of type %T are not supported", k), true
				}
				v, err := convertNumber(vs, e.v)
				if err != nil {
					return nil, err, true
				}
				m[k] = v
			}
			return &SchemaAndValue{Schema: schema, Value: m}, nil, true
		}
		if p.canConsume(",") {
			return nil, Errorf("Unable to parse a map entry with no key or value: %s", p.orig), true
		}
		key, err := p.parse(true)
		if err != nil {
			return nil, err, true
		}
		if key == nil || key.Value == nil {
			return nil, Errorf("Map entry may not have a null key: %s", p.orig), true
		}
		if !p.canConsume(":") {
			return nil, Errorf("Map entry is missing ':' at %d in %s", p.pos, p.orig), true
		}
		val, err := p.parse(true)
		if err != nil {
			return nil, err, true
		}
		var v any
		if val != nil {
			v = val.Value
		}
		entries = append(entries, entry{key.Value, v})
		p.canConsume(",")
		keyMerger.merge(key)
		valMerger.merge(val)
	}
	return nil, Errorf("Map is missing terminating '}': %s", p.orig), true
}

func hashableValue(v any) bool {
	switch v.(type) {
	case []byte, []any, map[string]any, map[any]any:
		return false
	}
	return true
}

func (p *valueParser) parseMultiTokenTemporal(token string) *SchemaAndValue {
	pos := p.mark()
	if rest, ok := p.nextN(4); ok {
		if sv := parseTemporal(token + rest); sv != nil {
			return sv
		}
	}
	p.rewindTo(pos)
	return parseTemporal(token)
}

func parseTemporal(token string) *SchemaAndValue {
	token = strings.ReplaceAll(token, `\:`, ":")
	var layout string
	var schema *Schema
	switch len(token) {
	case len("12:34:56.789Z"):
		layout, schema = isoTimeLayout, TimeSchema
	case len("2020-01-02T12:34:56.789Z"):
		layout, schema = isoTimestampLayout, TimestampSchema
	case len("2020-01-02"):
		layout, schema = isoDateLayout, DateSchema
	default:
		return nil
	}
	t, err := time.ParseInLocation(layout, token, time.UTC)
	if err != nil {
		return nil
	}
	if schema == TimeSchema { // a time of day is an instant on 1970-01-01
		t = time.Date(1970, 1, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	}
	return &SchemaAndValue{Schema: schema, Value: t}
}

func parseNumber(token string) *SchemaAndValue {
	d, err := ParseDecimal(token)
	if err != nil {
		return nil
	}
	r := d.Rat()
	if r.IsInt() {
		n := r.Num()
		if n.IsInt64() {
			v := n.Int64()
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				return &SchemaAndValue{Schema: Int8Schema, Value: int8(v)}
			case v >= math.MinInt16 && v <= math.MaxInt16:
				return &SchemaAndValue{Schema: Int16Schema, Value: int16(v)}
			case v >= math.MinInt32 && v <= math.MaxInt32:
				return &SchemaAndValue{Schema: Int32Schema, Value: int32(v)}
			}
			return &SchemaAndValue{Schema: Int64Schema, Value: v}
		}
	}
	if d.Scale() != 0 {
		f32, _ := new(big.Float).SetRat(r).Float32()
		if !math.IsInf(float64(f32), 0) {
			return &SchemaAndValue{Schema: Float32Schema, Value: f32}
		}
		f64, _ := r.Float64()
		if !math.IsInf(f64, 0) {
			return &SchemaAndValue{Schema: Float64Schema, Value: f64}
		}
	}
	return &SchemaAndValue{Schema: DecimalSchema(d.Scale()), Value: d}
}

// schemaMerger finds a common schema for parsed elements (Kafka's SchemaMerger).
type schemaMerger struct {
	common       *Schema
	incompatible bool
}

func (m *schemaMerger) merge(sv *SchemaAndValue) {
	if sv == nil || sv.Schema == nil || m.incompatible {
		return
	}
	if m.common == nil {
		m.common = sv.Schema
		return
	}
	m.common = mergeSchemas(m.common, sv.Schema)
	m.incompatible = m.common == nil
}

var numericRank = map[Type]int{TypeInt8: 1, TypeInt16: 2, TypeInt32: 3, TypeInt64: 4, TypeFloat32: 5, TypeFloat64: 6}

func mergeSchemas(prev, next *Schema) *Schema {
	if prev.typ != next.typ {
		pr, nr := numericRank[prev.typ], numericRank[next.typ]
		if pr == 0 || nr == 0 {
			return nil
		}
		if nr > pr {
			return next
		}
		return prev
	}
	if prev.optional == next.optional {
		if prev.optional {
			return prev
		}
		return next
	}
	if !prev.Equal(next) {
		return nil
	}
	return prev
}

// convertNumber widens a parsed number to the common schema's type; other
// values are returned unchanged.
func convertNumber(to *Schema, v any) (any, error) {
	if to == nil || v == nil || numericRank[to.typ] == 0 || to.name != "" {
		return v, nil
	}
	var f float64
	var i int64
	isInt := true
	switch x := v.(type) {
	case int8:
		i = int64(x)
	case int16:
		i = int64(x)
	case int32:
		i = int64(x)
	case int64:
		i = x
	case float32:
		f, isInt = float64(x), false
	case float64:
		f, isInt = x, false
	default:
		return v, nil
	}
	if isInt {
		f = float64(i)
	} else {
		i = int64(f)
	}
	switch to.typ {
	case TypeInt8:
		return int8(i), nil
	case TypeInt16:
		return int16(i), nil
	case TypeInt32:
		return int32(i), nil
	case TypeInt64:
		return i, nil
	case TypeFloat32:
		return float32(f), nil
	}
	return f, nil
}
