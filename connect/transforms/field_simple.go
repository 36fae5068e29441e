package transforms

import (
	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// HoistField wraps the key or value in a struct (or map) with one field
// (Kafka's HoistField$Key / $Value).
type HoistField struct {
	side  side
	field string
	cache *schemaCache
}

func (*HoistField) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: "field", Type: connect.TypeString, Required: true,
		Importance: connect.ImportanceMedium,
		Doc:        "Field name for the single field that will be created in the resulting Struct or Map."})
}

func (t *HoistField) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.field, t.cache = cfg.String("field"), newSchemaCache()
	return nil
}

func (t *HoistField) Apply(r *Record) (*Record, error) {
	schema, value := t.side.get(r)
	if schema == nil {
		return t.side.with(r, nil, map[string]any{t.field: value}), nil
	}
	updated, err := t.cache.get(schema, func(s *data.Schema) (*data.Schema, error) {
		return data.StructBuilder().Field(t.field, s).Build()
	})
	if err != nil {
		return nil, err
	}
	st := data.NewStruct(updated)
	if err := st.Put(t.field, value); err != nil {
		return nil, err
	}
	return t.side.with(r, updated, st), nil
}

// ExtractField replaces the key or value with one of its fields (Kafka's
// ExtractField$Key / $Value); null values pass through.
type ExtractField struct {
	side        side
	path        fieldPath
	original    string
	withDefault bool
}

func (*ExtractField) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "field", Type: connect.TypeString, Required: true,
			Importance: connect.ImportanceMedium, Doc: "Field name to extract."}).
		Define(replaceNullKey()).
		Define(fieldSyntaxKey())
}

func (t *ExtractField) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.original = cfg.String("field")
	t.withDefault = cfg.Bool(replaceNullWithDefaultConfig)
	t.path, err = newFieldPath(t.original, cfg.String(fieldSyntaxVersionConfig))
	if err != nil {
		return connect.InvalidValueError("field", t.original, err.Error())
	}
	return nil
}

func (t *ExtractField) Apply(r *Record) (*Record, error) {
	schema, value := t.side.get(r)
	const purpose = "field extraction"
	if schema == nil {
		m, err := requireMapOrNil(value, purpose)
		if err != nil {
			return nil, err
		}
		var out any
		if m != nil {
			if out, err = t.path.valueFromMap(m); err != nil {
				return nil, err
			}
		}
		return t.side.with(r, nil, out), nil
	}
	st, err := requireStructOrNil(value, purpose)
	if err != nil {
		return nil, err
	}
	f := t.path.fieldFrom(schema)
	if f == nil {
		return nil, data.Errorf("Unknown field: %s", t.original)
	}
	var out any
	if st != nil {
		if out, err = t.path.valueFromStruct(st, t.withDefault); err != nil {
			return nil, err
		}
	}
	return t.side.with(r, f.Schema(), out), nil
}

// ValueToKey replaces the key with fields of the value (Kafka's ValueToKey).
type ValueToKey struct {
	fields      []string
	withDefault bool
	cache       *schemaCache
}

func (*ValueToKey) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "fields", Type: connect.TypeList, Required: true, Validator: nonEmptyList(),
			Importance: connect.ImportanceHigh, Doc: "Field names on the record value to extract as the record key."}).
		Define(replaceNullKey())
}

func (t *ValueToKey) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.fields, t.withDefault, t.cache = cfg.List("fields"), cfg.Bool(replaceNullWithDefaultConfig), newSchemaCache()
	return nil
}

func (t *ValueToKey) Apply(r *Record) (*Record, error) {
	const purpose = "copying fields from value to key"
	c := r.Clone()
	if r.ValueSchema == nil {
		m, err := requireMap(r.Value, purpose)
		if err != nil {
			return nil, err
		}
		key := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			key[f] = m[f]
		}
		c.KeySchema, c.Key = nil, key
		return c, nil
	}
	st, err := requireStruct(r.Value, purpose)
	if err != nil {
		return nil, err
	}
	keySchema, err := t.cache.get(st.Schema(), func(vs *data.Schema) (*data.Schema, error) {
		b := data.StructBuilder()
		for _, name := range t.fields {
			f := vs.Field(name)
			if f == nil {
				return nil, data.Errorf("Field does not exist: %s", name)
			}
			b.Field(name, f.Schema())
		}
		return b.Build()
	})
	if err != nil {
		return nil, err
	}
	key := data.NewStruct(keySchema)
	for _, name := range t.fields {
		if err := key.Put(name, fieldValue(st, st.Schema().Field(name), t.withDefault)); err != nil {
			return nil, err
		}
	}
	c.KeySchema, c.Key, c.ValueSchema = keySchema, key, st.Schema()
	return c, nil
}

// SetSchemaMetadata sets the key or value schema's name and/or version
// (Kafka's SetSchemaMetadata$Key / $Value).
type SetSchemaMetadata struct {
	side        side
	name        string
	hasName     bool
	version     int32
	hasVersion  bool
	withDefault bool
}

func (*SetSchemaMetadata) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "schema.name", Type: connect.TypeString, Importance: connect.ImportanceHigh, Doc: "Schema name to set."}).
		Define(connect.ConfigKey{Name: "schema.version", Type: connect.TypeInt, Importance: connect.ImportanceHigh, Doc: "Schema version to set."}).
		Define(replaceNullKey())
}

func (t *SetSchemaMetadata) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.hasName, t.hasVersion = !cfg.IsNull("schema.name"), !cfg.IsNull("schema.version")
	if t.hasName {
		t.name = cfg.String("schema.name")
	}
	if t.hasVersion {
		t.version = int32(cfg.Int("schema.version"))
	}
	if !t.hasName && !t.hasVersion {
		return connect.NewConfigError("schema.name", "Neither schema name nor version configured")
	}
	t.withDefault = cfg.Bool(replaceNullWithDefaultConfig)
	return nil
}

func (t *SetSchemaMetadata) Apply(r *Record) (*Record, error) {
	schema, value := t.side.get(r)
	if schema == nil && value == nil {
		return r, nil
	}
	if err := requireSchema(schema, "updating schema metadata"); err != nil {
		return nil, err
	}
	b := schema.Rebuild()
	if t.hasName {
		b.Name(t.name)
	}
	if t.hasVersion {
		b.Version(t.version)
	}
	updated, err := b.Build()
	if err != nil {
		return nil, err
	}
	if st, ok := value.(*data.Struct); ok && st != nil {
		ns := data.NewStruct(updated)
		for _, f := range updated.Fields() {
			if err := ns.PutField(f, fieldValue(st, f, t.withDefault)); err != nil {
				return nil, err
			}
		}
		value = ns
	}
	return t.side.with(r, updated, value), nil
}
