package data

import "fmt"

// Type is a Connect schema type.
type Type uint8

// Schema types, in Kafka's order.
const (
	TypeInt8 Type = iota + 1
	TypeInt16
	TypeInt32
	TypeInt64
	TypeFloat32
	TypeFloat64
	TypeBoolean
	TypeString
	TypeBytes
	TypeArray
	TypeMap
	TypeStruct
)

var typeNames = [...]string{
	TypeInt8: "int8", TypeInt16: "int16", TypeInt32: "int32", TypeInt64: "int64",
	TypeFloat32: "float32", TypeFloat64: "float64", TypeBoolean: "boolean",
	TypeString: "string", TypeBytes: "bytes", TypeArray: "array", TypeMap: "map",
	TypeStruct: "struct",
}

var typeUpperNames = [...]string{
	TypeInt8: "INT8", TypeInt16: "INT16", TypeInt32: "INT32", TypeInt64: "INT64",
	TypeFloat32: "FLOAT32", TypeFloat64: "FLOAT64", TypeBoolean: "BOOLEAN",
	TypeString: "STRING", TypeBytes: "BYTES", TypeArray: "ARRAY", TypeMap: "MAP",
	TypeStruct: "STRUCT",
}

// Name is the lower-case name Kafka uses in configs (Cast spec, Schema.Type.getName),
// e.g. "int32".
func (t Type) Name() string {
	if t.Valid() {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// String is the upper-case enum name Kafka prints in messages, e.g. "INT32".
func (t Type) String() string {
	if t.Valid() {
		return typeUpperNames[t]
	}
	return fmt.Sprintf("TYPE(%d)", uint8(t))
}

// Valid reports whether t is one of the defined types.
func (t Type) Valid() bool { return t >= TypeInt8 && t <= TypeStruct }

// IsPrimitive reports whether t is neither ARRAY, MAP nor STRUCT.
func (t Type) IsPrimitive() bool { return t >= TypeInt8 && t <= TypeBytes }

// ParseType resolves a lower-case or upper-case type name ("int32", "INT32").
func ParseType(name string) (Type, bool) {
	for t := TypeInt8; t <= TypeStruct; t++ {
		if name == typeNames[t] || name == typeUpperNames[t] {
			return t, true
		}
	}
	return 0, false
}
