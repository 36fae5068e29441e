package streams_test

import (
	"slices"
	"testing"

	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/streams/streamstest"
	"github.com/runnel-dev/runnel/topology/serde"
)

// The join semantics table of Kafka's DSL docs (dsl-api.html), one key:
// the stream is the left side, the table the right. Only stream records
// trigger; table records just update state; nulls: a null stream value is
// dropped, a null table value deletes.
var joinInputs = []struct {
	ts    int64
	left  bool // stream (left) or table (right)
	value *string
}{
	{1, true, nil}, {2, false, nil}, {3, true, str("A")}, {4, false, str("a")}, {5, true, str("B")}, {6, false, str("b")},
	{7, true, nil}, {8, false, nil}, {9, true, str("C")}, {10, false, str("c")}, {11, false, nil}, {12, true, nil},
	{13, false, nil}, {14, false, str("d")}, {15, true, str("D")},
}

func pair(s, t *string) string { return "[" + show(s) + "," + show(t) + "]" }

func TestStreamTableJoinLikeKafkaDocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		join func(*streams.KStream[string, *string], *streams.KTable[string, *string], func(*string, *string) string, ...streams.Option) *streams.KStream[string, string]
		want []kvt[string, string]
	}{
		{"inner", streams.Join[string, *string, *string, string], []kvt[string, string]{{"k", "[B,a]", 5}, {"k", "[D,d]", 15}}},
		{"left", streams.LeftJoin[string, *string, *string, string], []kvt[string, string]{{"k", "[A,null]", 3}, {"k", "[B,a]", 5}, {"k", "[C,null]", 9}, {"k", "[D,d]", 15}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := streams.NewBuilder()
			s := streams.Stream(b, []string{"left"}, streams.ConsumedWith(serde.String(), nullString))
			tbl := streams.Table(b, "right", streams.ConsumedWith(serde.String(), nullString))
			tc.join(s, tbl, pair).To("out")
			d := build(t, b)
			left := streamstest.CreateInputTopic(d, "left", serde.String(), nullString)
			right := streamstest.CreateInputTopic(d, "right", serde.String(), nullString)
			for _, in := range joinInputs {
				if in.left {
					pipe(t, left, "k", in.value, in.ts)
				} else {
					pipe(t, right, "k", in.value, in.ts)
				}
			}
			expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())), tc.want...)
		})
	}
}

// A key change before the join repartitions the stream; the join then
// reads the table's store, which the join materialized.
func TestStreamTableJoinAfterKeyChange(t *testing.T) {
	b := streams.NewBuilder()
	orders := streams.Stream(b, []string{"orders"}, strings2) // key: order id, value: customer id
	customers := streams.Table(b, "customers", strings2)
	byCustomer := streams.SelectKey(orders, func(_, customer string) string { return customer })
	streams.Join(byCustomer, customers, func(customer, name string) string { return customer + ":" + name },
		streams.Joined[string, string, string]{Name: "enrich"}).To("out")
	d := build(t, b)
	cust := streamstest.CreateInputTopic(d, "customers", serde.String(), serde.String())
	ord := streamstest.CreateInputTopic(d, "orders", serde.String(), serde.String())
	pipe(t, cust, "c1", "Ann", 1)
	pipe(t, ord, "o1", "c1", 2)
	pipe(t, ord, "o2", "c2", 3) // no customer: no output
	pipe(t, cust, "c2", "Bob", 4)
	pipe(t, ord, "o3", "c2", 5)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())),
		kvt[string, string]{"c1", "c1:Ann", 2}, kvt[string, string]{"c2", "c2:Bob", 5})
	if names := d.ProducedTopicNames(); !slices.Contains(names, "test-driver-app-enrich-repartition") {
		t.Fatalf("produced topics %v: want the join's repartition topic", names)
	}
}

// Joining a filtered table reads through the filter without a store of
// its own.
func TestStreamJoinFilteredTable(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"s"}, strings2)
	tbl := streams.Table(b, "t", strings2).Filter(func(_, v string) bool { return v != "hidden" })
	streams.LeftJoin(s, tbl, func(v, tv string) string { return v + "/" + tv }).To("out")
	d := build(t, b)
	tin := streamstest.CreateInputTopic(d, "t", serde.String(), serde.String())
	sin := streamstest.CreateInputTopic(d, "s", serde.String(), serde.String())
	pipe(t, tin, "a", "visible", 1)
	pipe(t, tin, "b", "hidden", 2)
	pipe(t, sin, "a", "x", 3)
	pipe(t, sin, "b", "y", 4)
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "out", serde.String(), serde.String())),
		kvt[string, string]{"a", "x/visible", 3}, kvt[string, string]{"b", "y/", 4})
}

func TestStreamGlobalTableJoins(t *testing.T) {
	b := streams.NewBuilder()
	s := streams.Stream(b, []string{"orders"}, streams.ConsumedWith(serde.String(), nullString))
	products := streams.GlobalTable(b, "products", streams.ConsumedWith(serde.String(), nullString))
	productOf := func(_ string, v *string) string { return (*v)[:2] }
	streams.JoinGlobal(s, products, productOf, pair).To("inner")
	streams.LeftJoinGlobal(s, products, productOf, pair).To("left")
	d := build(t, b)
	prod := streamstest.CreateInputTopic(d, "products", serde.String(), nullString)
	ord := streamstest.CreateInputTopic(d, "orders", serde.String(), nullString)
	pipe(t, prod, "p1", str("pen"), 1)
	pipe(t, ord, "o1", str("p1 x2"), 2)
	pipe(t, ord, "o2", str("p2 x1"), 3)
	pipe(t, prod, "p1", nil, 4) // deleted from the global table
	pipe(t, ord, "o3", str("p1 x5"), 5)
	pipe(t, ord, "o4", nil, 6) // null value: dropped before the key mapper runs
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "inner", serde.String(), serde.String())),
		kvt[string, string]{"o1", "[p1 x2,pen]", 2})
	expect(t, readAll(t, streamstest.CreateOutputTopic(d, "left", serde.String(), serde.String())),
		kvt[string, string]{"o1", "[p1 x2,pen]", 2}, kvt[string, string]{"o2", "[p2 x1,null]", 3}, kvt[string, string]{"o3", "[p1 x5,null]", 5})
	if s := d.StateStore(products.QueryableStoreName()); s == nil {
		t.Fatalf("no global store %q", products.QueryableStoreName())
	}
}
