package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/runnel-dev/runnel/internal/pgtest"
)

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// TestSourceBulk re-reads the whole table every poll interval and derives
// the schema from the columns.
func TestSourceBulk(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags text[],
		doc jsonb, uid uuid, day date, at time, seen timestamp, seen_tz timestamptz NOT NULL DEFAULT now(), raw bytea, ok boolean, f real, d float8, small int2, big int8)`)
	db.Exec(t, `INSERT INTO items (name, price, tags, doc, uid, day, at, seen, raw, ok, f, d, small, big)
		SELECT 'item ' || g, g * 1.25, ARRAY['a','b'], '{"k": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-02-29', '13:14:15.5',
		       '2024-01-02 03:04:05.678', '\x0102', g % 2 = 0, 1.5, 2.5, 7, 9000000000 FROM generate_series(1, 250) g`)
	store := newOffsetStore()
	task := startSource(t, store, sourceProps(db, "mode", "bulk", "batch.max.rows", "100"))
	recs := pollUntil(t, task, store, 250)
	if got := ids(t, recs); !slices.Equal(got, seq(1, 250)) {
		t.Fatalf("ids = %v", got)
	}
	r := recs[1]
	if r.Topic != "pg-items" || r.SourceOffset != nil || fmt.Sprint(r.SourcePartition) != "map[protocol:1 table:"+db.Name+".public.items]" {
		t.Fatalf("record topic %s partition %v offset %v", r.Topic, r.SourcePartition, r.SourceOffset)
	}
	s := r.ValueSchema
	if s.Name() != "items" {
		t.Fatalf("schema name %q", s.Name())
	}
	var desc []string
	for _, f := range s.Fields() {
		desc = append(desc, fmt.Sprintf("%s:%s%s/%v", f.Name(), f.Schema().Type(), map[bool]string{true: "?"}[f.Schema().Optional()], f.Schema().Name()))
	}
	want := "id:INT32/ name:STRING/ price:BYTES?/org.apache.kafka.connect.data.Decimal tags:STRING?/ doc:STRING?/ uid:STRING?/ " +
		"day:INT32?/org.apache.kafka.connect.data.Date at:INT32?/org.apache.kafka.connect.data.Time seen:INT64?/org.apache.kafka.connect.data.Timestamp " +
		"seen_tz:INT64/org.apache.kafka.connect.data.Timestamp raw:BYTES?/ ok:BOOLEAN?/ f:FLOAT32?/ d:FLOAT64?/ small:INT16?/ big:INT64?/"
	if strings.Join(desc, " ") != want {
		t.Fatalf("schema\n got %s\nwant %s", strings.Join(desc, " "), want)
	}
	if sc, _ := data.DecimalScale(s.Field("price").Schema()); sc != 2 {
		t.Fatalf("price scale %d", sc)
	}
	vals := fmt.Sprint(field(t, r, "name"), " ", field(t, r, "price"), " ", field(t, r, "tags"), " ", field(t, r, "doc"), " ",
		field(t, r, "uid"), " ", field(t, r, "day").(time.Time).Format(time.RFC3339), " ", field(t, r, "at").(time.Time).Format("15:04:05.000"), " ",
		field(t, r, "seen").(time.Time).Format(time.RFC3339Nano), " ", field(t, r, "raw"), " ", field(t, r, "ok"), " ",
		field(t, r, "f"), " ", field(t, r, "d"), " ", field(t, r, "small"), " ", field(t, r, "big"))
	wantVals := `item 2 2.50 {a,b} {"k": 1} a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 2024-02-29T00:00:00Z 13:14:15.500 2024-01-02T03:04:05.678Z [1 2] true 1.5 2.5 7 9000000000`
	if vals != wantVals {
		t.Fatalf("values\n got %s\nwant %s", vals, wantVals)
	}
	// Bulk mode reads everything again, including new rows.
	db.Exec(t, `INSERT INTO items (name) VALUES ('late')`)
	again := pollUntil(t, task, store, 251)
	if len(again) != 251 || field(t, again[250], "name") != "late" {
		t.Fatalf("second read: %d records", len(again))
	}
}

// TestSourceIncrementing reads new rows only, resumes from the stored
// offset after a restart and never repeats a row.
func TestSourceIncrementing(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE events (id bigserial PRIMARY KEY, body text)`)
	db.Exec(t, `INSERT INTO events (body) SELECT 'e' || g FROM generate_series(1, 120) g`)
	store := newOffsetStore()
	props := sourceProps(db, "mode", "incrementing", "batch.max.rows", "50") // column detected: bigserial
	task := startSource(t, store, props)
	got := pollUntil(t, task, store, 120)
	db.Exec(t, `INSERT INTO events (body) SELECT 'f' || g FROM generate_series(1, 30) g`)
	got = append(got, pollUntil(t, task, store, 30)...)
	got = append(got, pollQuiet(t, task, store, 200*time.Millisecond)...)
	if !slices.Equal(ids(t, got), seq(1, 150)) {
		t.Fatalf("ids = %v", ids(t, got))
	}
	if off := got[149].SourceOffset; fmt.Sprint(off) != "map[incrementing:150]" {
		t.Fatalf("offset = %v", off)
	}
	// Restart, partway: the store holds the offset of the last record.
	_ = task.Stop()
	db.Exec(t, `INSERT INTO events (body) SELECT 'g' || g FROM generate_series(1, 10) g`)
	task = startSource(t, store, props)
	more := pollUntil(t, task, store, 10)
	more = append(more, pollQuiet(t, task, store, 200*time.Millisecond)...)
	if !slices.Equal(ids(t, more), seq(151, 160)) {
		t.Fatalf("after restart ids = %v", ids(t, more))
	}
}

// TestSourceTimestamp picks up inserted and updated rows by timestamp and
// resumes from the stored (millisecond + nanosecond) offset.
func TestSourceTimestamp(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE docs (id int PRIMARY KEY, body text, modified timestamp NOT NULL)`)
	db.Exec(t, `INSERT INTO docs SELECT g, 'v1', '2024-01-01'::timestamp + g * interval '1.000123 second' FROM generate_series(1, 40) g`)
	store := newOffsetStore()
	props := sourceProps(db, "mode", "timestamp", "timestamp.column.name", "modified", "batch.max.rows", "7", "db.timezone", "Europe/Paris")
	task := startSource(t, store, props)
	got := pollUntil(t, task, store, 40)
	if !slices.Equal(ids(t, got), seq(1, 40)) {
		t.Fatalf("ids = %v", ids(t, got))
	}
	last := got[39]
	// 2024-01-01 00:00:40.00492 in Paris is 23:00:40.00492 UTC the day before.
	if fmt.Sprint(last.SourceOffset) != "map[timestamp:1704063640004 timestamp_nanos:4920000]" {
		t.Fatalf("offset = %v", last.SourceOffset)
	}
	db.Exec(t, `UPDATE docs SET body = 'v2', modified = '2024-02-01' WHERE id IN (3, 5)`)
	db.Exec(t, `INSERT INTO docs VALUES (1000, 'future', now() + interval '1 day')`) // not yet: beyond "now"
	upd := pollUntil(t, task, store, 2)
	if !slices.Equal(ids(t, upd), []int64{3, 5}) || field(t, upd[0], "body") != "v2" {
		t.Fatalf("updates = %v", ids(t, upd))
	}
	_ = task.Stop()
	db.Exec(t, `UPDATE docs SET body = 'v3', modified = '2024-03-01' WHERE id = 7`)
	task = startSource(t, store, props)
	after := pollUntil(t, task, store, 1)
	after = append(after, pollQuiet(t, task, store, 200*time.Millisecond)...)
	if !slices.Equal(ids(t, after), []int64{7}) {
		t.Fatalf("after restart ids = %v", ids(t, after))
	}
}

// TestSourceTimestampIncrementing: rows sharing a timestamp are split
// across batches and a restart in the middle of them loses and repeats
// nothing.
func TestSourceTimestampIncrementing(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE orders (id int PRIMARY KEY, updated_at timestamptz NOT NULL, created_at timestamptz)`)
	db.Exec(t, `INSERT INTO orders SELECT g, '2024-01-01T00:00:00Z'::timestamptz + (g / 10) * interval '1 minute', NULL FROM generate_series(1, 35) g`)
	store := newOffsetStore()
	props := sourceProps(db, "mode", "timestamp+incrementing", "incrementing.column.name", "id",
		"timestamp.column.name", "created_at,updated_at", "batch.max.rows", "4")
	task := startSource(t, store, props)
	first, err := task.Poll(context.Background()) // 4 rows of the first timestamp group
	if err != nil {
		t.Fatal(err)
	}
	store.commit(first)
	_ = task.Stop()
	task = startSource(t, store, props)
	rest := pollUntil(t, task, store, 31)
	rest = append(rest, pollQuiet(t, task, store, 200*time.Millisecond)...)
	all := append(first, rest...)
	if !slices.Equal(ids(t, all), seq(1, 35)) {
		t.Fatalf("ids = %v", ids(t, all))
	}
	if fmt.Sprint(all[34].SourceOffset) != "map[incrementing:35 timestamp:1704067380000 timestamp_nanos:0]" {
		t.Fatalf("offset = %v", all[34].SourceOffset)
	}
	// A late row with an old timestamp but a new id is not lost when its
	// timestamp equals the stored one.
	db.Exec(t, `INSERT INTO orders VALUES (36, '2024-01-01T00:03:00Z', NULL), (37, now() - interval '1 second', NULL)`)
	late := pollUntil(t, task, store, 2)
	if !slices.Equal(ids(t, late), []int64{36, 37}) {
		t.Fatalf("late ids = %v", ids(t, late))
	}
}

// TestSourceQuery runs a custom query with the incremental criteria
// appended, into the topic named by topic.prefix.
func TestSourceQuery(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE customers (cid int PRIMARY KEY, cname text NOT NULL)`)
	db.Exec(t, `CREATE TABLE purchases (id int PRIMARY KEY, cid int NOT NULL REFERENCES customers, amount numeric(8,2) NOT NULL)`)
	db.Exec(t, `INSERT INTO customers VALUES (1, 'ann'), (2, 'bob')`)
	db.Exec(t, `INSERT INTO purchases VALUES (1, 1, 10.50), (2, 2, 3.25), (3, 1, 7.00)`)
	store := newOffsetStore()
	props := sourceProps(db, "mode", "incrementing", "incrementing.column.name", "id", "topic.prefix", "joined",
		"query", "SELECT * FROM (SELECT p.id, c.cname, p.amount, p.amount * 2 AS doubled FROM purchases p JOIN customers c USING (cid)) q",
		"numeric.mapping", "best_fit")
	task := startSource(t, store, props)
	recs := pollUntil(t, task, store, 3)
	r := recs[0]
	if r.Topic != "joined" || fmt.Sprint(r.SourcePartition) != "map[query:query]" || r.ValueSchema.Name() != "" {
		t.Fatalf("topic %s partition %v schema %q", r.Topic, r.SourcePartition, r.ValueSchema.Name())
	}
	// amount numeric(8,2) is FLOAT64 with best_fit; the computed column
	// has no declared precision, so it stays a Decimal with Confluent's
	// fallback scale of 127.
	doubled := field(t, r, "doubled").(*data.Decimal)
	if got := fmt.Sprint(field(t, r, "cname"), " ", field(t, r, "amount")); got != "ann 10.5" ||
		doubled.Scale() != 127 || doubled.Cmp(data.NewDecimalFromInt64(21, 0)) != 0 {
		t.Fatalf("values %s %v", got, doubled)
	}
	if !r.ValueSchema.Field("doubled").Schema().Optional() || r.ValueSchema.Field("cname").Schema().Optional() {
		t.Fatal("computed columns must be optional and NOT NULL table columns required")
	}
	db.Exec(t, `INSERT INTO purchases VALUES (4, 2, 1.00)`)
	more := pollUntil(t, task, store, 1)
	if !slices.Equal(ids(t, more), []int64{4}) {
		t.Fatalf("ids = %v", ids(t, more))
	}
}

// TestSourceConnectorTasks splits tables across tasks and honours the
// include/exclude lists.
func TestSourceConnectorTasks(t *testing.T) {
	db := pgtest.New(t)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		db.Exec(t, "CREATE TABLE "+n+" (id int)")
	}
	db.Exec(t, `CREATE SCHEMA other`)
	db.Exec(t, `CREATE TABLE other.z (id int)`)
	db.Exec(t, `CREATE VIEW v AS SELECT * FROM a`)
	c := &SourceConnector{}
	props := sourceProps(db, "mode", "bulk", "table.exclude.list", "public\\.e")
	if err := c.Start(context.Background(), nil, props); err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	cfgs, err := c.TaskConfigs(2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, cfg := range cfgs {
		got = append(got, cfg[cfgTaskTables])
	}
	want := `[{"schema":"other","table":"z"},{"schema":"public","table":"b"},{"schema":"public","table":"d"}] [{"schema":"public","table":"a"},{"schema":"public","table":"c"}]`
	if strings.Join(got, " ") != want {
		t.Fatalf("task tables\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	c2 := &SourceConnector{}
	if err := c2.Start(context.Background(), nil, sourceProps(db, "mode", "bulk", "table.whitelist", "a,other.z", "table.types", "TABLE,VIEW")); err != nil {
		t.Fatal(err)
	}
	defer c2.Stop()
	cfgs, _ = c2.TaskConfigs(8)
	if len(cfgs) != 2 {
		t.Fatalf("%d task configs for 2 tables", len(cfgs))
	}
}

// TestSourceNullableColumnsRejected applies validate.non.null.
func TestSourceNullableColumnsRejected(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE t (id int, ts timestamp)`)
	for _, kv := range [][]string{
		{"mode", "incrementing", "incrementing.column.name", "id"},
		{"mode", "timestamp", "timestamp.column.name", "ts"},
	} {
		task := &SourceTask{}
		err := task.Start(context.Background(), &sourceCtx{store: newOffsetStore()}, sourceProps(db, kv...))
		if err == nil || !strings.Contains(err.Error(), "nullable") {
			t.Fatalf("%v: err = %v", kv, err)
		}
	}
	task := &SourceTask{}
	err := task.Start(context.Background(), &sourceCtx{store: newOffsetStore()}, sourceProps(db, "mode", "incrementing"))
	if err == nil || !strings.Contains(err.Error(), "set incrementing.column.name") {
		t.Fatalf("autodetect without serial: err = %v", err)
	}
	// validate.non.null=false lets it run.
	ok := startSource(t, newOffsetStore(), sourceProps(db, "mode", "incrementing", "incrementing.column.name", "id", "validate.non.null", "false"))
	_ = ok
}

var _ connect.SourceTask = (*SourceTask)(nil)

// TestSourceResumesFromConfluentOffsets honours offsets stored by
// Confluent's connector under the older partition formats.
func TestSourceResumesFromConfluentOffsets(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE events (id bigserial PRIMARY KEY, body text)`)
	db.Exec(t, `INSERT INTO events (body) SELECT 'e' || g FROM generate_series(1, 20) g`)
	for _, part := range []map[string]any{
		{"table": "events"},                         // protocol 0
		{"protocol": "1", "table": "public.events"}, // protocol 1, older pgjdbc
	} {
		store := newOffsetStore()
		store.m[partKey(part)] = map[string]any{"incrementing": float64(15)}
		task := startSource(t, store, sourceProps(db, "mode", "incrementing"))
		recs := pollUntil(t, task, store, 5)
		recs = append(recs, pollQuiet(t, task, store, 150*time.Millisecond)...)
		if !slices.Equal(ids(t, recs), seq(16, 20)) {
			t.Fatalf("%v: ids = %v", part, ids(t, recs))
		}
		_ = task.Stop()
	}
}

// TestSourceTimestampDelay holds rows back until they are older than
// timestamp.delay.interval.ms.
func TestSourceTimestampDelay(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE docs (id int PRIMARY KEY, modified timestamptz NOT NULL)`)
	db.Exec(t, `INSERT INTO docs VALUES (1, now() - interval '1 hour'), (2, now())`)
	store := newOffsetStore()
	task := startSource(t, store, sourceProps(db, "mode", "timestamp", "timestamp.column.name", "modified", "timestamp.delay.interval.ms", "1500"))
	got := pollUntil(t, task, store, 1)
	got = append(got, pollQuiet(t, task, store, 300*time.Millisecond)...)
	if !slices.Equal(ids(t, got), []int64{1}) {
		t.Fatalf("ids = %v, want only the old row", ids(t, got))
	}
	late := pollUntil(t, task, store, 1) // row 2 once it is 1.5s old
	if !slices.Equal(ids(t, late), []int64{2}) {
		t.Fatalf("late ids = %v", ids(t, late))
	}
}

// TestSourceTimestampInitial starts from "now" (-1) or a given epoch
// millisecond when no offset is stored.
func TestSourceTimestampInitial(t *testing.T) {
	db := pgtest.New(t)
	db.Exec(t, `CREATE TABLE docs (id int PRIMARY KEY, modified timestamptz NOT NULL)`)
	db.Exec(t, `INSERT INTO docs VALUES (1, '2020-01-01T00:00:00Z'), (2, '2022-01-01T00:00:00Z')`)
	from2021 := startSource(t, newOffsetStore(), sourceProps(db, "mode", "timestamp", "timestamp.column.name", "modified",
		"timestamp.initial", "1609459200000"))
	got := pollUntil(t, from2021, newOffsetStore(), 1)
	if !slices.Equal(ids(t, got), []int64{2}) {
		t.Fatalf("ids = %v", ids(t, got))
	}
	store := newOffsetStore()
	fromNow := startSource(t, store, sourceProps(db, "mode", "timestamp", "timestamp.column.name", "modified", "timestamp.initial", "-1"))
	if got := pollQuiet(t, fromNow, store, 200*time.Millisecond); len(got) != 0 {
		t.Fatalf("existing rows read with timestamp.initial=-1: %v", ids(t, got))
	}
	db.Exec(t, `INSERT INTO docs VALUES (3, now())`)
	if got := pollUntil(t, fromNow, store, 1); !slices.Equal(ids(t, got), []int64{3}) {
		t.Fatalf("ids = %v", ids(t, got))
	}
}
