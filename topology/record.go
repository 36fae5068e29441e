package topology

// Header is one record header. Keys may repeat.
type Header struct {
	Key   string
	Value []byte
}

// Headers are a record's headers in order. Records forwarded to several
// children share one Headers slice: treat it as immutable and use With to
// derive a changed copy.
type Headers []Header

// With returns a copy of h with one header appended.
func (h Headers) With(key string, value []byte) Headers {
	out := make(Headers, len(h), len(h)+1)
	copy(out, h)
	return append(out, Header{Key: key, Value: value})
}

// LastValue returns the value of the last header named key.
func (h Headers) LastValue(key string) ([]byte, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key == key {
			return h[i].Value, true
		}
	}
	return nil, false
}

// Record is a typed record flowing between processors. Timestamp is in
// milliseconds since the epoch.
type Record[K, V any] struct {
	Key       K
	Value     V
	Timestamp int64
	Headers   Headers
}

// RecordMetadata says where the record being processed was read from. It
// is absent while punctuating.
type RecordMetadata struct {
	Topic     string
	Partition int32
	Offset    int64
}

// RecordContext is the context a sink's TopicNameExtractor sees: the
// metadata of the input record (zero while punctuating) plus the
// timestamp and headers of the record being written.
type RecordContext struct {
	RecordMetadata
	Timestamp int64
	Headers   Headers
}

// RawRecord is a consumed record as the runtime hands it to a task.
// Topic is the full topic name (internal topics carry the application-id
// prefix). Key and Value are nil for null.
type RawRecord struct {
	Topic       string
	Partition   int32
	Offset      int64
	Key, Value  []byte
	TimestampMs int64
	Headers     Headers
}
