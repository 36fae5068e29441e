package convert

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/twmb/franz-go/pkg/kgo"
)

// StringConverterEncodingConfig is the StringConverter's charset key.
const StringConverterEncodingConfig = "converter.encoding"

// StringConverter is Kafka's org.apache.kafka.connect.storage.StringConverter:
// values are written as their string form and read as optional strings. It
// is also a HeaderConverter (through StringHeaderConverter).
type StringConverter struct {
	enc charset
}

// NewStringConverter returns a StringConverter using UTF-8 until configured.
func NewStringConverter() *StringConverter { return &StringConverter{enc: utf8Charset{}} }

// StringConverterConfigDef is the StringConverter's configuration definition.
func StringConverterConfigDef() *connect.ConfigDef {
	return connect.NewConfigDef().Define(converterTypeKey()).
		Define(connect.ConfigKey{Name: StringConverterEncodingConfig, Type: connect.TypeString, Default: "UTF8",
			Importance: connect.ImportanceHigh, Doc: "The name of the Java character set to use for encoding strings as byte arrays.",
			Group: "Converter", DisplayName: "Encoding", Width: connect.WidthMedium})
}

// Config returns the configuration definition.
func (c *StringConverter) Config() *connect.ConfigDef { return StringConverterConfigDef() }

// Configure reads converter.encoding.
func (c *StringConverter) Configure(configs map[string]string, isKey bool) error {
	return c.configure(withType(configs, keyOrValue(isKey)))
}

func (c *StringConverter) configure(configs map[string]string) error {
	cfg, err := StringConverterConfigDef().Parse(configs)
	if err != nil {
		return err
	}
	name := cfg.String(StringConverterEncodingConfig)
	enc, ok := lookupCharset(name)
	if !ok {
		return connect.InvalidValueError(StringConverterEncodingConfig, name,
			"unsupported character set (supported: UTF-8, UTF-16, UTF-16BE, UTF-16LE, ISO-8859-1, US-ASCII)")
	}
	c.enc = enc
	return nil
}

// FromConnectData writes value's string form; nil stays a Kafka null.
func (c *StringConverter) FromConnectData(_ string, _ []kgo.RecordHeader, _ *data.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	out, err := c.enc.encode(ToJavaString(value))
	if err != nil {
		return nil, data.Errorf("Failed to serialize to a string: %w", err)
	}
	return out, nil
}

// ToConnectData reads an optional string.
func (c *StringConverter) ToConnectData(_ string, _ []kgo.RecordHeader, value []byte) (data.SchemaAndValue, error) {
	if value == nil {
		return data.SchemaAndValue{Schema: data.OptionalStringSchema}, nil
	}
	s, err := c.enc.decode(value)
	if err != nil {
		return data.SchemaAndValue{}, data.Errorf("Failed to deserialize string: %w", err)
	}
	return data.SchemaAndValue{Schema: data.OptionalStringSchema, Value: s}, nil
}

// StringHeaderConverter is StringConverter used as a HeaderConverter.
type StringHeaderConverter struct{ StringConverter }

// NewStringHeaderConverter returns a StringConverter for headers.
func NewStringHeaderConverter() *StringHeaderConverter {
	return &StringHeaderConverter{StringConverter{enc: utf8Charset{}}}
}

// Configure reads converter.encoding.
func (c *StringHeaderConverter) Configure(configs map[string]string) error {
	return c.configure(withType(configs, "header"))
}

// FromConnectHeader writes the value's string form.
func (c *StringHeaderConverter) FromConnectHeader(topic, _ string, schema *data.Schema, value any) ([]byte, error) {
	return c.FromConnectData(topic, nil, schema, value)
}

// ToConnectHeader reads an optional string.
func (c *StringHeaderConverter) ToConnectHeader(topic, _ string, value []byte) (data.SchemaAndValue, error) {
	return c.ToConnectData(topic, nil, value)
}

// ToJavaString renders a Connect value as Java's toString would for the
// corresponding Java object (what StringConverter writes): floats in Java
// notation, lists as [a, b], maps as {k=v}, structs as Struct{...}.
func ToJavaString(v any) string {
	var b strings.Builder
	writeJavaString(&b, v)
	return b.String()
}

func writeJavaString(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(x)
	case float64:
		b.WriteString(data.JavaFloatString(x, 64))
	case float32:
		b.WriteString(data.JavaFloatString(float64(x), 32))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJavaString(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		i := 0
		for _, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			i++
			b.WriteString(k)
			b.WriteByte('=')
			writeJavaString(b, x[k])
		}
		b.WriteByte('}')
	case fmt.Stringer:
		b.WriteString(x.String())
	default:
		fmt.Fprint(b, x)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// charset encodes and decodes strings for StringConverter.
type charset interface {
	encode(string) ([]byte, error)
	decode([]byte) (string, error)
}

func lookupCharset(name string) (charset, bool) {
	n := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(name), "_", "-"))
	switch n {
	case "UTF8", "UTF-8":
		return utf8Charset{}, true
	case "ISO-8859-1", "ISO8859-1", "LATIN1", "ISO-LATIN-1", "8859-1":
		return latin1Charset{}, true
	case "US-ASCII", "ASCII":
		return asciiCharset{}, true
	case "UTF-16":
		return utf16Charset{bom: true}, true
	case "UTF-16BE", "UTF16BE":
		return utf16Charset{}, true
	case "UTF-16LE", "UTF16LE":
		return utf16Charset{little: true}, true
	}
	return nil, false
}

type utf8Charset struct{}

func (utf8Charset) encode(s string) ([]byte, error) { return []byte(s), nil }

// decode replaces invalid sequences with U+FFFD, as Java's decoder does.
func (utf8Charset) decode(b []byte) (string, error) {
	if utf8.Valid(b) {
		return string(b), nil
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

type latin1Charset struct{}

func (latin1Charset) encode(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out, nil
}

func (latin1Charset) decode(b []byte) (string, error) {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs), nil
}

type asciiCharset struct{}

func (asciiCharset) encode(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0x7f {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out, nil
}

func (asciiCharset) decode(b []byte) (string, error) {
	rs := make([]rune, len(b))
	for i, c := range b {
		if c > 0x7f {
			rs[i] = utf8.RuneError
		} else {
			rs[i] = rune(c)
		}
	}
	return string(rs), nil
}

// utf16Charset: big-endian unless little; with bom, encoding writes a BOM
// (Java's "UTF-16") and decoding honours one.
type utf16Charset struct{ little, bom bool }

func (c utf16Charset) encode(s string) ([]byte, error) {
	units := utf16.Encode([]rune(s))
	out := make([]byte, 0, 2*len(units)+2)
	if c.bom {
		out = append(out, 0xfe, 0xff)
	}
	for _, u := range units {
		if c.little {
			out = append(out, byte(u), byte(u>>8))
		} else {
			out = append(out, byte(u>>8), byte(u))
		}
	}
	return out, nil
}

func (c utf16Charset) decode(b []byte) (string, error) {
	little := c.little
	if c.bom && len(b) >= 2 {
		switch {
		case b[0] == 0xfe && b[1] == 0xff:
			b = b[2:]
		case b[0] == 0xff && b[1] == 0xfe:
			b, little = b[2:], true
		}
	}
	units := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		if little {
			units = append(units, uint16(b[i])|uint16(b[i+1])<<8)
		} else {
			units = append(units, uint16(b[i])<<8|uint16(b[i+1]))
		}
	}
	s := string(utf16.Decode(units))
	if len(b)%2 == 1 {
		s += "\uFFFD"
	}
	return s, nil
}
