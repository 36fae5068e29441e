package streams

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// Prefixes of generated aggregation names (KGroupedStreamImpl).
const (
	streamAggregateName = "KSTREAM-AGGREGATE-"
	streamReduceName    = "KSTREAM-REDUCE-"
)

// KGroupedStream is a stream grouped by key, ready to aggregate (Kafka's
// KGroupedStream). If the key changed before grouping, aggregating
// repartitions the stream by the new key first.
type KGroupedStream[K, V any] struct {
	b                   *Builder
	node                *gnode
	keySerde            serde.Serde[K]
	valueSerde          serde.Serde[V]
	repartitionRequired bool
	repartitionName     string // Grouped's name, "" when generated
	repartition         *gnode // reused by later aggregations when named
	sources             []*gnode
}

// GroupByKey groups the stream by its current key (KStream#groupByKey).
// Options: Grouped[K, V].
func (s *KStream[K, V]) GroupByKey(opts ...Option) *KGroupedStream[K, V] {
	mustStream("GroupByKey", s)
	o := s.b.options("groupByKey", opts)
	g, _ := take[Grouped[K, V]](o)
	o.done(optName[Grouped[K, V]]())
	s.b.checkName("groupByKey", "name", g.Name)
	return &KGroupedStream[K, V]{
		b: s.b, node: s.node,
		keySerde: firstSerde(g.KeySerde, s.keySerde), valueSerde: firstSerde(g.ValueSerde, s.valueSerde),
		repartitionRequired: s.repartitionRequired, repartitionName: g.Name, sources: s.sources,
	}
}

// GroupBy groups the stream by the key fn picks (KStream#groupBy); an
// aggregation repartitions through "<name>-repartition", where name is
// Grouped's or the store's. Options: Grouped[KR, V].
func GroupBy[K, V, KR any](s *KStream[K, V], fn func(K, V) KR, opts ...Option) *KGroupedStream[KR, V] {
	mustStream("GroupBy", s)
	o := s.b.options("groupBy", opts)
	g, _ := take[Grouped[KR, V]](o)
	o.done(optName[Grouped[KR, V]]())
	s.b.checkName("groupBy", "name", g.Name)
	node := selectKeyNode(s, "groupBy", g.Name, fn)
	return &KGroupedStream[KR, V]{
		b: s.b, node: node,
		keySerde: g.KeySerde, valueSerde: firstSerde(g.ValueSerde, s.valueSerde),
		repartitionRequired: true, repartitionName: g.Name, sources: s.sources,
	}
}

// Count counts the records per key; records with a null key or value are
// dropped (KGroupedStream#count). Options: Named, Materialized[K, int64].
func (g *KGroupedStream[K, V]) Count(opts ...Option) *KTable[K, int64] {
	const op = "count"
	o := g.b.options(op, opts)
	given := o.name()
	m, hasM := take[Materialized[K, int64]](o)
	o.done("Named", optName[Materialized[K, int64]]())
	if hasM && materializedName(m) == "" {
		g.b.newStoreName(streamAggregateName) // Kafka burns a name here for compatibility
	}
	storeName := g.storeName(m, streamAggregateName)
	name := g.b.orElseGenerate(given, streamAggregateName)
	m.KeySerde = firstSerde(m.KeySerde, g.keySerde)
	m.ValueSerde = firstSerde(m.ValueSerde, serde.Int64())
	agg := &streamAggregate[K, V, int64]{
		storeName: storeName,
		init:      func() int64 { return 0 },
		add:       func(_ K, _ V, n int64) int64 { return n + 1 },
	}
	return groupedAggregate(g, op, name, storeName, m, agg.processor, &agg.sendOld)
}

// Reduce combines each key's values with fn, starting from the first
// value (KGroupedStream#reduce). Options: Named, Materialized[K, V].
func (g *KGroupedStream[K, V]) Reduce(fn func(agg, value V) V, opts ...Option) *KTable[K, V] {
	const op = "reduce"
	o := g.b.options(op, opts)
	given := o.name()
	m, _ := take[Materialized[K, V]](o)
	o.done("Named", optName[Materialized[K, V]]())
	checkFunc(g.b, op, fn)
	storeName := g.storeName(m, streamReduceName)
	name := g.b.orElseGenerate(given, streamReduceName)
	m.KeySerde = firstSerde(m.KeySerde, g.keySerde)
	m.ValueSerde = firstSerde(m.ValueSerde, g.valueSerde)
	red := &streamAggregate[K, V, V]{storeName: storeName, reduce: fn, first: func(v V) V { return v }}
	return groupedAggregate(g, op, name, storeName, m, red.processor, &red.sendOld)
}

// Aggregate folds each key's values into an aggregate that starts as
// init() (KGroupedStream#aggregate). Options: Named, Materialized[K, VA].
func Aggregate[K, V, VA any](g *KGroupedStream[K, V], init func() VA, add func(key K, value V, agg VA) VA, opts ...Option) *KTable[K, VA] {
	const op = "aggregate"
	o := g.b.options(op, opts)
	given := o.name()
	m, _ := take[Materialized[K, VA]](o)
	o.done("Named", optName[Materialized[K, VA]]())
	checkFunc(g.b, op+": initializer", init)
	checkFunc(g.b, op+": aggregator", add)
	storeName := g.storeName(m, streamAggregateName)
	name := g.b.orElseGenerate(given, streamAggregateName)
	m.KeySerde = firstSerde(m.KeySerde, g.keySerde)
	agg := &streamAggregate[K, V, VA]{storeName: storeName, init: init, add: add}
	return groupedAggregate(g, op, name, storeName, m, agg.processor, &agg.sendOld)
}

// storeName is MaterializedInternal's store name: given, or generated now.
func (g *KGroupedStream[K, V]) storeName(m interface{ storeNameOf() string }, prefix string) string {
	if n := m.storeNameOf(); n != "" {
		return n
	}
	return g.b.newStoreName(prefix)
}

func (m Materialized[K, V]) storeNameOf() string { return materializedName(m) }

// groupedAggregate is GroupedStreamAggregateBuilder#build.
func groupedAggregate[K, V, VA any](g *KGroupedStream[K, V], op, name, storeName string, m Materialized[K, VA], newProc func() topology.Processor[K, V, K, tableChange[VA]], sendOld *bool) *KTable[K, VA] {
	b := g.b
	b.checkName(op, "store name", materializedName(m))
	parent, sources := g.node, g.sources
	if g.repartitionRequired {
		prefix := g.repartitionName
		if prefix == "" {
			prefix = storeName
		}
		r := b.newRepartition(prefix)
		if g.repartition == nil || g.repartitionName == "" {
			g.repartition = repartitionGraphNode[K, V](b, op, r, g.keySerde, g.valueSerde, nil)
		}
		b.link(g.repartition, parent)
		parent, sources = g.repartition, []*gnode{g.repartition}
	}
	spec := materializedSpec(m, storeName)
	node := b.addNode(name, []*gnode{parent}, func(w *graphWriter) error {
		w.tb.AddProcessor(name, topology.Supply(newProc), parent.name)
		return addTableStore(w, op, name, spec, m.KeySerde, m.ValueSerde)
	})
	sup := aggSupplier[K, VA]{store: storeName, sendOld: sendOld}
	return &KTable[K, VA]{b: b, name: name, node: node, keySerde: m.KeySerde, valueSerde: m.ValueSerde, sources: sources, queryableStoreName: materializedName(m), sup: sup}
}

// aggSupplier is the tableSupplier of an aggregation: always materialized,
// it can always send old values.
type aggSupplier[K, V any] struct {
	store   string
	sendOld *bool
}

func (a aggSupplier[K, V]) enableSendOld(bool) bool { *a.sendOld = true; return true }
func (a aggSupplier[K, V]) view() getterSupplier[K, V] {
	return storeGetterSupplier[K, V](a.store)
}

// streamAggregate is Kafka's KStreamAggregate (and, with reduce set,
// KStreamReduce).
type streamAggregate[K, V, VA any] struct {
	storeName string
	init      func() VA
	add       func(K, V, VA) VA
	reduce    func(VA, V) VA // set for Reduce, with first
	first     func(V) VA     // Reduce: the first value is the aggregate
	sendOld   bool
}

func (a *streamAggregate[K, V, VA]) processor() topology.Processor[K, V, K, tableChange[VA]] {
	return &streamAggregateProc[K, V, VA]{a: a, keyNull: nullCheck[K](), valueNull: nullCheck[V](), aggNull: nullCheck[VA]()}
}

type streamAggregateProc[K, V, VA any] struct {
	a         *streamAggregate[K, V, VA]
	keyNull   func(K) bool
	valueNull func(V) bool
	aggNull   func(VA) bool
	aggregateState[K, VA]
}

func (p *streamAggregateProc[K, V, VA]) Init(ctx topology.ProcessorContext[K, tableChange[VA]]) error {
	return p.init(ctx, p.a.storeName, p.a.sendOld)
}

// aggregateState is what the stream and table aggregation processors keep:
// their context, their timestamped store, and whether the store's cache
// forwards the results when it flushes.
type aggregateState[K, VA any] struct {
	ctx    topology.ProcessorContext[K, tableChange[VA]]
	store  *timestampedKV[K, VA]
	cached bool
}

func (a *aggregateState[K, VA]) init(ctx topology.ProcessorContext[K, tableChange[VA]], storeName string, sendOld bool) error {
	a.ctx = ctx
	s, err := lookupTSStore[K, VA](ctx, storeName)
	if err != nil {
		return err
	}
	a.store, a.cached = s, forwardOnFlush(s, ctx, sendOld)
	return nil
}

func (p *streamAggregateProc[K, V, VA]) Process(rec topology.Record[K, V]) error {
	if (p.keyNull != nil && p.keyNull(rec.Key)) || (p.valueNull != nil && p.valueNull(rec.Value)) {
		logSkip(p.ctx, "Skipping record due to null key or value.")
		return nil
	}
	old, oldTs, found, err := p.store.getForUpdate(rec.Key)
	if err != nil {
		return err
	}
	ts := rec.Timestamp
	if found {
		ts = max(ts, oldTs)
	}
	var agg VA
	c := tableChange[VA]{isLatest: true, hasNew: true}
	if p.a.reduce != nil {
		// KStreamReduce: the first value is the aggregate; the old value
		// sent downstream is null for a new key.
		if found {
			agg = p.a.reduce(old, rec.Value)
			c.oldV, c.hasOld = old, true
		} else {
			agg = p.a.first(rec.Value)
		}
	} else {
		// KStreamAggregate: for a new key the old value sent downstream is
		// the initial aggregate, as in Kafka.
		if !found {
			old = p.a.init()
		}
		agg = p.a.add(rec.Key, rec.Value, old)
		c.oldV, c.hasOld = old, p.aggNull == nil || !p.aggNull(old)
	}
	c.newV = agg
	c.hasNew = p.aggNull == nil || !p.aggNull(agg)
	if err := p.store.write(rec.Key, agg, c.hasNew, ts); err != nil {
		return err
	}
	if p.cached {
		return nil
	}
	return forwardChange(p.ctx, rec.Key, c, ts, rec.Headers, p.a.sendOld)
}

func (p *streamAggregateProc[K, V, VA]) Close() error { return nil }

// KGroupedTable is a table re-grouped by a new key, ready to aggregate
// with an adder and a subtractor (Kafka's KGroupedTable).
type KGroupedTable[K, V any] struct {
	b               *Builder
	node            *gnode
	keySerde        serde.Serde[K]
	valueSerde      serde.Serde[V]
	repartitionName string
	repartition     *gnode
}

// TableGroupBy re-keys the table's rows with fn (KTable#groupBy). Each
// update becomes a subtraction of the old row under its old group and an
// addition of the new row under its new group, sent through the topic
// "<name>-repartition"; when both land in the same group they travel
// together and the aggregation applies the subtractor, then the adder.
// Rows for which fn returns a null key or value are skipped. Options:
// Grouped[KR, VR].
func TableGroupBy[K, V, KR, VR any](t *KTable[K, V], fn func(K, V) (KR, VR), opts ...Option) *KGroupedTable[KR, VR] {
	mustTable("TableGroupBy", t)
	const op = "groupBy"
	o := t.b.options(op, opts)
	g, _ := take[Grouped[KR, VR]](o)
	o.done(optName[Grouped[KR, VR]]())
	t.b.checkName(op, "name", g.Name)
	name := t.b.orElseGenerate(g.Name, tableSelectName)
	checkFunc(t.b, op, fn)
	parent := t.node
	keySerde := g.KeySerde
	node := t.b.addNode(name, []*gnode{parent}, func(w *graphWriter) error {
		ks, err := resolveSerde(w.b, op, "key", keySerde)
		if err != nil {
			return err
		}
		w.tb.AddProcessor(name, topology.Supply(func() topology.Processor[K, tableChange[V], KR, tableChange[VR]] {
			return &tableRepartitionMap[K, V, KR, VR]{fn: fn, keys: ks, keyNull: nullCheck[K](), outKeyNull: nullCheck[KR](), outValueNull: nullCheck[VR]()}
		}), parent.name)
		return nil
	})
	t.enableSendingOldValues(true)
	return &KGroupedTable[KR, VR]{b: t.b, node: node, keySerde: g.KeySerde, valueSerde: g.ValueSerde, repartitionName: g.Name}
}

// tableRepartitionMap is Kafka's KTableRepartitionMap.
type tableRepartitionMap[K, V, KR, VR any] struct {
	fn           func(K, V) (KR, VR)
	keys         serde.Serde[KR]
	keyNull      func(K) bool
	outKeyNull   func(KR) bool
	outValueNull func(VR) bool
	ctx          topology.ProcessorContext[KR, tableChange[VR]]
}

func (p *tableRepartitionMap[K, V, KR, VR]) Init(ctx topology.ProcessorContext[KR, tableChange[VR]]) error {
	p.ctx = ctx
	return nil
}

// pair maps a row; ok is false when the row is null or maps to a null key
// or value.
func (p *tableRepartitionMap[K, V, KR, VR]) pair(k K, v V, present bool) (KR, VR, bool) {
	var kr KR
	var vr VR
	if !present {
		return kr, vr, false
	}
	kr, vr = p.fn(k, v)
	if (p.outKeyNull != nil && p.outKeyNull(kr)) || (p.outValueNull != nil && p.outValueNull(vr)) {
		return kr, vr, false
	}
	return kr, vr, true
}

func (p *tableRepartitionMap[K, V, KR, VR]) Process(rec topology.Record[K, tableChange[V]]) error {
	if p.keyNull != nil && p.keyNull(rec.Key) {
		return errors.New("record key for the grouping KTable should not be null")
	}
	c := rec.Value
	newK, newV, newOK := p.pair(rec.Key, c.newV, c.hasNew)
	oldK, oldV, oldOK := p.pair(rec.Key, c.oldV, c.hasOld)
	if newOK && oldOK {
		same, err := p.sameKey(oldK, newK)
		if err != nil {
			return err
		}
		if same {
			return p.ctx.Forward(topology.Record[KR, tableChange[VR]]{Key: oldK, Value: tableChange[VR]{newV: newV, hasNew: true, oldV: oldV, hasOld: true, isLatest: c.isLatest}, Timestamp: rec.Timestamp, Headers: rec.Headers})
		}
	}
	// the old pair first, as reduce and aggregate expect
	if oldOK {
		if err := p.ctx.Forward(topology.Record[KR, tableChange[VR]]{Key: oldK, Value: tableChange[VR]{oldV: oldV, hasOld: true, isLatest: c.isLatest}, Timestamp: rec.Timestamp, Headers: rec.Headers}); err != nil {
			return err
		}
	}
	if newOK {
		return p.ctx.Forward(topology.Record[KR, tableChange[VR]]{Key: newK, Value: tableChange[VR]{newV: newV, hasNew: true, isLatest: c.isLatest}, Timestamp: rec.Timestamp, Headers: rec.Headers})
	}
	return nil
}

// sameKey compares grouping keys by their serialized bytes: the bytes
// decide the partition, and every key type has them.
func (p *tableRepartitionMap[K, V, KR, VR]) sameKey(a, b KR) (bool, error) {
	ab, err := p.keys.Serialize("", a)
	if err != nil {
		return false, err
	}
	bb, err := p.keys.Serialize("", b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ab, bb), nil
}

func (p *tableRepartitionMap[K, V, KR, VR]) Close() error { return nil }

// Count counts the rows per group: +1 for an added row, -1 for a removed
// one (KGroupedTable#count). Options: Named, Materialized[K, int64].
func (g *KGroupedTable[K, V]) Count(opts ...Option) *KTable[K, int64] {
	const op = "count"
	o := g.b.options(op, opts)
	given := o.name()
	m, _ := take[Materialized[K, int64]](o)
	o.done("Named", optName[Materialized[K, int64]]())
	storeName := g.storeName(m)
	m.KeySerde = firstSerde(m.KeySerde, g.keySerde)
	m.ValueSerde = firstSerde(m.ValueSerde, serde.Int64())
	agg := &tableAggregate[K, V, int64]{
		storeName: storeName,
		init:      func() int64 { return 0 },
		add:       func(_ K, _ V, n int64) int64 { return n + 1 },
		remove:    func(_ K, _ V, n int64) int64 { return n - 1 },
	}
	return tableAggregateBuild(g, op, given, tableAggregateName, storeName, m, agg.processor, &agg.sendOld)
}

// Reduce keeps one value per group, combining added rows with adder and
// taking removed ones out with subtractor (KGroupedTable#reduce). Options:
// Named, Materialized[K, V].
func (g *KGroupedTable[K, V]) Reduce(adder, subtractor func(agg, value V) V, opts ...Option) *KTable[K, V] {
	const op = "reduce"
	o := g.b.options(op, opts)
	given := o.name()
	m, _ := take[Materialized[K, V]](o)
	o.done("Named", optName[Materialized[K, V]]())
	checkFunc(g.b, op+": adder", adder)
	checkFunc(g.b, op+": subtractor", subtractor)
	storeName := g.storeName(m)
	m.KeySerde = firstSerde(m.KeySerde, g.keySerde)
	m.ValueSerde = firstSerde(m.ValueSerde, g.valueSerde)
	agg := &tableAggregate[K, V, V]{storeName: storeName, reduceAdd: adder, reduceRemove: subtractor, first: func(v V) V { return v }}
	return tableAggregateBuild(g, op, given, tableReduceName, storeName, m, agg.processor, &agg.sendOld)
}

// TableAggregate folds each group's rows into an aggregate with an adder
// for added rows and a subtractor for removed ones
// (KGroupedTable#aggregate). Options: Named, Materialized[K, VA].
func TableAggregate[K, V, VA any](g *KGroupedTable[K, V], init func() VA, adder, subtractor func(key K, value V, agg VA) VA, opts ...Option) *KTable[K, VA] {
	const op = "aggregate"
	o := g.b.options(op, opts)
	given := o.name()
	m, _ := take[Materialized[K, VA]](o)
	o.done("Named", optName[Materialized[K, VA]]())
	checkFunc(g.b, op+": initializer", init)
	checkFunc(g.b, op+": adder", adder)
	checkFunc(g.b, op+": subtractor", subtractor)
	storeName := g.storeName(m)
	m.KeySerde = firstSerde(m.KeySerde, g.keySerde)
	agg := &tableAggregate[K, V, VA]{storeName: storeName, init: init, add: adder, remove: subtractor}
	return tableAggregateBuild(g, op, given, tableAggregateName, storeName, m, agg.processor, &agg.sendOld)
}

func (g *KGroupedTable[K, V]) storeName(m interface{ storeNameOf() string }) string {
	if n := m.storeNameOf(); n != "" {
		return n
	}
	return g.b.newStoreName(tableAggregateName)
}

// tableAggregateBuild is KGroupedTableImpl#doAggregate.
func tableAggregateBuild[K, V, VA any](g *KGroupedTable[K, V], op, given, prefix, storeName string, m Materialized[K, VA], newProc func() topology.Processor[K, tableChange[V], K, tableChange[VA]], sendOld *bool) *KTable[K, VA] {
	b := g.b
	b.checkName(op, "store name", materializedName(m))
	sink := b.suffixOrElseGenerate(given, "-sink", sinkName)
	source := b.suffixOrElseGenerate(given, "-source", sourceName)
	name := b.orElseGenerate(given, prefix)
	topicPrefix := g.repartitionName
	if topicPrefix == "" {
		topicPrefix = storeName
	}
	if g.repartition == nil || g.repartitionName == "" {
		r := &repartitionNode{topic: topicPrefix + repartitionSuffix, sinkName: sink, sourceName: source}
		g.repartition = tableRepartitionGraphNode(b, op, r, g.keySerde, g.valueSerde)
	}
	b.link(g.repartition, g.node)
	parent := g.repartition
	spec := materializedSpec(m, storeName)
	node := b.addNode(name, []*gnode{parent}, func(w *graphWriter) error {
		w.tb.AddProcessor(name, topology.Supply(newProc), parent.name)
		return addTableStore(w, op, name, spec, m.KeySerde, m.ValueSerde)
	})
	return &KTable[K, VA]{b: b, name: name, node: node, keySerde: m.KeySerde, valueSerde: m.ValueSerde, sources: []*gnode{parent}, queryableStoreName: materializedName(m), sup: aggSupplier[K, VA]{store: storeName, sendOld: sendOld}}
}

// tableRepartitionGraphNode is Kafka's GroupedTableOperationRepartitionNode:
// the changes travel as old/new pairs in Kafka's Change format.
func tableRepartitionGraphNode[K, V any](b *Builder, op string, r *repartitionNode, keySerde serde.Serde[K], valueSerde serde.Serde[V]) *gnode {
	n := &gnode{name: r.sourceName, repartition: r}
	n.write = func(w *graphWriter) error {
		ks, err := resolveSerde(w.b, op, "repartition key", keySerde)
		if err != nil {
			return err
		}
		vs, err := resolveSerde(w.b, op, "repartition value", valueSerde)
		if err != nil {
			return err
		}
		cs := changeSerde[V]{inner: vs}
		w.tb.AddInternalTopic(r.topic, topology.InternalTopicConfig{})
		w.tb.AddSink(r.sinkName, topology.Sink[K, tableChange[V]]{Topic: r.topic, KeySerde: ks, ValueSerde: cs}, namesOf(n.parents)...)
		w.tb.AddSource(r.sourceName, topology.Source[K, tableChange[V]]{Topics: []string{r.topic}, KeySerde: ks, ValueSerde: cs})
		return nil
	}
	b.nodes = append(b.nodes, n)
	return n
}

// tableAggregate is Kafka's KTableAggregate (and, with reduceAdd set,
// KTableReduce).
type tableAggregate[K, V, VA any] struct {
	storeName    string
	init         func() VA
	add, remove  func(K, V, VA) VA
	reduceAdd    func(VA, V) VA // Reduce, with reduceRemove and first
	reduceRemove func(VA, V) VA
	first        func(V) VA
	sendOld      bool
}

func (a *tableAggregate[K, V, VA]) processor() topology.Processor[K, tableChange[V], K, tableChange[VA]] {
	return &tableAggregateProc[K, V, VA]{a: a, keyNull: nullCheck[K](), aggNull: nullCheck[VA]()}
}

type tableAggregateProc[K, V, VA any] struct {
	a       *tableAggregate[K, V, VA]
	keyNull func(K) bool
	aggNull func(VA) bool
	aggregateState[K, VA]
}

func (p *tableAggregateProc[K, V, VA]) Init(ctx topology.ProcessorContext[K, tableChange[VA]]) error {
	return p.init(ctx, p.a.storeName, p.a.sendOld)
}

func (p *tableAggregateProc[K, V, VA]) present(v VA) bool { return p.aggNull == nil || !p.aggNull(v) }

func (p *tableAggregateProc[K, V, VA]) Process(rec topology.Record[K, tableChange[V]]) error {
	if p.keyNull != nil && p.keyNull(rec.Key) {
		return fmt.Errorf("record key for the KTable aggregate with store %s should not be null", p.a.storeName)
	}
	oldAgg, oldTs, found, err := p.store.getForUpdate(rec.Key)
	if err != nil {
		return err
	}
	c := rec.Value
	ts := rec.Timestamp
	agg, have := oldAgg, found
	// subtract the old row first
	if c.hasOld && found {
		if p.a.reduceRemove != nil {
			agg = p.a.reduceRemove(oldAgg, c.oldV)
		} else {
			agg = p.a.remove(rec.Key, c.oldV, oldAgg)
		}
		have = p.present(agg)
		ts = max(rec.Timestamp, oldTs)
	}
	// then add the new one
	if c.hasNew {
		switch {
		case p.a.reduceAdd != nil && !have:
			agg = p.a.first(c.newV)
		case p.a.reduceAdd != nil:
			agg = p.a.reduceAdd(agg, c.newV)
			ts = max(rec.Timestamp, oldTs)
		default:
			if !have {
				agg = p.a.init()
			}
			agg = p.a.add(rec.Key, c.newV, agg)
			if found {
				ts = max(rec.Timestamp, oldTs)
			}
		}
		have = p.present(agg)
	}
	if err := p.store.write(rec.Key, agg, have, ts); err != nil {
		return err
	}
	if p.cached {
		return nil
	}
	out := tableChange[VA]{newV: agg, hasNew: have, oldV: oldAgg, hasOld: found, isLatest: true}
	return forwardChange(p.ctx, rec.Key, out, ts, rec.Headers, p.a.sendOld)
}

func (p *tableAggregateProc[K, V, VA]) Close() error { return nil }
