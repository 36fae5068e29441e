package cdc

import (
	"strconv"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/runnel-dev/runnel/connect/transforms"
	"github.com/runnel-dev/runnel/connectors/postgres/cdc/unwrap"
)

// field returns a (possibly nested, dotted) field of a struct value.
func field(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		s, ok := v.(*data.Struct)
		if !ok || s == nil {
			t.Fatalf("%v: not a struct at %q", v, p)
		}
		var err error
		if v, err = s.GetWithoutDefault(p); err != nil {
			t.Fatalf("field %q: %v", p, err)
		}
	}
	return v
}

func envelopeOf(t *testing.T, r connect.SourceRecord) *data.Struct {
	t.Helper()
	s, ok := r.Value.(*data.Struct)
	if !ok {
		t.Fatalf("record value is %T, want an envelope struct: %v", r.Value, r)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("envelope invalid: %v", err)
	}
	return s
}

func TestSnapshotThenStreamEnvelopes(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySkippedOps: "none"})
	h.db.Exec(t, `CREATE TABLE customers (
		id int PRIMARY KEY,
		name text NOT NULL,
		email varchar(100),
		balance numeric(10,2),
		seen timestamp,
		seen_tz timestamptz,
		born date,
		doc jsonb,
		uid uuid,
		active boolean NOT NULL DEFAULT true,
		raw bytea,
		tags text[],
		small smallint,
		big bigint,
		ratio double precision
	)`)
	h.db.Exec(t, `INSERT INTO customers VALUES
		(1, 'Anne', 'anne@example.com', 12.50, '2016-11-04 13:51:30.123456', '2016-11-04 13:51:30.123456+02', '2016-11-04', '{"a": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', true, '\x0102ff', '{x,"y z",NULL}', 7, 9007199254740993, 0.25),
		(2, 'Bob', NULL, NULL, NULL, NULL, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL)`)
	h.mustStart()

	snap := h.pollN(2)
	if len(snap) != 2 {
		t.Fatalf("snapshot: got %d records, want 2", len(snap))
	}
	r0 := snap[0]
	if r0.Topic != "srv.public.customers" {
		t.Errorf("topic = %q", r0.Topic)
	}
	if got := r0.SourcePartition["server"]; got != "srv" {
		t.Errorf("source partition = %v", r0.SourcePartition)
	}
	if r0.KeySchema.Name() != "srv.public.customers.Key" || r0.ValueSchema.Name() != "srv.public.customers.Envelope" {
		t.Errorf("schema names %q %q", r0.KeySchema.Name(), r0.ValueSchema.Name())
	}
	if v, _ := r0.ValueSchema.Version(); v != 2 {
		t.Errorf("envelope version %d", v)
	}
	if id := field(t, r0.Key, "id"); id != int32(1) {
		t.Errorf("key id = %v", id)
	}
	e0 := envelopeOf(t, r0)
	if op := field(t, e0, "op"); op != "r" {
		t.Errorf("op = %v", op)
	}
	if b := field(t, e0, "before"); b != nil {
		t.Errorf("before = %v", b)
	}
	want := map[string]any{
		"id": int32(1), "name": "Anne", "email": "anne@example.com",
		"seen":    time.Date(2016, 11, 4, 13, 51, 30, 123456000, time.UTC).UnixMicro(),
		"seen_tz": "2016-11-04T11:51:30.123456Z",
		"born":    int32(time.Date(2016, 11, 4, 0, 0, 0, 0, time.UTC).Unix() / 86400),
		"doc":     `{"a": 1}`, "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "active": true,
		"small": int16(7), "big": int64(9007199254740993), "ratio": 0.25,
	}
	after := field(t, e0, "after").(*data.Struct)
	for k, v := range want {
		if got := field(t, after, k); got != v {
			t.Errorf("after.%s = %#v, want %#v", k, got, v)
		}
	}
	if bal := field(t, after, "balance").(*data.Decimal); bal.String() != "12.50" {
		t.Errorf("balance = %v", bal)
	}
	if raw := field(t, after, "raw").([]byte); string(raw) != "\x01\x02\xff" {
		t.Errorf("raw = %x", raw)
	}
	if tags := field(t, after, "tags").([]any); len(tags) != 3 || tags[0] != "x" || tags[1] != "y z" || tags[2] != nil {
		t.Errorf("tags = %#v", tags)
	}
	// Schemas follow Debezium's type mapping.
	vs := after.Schema()
	for name, logical := range map[string]string{"seen": nameMicroTimestamp, "seen_tz": nameZonedTimestamp, "born": nameDate,
		"doc": nameJSON, "uid": nameUUID, "balance": data.DecimalLogicalName} {
		if got := vs.Field(name).Schema().Name(); got != logical {
			t.Errorf("schema of %s = %q, want %q", name, got, logical)
		}
	}
	if p, _ := vs.Field("balance").Schema().Parameter(precisionParam); p != "10" {
		t.Errorf("balance precision parameter = %q", p)
	}
	// Constant column defaults become schema defaults (as Debezium).
	if d := vs.Field("active").Schema().Default(); d != true {
		t.Errorf("default of active = %v, want true", d)
	}
	if vs.Field("email").Schema().HasDefault() {
		t.Errorf("email has no DEFAULT but its schema has one")
	}
	if vs.Field("name").Schema().Optional() || !vs.Field("email").Schema().Optional() {
		t.Errorf("NOT NULL must map to a required field and NULL to an optional one")
	}
	src := field(t, e0, "source").(*data.Struct)
	for k, v := range map[string]any{"connector": "postgresql", "name": "srv", "db": h.props[keyDBName], "schema": "public",
		"table": "customers", "snapshot": "first", "version": Version} {
		if got := field(t, src, k); got != v {
			t.Errorf("source.%s = %v, want %v", k, got, v)
		}
	}
	if s := field(t, envelopeOf(t, snap[1]), "source", "snapshot"); s != "last" {
		t.Errorf("last snapshot record marker = %v", s)
	}
	if last := snap[1].SourceOffset; last[offLastSnapshot] != true || last[offSnapshotComplete] != true {
		t.Errorf("last snapshot offset = %v", last)
	}
	h.ack(snap)

	// Streaming: insert, update, delete, truncate.
	h.db.Exec(t, `INSERT INTO customers (id, name, email) VALUES (3, 'Cid', 'cid@example.com')`)
	h.db.Exec(t, `UPDATE customers SET email = 'c@example.com' WHERE id = 3`)
	h.db.Exec(t, `DELETE FROM customers WHERE id = 3`)
	h.db.Exec(t, `TRUNCATE customers`)
	recs := h.pollN(5)
	if len(recs) != 5 {
		t.Fatalf("stream: got %d records, want 5: %s", len(recs), describe(recs))
	}
	ins, upd, del, tomb, trunc := recs[0], recs[1], recs[2], recs[3], recs[4]

	ei := envelopeOf(t, ins)
	if field(t, ei, "op") != "c" || field(t, ei, "before") != nil || field(t, ei, "after", "email") != "cid@example.com" {
		t.Errorf("insert envelope = %v", ei)
	}
	if field(t, ei, "source", "snapshot") != nil {
		t.Errorf("streamed source.snapshot must be unset (schema default false)")
	}
	if txid := field(t, ei, "source", "txId"); txid == nil {
		t.Errorf("source.txId missing")
	}
	lsn := field(t, ei, "source", "lsn").(int64)
	if ins.SourceOffset[offLSN] != lsn || ins.SourceOffset[offTxID] != field(t, ei, "source", "txId") {
		t.Errorf("offset %v does not match source lsn %d", ins.SourceOffset, lsn)
	}
	seq := field(t, ei, "source", "sequence").(string)
	if want := `["` + strconv.FormatInt(ins.SourceOffset[offLSNCommit].(int64), 10) + `","` + strconv.FormatInt(lsn, 10) + `"]`; seq != want {
		t.Errorf("source.sequence = %s, want %s", seq, want)
	}

	eu := envelopeOf(t, upd)
	if field(t, eu, "op") != "u" || field(t, eu, "before") != nil || field(t, eu, "after", "email") != "c@example.com" {
		t.Errorf("update envelope (REPLICA IDENTITY DEFAULT has no before image) = %v", eu)
	}

	ed := envelopeOf(t, del)
	if field(t, ed, "op") != "d" || field(t, ed, "after") != nil {
		t.Errorf("delete envelope = %v", ed)
	}
	// DEFAULT identity: the before image carries the key; NOT NULL
	// columns get their type's zero, nullable ones null (as Debezium).
	if field(t, ed, "before", "id") != int32(3) || field(t, ed, "before", "name") != "" || field(t, ed, "before", "email") != nil {
		t.Errorf("delete before = %v", field(t, ed, "before"))
	}
	if field(t, del.Key, "id") != int32(3) {
		t.Errorf("delete key = %v", del.Key)
	}
	if tomb.Value != nil || tomb.ValueSchema != nil || field(t, tomb.Key, "id") != int32(3) || tomb.Topic != del.Topic {
		t.Errorf("tombstone = %+v", tomb)
	}
	et := envelopeOf(t, trunc)
	if field(t, et, "op") != "t" || trunc.Key != nil || field(t, et, "before") != nil || field(t, et, "after") != nil {
		t.Errorf("truncate = %+v", trunc)
	}
	h.ack(recs)
}

func TestReplicaIdentityFullBeforeImage(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keyTombstones: "false", keySnapshotMode: "no_data"})
	h.db.Exec(t, `CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL, note text)`)
	h.db.Exec(t, `ALTER TABLE items REPLICA IDENTITY FULL`)
	h.mustStart()
	h.db.Exec(t, `INSERT INTO items VALUES (1, 5, 'five')`)
	h.db.Exec(t, `UPDATE items SET qty = 6 WHERE id = 1`)
	h.db.Exec(t, `UPDATE items SET id = 2 WHERE id = 1`)
	h.db.Exec(t, `DELETE FROM items WHERE id = 2`)
	recs := h.pollN(5)
	ops := ""
	for _, r := range recs {
		ops += field(t, envelopeOf(t, r), "op").(string)
	}
	// The key change becomes a delete of key 1 and a create of key 2
	// (no tombstones: tombstones.on.delete=false).
	if ops != "cudcd" {
		t.Fatalf("ops = %q, want cudcd: %s", ops, describe(recs))
	}
	upd := envelopeOf(t, recs[1])
	if field(t, upd, "before", "qty") != int32(5) || field(t, upd, "before", "note") != "five" || field(t, upd, "after", "qty") != int32(6) {
		t.Errorf("FULL update before/after = %v", upd)
	}
	if h, ok := recs[2].Headers.Last("__debezium.newkey"); !ok || field(t, h.Value.Value, "id") != int32(2) {
		t.Errorf("key-change delete lacks __debezium.newkey header: %v", recs[2].Headers)
	}
	if h, ok := recs[3].Headers.Last("__debezium.oldkey"); !ok || field(t, h.Value.Value, "id") != int32(1) {
		t.Errorf("key-change create lacks __debezium.oldkey header: %v", recs[3].Headers)
	}
	if field(t, recs[2].Key, "id") != int32(1) || field(t, recs[3].Key, "id") != int32(2) {
		t.Errorf("key-change keys: %v %v", recs[2].Key, recs[3].Key)
	}
	del := envelopeOf(t, recs[4])
	if field(t, del, "before", "qty") != int32(6) || field(t, del, "before", "note") != "five" {
		t.Errorf("FULL delete before = %v", field(t, del, "before"))
	}
}

// TestUnwrapRealEvents runs real change events through
// ExtractNewRecordState, as a JDBC sink pipeline would.
func TestUnwrapRealEvents(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data"})
	h.db.Exec(t, `CREATE TABLE t (id int PRIMARY KEY, name text)`)
	h.mustStart()
	h.db.Exec(t, `INSERT INTO t VALUES (1, 'a')`)
	h.db.Exec(t, `DELETE FROM t WHERE id = 1`)
	recs := h.pollN(3)
	x := unwrap.New()
	if err := x.Configure(map[string]string{"delete.tombstone.handling.mode": "rewrite", "add.fields": "op,table,lsn"}); err != nil {
		t.Fatal(err)
	}
	var out []*transforms.Record
	for _, r := range recs {
		tr := transforms.NewRecord(r.Topic, r.Partition, r.KeySchema, r.Key, r.ValueSchema, r.Value, transforms.NoTimestamp, r.Headers)
		o, err := x.Apply(tr)
		if err != nil {
			t.Fatal(err)
		}
		if o != nil {
			out = append(out, o)
		}
	}
	if len(out) != 2 {
		t.Fatalf("got %d records, want create and rewritten delete (tombstone dropped)", len(out))
	}
	// The delete's row is the before image: with REPLICA IDENTITY DEFAULT
	// only the key is known.
	for i, want := range []struct {
		op, deleted string
		name        any
	}{{"c", "false", "a"}, {"d", "true", nil}} {
		v := out[i].Value
		if field(t, v, "id") != int32(1) || field(t, v, "name") != want.name || field(t, v, "__op") != want.op ||
			field(t, v, "__deleted") != want.deleted || field(t, v, "__table") != "t" || field(t, v, "__lsn") != field(t, recs[i].Value, "source", "lsn") {
			t.Errorf("record %d: %v", i, v)
		}
	}
}
