package transforms

import (
	"time"

	"github.com/runnel-dev/runnel/connect"
)

// Adapters between the worker's records and Record. The original record
// travels in Context, so fields transformations cannot see (source
// partition and offset, sink original topic/partition/offset, timestamp
// type) survive the chain.

func millisOf(t time.Time) int64 {
	if t.IsZero() {
		return NoTimestamp
	}
	return t.UnixMilli()
}

// timeOf converts back, keeping the original instant (with its sub-millisecond
// part) when the timestamp was not changed.
func timeOf(ms int64, orig time.Time) time.Time {
	switch {
	case ms == NoTimestamp:
		return time.Time{}
	case !orig.IsZero() && orig.UnixMilli() == ms:
		return orig
	}
	return time.UnixMilli(ms).UTC()
}

// FromSourceRecord views a source record as a Record.
func FromSourceRecord(r *connect.SourceRecord) *Record {
	return &Record{Topic: r.Topic, Partition: r.Partition, KeySchema: r.KeySchema, Key: r.Key,
		ValueSchema: r.ValueSchema, Value: r.Value, Timestamp: millisOf(r.Timestamp), Headers: r.Headers, Context: r}
}

// ToSourceRecord turns a transformed Record back into a source record,
// taking the source partition and offset from the original in Context.
func (r *Record) ToSourceRecord() *connect.SourceRecord {
	out := &connect.SourceRecord{Topic: r.Topic, Partition: r.Partition, KeySchema: r.KeySchema, Key: r.Key,
		ValueSchema: r.ValueSchema, Value: r.Value, Headers: r.Headers}
	var origTS time.Time
	if orig, ok := r.Context.(*connect.SourceRecord); ok {
		out.SourcePartition, out.SourceOffset, origTS = orig.SourcePartition, orig.SourceOffset, orig.Timestamp
	}
	out.Timestamp = timeOf(r.Timestamp, origTS)
	return out
}

// FromSinkRecord views a sink record as a Record.
func FromSinkRecord(r *connect.SinkRecord) *Record {
	return &Record{Topic: r.Topic, Partition: r.Partition, KeySchema: r.KeySchema, Key: r.Key,
		ValueSchema: r.ValueSchema, Value: r.Value, Timestamp: millisOf(r.Timestamp), Headers: r.Headers,
		Sink: true, Offset: r.Offset, Context: r}
}

// ToSinkRecord turns a transformed Record back into a sink record, keeping
// the original's timestamp type and original topic/partition/offset.
func (r *Record) ToSinkRecord() *connect.SinkRecord {
	out := &connect.SinkRecord{Topic: r.Topic, Partition: r.Partition, KeySchema: r.KeySchema, Key: r.Key,
		ValueSchema: r.ValueSchema, Value: r.Value, Offset: r.Offset, Headers: r.Headers}
	var origTS time.Time
	if orig, ok := r.Context.(*connect.SinkRecord); ok {
		out.TimestampType, origTS = orig.TimestampType, orig.Timestamp
		out.OriginalTopic, out.OriginalPartition, out.OriginalOffset = orig.OriginalTopic, orig.OriginalPartition, orig.OriginalOffset
	}
	out.Timestamp = timeOf(r.Timestamp, origTS)
	return out
}

// ApplySource runs a source record through the chain; nil means dropped.
func (c *Chain) ApplySource(r *connect.SourceRecord) (*connect.SourceRecord, error) {
	if len(c.stages) == 0 {
		return r, nil
	}
	out, err := c.Apply(FromSourceRecord(r))
	if err != nil || out == nil {
		return nil, err
	}
	return out.ToSourceRecord(), nil
}

// ApplySink runs a sink record through the chain; nil means dropped.
func (c *Chain) ApplySink(r *connect.SinkRecord) (*connect.SinkRecord, error) {
	if len(c.stages) == 0 {
		return r, nil
	}
	out, err := c.Apply(FromSinkRecord(r))
	if err != nil || out == nil {
		return nil, err
	}
	return out.ToSinkRecord(), nil
}
