package streams_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/streams/streamstest"
	"github.com/runnel-dev/runnel/topology/serde"
)

func toStringAdder(_ string, v, agg string) string   { return agg + "+" + v }
func toStringRemover(_ string, v, agg string) string { return agg + "-" + v }
func zero() string                                   { return "0" }

// KTableAggregateTest#testAggBasic: re-grouping by the same key sends the
// old and new value together; the subtractor runs before the adder.
func TestTableAggregateBasic(t *testing.T) {
	b := streams.NewBuilder()
	tbl := streams.Table(b, "topic1", strings2)
	agg := streams.TableAggregate(
		streams.TableGroupBy(tbl, func(k, v string) (string, string) { return k, v }),
		zero, toStringAdder, toStringRemover,
		streams.Materialized[string, string]{StoreName: "topic1-Canonized"})
	agg.ToStream().To("out")
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "topic1", serde.String(), serde.String())
	for _, r := range []kvt[string, string]{{"A", "1", 10}, {"B", "2", 15}, {"A", "3", 20}, {"B", "4", 18}, {"C", "5", 5}, {"D", "6", 25}, {"B", "7", 15}, {"C", "8", 10}} {
		pipe(t, in, r.K, r.V, r.TS)
	}
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())),
		kvt[string, string]{"A", "0+1", 10}, kvt[string, string]{"B", "0+2", 15},
		kvt[string, string]{"A", "0+1-1+3", 20}, kvt[string, string]{"B", "0+2-2+4", 18},
		kvt[string, string]{"C", "0+5", 5}, kvt[string, string]{"D", "0+6", 25},
		kvt[string, string]{"B", "0+2-2+4-4+7", 18}, kvt[string, string]{"C", "0+5-5+8", 10})
	if got := d.ProducedTopicNames(); !slices.Contains(got, "test-driver-app-topic1-Canonized-repartition") {
		t.Fatalf("produced topics %v: want the repartition topic named after the store", got)
	}
}

// KTableAggregateTest#testAggRepartition: a moved row is subtracted from
// its old group and added to its new one; rows mapped to a null key or to
// nothing are skipped.
func TestTableAggregateRepartition(t *testing.T) {
	b := streams.NewBuilder()
	tbl := streams.Table(b, "topic1", streams.ConsumedWith(serde.String(), nullString))
	grouped := streams.TableGroupBy(tbl, func(k string, v *string) (*string, *string) {
		switch k {
		case "null":
			return nil, v
		case "NULL":
			return nil, nil
		}
		return v, v
	}, streams.Grouped[*string, *string]{KeySerde: nullString, ValueSerde: nullString})
	agg := streams.TableAggregate(grouped,
		func() string { return "0" },
		func(_ *string, v *string, agg string) string { return agg + "+" + *v },
		func(_ *string, v *string, agg string) string { return agg + "-" + *v },
		streams.Materialized[*string, string]{StoreName: "topic1-Canonized", ValueSerde: serde.String()})
	agg.ToStream().To("out", streams.ProducedWith(nullString, serde.String()))
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "topic1", serde.String(), nullString)
	for _, r := range []kvt[string, *string]{{"A", str("1"), 10}, {"A", nil, 15}, {"A", str("1"), 12}, {"B", str("2"), 20},
		{"null", str("3"), 25}, {"B", str("4"), 23}, {"NULL", str("5"), 24}, {"B", str("7"), 22}} {
		pipe(t, in, r.K, r.V, r.TS)
	}
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", nullString, serde.String())),
		kvt[*string, string]{str("1"), "0+1", 10}, kvt[*string, string]{str("1"), "0+1-1", 15},
		kvt[*string, string]{str("1"), "0+1-1+1", 15}, kvt[*string, string]{str("2"), "0+2", 20},
		kvt[*string, string]{str("2"), "0+2-2", 23}, kvt[*string, string]{str("4"), "0+4", 23},
		kvt[*string, string]{str("4"), "0+4-4", 23}, kvt[*string, string]{str("7"), "0+7", 22})
}

// KTableAggregateTest#testCount: counts go down when a row leaves its group.
func TestTableCount(t *testing.T) {
	b := streams.NewBuilder()
	tbl := streams.Table(b, "count-test-input", strings2)
	streams.TableGroupBy(tbl, func(_, v string) (string, string) { return v, v }).
		Count(streams.Materialized[string, int64]{StoreName: "count"}).
		ToStream().To("out")
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "count-test-input", serde.String(), serde.String())
	for _, r := range []kvt[string, string]{{"A", "green", 10}, {"B", "green", 9}, {"A", "blue", 12}, {"C", "yellow", 15}, {"D", "green", 11}} {
		pipe(t, in, r.K, r.V, r.TS)
	}
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.Int64())),
		kvt[string, int64]{"green", 1, 10}, kvt[string, int64]{"green", 2, 10}, kvt[string, int64]{"green", 1, 12},
		kvt[string, int64]{"blue", 1, 12}, kvt[string, int64]{"yellow", 1, 15}, kvt[string, int64]{"green", 2, 12})
}

// KTableAggregateTest#testRemoveOldBeforeAddNew.
func TestTableAggregateRemovesOldBeforeAddingNew(t *testing.T) {
	b := streams.NewBuilder()
	tbl := streams.Table(b, "count-test-input", streams.ConsumedWith(serde.String(), nullString))
	grouped := streams.TableGroupBy(tbl, func(k string, _ *string) (string, string) { return k[:1], k[1:2] })
	streams.TableAggregate(grouped, func() string { return "" },
		func(_, v, agg string) string { return agg + v },
		func(_, v, agg string) string { return strings.ReplaceAll(agg, v, "") },
		streams.Materialized[string, string]{StoreName: "someStore"}).
		ToStream().To("out")
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "count-test-input", serde.String(), nullString)
	pipe(t, in, "11", str("A"), 10)
	pipe(t, in, "12", str("B"), 8)
	pipe(t, in, "11", nil, 12)
	pipe(t, in, "12", str("C"), 6)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())),
		kvt[string, string]{"1", "1", 10}, kvt[string, string]{"1", "12", 10},
		kvt[string, string]{"1", "2", 12}, kvt[string, string]{"1", "2", 12})
}

// KGroupedTable#reduce with an adder and a subtractor: a running total per
// group that follows rows moving between groups.
func TestTableReduce(t *testing.T) {
	b := streams.NewBuilder()
	tbl := streams.Table(b, "balances", streams.ConsumedWith(serde.String(), serde.Int64()))
	byRegion := streams.TableGroupBy(tbl, func(account string, balance int64) (string, int64) {
		return account[:2], balance
	})
	byRegion.Reduce(func(a, v int64) int64 { return a + v }, func(a, v int64) int64 { return a - v },
		streams.Materialized[string, int64]{StoreName: "totals"}).ToStream().To("out")
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "balances", serde.String(), serde.Int64())
	pipe(t, in, "eu-1", 10, 1)
	pipe(t, in, "eu-2", 5, 2)
	pipe(t, in, "us-1", 7, 3)
	pipe(t, in, "eu-1", 12, 4)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.Int64())),
		kvt[string, int64]{"eu", 10, 1}, kvt[string, int64]{"eu", 15, 2}, kvt[string, int64]{"us", 7, 3}, kvt[string, int64]{"eu", 17, 4})
}

func TestStreamCountReduceAggregate(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"in"}, streams.ConsumedWith(serde.String(), nullString))
	g := s.GroupByKey()
	g.Count().ToStream().To("count")
	g.Reduce(func(a, v *string) *string { r := *a + *v; return &r }).ToStream().To("reduce", streams.ProducedWith(serde.String(), nullString))
	streams.Aggregate(g, func() int64 { return 100 }, func(_ string, v *string, agg int64) int64 { return agg + int64(len(*v)) }).
		ToStream().To("aggregate")
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "in", serde.String(), nullString)
	pipe(t, in, "a", str("x"), 5)
	pipe(t, in, "a", str("yy"), 3) // older: the aggregate keeps the newest time
	pipe(t, in, "a", nil, 9)       // null values are skipped
	pipe(t, in, "b", str("z"), 7)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "count", serde.String(), serde.Int64())),
		kvt[string, int64]{"a", 1, 5}, kvt[string, int64]{"a", 2, 5}, kvt[string, int64]{"b", 1, 7})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "reduce", serde.String(), nullString)),
		kvt[string, *string]{"a", str("x"), 5}, kvt[string, *string]{"a", str("xyy"), 5}, kvt[string, *string]{"b", str("z"), 7})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "aggregate", serde.String(), serde.Int64())),
		kvt[string, int64]{"a", 101, 5}, kvt[string, int64]{"a", 103, 5}, kvt[string, int64]{"b", 101, 7})
}

// GroupBy re-keys through a repartition topic named after Grouped; an
// aggregation of that table re-grouped again needs the old values, which
// the stream aggregation then sends (Kafka: the initial value for a new
// key, so a count's first update is 0 -> 1).
func TestGroupByThenRegroupTable(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"clicks"}, strings2)
	perUser := streams.GroupBy(s, func(_, user string) string { return user }, streams.Grouped[string, string]{Name: "by-user"}).Count()
	// how many users have each click count
	streams.TableGroupBy(perUser, func(_ string, n int64) (int64, string) { return n, "" },
		streams.Grouped[int64, string]{KeySerde: serde.Int64()}).
		Count().ToStream().To("histogram", streams.ProducedWith(serde.Int64(), serde.Int64()))
	d := build(t, b)
	in := streamstest.CreateInputTopic(d, "clicks", serde.String(), serde.String())
	pipe(t, in, "", "ann", 1)
	pipe(t, in, "", "bob", 2)
	pipe(t, in, "", "ann", 3)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "histogram", serde.Int64(), serde.Int64())),
		kvt[int64, int64]{1, 1, 1}, kvt[int64, int64]{1, 2, 2},
		kvt[int64, int64]{1, 1, 3}, kvt[int64, int64]{2, 1, 3})
	if got := d.ProducedTopicNames(); !slices.Contains(got, "test-driver-app-by-user-repartition") {
		t.Fatalf("first repartition topic %v", got)
	}
}

// A count's store is cached by default: between commits a key's updates
// are one store write, one changelog record and one output record. The
// driver commits after each input record, so updates made by one record
// merge.
func TestCachingMergesUpdatesOfOneRecord(t *testing.T) {
	for _, cached := range []bool{true, false} {
		b := streams.NewBuilder()
		s := streams.Stream(b, []string{"in"}, strings2)
		words := streams.FlatMapValues(s, strings.Fields)
		m := streams.Materialized[string, int64]{StoreName: "counts", CachingDisabled: !cached}
		words.GroupByKey().Count(m).ToStream().To("out") // keyed by line key: no repartition
		d := build(t, b)
		in := streamstest.CreateInputTopic(d, "in", serde.String(), serde.String())
		pipe(t, in, "k", "a b c", 1)
		got := readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.Int64()))
		changelog := readAll(t, streamstest.CreateOutputTopic(d, "test-driver-app-counts-changelog", serde.String(), serde.Bytes()))
		if cached {
			expect(t, got, kvt[string, int64]{"k", 3, 1})
			if len(changelog) != 1 {
				t.Errorf("cached: %d changelog records, want 1", len(changelog))
			}
		} else {
			expect(t, got, kvt[string, int64]{"k", 1, 1}, kvt[string, int64]{"k", 2, 1}, kvt[string, int64]{"k", 3, 1})
			if len(changelog) != 3 {
				t.Errorf("uncached: %d changelog records, want 3", len(changelog))
			}
		}
	}
}
