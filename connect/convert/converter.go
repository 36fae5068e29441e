package convert

import (
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Converter converts record keys or values between Connect data and bytes
// (Kafka's org.apache.kafka.connect.storage.Converter).
//
// headers are the Kafka record's headers; built-in converters ignore them.
// A nil byte slice is a Kafka null (tombstone).
type Converter interface {
	// Configure applies the converter's configuration (the worker or
	// connector keys with the key.converter./value.converter. prefix removed)
	// and says whether it converts keys or values.
	Configure(configs map[string]string, isKey bool) error
	FromConnectData(topic string, headers []kgo.RecordHeader, schema *data.Schema, value any) ([]byte, error)
	ToConnectData(topic string, headers []kgo.RecordHeader, value []byte) (data.SchemaAndValue, error)
}

// HeaderConverter converts one header value (Kafka's
// org.apache.kafka.connect.storage.HeaderConverter).
type HeaderConverter interface {
	Configure(configs map[string]string) error
	FromConnectHeader(topic, headerKey string, schema *data.Schema, value any) ([]byte, error)
	ToConnectHeader(topic, headerKey string, value []byte) (data.SchemaAndValue, error)
}

// Config keys shared by converters.
const (
	// TypeConfig is Kafka's converter.type ("key", "value" or "header"),
	// set by Configure from isKey.
	TypeConfig = "converter.type"
)
