package transforms

import (
	"strings"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// InsertField adds record metadata and/or a static value as fields
// (Kafka's InsertField$Key / $Value). A field spec ending in "!" is
// required, "?" (or nothing) optional. Null values pass through.
type InsertField struct {
	side                                    side
	topic, partition, offset, ts, staticFld *insertSpec
	staticValue                             string
	withDefault                             bool
	cache                                   *schemaCache
}

type insertSpec struct {
	name     string
	optional bool
}

func parseInsertSpec(s string, set bool) *insertSpec {
	if !set {
		return nil
	}
	if n, ok := strings.CutSuffix(s, "?"); ok {
		return &insertSpec{n, true}
	}
	if n, ok := strings.CutSuffix(s, "!"); ok {
		return &insertSpec{n, false}
	}
	return &insertSpec{s, true}
}

var optionalTimestampSchema = data.TimestampBuilder().Optional().MustBuild()

func (*InsertField) Config() *connect.ConfigDef {
	opt := " Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default)."
	str := func(name, doc string) connect.ConfigKey {
		return connect.ConfigKey{Name: name, Type: connect.TypeString, Importance: connect.ImportanceMedium, Doc: doc}
	}
	return connect.NewConfigDef().
		Define(str("topic.field", "Field name for Kafka topic."+opt)).
		Define(str("partition.field", "Field name for Kafka partition."+opt)).
		Define(str("offset.field", "Field name for Kafka offset - only applicable to sink connectors."+opt)).
		Define(str("timestamp.field", "Field name for record timestamp."+opt)).
		Define(str("static.field", "Field name for static data field."+opt)).
		Define(str("static.value", "Static field value, if field name configured.")).
		Define(replaceNullKey())
}

func (t *InsertField) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	get := func(k string) *insertSpec { return parseInsertSpec(cfg.String(k), !cfg.IsNull(k)) }
	t.topic, t.partition, t.offset = get("topic.field"), get("partition.field"), get("offset.field")
	t.ts, t.staticFld = get("timestamp.field"), get("static.field")
	if t.topic == nil && t.partition == nil && t.offset == nil && t.ts == nil && t.staticFld == nil {
		return connect.NewConfigError("topic.field", "No field insertion configured")
	}
	if t.staticFld != nil && cfg.IsNull("static.value") {
		return connect.InvalidValueError("static.value", nil, "No value specified for static field: "+t.staticFld.name)
	}
	if !cfg.IsNull("static.value") {
		t.staticValue = cfg.String("static.value")
	}
	t.withDefault, t.cache = cfg.Bool(replaceNullWithDefaultConfig), newSchemaCache()
	return nil
}

func (t *InsertField) Apply(r *Record) (*Record, error) {
	schema, value := t.side.get(r)
	if value == nil {
		return r, nil
	}
	const purpose = "field insertion"
	if t.offset != nil && !r.Sink {
		return nil, data.Errorf("Only SinkRecord supported for [%s], found: source record", purpose)
	}
	if schema == nil {
		m, err := requireMap(value, purpose)
		if err != nil {
			return nil, err
		}
		out := copyMap(m, 5)
		if t.topic != nil {
			out[t.topic.name] = r.Topic
		}
		if t.partition != nil && r.HasPartition() {
			out[t.partition.name] = r.Partition
		}
		if t.offset != nil {
			out[t.offset.name] = r.Offset
		}
		if t.ts != nil && r.HasTimestamp() {
			out[t.ts.name] = r.Timestamp
		}
		if t.staticFld != nil {
			out[t.staticFld.name] = t.staticValue
		}
		return t.side.with(r, nil, out), nil
	}
	st, err := requireStruct(value, purpose)
	if err != nil {
		return nil, err
	}
	updated, err := t.cache.get(st.Schema(), t.updatedSchema)
	if err != nil {
		return nil, err
	}
	out := data.NewStruct(updated)
	for _, f := range st.Schema().Fields() {
		if err := out.Put(f.Name(), fieldValue(st, f, t.withDefault)); err != nil {
			return nil, err
		}
	}
	put := func(name string, v any) {
		if err == nil {
			err = out.Put(name, v)
		}
	}
	if t.topic != nil {
		put(t.topic.name, r.Topic)
	}
	if t.partition != nil && r.HasPartition() {
		put(t.partition.name, r.Partition)
	}
	if t.offset != nil {
		put(t.offset.name, r.Offset)
	}
	if t.ts != nil && r.HasTimestamp() {
		put(t.ts.name, timeFromMillis(r.Timestamp))
	}
	if t.staticFld != nil {
		put(t.staticFld.name, t.staticValue)
	}
	if err != nil {
		return nil, err
	}
	return t.side.with(r, updated, out), nil
}

func (t *InsertField) updatedSchema(s *data.Schema) (*data.Schema, error) {
	b := data.CopyBasics(s)
	for _, f := range s.Fields() {
		b.Field(f.Name(), f.Schema())
	}
	pick := func(spec *insertSpec, optional, required *data.Schema) {
		if spec == nil {
			return
		}
		if spec.optional {
			b.Field(spec.name, optional)
		} else {
			b.Field(spec.name, required)
		}
	}
	pick(t.topic, data.OptionalStringSchema, data.StringSchema)
	pick(t.partition, data.OptionalInt32Schema, data.Int32Schema)
	pick(t.offset, data.OptionalInt64Schema, data.Int64Schema)
	pick(t.ts, optionalTimestampSchema, data.TimestampSchema)
	pick(t.staticFld, data.OptionalStringSchema, data.StringSchema)
	return b.Build()
}

// HeaderFrom copies or moves fields of the key or value into headers
// (Kafka's HeaderFrom$Key / $Value).
type HeaderFrom struct {
	side        side
	fields      []string
	headers     []string
	move        bool
	withDefault bool
	cache       *schemaCache
}

func (*HeaderFrom) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "fields", Type: connect.TypeList, Required: true, Validator: nonEmptyList(),
			Importance: connect.ImportanceHigh, Doc: "Field names in the record whose values are to be copied or moved to headers."}).
		Define(connect.ConfigKey{Name: "headers", Type: connect.TypeList, Required: true, Validator: nonEmptyList(),
			Importance: connect.ImportanceHigh, Doc: "Header names, in the same order as the field names listed in the fields configuration property."}).
		Define(connect.ConfigKey{Name: "operation", Type: connect.TypeString, Required: true, Validator: connect.ValidString("move", "copy"),
			Importance: connect.ImportanceHigh, Doc: "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value)."}).
		Define(replaceNullKey())
}

func (t *HeaderFrom) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.fields, t.headers = cfg.List("fields"), cfg.List("headers")
	if len(t.fields) != len(t.headers) {
		return connect.NewConfigError("headers", "'fields' config must have the same number of elements as 'headers' config.")
	}
	t.move = cfg.String("operation") == "move"
	t.withDefault, t.cache = cfg.Bool(replaceNullWithDefaultConfig), newSchemaCache()
	return nil
}

func (t *HeaderFrom) Apply(r *Record) (*Record, error) {
	schema, value := t.side.get(r)
	purpose := "header copy"
	if t.move {
		purpose = "header move"
	}
	headers := r.Headers[:len(r.Headers):len(r.Headers)]
	if schema == nil {
		m, err := requireMap(value, purpose)
		if err != nil {
			return nil, err
		}
		out := copyMap(m, 0)
		for i, f := range t.fields {
			if t.move {
				delete(out, f)
			}
			headers = append(headers, data.Header{Key: t.headers[i], Value: data.SchemaAndValue{Value: m[f]}})
		}
		c := t.side.with(r, nil, out)
		c.Headers = headers
		return c, nil
	}
	st, err := requireStruct(value, purpose)
	if err != nil {
		return nil, err
	}
	updatedSchema, updatedValue := schema, st
	if t.move {
		if updatedSchema, err = t.cache.get(schema, func(s *data.Schema) (*data.Schema, error) {
			b := data.CopyBasics(s)
			for _, f := range s.Fields() {
				if !contains(t.fields, f.Name()) {
					b.Field(f.Name(), f.Schema())
				}
			}
			return b.Build()
		}); err != nil {
			return nil, err
		}
		updatedValue = data.NewStruct(updatedSchema)
		for _, f := range updatedSchema.Fields() {
			if err := updatedValue.PutField(f, fieldValue(st, st.Schema().Field(f.Name()), t.withDefault)); err != nil {
				return nil, err
			}
		}
	}
	for i, name := range t.fields {
		sf := schema.Field(name)
		if sf == nil {
			return nil, data.Errorf("Field does not exist: %s", name)
		}
		var v any
		if vf := st.Schema().Field(name); vf != nil {
			v = fieldValue(st, vf, t.withDefault)
		}
		headers = append(headers, data.Header{Key: t.headers[i], Value: data.SchemaAndValue{Schema: sf.Schema(), Value: v}})
	}
	c := t.side.with(r, updatedSchema, updatedValue)
	c.Headers = headers
	return c, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
