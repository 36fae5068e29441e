// Package data is the Kafka Connect data model: schemas, structs, logical
// types, headers and the Go representation of Connect values.
//
// A value is paired with an optional *Schema. A nil schema means the value is
// schemaless (the JsonConverter with schemas.enable=false produces these).
//
// Go representation of values, by schema type:
//
//	INT8 int8 · INT16 int16 · INT32 int32 · INT64 int64
//	FLOAT32 float32 · FLOAT64 float64 · BOOLEAN bool · STRING string
//	BYTES []byte · ARRAY []any · STRUCT *Struct
//	MAP map[string]any when the key schema is STRING, otherwise map[any]any
//	    (both are accepted for any key schema whose Go values are comparable;
//	    BYTES, ARRAY and MAP keys cannot be Go map keys and are not supported)
//	Decimal (BYTES) *Decimal · Date, Time (INT32) and Timestamp (INT64) time.Time
//
// Schemaless values use the same Go types; schemaless maps are normally
// map[string]any and arrays []any. Typed slices such as []string are not
// accepted: converters and transformations rely on a closed set of types so
// that they can switch on a value's type without reflection.
//
// Schemas are immutable once built, so they may be shared between goroutines
// and used as cache keys by pointer.
package data
