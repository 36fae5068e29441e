package transforms

import (
	"math"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect/data"
)

var personSchema = data.StructBuilder().Name("person").Version(1).
	Field("id", data.Int64Schema).
	Field("name", data.OptionalStringSchema).
	Field("age", data.Int32Builder().Optional().Default(int32(18)).MustBuild()).
	Field("ssn", data.OptionalStringSchema).
	MustBuild()

func person(id int64, name string) *data.Struct {
	return data.NewStruct(personSchema).MustPut("id", id).MustPut("name", name).MustPut("ssn", "123-45")
}

func TestInsertField(t *testing.T) {
	tr := newT(t, "InsertField$Value", map[string]string{
		"topic.field": "topic_field!", "partition.field": "partition_field", "timestamp.field": "timestamp_field?",
		"static.field": "instance_id", "static.value": "my-instance-id"})
	simple := data.StructBuilder().Name("name").Version(1).Doc("doc").Field("magic", data.OptionalInt64Schema).MustBuild()
	r := NewRecord("test", 0, nil, nil, simple, data.NewStruct(simple).MustPut("magic", int64(42)), 0, nil)
	out := apply(t, tr, r)
	s := out.ValueSchema
	if s.Name() != "name" || s.Doc() != "doc" || len(s.Fields()) != 5 {
		t.Fatalf("schema = %+v", s)
	}
	if f := s.Field("topic_field"); f.Schema() != data.StringSchema {
		t.Fatal("topic field must be required (! suffix)")
	}
	if f := s.Field("partition_field"); f.Schema() != data.OptionalInt32Schema {
		t.Fatal("partition field must be optional by default")
	}
	if f := s.Field("timestamp_field"); f.Schema().Name() != data.TimestampLogicalName || !f.Schema().Optional() {
		t.Fatal("timestamp field schema")
	}
	eq(t, get(t, out.Value, "magic"), int64(42))
	eq(t, get(t, out.Value, "topic_field"), "test")
	eq(t, get(t, out.Value, "partition_field"), int32(0))
	eq(t, get(t, out.Value, "timestamp_field"), time.UnixMilli(0).UTC())
	eq(t, get(t, out.Value, "instance_id"), "my-instance-id")
	if r.Value.(*data.Struct).Schema() != simple {
		t.Fatal("input record was modified")
	}
	// The derived schema is cached per input schema.
	if again := apply(t, tr, r); again.ValueSchema != out.ValueSchema {
		t.Fatal("schema update not cached")
	}

	// Schemaless.
	out = apply(t, tr, NewRecord("test", 0, nil, nil, nil, map[string]any{"magic": int64(42)}, 123, nil))
	eq(t, out.Value, map[string]any{"magic": int64(42), "topic_field": "test", "partition_field": int32(0),
		"timestamp_field": int64(123), "instance_id": "my-instance-id"})

	// Tombstones pass through unchanged.
	tomb := valueRecord(simple, nil)
	if apply(t, tr, tomb) != tomb {
		t.Fatal("tombstone must pass through")
	}
	// offset.field needs a sink record.
	off := newT(t, "InsertField$Value", map[string]string{"offset.field": "off"})
	applyErr(t, off, valueRecord(nil, map[string]any{}), "Only SinkRecord supported")
	sink := valueRecord(nil, map[string]any{})
	sink.Sink, sink.Offset = true, 77
	eq(t, apply(t, off, sink).Value, map[string]any{"off": int64(77)})

	configErr(t, "InsertField$Value", map[string]string{}, "No field insertion configured")
	configErr(t, "InsertField$Value", map[string]string{"static.field": "x"}, "No value specified for static field: x")
	applyErr(t, tr, valueRecord(simple, "not a struct"), "Only Struct objects supported for [field insertion], found: string")
	applyErr(t, tr, valueRecord(nil, "x"), "Only Map objects supported in absence of schema for [field insertion], found: string")

	// Key variant.
	k := newT(t, "InsertField$Key", map[string]string{"topic.field": "t"})
	out = apply(t, k, keyRecord(nil, map[string]any{"a": int8(1)}))
	eq(t, out.Key, map[string]any{"a": int8(1), "t": "test"})
}

func TestReplaceField(t *testing.T) {
	tr := newT(t, "ReplaceField$Value", map[string]string{"exclude": "ssn", "renames": "name:full_name,age:years"})
	out := apply(t, tr, valueRecord(personSchema, person(1, "ann")))
	names := []string{}
	for _, f := range out.ValueSchema.Fields() {
		names = append(names, f.Name())
	}
	eq(t, len(names), 3)
	if names[0] != "id" || names[1] != "full_name" || names[2] != "years" {
		t.Fatalf("fields = %v", names)
	}
	eq(t, get(t, out.Value, "full_name"), "ann")
	eq(t, get(t, out.Value, "years"), int32(18)) // default applied (replace.null.with.default)

	inc := newT(t, "ReplaceField$Value", map[string]string{"include": "id,name"})
	out = apply(t, inc, valueRecord(nil, map[string]any{"id": int64(1), "name": "x", "ssn": "y"}))
	eq(t, out.Value, map[string]any{"id": int64(1), "name": "x"})

	legacy := newT(t, "ReplaceField$Value", map[string]string{"blacklist": "ssn", "whitelist": "id,ssn"})
	out = apply(t, legacy, valueRecord(nil, map[string]any{"id": int64(1), "name": "x", "ssn": "y"}))
	eq(t, out.Value, map[string]any{"id": int64(1)})

	noDefault := newT(t, "ReplaceField$Value", map[string]string{"exclude": "ssn", "replace.null.with.default": "false"})
	if v, _ := apply(t, noDefault, valueRecord(personSchema, person(1, "a"))).Value.(*data.Struct).GetWithoutDefault("age"); v != nil {
		t.Fatalf("age = %v, want null kept", v)
	}
	configErr(t, "ReplaceField$Value", map[string]string{"renames": "a:b:c"}, "Invalid rename mapping: a:b:c")
}

func TestMaskField(t *testing.T) {
	schema := data.StructBuilder().Field("i8", data.Int8Schema).Field("i64", data.Int64Schema).Field("f", data.Float64Schema).
		Field("b", data.BooleanSchema).Field("s", data.StringSchema).Field("d", data.DecimalSchema(2)).
		Field("ts", data.TimestampSchema).Field("arr", data.ArrayBuilder(data.StringSchema).MustBuild()).
		Field("keep", data.StringSchema).MustBuild()
	v := data.NewStruct(schema).MustPut("i8", int8(5)).MustPut("i64", int64(9)).MustPut("f", 1.5).MustPut("b", true).
		MustPut("s", "secret").MustPut("d", data.NewDecimalFromInt64(1234, 2)).MustPut("ts", time.UnixMilli(99).UTC()).
		MustPut("arr", []any{"x"}).MustPut("keep", "k")
	tr := newT(t, "MaskField$Value", map[string]string{"fields": "i8,i64,f,b,s,d,ts,arr"})
	out := apply(t, tr, valueRecord(schema, v)).Value
	eq(t, get(t, out, "i8"), int8(0))
	eq(t, get(t, out, "i64"), int64(0))
	eq(t, get(t, out, "f"), 0.0)
	eq(t, get(t, out, "b"), false)
	eq(t, get(t, out, "s"), "")
	eq(t, get(t, out, "d"), data.NewDecimalFromInt64(0, 2))
	eq(t, get(t, out, "ts"), time.UnixMilli(0).UTC())
	eq(t, get(t, out, "arr"), []any{})
	eq(t, get(t, out, "keep"), "k")

	repl := newT(t, "MaskField$Value", map[string]string{"fields": "i64,s", "replacement": "123"})
	out = apply(t, repl, valueRecord(nil, map[string]any{"i64": int64(9), "s": "x", "other": 1.0})).Value
	eq(t, out, map[string]any{"i64": int64(123), "s": "123", "other": 1.0})
	bad := newT(t, "MaskField$Value", map[string]string{"fields": "i64", "replacement": "abc"})
	applyErr(t, bad, valueRecord(nil, map[string]any{"i64": int64(1)}), "Unable to convert abc (string) to number")
	boolRepl := newT(t, "MaskField$Value", map[string]string{"fields": "b", "replacement": "x"})
	applyErr(t, boolRepl, valueRecord(nil, map[string]any{"b": true}), "Cannot mask value of type bool with custom replacement.")
	configErr(t, "MaskField$Value", map[string]string{"fields": ""}, "Empty list")
	configErr(t, "MaskField$Value", map[string]string{"fields": "a", "replacement": ""}, "replacement")
}

func TestValueToKey(t *testing.T) {
	tr := newT(t, "ValueToKey", map[string]string{"fields": "id,age"})
	r := valueRecord(personSchema, person(7, "x"))
	out := apply(t, tr, r)
	if len(out.KeySchema.Fields()) != 2 || out.KeySchema.Field("age").Schema() != personSchema.Field("age").Schema() {
		t.Fatalf("key schema = %+v", out.KeySchema)
	}
	eq(t, get(t, out.Key, "id"), int64(7))
	eq(t, get(t, out.Key, "age"), int32(18))
	if out.Value != r.Value {
		t.Fatal("value must be kept")
	}
	out = apply(t, tr, valueRecord(nil, map[string]any{"id": int64(1), "x": 2}))
	eq(t, out.Key, map[string]any{"id": int64(1), "age": nil})
	missing := newT(t, "ValueToKey", map[string]string{"fields": "nope"})
	applyErr(t, missing, valueRecord(personSchema, person(1, "x")), "Field does not exist: nope")
}

func TestExtractField(t *testing.T) {
	tr := newT(t, "ExtractField$Key", map[string]string{"field": "id"})
	out := apply(t, tr, keyRecord(personSchema, person(3, "x")))
	if out.KeySchema != data.Int64Schema {
		t.Fatalf("schema = %v", out.KeySchema)
	}
	eq(t, out.Key, int64(3))
	out = apply(t, tr, keyRecord(nil, map[string]any{"id": "abc"}))
	eq(t, out.Key, "abc")
	if out := apply(t, tr, keyRecord(personSchema, nil)); out.Key != nil || out.KeySchema != data.Int64Schema {
		t.Fatal("null struct must give null with the field schema")
	}
	missing := newT(t, "ExtractField$Key", map[string]string{"field": "nope"})
	applyErr(t, missing, keyRecord(personSchema, person(1, "x")), "Unknown field: nope")

	inner := data.StructBuilder().Field("b.c", data.StringSchema).MustBuild()
	outer := data.StructBuilder().Field("a", inner).MustBuild()
	nested := data.NewStruct(outer).MustPut("a", data.NewStruct(inner).MustPut("b.c", "deep"))
	v2 := newT(t, "ExtractField$Value", map[string]string{"field": "a.`b.c`", "field.syntax.version": "v2"})
	out = apply(t, v2, valueRecord(outer, nested))
	eq(t, out.Value, "deep")
	out = apply(t, v2, valueRecord(nil, map[string]any{"a": map[string]any{"b.c": int64(4)}}))
	eq(t, out.Value, int64(4))
	configErr(t, "ExtractField$Value", map[string]string{"field": "`a.b", "field.syntax.version": "V2"}, "Incomplete backtick pair")
}

func TestHoistField(t *testing.T) {
	tr := newT(t, "HoistField$Value", map[string]string{"field": "line"})
	out := apply(t, tr, valueRecord(data.StringSchema, "hello"))
	if out.ValueSchema.Field("line").Schema() != data.StringSchema {
		t.Fatal("schema")
	}
	eq(t, get(t, out.Value, "line"), "hello")
	eq(t, apply(t, tr, valueRecord(nil, int64(1))).Value, map[string]any{"line": int64(1)})
	applyErr(t, tr, valueRecord(data.StringSchema, nil), `null used for required field: "line"`)
}

func TestSetSchemaMetadata(t *testing.T) {
	tr := newT(t, "SetSchemaMetadata$Value", map[string]string{"schema.name": "renamed", "schema.version": "42"})
	out := apply(t, tr, valueRecord(personSchema, person(1, "a")))
	if out.ValueSchema.Name() != "renamed" {
		t.Fatal(out.ValueSchema.Name())
	}
	if v, _ := out.ValueSchema.Version(); v != 42 {
		t.Fatal(v)
	}
	st := out.Value.(*data.Struct)
	if st.Schema() != out.ValueSchema {
		t.Fatal("struct must carry the updated schema")
	}
	eq(t, get(t, st, "name"), "a")
	nameOnly := newT(t, "SetSchemaMetadata$Key", map[string]string{"schema.name": "k"})
	out = apply(t, nameOnly, keyRecord(data.Int64Schema, int64(1)))
	if out.KeySchema.Name() != "k" || out.Key != int64(1) {
		t.Fatal("key variant")
	}
	applyErr(t, nameOnly, keyRecord(nil, int64(1)), "Schema required for [updating schema metadata]")
	configErr(t, "SetSchemaMetadata$Value", map[string]string{}, "Neither schema name nor version configured")
}

func TestFlatten(t *testing.T) {
	inner := data.StructBuilder().Field("x", data.Int32Schema).Field("y", data.OptionalStringSchema).MustBuild()
	mid := data.StructBuilder().Field("inner", inner).Field("z", data.BooleanSchema).MustBuild()
	top := data.StructBuilder().Name("top").Field("mid", mid).Field("arr", data.ArrayBuilder(data.Int8Schema).MustBuild()).
		Field("opt", data.StructBuilder().Field("q", data.Int64Schema).Optional().MustBuild()).MustBuild()
	v := data.NewStruct(top).
		MustPut("mid", data.NewStruct(mid).MustPut("inner", data.NewStruct(inner).MustPut("x", int32(1)).MustPut("y", "why")).MustPut("z", true)).
		MustPut("arr", []any{int8(1)})
	tr := newT(t, "Flatten$Value", map[string]string{"delimiter": "_"})
	out := apply(t, tr, valueRecord(top, v))
	want := []string{"mid_inner_x", "mid_inner_y", "mid_z", "arr", "opt_q"}
	for i, f := range out.ValueSchema.Fields() {
		if f.Name() != want[i] {
			t.Fatalf("field %d = %s, want %s", i, f.Name(), want[i])
		}
	}
	if !out.ValueSchema.Field("opt_q").Schema().Optional() {
		t.Fatal("fields under an optional struct become optional")
	}
	eq(t, get(t, out.Value, "mid_inner_x"), int32(1))
	eq(t, get(t, out.Value, "mid_inner_y"), "why")
	eq(t, get(t, out.Value, "opt_q"), nil)
	if out.ValueSchema.Name() != "top" {
		t.Fatal("schema basics must be copied")
	}

	schemaless := newT(t, "Flatten$Value", nil)
	out = apply(t, schemaless, valueRecord(nil, map[string]any{"a": map[string]any{"b": int64(1), "c": map[string]any{"d": "e"}}, "f": nil}))
	eq(t, out.Value, map[string]any{"a.b": int64(1), "a.c.d": "e", "f": nil})

	withMap := data.StructBuilder().Field("m", data.MapBuilder(data.StringSchema, data.StringSchema).MustBuild()).MustBuild()
	applyErr(t, tr, valueRecord(withMap, data.NewStruct(withMap).MustPut("m", map[string]any{})), "Flatten transformation does not support MAP")
}

func TestCast(t *testing.T) {
	schema := data.StructBuilder().Field("i8", data.Int8Schema).Field("i32", data.Int32Schema).Field("f64", data.Float64Schema).
		Field("b", data.BooleanSchema).Field("s", data.StringSchema).Field("bytes", data.BytesSchema).
		Field("ts", data.TimestampSchema).Field("opt", data.Int64Builder().Optional().Default(int64(300)).MustBuild()).MustBuild()
	v := data.NewStruct(schema).MustPut("i8", int8(8)).MustPut("i32", int32(-129)).MustPut("f64", 1e10).MustPut("b", true).
		MustPut("s", "42").MustPut("bytes", []byte("hi")).MustPut("ts", time.UnixMilli(1234).UTC())
	tr := newT(t, "Cast$Value", map[string]string{"spec": "i8:string,i32:int8,f64:int32,b:int16,s:int64,bytes:string,ts:int64,opt:int8"})
	out := apply(t, tr, valueRecord(schema, v))
	eq(t, get(t, out.Value, "i8"), "8")
	eq(t, get(t, out.Value, "i32"), int8(127)) // -129 wraps as Java's (byte)
	eq(t, get(t, out.Value, "f64"), int32(math.MaxInt32))
	eq(t, get(t, out.Value, "b"), int16(1))
	eq(t, get(t, out.Value, "s"), int64(42))
	eq(t, get(t, out.Value, "bytes"), "aGk=")
	eq(t, get(t, out.Value, "ts"), int64(1234))
	opt := out.ValueSchema.Field("opt").Schema()
	if opt.Type() != data.TypeInt8 || !opt.Optional() || opt.Default() != int8(44) {
		t.Fatalf("opt schema = %+v default %v", opt, opt.Default())
	}
	whole := newT(t, "Cast$Key", map[string]string{"spec": "int32"})
	out = apply(t, whole, keyRecord(data.Int64Schema, int64(1<<40+5)))
	if out.KeySchema.Type() != data.TypeInt32 || out.Key != int32(5) {
		t.Fatalf("whole cast = %v %v", out.KeySchema, out.Key)
	}
	out = apply(t, newT(t, "Cast$Value", map[string]string{"spec": "a:float32,b:boolean,c:string"}),
		valueRecord(nil, map[string]any{"a": "1.5", "b": "TRUE", "c": 2.5, "d": "x"}))
	eq(t, out.Value, map[string]any{"a": float32(1.5), "b": true, "c": "2.5", "d": "x"})
	applyErr(t, newT(t, "Cast$Value", map[string]string{"spec": "int8"}), valueRecord(nil, "300"), "Value (300) was out of range for requested data type")
	applyErr(t, newT(t, "Cast$Value", map[string]string{"spec": "int8"}), valueRecord(nil, []any{}), "does not support casting from ARRAY")
	configErr(t, "Cast$Value", map[string]string{"spec": "a:bytes"}, "does not support casting to BYTES")
	configErr(t, "Cast$Value", map[string]string{"spec": "a:nope"}, "Invalid type found in casting spec: nope")
	configErr(t, "Cast$Value", map[string]string{"spec": "int8,a:int16"}, "may only specify a single cast")
	configErr(t, "Cast$Value", map[string]string{"spec": ""}, "Must specify at least one field to cast.")
}

func TestTimestampConverter(t *testing.T) {
	ms := time.Date(2021, 3, 4, 5, 6, 7, 8e6, time.UTC).UnixMilli()
	tsv := time.UnixMilli(ms).UTC()
	cases := []struct {
		props  map[string]string
		schema *data.Schema
		in     any
		want   any
		wantS  *data.Schema
	}{
		{map[string]string{"target.type": "string", "format": "yyyy-MM-dd'T'HH:mm:ss.SSS"}, data.TimestampSchema, tsv, "2021-03-04T05:06:07.008", data.StringSchema},
		{map[string]string{"target.type": "unix"}, data.TimestampSchema, tsv, ms, data.Int64Schema},
		{map[string]string{"target.type": "unix", "unix.precision": "seconds"}, data.TimestampSchema, tsv, ms / 1000, data.Int64Schema},
		{map[string]string{"target.type": "Timestamp", "unix.precision": "microseconds"}, data.Int64Schema, ms * 1000, tsv, data.TimestampSchema},
		{map[string]string{"target.type": "Date"}, data.Int64Schema, ms, time.Date(2021, 3, 4, 0, 0, 0, 0, time.UTC), data.DateSchema},
		{map[string]string{"target.type": "Time"}, data.TimestampSchema, tsv, time.Date(1970, 1, 1, 5, 6, 7, 8e6, time.UTC), data.TimeSchema},
		{map[string]string{"target.type": "Timestamp", "format": "dd/MM/yyyy HH:mm"}, data.StringSchema, "04/03/2021 05:06", time.Date(2021, 3, 4, 5, 6, 0, 0, time.UTC), data.TimestampSchema},
	}
	for _, c := range cases {
		tr := newT(t, "TimestampConverter$Value", c.props)
		out := apply(t, tr, valueRecord(c.schema, c.in))
		if !out.ValueSchema.Equal(c.wantS) || !data.ValuesEqual(out.Value, c.want) {
			t.Errorf("%v: got %v %#v, want %v %#v", c.props, out.ValueSchema, out.Value, c.wantS, c.want)
		}
		// Schemaless: the type is inferred from the Go value.
		if c.schema != data.DateSchema && c.schema.Name() != data.TimeLogicalName {
			out = apply(t, tr, valueRecord(nil, c.in))
			if !data.ValuesEqual(out.Value, c.want) {
				t.Errorf("schemaless %v: got %#v, want %#v", c.props, out.Value, c.want)
			}
		}
	}
	fieldSchema := data.StructBuilder().Field("when", data.Int64Schema).Field("other", data.StringSchema).MustBuild()
	tr := newT(t, "TimestampConverter$Value", map[string]string{"field": "when", "target.type": "string", "format": "yyyyMMdd"})
	out := apply(t, tr, valueRecord(fieldSchema, data.NewStruct(fieldSchema).MustPut("when", ms).MustPut("other", "o")))
	eq(t, get(t, out.Value, "when"), "20210304")
	eq(t, get(t, out.Value, "other"), "o")
	if out.ValueSchema.Field("when").Schema() != data.StringSchema {
		t.Fatal("field schema")
	}
	out = apply(t, tr, valueRecord(nil, map[string]any{"when": ms}))
	eq(t, out.Value, map[string]any{"when": "20210304"})
	applyErr(t, newT(t, "TimestampConverter$Value", map[string]string{"target.type": "unix", "format": "yyyy"}), valueRecord(data.StringSchema, "abc"), "does not match pattern (yyyy)")
	configErr(t, "TimestampConverter$Value", map[string]string{"target.type": "string"}, "requires format option")
	configErr(t, "TimestampConverter$Value", map[string]string{"target.type": "epoch"}, "String must be one of")
	configErr(t, "TimestampConverter$Value", map[string]string{"target.type": "string", "format": "yyyy-ww"}, "unsupported pattern character 'w'")
}

func TestRouters(t *testing.T) {
	rr := newT(t, "RegexRouter", map[string]string{"regex": "(.*)-(\\d+)", "replacement": "$2_$1\\$"})
	eq(t, apply(t, rr, NewRecord("orders-12", 0, nil, nil, nil, nil, 0, nil)).Topic, "12_orders$")
	r := NewRecord("nomatch", 0, nil, nil, nil, nil, 0, nil)
	if apply(t, rr, r) != r {
		t.Fatal("non-matching topic must pass through")
	}
	partial := newT(t, "RegexRouter", map[string]string{"regex": "foo", "replacement": "bar"})
	eq(t, apply(t, partial, NewRecord("foobar", 0, nil, nil, nil, nil, 0, nil)).Topic, "foobar") // matches() is whole-string
	configErr(t, "RegexRouter", map[string]string{"regex": "(?<=a)b", "replacement": "x"}, "Invalid regex")
	configErr(t, "RegexRouter", map[string]string{"regex": "(a)", "replacement": "$2"}, "No group 2")

	tr := newT(t, "TimestampRouter", map[string]string{})
	ts := time.Date(2017, 1, 2, 23, 0, 0, 0, time.UTC).UnixMilli()
	eq(t, apply(t, tr, NewRecord("test", 0, nil, nil, nil, nil, ts, nil)).Topic, "test-20170102")
	custom := newT(t, "TimestampRouter", map[string]string{"topic.format": "${timestamp}/${topic}", "timestamp.format": "yyyy-MM"})
	eq(t, apply(t, custom, NewRecord("t", 0, nil, nil, nil, nil, ts, nil)).Topic, "2017-01/t")
	applyErr(t, tr, NewRecord("t", 0, nil, nil, nil, nil, NoTimestamp, nil), "Timestamp missing on record")
}

func TestHeaderTransforms(t *testing.T) {
	var h data.Headers
	h.AddString("keep", "1")
	h.AddString("drop", "2")
	h.AddString("drop", "3")
	r := NewRecord("t", 0, nil, nil, nil, nil, 0, h)
	out := apply(t, newT(t, "DropHeaders", map[string]string{"headers": "drop,other"}), r)
	if len(out.Headers) != 1 || out.Headers[0].Key != "keep" || len(r.Headers) != 3 {
		t.Fatalf("DropHeaders = %v (input %v)", out.Headers, r.Headers)
	}
	ins := newT(t, "InsertHeader", map[string]string{"header": "n", "value.literal": "42"})
	out = apply(t, ins, r)
	if last, _ := out.Headers.Last("n"); last.Value.Schema != data.Int8Schema || last.Value.Value != int8(42) || len(r.Headers) != 3 {
		t.Fatalf("InsertHeader = %v", out.Headers)
	}

	hf := newT(t, "HeaderFrom$Value", map[string]string{"fields": "name,age", "headers": "h_name,h_age", "operation": "move"})
	out = apply(t, hf, valueRecord(personSchema, person(1, "ann")))
	if out.ValueSchema.Field("name") != nil || out.ValueSchema.Field("age") != nil || len(out.ValueSchema.Fields()) != 2 {
		t.Fatalf("moved fields must leave the schema: %v", out.ValueSchema.Fields())
	}
	if hn, _ := out.Headers.Last("h_name"); hn.Value.Value != "ann" || hn.Value.Schema != data.OptionalStringSchema {
		t.Fatalf("h_name = %+v", hn)
	}
	if ha, _ := out.Headers.Last("h_age"); ha.Value.Value != int32(18) {
		t.Fatalf("h_age = %+v", ha)
	}
	cp := newT(t, "HeaderFrom$Value", map[string]string{"fields": "a", "headers": "ha", "operation": "copy"})
	out = apply(t, cp, valueRecord(nil, map[string]any{"a": int64(1)}))
	eq(t, out.Value, map[string]any{"a": int64(1)})
	if ha, _ := out.Headers.Last("ha"); ha.Value.Value != int64(1) || ha.Value.Schema != nil {
		t.Fatalf("ha = %+v", ha)
	}
	configErr(t, "HeaderFrom$Value", map[string]string{"fields": "a,b", "headers": "x", "operation": "copy"}, "'fields' config must have the same number of elements as 'headers' config.")
	configErr(t, "HeaderFrom$Value", map[string]string{"fields": "a", "headers": "x", "operation": "swap"}, "String must be one of: move, copy")
}

func TestPredicates(t *testing.T) {
	p, _ := reg.NewPredicate("TopicNameMatches")
	if err := p.Configure(map[string]string{"pattern": "foo.*"}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := p.Test(NewRecord("foobar", 0, nil, nil, nil, nil, 0, nil)); !ok {
		t.Fatal("foobar should match")
	}
	if ok, _ := p.Test(NewRecord("xfoo", 0, nil, nil, nil, nil, 0, nil)); ok {
		t.Fatal("xfoo should not match (whole-string)")
	}
	if err := p.Configure(map[string]string{"pattern": ""}); err == nil {
		t.Fatal("empty pattern must fail")
	}
	h, _ := reg.NewPredicate("HasHeaderKey")
	if err := h.Configure(map[string]string{"name": "x"}); err != nil {
		t.Fatal(err)
	}
	var hs data.Headers
	hs.AddString("x", "1")
	if ok, _ := h.Test(NewRecord("t", 0, nil, nil, nil, nil, 0, hs)); !ok {
		t.Fatal("header present")
	}
	if ok, _ := h.Test(NewRecord("t", 0, nil, nil, nil, nil, 0, nil)); ok {
		t.Fatal("header absent")
	}
	ts, _ := reg.NewPredicate("org.apache.kafka.connect.transforms.predicates.RecordIsTombstone")
	if ok, _ := ts.Test(valueRecord(nil, nil)); !ok {
		t.Fatal("tombstone")
	}
	if ok, _ := ts.Test(valueRecord(nil, "x")); ok {
		t.Fatal("not a tombstone")
	}
}

func TestSchemaCacheUsesEquality(t *testing.T) {
	tr := newT(t, "HoistField$Value", map[string]string{"field": "f"})
	a := apply(t, tr, valueRecord(data.Int32Builder().Name("n").MustBuild(), int32(1)))
	b := apply(t, tr, valueRecord(data.Int32Builder().Name("n").MustBuild(), int32(2)))
	if a.ValueSchema != b.ValueSchema {
		t.Fatal("equal input schemas must map to the same derived schema")
	}
	c := apply(t, tr, valueRecord(data.Int32Builder().Name("other").MustBuild(), int32(2)))
	if c.ValueSchema == a.ValueSchema {
		t.Fatal("different input schemas must not share a derived schema")
	}
}
