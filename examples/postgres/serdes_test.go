package main

import (
	"testing"

	"github.com/runnel-dev/runnel/connect/convert"
	"github.com/runnel-dev/runnel/connect/data"
)

// The sink reads customer_totals through Kafka's JsonConverter, so the
// app must write exactly what the converter writes for the same Connect
// schema and value (decimal.format=NUMERIC).
func TestTotalsAreConnectJSON(t *testing.T) {
	conv := convert.NewJSONConverter()
	if err := conv.Configure(map[string]string{"decimal.format": "NUMERIC"}, false); err != nil {
		t.Fatal(err)
	}
	schema := data.StructBuilder().Name("runnel.examples.postgres.CustomerTotal").
		Field("total", data.DecimalSchema(2)).Field("order_count", data.Int64Schema).MustBuild()
	for _, r := range []Revenue{{Orders: 3, Total: 123456}, {Orders: 1, Total: -5}, {Orders: 2, Total: 0}} {
		want, err := conv.FromConnectData("customer_totals", nil, schema,
			data.NewStruct(schema).MustPut("total", data.NewDecimalFromInt64(int64(r.Total), 2)).MustPut("order_count", r.Orders))
		if err != nil {
			t.Fatal(err)
		}
		got, err := revenueSerde().Serialize("customer_totals", &r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("value %+v:\n got %s\nwant %s", r, got, want)
		}
		back, err := revenueSerde().Deserialize("customer_totals", got)
		if err != nil || back == nil || *back != r {
			t.Errorf("value %+v read back as %v, %v", r, back, err)
		}
	}
	want, err := conv.FromConnectData("customer_totals", nil, data.Int64Schema, int64(42))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := customerKeySerde().Serialize("customer_totals", 42)
	if string(got) != string(want) {
		t.Errorf("key:\n got %s\nwant %s", got, want)
	}
	if id, err := customerKeySerde().Deserialize("customer_totals", got); err != nil || id != 42 {
		t.Errorf("key read back as %d, %v", id, err)
	}
	if b, err := revenueSerde().Serialize("customer_totals", nil); err != nil || b != nil {
		t.Errorf("a customer without orders must be a tombstone, got %q, %v", b, err)
	}
}

func TestOrderSerdes(t *testing.T) {
	for _, key := range []string{`{"id":17}`, `{"schema":{"type":"struct"},"payload":{"id":17}}`} {
		if id, err := orderKeySerde().Deserialize("orders", []byte(key)); err != nil || id != 17 {
			t.Errorf("key %s: %d, %v", key, id, err)
		}
	}
	if _, err := orderKeySerde().Deserialize("orders", []byte(`{"order_no":17}`)); err == nil {
		t.Error("a key without id was accepted")
	}
	o, err := orderSerde().Deserialize("orders", []byte(`{"id":1,"customer_id":2,"amount":99.9,"status":"paid","created_at":"x"}`))
	if err != nil || o != (Order{ID: 1, CustomerID: 2, Amount: 9990, Status: "paid"}) {
		t.Fatalf("order: %+v, %v", o, err)
	}
	for _, bad := range []string{`null`, `{"schema":{},"payload":null}`, `{"id":1,"amount":2}`, `{"id":1,"customer_id":2}`} {
		if o, err := orderSerde().Deserialize("orders", []byte(bad)); err == nil {
			t.Errorf("order %s read as %+v, want an error", bad, o)
		}
	}
	b, _ := orderSerde().Serialize("orders", o)
	if again, err := orderSerde().Deserialize("orders", b); err != nil || again != o {
		t.Errorf("order %s read back as %+v, %v", b, again, err)
	}
}
