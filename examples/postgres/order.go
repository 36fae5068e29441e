package main

// Order is one row of the orders table as the CDC connector writes it
// after ExtractNewRecordState: the row's columns as a JSON object. Columns
// the revenue does not need (created_at...) are ignored.
type Order struct {
	ID         int64  `json:"id"`
	CustomerID int64  `json:"customer_id"`
	Amount     Cents  `json:"amount"`
	Status     string `json:"status"`
}

// Revenue is one customer's row of the revenue table: how many orders the
// customer has and their total amount. A customer without orders has no
// Revenue (nil), so the row disappears from the table.
type Revenue struct {
	Orders int64 `json:"order_count"`
	Total  Cents `json:"total"`
}

// addOrder is the aggregation's adder: an order joins its customer.
func addOrder(_ int64, amount Cents, r *Revenue) *Revenue {
	return &Revenue{Orders: r.Orders + 1, Total: r.Total + amount}
}

// removeOrder is the aggregation's subtractor: an order leaves its
// customer (deleted, moved to another customer, or replaced by its updated
// version). The customer's last order leaving deletes the row: a nil
// aggregate is Kafka's null, which removes the key from the table and sends
// a tombstone downstream.
func removeOrder(_ int64, amount Cents, r *Revenue) *Revenue {
	if r.Orders <= 1 {
		return nil
	}
	return &Revenue{Orders: r.Orders - 1, Total: r.Total - amount}
}

// noRevenue is the aggregation's initializer.
func noRevenue() *Revenue { return &Revenue{} }
