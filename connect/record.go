package connect

import (
	"time"

	"github.com/runnel-dev/runnel/connect/data"
)

// TopicPartition names one partition of a Kafka topic.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// NoPartition in a SourceRecord's Partition lets the producer's partitioner
// choose (by key hash, as Kafka's default partitioner).
const NoPartition int32 = -1

// SourceRecord is what a source task emits: a Connect key and value with
// their schemas, the topic to write to, and the source partition and offset
// that locate the record in the external system. The runtime stores the
// offset once the record is acknowledged by Kafka, so a restarted task can
// resume after it.
type SourceRecord struct {
	// SourcePartition identifies the stream within the source system (for
	// example {"filename": "/var/log/app.log"}); SourceOffset is the position
	// in it after this record (for example {"position": 1234}). Values must
	// be JSON primitives: string, bool, int/int32/int64, float64 or nil.
	SourcePartition map[string]any
	SourceOffset    map[string]any

	Topic string
	// Partition is the Kafka partition, or NoPartition to let the key decide.
	Partition int32

	KeySchema   *data.Schema
	Key         any
	ValueSchema *data.Schema
	Value       any
	// Timestamp zero means "now" (the producer's time).
	Timestamp time.Time
	Headers   data.Headers
}

// SinkRecord is what a sink task receives: the converted key, value and
// headers of one Kafka record and where it came from.
type SinkRecord struct {
	Topic       string
	Partition   int32
	KeySchema   *data.Schema
	Key         any
	ValueSchema *data.Schema
	Value       any
	Offset      int64
	Timestamp   time.Time
	// TimestampType is "CreateTime", "LogAppendTime" or "NoTimestampType".
	TimestampType string
	Headers       data.Headers

	// OriginalTopic, OriginalPartition and OriginalOffset are where the
	// record was consumed from, even if a transformation changed Topic or
	// Partition (KIP-793). Sink tasks that commit their own offsets should
	// use these.
	OriginalTopic     string
	OriginalPartition int32
	OriginalOffset    int64
}

// RecordMetadata is Kafka's acknowledgement of one produced record.
type RecordMetadata struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
}

// OffsetAndMetadata is a sink offset to commit: the offset of the next record
// to consume, and optional metadata.
type OffsetAndMetadata struct {
	Offset   int64
	Metadata string
}
