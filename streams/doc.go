// Package streams runs Kafka Streams style applications: an App executes a
// topology.Topology as tasks (one per sub-topology and input partition)
// spread over the members of a consumer group named by application.id,
// with at-least-once commits, internal topic management and Kafka Streams'
// error-handling policies. The typed DSL lives here too.
package streams
