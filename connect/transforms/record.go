package transforms

import "github.com/runnel-dev/runnel/connect/data"

// Sentinels for absent record metadata, as on the Kafka wire.
const (
	NoPartition int32 = -1
	NoTimestamp int64 = -1
)

// Record is the view of a Connect record that transformations and
// predicates see (Kafka's ConnectRecord). Treat a Record you did not create
// as immutable: copy it (Clone or *r) before changing fields, and change
// Headers only through data.Headers methods, which never share storage.
type Record struct {
	Topic string
	// Partition is the Kafka partition, or NoPartition.
	Partition   int32
	KeySchema   *data.Schema
	Key         any
	ValueSchema *data.Schema
	Value       any
	// Timestamp is in milliseconds since the epoch, or NoTimestamp.
	Timestamp int64
	Headers   data.Headers

	// Sink is true for records read from Kafka (SinkRecord); Offset is then
	// their Kafka offset (InsertField's offset.field needs it).
	Sink   bool
	Offset int64

	// Context is carried through the chain untouched, for the worker's own
	// bookkeeping (source partition and offset, the original consumer
	// record...).
	Context any
}

// NewRecord builds a record (Kafka's ConnectRecord constructor).
func NewRecord(topic string, partition int32, keySchema *data.Schema, key any, valueSchema *data.Schema, value any, timestamp int64, headers data.Headers) *Record {
	return &Record{Topic: topic, Partition: partition, KeySchema: keySchema, Key: key,
		ValueSchema: valueSchema, Value: value, Timestamp: timestamp, Headers: headers}
}

// Clone returns a shallow copy; the headers are shared until either copy
// changes them, which always allocates.
func (r *Record) Clone() *Record {
	c := *r
	return &c
}

// HasPartition reports whether the partition is known.
func (r *Record) HasPartition() bool { return r.Partition >= 0 }

// HasTimestamp reports whether the record has a timestamp.
func (r *Record) HasTimestamp() bool { return r.Timestamp != NoTimestamp }

// side selects the record key or value, for the $Key and $Value variants.
type side bool

const (
	keySide   side = true
	valueSide side = false
)

func (s side) String() string {
	if s == keySide {
		return "Key"
	}
	return "Value"
}

func (s side) get(r *Record) (*data.Schema, any) {
	if s == keySide {
		return r.KeySchema, r.Key
	}
	return r.ValueSchema, r.Value
}

// with returns a copy of r with the key or value replaced.
func (s side) with(r *Record, schema *data.Schema, value any) *Record {
	c := *r
	if s == keySide {
		c.KeySchema, c.Key = schema, value
	} else {
		c.ValueSchema, c.Value = schema, value
	}
	return &c
}
