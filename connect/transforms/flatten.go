package transforms

import (
	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// Flatten turns nested structs (or maps) into one level, joining names with
// delimiter (Kafka's Flatten$Key / $Value). With schemas, MAP fields are
// not supported, as in Kafka.
type Flatten struct {
	side      side
	delimiter string
	cache     *schemaCache
}

func (*Flatten) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: "delimiter", Type: connect.TypeString, Default: ".",
		Importance: connect.ImportanceMedium,
		Doc:        "Delimiter to insert between field names from the input record when generating field names for the output record"})
}

func (t *Flatten) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.delimiter, t.cache = cfg.String("delimiter"), newSchemaCache()
	return nil
}

func (t *Flatten) name(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + t.delimiter + field
}

func (t *Flatten) Apply(r *Record) (*Record, error) {
	schema, value := t.side.get(r)
	if value == nil {
		return r, nil
	}
	const purpose = "flattening"
	if schema == nil {
		m, err := requireMap(value, purpose)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m))
		if err := t.flattenMap(m, "", out); err != nil {
			return nil, err
		}
		return t.side.with(r, nil, out), nil
	}
	st, err := requireStructOrNil(value, purpose)
	if err != nil {
		return nil, err
	}
	updated, err := t.cache.get(schema, func(s *data.Schema) (*data.Schema, error) {
		b := data.CopyBasics(s)
		if s.Type() != data.TypeStruct {
			return nil, data.Errorf("Flatten transformation does not support %s for record with schemas", s.Type())
		}
		def, _ := s.Default().(*data.Struct)
		if err := t.flattenSchema(s, "", b, s.Optional(), def); err != nil {
			return nil, err
		}
		return b.Build() // like Kafka, optional is not carried over
	})
	if err != nil {
		return nil, err
	}
	out := data.NewStruct(updated)
	if err := t.flattenStruct(st, "", out); err != nil {
		return nil, err
	}
	return t.side.with(r, updated, out), nil
}

func (t *Flatten) flattenMap(m map[string]any, prefix string, out map[string]any) error {
	for k, v := range m {
		name := t.name(prefix, k)
		if v == nil {
			out[name] = nil
			continue
		}
		typ, ok := data.InferType(v)
		if !ok {
			return data.Errorf("Flatten transformation was passed a value of type %T which is not supported by Connect's data API", v)
		}
		switch typ {
		case data.TypeMap:
			nested, err := requireMap(v, "flattening")
			if err != nil {
				return err
			}
			if err := t.flattenMap(nested, name, out); err != nil {
				return err
			}
		case data.TypeStruct:
			return data.Errorf("Flatten transformation does not support %T for record without schemas (for field %s).", v, name)
		default:
			out[name] = v
		}
	}
	return nil
}

func (t *Flatten) flattenSchema(s *data.Schema, prefix string, b *data.SchemaBuilder, optional bool, parentDefault *data.Struct) error {
	for _, f := range s.Fields() {
		name := t.name(prefix, f.Name())
		fieldOptional := optional || f.Schema().Optional()
		var def any
		if f.Schema().HasDefault() {
			def = f.Schema().Default()
		} else if parentDefault != nil {
			def = parentDefault.GetField(f)
		}
		switch f.Schema().Type() {
		case data.TypeStruct:
			d, _ := def.(*data.Struct)
			if err := t.flattenSchema(f.Schema(), name, b, fieldOptional, d); err != nil {
				return err
			}
		case data.TypeMap:
			return data.Errorf("Flatten transformation does not support %s for record with schemas (for field %s).", f.Schema().Type(), name)
		default:
			fb := data.CopyBasics(f.Schema())
			if fieldOptional {
				fb.Optional()
			}
			fb.Default(def)
			fs, err := fb.Build()
			if err != nil {
				return err
			}
			b.Field(name, fs)
		}
	}
	return b.Err()
}

func (t *Flatten) flattenStruct(st *data.Struct, prefix string, out *data.Struct) error {
	if st == nil {
		return nil
	}
	for _, f := range st.Schema().Fields() {
		name := t.name(prefix, f.Name())
		if f.Schema().Type() == data.TypeStruct {
			nested, _ := st.GetField(f).(*data.Struct)
			if err := t.flattenStruct(nested, name, out); err != nil {
				return err
			}
			continue
		}
		if err := out.Put(name, st.GetField(f)); err != nil {
			return err
		}
	}
	return nil
}
