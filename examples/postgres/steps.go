package main

// step is one change to the orders table, made in one transaction.
type step struct {
	title string
	sql   []string
	// noWait goes on to the next step at once, without waiting for
	// customer_totals to catch up (the last step always waits).
	noWait bool
}

// demoSteps tell the story the README walks through: orders are inserted,
// change amount and status, move to another customer and are deleted, and
// customer_totals follows each change. The orders table is fresh, so the
// ids are 1 to 6 in insertion order.
var demoSteps = []step{
	{title: "six orders for customers 101, 102 and 103", sql: []string{
		"INSERT INTO orders (customer_id, amount) VALUES (101, 25.00), (101, 14.50), (102, 99.99), (102, 5.00), (103, 42.00), (103, 8.25)",
	}},
	{title: "order 2 now costs 20.00; order 3 is paid (no change in revenue)", sql: []string{
		"UPDATE orders SET amount = 20.00 WHERE id = 2",
		"UPDATE orders SET status = 'paid' WHERE id = 3",
	}},
	{title: "order 5 moves from customer 103 to customer 101", sql: []string{
		"UPDATE orders SET customer_id = 101 WHERE id = 5",
	}},
	{title: "order 4 and customer 103's last order are deleted: 103 leaves the table", sql: []string{
		"DELETE FROM orders WHERE id IN (4, 6)",
	}},
	{title: "customer 104 orders; order 1 is cancelled", sql: []string{
		"INSERT INTO orders (customer_id, amount) VALUES (104, 12.34)",
		"DELETE FROM orders WHERE id = 1",
	}},
}
