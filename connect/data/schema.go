package data

import "strconv"

// Schema describes the type and shape of a Connect value. Schemas are built
// with a SchemaBuilder (or are one of the predefined schemas below) and are
// immutable afterwards. A nil *Schema means "no schema" (schemaless data).
type Schema struct {
	typ        Type
	optional   bool
	hasDefault bool
	def        any
	name       string
	version    int32
	hasVersion bool
	doc        string
	params     []Parameter
	fields     []*Field
	byName     map[string]*Field
	keySchema  *Schema
	valSchema  *Schema
}

// Parameter is one schema parameter. Parameters keep insertion order because
// the JsonConverter writes them in that order.
type Parameter struct {
	Key   string
	Value string
}

// Field is a named, indexed member of a STRUCT schema.
type Field struct {
	name   string
	index  int
	schema *Schema
}

// NewField creates a field; SchemaBuilder.Field is the usual way to get one.
func NewField(name string, index int, schema *Schema) *Field {
	return &Field{name: name, index: index, schema: schema}
}

// Name is the field name.
func (f *Field) Name() string { return f.name }

// Index is the field's position in its struct schema.
func (f *Field) Index() int { return f.index }

// Schema is the field's schema.
func (f *Field) Schema() *Schema { return f.schema }

// Equal reports whether both fields have the same name, index and schema.
func (f *Field) Equal(o *Field) bool {
	if f == o {
		return true
	}
	if f == nil || o == nil {
		return false
	}
	return f.name == o.name && f.index == o.index && f.schema.Equal(o.schema)
}

func (f *Field) String() string {
	return "Field{name=" + f.name + ", index=" + strconv.Itoa(f.index) + ", schema=" + f.schema.String() + "}"
}

// Predefined schemas, equal to Kafka's Schema.*_SCHEMA constants.
var (
	Int8Schema    = &Schema{typ: TypeInt8}
	Int16Schema   = &Schema{typ: TypeInt16}
	Int32Schema   = &Schema{typ: TypeInt32}
	Int64Schema   = &Schema{typ: TypeInt64}
	Float32Schema = &Schema{typ: TypeFloat32}
	Float64Schema = &Schema{typ: TypeFloat64}
	BooleanSchema = &Schema{typ: TypeBoolean}
	StringSchema  = &Schema{typ: TypeString}
	BytesSchema   = &Schema{typ: TypeBytes}

	OptionalInt8Schema    = &Schema{typ: TypeInt8, optional: true}
	OptionalInt16Schema   = &Schema{typ: TypeInt16, optional: true}
	OptionalInt32Schema   = &Schema{typ: TypeInt32, optional: true}
	OptionalInt64Schema   = &Schema{typ: TypeInt64, optional: true}
	OptionalFloat32Schema = &Schema{typ: TypeFloat32, optional: true}
	OptionalFloat64Schema = &Schema{typ: TypeFloat64, optional: true}
	OptionalBooleanSchema = &Schema{typ: TypeBoolean, optional: true}
	OptionalStringSchema  = &Schema{typ: TypeString, optional: true}
	OptionalBytesSchema   = &Schema{typ: TypeBytes, optional: true}
)

// PrimitiveSchema returns the predefined schema for a primitive type, or nil.
func PrimitiveSchema(t Type, optional bool) *Schema {
	if optional {
		switch t {
		case TypeInt8:
			return OptionalInt8Schema
		case TypeInt16:
			return OptionalInt16Schema
		case TypeInt32:
			return OptionalInt32Schema
		case TypeInt64:
			return OptionalInt64Schema
		case TypeFloat32:
			return OptionalFloat32Schema
		case TypeFloat64:
			return OptionalFloat64Schema
		case TypeBoolean:
			return OptionalBooleanSchema
		case TypeString:
			return OptionalStringSchema
		case TypeBytes:
			return OptionalBytesSchema
		}
		return nil
	}
	switch t {
	case TypeInt8:
		return Int8Schema
	case TypeInt16:
		return Int16Schema
	case TypeInt32:
		return Int32Schema
	case TypeInt64:
		return Int64Schema
	case TypeFloat32:
		return Float32Schema
	case TypeFloat64:
		return Float64Schema
	case TypeBoolean:
		return BooleanSchema
	case TypeString:
		return StringSchema
	case TypeBytes:
		return BytesSchema
	}
	return nil
}

// Type is the schema's type.
func (s *Schema) Type() Type { return s.typ }

// Optional reports whether null is a valid value.
func (s *Schema) Optional() bool { return s.optional }

// Default is the default value, or nil when there is none.
func (s *Schema) Default() any { return s.def }

// HasDefault reports whether a (non-null) default value is set.
func (s *Schema) HasDefault() bool { return s.hasDefault }

// Name is the schema's name ("" when unnamed). Logical types are named schemas.
func (s *Schema) Name() string { return s.name }

// Version is the schema version; ok is false when none is set.
func (s *Schema) Version() (v int32, ok bool) { return s.version, s.hasVersion }

// Doc is the documentation string ("" when unset).
func (s *Schema) Doc() string { return s.doc }

// Parameters returns the parameters in insertion order. Do not modify the slice.
func (s *Schema) Parameters() []Parameter { return s.params }

// Parameter returns the value of one parameter.
func (s *Schema) Parameter(key string) (string, bool) {
	for _, p := range s.params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// ParametersMap returns a fresh copy of the parameters as a map (nil if none).
func (s *Schema) ParametersMap() map[string]string {
	if len(s.params) == 0 {
		return nil
	}
	m := make(map[string]string, len(s.params))
	for _, p := range s.params {
		m[p.Key] = p.Value
	}
	return m
}

// Fields returns a STRUCT schema's fields in order (nil for other types).
// Do not modify the slice.
func (s *Schema) Fields() []*Field { return s.fields }

// Field looks a STRUCT field up by name; nil when absent or not a struct.
func (s *Schema) Field(name string) *Field {
	if s.byName != nil {
		return s.byName[name]
	}
	for _, f := range s.fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

// KeySchema is a MAP schema's key schema (nil for other types).
func (s *Schema) KeySchema() *Schema { return s.keySchema }

// ValueSchema is the element schema of an ARRAY or the value schema of a MAP.
func (s *Schema) ValueSchema() *Schema { return s.valSchema }

// String mirrors Kafka's ConnectSchema.toString: Schema{name:TYPE} or Schema{TYPE}.
func (s *Schema) String() string {
	if s == nil {
		return "Schema{null}"
	}
	if s.name != "" {
		return "Schema{" + s.name + ":" + s.typ.String() + "}"
	}
	return "Schema{" + s.typ.String() + "}"
}

// Equal reports deep equality of two schemas, as Kafka's ConnectSchema.equals:
// type, optional, default, name, version, doc, parameters (order-insensitive),
// fields, key and value schemas. Two nil schemas are equal.
func (s *Schema) Equal(o *Schema) bool {
	if s == o {
		return true
	}
	if s == nil || o == nil {
		return false
	}
	if s.typ != o.typ || s.optional != o.optional || s.name != o.name ||
		s.hasVersion != o.hasVersion || s.version != o.version || s.doc != o.doc ||
		s.hasDefault != o.hasDefault || len(s.params) != len(o.params) || len(s.fields) != len(o.fields) {
		return false
	}
	for _, p := range s.params {
		if v, ok := o.Parameter(p.Key); !ok || v != p.Value {
			return false
		}
	}
	for i, f := range s.fields {
		if !f.Equal(o.fields[i]) {
			return false
		}
	}
	if !s.keySchema.Equal(o.keySchema) || !s.valSchema.Equal(o.valSchema) {
		return false
	}
	return !s.hasDefault || ValuesEqual(s.def, o.def)
}
