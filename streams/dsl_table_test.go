package streams_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/streams/streamstest"
	"github.com/runnel-dev/runnel/topology/serde"
)

// A table topic's tombstone (nil bytes) deletes the row whatever the value
// type; the table's store holds the latest rows. Downstream, the delete is
// a null value: nil for a nillable type, the zero value otherwise.
func TestTableSourceTombstonesDelete(t *testing.T) {
	b := streams.NewBuilder()
	tbl := streams.Table(b, "t", strings2, streams.Materialized[string, string]{StoreName: "rows"})
	tbl.ToStream().To("out")
	raw := streams.Table(b, "raw", streams.ConsumedWith(serde.String(), serde.Bytes()))
	raw.ToStream().To("raw-out")
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "t", serde.String(), serde.Bytes())
	pipe(t, in, "a", []byte("1"), 1)
	pipe(t, in, "b", []byte("2"), 2)
	pipe(t, in, "a", nil, 3)
	pipe(t, in, "b", []byte("3"), 4)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())),
		kvt[string, string]{"a", "1", 1}, kvt[string, string]{"b", "2", 2}, kvt[string, string]{"a", "", 3}, kvt[string, string]{"b", "3", 4})
	store, err := streamstest.GetKeyValueStore[string, string](d, "rows")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.Get("a"); ok {
		t.Error("a is still in the table after its tombstone")
	}
	if v, ok, _ := store.Get("b"); !ok || v != "3" {
		t.Errorf("b = %q %v, want 3", v, ok)
	}

	rawIn := streamstest.CreateInputTopic(d, "raw", serde.String(), serde.Bytes())
	pipe(t, rawIn, "x", []byte("1"), 5)
	pipe(t, rawIn, "x", nil, 6)
	got := readAll(t, streamstest.CreateOutputTopic(d, "raw-out", serde.String(), serde.Bytes()))
	if len(got) != 2 || string(got[0].V) != "1" || got[1].V != nil {
		t.Fatalf("raw updates %v: the delete must come out as a tombstone", got)
	}
}

func digits(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func even(_ string, v *string) bool { n, _ := strconv.Atoi(*v); return n%2 == 0 }

// Kafka's KTableFilterTest: an unmaterialized source sends no old values,
// so a row the filter rejects comes out as a delete.
func TestTableFilterLikeKafka(t *testing.T) {
	b := streams.NewBuilder()
	tbl := streams.Table(b, "t", streams.ConsumedWith(serde.String(), nullString))
	tbl.Filter(even).ToStream().To("even", streams.ProducedWith(serde.String(), nullString))
	tbl.FilterNot(even).ToStream().To("odd", streams.ProducedWith(serde.String(), nullString))
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "t", serde.String(), nullString)
	for _, r := range []kvt[string, string]{{"A", "1", 10}, {"B", "2", 5}, {"C", "3", 8}, {"D", "4", 14}, {"A", "", 18}, {"B", "", 15}} {
		pipe(t, in, r.K, digits(r.V), r.TS)
	}
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "even", serde.String(), nullString)),
		kvt[string, *string]{"A", nil, 10}, kvt[string, *string]{"B", str("2"), 5}, kvt[string, *string]{"C", nil, 8},
		kvt[string, *string]{"D", str("4"), 14}, kvt[string, *string]{"A", nil, 18}, kvt[string, *string]{"B", nil, 15})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "odd", serde.String(), nullString)),
		kvt[string, *string]{"A", str("1"), 10}, kvt[string, *string]{"B", nil, 5}, kvt[string, *string]{"C", str("3"), 8},
		kvt[string, *string]{"D", nil, 14}, kvt[string, *string]{"A", nil, 18}, kvt[string, *string]{"B", nil, 15})
}

// Over a materialized table the filter gets old values, so a change from
// rejected to rejected sends nothing (Kafka's KTableFilter with
// sendOldValues).
func TestTableFilterOverMaterializedSkipsNoOps(t *testing.T) {
	b := streams.NewBuilder()
	tbl := streams.Table(b, "t", strings2, streams.Materialized[string, string]{StoreName: "src"})
	accepted := tbl.Filter(func(_, v string) bool { return v == "accept" }, streams.Materialized[string, string]{StoreName: "accepted"})
	accepted.ToStream().To("out", streams.ProducedWith(serde.String(), serde.String()))
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "t", serde.String(), serde.String())
	pipe(t, in, "A", "reject", 1)
	pipe(t, in, "A", "accept", 2)
	pipe(t, in, "A", "reject", 3)
	pipe(t, in, "A", "reject", 4)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())),
		kvt[string, string]{"A", "accept", 2}, kvt[string, string]{"A", "", 3})
	store, err := streamstest.GetKeyValueStore[string, string](d, "accepted")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.Get("A"); ok {
		t.Error("the filter's store still holds A after it was rejected")
	}
}

func TestTableMapValuesMaterialized(t *testing.T) {
	b := streams.NewBuilder()
	tbl := streams.Table(b, "t", streams.ConsumedWith(serde.String(), nullString))
	lengths := streams.TableMapValues(tbl, func(_ string, v *string) int64 { return int64(len(*v)) },
		streams.Materialized[string, int64]{StoreName: "lengths", StoreType: streams.InMemoryStore})
	lengths.ToStream().To("out", streams.ProducedWith(serde.String(), serde.Int64()))
	if lengths.QueryableStoreName() != "lengths" {
		t.Fatalf("queryable store %q", lengths.QueryableStoreName())
	}
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "t", serde.String(), nullString)
	pipe(t, in, "a", str("xyz"), 1)
	pipe(t, in, "b", str("q"), 2)
	pipe(t, in, "a", nil, 3)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.Int64())),
		kvt[string, int64]{"a", 3, 1}, kvt[string, int64]{"b", 1, 2}, kvt[string, int64]{"a", 0, 3})
	store, err := streamstest.GetKeyValueStore[string, int64](d, "lengths")
	if err != nil {
		t.Fatal(err)
	}
	it, err := store.All()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var rows []string
	for it.Next() {
		rows = append(rows, it.Key()+"="+strconv.FormatInt(it.Value(), 10))
	}
	if strings.Join(rows, ",") != "b=1" {
		t.Fatalf("store rows %v, want b=1", rows)
	}
}

// KStreamImplTest#shouldSupportKeyChangeKTableFromKStream: a stream turned
// into a table after a key change, through a repartition topic.
func TestToTableAfterKeyChange(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"input"}, strings2)
	streams.Map(s, func(k, v string) (int32, string) { return int32(k[0] - 'A'), v }).
		ToTable(streams.Materialized[int32, string]{KeySerde: serde.Int32()}).
		ToStream().To("output", streams.ProducedWith(serde.Int32(), serde.String()))
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "input", serde.String(), serde.String())
	pipe(t, in, "A", "01", 5)
	pipe(t, in, "B", "02", 100)
	pipe(t, in, "C", "03", 0)
	pipe(t, in, "D", "04", 0)
	pipe(t, in, "A", "05", 10)
	pipe(t, in, "A", "06", 8)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "output", serde.Int32(), serde.String())),
		kvt[int32, string]{0, "01", 5}, kvt[int32, string]{1, "02", 100}, kvt[int32, string]{2, "03", 0},
		kvt[int32, string]{3, "04", 0}, kvt[int32, string]{0, "05", 10}, kvt[int32, string]{0, "06", 8})
}

// A stream with null values becomes a table where null deletes.
func TestToTableNullDeletes(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, streams.ConsumedWith(serde.String(), nullString))
	tbl := s.ToTable(streams.Materialized[string, *string]{StoreName: "latest", ValueSerde: nullString})
	tbl.ToStream().To("out", streams.ProducedWith(serde.String(), nullString))
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "in", serde.String(), nullString)
	pipe(t, in, "a", str("1"), 1)
	pipe(t, in, "a", nil, 2)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), nullString)),
		kvt[string, *string]{"a", str("1"), 1}, kvt[string, *string]{"a", nil, 2})
	store, err := streamstest.GetKeyValueStore[string, *string](d, "latest")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.Get("a"); ok {
		t.Error("a survived its null value")
	}
}

type tableRow struct {
	Name string `json:"name"`
}

// A value that deserializes to null deletes the row, as in Kafka's KTable
// source: Debezium's default delete handling writes the JSON text null.
func TestTableSourceValueDeserializingToNullDeletes(t *testing.T) {
	b := streams.NewBuilder()
	tbl := streams.Table(b, "rows-json", streams.ConsumedWith(serde.String(), serde.JSON[*tableRow]()),
		streams.Materialized[string, *tableRow]{StoreName: "json-rows"})
	tbl.ToStream().To("rows-json-out")
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "rows-json", serde.String(), serde.Bytes())
	pipe(t, in, "a", []byte(`{"name":"Ada"}`), 1)
	pipe(t, in, "a", []byte(`null`), 2)
	store, err := streamstest.GetKeyValueStore[string, *tableRow](d, "json-rows")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := store.Get("a"); ok {
		t.Fatalf("a = %+v is still in the table after a null value", v)
	}
	out := readAll(t, streamstest.CreateOutputTopic(d, "rows-json-out", serde.String(), serde.Bytes()))
	if len(out) != 2 || out[1].V != nil {
		t.Fatalf("downstream saw %v, want the row then a tombstone", out)
	}
}
