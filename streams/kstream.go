package streams

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// Prefixes of generated names (Kafka's KStreamImpl constants).
const (
	sourceName        = "KSTREAM-SOURCE-"
	sinkName          = "KSTREAM-SINK-"
	filterName        = "KSTREAM-FILTER-"
	peekName          = "KSTREAM-PEEK-"
	flatMapName       = "KSTREAM-FLATMAP-"
	flatMapValuesName = "KSTREAM-FLATMAPVALUES-"
	mapName           = "KSTREAM-MAP-"
	mapValuesName     = "KSTREAM-MAPVALUES-"
	processorName     = "KSTREAM-PROCESSOR-"
	keySelectName     = "KSTREAM-KEY-SELECT-"
	foreachName       = "KSTREAM-FOREACH-"
	toTableName       = "KSTREAM-TOTABLE-"
	repartitionName   = "KSTREAM-REPARTITION-"
	mergeName         = "KSTREAM-MERGE-"
	branchName        = "KSTREAM-BRANCH-"
	joinName          = "KSTREAM-JOIN-"
	leftJoinName      = "KSTREAM-LEFTJOIN-"
	repartitionSuffix = "-repartition"
)

// KeyValue is a key and a value, as FlatMap returns them.
type KeyValue[K, V any] = state.KeyValue[K, V]

// KStream is a stream of records (Kafka's KStream). It carries the serdes
// it knows its keys and values by, as Kafka does: operations that change
// the key or value type drop them.
type KStream[K, V any] struct {
	b *Builder
	// name is Kafka's KStreamImpl#name: usually the node's name; it
	// prefixes the repartition topic a join creates.
	name                string
	node                *gnode
	keySerde            serde.Serde[K]
	valueSerde          serde.Serde[V]
	repartitionRequired bool     // the key changed since the last repartition
	sources             []*gnode // source nodes feeding it (subTopologySourceNodes)

	// joinRepartition is the repartitioned copy of this stream made for
	// joins, reused by later joins (Kafka's KStreamImpl#repartitionNode).
	joinRepartition *gnode
}

func (s *KStream[K, V]) derive(node *gnode, keySerde serde.Serde[K], valueSerde serde.Serde[V], repartitionRequired bool) *KStream[K, V] {
	return derive(s, node, keySerde, valueSerde, repartitionRequired)
}

func derive[K, V, KR, VR any](s *KStream[K, V], node *gnode, keySerde serde.Serde[KR], valueSerde serde.Serde[VR], repartitionRequired bool) *KStream[KR, VR] {
	return &KStream[KR, VR]{b: s.b, name: node.name, node: node, keySerde: keySerde, valueSerde: valueSerde,
		repartitionRequired: repartitionRequired, sources: s.sources}
}

func mustStream[K, V any](op string, s *KStream[K, V]) {
	if s == nil || s.b == nil {
		panic(fmt.Sprintf("streams.%s: the stream is nil", op))
	}
}

// Stream reads topics as a record stream (StreamsBuilder#stream). Calling
// it again with the same topics and types returns a stream over the same
// source, as Kafka merges duplicate sources.
func Stream[K, V any](b *Builder, topics []string, consumed Consumed[K, V]) *KStream[K, V] {
	op := fmt.Sprintf("stream(%v)", topics)
	b.checkName(op, "name", consumed.Name)
	name := b.orElseGenerate(consumed.Name, sourceName)
	if len(topics) == 0 {
		b.fail("%s: needs at least one topic", op)
	}
	for _, prev := range b.nodes {
		src, ok := prev.source.(*streamSource[K, V])
		if prev.source == nil {
			continue
		}
		switch {
		case !overlaps(prev.topics, topics):
		case ok && slices.Equal(prev.topics, topics):
			// Kafka's mergeDuplicateSourceNodes: one source, both streams.
			return &KStream[K, V]{b: b, name: name, node: prev, keySerde: src.consumed.KeySerde, valueSerde: src.consumed.ValueSerde, sources: []*gnode{prev}}
		case !slices.Equal(prev.topics, topics):
			b.fail("%s: source %q reads %v; two streams can read the same topics only if the topic lists are equal", op, prev.name, prev.topics)
		default:
			b.fail("%s: source %q reads the same topics with other key/value types", op, prev.name)
		}
	}
	src := &streamSource[K, V]{consumed: consumed}
	node := b.addNode(name, nil, func(w *graphWriter) error {
		ks, err := resolveSerde(w.b, op, "key", consumed.KeySerde)
		if err != nil {
			return err
		}
		vs, err := resolveSerde(w.b, op, "value", consumed.ValueSerde)
		if err != nil {
			return err
		}
		w.tb.AddSource(name, topology.Source[K, V]{
			Topics: topics, KeySerde: ks, ValueSerde: vs,
			TimestampExtractor: consumed.TimestampExtractor, OffsetReset: consumed.OffsetReset,
		})
		return nil
	})
	node.source, node.topics = src, slices.Clone(topics)
	return &KStream[K, V]{b: b, name: name, node: node, keySerde: consumed.KeySerde, valueSerde: consumed.ValueSerde, sources: []*gnode{node}}
}

// streamSource marks a stream source node, typed, for merging duplicates.
type streamSource[K, V any] struct{ consumed Consumed[K, V] }

func overlaps(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// processorNode adds a graph node writing one processor.
func processorNode(b *Builder, name string, parents []*gnode, supplier func() topology.ProcessorSupplier) *gnode {
	return b.addNode(name, parents, func(w *graphWriter) error {
		w.tb.AddProcessor(name, supplier(), namesOf(parents)...)
		return nil
	})
}

// namesOf names the topology nodes records come from; a repartition graph
// node is named after its source, as in Kafka.
func namesOf(nodes []*gnode) []string {
	out := make([]string, len(nodes))
	for i, p := range nodes {
		out[i] = p.name
	}
	return out
}

// namedOnly resolves the options of an operation that takes only Named:
// the given name, or a generated one (the index is taken either way, as
// Kafka does), and reports any other option as misplaced.
func namedOnly(b *Builder, op string, opts []Option, prefix string) string {
	o := b.options(op, opts)
	name := b.orElseGenerate(o.name(), prefix)
	o.done("Named")
	return name
}

func checkFunc(b *Builder, op string, fn any) bool {
	if reflect.ValueOf(fn).IsNil() {
		b.fail("%s: the function is nil", op)
		return false
	}
	return true
}

// Filter keeps the records for which pred is true (KStream#filter).
// Options: Named.
func (s *KStream[K, V]) Filter(pred func(K, V) bool, opts ...Option) *KStream[K, V] {
	return s.filter("filter", pred, false, opts)
}

// FilterNot drops the records for which pred is true (KStream#filterNot).
// Options: Named.
func (s *KStream[K, V]) FilterNot(pred func(K, V) bool, opts ...Option) *KStream[K, V] {
	return s.filter("filterNot", pred, true, opts)
}

func (s *KStream[K, V]) filter(op string, pred func(K, V) bool, not bool, opts []Option) *KStream[K, V] {
	mustStream(op, s)
	name := namedOnly(s.b, op, opts, filterName)
	checkFunc(s.b, op, pred)
	node := processorNode(s.b, name, []*gnode{s.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[K, V], rec topology.Record[K, V]) error {
			if pred(rec.Key, rec.Value) != not {
				return ctx.Forward(rec)
			}
			return nil
		})
	})
	return s.derive(node, s.keySerde, s.valueSerde, s.repartitionRequired)
}

// SelectKey gives each record a new key (KStream#selectKey); a later
// grouping or join repartitions. Options: Named.
func SelectKey[K, V, KR any](s *KStream[K, V], fn func(K, V) KR, opts ...Option) *KStream[KR, V] {
	mustStream("SelectKey", s)
	o := s.b.options("selectKey", opts)
	node := selectKeyNode(s, "selectKey", o.name(), fn)
	o.done("Named")
	return derive[K, V, KR, V](s, node, nil, s.valueSerde, true)
}

// selectKeyNode is KStreamImpl#internalSelectKey.
func selectKeyNode[K, V, KR any](s *KStream[K, V], op, given string, fn func(K, V) KR) *gnode {
	name := s.b.orElseGenerate(given, keySelectName)
	checkFunc(s.b, op, fn)
	return processorNode(s.b, name, []*gnode{s.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[KR, V], rec topology.Record[K, V]) error {
			return ctx.Forward(topology.Record[KR, V]{Key: fn(rec.Key, rec.Value), Value: rec.Value, Timestamp: rec.Timestamp, Headers: rec.Headers})
		})
	})
}

// Map turns each record into a new key and value (KStream#map). Options:
// Named.
func Map[K, V, KR, VR any](s *KStream[K, V], fn func(K, V) (KR, VR), opts ...Option) *KStream[KR, VR] {
	mustStream("Map", s)
	name := namedOnly(s.b, "map", opts, mapName)
	checkFunc(s.b, "map", fn)
	node := processorNode(s.b, name, []*gnode{s.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[KR, VR], rec topology.Record[K, V]) error {
			k, v := fn(rec.Key, rec.Value)
			return ctx.Forward(topology.Record[KR, VR]{Key: k, Value: v, Timestamp: rec.Timestamp, Headers: rec.Headers})
		})
	})
	return derive[K, V, KR, VR](s, node, nil, nil, true)
}

// MapValues turns each value into a new one (KStream#mapValues); the key
// and partitioning stay. Options: Named.
func MapValues[K, V, VR any](s *KStream[K, V], fn func(V) VR, opts ...Option) *KStream[K, VR] {
	mustStream("MapValues", s)
	if fn == nil {
		return MapValuesWithKey[K, V, VR](s, nil, opts...)
	}
	return MapValuesWithKey(s, func(_ K, v V) VR { return fn(v) }, opts...)
}

// MapValuesWithKey is MapValues with read-only access to the key.
func MapValuesWithKey[K, V, VR any](s *KStream[K, V], fn func(K, V) VR, opts ...Option) *KStream[K, VR] {
	mustStream("MapValues", s)
	name := namedOnly(s.b, "mapValues", opts, mapValuesName)
	checkFunc(s.b, "mapValues", fn)
	node := processorNode(s.b, name, []*gnode{s.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[K, VR], rec topology.Record[K, V]) error {
			return ctx.Forward(topology.Record[K, VR]{Key: rec.Key, Value: fn(rec.Key, rec.Value), Timestamp: rec.Timestamp, Headers: rec.Headers})
		})
	})
	return derive[K, V, K, VR](s, node, s.keySerde, nil, s.repartitionRequired)
}

// FlatMap turns each record into zero or more records (KStream#flatMap).
// Options: Named.
func FlatMap[K, V, KR, VR any](s *KStream[K, V], fn func(K, V) []KeyValue[KR, VR], opts ...Option) *KStream[KR, VR] {
	mustStream("FlatMap", s)
	name := namedOnly(s.b, "flatMap", opts, flatMapName)
	checkFunc(s.b, "flatMap", fn)
	node := processorNode(s.b, name, []*gnode{s.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[KR, VR], rec topology.Record[K, V]) error {
			for _, kv := range fn(rec.Key, rec.Value) {
				if err := ctx.Forward(topology.Record[KR, VR]{Key: kv.Key, Value: kv.Value, Timestamp: rec.Timestamp, Headers: rec.Headers}); err != nil {
					return err
				}
			}
			return nil
		})
	})
	return derive[K, V, KR, VR](s, node, nil, nil, true)
}

// FlatMapValues turns each value into zero or more values, each a record
// with the input's key (KStream#flatMapValues). Options: Named.
func FlatMapValues[K, V, VR any](s *KStream[K, V], fn func(V) []VR, opts ...Option) *KStream[K, VR] {
	mustStream("FlatMapValues", s)
	if fn == nil {
		return FlatMapValuesWithKey[K, V, VR](s, nil, opts...)
	}
	return FlatMapValuesWithKey(s, func(_ K, v V) []VR { return fn(v) }, opts...)
}

// FlatMapValuesWithKey is FlatMapValues with read-only access to the key.
func FlatMapValuesWithKey[K, V, VR any](s *KStream[K, V], fn func(K, V) []VR, opts ...Option) *KStream[K, VR] {
	mustStream("FlatMapValues", s)
	name := namedOnly(s.b, "flatMapValues", opts, flatMapValuesName)
	checkFunc(s.b, "flatMapValues", fn)
	node := processorNode(s.b, name, []*gnode{s.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[K, VR], rec topology.Record[K, V]) error {
			for _, v := range fn(rec.Key, rec.Value) {
				if err := ctx.Forward(topology.Record[K, VR]{Key: rec.Key, Value: v, Timestamp: rec.Timestamp, Headers: rec.Headers}); err != nil {
					return err
				}
			}
			return nil
		})
	})
	return derive[K, V, K, VR](s, node, s.keySerde, nil, s.repartitionRequired)
}

// Peek calls fn for each record and passes it on unchanged (KStream#peek).
// Options: Named.
func (s *KStream[K, V]) Peek(fn func(K, V), opts ...Option) *KStream[K, V] {
	mustStream("Peek", s)
	name := namedOnly(s.b, "peek", opts, peekName)
	checkFunc(s.b, "peek", fn)
	node := processorNode(s.b, name, []*gnode{s.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[K, V], rec topology.Record[K, V]) error {
			fn(rec.Key, rec.Value)
			return ctx.Forward(rec)
		})
	})
	return s.derive(node, s.keySerde, s.valueSerde, s.repartitionRequired)
}

// Foreach calls fn for each record; the stream ends there
// (KStream#foreach). Options: Named.
func (s *KStream[K, V]) Foreach(fn func(K, V), opts ...Option) {
	mustStream("Foreach", s)
	name := namedOnly(s.b, "foreach", opts, foreachName)
	checkFunc(s.b, "foreach", fn)
	processorNode(s.b, name, []*gnode{s.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(_ topology.ProcessorContext[K, V], rec topology.Record[K, V]) error {
			fn(rec.Key, rec.Value)
			return nil
		})
	})
}

// Merge interleaves s and other into one stream (KStream#merge). Options:
// Named.
func (s *KStream[K, V]) Merge(other *KStream[K, V], opts ...Option) *KStream[K, V] {
	mustStream("Merge", s)
	mustStream("Merge", other)
	name := namedOnly(s.b, "merge", opts, mergeName)
	if other.b != s.b {
		s.b.fail("merge: the other stream belongs to another Builder")
		return s
	}
	node := processorNode(s.b, name, []*gnode{s.node, other.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[K, V], rec topology.Record[K, V]) error {
			return ctx.Forward(rec)
		})
	})
	out := s.derive(node, nil, nil, s.repartitionRequired || other.repartitionRequired)
	out.sources = append(slices.Clone(s.sources), other.sources...)
	return out
}

// To writes the stream to topic (KStream#to). Options: Produced[K, V].
func (s *KStream[K, V]) To(topic string, opts ...Option) {
	mustStream("To", s)
	op := fmt.Sprintf("to(%s)", topic)
	if topic == "" {
		s.b.fail("to: the topic name is empty")
	}
	s.to(op, topology.Sink[K, V]{Topic: topic}, opts)
}

// ToExtractor writes each record to the topic extractor picks for it
// (KStream#to(TopicNameExtractor)). Options: Produced[K, V].
func (s *KStream[K, V]) ToExtractor(extractor topology.TopicNameExtractor[K, V], opts ...Option) {
	mustStream("ToExtractor", s)
	if extractor == nil {
		s.b.fail("to: the topic name extractor is nil")
	}
	s.to("to(extractor)", topology.Sink[K, V]{TopicExtractor: extractor}, opts)
}

func (s *KStream[K, V]) to(op string, sink topology.Sink[K, V], opts []Option) {
	o := s.b.options(op, opts)
	produced, _ := take[Produced[K, V]](o)
	o.done(optName[Produced[K, V]]())
	s.b.checkName(op, "name", produced.Name)
	name := s.b.orElseGenerate(produced.Name, sinkName)
	keySerde, valueSerde, parent := s.keySerde, s.valueSerde, s.node
	s.b.addNode(name, []*gnode{parent}, func(w *graphWriter) error {
		var err error
		if sink.KeySerde, err = resolveSerde(w.b, op, "key", produced.KeySerde, keySerde); err != nil {
			return err
		}
		if sink.ValueSerde, err = resolveSerde(w.b, op, "value", produced.ValueSerde, valueSerde); err != nil {
			return err
		}
		sink.Partitioner = produced.Partitioner
		w.tb.AddSink(name, sink, parent.name)
		return nil
	})
}

// ConnectStores connects a Process node to stores added with
// Builder.AddStateStore (the stateStoreNames of KStream#process).
type ConnectStores []string

func (ConnectStores) dslOption() {}

// Process runs a Processor API processor inside the DSL
// (KStream#process). Stores the processor uses are connected with the
// ConnectStores option, or passed with ProcessorStores. Options: Named,
// ConnectStores, ProcessorStores.
func Process[K, V, KOut, VOut any](s *KStream[K, V], newProcessor func() topology.Processor[K, V, KOut, VOut], opts ...Option) *KStream[KOut, VOut] {
	mustStream("Process", s)
	o := s.b.options("process", opts)
	given := o.name()
	connect, _ := take[ConnectStores](o)
	own, _ := take[ProcessorStores](o)
	o.done("Named", "ConnectStores", "ProcessorStores")
	name := given
	if name == "" {
		name = s.b.newProcessorName(processorName)
	}
	checkFunc(s.b, "process", newProcessor)
	parent := s.node
	node := s.b.addNode(name, []*gnode{parent}, func(w *graphWriter) error {
		w.tb.AddProcessor(name, topology.Supply(newProcessor, own...), parent.name)
		if len(connect) > 0 {
			w.tb.ConnectProcessorAndStateStores(name, connect...)
		}
		return nil
	})
	return derive[K, V, KOut, VOut](s, node, nil, nil, true)
}

// ProcessorStores are stores a Process node owns: they are added to the
// topology and connected to it (Kafka's ConnectedStoreProvider#stores).
type ProcessorStores []state.StoreBuilder

func (ProcessorStores) dslOption() {}
