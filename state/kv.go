package state

// KeyValue is one entry of a key-value store.
type KeyValue[K, V any] struct {
	Key   K
	Value V
}

// KeyValueIterator walks entries in key order. Call Next before each entry;
// when it returns false check Err. Always Close it.
type KeyValueIterator[K, V any] interface {
	Next() bool
	Key() K
	Value() V
	Err() error
	Close() error
}

// KeyValueBytesStore is the byte-level key-value store that typed stores
// wrap. Keys are ordered by bytes.Compare. A nil value means "absent": Put
// with a nil value deletes. Slices passed in may be reused by the caller
// after the call returns; slices handed out must not be modified.
type KeyValueBytesStore interface {
	StateStore
	// Get returns the value for key, or nil when absent.
	Get(key []byte) ([]byte, error)
	Put(key, value []byte) error
	// PutIfAbsent stores value only when key is absent and returns the
	// value that was there before (nil if none).
	PutIfAbsent(key, value []byte) ([]byte, error)
	PutAll(entries []KeyValue[[]byte, []byte]) error
	// Delete removes key and returns its old value (nil if none).
	Delete(key []byte) ([]byte, error)
	// Range iterates keys in [from, to], both inclusive; a nil bound is
	// open. from > to yields an empty iterator.
	Range(from, to []byte) (KeyValueIterator[[]byte, []byte], error)
	// ReverseRange is Range in descending key order.
	ReverseRange(from, to []byte) (KeyValueIterator[[]byte, []byte], error)
	All() (KeyValueIterator[[]byte, []byte], error)
	ReverseAll() (KeyValueIterator[[]byte, []byte], error)
	// PrefixScan iterates, ascending, the keys that start with prefix.
	PrefixScan(prefix []byte) (KeyValueIterator[[]byte, []byte], error)
	// ApproximateNumEntries estimates the number of entries.
	ApproximateNumEntries() (int64, error)
}

// KeyValueStore is the typed key-value store processors use. Key order (for
// ranges) is the order of the serialized key bytes, as in Kafka Streams: for
// example Int32 keys sort negative numbers after positive ones.
type KeyValueStore[K, V any] interface {
	StateStore
	// Get returns the value for key and whether it was present.
	Get(key K) (V, bool, error)
	Put(key K, value V) error
	// PutIfAbsent stores value only if key is absent; it returns the
	// previous value and whether there was one.
	PutIfAbsent(key K, value V) (V, bool, error)
	PutAll(entries []KeyValue[K, V]) error
	// Delete removes key; it returns the old value and whether there was one.
	Delete(key K) (V, bool, error)
	// Range iterates keys from from to to, both inclusive, in byte order.
	Range(from, to K) (KeyValueIterator[K, V], error)
	ReverseRange(from, to K) (KeyValueIterator[K, V], error)
	All() (KeyValueIterator[K, V], error)
	ReverseAll() (KeyValueIterator[K, V], error)
	// PrefixScan iterates the keys whose serialized bytes start with the
	// serialized prefix (for String keys: a plain string prefix).
	PrefixScan(prefix K) (KeyValueIterator[K, V], error)
	ApproximateNumEntries() (int64, error)
	// Bytes is the byte-level store underneath.
	Bytes() KeyValueBytesStore
}
