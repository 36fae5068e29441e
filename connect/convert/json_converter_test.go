package convert

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect/data"
)

const topic = "topic"

func newJSON(t *testing.T, cfg map[string]string) *JSONConverter {
	t.Helper()
	c := NewJSONConverter()
	if err := c.Configure(cfg, false); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustFrom(t *testing.T, c *JSONConverter, s *data.Schema, v any) string {
	t.Helper()
	b, err := c.FromConnectData(topic, nil, s, v)
	if err != nil {
		t.Fatalf("FromConnectData: %v", err)
	}
	return string(b)
}

func mustTo(t *testing.T, c *JSONConverter, in string) data.SchemaAndValue {
	t.Helper()
	sv, err := c.ToConnectData(topic, nil, []byte(in))
	if err != nil {
		t.Fatalf("ToConnectData(%s): %v", in, err)
	}
	return sv
}

// Exact bytes: Kafka's JsonConverter builds Jackson ObjectNodes whose member
// order is insertion order (JsonConverter.asJsonSchema) and Jackson writes
// them compactly, so these strings are byte-for-byte what Kafka emits.
func TestJSONExactBytes(t *testing.T) {
	c := newJSON(t, nil)
	user := data.StructBuilder().Name("com.acme.User").Version(1).Doc("a user").Parameter("k", "v").
		Field("id", data.Int32Schema).
		Field("email", data.StringBuilder().Optional().Default("x").MustBuild()).
		MustBuild()
	cases := []struct {
		name   string
		schema *data.Schema
		value  any
		want   string
	}{
		// tests/kafkatest/tests/connect/connect_test.py asserts this line verbatim.
		{"file source line", data.StringSchema, "foo", `{"schema":{"type":"string","optional":false},"payload":"foo"}`},
		{"struct", user, data.NewStruct(user).MustPut("id", int32(1)).MustPut("email", "a@b"),
			`{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"default":"x","field":"email"}],"optional":false,"name":"com.acme.User","version":1,"doc":"a user","parameters":{"k":"v"}},"payload":{"id":1,"email":"a@b"}}`},
		{"struct null field uses default", user, data.NewStruct(user).MustPut("id", int32(2)),
			`{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"default":"x","field":"email"}],"optional":false,"name":"com.acme.User","version":1,"doc":"a user","parameters":{"k":"v"}},"payload":{"id":2,"email":"x"}}`},
		{"boolean", data.BooleanSchema, true, `{"schema":{"type":"boolean","optional":false},"payload":true}`},
		{"int8", data.Int8Schema, int8(12), `{"schema":{"type":"int8","optional":false},"payload":12}`},
		{"int16", data.Int16Schema, int16(12), `{"schema":{"type":"int16","optional":false},"payload":12}`},
		{"int64", data.Int64Schema, int64(4398046511104), `{"schema":{"type":"int64","optional":false},"payload":4398046511104}`},
		{"float", data.Float32Schema, float32(12.34), `{"schema":{"type":"float","optional":false},"payload":12.34}`},
		{"double", data.Float64Schema, 12.34, `{"schema":{"type":"double","optional":false},"payload":12.34}`},
		{"double whole", data.Float64Schema, 100.0, `{"schema":{"type":"double","optional":false},"payload":100.0}`},
		{"double large", data.Float64Schema, 1e10, `{"schema":{"type":"double","optional":false},"payload":1.0E10}`},
		{"double small", data.Float64Schema, 0.0001, `{"schema":{"type":"double","optional":false},"payload":1.0E-4}`},
		{"double nan", data.Float64Schema, math.NaN(), `{"schema":{"type":"double","optional":false},"payload":"NaN"}`},
		{"bytes", data.BytesSchema, []byte("test-string"), `{"schema":{"type":"bytes","optional":false},"payload":"dGVzdC1zdHJpbmc="}`},
		{"escapes", data.StringSchema, "a\"b\\c\n\t\x01\x1f/é<>&\u2028", `{"schema":{"type":"string","optional":false},"payload":"a\"b\\c\n\t\u0001\u001F/é<>&` + "\u2028" + `"}`},
		{"array", data.ArrayBuilder(data.Int32Schema).MustBuild(), []any{int32(1), int32(2), int32(3)},
			`{"schema":{"type":"array","items":{"type":"int32","optional":false},"optional":false},"payload":[1,2,3]}`},
		{"map string keys", data.MapBuilder(data.StringSchema, data.Int32Schema).MustBuild(), map[string]any{"key2": int32(15), "key1": int32(12)},
			`{"schema":{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":{"key1":12,"key2":15}}`},
		{"map int keys", data.MapBuilder(data.Int32Schema, data.Int32Schema).MustBuild(), map[any]any{int32(2): int32(15), int32(1): int32(12)},
			`{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"int32","optional":false},"optional":false},"payload":[[1,12],[2,15]]}`},
		{"decimal", data.DecimalSchema(2), data.NewDecimalFromInt64(156, 2),
			`{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":"AJw="}`},
		{"date", data.DateSchema, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 10000),
			`{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1},"payload":10000}`},
		{"time", data.TimeSchema, time.UnixMilli(14400000).UTC(),
			`{"schema":{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1},"payload":14400000}`},
		{"timestamp", data.TimestampSchema, time.UnixMilli(4000000000).UTC(),
			`{"schema":{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1},"payload":4000000000}`},
		{"optional null", data.OptionalBooleanSchema, nil, `{"schema":{"type":"boolean","optional":true},"payload":null}`},
		{"default used for null", data.StringBuilder().Optional().Default("default").MustBuild(), nil,
			`{"schema":{"type":"string","optional":true,"default":"default"},"payload":"default"}`},
		{"schemaless map", nil, map[string]any{"key3": true, "key1": int32(12), "key2": "string"},
			`{"schema":null,"payload":{"key1":12,"key2":"string","key3":true}}`},
		{"schemaless array", nil, []any{int32(1), "string", true}, `{"schema":null,"payload":[1,"string",true]}`},
		{"schemaless non-string keys", nil, map[any]any{"string": int32(12), int32(52): "string", false: true},
			`{"schema":null,"payload":[["string",12],[52,"string"],[false,true]]}`},
	}
	for _, tc := range cases {
		if got := mustFrom(t, c, tc.schema, tc.value); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

func TestJSONSchemalessAndTombstones(t *testing.T) {
	off := newJSON(t, map[string]string{"schemas.enable": "false"})
	if got := mustFrom(t, off, nil, map[string]any{"b": int64(1), "a": []any{"x", nil}}); got != `{"a":["x",null],"b":1}` {
		t.Fatalf("schemaless = %s", got)
	}
	// Offsets-topic keys as Kafka writes them: ["connector",{partition}].
	if got := mustFrom(t, off, nil, []any{"local-file-source", map[string]any{"filename": "test.txt"}}); got != `["local-file-source",{"filename":"test.txt"}]` {
		t.Fatalf("offset key = %s", got)
	}
	for _, c := range []*JSONConverter{off, newJSON(t, nil)} {
		if b, err := c.FromConnectData(topic, nil, nil, nil); err != nil || b != nil {
			t.Fatalf("null/null must be a tombstone, got %q %v", b, err)
		}
		if sv, err := c.ToConnectData(topic, nil, nil); err != nil || sv.Schema != nil || sv.Value != nil {
			t.Fatalf("tombstone read = %+v %v", sv, err)
		}
	}
	if sv := mustTo(t, off, ""); sv.Value != nil || sv.Schema != nil {
		t.Fatalf("empty bytes without schemas = %+v", sv)
	}
	if sv := mustTo(t, off, "true"); sv.Value != true {
		t.Fatalf("true = %+v", sv)
	}
	sv := mustTo(t, off, `{ "a": "", "b": null, "n": 12, "f": 12.24, "arr": [1, "2", 3] }`)
	want := map[string]any{"a": "", "b": nil, "n": int64(12), "f": 12.24, "arr": []any{int64(1), "2", int64(3)}}
	if !data.ValuesEqual(sv.Value, want) {
		t.Fatalf("schemaless read = %#v", sv.Value)
	}
	if _, err := off.ToConnectData(topic, nil, []byte(`{"a":1} x`)); err == nil {
		t.Fatal("trailing garbage must fail")
	}
}

func TestJSONToConnectFromKafkaTests(t *testing.T) {
	c := newJSON(t, nil)
	cases := []struct {
		in     string
		schema *data.Schema
		value  any
	}{
		{`{ "schema": { "type": "boolean" }, "payload": true }`, data.BooleanSchema, true},
		{`{ "schema": { "type": "boolean", "optional": true }, "payload": null }`, data.OptionalBooleanSchema, nil},
		{`{ "schema": { "type": "boolean", "default": true }, "payload": null }`, data.BooleanBuilder().Default(true).MustBuild(), true},
		{`{ "schema": { "type": "boolean", "optional": false, "name": "bool", "version": 2, "doc": "the documentation", "parameters": { "foo": "bar" }}, "payload": true }`,
			data.BooleanBuilder().Required().Name("bool").Version(2).Doc("the documentation").Parameter("foo", "bar").MustBuild(), true},
		{`{ "schema": { "type": "int8" }, "payload": 12 }`, data.Int8Schema, int8(12)},
		{`{ "schema": { "type": "int16" }, "payload": 12 }`, data.Int16Schema, int16(12)},
		{`{ "schema": { "type": "int32" }, "payload": 12 }`, data.Int32Schema, int32(12)},
		{`{ "schema": { "type": "int64" }, "payload": 4398046511104 }`, data.Int64Schema, int64(4398046511104)},
		{`{ "schema": { "type": "int8" }, "payload": 0012 }`, data.Int8Schema, int8(12)},
		{`{ "schema": { "type": "int64" }, "payload": 00000123456789 }`, data.Int64Schema, int64(123456789)},
		{`{ "schema": { "type": "float" }, "payload": 12.34 }`, data.Float32Schema, float32(12.34)},
		{`{ "schema": { "type": "double" }, "payload": 12.34 }`, data.Float64Schema, 12.34},
		{`{ "schema": { "type": "bytes" }, "payload": "dGVzdC1zdHJpbmc=" }`, data.BytesSchema, []byte("test-string")},
		{`{ "schema": { "type": "string" }, "payload": "foo-bar-baz" }`, data.StringSchema, "foo-bar-baz"},
		{`{ "schema": { "type": "array", "items": { "type" : "int32" } }, "payload": [1, 2, 3] }`,
			data.ArrayBuilder(data.Int32Schema).MustBuild(), []any{int32(1), int32(2), int32(3)}},
		{`{ "schema": { "type": "map", "keys": { "type" : "string" }, "values": { "type" : "int32" } }, "payload": { "key1": 12, "key2": 15} }`,
			data.MapBuilder(data.StringSchema, data.Int32Schema).MustBuild(), map[string]any{"key1": int32(12), "key2": int32(15)}},
		{`{ "schema": { "type": "map", "keys": { "type" : "int32" }, "values": { "type" : "int32" } }, "payload": [ [1, 12], [2, 15] ] }`,
			data.MapBuilder(data.Int32Schema, data.Int32Schema).MustBuild(), map[any]any{int32(1): int32(12), int32(2): int32(15)}},
		{`{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "2" } }, "payload": "AJw=" }`,
			data.DecimalSchema(2), data.NewDecimalFromInt64(156, 2)},
		{`{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "default": "AJw=", "parameters": { "scale": "2" } }, "payload": null }`,
			data.DecimalBuilder(2).Default(data.NewDecimalFromInt64(156, 2)).MustBuild(), data.NewDecimalFromInt64(156, 2)},
		{`{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "2" } }, "payload": 1.56 }`,
			data.DecimalSchema(2), data.NewDecimalFromInt64(156, 2)},
		{`{ "schema": { "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1, "parameters": { "scale": "17" } }, "payload": 1.23456789123456789 }`,
			data.DecimalSchema(17), mustDecimal(t, "1.23456789123456789")},
		{`{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1 }, "payload": 10000 }`,
			data.DateSchema, time.UnixMilli(10000 * 86400000).UTC()},
		{`{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Date", "version": 1, "default": 0 }, "payload": null }`,
			data.DateBuilder().Default(time.UnixMilli(0).UTC()).MustBuild(), time.UnixMilli(0).UTC()},
		{`{ "schema": { "type": "int32", "name": "org.apache.kafka.connect.data.Time", "version": 1 }, "payload": 14400000 }`,
			data.TimeSchema, time.UnixMilli(14400000).UTC()},
		{`{ "schema": { "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1 }, "payload": 4000000000 }`,
			data.TimestampSchema, time.UnixMilli(4000000000).UTC()},
		{`{ "schema": { "type": "int64", "name": "org.apache.kafka.connect.data.Timestamp", "version": 1,  "optional": true, "default": 42 }, "payload": null }`,
			data.TimestampBuilder().Optional().Default(time.UnixMilli(42).UTC()).MustBuild(), time.UnixMilli(42).UTC()},
		{`{ "schema": null, "payload": null }`, nil, nil},
		{`{ "schema": null, "payload": 12 }`, nil, int64(12)},
		{`{ "schema": null, "payload": [1, "2", 3] }`, nil, []any{int64(1), "2", int64(3)}},
	}
	for _, tc := range cases {
		sv := mustTo(t, c, tc.in)
		if !sv.Schema.Equal(tc.schema) {
			t.Errorf("%s: schema %v (%+v), want %v", tc.in, sv.Schema, sv.Schema, tc.schema)
		}
		if !data.ValuesEqual(sv.Value, tc.value) {
			t.Errorf("%s: value %#v, want %#v", tc.in, sv.Value, tc.value)
		}
	}
	// Struct with a missing optional field.
	sv := mustTo(t, c, `{ "schema": { "type": "struct", "fields": [{ "field":"optional", "type": "string", "optional": true }, {  "field": "required", "type": "string" }] }, "payload": { "required": "required" } }`)
	st := sv.Value.(*data.Struct)
	if v, _ := st.Get("required"); v != "required" {
		t.Fatalf("required = %v", v)
	}
	if v, _ := st.Get("optional"); v != nil {
		t.Fatalf("optional = %v", v)
	}
}

func mustDecimal(t *testing.T, s string) *data.Decimal {
	d, err := data.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestJSONEnvelopeErrors(t *testing.T) {
	c := newJSON(t, nil)
	for _, in := range []string{`{"a":1}`, `[1]`, `"x"`, `{"schema":null,"payload":1,"extra":2}`, ``} {
		_, err := c.ToConnectData(topic, nil, []byte(in))
		if err == nil || !strings.Contains(err.Error(), `JsonConverter with schemas.enable requires "schema" and "payload" fields`) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
	bad := map[string]string{
		`{"schema":{"type":"int8"},"payload":300}`:                                                      "out of range",
		`{"schema":{"type":"int32"},"payload":1.5}`:                                                     "not an integer",
		`{"schema":{"type":"string"},"payload":12}`:                                                     "found NUMBER",
		`{"schema":{"type":"int32"},"payload":null}`:                                                    "Invalid null value for required INT32 field",
		`{"schema":{"type":"unknown"},"payload":1}`:                                                     "Unknown schema type: unknown",
		`{"schema":{"optional":true},"payload":1}`:                                                      "Schema must contain 'type' field",
		`{"schema":{"type":"struct","fields":[{"field":"a","type":"int32"}]},"payload":{}}`:             `field "a"`,
		`{"schema":{"type":"map","keys":{"type":"int32"},"values":{"type":"int32"}},"payload":{"a":1}}`: "array of tuples",
		`{"schema":{"type":"array","items":{"type":"int32"}},"payload":[1,`:                             "invalid JSON",
	}
	for in, want := range bad {
		_, err := c.ToConnectData(topic, nil, []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, data.ErrData) {
			t.Errorf("%s: want %q, got %v", in, want, err)
		}
	}
	if _, err := c.FromConnectData(topic, nil, data.Float64Schema, true); err == nil || !strings.Contains(err.Error(), "Invalid type for FLOAT64: bool") {
		t.Fatalf("mismatch err = %v", err)
	}
	if _, err := c.FromConnectData(topic, nil, nil, data.NewDecimalFromInt64(1, 0)); err == nil {
		t.Fatal("decimal without schema must fail")
	}
	if _, err := c.FromConnectData(topic, nil, data.Int32Schema, nil); err == nil || !strings.Contains(err.Error(), "null value for field that is required") {
		t.Fatalf("required null err = %v", err)
	}
}

func TestJSONDecimalNumeric(t *testing.T) {
	c := newJSON(t, map[string]string{"decimal.format": "numeric"})
	if got := mustFrom(t, c, data.DecimalSchema(4), data.NewDecimalFromInt64(15600, 4)); !strings.HasSuffix(got, `"payload":1.5600}`) {
		t.Fatalf("numeric = %s", got)
	}
	sv := mustTo(t, c, `{"schema":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"4"}},"payload":1.5600}`)
	if d := sv.Value.(*data.Decimal); d.String() != "1.5600" {
		t.Fatalf("read back %v", d)
	}
	if err := NewJSONConverter().Configure(map[string]string{"decimal.format": "HEX"}, false); err == nil || !strings.Contains(err.Error(), "decimal.format") {
		t.Fatalf("bad decimal.format err = %v", err)
	}
}

func TestJSONReplaceNullWithDefault(t *testing.T) {
	opt := data.StringBuilder().Optional().Default("default").MustBuild()
	st := data.StructBuilder().Field("field1", opt).MustBuild()
	on, off := newJSON(t, nil), newJSON(t, map[string]string{"replace.null.with.default": "false"})
	if got := mustFrom(t, off, opt, nil); got != `{"schema":{"type":"string","optional":true,"default":"default"},"payload":null}` {
		t.Fatalf("serializeNullToNull = %s", got)
	}
	if got := mustFrom(t, off, st, data.NewStruct(st)); got != `{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"default":"default","field":"field1"}],"optional":false},"payload":{"field1":null}}` {
		t.Fatalf("serializeFieldNullToNull = %s", got)
	}
	in := `{"schema":{"type":"struct","fields":[{"field":"field1","type":"string","optional":true,"default":"default"}],"optional":false},"payload":{"field1":null}}`
	if v, _ := mustTo(t, on, in).Value.(*data.Struct).GetWithoutDefault("field1"); v != "default" {
		t.Fatalf("deserializeFieldNullToDefault = %v", v)
	}
	if v, _ := mustTo(t, off, in).Value.(*data.Struct).GetWithoutDefault("field1"); v != nil {
		t.Fatalf("deserializeFieldNullToNull = %v", v)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	inner := data.StructBuilder().Name("Inner").Field("d", data.DecimalBuilder(3).Optional().MustBuild()).
		Field("ts", data.TimestampBuilder().Optional().MustBuild()).MustBuild()
	schema := data.StructBuilder().Name("Outer").Version(7).
		Field("i8", data.Int8Schema).Field("f32", data.Float32Schema).Field("f64", data.Float64Schema).
		Field("s", data.OptionalStringSchema).Field("b", data.BytesSchema).
		Field("arr", data.ArrayBuilder(inner).MustBuild()).
		Field("m", data.MapBuilder(data.Int64Schema, data.OptionalStringSchema).MustBuild()).
		Field("ms", data.MapBuilder(data.StringSchema, data.BooleanSchema).Optional().MustBuild()).
		MustBuild()
	in1 := data.NewStruct(inner).MustPut("d", data.NewDecimalFromInt64(-12345, 3)).MustPut("ts", time.UnixMilli(1700000000123).UTC())
	v := data.NewStruct(schema).MustPut("i8", int8(-5)).MustPut("f32", float32(3.25)).MustPut("f64", -1.5e-9).
		MustPut("s", "héllo \"w\"").MustPut("b", []byte{0, 1, 2, 255}).
		MustPut("arr", []any{in1, data.NewStruct(inner)}).
		MustPut("m", map[any]any{int64(1): "one", int64(-2): nil}).
		MustPut("ms", map[string]any{"t": true})
	for _, format := range []string{"BASE64", "NUMERIC"} {
		c := newJSON(t, map[string]string{"decimal.format": format})
		b, err := c.FromConnectData(topic, nil, schema, v)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := c.ToConnectData(topic, nil, b)
		if err != nil {
			t.Fatalf("%s: %v\n%s", format, err, b)
		}
		if !sv.Schema.Equal(schema) {
			t.Fatalf("%s: schema changed", format)
		}
		if !data.ValuesEqual(sv.Value, v) {
			t.Fatalf("%s: value changed:\n%v\n%v", format, sv.Value, v)
		}
		again, _ := c.FromConnectData(topic, nil, sv.Schema, sv.Value)
		if !bytes.Equal(again, b) {
			t.Fatalf("%s: second serialisation differs:\n%s\n%s", format, b, again)
		}
	}
}

func TestJSONSchemaCaches(t *testing.T) {
	c := newJSON(t, map[string]string{"schemas.cache.size": "2"})
	for i := 0; i < 3; i++ {
		mustFrom(t, c, data.BooleanBuilder().Version(int32(i)).MustBuild(), true)
	}
	if n, _ := c.SchemaCacheSizes(); n != 2 {
		t.Fatalf("toJSON cache = %d, want capped at 2", n)
	}
	a := mustTo(t, c, `{"schema":{"type":"string","optional":false},"payload":"x"}`)
	b := mustTo(t, c, `{"schema":{"type":"string","optional":false},"payload":"y"}`)
	if a.Schema != b.Schema {
		t.Fatal("same schema text must yield the same *Schema (transform caches rely on it)")
	}
}

func TestJSONSchemaContent(t *testing.T) {
	c := newJSON(t, map[string]string{"schema.content": `{"type":"struct","fields":[{"field":"id","type":"int64"}]}`})
	sv := mustTo(t, c, `{"id":7}`)
	if id, _ := sv.Value.(*data.Struct).GetInt64("id"); id != 7 {
		t.Fatalf("id = %v", sv.Value)
	}
	sv = mustTo(t, c, `{"schema":{"type":"string"},"payload":"env"}`)
	if sv.Value != "env" {
		t.Fatalf("an envelope must still win, got %v", sv.Value)
	}
	if err := NewJSONConverter().Configure(map[string]string{"schema.content": `{"type":"nope"}`}, false); err == nil || !strings.Contains(err.Error(), "schema.content") {
		t.Fatalf("bad schema.content err = %v", err)
	}
}

func TestJSONHeaderConverter(t *testing.T) {
	h := NewJSONHeaderConverter()
	if err := h.Configure(nil); err != nil {
		t.Fatal(err)
	}
	b, err := h.FromConnectHeader(topic, "h", data.StringSchema, "test-string")
	if err != nil || string(b) != `{"schema":{"type":"string","optional":false},"payload":"test-string"}` {
		t.Fatalf("%s %v", b, err)
	}
	sv, err := h.ToConnectHeader(topic, "h", b)
	if err != nil || sv.Value != "test-string" {
		t.Fatalf("%+v %v", sv, err)
	}
}

func BenchmarkJSONFromConnectStruct(b *testing.B) {
	schema := data.StructBuilder().Name("r").Field("id", data.Int64Schema).Field("name", data.StringSchema).
		Field("score", data.Float64Schema).Field("tags", data.ArrayBuilder(data.StringSchema).MustBuild()).MustBuild()
	v := data.NewStruct(schema).MustPut("id", int64(12345)).MustPut("name", "some name here").
		MustPut("score", 12.5).MustPut("tags", []any{"a", "b", "c"})
	c := NewJSONConverter()
	_ = c.Configure(nil, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.FromConnectData("t", nil, schema, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONToConnectStruct(b *testing.B) {
	in := []byte(`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},{"type":"double","optional":false,"field":"score"},{"type":"array","items":{"type":"string","optional":false},"optional":false,"field":"tags"}],"optional":false,"name":"r"},"payload":{"id":12345,"name":"some name here","score":12.5,"tags":["a","b","c"]}}`)
	c := NewJSONConverter()
	_ = c.Configure(nil, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ToConnectData("t", nil, in); err != nil {
			b.Fatal(err)
		}
	}
}

func TestJSONEnvelopeWithTrickyStrings(t *testing.T) {
	c := newJSON(t, nil)
	s := data.StructBuilder().Doc(`a "quoted" } ] \ doc`).Parameter(`k\"`, `{[`).
		Field(`f"}`, data.StringBuilder().Doc(`\\`).MustBuild()).MustBuild()
	v := data.NewStruct(s).MustPut(`f"}`, `x\"}]`)
	b := mustFrom(t, c, s, v)
	for i := 0; i < 2; i++ { // second read hits the schema cache
		sv := mustTo(t, c, b)
		if !sv.Schema.Equal(s) || !data.ValuesEqual(sv.Value, v) {
			t.Fatalf("round trip %d: %s", i, b)
		}
	}
	if _, err := c.ToConnectData(topic, nil, []byte(`{"schema":{"type":"string",},"payload":"x"}`)); err == nil {
		t.Fatal("malformed schema JSON must fail")
	}
}
