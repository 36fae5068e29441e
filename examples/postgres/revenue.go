package main

import (
	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// Names the streams app gives its parts; the store and grouping names fix
// the internal topic names (<app>-orders-by-id-changelog,
// <app>-orders-by-customer-repartition, <app>-revenue-per-customer-changelog)
// so they stay the same when the topology changes.
const (
	ApplicationID = "customer-revenue"
	OrdersStore   = "orders-by-id"
	ByCustomer    = "orders-by-customer"
	RevenueStore  = "revenue-per-customer"
)

// NewRevenueTopology keeps the revenue per customer of the orders topic:
//
//	table(orders)                                  order id -> order (a tombstone deletes)
//	  .groupBy((id, o) -> (o.customer_id, o.amount))  re-keyed by customer
//	  .aggregate(init, adder, subtractor)            customer -> {total, order_count}
//	  .toStream().to(totals)                         upserts and tombstones for the sink
//
// As in Kafka Streams, every change of an order reaches the aggregate as
// "subtract the old row, add the new one": a new amount replaces the old
// one in the customer's total, an order moved to another customer leaves
// the first and joins the second, and a deleted order is subtracted. The
// last order leaving a customer deletes the customer's row.
func NewRevenueTopology(ordersTopic, totalsTopic string) (*topology.Topology, error) {
	b := streams.NewBuilder()
	orders := streams.Table(b, ordersTopic, streams.ConsumedWith(orderKeySerde(), orderSerde()),
		streams.Materialized[int64, Order]{StoreName: OrdersStore})
	byCustomer := streams.TableGroupBy(orders,
		func(_ int64, o Order) (int64, Cents) { return o.CustomerID, o.Amount },
		streams.Grouped[int64, Cents]{Name: ByCustomer, KeySerde: serde.Int64(), ValueSerde: centsSerde()})
	revenue := streams.TableAggregate(byCustomer, noRevenue, addOrder, removeOrder,
		streams.Materialized[int64, *Revenue]{StoreName: RevenueStore, KeySerde: serde.Int64(), ValueSerde: serde.JSON[*Revenue]()})
	revenue.ToStream().To(totalsTopic, streams.ProducedWith(customerKeySerde(), revenueSerde()))
	return b.Build()
}
