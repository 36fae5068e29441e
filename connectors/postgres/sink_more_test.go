package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/runnel-dev/runnel/internal/pgtest"
)

// TestSinkPostgresTypes writes strings into enum, uuid, json and varchar
// columns and arrays into array columns, through COPY and upserts.
func TestSinkPostgresTypes(t *testing.T) {
	for _, mode := range []string{"insert", "upsert"} {
		t.Run(mode, func(t *testing.T) {
			db := pgtest.New(t)
			db.Exec(t, `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`)
			db.Exec(t, `CREATE TABLE things (id int PRIMARY KEY, m mood, u uuid, j jsonb, v varchar(10), nums int[], note text)`)
			s := data.StructBuilder().Field("id", data.Int32Schema).Field("m", data.StringSchema).Field("u", data.StringSchema).
				Field("j", data.StringSchema).Field("v", data.StringSchema).
				Field("nums", data.ArrayBuilder(data.Int32Schema).MustBuild()).Field("note", data.OptionalStringSchema).MustBuild()
			task := startSink(t, &sinkCtx{}, sinkProps(db, "insert.mode", mode, "pk.mode", "record_value", "pk.fields", "id", "table.name.format", "things"))
			var recs []connect.SinkRecord
			for i := range 100 { // 100 rows: COPY, and the unnest upsert path
				recs = append(recs, connect.SinkRecord{Topic: "t", Offset: int64(i), ValueSchema: s, Value: data.NewStruct(s).
					MustPut("id", int32(i)).MustPut("m", "happy").MustPut("u", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").
					MustPut("j", `{"a": [1, 2]}`).MustPut("v", "short").MustPut("nums", []any{int32(1), int32(2)}).MustPut("note", "nul\x00byte")})
			}
			put(t, task, recs...)
			got := queryRows(t, db, `SELECT m::text, u::text, j::text, v, array_to_string(nums, ','), note FROM things WHERE id = 42`)
			if fmt.Sprint(got) != `[[happy a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 {"a": [1, 2]} short 1,2 nulbyte]]` {
				t.Fatalf("row = %v", got)
			}
		})
	}
}

// TestSinkRetriesTransientErrors: a connection killed under the sink makes
// Put ask for redelivery after retry.backoff.ms, and the next Put works.
func TestSinkRetriesTransientErrors(t *testing.T) {
	db := pgtest.New(t)
	tctx := &sinkCtx{}
	task := startSink(t, tctx, sinkProps(db, "auto.create", "true", "insert.mode", "upsert", "pk.mode", "record_key",
		"max.retries", "1", "retry.backoff.ms", "1234"))
	put(t, task, userRec(0, 1, "a"))
	kill := func() {
		db.Exec(t, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	}
	kill()
	err := task.Put(context.Background(), []connect.SinkRecord{userRec(1, 2, "b")})
	if !connect.IsRetriable(err) || tctx.timeout.Milliseconds() != 1234 {
		t.Fatalf("err = %v (retriable %t), timeout %v", err, connect.IsRetriable(err), tctx.timeout)
	}
	put(t, task, userRec(1, 2, "b"))
	if n := count(t, db, "users"); n != 2 {
		t.Fatalf("rows = %d", n)
	}
	// Out of retries (max.retries=0): the error is final.
	task0 := startSink(t, &sinkCtx{}, sinkProps(db, "insert.mode", "upsert", "pk.mode", "record_key", "max.retries", "0"))
	put(t, task0, userRec(2, 3, "c"))
	kill()
	err = task0.Put(context.Background(), []connect.SinkRecord{userRec(3, 4, "d")})
	if err == nil || connect.IsRetriable(err) || !strings.Contains(err.Error(), "giving up after 0 retries") {
		t.Fatalf("after max.retries: %v", err)
	}
}

// TestSinkQuoteNever writes bare identifiers, which PostgreSQL folds to
// lower case.
func TestSinkQuoteNever(t *testing.T) {
	db := pgtest.New(t)
	s := data.StructBuilder().Field("Id", data.Int32Schema).Field("UserName", data.StringSchema).MustBuild()
	task := startSink(t, &sinkCtx{}, sinkProps(db, "auto.create", "true", "quote.sql.identifiers", "never", "table.name.format", "Mixed_${topic}"))
	put(t, task, connect.SinkRecord{Topic: "Case", ValueSchema: s, Value: data.NewStruct(s).MustPut("Id", int32(1)).MustPut("UserName", "x")})
	put(t, task, connect.SinkRecord{Topic: "Case", Offset: 1, ValueSchema: s, Value: data.NewStruct(s).MustPut("Id", int32(2)).MustPut("UserName", "y")})
	if got := queryRows(t, db, `SELECT id, username FROM mixed_case ORDER BY id`); fmt.Sprint(got) != "[[1 x] [2 y]]" {
		t.Fatalf("rows = %v", got)
	}
}

// TestSinkMismatchedTypes: strings are parsed for numeric and boolean
// columns and numbers formatted for text columns; a string that does not
// parse is reported with its record, in every mode.
func TestSinkMismatchedTypes(t *testing.T) {
	for _, mode := range []string{"insert", "upsert", "update"} {
		t.Run(mode, func(t *testing.T) {
			db := pgtest.New(t)
			db.Exec(t, `CREATE TABLE nums (id int PRIMARY KEY, n int, d numeric(6,2), ok boolean, label text)`)
			if mode == "update" {
				db.Exec(t, `INSERT INTO nums (id) SELECT generate_series(0, 39)`)
			}
			s := data.StructBuilder().Field("id", data.Int32Schema).Field("n", data.StringSchema).Field("d", data.StringSchema).
				Field("ok", data.StringSchema).Field("label", data.Int64Schema).MustBuild()
			rep := &reporter{}
			task := startSink(t, &sinkCtx{reporter: rep}, sinkProps(db, "insert.mode", mode, "pk.mode", "record_value", "pk.fields", "id", "table.name.format", "nums"))
			var recs []connect.SinkRecord
			for i := range 40 {
				n := fmt.Sprint(i * 2)
				if i == 5 {
					n = "abc"
				}
				recs = append(recs, connect.SinkRecord{Topic: "n", Offset: int64(i), ValueSchema: s, Value: data.NewStruct(s).
					MustPut("id", int32(i)).MustPut("n", n).MustPut("d", "12.5").MustPut("ok", "true").MustPut("label", int64(i))})
			}
			put(t, task, recs...)
			if fmt.Sprint(rep.offsets()) != "[5]" || !strings.Contains(rep.errs[0].Error(), `"abc" is not an integer`) {
				t.Fatalf("reported %v %v", rep.offsets(), rep.errs)
			}
			got := queryRows(t, db, `SELECT n, d::text, ok, label FROM nums WHERE id = 7`)
			if fmt.Sprint(got) != "[[14 12.50 true 7]]" {
				t.Fatalf("row = %v", got)
			}
		})
	}
}

// TestSinkTableDroppedUnderIt: a dropped table is created again after a
// redelivery instead of failing the task.
func TestSinkTableDroppedUnderIt(t *testing.T) {
	db := pgtest.New(t)
	task := startSink(t, &sinkCtx{}, sinkProps(db, "auto.create", "true", "insert.mode", "upsert", "pk.mode", "record_key"))
	put(t, task, userRec(0, 1, "a"))
	db.Exec(t, `DROP TABLE users`)
	err := task.Put(context.Background(), []connect.SinkRecord{userRec(1, 2, "b")})
	if !connect.IsRetriable(err) {
		t.Fatalf("err = %v, want retriable", err)
	}
	put(t, task, userRec(1, 2, "b"))
	if n := count(t, db, "users"); n != 1 {
		t.Fatalf("rows = %d", n)
	}
}
