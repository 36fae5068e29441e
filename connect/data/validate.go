package data

import (
	"bytes"
	"math"
	"time"
)

// ValidateValue checks that value is a valid Go value for schema (see the
// package documentation for the representation). A nil schema accepts
// anything. Errors name the location and the expected type.
func ValidateValue(schema *Schema, value any) error {
	return validateValue(schema, value, &location{})
}

// ValidateFieldValue is ValidateValue with errors naming the field.
func ValidateFieldValue(field string, schema *Schema, value any) error {
	return validateValue(schema, value, &location{field: field, isField: true})
}

// location describes where a value sits, for error messages. It is only
// turned into text when validation fails, so the happy path builds no strings.
type location struct {
	field   string
	isField bool
	header  bool
	what    string // "element of array ", "key of map ", "value of map "
	parent  *location
}

func (l *location) String() string {
	switch {
	case l.parent != nil:
		return l.what + l.parent.String()
	case l.header:
		return `header: "` + l.field + `"`
	case l.isField:
		return `field: "` + l.field + `"`
	}
	return "value"
}

func validateValue(schema *Schema, value any, loc *location) error {
	if schema == nil {
		return nil
	}
	if value == nil {
		if !schema.optional {
			return Errorf("Invalid value: null used for required %s, schema type: %s", loc.String(), schema.typ)
		}
		return nil
	}
	switch schema.name {
	case DecimalLogicalName:
		if _, ok := value.(*Decimal); ok {
			return nil
		}
		return mismatch(schema, value, loc, "*data.Decimal")
	case DateLogicalName, TimeLogicalName, TimestampLogicalName:
		if _, ok := value.(time.Time); ok {
			return nil
		}
		return mismatch(schema, value, loc, "time.Time")
	}
	ok := false
	switch schema.typ {
	case TypeInt8:
		_, ok = value.(int8)
	case TypeInt16:
		_, ok = value.(int16)
	case TypeInt32:
		_, ok = value.(int32)
	case TypeInt64:
		_, ok = value.(int64)
	case TypeFloat32:
		_, ok = value.(float32)
	case TypeFloat64:
		_, ok = value.(float64)
	case TypeBoolean:
		_, ok = value.(bool)
	case TypeString:
		_, ok = value.(string)
	case TypeBytes:
		_, ok = value.([]byte)
	case TypeStruct:
		st, isStruct := value.(*Struct)
		if !isStruct {
			break
		}
		if st == nil {
			return mismatch(schema, value, loc, "non-nil *data.Struct")
		}
		if st.schema != schema && !st.schema.Equal(schema) {
			return Errorf("Struct schemas do not match for %s: expected %s, got %s", loc.String(), schema, st.schema)
		}
		return st.Validate()
	case TypeArray:
		arr, isArr := value.([]any)
		if !isArr {
			break
		}
		elemLoc := location{what: "element of array ", parent: loc}
		if schema.valSchema == nil {
			return Errorf("No schema defined for %s", elemLoc.String())
		}
		for _, e := range arr {
			if err := validateValue(schema.valSchema, e, &elemLoc); err != nil {
				return err
			}
		}
		return nil
	case TypeMap:
		return validateMap(schema, value, loc)
	}
	if !ok {
		return mismatch(schema, value, loc, goTypeName(schema.typ))
	}
	return nil
}

func validateMap(schema *Schema, value any, loc *location) error {
	keyLoc := location{what: "key of map ", parent: loc}
	valLoc := location{what: "value of map ", parent: loc}
	if schema.keySchema == nil {
		return Errorf("No schema defined for %s", keyLoc.String())
	}
	if schema.valSchema == nil {
		return Errorf("No schema defined for %s", valLoc.String())
	}
	switch m := value.(type) {
	case map[string]any:
		if schema.keySchema.typ != TypeString {
			return Errorf("Invalid Go value for %s: map[string]any requires a STRING key schema, got %s", loc.String(), schema.keySchema)
		}
		for _, v := range m {
			if err := validateValue(schema.valSchema, v, &valLoc); err != nil {
				return err
			}
		}
		return nil
	case map[any]any:
		for k, v := range m {
			if err := validateValue(schema.keySchema, k, &keyLoc); err != nil {
				return err
			}
			if err := validateValue(schema.valSchema, v, &valLoc); err != nil {
				return err
			}
		}
		return nil
	}
	return mismatch(schema, value, loc, "map[string]any or map[any]any")
}

func mismatch(schema *Schema, value any, loc *location, want string) error {
	where := loc.String()
	if schema.name != "" {
		return Errorf("Invalid Go value for schema %q with type %s: expected %s, got %T for %s", schema.name, schema.typ, want, value, where)
	}
	return Errorf("Invalid Go value for schema with type %s: expected %s, got %T for %s", schema.typ, want, value, where)
}

func goTypeName(t Type) string {
	switch t {
	case TypeInt8:
		return "int8"
	case TypeInt16:
		return "int16"
	case TypeInt32:
		return "int32"
	case TypeInt64:
		return "int64"
	case TypeFloat32:
		return "float32"
	case TypeFloat64:
		return "float64"
	case TypeBoolean:
		return "bool"
	case TypeString:
		return "string"
	case TypeBytes:
		return "[]byte"
	case TypeArray:
		return "[]any"
	case TypeStruct:
		return "*data.Struct"
	}
	return "map[string]any or map[any]any"
}

// InferType returns the schema type for a schemaless Go value, as Kafka's
// ConnectSchema.schemaType does for Java classes. ok is false for nil and for
// types outside the Connect representation (time.Time and *Decimal included:
// logical types need a schema).
func InferType(v any) (t Type, ok bool) {
	switch v.(type) {
	case int8:
		return TypeInt8, true
	case int16:
		return TypeInt16, true
	case int32:
		return TypeInt32, true
	case int64:
		return TypeInt64, true
	case float32:
		return TypeFloat32, true
	case float64:
		return TypeFloat64, true
	case bool:
		return TypeBoolean, true
	case string:
		return TypeString, true
	case []byte:
		return TypeBytes, true
	case []any:
		return TypeArray, true
	case map[string]any, map[any]any:
		return TypeMap, true
	case *Struct:
		return TypeStruct, true
	}
	return 0, false
}

// ValuesEqual is deep equality of Connect values (Java's Objects.deepEquals
// over the Connect representation): byte slices by content, arrays and maps
// element-wise, structs by schema and values, decimals by value and scale,
// times by instant, floats by bits (so NaN equals NaN, as Java's Float.equals).
func ValuesEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case float32:
		y, ok := b.(float32)
		return ok && math.Float32bits(x) == math.Float32bits(y)
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !ValuesEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		switch y := b.(type) {
		case map[string]any:
			if len(x) != len(y) {
				return false
			}
			for k, v := range x {
				w, ok := y[k]
				if !ok || !ValuesEqual(v, w) {
					return false
				}
			}
			return true
		case map[any]any:
			return mixedMapsEqual(x, y)
		}
		return false
	case map[any]any:
		switch y := b.(type) {
		case map[any]any:
			if len(x) != len(y) {
				return false
			}
			for k, v := range x {
				w, ok := y[k]
				if !ok || !ValuesEqual(v, w) {
					return false
				}
			}
			return true
		case map[string]any:
			return mixedMapsEqual(y, x)
		}
		return false
	case *Struct:
		y, ok := b.(*Struct)
		return ok && x.Equal(y)
	case *Decimal:
		y, ok := b.(*Decimal)
		return ok && x.Equal(y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return isComparable(a) && a == b
}

func mixedMapsEqual(x map[string]any, y map[any]any) bool {
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		w, ok := y[k]
		if !ok || !ValuesEqual(v, w) {
			return false
		}
	}
	return true
}

func isComparable(v any) bool {
	switch v.(type) {
	case int8, int16, int32, int64, bool, string, int, uint8, uint16, uint32, uint64, uint:
		return true
	}
	return false
}
