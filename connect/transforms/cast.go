package transforms

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// Cast changes the type of fields, or of the whole key or value, to a
// primitive type (Kafka's Cast$Key / $Value). Numeric narrowing wraps and
// float-to-integer truncates exactly as Java's casts do; strings are parsed
// strictly; bytes can only become base64 strings.
type Cast struct {
	side        side
	casts       map[string]data.Type
	order       []string
	whole       data.Type // 0 unless the spec is a single type
	withDefault bool
	cache       *schemaCache
}

var castOutputTypes = []data.Type{data.TypeInt8, data.TypeInt16, data.TypeInt32, data.TypeInt64,
	data.TypeFloat32, data.TypeFloat64, data.TypeBoolean, data.TypeString}

func (*Cast) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "spec", Type: connect.TypeList, Required: true,
			Validator: connect.ValidatorFunc("list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>", func(name string, v any) error {
				l, _ := v.([]string)
				if len(l) == 0 {
					return connect.InvalidValueError(name, v, "Must specify at least one field to cast.")
				}
				_, _, _, err := parseCastSpec(l)
				return err
			}),
			Importance: connect.ImportanceHigh,
			Doc:        "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can only be cast to string."}).
		Define(replaceNullKey())
}

func parseCastSpec(mappings []string) (map[string]data.Type, []string, data.Type, error) {
	casts := map[string]data.Type{}
	var order []string
	var whole data.Type
	for _, m := range mappings {
		parts := strings.Split(m, ":")
		if len(parts) > 2 {
			return nil, nil, 0, connect.InvalidValueError("spec", mappings, "Invalid rename mapping: "+m)
		}
		typeText := strings.TrimSpace(parts[len(parts)-1])
		t, ok := data.ParseType(strings.ToLower(typeText))
		if !ok {
			return nil, nil, 0, connect.InvalidValueError("spec", mappings, "Invalid type found in casting spec: "+typeText)
		}
		if !castOutput(t) {
			return nil, nil, 0, connect.InvalidValueError("spec", mappings, "Cast transformation does not support casting to "+t.String()+"; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]")
		}
		if len(parts) == 1 {
			whole = t
			continue
		}
		name := strings.TrimSpace(parts[0])
		if _, dup := casts[name]; !dup {
			order = append(order, name)
		}
		casts[name] = t
	}
	if whole != 0 && len(mappings) > 1 {
		return nil, nil, 0, connect.InvalidValueError("spec", mappings, "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec")
	}
	return casts, order, whole, nil
}

func castOutput(t data.Type) bool {
	for _, o := range castOutputTypes {
		if o == t {
			return true
		}
	}
	return false
}

func (t *Cast) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	if t.casts, t.order, t.whole, err = parseCastSpec(cfg.List("spec")); err != nil {
		return err
	}
	t.withDefault, t.cache = cfg.Bool(replaceNullWithDefaultConfig), newSchemaCache()
	return nil
}

func (t *Cast) Apply(r *Record) (*Record, error) {
	schema, value := t.side.get(r)
	if value == nil {
		return r, nil
	}
	if schema == nil {
		if t.whole != 0 {
			v, err := castValue(nil, value, t.whole)
			if err != nil {
				return nil, err
			}
			return t.side.with(r, nil, v), nil
		}
		m, err := requireMap(value, "cast types")
		if err != nil {
			return nil, err
		}
		out := copyMap(m, len(t.order))
		for _, f := range t.order {
			v, err := castValue(nil, m[f], t.casts[f])
			if err != nil {
				return nil, err
			}
			out[f] = v
		}
		return t.side.with(r, nil, out), nil
	}
	updated, err := t.cache.get(schema, t.buildSchema)
	if err != nil {
		return nil, err
	}
	if t.whole != 0 {
		v, err := castValue(schema, value, t.whole)
		if err != nil {
			return nil, err
		}
		return t.side.with(r, updated, v), nil
	}
	st, err := requireStruct(value, "cast types")
	if err != nil {
		return nil, err
	}
	out := data.NewStruct(updated)
	for _, f := range st.Schema().Fields() {
		v := fieldValue(st, f, t.withDefault)
		if target, ok := t.casts[f.Name()]; ok {
			if v, err = castValue(f.Schema(), v, target); err != nil {
				return nil, err
			}
		}
		if err := out.Put(f.Name(), v); err != nil {
			return nil, err
		}
	}
	return t.side.with(r, updated, out), nil
}

func (t *Cast) buildSchema(s *data.Schema) (*data.Schema, error) {
	var b *data.SchemaBuilder
	if t.whole != 0 {
		b = copyBasicsAs(s, t.whole)
	} else {
		if s.Type() != data.TypeStruct {
			return nil, data.Errorf("Only Struct objects supported for [cast types], found schema: %s", s)
		}
		b = data.CopyBasics(s)
		for _, f := range s.Fields() {
			target, ok := t.casts[f.Name()]
			if !ok {
				b.Field(f.Name(), f.Schema())
				continue
			}
			fb := data.NewSchemaBuilder(target)
			if f.Schema().Optional() {
				fb.Optional()
			}
			if f.Schema().HasDefault() {
				d, err := castValue(f.Schema(), f.Schema().Default(), target)
				if err != nil {
					return nil, err
				}
				fb.Default(d)
			}
			fs, err := fb.Build()
			if err != nil {
				return nil, err
			}
			b.Field(f.Name(), fs)
		}
	}
	if s.Optional() {
		b.Optional()
	}
	if s.HasDefault() {
		d, err := castValue(s, s.Default(), b.Type())
		if err != nil {
			return nil, err
		}
		b.Default(d)
	}
	return b.Build()
}

// copyBasicsAs is Kafka's copySchemaBasics(source, builderOfType): name,
// version, doc and parameters onto a new primitive schema.
func copyBasicsAs(s *data.Schema, t data.Type) *data.SchemaBuilder {
	b := data.NewSchemaBuilder(t)
	if s.Name() != "" {
		b.Name(s.Name())
	}
	if v, ok := s.Version(); ok {
		b.Version(v)
	}
	if s.Doc() != "" {
		b.Doc(s.Doc())
	}
	return b.Parameters(s.Parameters()...)
}

var castInputTypes = map[data.Type]bool{data.TypeInt8: true, data.TypeInt16: true, data.TypeInt32: true, data.TypeInt64: true,
	data.TypeFloat32: true, data.TypeFloat64: true, data.TypeBoolean: true, data.TypeString: true, data.TypeBytes: true}

// castValue is Kafka's Cast.castValueToType.
func castValue(schema *data.Schema, v any, target data.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	var in data.Type
	if schema != nil {
		in = schema.Type()
	} else {
		var ok bool
		if in, ok = data.InferType(v); !ok {
			return nil, data.Errorf("Cast transformation was passed a value of type %T which is not supported by Connect's data API", v)
		}
	}
	if !castInputTypes[in] {
		return nil, data.Errorf("Cast transformation does not support casting from %s; supported types are [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]", in)
	}
	if schema != nil && schema.Name() != "" && target != data.TypeString {
		var err error
		if v, err = encodeLogical(schema, v); err != nil {
			return nil, err
		}
	}
	if target == data.TypeString {
		return castToString(v), nil
	}
	out, err := castPrimitive(v, target)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func encodeLogical(s *data.Schema, v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return v, nil
	}
	switch s.Name() {
	case data.DateLogicalName:
		return data.DateFromLogical(s, t)
	case data.TimeLogicalName:
		return data.TimeFromLogical(s, t)
	case data.TimestampLogicalName:
		return data.TimestampFromLogical(s, t)
	}
	return v, nil
}

func castToString(v any) string {
	switch x := v.(type) {
	case time.Time:
		return data.FormatTemporal(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case string:
		return x
	}
	s, _ := data.ConvertToString(nil, v)
	return s
}

// castPrimitive converts a number, boolean or string to target.
func castPrimitive(v any, target data.Type) (any, error) {
	var (
		i       int64
		f       float64
		isFloat bool
	)
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
		f, isFloat = float64(x), true
	case float64:
		f, isFloat = x, true
	case *data.Decimal:
		f, isFloat = x.Float64(), true
		if n, ok := integral(x); ok && target != data.TypeFloat32 && target != data.TypeFloat64 {
			i, isFloat = n, false
		}
	case time.Time:
		i = x.UnixMilli()
	case bool:
		if x {
			i = 1
		}
	case string:
		return parseCast(x, target)
	default:
		return nil, data.Errorf("Unexpected type in Cast transformation: %T", v)
	}
	if isFloat {
		switch target {
		case data.TypeFloat32:
			return float32(f), nil
		case data.TypeFloat64:
			return f, nil
		case data.TypeBoolean:
			return javaF2L(f) != 0, nil
		case data.TypeInt64:
			return javaF2L(f), nil
		}
		// Java narrows double to int (saturating), then to the smaller type.
		i = int64(javaF2I(f))
	}
	switch target {
	case data.TypeInt8:
		return int8(i), nil
	case data.TypeInt16:
		return int16(i), nil
	case data.TypeInt32:
		return int32(i), nil
	case data.TypeInt64:
		return i, nil
	case data.TypeFloat32:
		return float32(i), nil
	case data.TypeFloat64:
		return float64(i), nil
	case data.TypeBoolean:
		return i != 0, nil
	}
	return nil, data.Errorf("%s is not supported in the Cast transformation.", target)
}

func parseCast(s string, target data.Type) (any, error) {
	bad := func() error {
		return data.Errorf("Value (%s) was out of range for requested data type", s)
	}
	switch target {
	case data.TypeInt8, data.TypeInt16, data.TypeInt32, data.TypeInt64:
		bits := map[data.Type]int{data.TypeInt8: 8, data.TypeInt16: 16, data.TypeInt32: 32, data.TypeInt64: 64}[target]
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, bad()
		}
		return castPrimitive(n, target)
	case data.TypeFloat32:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
		if err != nil {
			return nil, bad()
		}
		return float32(f), nil
	case data.TypeFloat64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, bad()
		}
		return f, nil
	case data.TypeBoolean:
		return strings.EqualFold(s, "true"), nil
	}
	return nil, data.Errorf("%s is not supported in the Cast transformation.", target)
}

// javaF2L is Java's (long) cast of a double: truncation, saturation, NaN→0.
func javaF2L(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// javaF2I is Java's (int) cast of a double.
func javaF2I(f float64) int32 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	case f <= math.MinInt32:
		return math.MinInt32
	}
	return int32(f)
}
