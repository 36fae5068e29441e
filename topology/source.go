package topology

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"

	"github.com/runnel-dev/runnel/topology/serde"
)

// OffsetReset is where a source starts when its group has no committed
// offset. ResetDefault leaves it to the application config.
type OffsetReset uint8

const (
	ResetDefault OffsetReset = iota
	ResetEarliest
	ResetLatest
)

func (r OffsetReset) String() string {
	switch r {
	case ResetEarliest:
		return "earliest"
	case ResetLatest:
		return "latest"
	}
	return "default"
}

// TimestampExtractor picks a record's event time. partitionTime is the
// largest timestamp extracted so far on the record's partition (-1 if
// none). A negative result drops the record; an error fails the task.
type TimestampExtractor[K, V any] func(raw *RawRecord, key K, value V, partitionTime int64) (int64, error)

// ErrInvalidTimestamp is wrapped by the error the default extractor
// returns for a record with a negative timestamp.
var ErrInvalidTimestamp = errors.New("record has an invalid (negative) timestamp")

// LogAndSkipOnInvalidTimestamp returns the record's timestamp; negative
// ones make the task drop the record (and log it) instead of failing.
func LogAndSkipOnInvalidTimestamp[K, V any]() TimestampExtractor[K, V] {
	return func(raw *RawRecord, _ K, _ V, _ int64) (int64, error) { return raw.TimestampMs, nil }
}

// UsePartitionTimeOnInvalidTimestamp replaces a negative timestamp with the
// partition time, and fails if that is unknown too.
func UsePartitionTimeOnInvalidTimestamp[K, V any]() TimestampExtractor[K, V] {
	return func(raw *RawRecord, _ K, _ V, partitionTime int64) (int64, error) {
		if raw.TimestampMs >= 0 {
			return raw.TimestampMs, nil
		}
		if partitionTime < 0 {
			return 0, fmt.Errorf("%w (%d) and the partition time is unknown", ErrInvalidTimestamp, raw.TimestampMs)
		}
		return partitionTime, nil
	}
}

// WallclockTimestamp stamps records with the wall clock at processing time.
func WallclockTimestamp[K, V any](now func() int64) TimestampExtractor[K, V] {
	return func(*RawRecord, K, V, int64) (int64, error) { return now(), nil }
}

// Source declares a source node: the topics (or a pattern) it reads and the
// serdes of their keys and values. Internal topics added with
// AddInternalTopic are named without the application-id prefix.
type Source[K, V any] struct {
	Topics     []string
	Pattern    *regexp.Regexp
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	// TimestampExtractor defaults to the record's own timestamp, failing
	// the task on negative ones (Kafka's FailOnInvalidTimestamp).
	TimestampExtractor TimestampExtractor[K, V]
	OffsetReset        OffsetReset
}

// SourceSpec is a Source of any key and value types.
type SourceSpec interface {
	sourceDef(def *nodeDef) error
}

func (s Source[K, V]) sourceDef(def *nodeDef) error {
	var errs []error
	switch {
	case len(s.Topics) == 0 && s.Pattern == nil:
		errs = append(errs, errors.New("needs Topics or a Pattern"))
	case len(s.Topics) > 0 && s.Pattern != nil:
		errs = append(errs, errors.New("has both Topics and a Pattern; give one"))
	}
	for _, t := range s.Topics {
		if t == "" {
			errs = append(errs, errors.New("has an empty topic name"))
		}
	}
	if s.KeySerde == nil {
		errs = append(errs, errors.New("KeySerde is nil"))
	}
	if s.ValueSerde == nil {
		errs = append(errs, errors.New("ValueSerde is nil"))
	}
	def.topics = append([]string(nil), s.Topics...)
	def.pattern = s.Pattern
	def.reset = s.OffsetReset
	def.outK, def.outV = reflect.TypeFor[K](), reflect.TypeFor[V]()
	spec := s
	def.newNode = func(def *nodeDef) instance { return &sourceNode[K, V]{d: def, spec: spec} }
	return errors.Join(errs...)
}
