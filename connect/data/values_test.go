package data

import (
	"testing"
	"time"
)

func TestParseString(t *testing.T) {
	cases := []struct {
		in     string
		schema *Schema
		value  any
	}{
		{"", StringSchema, ""},
		{"true", BooleanSchema, true},
		{"false", BooleanSchema, false},
		{"12", Int8Schema, int8(12)},
		{"-300", Int16Schema, int16(-300)},
		{"70000", Int32Schema, int32(70000)},
		{"5000000000", Int64Schema, int64(5000000000)},
		{"1.5", Float32Schema, float32(1.5)},
		{"1.0", Int8Schema, int8(1)},
		{"hello world", StringSchema, "hello world"},
		{"true}", StringSchema, "true}"},
		{"12, 13", StringSchema, "12, 13"},
		{"2021-03-04", DateSchema, time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC)},
		{"05:06:07.008Z", TimeSchema, time.UnixMilli(5*3600000 + 6*60000 + 7008).UTC()},
		{"2021-03-04T05:06:07.008Z", TimestampSchema, time.Date(2021, 3, 4, 5, 6, 7, 8e6, time.UTC)},
		{"[1,2,3]", ArrayBuilder(Int8Schema).MustBuild(), []any{int8(1), int8(2), int8(3)}},
		{"[1, 1000, 2.5]", ArrayBuilder(Float32Schema).MustBuild(), []any{float32(1), float32(1000), float32(2.5)}},
		{`["a", "b"]`, ArrayBuilder(StringSchema).MustBuild(), []any{"a", "b"}},
		{`{"a":1,"b":2}`, MapBuilder(StringSchema, Int8Schema).MustBuild(), map[string]any{"a": int8(1), "b": int8(2)}},
		{`{1:"x"}`, MapBuilder(Int8Schema, StringSchema).MustBuild(), map[any]any{int8(1): "x"}},
		{"[1,", StringSchema, "[1,"},
		{"{a:}", StringSchema, "{a:}"},
	}
	for _, c := range cases {
		sv := ParseString(c.in)
		if !sv.Schema.Equal(c.schema) || !ValuesEqual(sv.Value, c.value) {
			t.Errorf("ParseString(%q) = %v %#v, want %v %#v", c.in, sv.Schema, sv.Value, c.schema, c.value)
		}
	}
	if sv := ParseString("null"); sv.Schema != nil || sv.Value != nil {
		t.Errorf("null = %+v", sv)
	}
}

func TestConvertToString(t *testing.T) {
	st := StructBuilder().Field("a", Int32Schema).Field("b", OptionalStringSchema).MustBuild()
	cases := []struct {
		v    any
		want string
	}{
		{"plain", "plain"},
		{[]any{"a\"b", int8(1), nil}, `["a\"b",1,null]`},
		{map[string]any{"k": []byte{1}}, `{"k":"AQ=="}`},
		{NewStruct(st).MustPut("a", int32(1)), `{"a":1,"b":null}`},
		{1e10, "1.0E10"},
		{NewDecimalFromInt64(-5, 3), "-0.005"},
		{time.UnixMilli(1000).UTC(), "00:00:01.000Z"},
	}
	for _, c := range cases {
		if got, ok := ConvertToString(nil, c.v); !ok || got != c.want {
			t.Errorf("ConvertToString(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
	if _, ok := ConvertToString(nil, nil); ok {
		t.Error("nil must report !ok")
	}
}
