package convert

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect/data"
)

func TestStringConverter(t *testing.T) {
	c := NewStringConverter()
	if err := c.Configure(nil, false); err != nil {
		t.Fatal(err)
	}
	for v, want := range map[any]string{"héllo": "héllo", int32(5): "5", 1.0: "1.0", true: "true"} {
		b, err := c.FromConnectData(topic, nil, nil, v)
		if err != nil || string(b) != want {
			t.Errorf("FromConnectData(%v) = %q %v, want %q", v, b, err, want)
		}
	}
	if b, _ := c.FromConnectData(topic, nil, nil, nil); b != nil {
		t.Fatal("nil must stay null")
	}
	sv, err := c.ToConnectData(topic, nil, []byte("abc"))
	if err != nil || sv.Value != "abc" || sv.Schema != data.OptionalStringSchema {
		t.Fatalf("ToConnectData = %+v %v", sv, err)
	}
	if sv, _ := c.ToConnectData(topic, nil, nil); sv.Value != nil || sv.Schema != data.OptionalStringSchema {
		t.Fatalf("null = %+v", sv)
	}
	l := NewStringConverter()
	if err := l.Configure(map[string]string{"converter.encoding": "ISO-8859-1"}, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := l.FromConnectData(topic, nil, nil, "é"); !bytes.Equal(b, []byte{0xe9}) {
		t.Fatalf("latin1 = %x", b)
	}
	u := NewStringConverter()
	if err := u.Configure(map[string]string{"converter.encoding": "UTF-16BE"}, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := u.FromConnectData(topic, nil, nil, "a€"); !bytes.Equal(b, []byte{0, 'a', 0x20, 0xac}) {
		t.Fatalf("utf16 = %x", b)
	}
	if sv, _ := u.ToConnectData(topic, nil, []byte{0, 'a', 0x20, 0xac}); sv.Value != "a€" {
		t.Fatalf("utf16 decode = %v", sv.Value)
	}
	if err := NewStringConverter().Configure(map[string]string{"converter.encoding": "EBCDIC"}, false); err == nil || !strings.Contains(err.Error(), "converter.encoding") {
		t.Fatalf("bad encoding err = %v", err)
	}
}

func TestByteArrayConverter(t *testing.T) {
	c := NewByteArrayConverter()
	b, err := c.FromConnectData(topic, nil, data.BytesSchema, []byte{1, 2})
	if err != nil || !bytes.Equal(b, []byte{1, 2}) {
		t.Fatal(b, err)
	}
	if _, err := c.FromConnectData(topic, nil, data.StringSchema, []byte{1}); err == nil || !strings.Contains(err.Error(), "Invalid schema type for ByteArrayConverter: STRING") {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.FromConnectData(topic, nil, nil, "x"); err == nil || !strings.Contains(err.Error(), "not compatible with objects of type string") {
		t.Fatalf("err = %v", err)
	}
	sv, _ := c.ToConnectData(topic, nil, []byte{9})
	if sv.Schema != data.OptionalBytesSchema || !bytes.Equal(sv.Value.([]byte), []byte{9}) {
		t.Fatalf("%+v", sv)
	}
}

func TestNumberConverters(t *testing.T) {
	cases := []struct {
		c    *NumberConverter
		v    any
		wire []byte
	}{
		{NewShortConverter(), int16(-2), []byte{0xff, 0xfe}},
		{NewIntegerConverter(), int32(258), []byte{0, 0, 1, 2}},
		{NewLongConverter(), int64(1), []byte{0, 0, 0, 0, 0, 0, 0, 1}},
		{NewFloatConverter(), float32(1), []byte{0x3f, 0x80, 0, 0}},
		{NewDoubleConverter(), 2.0, []byte{0x40, 0, 0, 0, 0, 0, 0, 0}},
		{NewBooleanConverter(), true, []byte{1}},
	}
	for _, tc := range cases {
		b, err := tc.c.FromConnectData(topic, nil, nil, tc.v)
		if err != nil || !bytes.Equal(b, tc.wire) {
			t.Errorf("%s: %x %v", tc.c.typeName, b, err)
		}
		sv, err := tc.c.ToConnectData(topic, nil, tc.wire)
		if err != nil || sv.Value != tc.v || !sv.Schema.Optional() {
			t.Errorf("%s: read %+v %v", tc.c.typeName, sv, err)
		}
	}
	if _, err := NewIntegerConverter().FromConnectData(topic, nil, nil, int64(1)); err == nil || !strings.Contains(err.Error(), "Failed to serialize to INT32 (was int64)") {
		t.Fatalf("err = %v", err)
	}
	if _, err := NewIntegerConverter().ToConnectData(topic, nil, []byte{1}); err == nil {
		t.Fatal("short input must fail")
	}
}

func TestSimpleHeaderConverter(t *testing.T) {
	h := NewSimpleHeaderConverter()
	cases := []struct {
		schema *data.Schema
		value  any
		text   string
	}{
		{data.StringSchema, "hello world", "hello world"},
		{data.Int8Schema, int8(12), "12"},
		{data.Int32Schema, int32(70000), "70000"},
		{data.BooleanSchema, true, "true"},
		{data.Float32Schema, float32(1.5), "1.5"},
		{data.ArrayBuilder(data.Int8Schema).MustBuild(), []any{int8(1), int8(2)}, "[1,2]"},
		{data.MapBuilder(data.StringSchema, data.StringSchema).MustBuild(), map[string]any{"a": "x", "b": "y"}, `{"a":"x","b":"y"}`},
		{data.DateSchema, time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC), "2021-03-04"},
		{data.TimestampSchema, time.Date(2021, 3, 4, 5, 6, 7, 8e6, time.UTC), "2021-03-04T05:06:07.008Z"},
	}
	for _, tc := range cases {
		b, err := h.FromConnectHeader(topic, "k", tc.schema, tc.value)
		if err != nil || string(b) != tc.text {
			t.Errorf("From(%v) = %q %v, want %q", tc.value, b, err, tc.text)
			continue
		}
		sv, err := h.ToConnectHeader(topic, "k", b)
		if err != nil || !sv.Schema.Equal(tc.schema) || !data.ValuesEqual(sv.Value, tc.value) {
			t.Errorf("To(%q) = %v %#v %v, want %v %#v", b, sv.Schema, sv.Value, err, tc.schema, tc.value)
		}
	}
	if sv, _ := h.ToConnectHeader(topic, "k", []byte{0xff, 0xfe}); sv.Schema != data.BytesSchema {
		t.Fatalf("invalid UTF-8 should fall back to bytes: %+v", sv)
	}
	if sv, _ := h.ToConnectHeader(topic, "k", nil); sv.Schema != nil || sv.Value != nil {
		t.Fatal("null header")
	}
}

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	for _, name := range []string{JSONConverterClass, "JsonConverter", "Json", " org.apache.kafka.connect.storage.StringConverter"} {
		if _, err := r.NewConverter(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	c1, _ := r.NewConverter("JsonConverter")
	c2, _ := r.NewConverter("JsonConverter")
	if c1 == c2 {
		t.Fatal("each lookup must return a fresh instance")
	}
	if _, err := r.NewHeaderConverter("SimpleHeaderConverter"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.NewHeaderConverter("Simple"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.NewConverter("SimpleHeaderConverter"); err == nil {
		t.Fatal("SimpleHeaderConverter is not a key/value converter")
	}
	if _, err := r.NewConverter("com.example.Nope"); err == nil || !strings.Contains(err.Error(), "com.example.Nope") {
		t.Fatalf("err = %v", err)
	}
	h, err := r.NewHeaderConverter("IntegerConverter")
	if err != nil || h.Configure(nil) != nil {
		t.Fatal(err)
	}
	if b, _ := h.FromConnectHeader(topic, "k", nil, int32(1)); !bytes.Equal(b, []byte{0, 0, 0, 1}) {
		t.Fatalf("%x", b)
	}
}
