package state

import (
	"encoding/binary"
	"fmt"

	"github.com/runnel-dev/runnel/topology/serde"
)

// ValueAndTimestamp is a value with the timestamp of the record that
// last changed it (Kafka's ValueAndTimestamp).
type ValueAndTimestamp[V any] struct {
	Value     V
	Timestamp int64
}

// TimestampedKeyValueStore is a key-value store whose values carry their
// timestamp (Kafka's TimestampedKeyValueStore). Putting a value whose
// serde writes null deletes the key.
type TimestampedKeyValueStore[K, V any] = KeyValueStore[K, ValueAndTimestamp[V]]

// PersistentTimestampedKeyValueStore is the Pebble supplier for
// timestamped key-value stores (Kafka's
// Stores.persistentTimestampedKeyValueStore); build it with
// TimestampedKeyValueStoreBuilder. Any key-value supplier works there,
// InMemoryKeyValueStore included.
func PersistentTimestampedKeyValueStore(name string) KeyValueBytesStoreSupplier {
	return PersistentKeyValueStore(name)
}

// TimestampedKeyValueStoreBuilder declares a timestamped key-value store.
// Its changelog holds the plain values, stamped with their timestamps, so
// it reads like a plain key-value store's changelog.
func TimestampedKeyValueStoreBuilder[K, V any](supplier KeyValueBytesStoreSupplier, keySerde serde.Serde[K], valueSerde serde.Serde[V]) *KeyValueBuilder[K, ValueAndTimestamp[V]] {
	var vs serde.Serde[ValueAndTimestamp[V]]
	if valueSerde != nil {
		vs = valueAndTimestampSerde[V]{values: valueSerde, app: serde.AppenderOf(valueSerde)}
	}
	b := KeyValueStoreBuilder(supplier, keySerde, vs)
	b.timestamped = true
	return b
}

// GetTimestampedKeyValueStore looks up a typed timestamped store.
func GetTimestampedKeyValueStore[K, V any](g StoreGetter, name string) (TimestampedKeyValueStore[K, V], error) {
	return GetKeyValueStore[K, ValueAndTimestamp[V]](g, name)
}

// valueAndTimestampSerde writes the timestamp (8 bytes, big-endian) in
// front of the value; a null value is null.
type valueAndTimestampSerde[V any] struct {
	values serde.Serde[V]
	app    serde.Appender[V]
}

func (s valueAndTimestampSerde[V]) Serialize(topic string, v ValueAndTimestamp[V]) ([]byte, error) {
	raw, err := s.values.Serialize(topic, v.Value)
	if err != nil || raw == nil {
		return nil, err
	}
	return appendTimestamped(make([]byte, 0, 8+len(raw)), v.Timestamp, raw), nil
}

func (s valueAndTimestampSerde[V]) AppendSerialize(dst []byte, topic string, v ValueAndTimestamp[V]) ([]byte, error) {
	b, err := s.app.AppendSerialize(binary.BigEndian.AppendUint64(dst, uint64(v.Timestamp)), topic, v.Value)
	if err != nil || b == nil {
		return nil, err
	}
	return b, nil
}

func (s valueAndTimestampSerde[V]) Deserialize(topic string, b []byte) (ValueAndTimestamp[V], error) {
	if b == nil {
		return ValueAndTimestamp[V]{}, nil
	}
	ts, raw, err := splitTimestamped(b)
	if err != nil {
		return ValueAndTimestamp[V]{}, err
	}
	v, err := s.values.Deserialize(topic, raw)
	return ValueAndTimestamp[V]{Value: v, Timestamp: ts}, err
}

func appendTimestamped(dst []byte, ts int64, value []byte) []byte {
	return append(binary.BigEndian.AppendUint64(dst, uint64(ts)), value...)
}

func splitTimestamped(b []byte) (int64, []byte, error) {
	if len(b) < 8 {
		return 0, nil, fmt.Errorf("timestamped value of %d bytes: expected at least 8 (timestamp then value)", len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), b[8:], nil
}
