package convert

import (
	"unicode/utf8"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// SimpleHeaderConverter is Kafka's org.apache.kafka.connect.storage.SimpleHeaderConverter,
// the default header converter: values are written as their string form
// (data.ConvertToString) in UTF-8 and read back by inferring a schema from
// the text (data.ParseString). Bytes that are not valid UTF-8 are returned as
// BYTES, as Kafka falls back to when parsing fails.
type SimpleHeaderConverter struct{}

// NewSimpleHeaderConverter returns a SimpleHeaderConverter.
func NewSimpleHeaderConverter() *SimpleHeaderConverter { return &SimpleHeaderConverter{} }

// Config returns the (empty) configuration definition.
func (*SimpleHeaderConverter) Config() *connect.ConfigDef { return connect.NewConfigDef() }

// Configure accepts any configuration.
func (*SimpleHeaderConverter) Configure(map[string]string) error { return nil }

// FromConnectHeader writes the value's string form; nil stays null.
func (*SimpleHeaderConverter) FromConnectHeader(_, _ string, schema *data.Schema, value any) ([]byte, error) {
	s, ok := data.ConvertToString(schema, value)
	if !ok {
		return nil, nil
	}
	return []byte(s), nil
}

// ToConnectHeader infers a schema and value from the header text.
func (*SimpleHeaderConverter) ToConnectHeader(_, _ string, value []byte) (data.SchemaAndValue, error) {
	if value == nil {
		return data.SchemaAndValue{}, nil
	}
	if !utf8.Valid(value) {
		return data.SchemaAndValue{Schema: data.BytesSchema, Value: value}, nil
	}
	return data.ParseString(string(value)), nil
}
