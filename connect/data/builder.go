package data

// SchemaBuilder builds a Schema step by step, as Kafka's SchemaBuilder.
// Methods chain; the first misuse is remembered and returned by Build, so a
// chain never panics halfway. Build may be called more than once.
type SchemaBuilder struct {
	s           Schema
	optionalSet bool
	nameSet     bool
	versionSet  bool
	docSet      bool
	err         error
}

// NewSchemaBuilder starts a schema of type t. ARRAY and MAP builders should
// come from ArrayBuilder and MapBuilder, which set the element schemas.
func NewSchemaBuilder(t Type) *SchemaBuilder {
	b := &SchemaBuilder{s: Schema{typ: t}}
	if !t.Valid() {
		b.err = Errorf("Invalid SchemaBuilder call: unknown schema type %d", uint8(t))
	}
	return b
}

// Int8Builder and friends start a primitive schema.
func Int8Builder() *SchemaBuilder    { return NewSchemaBuilder(TypeInt8) }
func Int16Builder() *SchemaBuilder   { return NewSchemaBuilder(TypeInt16) }
func Int32Builder() *SchemaBuilder   { return NewSchemaBuilder(TypeInt32) }
func Int64Builder() *SchemaBuilder   { return NewSchemaBuilder(TypeInt64) }
func Float32Builder() *SchemaBuilder { return NewSchemaBuilder(TypeFloat32) }
func Float64Builder() *SchemaBuilder { return NewSchemaBuilder(TypeFloat64) }
func BooleanBuilder() *SchemaBuilder { return NewSchemaBuilder(TypeBoolean) }
func StringBuilder() *SchemaBuilder  { return NewSchemaBuilder(TypeString) }
func BytesBuilder() *SchemaBuilder   { return NewSchemaBuilder(TypeBytes) }

// StructBuilder starts a STRUCT schema; add fields with Field.
func StructBuilder() *SchemaBuilder { return NewSchemaBuilder(TypeStruct) }

// ArrayBuilder starts an ARRAY schema whose elements follow elem.
func ArrayBuilder(elem *Schema) *SchemaBuilder {
	b := NewSchemaBuilder(TypeArray)
	if elem == nil {
		b.fail("valueSchema cannot be null.")
	}
	b.s.valSchema = elem
	return b
}

// MapBuilder starts a MAP schema.
func MapBuilder(key, value *Schema) *SchemaBuilder {
	b := NewSchemaBuilder(TypeMap)
	if key == nil {
		b.fail("keySchema cannot be null.")
	}
	if value == nil {
		b.fail("valueSchema cannot be null.")
	}
	b.s.keySchema, b.s.valSchema = key, value
	return b
}

func (b *SchemaBuilder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = Errorf(format, args...)
	}
}

// Type is the type being built.
func (b *SchemaBuilder) Type() Type { return b.s.typ }

// Optional allows null values.
func (b *SchemaBuilder) Optional() *SchemaBuilder {
	if b.optionalSet && !b.s.optional {
		b.fail("Invalid SchemaBuilder call: optional has already been set.")
	}
	b.optionalSet, b.s.optional = true, true
	return b
}

// Required forbids null values (the default).
func (b *SchemaBuilder) Required() *SchemaBuilder {
	if b.optionalSet && b.s.optional {
		b.fail("Invalid SchemaBuilder call: optional has already been set.")
	}
	b.optionalSet, b.s.optional = true, false
	return b
}

// Default sets the default value; it must be valid for the schema built so far
// (so call it after Name/Parameter for logical types). A nil default is a no-op.
func (b *SchemaBuilder) Default(v any) *SchemaBuilder {
	if v == nil {
		return b
	}
	if b.s.hasDefault {
		b.fail("Invalid SchemaBuilder call: default has already been set.")
		return b
	}
	tmp := b.s
	if err := ValidateValue(&tmp, v); err != nil {
		b.fail("Invalid default value: %w", err)
		return b
	}
	b.s.def, b.s.hasDefault = v, true
	return b
}

// Name sets the schema name.
func (b *SchemaBuilder) Name(name string) *SchemaBuilder {
	if b.nameSet && b.s.name != name {
		b.fail("Invalid SchemaBuilder call: name has already been set.")
	}
	b.nameSet, b.s.name = true, name
	return b
}

// Version sets the schema version.
func (b *SchemaBuilder) Version(v int32) *SchemaBuilder {
	if b.versionSet && b.s.version != v {
		b.fail("Invalid SchemaBuilder call: version has already been set.")
	}
	b.versionSet, b.s.version, b.s.hasVersion = true, v, true
	return b
}

// Doc sets the documentation string.
func (b *SchemaBuilder) Doc(doc string) *SchemaBuilder {
	if b.docSet && b.s.doc != doc {
		b.fail("Invalid SchemaBuilder call: doc has already been set.")
	}
	b.docSet, b.s.doc = true, doc
	return b
}

// Parameter sets one parameter, replacing an earlier value for the same key
// in place (so order stays the insertion order).
func (b *SchemaBuilder) Parameter(key, value string) *SchemaBuilder {
	for i := range b.s.params {
		if b.s.params[i].Key == key {
			b.s.params[i].Value = value
			return b
		}
	}
	b.s.params = append(b.s.params, Parameter{Key: key, Value: value})
	return b
}

// Parameters sets several parameters in order.
func (b *SchemaBuilder) Parameters(params ...Parameter) *SchemaBuilder {
	for _, p := range params {
		b.Parameter(p.Key, p.Value)
	}
	return b
}

// Field appends a field to a STRUCT schema.
func (b *SchemaBuilder) Field(name string, schema *Schema) *SchemaBuilder {
	switch {
	case b.s.typ != TypeStruct:
		b.fail("Cannot create fields on type %s", b.s.typ)
	case name == "":
		b.fail("fieldName cannot be null.")
	case schema == nil:
		b.fail("fieldSchema for field %s cannot be null.", name)
	case b.FieldByName(name) != nil:
		b.fail("Cannot create field because of field name duplication %s", name)
	default:
		b.s.fields = append(b.s.fields, &Field{name: name, index: len(b.s.fields), schema: schema})
	}
	return b
}

// FieldByName returns a field added so far, or nil.
func (b *SchemaBuilder) FieldByName(name string) *Field {
	for _, f := range b.s.fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

// Fields returns the fields added so far. Do not modify the slice.
func (b *SchemaBuilder) Fields() []*Field { return b.s.fields }

// Err returns the first misuse recorded so far.
func (b *SchemaBuilder) Err() error { return b.err }

// fieldIndexThreshold is the field count above which lookups by name use a map.
const fieldIndexThreshold = 8

// Build returns the immutable schema or the first misuse of the builder.
func (b *SchemaBuilder) Build() (*Schema, error) {
	if b.err != nil {
		return nil, b.err
	}
	s := b.s
	s.params = append([]Parameter(nil), b.s.params...)
	if s.typ == TypeStruct {
		s.fields = append([]*Field(nil), b.s.fields...)
		if len(s.fields) > fieldIndexThreshold {
			s.byName = make(map[string]*Field, len(s.fields))
			for _, f := range s.fields {
				s.byName[f.name] = f
			}
		}
	}
	if len(s.params) == 0 {
		s.params = nil
	}
	return &s, nil
}

// MustBuild is Build for schemas known to be valid (literals, tests); it
// panics on a builder misuse.
func (b *SchemaBuilder) MustBuild() *Schema {
	s, err := b.Build()
	if err != nil {
		panic(err)
	}
	return s
}

// Rebuild returns a builder holding everything s has (type, optional,
// default, name, version, doc, parameters, fields, key and value schemas)
// whose name, version and doc may still be replaced; Build then yields a
// schema equal to s apart from what was changed. Kafka's SetSchemaMetadata
// needs this.
func (s *Schema) Rebuild() *SchemaBuilder {
	b := &SchemaBuilder{s: *s, optionalSet: true}
	b.s.params = append([]Parameter(nil), s.params...)
	b.s.fields = append([]*Field(nil), s.fields...)
	b.s.byName = nil
	return b
}

// CopyBasics returns a builder of the same type as s carrying its name,
// version, doc and parameters (and the element schema of an ARRAY, the key and
// value schemas of a MAP) but not optional, default or fields. This mirrors
// Kafka's SchemaUtil.copySchemaBasics, used when transformations derive a
// schema from another.
func CopyBasics(s *Schema) *SchemaBuilder {
	var b *SchemaBuilder
	switch s.typ {
	case TypeArray:
		b = ArrayBuilder(s.valSchema)
	case TypeMap:
		b = MapBuilder(s.keySchema, s.valSchema)
	default:
		b = NewSchemaBuilder(s.typ)
	}
	if s.name != "" {
		b.Name(s.name)
	}
	if s.hasVersion {
		b.Version(s.version)
	}
	if s.doc != "" {
		b.Doc(s.doc)
	}
	b.Parameters(s.params...)
	return b
}
