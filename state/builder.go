package state

import (
	"fmt"
	"maps"

	"github.com/runnel-dev/runnel/topology/serde"
)

// KeyValueBytesStoreSupplier makes byte-level key-value stores, one per task.
type KeyValueBytesStoreSupplier interface {
	Name() string
	// Get returns a new, unopened store.
	Get() KeyValueBytesStore
}

// StoreBuilder declares a store in a topology and builds one instance of it
// per task. Logging and caching are the Kafka switches: logging (a
// changelog topic) is on by default, caching is off by default. Logging
// wraps the store so every change goes to the changelog; caching puts a
// record cache in front that coalesces updates per key until the commit.
type StoreBuilder interface {
	Name() string
	// Build returns a new, unopened store (the root of its layered stack).
	Build() (StateStore, error)
	LoggingEnabled() bool
	// LogConfig holds topic configs for the changelog topic.
	LogConfig() map[string]string
	CachingEnabled() bool
}

// storeSwitches are the logging and caching switches every store builder
// has; each builder's fluent With... methods set them.
type storeSwitches struct {
	logging   bool
	logConfig map[string]string
	caching   bool
}

func (s *storeSwitches) enableLogging(config map[string]string) {
	s.logging, s.logConfig = true, maps.Clone(config)
}

func (s *storeSwitches) disableLogging() { s.logging, s.logConfig = false, nil }

// LoggingEnabled reports whether the store writes a changelog.
func (s *storeSwitches) LoggingEnabled() bool { return s.logging }

// KeyValueBuilder builds typed key-value stores over a byte-store supplier.
type KeyValueBuilder[K, V any] struct {
	supplier   KeyValueBytesStoreSupplier
	keySerde   serde.Serde[K]
	valueSerde serde.Serde[V]
	storeSwitches
	// timestamped values are stored as ValueAndTimestamp and logged as
	// plain values stamped with their timestamp.
	timestamped bool
}

// KeyValueStoreBuilder declares a typed key-value store named after its
// supplier, e.g.
//
//	state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("Counts"), serde.String(), serde.Int64())
func KeyValueStoreBuilder[K, V any](supplier KeyValueBytesStoreSupplier, keySerde serde.Serde[K], valueSerde serde.Serde[V]) *KeyValueBuilder[K, V] {
	return &KeyValueBuilder[K, V]{supplier: supplier, keySerde: keySerde, valueSerde: valueSerde, storeSwitches: storeSwitches{logging: true}}
}

// WithLoggingEnabled turns the changelog on, with extra topic configs.
func (b *KeyValueBuilder[K, V]) WithLoggingEnabled(config map[string]string) *KeyValueBuilder[K, V] {
	b.enableLogging(config)
	return b
}

// WithLoggingDisabled turns the changelog off: the store starts empty after
// a restart unless it is persistent.
func (b *KeyValueBuilder[K, V]) WithLoggingDisabled() *KeyValueBuilder[K, V] {
	b.disableLogging()
	return b
}

// WithCachingEnabled asks for a record cache in front of the store.
func (b *KeyValueBuilder[K, V]) WithCachingEnabled() *KeyValueBuilder[K, V] {
	b.caching = true
	return b
}

// WithCachingDisabled removes the record cache.
func (b *KeyValueBuilder[K, V]) WithCachingDisabled() *KeyValueBuilder[K, V] {
	b.caching = false
	return b
}

func (b *KeyValueBuilder[K, V]) Name() string {
	if b.supplier == nil {
		return ""
	}
	return b.supplier.Name()
}

func (b *KeyValueBuilder[K, V]) LogConfig() map[string]string { return maps.Clone(b.logConfig) }
func (b *KeyValueBuilder[K, V]) CachingEnabled() bool         { return b.caching }

// Build returns a new typed store; it implements KeyValueStore[K, V].
func (b *KeyValueBuilder[K, V]) Build() (StateStore, error) {
	switch {
	case b.supplier == nil:
		return nil, fmt.Errorf("key-value store builder: supplier is nil")
	case b.keySerde == nil:
		return nil, fmt.Errorf("key-value store %q: key serde is nil", b.supplier.Name())
	case b.valueSerde == nil:
		return nil, fmt.Errorf("key-value store %q: value serde is nil", b.supplier.Name())
	}
	inner := b.supplier.Get()
	if inner == nil {
		return nil, fmt.Errorf("key-value store %q: supplier returned a nil store", b.supplier.Name())
	}
	if inner.Name() != b.supplier.Name() {
		return nil, fmt.Errorf("key-value store %q: supplier returned a store named %q", b.supplier.Name(), inner.Name())
	}
	if b.logging {
		l := newChangeLoggingKV(inner)
		l.timestamped = b.timestamped
		inner = l
	}
	if b.caching {
		inner = newCachingKV(inner)
	}
	return NewKeyValueStore(inner, b.keySerde, b.valueSerde), nil
}

// GetKeyValueStore looks up a typed key-value store, e.g. from a processor
// context, and says clearly when the store has other types.
func GetKeyValueStore[K, V any](g StoreGetter, name string) (KeyValueStore[K, V], error) {
	s, err := g.GetStateStore(name)
	if err != nil {
		return nil, err
	}
	kv, ok := s.(KeyValueStore[K, V])
	if !ok {
		var k K
		var v V
		return nil, fmt.Errorf("store %q is a %T, not a KeyValueStore[%T, %T]", name, s, any(k), any(v))
	}
	return kv, nil
}
