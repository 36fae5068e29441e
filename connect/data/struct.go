package data

import (
	"fmt"
	"strings"
)

// Struct is a value of a STRUCT schema: one slot per schema field. Put
// validates each value against its field's schema; Validate checks that every
// required field is set.
type Struct struct {
	schema *Schema
	values []any
}

// NewStruct creates an empty struct for a STRUCT schema. It panics if schema
// is nil or not a STRUCT, which is a programming error.
func NewStruct(schema *Schema) *Struct {
	if schema == nil || schema.typ != TypeStruct {
		panic(fmt.Sprintf("data.NewStruct: not a struct schema: %s", schema))
	}
	return &Struct{schema: schema, values: make([]any, len(schema.fields))}
}

// Schema is the struct's schema.
func (s *Struct) Schema() *Schema { return s.schema }

func (s *Struct) lookup(name string) (*Field, error) {
	f := s.schema.Field(name)
	if f == nil {
		return nil, Errorf("%s is not a valid field name", name)
	}
	return f, nil
}

// Put sets a field after validating the value against the field's schema.
func (s *Struct) Put(name string, value any) error {
	f, err := s.lookup(name)
	if err != nil {
		return err
	}
	return s.PutField(f, value)
}

// PutField sets a field (which must belong to this struct's schema).
func (s *Struct) PutField(f *Field, value any) error {
	if f == nil {
		return Errorf("field cannot be null.")
	}
	if f.index < 0 || f.index >= len(s.values) {
		return Errorf("field %q does not belong to %s", f.name, s.schema)
	}
	if own := s.schema.fields[f.index]; own != f {
		// A field of another, equal schema is fine (Kafka compares by value).
		if own.name != f.name || (own.schema != f.schema && !own.schema.Equal(f.schema)) {
			return Errorf("field %q does not belong to %s", f.name, s.schema)
		}
	}
	if err := validateValue(f.schema, value, &location{field: f.name, isField: true}); err != nil {
		return err
	}
	s.values[f.index] = value
	return nil
}

// MustPut is Put for values known to be valid (literals, tests); it panics on
// an invalid value and returns s for chaining.
func (s *Struct) MustPut(name string, value any) *Struct {
	if err := s.Put(name, value); err != nil {
		panic(err)
	}
	return s
}

// Get returns a field's value, or the field schema's default when unset.
func (s *Struct) Get(name string) (any, error) {
	f, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	return s.GetField(f), nil
}

// GetField returns a field's value, or its default when unset. f must come
// from this struct's schema.
func (s *Struct) GetField(f *Field) any {
	v := s.values[f.index]
	if v == nil && f.schema.hasDefault {
		return f.schema.def
	}
	return v
}

// GetWithoutDefault returns a field's value ignoring its default.
func (s *Struct) GetWithoutDefault(name string) (any, error) {
	f, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	return s.values[f.index], nil
}

// GetFieldWithoutDefault returns a field's value ignoring its default.
func (s *Struct) GetFieldWithoutDefault(f *Field) any { return s.values[f.index] }

func getTyped[T any](s *Struct, name string, t Type) (T, error) {
	var zero T
	f, err := s.lookup(name)
	if err != nil {
		return zero, err
	}
	if f.schema.typ != t {
		return zero, Errorf("Field '%s' is not of type %s", name, t)
	}
	v := s.values[f.index]
	if v == nil {
		return zero, nil
	}
	tv, ok := v.(T)
	if !ok {
		return zero, Errorf("Field '%s' holds %T, not %T", name, v, zero)
	}
	return tv, nil
}

// Typed getters check the field's schema type and return the raw value (no
// default applied, like Kafka). A null value returns the zero value; use
// GetWithoutDefault to tell null apart.
func (s *Struct) GetInt8(name string) (int8, error)   { return getTyped[int8](s, name, TypeInt8) }
func (s *Struct) GetInt16(name string) (int16, error) { return getTyped[int16](s, name, TypeInt16) }
func (s *Struct) GetInt32(name string) (int32, error) { return getTyped[int32](s, name, TypeInt32) }
func (s *Struct) GetInt64(name string) (int64, error) { return getTyped[int64](s, name, TypeInt64) }
func (s *Struct) GetFloat32(name string) (float32, error) {
	return getTyped[float32](s, name, TypeFloat32)
}
func (s *Struct) GetFloat64(name string) (float64, error) {
	return getTyped[float64](s, name, TypeFloat64)
}
func (s *Struct) GetBoolean(name string) (bool, error)  { return getTyped[bool](s, name, TypeBoolean) }
func (s *Struct) GetString(name string) (string, error) { return getTyped[string](s, name, TypeString) }
func (s *Struct) GetBytes(name string) ([]byte, error)  { return getTyped[[]byte](s, name, TypeBytes) }
func (s *Struct) GetArray(name string) ([]any, error)   { return getTyped[[]any](s, name, TypeArray) }
func (s *Struct) GetStruct(name string) (*Struct, error) {
	return getTyped[*Struct](s, name, TypeStruct)
}

// GetMap returns a MAP field's value (map[string]any or map[any]any).
func (s *Struct) GetMap(name string) (any, error) { return getTyped[any](s, name, TypeMap) }

// Validate checks that every field without a value is optional or has a
// default, and that every set value fits its schema.
func (s *Struct) Validate() error {
	for i, f := range s.schema.fields {
		v := s.values[i]
		if v == nil && (f.schema.optional || f.schema.hasDefault) {
			continue
		}
		if err := validateValue(f.schema, v, &location{field: f.name, isField: true}); err != nil {
			return err
		}
	}
	return nil
}

// Equal reports whether both structs have equal schemas and values.
func (s *Struct) Equal(o *Struct) bool {
	if s == o {
		return true
	}
	if s == nil || o == nil || !s.schema.Equal(o.schema) || len(s.values) != len(o.values) {
		return false
	}
	for i := range s.values {
		if !ValuesEqual(s.values[i], o.values[i]) {
			return false
		}
	}
	return true
}

// String mirrors Kafka's Struct.toString: Struct{a=1,b=x}, skipping nulls.
func (s *Struct) String() string {
	var b strings.Builder
	b.WriteString("Struct{")
	first := true
	for i, v := range s.values {
		if v == nil {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(s.schema.fields[i].name)
		b.WriteByte('=')
		fmt.Fprint(&b, v)
	}
	b.WriteByte('}')
	return b.String()
}
