// Package convert turns Connect data (connect/data) into record bytes and
// back, byte-compatible with Kafka Connect's converters: JsonConverter (with
// and without the schema envelope), StringConverter, ByteArrayConverter, the
// number and boolean converters, and SimpleHeaderConverter.
//
// Converters are configured once (Configure) and are then safe for
// concurrent use. A Registry resolves Kafka class names
// ("org.apache.kafka.connect.json.JsonConverter") and aliases
// ("JsonConverter", "Json") to fresh instances.
package convert
