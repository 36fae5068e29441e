// Package postgres holds Runnel's PostgreSQL connectors with the
// configuration keys and behaviour of Confluent's JDBC connectors, so
// existing connector configs run unchanged:
//
//   - the sink (io.confluent.connect.jdbc.JdbcSinkConnector, alias
//     PostgresSink/JdbcSink) writes records into tables: insert via COPY,
//     batched upserts and updates, deletes on tombstones, auto.create and
//     auto.evolve;
//   - the polling source (io.confluent.connect.jdbc.JdbcSourceConnector,
//     alias PostgresSource/JdbcSource) reads tables or a query in bulk,
//     incrementing, timestamp or timestamp+incrementing mode.
//
// Register them with connect.Plugins.Add(postgres.Plugins()...). The
// logical-replication (CDC) source lives in the cdc subpackage.
package postgres
