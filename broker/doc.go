// Package broker runs Runnel's bundled Kafka-compatible broker in-process.
//
// It wraps franz-go's kfake as a single broker that persists to a data
// directory (guarded by a lock file), advertises a configurable host:port,
// and refuses oversized request frames. It is for development, tests and
// single-node use; production clusters should run Apache Kafka or Redpanda.
package broker
