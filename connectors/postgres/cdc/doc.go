// Package cdc is the PostgreSQL change data capture source connector: it
// reads a logical replication slot (pgoutput) and emits Debezium-compatible
// change events, configured with Debezium's PostgreSQL connector keys
// (io.debezium.connector.postgresql.PostgresConnector).
//
// A task optionally snapshots the captured tables, consistently with the
// slot's starting point, then streams inserts, updates, deletes (followed
// by tombstones) and truncates. The slot is confirmed to the server only up
// to offsets the Connect runtime has committed, so a crash never loses a
// change; heartbeats and idle positions let it advance on quiet databases.
package cdc
