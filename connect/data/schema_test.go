package data

import (
	"errors"
	"strings"
	"testing"
)

func TestBuilderBuildsImmutableSchema(t *testing.T) {
	b := StructBuilder().Name("com.acme.User").Version(3).Doc("a user").
		Parameter("p1", "v1").Parameter("p0", "v0").
		Field("id", Int32Schema).Field("email", OptionalStringSchema)
	s, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	b.Field("extra", Int8Schema) // must not leak into s
	if len(s.Fields()) != 2 {
		t.Fatalf("fields = %d, want 2", len(s.Fields()))
	}
	if f := s.Field("email"); f == nil || f.Index() != 1 || f.Schema() != OptionalStringSchema {
		t.Fatalf("Field(email) = %v", f)
	}
	if s.Field("nope") != nil {
		t.Fatal("Field(nope) should be nil")
	}
	if v, ok := s.Version(); !ok || v != 3 {
		t.Fatalf("version = %d,%v", v, ok)
	}
	ps := s.Parameters()
	if len(ps) != 2 || ps[0].Key != "p1" || ps[1].Key != "p0" {
		t.Fatalf("parameters lost insertion order: %v", ps)
	}
	if s.String() != "Schema{com.acme.User:STRUCT}" {
		t.Fatalf("String = %s", s)
	}
}

func TestBuilderErrors(t *testing.T) {
	cases := map[string]*SchemaBuilder{
		"duplication":           StructBuilder().Field("a", Int8Schema).Field("a", Int8Schema),
		"Cannot create fields":  Int32Builder().Field("a", Int8Schema),
		"Invalid default value": Int32Builder().Default("x"),
		"name has already":      Int32Builder().Name("a").Name("b"),
		"keySchema cannot":      MapBuilder(nil, Int8Schema),
	}
	for want, b := range cases {
		_, err := b.Build()
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrData) {
			t.Errorf("want error containing %q, got %v", want, err)
		}
	}
}

func TestManyFieldsLookup(t *testing.T) {
	b := StructBuilder()
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}
	for _, n := range names {
		b.Field(n, Int8Schema)
	}
	s := b.MustBuild()
	for i, n := range names {
		if f := s.Field(n); f == nil || f.Index() != i {
			t.Fatalf("Field(%s) = %v", n, f)
		}
	}
}

func TestSchemaEquality(t *testing.T) {
	mk := func(def int32, params ...Parameter) *Schema {
		return StructBuilder().Name("n").Field("a", Int32Builder().Default(def).MustBuild()).
			Field("m", MapBuilder(StringSchema, ArrayBuilder(Float64Schema).MustBuild()).Optional().MustBuild()).
			Parameters(params...).MustBuild()
	}
	a := mk(1, Parameter{"x", "1"}, Parameter{"y", "2"})
	b := mk(1, Parameter{"y", "2"}, Parameter{"x", "1"})
	if !a.Equal(b) {
		t.Fatal("schemas differing only in parameter order must be equal (Kafka compares maps)")
	}
	if a.Equal(mk(2, Parameter{"x", "1"}, Parameter{"y", "2"})) {
		t.Fatal("different field default must not be equal")
	}
	if a.Equal(mk(1)) {
		t.Fatal("different parameters must not be equal")
	}
	if Int32Schema.Equal(OptionalInt32Schema) || !Int32Schema.Equal(Int32Builder().MustBuild()) {
		t.Fatal("optional flag equality wrong")
	}
	var n *Schema
	if !n.Equal(nil) || n.Equal(Int8Schema) {
		t.Fatal("nil schema equality wrong")
	}
	if Int8Schema.Equal(Int8Builder().Version(1).MustBuild()) {
		t.Fatal("version must take part in equality")
	}
}

func TestCopyBasics(t *testing.T) {
	src := DecimalBuilder(2).Optional().Doc("d").MustBuild()
	got := CopyBasics(src).MustBuild()
	if got.Name() != DecimalLogicalName || got.Doc() != "d" || got.Optional() {
		t.Fatalf("CopyBasics = %+v", got)
	}
	if sc, err := DecimalScale(got); err != nil || sc != 2 {
		t.Fatalf("scale = %d %v", sc, err)
	}
}

func TestParseType(t *testing.T) {
	for ty := TypeInt8; ty <= TypeStruct; ty++ {
		if got, ok := ParseType(ty.Name()); !ok || got != ty {
			t.Fatalf("ParseType(%s) = %v", ty.Name(), got)
		}
		if got, ok := ParseType(ty.String()); !ok || got != ty {
			t.Fatalf("ParseType(%s) = %v", ty, got)
		}
	}
	if _, ok := ParseType("float"); ok {
		t.Fatal("float is a JSON schema name, not a Connect type name")
	}
}

func TestRebuildReplacesMetadata(t *testing.T) {
	src := StructBuilder().Name("a").Version(1).Doc("d").Optional().Field("x", Int8Schema).MustBuild()
	got := src.Rebuild().Name("b").Version(2).MustBuild()
	if got.Name() != "b" || !got.Optional() || got.Doc() != "d" || got.Field("x") == nil {
		t.Fatalf("Rebuild = %+v", got)
	}
	if v, _ := got.Version(); v != 2 {
		t.Fatalf("version = %d", v)
	}
	if !src.Rebuild().MustBuild().Equal(src) {
		t.Fatal("Rebuild without changes must be equal")
	}
}
