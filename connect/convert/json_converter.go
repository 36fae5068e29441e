package convert

import (
	"strings"
	"sync/atomic"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/twmb/franz-go/pkg/kgo"
)

// JSONConverter is Kafka's org.apache.kafka.connect.json.JsonConverter: it
// writes the same bytes for the same data and reads what Kafka writes. It is
// both a Converter and a HeaderConverter. Configure it before use; after that
// it is safe for concurrent use.
//
// With schemas.enable=true (the default) every message is an envelope
// {"schema":...,"payload":...}. Schema JSON is cached per *data.Schema and
// parsed schemas are cached per schema text, so a stream of records with one
// schema reuses one *data.Schema (transformations cache on it).
type JSONConverter struct {
	schemasEnabled bool
	replaceNull    bool
	decimalFormat  DecimalFormat
	fixedSchema    *data.Schema // schema.content
	hasFixed       bool
	toJSONCache    *lruCache[*data.Schema, []byte]
	toSchemaCache  *lruCache[string, *data.Schema]
	configured     bool
	// sizeHint is the last output size, so most records need one allocation.
	sizeHint atomic.Int64
}

// NewJSONConverter returns an unconfigured JsonConverter.
func NewJSONConverter() *JSONConverter { return &JSONConverter{} }

// Config returns the configuration definition.
func (c *JSONConverter) Config() *connect.ConfigDef { return JSONConverterConfigDef() }

// Configure applies the configuration for key or value conversion.
func (c *JSONConverter) Configure(configs map[string]string, isKey bool) error {
	return c.configure(withType(configs, keyOrValue(isKey)))
}

func (c *JSONConverter) configure(configs map[string]string) error {
	cfg, err := JSONConverterConfigDef().Parse(configs)
	if err != nil {
		return err
	}
	c.schemasEnabled = cfg.Bool(JSONSchemasEnableConfig)
	c.replaceNull = cfg.Bool(JSONReplaceNullWithDefaultConfig)
	c.decimalFormat = DecimalFormat(upper(cfg.String(JSONDecimalFormatConfig)))
	size := cfg.Int(JSONSchemasCacheSizeConfig)
	c.toJSONCache = newLRU[*data.Schema, []byte](size)
	c.toSchemaCache = newLRU[string, *data.Schema](size)
	c.fixedSchema, c.hasFixed = nil, false
	if !cfg.IsNull(JSONSchemaContentConfig) {
		if text := strings.TrimSpace(cfg.String(JSONSchemaContentConfig)); text != "" {
			s, err := c.parseSchema([]byte(text))
			if err != nil {
				return connect.InvalidValueError(JSONSchemaContentConfig, text, err.Error())
			}
			c.fixedSchema, c.hasFixed = s, true
		}
	}
	c.configured = true
	return nil
}

func (c *JSONConverter) ensureConfigured() error {
	if !c.configured {
		return data.Errorf("JsonConverter used before Configure")
	}
	return nil
}

// FromConnectData serialises schema and value. A nil schema with a nil value
// is a Kafka null (tombstone).
func (c *JSONConverter) FromConnectData(topic string, _ []kgo.RecordHeader, schema *data.Schema, value any) ([]byte, error) {
	return c.fromConnect(schema, value)
}

func (c *JSONConverter) fromConnect(schema *data.Schema, value any) ([]byte, error) {
	if err := c.ensureConfigured(); err != nil {
		return nil, err
	}
	if schema == nil && value == nil {
		return nil, nil
	}
	var err error
	buf := make([]byte, 0, max(64, int(c.sizeHint.Load())+16))
	if c.schemasEnabled {
		buf = append(buf, `{"schema":`...)
		if buf, err = c.appendSchema(buf, schema); err != nil {
			return nil, wrapSerialize(err)
		}
		buf = append(buf, `,"payload":`...)
	}
	if buf, err = c.appendValue(buf, schema, value); err != nil {
		return nil, wrapSerialize(err)
	}
	if c.schemasEnabled {
		buf = append(buf, '}')
	}
	c.sizeHint.Store(int64(len(buf)))
	return buf, nil
}

func wrapSerialize(err error) error {
	return &data.DataError{Msg: "Converting Kafka Connect data to byte[] failed: " + err.Error(), Err: err}
}

// envelopeError is Kafka's message for data that is not an envelope while
// schemas.enable is true: the most common Connect misconfiguration.
const envelopeError = `JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.`

// ToConnectData parses a message. A nil message (tombstone) gives a nil
// schema and value.
func (c *JSONConverter) ToConnectData(topic string, _ []kgo.RecordHeader, value []byte) (data.SchemaAndValue, error) {
	return c.toConnect(value)
}

func (c *JSONConverter) toConnect(value []byte) (data.SchemaAndValue, error) {
	if err := c.ensureConfigured(); err != nil {
		return data.SchemaAndValue{}, err
	}
	if value == nil {
		return data.SchemaAndValue{}, nil
	}
	r := &jsonReader{b: value}
	if !c.schemasEnabled {
		k, err := r.peek()
		if err != nil {
			return data.SchemaAndValue{}, wrapDeserialize(err)
		}
		if k == kindMissing { // empty input, as Jackson's MissingNode
			return data.SchemaAndValue{}, nil
		}
		v, err := c.readSchemaless(r)
		if err == nil {
			err = r.end()
		}
		if err != nil {
			return data.SchemaAndValue{}, wrapDeserialize(err)
		}
		return data.SchemaAndValue{Value: v}, nil
	}
	schemaRaw, payloadRaw, isEnvelope, err := splitEnvelope(r)
	if err != nil {
		return data.SchemaAndValue{}, wrapDeserialize(err)
	}
	var schema *data.Schema
	switch {
	case isEnvelope:
		if schema, err = c.parseSchema(schemaRaw); err != nil {
			return data.SchemaAndValue{}, err
		}
	case c.hasFixed:
		schema, payloadRaw = c.fixedSchema, value
	default:
		return data.SchemaAndValue{}, data.Errorf("%s", envelopeError)
	}
	pr := &jsonReader{b: payloadRaw}
	v, err := c.readValue(pr, schema)
	if err == nil {
		err = pr.end()
	}
	if err != nil {
		return data.SchemaAndValue{}, wrapDeserialize(err)
	}
	return data.SchemaAndValue{Schema: schema, Value: v}, nil
}

func wrapDeserialize(err error) error {
	return &data.DataError{Msg: "Converting byte[] to Kafka Connect data failed: " + err.Error(), Err: err}
}

// splitEnvelope checks for an object with exactly the members "schema" and
// "payload" and returns their raw text. Any other well-formed JSON gives
// isEnvelope=false.
func splitEnvelope(r *jsonReader) (schemaRaw, payloadRaw []byte, isEnvelope bool, err error) {
	k, err := r.peek()
	if err != nil {
		return nil, nil, false, err
	}
	if k != kindObject {
		if k != kindMissing {
			if _, err := r.skipValue(); err != nil {
				return nil, nil, false, err
			}
		}
		return nil, nil, false, r.end()
	}
	ms, err := r.readMembers(true)
	if err != nil {
		return nil, nil, false, err
	}
	if err := r.end(); err != nil {
		return nil, nil, false, err
	}
	if len(ms) != 2 {
		return nil, nil, false, nil
	}
	for _, m := range ms {
		switch m.key {
		case "schema":
			schemaRaw = m.raw
		case "payload":
			payloadRaw = m.raw
		}
	}
	return schemaRaw, payloadRaw, schemaRaw != nil && payloadRaw != nil, nil
}

// SchemaCacheSizes reports how many schemas are cached in each direction
// (Connect to JSON, JSON to Connect); for tests and metrics.
func (c *JSONConverter) SchemaCacheSizes() (toJSON, toConnect int) {
	return c.toJSONCache.len(), c.toSchemaCache.len()
}

// JSONHeaderConverter adapts a JSONConverter to HeaderConverter.
type JSONHeaderConverter struct{ JSONConverter }

// NewJSONHeaderConverter returns an unconfigured JsonConverter for headers.
func NewJSONHeaderConverter() *JSONHeaderConverter { return &JSONHeaderConverter{} }

// Configure applies the configuration for header conversion.
func (c *JSONHeaderConverter) Configure(configs map[string]string) error {
	return c.configure(withType(configs, "header"))
}

// FromConnectHeader serialises one header value.
func (c *JSONHeaderConverter) FromConnectHeader(_, _ string, schema *data.Schema, value any) ([]byte, error) {
	return c.fromConnect(schema, value)
}

// ToConnectHeader parses one header value.
func (c *JSONHeaderConverter) ToConnectHeader(_, _ string, value []byte) (data.SchemaAndValue, error) {
	return c.toConnect(value)
}
