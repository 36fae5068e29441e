// Package state holds Runnel's state store contract and its stores.
//
// A StateStore is owned by one task (one partition of one sub-topology) and
// is driven by that task's goroutine. Typed stores such as KeyValueStore[K,V]
// are thin serde wrappers over byte-level stores whose keys are ordered by
// their serialized bytes, as in Kafka Streams, so ranges follow byte order.
//
// Stores are declared with builders (KeyValueStoreBuilder) that record the
// changelog and caching switches; the task engine in package topology builds
// one instance per task and initialises it with a StateStoreContext.
package state
