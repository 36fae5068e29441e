// Package postgres holds Runnel's PostgreSQL connectors with the
// configuration keys and behaviour of Confluent's JDBC connectors, so
// existing connector configs run unchanged:
//
//   - the sink (io.confluent.connect.jdbc.JdbcSinkConnector, aliases
//     JdbcSink, PostgresSink, postgres-sink) writes records into tables:
//     inserts with COPY, upserts as one INSERT ... ON CONFLICT per batch,
//     updates, deletes on tombstones, auto.create and auto.evolve;
//   - the polling source (io.confluent.connect.jdbc.JdbcSourceConnector,
//     aliases JdbcSource, PostgresSource, postgres-source) reads tables or
//     a query in bulk, incrementing, timestamp or timestamp+incrementing
//     mode, with Confluent's offsets and source partitions.
//
// Register them with connect.Plugins.Add(postgres.Plugins()...). The
// logical-replication (CDC) source lives in the cdc subpackage.
//
// Where Runnel goes beyond Confluent:
//
//   - the sink also takes schemaless JSON objects (map[string]any). Their
//     column types are inferred for auto.create/auto.evolve, and an upsert
//     sets only the entries an object has;
//   - MAP and STRUCT fields are written as JSON (JSONB with auto.create);
//   - records the database rejects (a value too long, a CHECK constraint,
//     a string that is not a number...) are found one by one and sent to
//     the errant record reporter (dead letter queue) while the rest of the
//     batch is written; without errors.tolerance=all, Put fails naming the
//     record and writes nothing;
//   - the source reads types Confluent skips (arrays, intervals, enums,
//     network types...) as strings in PostgreSQL's text form.
//
// Each Put is one transaction, so Flush has nothing to do and a crash
// between Put and the offset commit only redelivers records; upsert mode
// keeps the last record per key, which makes redelivery harmless.
package postgres
