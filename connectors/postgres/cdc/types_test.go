package cdc

import (
	"fmt"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect/data"
)

// TestTypeMapping reads the same row through the snapshot (query results)
// and the stream (pgoutput) and checks both against Debezium's mapping.
func TestTypeMapping(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.db.Exec(t, `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`)
	h.db.Exec(t, `CREATE DOMAIN posint AS int CHECK (VALUE > 0)`)
	h.db.Exec(t, `CREATE TABLE typed (
		id int PRIMARY KEY,
		i2 smallint, i4 int, i8 bigint, f4 real, f8 double precision,
		n numeric(10,3), nv numeric, m money, b boolean,
		t text, vc varchar(10), c char(3), by bytea,
		d date, dbc date, tm time, tm3 time(3), ts timestamp, ts3 timestamp(3), tsinf timestamp, tsbc timestamp,
		tz timestamptz, tz0 timestamptz(0), ttz timetz, iv interval,
		u uuid, j json, jb jsonb, x xml, ip inet,
		ia int[], ta text[], e mood, b1 bit(1), b4 bit(4), vb varbit, dom posint,
		pt point
	)`)
	const values = `(%d, -3, 2147483647, -9223372036854775808, 1.5, 2.25,
		1234567.891, 3.14159265358979323846, 12.34, true,
		'tëxt', 'vc', 'ab', '\x00ff',
		'2024-02-29', '0044-03-15 BC', '13:51:30.123456', '13:51:30.123', '2016-11-04 13:51:30.123456', '2016-11-04 13:51:30.123', 'infinity', '0001-01-01 00:00:00 BC',
		'2016-11-04 13:51:30.123456+02', '2016-11-04 13:51:30+02', '13:51:30.5+02', '1 year 2 months 3 days 04:05:06.78',
		'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2]}', '{"k": [1, 2]}', '<a>1</a>', '10.1.2.3/32',
		'{1,NULL,3}', '{"a,b","c\"d",NULL}', 'happy', B'1', B'1011', B'101', 7,
		'(1,2)')`
	h.db.Exec(t, `INSERT INTO typed VALUES `+sprintf(values, 1))
	h.mustStart()
	snap := h.pollN(1)
	h.db.Exec(t, `INSERT INTO typed VALUES `+sprintf(values, 2))
	stream := h.pollN(1)

	want := map[string]any{
		"i2": int16(-3), "i4": int32(2147483647), "i8": int64(-9223372036854775808), "f4": float32(1.5), "f8": 2.25,
		"b": true, "t": "tëxt", "vc": "vc", "c": "ab ", "by": []byte{0, 0xff},
		"d":     int32(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).Unix() / 86400),
		"dbc":   int32(daysFromCivil(-43, 3, 15)),
		"tm":    int64((13*3600+51*60+30)*1_000_000 + 123456),
		"tm3":   int32((13*3600+51*60+30)*1000 + 123),
		"ts":    time.Date(2016, 11, 4, 13, 51, 30, 123456000, time.UTC).UnixMicro(),
		"ts3":   time.Date(2016, 11, 4, 13, 51, 30, 123000000, time.UTC).UnixMilli(),
		"tsinf": timestampPosInfinity,
		"tsbc":  daysFromCivil(0, 1, 1) * microsPerDay,
		"tz":    "2016-11-04T11:51:30.123456Z", "tz0": "2016-11-04T11:51:30Z", "ttz": "11:51:30.5Z",
		"iv": int64((((14*(365.25/12)+3)*24+4)*60+5)*60*1e6 + 6*1e6 + 780000),
		"u":  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "j": `{"k": [1, 2]}`, "jb": `{"k": [1, 2]}`, "x": "<a>1</a>", "ip": "10.1.2.3",
		"ia": []any{int32(1), nil, int32(3)}, "ta": []any{"a,b", `c"d`, nil}, "e": "happy",
		"b1": true, "b4": []byte{0x0b}, "vb": []byte{0x05}, "dom": int32(7),
	}
	schemas := map[string]string{"d": nameDate, "tm": nameMicroTime, "tm3": nameTime, "ts": nameMicroTimestamp, "ts3": nameTimestamp,
		"tz": nameZonedTimestamp, "ttz": nameZonedTime, "iv": nameMicroDuration, "u": nameUUID, "j": nameJSON, "jb": nameJSON,
		"x": nameXML, "e": nameEnum, "b4": nameBits, "nv": nameVarDecimal, "n": data.DecimalLogicalName, "m": data.DecimalLogicalName}
	for _, rec := range []struct {
		name string
		recs []any
	}{{"snapshot", []any{snap[0].Value}}, {"stream", []any{stream[0].Value}}} {
		after := field(t, rec.recs[0], "after").(*data.Struct)
		s := after.Schema()
		for k, v := range want {
			if got := field(t, after, k); !reflect.DeepEqual(got, v) {
				t.Errorf("%s: %s = %#v, want %#v", rec.name, k, got, v)
			}
		}
		for k, name := range schemas {
			if got := s.Field(k).Schema().Name(); got != name {
				t.Errorf("%s: schema of %s = %q, want %q", rec.name, k, got, name)
			}
		}
		if p, _ := s.Field("e").Schema().Parameter("allowed"); p != "sad,ok,happy" {
			t.Errorf("%s: enum allowed = %q", rec.name, p)
		}
		if p, _ := s.Field("b4").Schema().Parameter("length"); p != "4" {
			t.Errorf("%s: bits length = %q", rec.name, p)
		}
		if n := field(t, after, "n").(*data.Decimal); n.String() != "1234567.891" || n.Scale() != 3 {
			t.Errorf("%s: n = %v", rec.name, n)
		}
		if m := field(t, after, "m").(*data.Decimal); m.String() != "12.34" {
			t.Errorf("%s: money = %v", rec.name, m)
		}
		nv := field(t, after, "nv").(*data.Struct)
		unscaled := data.FromTwosComplement(new(big.Int), field(t, nv, "value").([]byte))
		if field(t, nv, "scale") != int32(20) || unscaled.String() != "314159265358979323846" {
			t.Errorf("%s: variable decimal = %v", rec.name, nv)
		}
		if s.Field("pt") != nil {
			t.Errorf("%s: a point column has no Debezium mapping without include.unknown.datatypes and must be left out", rec.name)
		}
	}
}

func TestUnknownTypesAsBytesWhenAsked(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keyUnknownTypes: "true", keySnapshotMode: "no_data"})
	h.db.Exec(t, `CREATE TABLE geo (id int PRIMARY KEY, pt point)`)
	h.mustStart()
	h.db.Exec(t, `INSERT INTO geo VALUES (1, '(1,2)')`)
	r := h.pollN(1)[0]
	if got := field(t, r.Value, "after", "pt"); !reflect.DeepEqual(got, []byte("(1,2)")) {
		t.Errorf("pt = %#v", got)
	}
}

func TestDecimalHandlingModes(t *testing.T) {
	for mode, want := range map[string]any{decimalDouble: 12.5, decimalString: "12.50"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, nil, map[string]string{keyDecimalMode: mode, keySnapshotMode: "no_data"})
			h.db.Exec(t, `CREATE TABLE money_t (id int PRIMARY KEY, n numeric(6,2), nv numeric)`)
			h.mustStart()
			h.db.Exec(t, `INSERT INTO money_t VALUES (1, 12.50, 12.50)`)
			r := h.pollN(1)[0]
			if got := field(t, r.Value, "after", "n"); got != want {
				t.Errorf("n = %#v, want %#v", got, want)
			}
			if got := field(t, r.Value, "after", "nv"); got != want {
				t.Errorf("nv = %#v, want %#v", got, want)
			}
		})
	}
}

func TestSchemaChangeWhileStreaming(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data"})
	h.db.Exec(t, `CREATE TABLE evolving (id int PRIMARY KEY, a text)`)
	h.mustStart()
	h.db.Exec(t, `INSERT INTO evolving VALUES (1, 'x')`)
	h.db.Exec(t, `ALTER TABLE evolving ADD COLUMN b int NOT NULL DEFAULT 5`)
	h.db.Exec(t, `INSERT INTO evolving VALUES (2, 'y', 6)`)
	h.db.Exec(t, `ALTER TABLE evolving DROP COLUMN a`)
	h.db.Exec(t, `INSERT INTO evolving VALUES (3, 7)`)
	recs := h.pollN(3)
	if s := field(t, recs[0].Value, "after").(*data.Struct).Schema(); s.Field("b") != nil || s.Field("a") == nil {
		t.Errorf("first schema: %v", s.Fields())
	}
	if field(t, recs[1].Value, "after", "b") != int32(6) || field(t, recs[1].Value, "after", "a") != "y" {
		t.Errorf("after ADD COLUMN: %v", recs[1].Value)
	}
	s := field(t, recs[2].Value, "after").(*data.Struct).Schema()
	if s.Field("a") != nil || field(t, recs[2].Value, "after", "b") != int32(7) {
		t.Errorf("after DROP COLUMN: %v", recs[2].Value)
	}
}

func TestUnchangedToastedValues(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data"})
	h.db.Exec(t, `CREATE TABLE docs (id int PRIMARY KEY, body text, n int)`)
	h.db.Exec(t, `ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL`) // keep it out of line, uncompressed
	h.mustStart()
	h.db.Exec(t, `INSERT INTO docs SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 400) g`)
	h.db.Exec(t, `UPDATE docs SET n = 1 WHERE id = 1`)
	recs := h.pollN(2)
	if body := field(t, recs[0].Value, "after", "body").(string); len(body) != 400*32 {
		t.Errorf("inserted body has %d characters", len(body))
	}
	if got := field(t, recs[1].Value, "after", "body"); got != defaultToastText {
		t.Errorf("unchanged TOASTed column = %.40v, want the placeholder", got)
	}
	// With REPLICA IDENTITY FULL the old row carries the value.
	h.db.Exec(t, `ALTER TABLE docs REPLICA IDENTITY FULL`)
	h.db.Exec(t, `UPDATE docs SET n = 2 WHERE id = 1`)
	r := h.pollN(1)[0]
	if body, _ := field(t, r.Value, "after", "body").(string); len(body) != 400*32 {
		t.Errorf("FULL identity: after.body = %.40v", field(t, r.Value, "after", "body"))
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
