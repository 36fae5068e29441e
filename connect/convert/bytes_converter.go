package convert

import (
	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ByteArrayConverter is Kafka's org.apache.kafka.connect.converters.ByteArrayConverter:
// bytes pass through unchanged, read as optional BYTES.
type ByteArrayConverter struct{}

// NewByteArrayConverter returns a ByteArrayConverter.
func NewByteArrayConverter() *ByteArrayConverter { return &ByteArrayConverter{} }

// Config returns the configuration definition.
func (*ByteArrayConverter) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(converterTypeKey())
}

// Configure accepts any configuration.
func (*ByteArrayConverter) Configure(map[string]string, bool) error { return nil }

// FromConnectData returns the bytes; the schema, if any, must be BYTES.
func (*ByteArrayConverter) FromConnectData(_ string, _ []kgo.RecordHeader, schema *data.Schema, value any) ([]byte, error) {
	return bytesFromConnect(schema, value)
}

func bytesFromConnect(schema *data.Schema, value any) ([]byte, error) {
	if schema != nil && schema.Type() != data.TypeBytes {
		return nil, data.Errorf("Invalid schema type for ByteArrayConverter: %s", schema.Type())
	}
	if value == nil {
		return nil, nil
	}
	b, ok := value.([]byte)
	if !ok {
		return nil, data.Errorf("ByteArrayConverter is not compatible with objects of type %T", value)
	}
	return b, nil
}

// ToConnectData returns the bytes with the optional BYTES schema.
func (*ByteArrayConverter) ToConnectData(_ string, _ []kgo.RecordHeader, value []byte) (data.SchemaAndValue, error) {
	if value == nil {
		return data.SchemaAndValue{Schema: data.OptionalBytesSchema}, nil
	}
	return data.SchemaAndValue{Schema: data.OptionalBytesSchema, Value: value}, nil
}

// ByteArrayHeaderConverter is ByteArrayConverter used as a HeaderConverter.
type ByteArrayHeaderConverter struct{}

// Configure accepts any configuration.
func (ByteArrayHeaderConverter) Configure(map[string]string) error { return nil }

// FromConnectHeader returns the bytes.
func (ByteArrayHeaderConverter) FromConnectHeader(_, _ string, schema *data.Schema, value any) ([]byte, error) {
	return bytesFromConnect(schema, value)
}

// ToConnectHeader returns the bytes with the optional BYTES schema.
func (ByteArrayHeaderConverter) ToConnectHeader(_, _ string, value []byte) (data.SchemaAndValue, error) {
	return (&ByteArrayConverter{}).ToConnectData("", nil, value)
}
