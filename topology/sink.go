package topology

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/runnel-dev/runnel/topology/serde"
)

// TopicNameExtractor picks the topic of each record a sink writes. If it
// implements fmt.Stringer, Describe shows that text.
type TopicNameExtractor[K, V any] interface {
	Extract(key K, value V, rc RecordContext) (string, error)
}

// TopicNameExtractorFunc adapts a function to TopicNameExtractor.
type TopicNameExtractorFunc[K, V any] func(key K, value V, rc RecordContext) (string, error)

func (f TopicNameExtractorFunc[K, V]) Extract(key K, value V, rc RecordContext) (string, error) {
	return f(key, value, rc)
}

// StreamPartitioner picks the partitions of a record a sink writes.
// Returning nil leaves the choice to the default partitioner (murmur2 of the
// key bytes, as Kafka's); an empty non-nil slice drops the record; several
// partitions multicast it (KIP-837).
type StreamPartitioner[K, V any] func(topic string, key K, value V, numPartitions int32) []int32

// Sink declares a sink node writing to Topic, or to the topic that
// TopicExtractor picks per record.
type Sink[K, V any] struct {
	Topic          string
	TopicExtractor TopicNameExtractor[K, V]
	KeySerde       serde.Serde[K]
	ValueSerde     serde.Serde[V]
	Partitioner    StreamPartitioner[K, V]
}

// SinkSpec is a Sink of any key and value types.
type SinkSpec interface {
	sinkDef(def *nodeDef) error
}

func (s Sink[K, V]) sinkDef(def *nodeDef) error {
	var errs []error
	switch {
	case s.Topic == "" && s.TopicExtractor == nil:
		errs = append(errs, errors.New("needs a Topic or a TopicExtractor"))
	case s.Topic != "" && s.TopicExtractor != nil:
		errs = append(errs, errors.New("has both a Topic and a TopicExtractor; give one"))
	}
	if s.KeySerde == nil {
		errs = append(errs, errors.New("KeySerde is nil"))
	}
	if s.ValueSerde == nil {
		errs = append(errs, errors.New("ValueSerde is nil"))
	}
	def.topic = s.Topic
	if s.TopicExtractor != nil {
		if str, ok := s.TopicExtractor.(fmt.Stringer); ok {
			def.extractor = str.String()
		} else {
			def.extractor = fmt.Sprintf("%T", s.TopicExtractor)
		}
	}
	def.inK, def.inV = reflect.TypeFor[K](), reflect.TypeFor[V]()
	spec := s
	def.newNode = func(def *nodeDef) instance { return &sinkNode[K, V]{d: def, spec: spec} }
	return errors.Join(errs...)
}
