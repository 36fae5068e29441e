// Package workers is Runnel's Kafka Connect runtime: a Worker that runs
// connectors and their tasks against a Kafka cluster (through franz-go),
// a standalone herder that manages connector configurations, target states
// and statuses with source offsets in a local file, and the entities of the
// Kafka Connect REST API (served by package workers/rest).
//
// Behaviour follows Apache Kafka Connect: configuration keys, error handling
// (errors.tolerance, retries, error log, dead letter queue), offset commit
// rules and REST semantics. Runnel additions are named runnel.*; see
// WorkerConfigDef for the list.
package workers
