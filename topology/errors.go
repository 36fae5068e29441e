package topology

import (
	"fmt"
)

// DeserializationError is returned by Task.Process when a record's key or
// value cannot be deserialized. The task is unchanged: the runtime may skip
// the record (log-and-continue), send it to a dead-letter queue, or fail.
type DeserializationError struct {
	Topic     string
	Partition int32
	Offset    int64
	Source    string // source node
	IsKey     bool   // the key failed, not the value
	Err       error
}

func (e *DeserializationError) Error() string {
	what := "value"
	if e.IsKey {
		what = "key"
	}
	return fmt.Sprintf("deserializing the %s of %s-%d@%d (source %q): %v", what, e.Topic, e.Partition, e.Offset, e.Source, e.Err)
}

func (e *DeserializationError) Unwrap() error { return e.Err }

// ProcessingError is an error a node returned (or a punctuator, or a
// sink's serializer or send), with where it happened.
type ProcessingError struct {
	Node string
	// Topic, Partition and Offset locate the input record; Offset is -1
	// while punctuating.
	Topic       string
	Partition   int32
	Offset      int64
	Punctuation PunctuationType // non-zero when a punctuator failed
	Err         error
}

func (e *ProcessingError) Error() string {
	if e.Punctuation != 0 {
		return fmt.Sprintf("%s punctuator of %q: %v", e.Punctuation, e.Node, e.Err)
	}
	if e.Topic == "" {
		return fmt.Sprintf("node %q: %v", e.Node, e.Err)
	}
	return fmt.Sprintf("node %q, processing %s-%d@%d: %v", e.Node, e.Topic, e.Partition, e.Offset, e.Err)
}

func (e *ProcessingError) Unwrap() error { return e.Err }

// SerializationError is a sink failing to serialize a record.
type SerializationError struct {
	Topic string
	IsKey bool
	Err   error
}

func (e *SerializationError) Error() string {
	what := "value"
	if e.IsKey {
		what = "key"
	}
	return fmt.Sprintf("serializing the %s for topic %q: %v", what, e.Topic, e.Err)
}

func (e *SerializationError) Unwrap() error { return e.Err }
