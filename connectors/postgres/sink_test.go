package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/convert"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/runnel-dev/runnel/internal/pgtest"
)

var allTypesSchema = data.StructBuilder().Name("all").
	Field("id", data.Int64Schema).
	Field("i8", data.Int8Schema).
	Field("i16", data.Int16Schema).
	Field("i32", data.OptionalInt32Schema).
	Field("f32", data.Float32Schema).
	Field("f64", data.Float64Schema).
	Field("b", data.BooleanSchema).
	Field("s", data.OptionalStringSchema).
	Field("raw", data.OptionalBytesSchema).
	Field("amount", data.DecimalSchema(2)).
	Field("day", data.DateSchema).
	Field("at", data.TimeSchema).
	Field("ts", data.TimestampSchema).
	Field("tags", data.ArrayBuilder(data.StringSchema).Optional().MustBuild()).
	MustBuild()

func allTypesRecord(off int64) connect.SinkRecord {
	day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	st := data.NewStruct(allTypesSchema).
		MustPut("id", off).MustPut("i8", int8(-8)).MustPut("i16", int16(1600)).
		MustPut("f32", float32(1.5)).MustPut("f64", 2.25).MustPut("b", true).
		MustPut("amount", data.NewDecimalFromInt64(12345+off, 2)).
		MustPut("day", day).
		MustPut("at", time.UnixMilli(13*3600*1000+5*60*1000+7123).UTC()).
		MustPut("ts", time.Date(2024, 3, 1, 10, 20, 30, 456e6, time.UTC))
	if off%2 == 0 {
		st.MustPut("i32", int32(off*10)).MustPut("s", fmt.Sprintf("row %d", off)).MustPut("raw", []byte{0, 1, byte(off)}).
			MustPut("tags", []any{"a", "b"})
	}
	return connect.SinkRecord{Topic: "all_types", Partition: 0, Offset: off, ValueSchema: allTypesSchema, Value: st}
}

// TestSinkInsertCopyAutoCreate writes every Connect type through the COPY
// path into a table auto.create made with Confluent's type mapping.
func TestSinkInsertCopyAutoCreate(t *testing.T) {
	db := pgtest.New(t)
	task := startSink(t, &sinkCtx{}, sinkProps(db, "auto.create", "true"))
	var recs []connect.SinkRecord
	for i := range int64(500) {
		recs = append(recs, allTypesRecord(i))
	}
	put(t, task, recs...)

	types := queryRows(t, db, `SELECT column_name, data_type, is_nullable FROM information_schema.columns
		WHERE table_name = 'all_types' ORDER BY ordinal_position`)
	want := []string{
		"id bigint NO", "i8 smallint NO", "i16 smallint NO", "i32 integer YES", "f32 real NO",
		"f64 double precision NO", "b boolean NO", "s text YES", "raw bytea YES", "amount numeric NO",
		"day date NO", "at time without time zone NO", "ts timestamp without time zone NO", "tags ARRAY YES",
	}
	if len(types) != len(want) {
		t.Fatalf("columns = %v", types)
	}
	for i, r := range types {
		if got := fmt.Sprintf("%v %v %v", r[0], r[1], r[2]); got != want[i] {
			t.Errorf("column %d = %q, want %q", i, got, want[i])
		}
	}
	if n := count(t, db, "all_types"); n != 500 {
		t.Fatalf("rows = %d, want 500", n)
	}
	got := queryRows(t, db, `SELECT i8, i16, i32, f32, f64, b, s, encode(raw, 'hex'), amount::text, day::text, at::text, ts::text, array_to_string(tags, ',')
		FROM all_types WHERE id = 42`)
	wantRow := "[-8 1600 420 1.5 2.25 true row 42 00012a 123.87 2024-02-29 13:05:07.123 2024-03-01 10:20:30.456 a,b]"
	if fmt.Sprint(got[0]) != wantRow {
		t.Fatalf("row 42 = %v\nwant     %s", got[0], wantRow)
	}
	odd := queryRows(t, db, `SELECT i32, s, raw, tags FROM all_types WHERE id = 7`)
	if fmt.Sprint(odd[0]) != "[<nil> <nil> <nil> <nil>]" {
		t.Fatalf("nulls = %v", odd[0])
	}
}

// TestSinkDBTimezone writes timestamps as wall clock in db.timezone.
func TestSinkDBTimezone(t *testing.T) {
	db := pgtest.New(t)
	task := startSink(t, &sinkCtx{}, sinkProps(db, "auto.create", "true", "db.timezone", "Asia/Tokyo"))
	s := data.StructBuilder().Field("ts", data.TimestampSchema).MustBuild()
	put(t, task, connect.SinkRecord{Topic: "tz", ValueSchema: s,
		Value: data.NewStruct(s).MustPut("ts", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))})
	got := queryRows(t, db, `SELECT ts::text FROM tz`)
	if got[0][0] != "2024-01-01 09:00:00" {
		t.Fatalf("ts = %v, want Tokyo wall clock 2024-01-01 09:00:00", got[0][0])
	}
}

var userKey = data.StructBuilder().Name("key").Field("id", data.Int32Schema).MustBuild()
var userValue = data.StructBuilder().Name("user").
	Field("id", data.Int32Schema).
	Field("name", data.StringSchema).
	Field("score", data.OptionalFloat64Schema).
	MustBuild()

func userRec(off int64, id int32, name string) connect.SinkRecord {
	return connect.SinkRecord{Topic: "users", Partition: 0, Offset: off,
		KeySchema: userKey, Key: data.NewStruct(userKey).MustPut("id", id),
		ValueSchema: userValue, Value: data.NewStruct(userValue).MustPut("id", id).MustPut("name", name).MustPut("score", float64(off))}
}

func tombstone(off int64, id int32) connect.SinkRecord {
	return connect.SinkRecord{Topic: "users", Partition: 0, Offset: off,
		KeySchema: userKey, Key: data.NewStruct(userKey).MustPut("id", id), ValueSchema: userValue}
}

func usersTable(t *testing.T, db *pgtest.DB) map[int32]string {
	t.Helper()
	out := map[int32]string{}
	for _, r := range queryRows(t, db, `SELECT id, name FROM users ORDER BY id`) {
		out[r[0].(int32)] = r[1].(string)
	}
	return out
}

// TestSinkUpsertRedelivery: redelivering a batch after a crash (the same
// records again, overlapping the next batch) leaves the table as if each
// record was written once; duplicate keys within a batch keep the last.
func TestSinkUpsertRedelivery(t *testing.T) {
	for _, n := range []int{10, 2000} { // multi-row VALUES and unnest(arrays) paths
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			db := pgtest.New(t)
			props := sinkProps(db, "auto.create", "true", "insert.mode", "upsert", "pk.mode", "record_key")
			task := startSink(t, &sinkCtx{}, props)
			var batch1, batch2 []connect.SinkRecord
			for i := range n {
				batch1 = append(batch1, userRec(int64(i), int32(i%(n/2)), fmt.Sprintf("v1-%d", i)))
			}
			for i := n; i < 2*n; i++ {
				batch2 = append(batch2, userRec(int64(i), int32(i%n), fmt.Sprintf("v2-%d", i)))
			}
			put(t, task, batch1...)
			// Crash before the offsets were committed: a new task gets
			// batch1 again, then batch2.
			_ = task.Stop()
			task = startSink(t, &sinkCtx{}, props)
			put(t, task, batch1...)
			put(t, task, append(batch1[n/2:], batch2...)...)
			got := usersTable(t, db)
			if len(got) != n {
				t.Fatalf("rows = %d, want %d", len(got), n)
			}
			for id, name := range got {
				if want := fmt.Sprintf("v2-%d", int(id)+n); name != want {
					t.Fatalf("id %d = %q, want %q", id, name, want)
				}
			}
		})
	}
}

// TestSinkDeleteOnTombstone in upsert and insert mode: a tombstone deletes
// the row and a later record with the same key brings it back, in order.
func TestSinkDeleteOnTombstone(t *testing.T) {
	for _, mode := range []string{"upsert", "insert"} {
		t.Run(mode, func(t *testing.T) {
			db := pgtest.New(t)
			task := startSink(t, &sinkCtx{}, sinkProps(db, "auto.create", "true", "insert.mode", mode,
				"pk.mode", "record_key", "delete.enabled", "true"))
			put(t, task, tombstone(0, 99)) // no table yet: nothing to delete
			put(t, task, userRec(1, 1, "a"), userRec(2, 2, "b"), userRec(3, 3, "c"))
			put(t, task, tombstone(4, 1), tombstone(5, 2), userRec(6, 2, "b again"), tombstone(7, 3), tombstone(8, 42))
			got := usersTable(t, db)
			if fmt.Sprint(got) != "map[2:b again]" {
				t.Fatalf("table = %v", got)
			}
		})
	}
}

// TestSinkUpdateMode updates existing rows and ignores unknown keys.
func TestSinkUpdateMode(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, score float8)`)
	db.Exec(t, `INSERT INTO users VALUES (1, 'one', 0), (2, 'two', 0)`)
	task := startSink(t, &sinkCtx{}, sinkProps(db, "insert.mode", "update", "pk.mode", "record_value", "pk.fields", "id"))
	put(t, task, userRec(0, 1, "uno"), userRec(1, 3, "tres"), userRec(2, 1, "eins"))
	if got := fmt.Sprint(usersTable(t, db)); got != "map[1:eins 2:two]" {
		t.Fatalf("table = %s", got)
	}
}

// TestSinkAutoEvolve adds a column for a new optional field and reports
// records whose new field is required and has no default.
func TestSinkAutoEvolve(t *testing.T) {
	db := pgtest.New(t)
	rep := &reporter{}
	task := startSink(t, &sinkCtx{reporter: rep}, sinkProps(db, "auto.create", "true", "auto.evolve", "true",
		"insert.mode", "upsert", "pk.mode", "record_key"))
	put(t, task, userRec(0, 1, "a"))
	v2 := data.StructBuilder().Name("user").
		Field("id", data.Int32Schema).Field("name", data.StringSchema).Field("score", data.OptionalFloat64Schema).
		Field("email", data.OptionalStringSchema).
		Field("level", data.Int32Builder().Default(int32(7)).MustBuild()).
		MustBuild()
	rec := connect.SinkRecord{Topic: "users", Offset: 1, KeySchema: userKey, Key: data.NewStruct(userKey).MustPut("id", int32(2)),
		ValueSchema: v2, Value: data.NewStruct(v2).MustPut("id", int32(2)).MustPut("name", "b").MustPut("email", "b@example.com")}
	put(t, task, rec)
	got := queryRows(t, db, `SELECT id, name, email, level FROM users ORDER BY id`)
	if fmt.Sprint(got) != "[[1 a <nil> 7] [2 b b@example.com 7]]" {
		t.Fatalf("rows = %v", got)
	}
	v3 := data.StructBuilder().Name("user").Field("id", data.Int32Schema).Field("name", data.StringSchema).
		Field("required", data.StringSchema).MustBuild()
	bad := connect.SinkRecord{Topic: "users", Offset: 2, KeySchema: userKey, Key: data.NewStruct(userKey).MustPut("id", int32(3)),
		ValueSchema: v3, Value: data.NewStruct(v3).MustPut("id", int32(3)).MustPut("name", "c").MustPut("required", "x")}
	put(t, task, bad, userRec(3, 4, "d"))
	if fmt.Sprint(rep.offsets()) != "[2]" || !strings.Contains(rep.errs[0].Error(), "not optional and does not have a default value") {
		t.Fatalf("reported %v %v", rep.offsets(), rep.errs)
	}
	if n := count(t, db, "users"); n != 3 {
		t.Fatalf("rows = %d, want 3", n)
	}
}

// TestSinkNoAutoEvolve reports records with fields the table lacks.
func TestSinkNoAutoEvolve(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE users (id int PRIMARY KEY, name text)`)
	task := startSink(t, &sinkCtx{}, sinkProps(db))
	err := task.Put(context.Background(), []connect.SinkRecord{userRec(5, 1, "a")})
	if err == nil || !strings.Contains(err.Error(), "missing fields (score) and auto-evolution is disabled") ||
		!strings.Contains(err.Error(), "users-0@5") {
		t.Fatalf("err = %v", err)
	}
}

// TestSinkPKModes covers kafka, record_value and a primitive record_key.
func TestSinkPKModes(t *testing.T) {
	db := pgtest.New(t)
	t.Run("kafka", func(t *testing.T) {
		task := startSink(t, &sinkCtx{}, sinkProps(db, "auto.create", "true", "insert.mode", "upsert", "pk.mode", "kafka",
			"table.name.format", "kafka_${topic}"))
		put(t, task, userRec(10, 1, "a"), userRec(11, 1, "b"))
		put(t, task, userRec(11, 1, "b"))
		got := queryRows(t, db, `SELECT __connect_topic, __connect_partition, __connect_offset, id, name FROM kafka_users ORDER BY 3`)
		if fmt.Sprint(got) != "[[users 0 10 1 a] [users 0 11 1 b]]" {
			t.Fatalf("rows = %v", got)
		}
		pk := queryRows(t, db, `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
			WHERE i.indrelid = 'kafka_users'::regclass AND i.indisprimary ORDER BY 1`)
		if fmt.Sprint(pk) != "[[__connect_offset] [__connect_partition] [__connect_topic]]" {
			t.Fatalf("primary key = %v", pk)
		}
	})
	t.Run("record_value", func(t *testing.T) {
		task := startSink(t, &sinkCtx{}, sinkProps(db, "auto.create", "true", "insert.mode", "upsert", "pk.mode", "record_value",
			"pk.fields", "name", "table.name.format", "by_name"))
		put(t, task, userRec(1, 1, "a"), userRec(2, 2, "a"), userRec(3, 3, "b"))
		if got := queryRows(t, db, `SELECT name, id FROM by_name ORDER BY 1`); fmt.Sprint(got) != "[[a 2] [b 3]]" {
			t.Fatalf("rows = %v", got)
		}
	})
	t.Run("primitive record_key", func(t *testing.T) {
		task := startSink(t, &sinkCtx{}, sinkProps(db, "auto.create", "true", "insert.mode", "upsert", "pk.mode", "record_key",
			"pk.fields", "user_key", "table.name.format", "by_key", "fields.whitelist", "name"))
		rec := func(off int64, k, name string) connect.SinkRecord {
			return connect.SinkRecord{Topic: "t", Offset: off, KeySchema: data.StringSchema, Key: k,
				ValueSchema: userValue, Value: data.NewStruct(userValue).MustPut("id", int32(off)).MustPut("name", name)}
		}
		put(t, task, rec(1, "k1", "a"), rec(2, "k2", "b"), rec(3, "k1", "c"))
		if got := queryRows(t, db, `SELECT user_key, name, (SELECT count(*) FROM information_schema.columns WHERE table_name = 'by_key') FROM by_key ORDER BY 1`); fmt.Sprint(got) != "[[k1 c 2] [k2 b 2]]" {
			t.Fatalf("rows = %v (fields.whitelist keeps only name)", got)
		}
	})
}

// TestSinkSchemaless writes JSON objects without schemas, into an
// auto-created table and into an existing one with typed columns.
func TestSinkSchemaless(t *testing.T) {
	db := pgtest.New(t)
	task := startSink(t, &sinkCtx{}, sinkProps(db, "auto.create", "true", "auto.evolve", "true",
		"insert.mode", "upsert", "pk.mode", "record_key"))
	rec := func(off int64, key map[string]any, val map[string]any) connect.SinkRecord {
		return connect.SinkRecord{Topic: "events", Offset: off, Key: key, Value: val}
	}
	put(t, task,
		rec(0, map[string]any{"id": int64(1)}, map[string]any{"id": int64(1), "kind": "click", "n": 2.5, "meta": map[string]any{"x": int64(1)}}),
		rec(1, map[string]any{"id": int64(2)}, map[string]any{"id": int64(2), "kind": "view"}),
		rec(2, map[string]any{"id": int64(1)}, map[string]any{"id": int64(1), "kind": "click2", "n": 3.0, "extra": true}))
	// An upsert sets the entries a JSON object has and leaves the others.
	got := queryRows(t, db, `SELECT id, kind, n, meta::text, extra FROM events ORDER BY id`)
	if fmt.Sprint(got) != `[[1 click2 3 {"x": 1} true] [2 view <nil> <nil> <nil>]]` {
		t.Fatalf("rows = %v", got)
	}

	db.Exec(t, `CREATE TABLE typed (id int PRIMARY KEY, at timestamptz, day date, amount numeric(10,2), doc jsonb)`)
	task2 := startSink(t, &sinkCtx{}, sinkProps(db, "insert.mode", "upsert", "pk.mode", "record_value", "pk.fields", "id",
		"table.name.format", "typed"))
	put(t, task2, connect.SinkRecord{Topic: "x", Value: map[string]any{"id": int64(1), "at": "2024-05-06T07:08:09Z",
		"day": "2024-05-06", "amount": 12.5, "doc": map[string]any{"a": []any{int64(1), "two"}}}})
	got = queryRows(t, db, `SELECT id, at = '2024-05-06T07:08:09Z'::timestamptz, day::text, amount::text, doc::text FROM typed`)
	if fmt.Sprint(got) != `[[1 true 2024-05-06 12.50 {"a": [1, "two"]}]]` {
		t.Fatalf("rows = %v", got)
	}
}

// TestSinkJSONEnvelope converts JsonConverter envelopes as a worker would.
func TestSinkJSONEnvelope(t *testing.T) {
	db := pgtest.New(t)
	conv := convert.NewJSONConverter()
	if err := conv.Configure(map[string]string{}, false); err != nil {
		t.Fatal(err)
	}
	msg := `{"schema":{"type":"struct","name":"order","fields":[
		{"field":"id","type":"int64"},
		{"field":"total","type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},
		{"field":"placed","type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},
		{"field":"note","type":"string","optional":true}]},
		"payload":{"id":7,"total":"MDk=","placed":1700000000000,"note":null}}`
	sv, err := conv.ToConnectData("orders", nil, []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	task := startSink(t, &sinkCtx{}, sinkProps(db, "auto.create", "true"))
	put(t, task, connect.SinkRecord{Topic: "orders", ValueSchema: sv.Schema, Value: sv.Value})
	got := queryRows(t, db, `SELECT id, total::text, placed::text, note FROM orders`)
	if fmt.Sprint(got) != "[[7 123.45 2023-11-14 22:13:20 <nil>]]" {
		t.Fatalf("rows = %v", got)
	}
}

// TestSinkBadRecordReported: a record the table rejects goes to the
// errant record reporter and the rest of the batch is written; without a
// reporter, Put fails naming the record and writes nothing.
func TestSinkBadRecordReported(t *testing.T) {
	for _, mode := range []string{"insert", "upsert"} {
		t.Run(mode, func(t *testing.T) {
			db := pgtest.New(t)
			db.Exec(t, `CREATE TABLE users (id int PRIMARY KEY, name varchar(5) NOT NULL, score float8 CHECK (score < 1000))`)
			props := sinkProps(db, "insert.mode", mode, "pk.mode", "record_key")
			rep := &reporter{}
			task := startSink(t, &sinkCtx{reporter: rep}, props)
			var recs []connect.SinkRecord
			for i := range 300 {
				r := userRec(int64(i), int32(i), "ok")
				switch i {
				case 17:
					r = userRec(int64(i), int32(i), "much too long")
				case 250: // score = offset: violates the CHECK
				}
				if i == 250 {
					r.Value.(*data.Struct).MustPut("score", 1500.0)
				}
				recs = append(recs, r)
			}
			nullName := userRec(300, 300, "x")
			nullName.Value = data.NewStruct(userValue).MustPut("id", int32(300))
			recs = append(recs, nullName)
			put(t, task, recs...)
			if got := fmt.Sprint(rep.offsets()); got != "[300 17 250]" {
				t.Fatalf("reported offsets %.300s, first errors %.500v", got, rep.errs)
			}
			if n := count(t, db, "users"); n != 298 {
				t.Fatalf("rows = %d, want 298", n)
			}

			db2 := pgtest.New(t)
			db2.Exec(t, `CREATE TABLE users (id int PRIMARY KEY, name varchar(5) NOT NULL, score float8)`)
			strict := startSink(t, &sinkCtx{}, sinkProps(db2, "insert.mode", mode, "pk.mode", "record_key"))
			err := strict.Put(context.Background(), []connect.SinkRecord{userRec(0, 0, "ok"), userRec(1, 1, "much too long")})
			var re *recordError
			if !errors.As(err, &re) || re.rec.Offset != 1 || !strings.Contains(err.Error(), "users-0@1") {
				t.Fatalf("err = %v, want a record error for users-0@1", err)
			}
			if n := count(t, db2, "users"); n != 0 {
				t.Fatalf("rows = %d after a failed put, want 0", n)
			}
		})
	}
}

// TestSinkTombstoneWithoutDeletes is reported, not silently dropped.
func TestSinkTombstoneWithoutDeletes(t *testing.T) {
	db := pgtest.New(t)
	rep := &reporter{}
	task := startSink(t, &sinkCtx{reporter: rep}, sinkProps(db, "auto.create", "true"))
	put(t, task, userRec(0, 1, "a"), tombstone(1, 1))
	if fmt.Sprint(rep.offsets()) != "[1]" || !strings.Contains(rep.errs[0].Error(), "delete.enabled=false") {
		t.Fatalf("reported %v %v", rep.offsets(), rep.errs)
	}
}
