// Package state holds Runnel's state stores, their changelogs and their
// restoration.
//
// A StateStore is owned by one task (one partition of one sub-topology) and
// is driven by that task's goroutine. Typed stores (KeyValueStore,
// TimestampedKeyValueStore, WindowStore, SessionStore) are serde wrappers
// over byte-level stores whose keys are ordered by their serialized bytes,
// as in Kafka Streams, so ranges follow byte order. Stores are declared
// with builders (KeyValueStoreBuilder, WindowStoreBuilder, ...) over
// suppliers that pick Pebble (Persistent...) or memory (InMemory...).
//
// Under the streams runtime one Manager per instance holds every
// persistent store in a single Pebble database with a shared memory
// budget: each task writes into one batch that Manager.Commit applies
// together with the changelog offsets it reflects, Manager.Restore
// replays changelogs from those checkpoints, and a shared RecordCache
// coalesces updates of caching stores between commits. DESIGN.md
// ("State") explains the layout and the commit protocol.
package state
