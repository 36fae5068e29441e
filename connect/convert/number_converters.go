package convert

import (
	"encoding/binary"
	"math"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/twmb/franz-go/pkg/kgo"
)

// NumberConverter covers Kafka's ShortConverter, IntegerConverter,
// LongConverter, FloatConverter, DoubleConverter and BooleanConverter: the
// value is written with the matching Kafka serializer (big-endian fixed
// width; booleans as one byte 0/1) and read back with an optional schema.
type NumberConverter struct {
	typ      data.Type
	typeName string // Kafka's name in messages, e.g. "INT32"
}

// NewShortConverter and friends return the converter for one type.
func NewShortConverter() *NumberConverter   { return &NumberConverter{data.TypeInt16, "INT16"} }
func NewIntegerConverter() *NumberConverter { return &NumberConverter{data.TypeInt32, "INT32"} }
func NewLongConverter() *NumberConverter    { return &NumberConverter{data.TypeInt64, "INT64"} }
func NewFloatConverter() *NumberConverter   { return &NumberConverter{data.TypeFloat32, "FLOAT32"} }
func NewDoubleConverter() *NumberConverter  { return &NumberConverter{data.TypeFloat64, "FLOAT64"} }
func NewBooleanConverter() *NumberConverter { return &NumberConverter{data.TypeBoolean, "BOOLEAN"} }

// Config returns the configuration definition.
func (*NumberConverter) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(converterTypeKey())
}

// Configure accepts any configuration.
func (*NumberConverter) Configure(map[string]string, bool) error { return nil }

// FromConnectData serialises the value, which must have the converter's Go type.
func (c *NumberConverter) FromConnectData(_ string, _ []kgo.RecordHeader, _ *data.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	ok := false
	var out []byte
	switch c.typ {
	case data.TypeInt16:
		var v int16
		if v, ok = value.(int16); ok {
			out = binary.BigEndian.AppendUint16(nil, uint16(v))
		}
	case data.TypeInt32:
		var v int32
		if v, ok = value.(int32); ok {
			out = binary.BigEndian.AppendUint32(nil, uint32(v))
		}
	case data.TypeInt64:
		var v int64
		if v, ok = value.(int64); ok {
			out = binary.BigEndian.AppendUint64(nil, uint64(v))
		}
	case data.TypeFloat32:
		var v float32
		if v, ok = value.(float32); ok {
			out = binary.BigEndian.AppendUint32(nil, math.Float32bits(v))
		}
	case data.TypeFloat64:
		var v float64
		if v, ok = value.(float64); ok {
			out = binary.BigEndian.AppendUint64(nil, math.Float64bits(v))
		}
	case data.TypeBoolean:
		var v bool
		if v, ok = value.(bool); ok {
			out = []byte{0}
			if v {
				out[0] = 1
			}
		}
	}
	if !ok {
		return nil, data.Errorf("Failed to serialize to %s (was %T)", c.typeName, value)
	}
	return out, nil
}

// ToConnectData deserialises a value of the converter's type.
func (c *NumberConverter) ToConnectData(_ string, _ []kgo.RecordHeader, value []byte) (data.SchemaAndValue, error) {
	schema := data.PrimitiveSchema(c.typ, true)
	if value == nil {
		return data.SchemaAndValue{Schema: schema}, nil
	}
	want := map[data.Type]int{data.TypeInt16: 2, data.TypeInt32: 4, data.TypeInt64: 8,
		data.TypeFloat32: 4, data.TypeFloat64: 8, data.TypeBoolean: 1}[c.typ]
	if len(value) != want {
		return data.SchemaAndValue{}, data.Errorf("Failed to deserialize %s: size of data received is %d, not %d", c.typeName, len(value), want)
	}
	var v any
	switch c.typ {
	case data.TypeInt16:
		v = int16(binary.BigEndian.Uint16(value))
	case data.TypeInt32:
		v = int32(binary.BigEndian.Uint32(value))
	case data.TypeInt64:
		v = int64(binary.BigEndian.Uint64(value))
	case data.TypeFloat32:
		v = math.Float32frombits(binary.BigEndian.Uint32(value))
	case data.TypeFloat64:
		v = math.Float64frombits(binary.BigEndian.Uint64(value))
	case data.TypeBoolean:
		switch value[0] {
		case 0:
			v = false
		case 1:
			v = true
		default:
			return data.SchemaAndValue{}, data.Errorf("Failed to deserialize BOOLEAN: unexpected byte %#x", value[0])
		}
	}
	return data.SchemaAndValue{Schema: schema, Value: v}, nil
}
