package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/runnel-dev/runnel/topology/serde"
)

// The orders topic is written by the CDC connector with Kafka's
// JsonConverter: keys are {"id":N} and values the row's columns. Both
// serdes also accept the converter's schemas.enable=true form
// ({"schema":..,"payload":..}), so the app works with either setting.

// orderKeySerde reads the order id out of a CDC record key.
func orderKeySerde() serde.Serde[int64] {
	return serde.Funcs("OrderKey",
		func(_ string, id int64) ([]byte, error) { return fmt.Appendf(nil, `{"id":%d}`, id), nil },
		func(_ string, b []byte) (int64, error) {
			var k struct {
				ID *int64 `json:"id"`
			}
			if err := json.Unmarshal(payload(b), &k); err != nil {
				return 0, fmt.Errorf("order key %.100q: %w", b, err)
			}
			if k.ID == nil {
				return 0, fmt.Errorf("order key %.100q has no \"id\": the topic must be keyed by the orders table's primary key", b)
			}
			return *k.ID, nil
		})
}

// orderSerde reads an order row. It writes the fields the app keeps (in
// the table's store and changelog) as plain JSON.
//
// A row must have customer_id and amount: anything else would silently
// count as customer 0 with no money. In particular a delete must arrive as
// a tombstone (no value at all), which ExtractNewRecordState's
// delete-to-tombstone mode writes; its tombstone mode writes the JSON text
// null instead.
func orderSerde() serde.Serde[Order] {
	return serde.Funcs("Order",
		func(_ string, o Order) ([]byte, error) { return json.Marshal(o) },
		func(_ string, b []byte) (Order, error) {
			var row struct {
				ID         int64  `json:"id"`
				CustomerID *int64 `json:"customer_id"`
				Amount     *Cents `json:"amount"`
				Status     string `json:"status"`
			}
			if err := json.Unmarshal(payload(b), &row); err != nil {
				return Order{}, fmt.Errorf("order %.200q: %w", b, err)
			}
			if row.CustomerID == nil || row.Amount == nil {
				return Order{}, fmt.Errorf("order %.200q has no customer_id or amount; deletes must be tombstones "+
					"(transforms.unwrap.delete.tombstone.handling.mode=delete-to-tombstone)", b)
			}
			return Order{ID: row.ID, CustomerID: *row.CustomerID, Amount: *row.Amount, Status: row.Status}, nil
		})
}

// payload returns the "payload" of a JsonConverter envelope, or b itself.
func payload(b []byte) []byte {
	if !bytes.Contains(b, []byte(`"schema"`)) {
		return b
	}
	var env struct {
		Schema  json.RawMessage `json:"schema"`
		Payload json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(b, &env) != nil || env.Schema == nil || env.Payload == nil {
		return b
	}
	return env.Payload
}

// centsSerde writes amounts on the repartition topic as 8-byte longs.
func centsSerde() serde.Serde[Cents] {
	longs := serde.Int64()
	return serde.Funcs("Cents",
		func(topic string, c Cents) ([]byte, error) { return longs.Serialize(topic, int64(c)) },
		func(topic string, b []byte) (Cents, error) {
			n, err := longs.Deserialize(topic, b)
			return Cents(n), err
		})
}

// The customer_totals topic is read by the JDBC sink through Kafka's
// JsonConverter with schemas.enable=true: every key and value carries its
// Connect schema, which is how the sink knows the columns to create. The
// key is the customer id (an int64, column customer_id by pk.fields); the
// value a struct with the Decimal total (scale 2, written as a JSON number,
// the converter's decimal.format=NUMERIC) and the order count.
const (
	customerKeySchema = `{"type":"int64","optional":false}`
	revenueSchema     = `{"type":"struct","fields":[` +
		`{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"total"},` +
		`{"type":"int64","optional":false,"field":"order_count"}],` +
		`"optional":false,"name":"runnel.examples.postgres.CustomerTotal"}`
)

// customerKeySerde writes the customer id with its Connect schema.
func customerKeySerde() serde.Serde[int64] {
	return serde.Funcs("ConnectJSON(int64)",
		func(_ string, id int64) ([]byte, error) {
			b := strconv.AppendInt([]byte(`{"schema":`+customerKeySchema+`,"payload":`), id, 10)
			return append(b, '}'), nil
		},
		func(_ string, b []byte) (int64, error) {
			var id *int64
			if err := json.Unmarshal(payload(b), &id); err != nil || id == nil {
				return 0, fmt.Errorf("customer key %.100q is not a Connect JSON int64", b)
			}
			return *id, nil
		})
}

// revenueSerde writes a customer's revenue with its Connect schema; a nil
// revenue (the customer has no orders left) is a tombstone, which the sink
// turns into a DELETE (delete.enabled=true).
func revenueSerde() serde.Serde[*Revenue] {
	return serde.Funcs("ConnectJSON(CustomerTotal)",
		func(_ string, r *Revenue) ([]byte, error) {
			if r == nil {
				return nil, nil
			}
			b := []byte(`{"schema":` + revenueSchema + `,"payload":{"total":`)
			b = append(b, r.Total.String()...)
			b = append(b, `,"order_count":`...)
			b = strconv.AppendInt(b, r.Orders, 10)
			return append(b, "}}"...), nil
		},
		func(_ string, b []byte) (*Revenue, error) {
			if b == nil {
				return nil, nil
			}
			var r Revenue
			if err := json.Unmarshal(payload(b), &r); err != nil {
				return nil, fmt.Errorf("customer total %.200q: %w", b, err)
			}
			return &r, nil
		})
}
