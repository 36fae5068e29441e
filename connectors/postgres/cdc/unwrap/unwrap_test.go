package unwrap

import (
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/connect/data"
	"github.com/runnel-dev/runnel/connect/transforms"
)

var (
	keySchema   = data.StructBuilder().Name("srv.public.t.Key").Field("id", data.Int32Schema).MustBuild()
	valueSchema = data.StructBuilder().Name("srv.public.t.Value").Optional().
			Field("id", data.Int32Schema).
			Field("name", data.OptionalStringSchema).
			Field("dest", data.OptionalStringSchema).
			MustBuild()
	sourceSchema = data.StructBuilder().Name("io.debezium.connector.postgresql.Source").
			Field("ts_ms", data.Int64Schema).
			Field("snapshot", data.StringBuilder().Name("io.debezium.data.Enum").Version(1).Parameter("allowed", "true,last,false").Optional().Default("false").MustBuild()).
			Field("table", data.StringSchema).
			Field("lsn", data.OptionalInt64Schema).
			MustBuild()
	txSchema  = data.StructBuilder().Name("event.block").Optional().Field("id", data.StringSchema).MustBuild()
	envSchema = data.StructBuilder().Name("srv.public.t.Envelope").Version(2).
			Field("before", valueSchema).Field("after", valueSchema).Field("source", sourceSchema).
			Field("transaction", txSchema).Field("op", data.StringSchema).Field("ts_ms", data.OptionalInt64Schema).
			MustBuild()
)

func row(id int32, name string) *data.Struct {
	return data.NewStruct(valueSchema).MustPut("id", id).MustPut("name", name).MustPut("dest", "routed")
}

func event(op string, before, after *data.Struct) *transforms.Record {
	src := data.NewStruct(sourceSchema).MustPut("ts_ms", int64(1000)).MustPut("table", "t").MustPut("lsn", int64(42))
	env := data.NewStruct(envSchema).MustPut("source", src).MustPut("op", op).MustPut("ts_ms", int64(2000))
	if before != nil {
		env.MustPut("before", before)
	}
	if after != nil {
		env.MustPut("after", after)
	}
	id := int32(0)
	if after != nil {
		id = after.GetField(valueSchema.Field("id")).(int32)
	} else if before != nil {
		id = before.GetField(valueSchema.Field("id")).(int32)
	}
	key := data.NewStruct(keySchema).MustPut("id", id)
	return transforms.NewRecord("srv.public.t", 0, keySchema, key, envSchema, env, 5, nil)
}

func tombstone(id int32) *transforms.Record {
	return transforms.NewRecord("srv.public.t", 0, keySchema, data.NewStruct(keySchema).MustPut("id", id), nil, nil, 5, nil)
}

func configured(t *testing.T, props map[string]string) *ExtractNewRecordState {
	t.Helper()
	x := New()
	if err := x.Configure(props); err != nil {
		t.Fatalf("Configure(%v): %v", props, err)
	}
	return x
}

func apply(t *testing.T, x *ExtractNewRecordState, r *transforms.Record) *transforms.Record {
	t.Helper()
	out, err := x.Apply(r)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return out
}

func get(t *testing.T, v any, name string) any {
	t.Helper()
	s, ok := v.(*data.Struct)
	if !ok {
		t.Fatalf("%T is not a struct", v)
	}
	x, err := s.GetWithoutDefault(name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestCreateAndUpdateBecomeTheRowAfter(t *testing.T) {
	x := configured(t, nil)
	in := event("c", nil, row(1, "a"))
	out := apply(t, x, in)
	if out.ValueSchema != valueSchema || get(t, out.Value, "name") != "a" {
		t.Fatalf("create: %+v", out)
	}
	if out.Key != in.Key || out.Topic != in.Topic || out.Timestamp != 5 {
		t.Errorf("key, topic and timestamp must be kept: %+v", out)
	}
	out = apply(t, x, event("u", row(1, "a"), row(1, "b")))
	if get(t, out.Value, "name") != "b" {
		t.Errorf("update: %v", out.Value)
	}
	// Truncates carry no row: dropped.
	if out := apply(t, x, event("t", nil, nil)); out != nil {
		t.Errorf("truncate: %+v", out)
	}
	// Records that are not change events pass unchanged.
	hb := transforms.NewRecord("__debezium-heartbeat.srv", 0, nil, nil, data.StringSchema, "beat", 5, nil)
	if out := apply(t, x, hb); out != hb {
		t.Errorf("heartbeat changed: %+v", out)
	}
}

func TestLegacyDeleteHandling(t *testing.T) {
	// Defaults (Debezium 2: drop.tombstones=true, delete.handling.mode=drop).
	x := configured(t, nil)
	if out := apply(t, x, event("d", row(1, "a"), nil)); out != nil {
		t.Errorf("delete with defaults: %+v", out)
	}
	if out := apply(t, x, tombstone(1)); out != nil {
		t.Errorf("tombstone with defaults: %+v", out)
	}
	// none: the delete becomes a null value (with the row schema), which
	// JDBC sinks treat as a delete; tombstones kept when asked.
	x = configured(t, map[string]string{"delete.handling.mode": "none", "drop.tombstones": "false"})
	out := apply(t, x, event("d", row(1, "a"), nil))
	if out == nil || out.Value != nil || out.ValueSchema != valueSchema || get(t, out.Key, "id") != int32(1) {
		t.Errorf("delete with none: %+v", out)
	}
	if out := apply(t, x, tombstone(1)); out == nil || out.Value != nil {
		t.Errorf("tombstone kept: %+v", out)
	}
	// rewrite: the row before, flagged.
	x = configured(t, map[string]string{"delete.handling.mode": "rewrite"})
	out = apply(t, x, event("d", row(1, "a"), nil))
	if get(t, out.Value, "name") != "a" || get(t, out.Value, "__deleted") != "true" {
		t.Errorf("rewritten delete: %v", out.Value)
	}
	if out.ValueSchema.Name() != "srv.public.t.Value" || out.ValueSchema.Field("__deleted").Schema() != data.OptionalStringSchema {
		t.Errorf("rewritten schema: %v", out.ValueSchema.Fields())
	}
	if out := apply(t, x, event("c", nil, row(2, "b"))); get(t, out.Value, "__deleted") != "false" {
		t.Errorf("create in rewrite mode: %v", out.Value)
	}
}

func TestDeleteTombstoneHandlingModes(t *testing.T) {
	del := func() *transforms.Record { return event("d", row(1, "a"), nil) }
	cases := []struct {
		mode       string
		delete     func(*transforms.Record) bool
		keepsTomb  bool
		createFlag any
	}{
		{"drop", func(r *transforms.Record) bool { return r == nil }, false, nil},
		{"tombstone", func(r *transforms.Record) bool { return r != nil && r.Value == nil && r.ValueSchema == valueSchema }, false, nil},
		{"delete-to-tombstone", func(r *transforms.Record) bool { return r != nil && r.Value == nil && r.ValueSchema == nil }, false, nil},
		{"rewrite", func(r *transforms.Record) bool {
			return r != nil && r.Value != nil && get(t, r.Value, "__deleted") == "true"
		}, false, "false"},
		{"rewrite-with-tombstone", func(r *transforms.Record) bool { return r != nil && get(t, r.Value, "__deleted") == "true" }, true, "false"},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			// The new key wins over the legacy ones.
			x := configured(t, map[string]string{"delete.tombstone.handling.mode": tc.mode, "delete.handling.mode": "none", "drop.tombstones": "false"})
			if out := apply(t, x, del()); !tc.delete(out) {
				t.Errorf("delete became %+v", out)
			}
			if out := apply(t, x, tombstone(1)); (out != nil) != tc.keepsTomb {
				t.Errorf("tombstone became %+v", out)
			}
			out := apply(t, x, event("c", nil, row(2, "b")))
			var flag any
			if out.ValueSchema.Field("__deleted") != nil {
				flag = get(t, out.Value, "__deleted")
			}
			if flag != tc.createFlag {
				t.Errorf("create __deleted = %v, want %v", flag, tc.createFlag)
			}
		})
	}
}

func TestAddFieldsAndHeaders(t *testing.T) {
	x := configured(t, map[string]string{
		"add.fields":                     "op,table,lsn,source.ts_ms,ts_ms:event_ms,id,missing",
		"add.headers":                    "op,source.ts_ms",
		"delete.tombstone.handling.mode": "rewrite-with-tombstone",
	})
	out := apply(t, x, event("u", nil, row(1, "a")))
	want := map[string]any{"id": int32(1), "name": "a", "__deleted": "false", "__op": "u", "__table": "t", "__lsn": int64(42),
		"__source_ts_ms": int64(1000), "__event_ms": int64(2000), "__id": nil}
	for k, v := range want {
		if got := get(t, out.Value, k); got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	if out.ValueSchema.Field("__missing") != nil {
		t.Errorf("a field the envelope lacks must not be added")
	}
	names := []string{}
	for _, f := range out.ValueSchema.Fields() {
		names = append(names, f.Name())
	}
	if got := strings.Join(names, ","); got != "id,name,dest,__deleted,__op,__table,__lsn,__source_ts_ms,__event_ms,__id" {
		t.Errorf("field order %s", got)
	}
	if s := out.ValueSchema.Field("__op").Schema(); !s.Optional() || s.Type() != data.TypeString {
		t.Errorf("__op schema %v", s)
	}
	if h, ok := out.Headers.Last("__op"); !ok || h.Value.Value != "u" {
		t.Errorf("__op header: %v", out.Headers)
	}
	if h, ok := out.Headers.Last("__source_ts_ms"); !ok || h.Value.Value != int64(1000) {
		t.Errorf("__source_ts_ms header: %v", out.Headers)
	}
	// A tombstone only gets the op header, "d".
	tomb := apply(t, x, tombstone(1))
	if h, ok := tomb.Headers.Last("__op"); !ok || h.Value.Value != "d" || tomb.Headers.Has("__source_ts_ms") {
		t.Errorf("tombstone headers: %v", tomb.Headers)
	}
	// The input record's headers are untouched.
	in := event("c", nil, row(3, "c"))
	apply(t, x, in)
	if len(in.Headers) != 0 {
		t.Errorf("input headers changed: %v", in.Headers)
	}
}

func TestRouteByField(t *testing.T) {
	x := configured(t, map[string]string{"route.by.field": "dest", "delete.handling.mode": "rewrite"})
	if out := apply(t, x, event("c", nil, row(1, "a"))); out.Topic != "routed" {
		t.Errorf("topic = %q", out.Topic)
	}
	if out := apply(t, x, event("d", row(1, "a"), nil)); out.Topic != "routed" {
		t.Errorf("delete topic = %q", out.Topic)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, props := range []map[string]string{
		{"delete.tombstone.handling.mode": "explode"},
		{"delete.handling.mode": "keep"},
		{"drop.tombstones": "maybe"},
		{"drop.fields.header.name": "h"},
		{"add.fields": "a:b:c"},
	} {
		if err := New().Configure(props); err == nil {
			t.Errorf("Configure(%v) accepted", props)
		}
	}
}

func TestRegistersWithTheTransformRegistry(t *testing.T) {
	r := transforms.NewRegistry()
	Register(r)
	for _, name := range []string{Class, "ExtractNewRecordState"} {
		x, err := r.NewTransformation(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, ok := x.(*ExtractNewRecordState); !ok {
			t.Fatalf("%s resolved to %T", name, x)
		}
	}
}
