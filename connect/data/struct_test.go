package data

import (
	"strings"
	"testing"
	"time"
)

var userSchema = StructBuilder().Name("User").
	Field("id", Int64Schema).
	Field("name", OptionalStringSchema).
	Field("level", Int16Builder().Default(int16(7)).MustBuild()).
	Field("tags", ArrayBuilder(StringSchema).Optional().MustBuild()).
	Field("attrs", MapBuilder(StringSchema, Int32Schema).Optional().MustBuild()).
	Field("scores", MapBuilder(Int32Schema, Float64Schema).Optional().MustBuild()).
	Field("born", DateBuilder().Optional().MustBuild()).
	Field("price", DecimalBuilder(2).Optional().MustBuild()).
	MustBuild()

func TestStructPutGet(t *testing.T) {
	s := NewStruct(userSchema)
	if err := s.Put("id", int64(42)); err != nil {
		t.Fatal(err)
	}
	s.MustPut("name", "ann").MustPut("tags", []any{"a", "b"}).
		MustPut("attrs", map[string]any{"x": int32(1)}).
		MustPut("scores", map[any]any{int32(1): 2.5}).
		MustPut("born", time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)).
		MustPut("price", NewDecimalFromInt64(1234, 2))
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetInt64("id"); err != nil || v != 42 {
		t.Fatalf("GetInt64 = %v %v", v, err)
	}
	if v, _ := s.Get("level"); v != int16(7) {
		t.Fatalf("Get(level) should return default 7, got %v", v)
	}
	if v, _ := s.GetWithoutDefault("level"); v != nil {
		t.Fatalf("GetWithoutDefault(level) = %v", v)
	}
	if _, err := s.GetString("id"); err == nil || !strings.Contains(err.Error(), "Field 'id' is not of type STRING") {
		t.Fatalf("GetString(id) err = %v", err)
	}
	if _, err := s.Get("missing"); err == nil || !strings.Contains(err.Error(), "missing is not a valid field name") {
		t.Fatalf("Get(missing) err = %v", err)
	}
	if got := s.String(); !strings.HasPrefix(got, "Struct{id=42,name=ann,tags=[a b]") {
		t.Fatalf("String = %s", got)
	}
}

func TestStructPutErrorsNameFieldAndType(t *testing.T) {
	s := NewStruct(userSchema)
	cases := []struct {
		field string
		value any
		want  string
	}{
		{"id", "42", `expected int64, got string for field: "id"`},
		{"id", 42, `expected int64, got int for field: "id"`},
		{"id", nil, `null used for required field: "id", schema type: INT64`},
		{"tags", []any{"a", 1}, `got int for element of array field: "tags"`},
		{"tags", []string{"a"}, `expected []any, got []string`},
		{"attrs", map[string]any{"x": "y"}, `value of map field: "attrs"`},
		{"scores", map[any]any{"k": 1.0}, `key of map field: "scores"`},
		{"scores", map[string]any{"k": 1.0}, `requires a STRING key schema`},
		{"born", int32(3), `schema "org.apache.kafka.connect.data.Date" with type INT32: expected time.Time`},
		{"price", []byte{1}, `expected *data.Decimal`},
	}
	for _, c := range cases {
		err := s.Put(c.field, c.value)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Put(%s, %#v): want error containing %q, got %v", c.field, c.value, c.want, err)
		}
	}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), `required field: "id"`) {
		t.Fatalf("Validate of empty struct: %v", err)
	}
}

func TestNestedStructSchemaMismatch(t *testing.T) {
	inner := StructBuilder().Field("a", Int8Schema).MustBuild()
	other := StructBuilder().Field("b", Int8Schema).MustBuild()
	outer := StructBuilder().Field("in", inner).MustBuild()
	s := NewStruct(outer)
	if err := s.Put("in", NewStruct(other).MustPut("b", int8(1))); err == nil || !strings.Contains(err.Error(), "Struct schemas do not match") {
		t.Fatalf("got %v", err)
	}
	// An equal but distinct schema instance is accepted, as in Kafka.
	same := StructBuilder().Field("a", Int8Schema).MustBuild()
	if err := s.Put("in", NewStruct(same).MustPut("a", int8(1))); err != nil {
		t.Fatal(err)
	}
	// A nested struct missing a required field fails validation.
	if err := s.Put("in", NewStruct(inner)); err == nil || !strings.Contains(err.Error(), `field: "a"`) {
		t.Fatalf("got %v", err)
	}
}

func TestStructEqualAndValuesEqual(t *testing.T) {
	a := NewStruct(userSchema).MustPut("id", int64(1)).MustPut("tags", []any{"x"}).MustPut("price", NewDecimalFromInt64(5, 2))
	b := NewStruct(userSchema).MustPut("id", int64(1)).MustPut("tags", []any{"x"}).MustPut("price", NewDecimalFromInt64(5, 2))
	if !a.Equal(b) || !ValuesEqual(a, b) {
		t.Fatal("equal structs not equal")
	}
	b.MustPut("tags", []any{"y"})
	if a.Equal(b) {
		t.Fatal("different structs equal")
	}
	if !ValuesEqual([]byte("ab"), []byte("ab")) || ValuesEqual([]byte("ab"), "ab") {
		t.Fatal("bytes equality")
	}
	if !ValuesEqual(map[string]any{"a": []any{int8(1)}}, map[any]any{"a": []any{int8(1)}}) {
		t.Fatal("mixed map equality")
	}
	if ValuesEqual(int32(1), int64(1)) {
		t.Fatal("different int widths must differ")
	}
}

func TestInferType(t *testing.T) {
	cases := map[Type]any{TypeInt8: int8(1), TypeInt64: int64(1), TypeFloat32: float32(1), TypeString: "s",
		TypeBytes: []byte{}, TypeArray: []any{}, TypeMap: map[string]any{}, TypeBoolean: true}
	for want, v := range cases {
		if got, ok := InferType(v); !ok || got != want {
			t.Errorf("InferType(%T) = %v", v, got)
		}
	}
	if _, ok := InferType(3); ok {
		t.Error("plain int is not a Connect value")
	}
}

func TestPutFieldFromAnotherSchema(t *testing.T) {
	a := StructBuilder().Field("x", Int8Schema).MustBuild()
	same := StructBuilder().Field("x", Int8Schema).MustBuild()
	other := StructBuilder().Field("x", StringSchema).MustBuild()
	s := NewStruct(a)
	if err := s.PutField(same.Field("x"), int8(1)); err != nil {
		t.Fatalf("equal field: %v", err)
	}
	if err := s.PutField(other.Field("x"), "str"); err == nil {
		t.Fatal("a field with a different schema must be rejected")
	}
}
