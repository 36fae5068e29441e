package streams

import (
	"fmt"
	"slices"
	"strings"

	"github.com/runnel-dev/runnel/topology"
)

// Join joins each stream record with the table's current row for its key
// (KStream#join(KTable)): only stream records trigger output, the result
// carries the stream record's timestamp, and records whose key or value is
// null, or whose key has no row, produce nothing. Stream and table must be
// co-partitioned; after a key change the stream is repartitioned first.
// Options: Joined[K, V, VT].
func Join[K, V, VT, VR any](s *KStream[K, V], t *KTable[K, VT], joiner func(V, VT) VR, opts ...Option) *KStream[K, VR] {
	return streamTableJoin(s, t, "join", joiner, false, opts)
}

// LeftJoin is Join that also emits stream records without a table row,
// with the joiner's table value null (VT's zero value) (KStream#leftJoin).
// A record with a null key is joined with null too (KIP-962). Options:
// Joined[K, V, VT].
func LeftJoin[K, V, VT, VR any](s *KStream[K, V], t *KTable[K, VT], joiner func(V, VT) VR, opts ...Option) *KStream[K, VR] {
	return streamTableJoin(s, t, "leftJoin", joiner, true, opts)
}

func streamTableJoin[K, V, VT, VR any](s *KStream[K, V], t *KTable[K, VT], op string, joiner func(V, VT) VR, left bool, opts []Option) *KStream[K, VR] {
	mustStream(op, s)
	mustTable(op, t)
	o := s.b.options(op, opts)
	joined, _ := take[Joined[K, V, VT]](o)
	o.done(optName[Joined[K, V, VT]]())
	s.b.checkName(op, "name", joined.Name)
	checkFunc(s.b, op, joiner)
	if t.b != s.b {
		s.b.fail("%s: the table belongs to another Builder", op)
		return derive[K, V, K, VR](s, s.node, s.keySerde, nil, false)
	}
	if s.repartitionRequired {
		prefix := joined.Name
		if prefix == "" {
			prefix = s.name
		}
		s = s.repartitionForJoin(op, prefix, joined.KeySerde, joined.ValueSerde)
	}
	s.b.copartition(op, append(slices.Clone(s.sources), t.sources...))
	prefix := joinName
	if left {
		prefix = leftJoinName
	}
	name := s.b.orElseGenerate(joined.Name, prefix)
	view := t.sup.view()
	parent := s.node
	node := s.b.addNode(name, []*gnode{parent}, func(w *graphWriter) error {
		w.tb.AddProcessor(name, topology.Supply(func() topology.Processor[K, V, K, VR] {
			return newJoinProc(view.newGetter(), func(k K, _ V) K { return k }, joiner, left)
		}), parent.name)
		w.tb.ConnectProcessorAndStateStores(name, view.storeNames...)
		return nil
	})
	node.relaxedNullKeyJoin = left
	return derive[K, V, K, VR](s, node, firstSerde(joined.KeySerde, s.keySerde), nil, false)
}

// GlobalKTable is a table every instance holds in full, restored before
// processing starts and kept up to date by its own consumer (Kafka's
// GlobalKTable). Streams join it through a key mapper, without
// co-partitioning.
type GlobalKTable[K, V any] struct {
	b         *Builder
	storeName string
}

// GlobalTable reads topic into a global table (StreamsBuilder#globalTable).
// Its store never has a changelog: the topic is one. Options:
// Materialized[K, V].
func GlobalTable[K, V any](b *Builder, topic string, consumed Consumed[K, V], opts ...Option) *GlobalKTable[K, V] {
	op := fmt.Sprintf("globalTable(%s)", topic)
	o := b.options(op, opts)
	m, _ := take[Materialized[K, V]](o)
	o.done(optName[Materialized[K, V]]())
	storeName := materializedName(m)
	if storeName == "" {
		storeName = b.newStoreName(topic + "-")
	}
	b.checkName(op, "name", consumed.Name)
	srcName := b.suffixOrElseGenerate(consumed.Name, tableSourceSuffix, sourceName)
	procName := b.orElseGenerate(consumed.Name, tableSourceName)
	if topic == "" {
		b.fail("globalTable: the topic name is empty")
	}
	m.LoggingDisabled = true
	spec := materializedSpec(m, storeName)
	keySerde, valueSerde := firstSerde(consumed.KeySerde, m.KeySerde), firstSerde(consumed.ValueSerde, m.ValueSerde)
	b.addNode(procName, nil, func(w *graphWriter) error {
		ks, err := resolveSerde(w.b, op, "key", keySerde)
		if err != nil {
			return err
		}
		vs, err := resolveSerde(w.b, op, "value", valueSerde)
		if err != nil {
			return err
		}
		src := &tableSource[K, V]{storeName: storeName, queryable: storeName}
		w.tb.AddGlobalStore(newTSStoreBuilder(spec, ks, vs), srcName,
			topology.Source[K, tableValue[V]]{
				Topics: []string{topic}, KeySerde: ks, ValueSerde: tableValueSerde[V]{vs},
				TimestampExtractor: tableExtractor(consumed.TimestampExtractor), OffsetReset: consumed.OffsetReset,
			},
			procName, topology.Supply(func() topology.Processor[K, tableValue[V], K, tableChange[V]] {
				return newTableSourceProc[K](src, procName, func(v tableValue[V]) (V, bool) { return v.v, v.ok })
			}))
		return nil
	})
	return &GlobalKTable[K, V]{b: b, storeName: storeName}
}

// QueryableStoreName is the global table's store.
func (g *GlobalKTable[K, V]) QueryableStoreName() string { return g.storeName }

// JoinGlobal joins each stream record with the global table's row for the
// key keyMapper picks (KStream#join(GlobalKTable)); records whose mapped
// key or value is null, or without a row, produce nothing. Options: Named.
func JoinGlobal[K, V, KG, VG, VR any](s *KStream[K, V], g *GlobalKTable[KG, VG], keyMapper func(K, V) KG, joiner func(V, VG) VR, opts ...Option) *KStream[K, VR] {
	return globalTableJoin(s, g, "join", keyMapper, joiner, false, opts)
}

// LeftJoinGlobal is JoinGlobal that also emits records without a row, with
// the joiner's table value null (VG's zero value) (KStream#leftJoin).
// Options: Named.
func LeftJoinGlobal[K, V, KG, VG, VR any](s *KStream[K, V], g *GlobalKTable[KG, VG], keyMapper func(K, V) KG, joiner func(V, VG) VR, opts ...Option) *KStream[K, VR] {
	return globalTableJoin(s, g, "leftJoin", keyMapper, joiner, true, opts)
}

func globalTableJoin[K, V, KG, VG, VR any](s *KStream[K, V], g *GlobalKTable[KG, VG], op string, keyMapper func(K, V) KG, joiner func(V, VG) VR, left bool, opts []Option) *KStream[K, VR] {
	mustStream(op, s)
	if g == nil || g.b == nil {
		panic(fmt.Sprintf("streams.%s: the global table is nil", op))
	}
	o := s.b.options(op, opts)
	// Kafka names inner and left global joins KSTREAM-LEFTJOIN-.
	name := s.b.orElseGenerate(o.name(), leftJoinName)
	o.done("Named")
	checkFunc(s.b, op+": key mapper", keyMapper)
	checkFunc(s.b, op+": joiner", joiner)
	store := g.storeName
	node := processorNode(s.b, name, []*gnode{s.node}, func() topology.ProcessorSupplier {
		return topology.Supply(func() topology.Processor[K, V, K, VR] {
			return newJoinProc[K, V, KG, VG, VR](&storeGetter[KG, VG]{name: store}, keyMapper, joiner, left)
		})
	})
	node.relaxedNullKeyJoin = left
	return derive[K, V, K, VR](s, node, s.keySerde, nil, s.repartitionRequired)
}

// joinProc is Kafka's KStreamKTableJoinProcessor.
type joinProc[K, V, KT, VT, VR any] struct {
	getter    valueGetter[KT, VT]
	keyMapper func(K, V) KT
	joiner    func(V, VT) VR
	left      bool
	keyNull   func(K) bool
	valueNull func(V) bool
	mappedNul func(KT) bool
	ctx       topology.ProcessorContext[K, VR]
}

func newJoinProc[K, V, KT, VT, VR any](getter valueGetter[KT, VT], keyMapper func(K, V) KT, joiner func(V, VT) VR, left bool) *joinProc[K, V, KT, VT, VR] {
	return &joinProc[K, V, KT, VT, VR]{getter: getter, keyMapper: keyMapper, joiner: joiner, left: left,
		keyNull: nullCheck[K](), valueNull: nullCheck[V](), mappedNul: nullCheck[KT]()}
}

func (p *joinProc[K, V, KT, VT, VR]) Init(ctx topology.ProcessorContext[K, VR]) error {
	p.ctx = ctx
	return p.getter.init(ctx)
}

func (p *joinProc[K, V, KT, VT, VR]) Process(rec topology.Record[K, V]) error {
	// A null value is dropped before the key mapper sees it (Kafka calls
	// the mapper first, and a mapper reading the value would fail).
	if p.valueNull != nil && p.valueNull(rec.Value) {
		logSkip(p.ctx, "Skipping record due to null join key or value.")
		return nil
	}
	mapped := p.keyMapper(rec.Key, rec.Value)
	mappedNull := p.mappedNul != nil && p.mappedNul(mapped)
	keepNullKey := p.left && p.keyNull != nil && p.keyNull(rec.Key)
	if mappedNull && !keepNullKey {
		logSkip(p.ctx, "Skipping record due to null join key or value.")
		return nil
	}
	var other VT
	found := false
	if !mappedNull {
		var err error
		if other, _, found, err = p.getter.get(mapped); err != nil {
			return err
		}
	}
	if !found && !p.left {
		return nil
	}
	return p.ctx.Forward(topology.Record[K, VR]{Key: rec.Key, Value: p.joiner(rec.Value, other), Timestamp: rec.Timestamp, Headers: rec.Headers})
}

func (p *joinProc[K, V, KT, VT, VR]) Close() error { return nil }

// Co-partitioning (Kafka's ensureCopartitionWith and validateCopartition):
// the inputs of a join must have the same number of partitions. Only
// repartition topics with a fixed count can be checked when building; the
// runtime checks the rest when it starts.

type copartitionGroup struct {
	op      string
	sources []*gnode
}

func (b *Builder) copartition(op string, sources []*gnode) {
	b.copart = append(b.copart, copartitionGroup{op: op, sources: sources})
}

func (b *Builder) checkCopartitioning() error {
	for _, g := range b.copart {
		var fixed []string
		want := int32(0)
		mismatch := false
		for _, n := range g.sources {
			if n.repartition == nil || n.repartition.partitions == 0 {
				continue
			}
			fixed = append(fixed, fmt.Sprintf("%s (%d)", n.repartition.topic, n.repartition.partitions))
			if want == 0 {
				want = n.repartition.partitions
			} else if n.repartition.partitions != want {
				mismatch = true
			}
		}
		if mismatch {
			return fmt.Errorf("streams: invalid DSL topology: %s: the joined inputs must be co-partitioned, but their repartition topics have different partition counts: %s", g.op, strings.Join(fixed, ", "))
		}
	}
	return nil
}
