package main

import (
	"fmt"
	"testing"

	"github.com/runnel-dev/runnel/streams/streamstest"
	"github.com/runnel-dev/runnel/topology/serde"
)

// The topology on Kafka's TopologyTestDriver semantics, fed the bytes the
// CDC connector writes: inserts, an amount change, a customer change,
// deletes, and records in the converter's schemas.enable=true form.
func TestRevenueTopology(t *testing.T) {
	topo, err := NewRevenueTopology("shop.public.orders", "customer_totals")
	if err != nil {
		t.Fatal(err)
	}
	d, err := streamstest.New(topo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	in := streamstest.CreateInputTopic(d, "shop.public.orders", serde.Bytes(), serde.Bytes())
	out := streamstest.CreateOutputTopic(d, "customer_totals", customerKeySerde(), revenueSerde())
	key := func(id int) []byte { return fmt.Appendf(nil, `{"id":%d}`, id) }
	row := func(id, customer int, amount string) []byte {
		return fmt.Appendf(nil, `{"id":%d,"customer_id":%d,"amount":%s,"status":"new","created_at":"2025-01-02T03:04:05.000000Z"}`, id, customer, amount)
	}
	type total struct {
		customer int64
		rev      *Revenue // nil: tombstone
	}
	step := func(what string, k, v []byte, want ...total) {
		t.Helper()
		if err := in.PipeInput(k, v); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got, err := out.ReadRecordsToList()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d output records, want %d: %v", what, len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			switch {
			case g.Key != w.customer:
				t.Errorf("%s: record %d is for customer %d, want %d", what, i, g.Key, w.customer)
			case (g.Value == nil) != (w.rev == nil):
				t.Errorf("%s: customer %d: got %v, want %v", what, w.customer, g.Value, w.rev)
			case g.Value != nil && *g.Value != *w.rev:
				t.Errorf("%s: customer %d: got %+v, want %+v", what, w.customer, *g.Value, *w.rev)
			}
		}
	}
	step("insert order 1", key(1), row(1, 7, "10.00"), total{7, &Revenue{1, 1000}})
	step("insert order 2", key(2), row(2, 7, "5.5"), total{7, &Revenue{2, 1550}})
	step("insert order 3", key(3), row(3, 8, "1.25"), total{8, &Revenue{1, 125}})
	step("order 2 costs 6.00", key(2), row(2, 7, "6.00"), total{7, &Revenue{2, 1600}})
	step("order 1 moves to customer 8", key(1), row(1, 8, "10.00"),
		total{7, &Revenue{1, 600}}, total{8, &Revenue{2, 1125}})
	step("delete order 2", key(2), nil, total{7, nil})
	step("delete an unknown order", key(99), nil)
	step("insert in the schemas.enable=true form",
		[]byte(`{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":false},"payload":{"id":4}}`),
		[]byte(`{"schema":{"type":"struct","fields":[]},"payload":{"id":4,"customer_id":7,"amount":"2.05","status":"new"}}`),
		total{7, &Revenue{1, 205}})
	step("the only order of customer 7 changes amount", key(4), row(4, 7, "3.00"), total{7, &Revenue{1, 300}})
	step("delete order 3", key(3), nil, total{8, &Revenue{1, 1000}})
}

// A record the app cannot read fails the app (Kafka's default
// LogAndFail), naming the record.
func TestRevenueTopologyRejectsBadAmount(t *testing.T) {
	topo, err := NewRevenueTopology("orders", "totals")
	if err != nil {
		t.Fatal(err)
	}
	d, err := streamstest.New(topo)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	in := streamstest.CreateInputTopic(d, "orders", serde.Bytes(), serde.Bytes())
	err = in.PipeInput([]byte(`{"id":1}`), []byte(`{"id":1,"customer_id":7,"amount":1.234}`))
	if err == nil {
		t.Fatal("an amount with three fraction digits was accepted")
	}
	t.Log(err)
}
