package transforms

import (
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// TimestampConverter converts a timestamp field (or the whole key/value)
// between Unix epoch numbers, formatted strings and the Date, Time and
// Timestamp logical types (Kafka's TimestampConverter$Key / $Value).
type TimestampConverter struct {
	side        side
	field       string
	target      string
	format      *dateFormat
	precision   string
	withDefault bool
	cache       *schemaCache
}

// Target and source type names, as Kafka spells them.
const (
	tsString    = "string"
	tsUnix      = "unix"
	tsDate      = "Date"
	tsTime      = "Time"
	tsTimestamp = "Timestamp"
)

var (
	optionalDateSchema = data.DateBuilder().Optional().MustBuild()
	optionalTimeSchema = data.TimeBuilder().Optional().MustBuild()
)

func (*TimestampConverter) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "field", Type: connect.TypeString, Default: "", Importance: connect.ImportanceHigh,
			Doc: "The field containing the timestamp, or empty if the entire value is a timestamp"}).
		Define(connect.ConfigKey{Name: "target.type", Type: connect.TypeString, Required: true,
			Validator:  connect.ValidString(tsString, tsUnix, tsDate, tsTime, tsTimestamp),
			Importance: connect.ImportanceHigh, Doc: "The desired timestamp representation: string, unix, Date, Time, or Timestamp"}).
		Define(connect.ConfigKey{Name: "format", Type: connect.TypeString, Default: "", Importance: connect.ImportanceMedium,
			Doc: "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string."}).
		Define(connect.ConfigKey{Name: "unix.precision", Type: connect.TypeString, Default: "milliseconds",
			Validator:  connect.ValidString("nanoseconds", "microseconds", "milliseconds", "seconds"),
			Importance: connect.ImportanceLow,
			Doc:        "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long."}).
		Define(replaceNullKey())
}

func (t *TimestampConverter) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.field, t.target, t.precision = cfg.String("field"), cfg.String("target.type"), cfg.String("unix.precision")
	pattern := cfg.String("format")
	if t.target == tsString && strings.TrimSpace(pattern) == "" {
		return connect.NewConfigError("format", "TimestampConverter requires format option to be specified when using string timestamps")
	}
	t.format = nil
	if strings.TrimSpace(pattern) != "" {
		if t.format, err = compileDateFormat(pattern); err != nil {
			return connect.InvalidValueError("format", pattern, "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: "+err.Error())
		}
	}
	t.withDefault, t.cache = cfg.Bool(replaceNullWithDefaultConfig), newSchemaCache()
	return nil
}

func (t *TimestampConverter) targetSchema(optional bool) *data.Schema {
	switch t.target {
	case tsString:
		return data.PrimitiveSchema(data.TypeString, optional)
	case tsUnix:
		return data.PrimitiveSchema(data.TypeInt64, optional)
	case tsDate:
		if optional {
			return optionalDateSchema
		}
		return data.DateSchema
	case tsTime:
		if optional {
			return optionalTimeSchema
		}
		return data.TimeSchema
	}
	if optional {
		return optionalTimestampSchema
	}
	return data.TimestampSchema
}

func (t *TimestampConverter) Apply(r *Record) (*Record, error) {
	schema, value := t.side.get(r)
	const purpose = "converting timestamp formats"
	if schema == nil {
		if value == nil || t.field == "" {
			v, err := t.convert(value, "")
			if err != nil {
				return nil, err
			}
			return t.side.with(r, nil, v), nil
		}
		m, err := requireMap(value, purpose)
		if err != nil {
			return nil, err
		}
		out := copyMap(m, 1)
		if out[t.field], err = t.convert(m[t.field], ""); err != nil {
			return nil, err
		}
		return t.side.with(r, nil, out), nil
	}
	if t.field == "" {
		from, err := typeFromSchema(schema)
		if err != nil {
			return nil, err
		}
		v, err := t.convert(value, from)
		if err != nil {
			return nil, err
		}
		return t.side.with(r, t.targetSchema(schema.Optional()), v), nil
	}
	st, err := requireStructOrNil(value, purpose)
	if err != nil {
		return nil, err
	}
	updated, err := t.cache.get(schema, func(s *data.Schema) (*data.Schema, error) {
		b := data.CopyBasics(s)
		for _, f := range s.Fields() {
			if f.Name() == t.field {
				b.Field(f.Name(), t.targetSchema(f.Schema().Optional()))
			} else {
				b.Field(f.Name(), f.Schema())
			}
		}
		if s.Optional() {
			b.Optional()
		}
		if def, ok := s.Default().(*data.Struct); ok {
			partial, err := b.Build()
			if err != nil {
				return nil, err
			}
			nd, err := t.convertStruct(def, partial)
			if err != nil {
				return nil, err
			}
			b.Default(nd)
		}
		return b.Build()
	})
	if err != nil {
		return nil, err
	}
	out, err := t.convertStruct(st, updated)
	if err != nil {
		return nil, err
	}
	var v any
	if out != nil {
		v = out
	}
	return t.side.with(r, updated, v), nil
}

func (t *TimestampConverter) convertStruct(st *data.Struct, updated *data.Schema) (*data.Struct, error) {
	if st == nil {
		return nil, nil
	}
	out := data.NewStruct(updated)
	for _, f := range st.Schema().Fields() {
		v := fieldValue(st, f, t.withDefault)
		if f.Name() == t.field {
			from, err := typeFromSchema(f.Schema())
			if err != nil {
				return nil, err
			}
			if v, err = t.convert(v, from); err != nil {
				return nil, err
			}
		}
		if err := out.Put(f.Name(), v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func typeFromSchema(s *data.Schema) (string, error) {
	switch {
	case s.Name() == data.TimestampLogicalName:
		return tsTimestamp, nil
	case s.Name() == data.DateLogicalName:
		return tsDate, nil
	case s.Name() == data.TimeLogicalName:
		return tsTime, nil
	case s.Type() == data.TypeString:
		return tsString, nil
	case s.Type() == data.TypeInt64:
		return tsUnix, nil
	}
	return "", data.Errorf("Schema %s does not correspond to a known timestamp type format", s)
}

// convert turns a timestamp of type from ("" = infer) into the target type.
func (t *TimestampConverter) convert(v any, from string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if from == "" {
		switch v.(type) {
		case time.Time:
			from = tsTimestamp
		case int64:
			from = tsUnix
		case string:
			from = tsString
		default:
			return nil, data.Errorf("TimestampConverter does not support %T objects as timestamps", v)
		}
	}
	var raw time.Time
	switch from {
	case tsString:
		s, ok := v.(string)
		if !ok {
			return nil, data.Errorf("Expected string timestamp to be a String, but found %T", v)
		}
		if t.format == nil {
			return nil, data.Errorf("TimestampConverter requires the format option to parse string timestamps")
		}
		var err error
		if raw, err = t.format.parse(s); err != nil {
			return nil, data.Errorf("Could not parse timestamp: value (%s) does not match pattern (%s)", s, t.format.pattern)
		}
	case tsUnix:
		n, ok := v.(int64)
		if !ok {
			return nil, data.Errorf("Expected Unix timestamp to be a Long, but found %T", v)
		}
		switch t.precision {
		case "seconds":
			raw = time.UnixMilli(n * 1000).UTC()
		case "microseconds":
			raw = time.UnixMilli(n / 1000).UTC()
		case "nanoseconds":
			raw = time.UnixMilli(n / 1_000_000).UTC()
		default:
			raw = time.UnixMilli(n).UTC()
		}
	default:
		tt, ok := v.(time.Time)
		if !ok {
			return nil, data.Errorf("Expected %s to be a time.Time, but found %T", from, v)
		}
		raw = tt
	}
	raw = raw.UTC()
	switch t.target {
	case tsString:
		return t.format.format(raw), nil
	case tsUnix:
		ms := raw.UnixMilli()
		switch t.precision {
		case "seconds":
			return ms / 1000, nil // truncates toward zero, as TimeUnit does
		case "microseconds":
			return ms * 1000, nil
		case "nanoseconds":
			return ms * 1_000_000, nil
		}
		return ms, nil
	case tsDate:
		return time.Date(raw.Year(), raw.Month(), raw.Day(), 0, 0, 0, 0, time.UTC), nil
	case tsTime:
		return time.Date(1970, 1, 1, raw.Hour(), raw.Minute(), raw.Second(), raw.Nanosecond()/1e6*1e6, time.UTC), nil
	}
	return raw, nil
}
