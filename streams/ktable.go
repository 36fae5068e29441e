package streams

import (
	"fmt"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// Prefixes of generated KTable names (Kafka's KTableImpl constants).
const (
	tableSourceName    = "KTABLE-SOURCE-"
	tableFilterName    = "KTABLE-FILTER-"
	tableMapValuesName = "KTABLE-MAPVALUES-"
	tableSelectName    = "KTABLE-SELECT-"
	tableToStreamName  = "KTABLE-TOSTREAM-"
	tableAggregateName = "KTABLE-AGGREGATE-"
	tableReduceName    = "KTABLE-REDUCE-"
	tableSourceSuffix  = "-source"
)

// KTable is a changelog stream read as a table: the latest value per key,
// where a null value deletes the key (Kafka's KTable). Internally its
// processors forward each update as the new value and, when a downstream
// operation needs it, the old one.
type KTable[K, V any] struct {
	b          *Builder
	name       string
	node       *gnode
	keySerde   serde.Serde[K]
	valueSerde serde.Serde[V]
	sources    []*gnode
	// queryableStoreName is the store holding the table, "" when it is
	// not materialized.
	queryableStoreName string
	sup                tableSupplier[K, V]
	sendOld            bool // KTableImpl#sendOldValues
}

// tableSupplier is what a table's processor can do for downstream
// operations (Kafka's KTableProcessorSupplier and friends).
type tableSupplier[K, V any] interface {
	// enableSendOld makes the processor forward old values; force
	// materializes a source table if needed. It reports whether old
	// values will be sent.
	enableSendOld(force bool) bool
	// view reads the table's current value per key (materializing a
	// source table if needed).
	view() getterSupplier[K, V]
}

// getterSupplier makes value getters, one per task (Kafka's
// KTableValueGetterSupplier).
type getterSupplier[K, V any] struct {
	storeNames []string // stores a reader must connect to
	newGetter  func() valueGetter[K, V]
}

// valueGetter reads one table's current value for a key.
type valueGetter[K, V any] interface {
	init(stores state.StoreGetter) error
	get(k K) (v V, ts int64, ok bool, err error)
}

func mustTable[K, V any](op string, t *KTable[K, V]) {
	if t == nil || t.b == nil {
		panic(fmt.Sprintf("streams.%s: the table is nil", op))
	}
}

func (t *KTable[K, V]) enableSendingOldValues(force bool) bool {
	if !t.sendOld {
		if !t.sup.enableSendOld(force) {
			return false
		}
		t.sendOld = true
	}
	return true
}

// Table reads topic as a table (StreamsBuilder#table): a record updates
// its key, a record with a null value (nil bytes, whatever V is) deletes
// it, records with a null key are dropped. The table gets a store only if
// Materialized names one or a later operation needs it. Options:
// Materialized[K, V].
func Table[K, V any](b *Builder, topic string, consumed Consumed[K, V], opts ...Option) *KTable[K, V] {
	op := fmt.Sprintf("table(%s)", topic)
	o := b.options(op, opts)
	m, _ := take[Materialized[K, V]](o)
	o.done(optName[Materialized[K, V]]())
	storeName := materializedName(m)
	queryable := storeName
	if storeName == "" {
		storeName = b.newStoreName(topic + "-")
	}
	b.checkName(op, "name", consumed.Name)
	srcName := b.suffixOrElseGenerate(consumed.Name, tableSourceSuffix, sourceName)
	procName := b.orElseGenerate(consumed.Name, tableSourceName)
	if topic == "" {
		b.fail("table: the topic name is empty")
	}
	keySerde, valueSerde := firstSerde(consumed.KeySerde, m.KeySerde), firstSerde(consumed.ValueSerde, m.ValueSerde)
	src := &tableSource[K, V]{storeName: storeName, queryable: queryable}
	spec := materializedSpec(m, storeName)
	node := b.addNode(procName, nil, func(w *graphWriter) error {
		ks, err := resolveSerde(w.b, op, "key", keySerde)
		if err != nil {
			return err
		}
		vs, err := resolveSerde(w.b, op, "value", valueSerde)
		if err != nil {
			return err
		}
		w.tb.AddSource(srcName, topology.Source[K, tableValue[V]]{
			Topics: []string{topic}, KeySerde: ks, ValueSerde: tableValueSerde[V]{vs},
			TimestampExtractor: tableExtractor(consumed.TimestampExtractor), OffsetReset: consumed.OffsetReset,
		})
		w.tb.AddProcessor(procName, topology.Supply(func() topology.Processor[K, tableValue[V], K, tableChange[V]] {
			return newTableSourceProc[K](src, procName, func(v tableValue[V]) (V, bool) { return v.v, v.ok })
		}), srcName)
		if src.queryable != "" {
			w.tb.AddStateStore(newTSStoreBuilder(spec, ks, vs), procName)
		}
		return nil
	})
	t := &KTable[K, V]{b: b, name: procName, node: node, keySerde: keySerde, valueSerde: valueSerde, queryableStoreName: queryable, sup: src}
	t.sources = []*gnode{node}
	return t
}

// tableExtractor adapts a Consumed's extractor to the table source's
// value type.
func tableExtractor[K, V any](ex topology.TimestampExtractor[K, V]) topology.TimestampExtractor[K, tableValue[V]] {
	if ex == nil {
		return nil
	}
	return func(raw *topology.RawRecord, k K, v tableValue[V], partitionTime int64) (int64, error) {
		return ex(raw, k, v.v, partitionTime)
	}
}

// tableSource is Kafka's KTableSource: it materializes the table in its
// store when queryable is set.
type tableSource[K, V any] struct {
	storeName string
	queryable string // "" while not materialized
	sendOld   bool
}

func (s *tableSource[K, V]) enableSendOld(force bool) bool {
	if !force && s.queryable == "" {
		return false
	}
	s.sendOld, s.queryable = true, s.storeName
	return true
}

func (s *tableSource[K, V]) view() getterSupplier[K, V] {
	s.queryable = s.storeName
	return storeGetterSupplier[K, V](s.storeName)
}

// storeGetterSupplier reads a table from its own store (Kafka's
// KTableMaterializedValueGetterSupplier).
func storeGetterSupplier[K, V any](store string) getterSupplier[K, V] {
	return getterSupplier[K, V]{storeNames: []string{store}, newGetter: func() valueGetter[K, V] {
		return &storeGetter[K, V]{name: store}
	}}
}

type storeGetter[K, V any] struct {
	name  string
	store *timestampedKV[K, V]
}

func (g *storeGetter[K, V]) init(stores state.StoreGetter) error {
	s, err := lookupTSStore[K, V](stores, g.name)
	g.store = s
	return err
}

func (g *storeGetter[K, V]) get(k K) (V, int64, bool, error) { return g.store.get(k) }

// tableSourceProc updates the table's store (when materialized) and
// forwards the change. VIn is what it reads: a table topic's value, or a
// stream's value for ToTable; present says whether it is null.
type tableSourceProc[K, VIn, V any] struct {
	src     *tableSource[K, V]
	node    string
	present func(VIn) (V, bool)
	keyNull func(K) bool
	ctx     topology.ProcessorContext[K, tableChange[V]]
	store   *timestampedKV[K, V]
	cached  bool // the store forwards on flush
}

func newTableSourceProc[K, VIn, V any](src *tableSource[K, V], node string, present func(VIn) (V, bool)) *tableSourceProc[K, VIn, V] {
	return &tableSourceProc[K, VIn, V]{src: src, node: node, present: present, keyNull: nullCheck[K]()}
}

func (p *tableSourceProc[K, VIn, V]) Init(ctx topology.ProcessorContext[K, tableChange[V]]) error {
	p.ctx = ctx
	if p.src.queryable != "" {
		s, err := lookupTSStore[K, V](ctx, p.src.queryable)
		if err != nil {
			return err
		}
		p.store = s
		p.cached = forwardOnFlush(s, ctx, p.src.sendOld)
	}
	return nil
}

func (p *tableSourceProc[K, VIn, V]) Process(rec topology.Record[K, VIn]) error {
	if p.keyNull != nil && p.keyNull(rec.Key) {
		logSkip(p.ctx, "Skipping record due to null key.")
		return nil
	}
	v, ok := p.present(rec.Value)
	out := tableChange[V]{newV: v, hasNew: ok, isLatest: true}
	if p.store == nil {
		return p.ctx.Forward(topology.Record[K, tableChange[V]]{Key: rec.Key, Value: out, Timestamp: rec.Timestamp, Headers: rec.Headers})
	}
	old, oldTs, found, err := p.store.get(rec.Key)
	if err != nil {
		return err
	}
	if found && rec.Timestamp < oldTs {
		if meta, ok := p.ctx.RecordMetadata(); ok {
			p.ctx.Logger().Warn("Detected out-of-order KTable update", "store", p.store.Name(),
				"old_timestamp", oldTs, "new_timestamp", rec.Timestamp, "topic", meta.Topic, "partition", meta.Partition, "offset", meta.Offset)
		}
	}
	if err := p.store.write(rec.Key, v, ok, rec.Timestamp); err != nil {
		return err
	}
	if p.cached {
		return nil
	}
	if p.src.sendOld && found {
		out.oldV, out.hasOld = old, true
	}
	return p.ctx.Forward(topology.Record[K, tableChange[V]]{Key: rec.Key, Value: out, Timestamp: rec.Timestamp, Headers: rec.Headers})
}

func (p *tableSourceProc[K, VIn, V]) Close() error { return nil }

// logSkip logs a dropped record with where it came from, as Kafka does.
func logSkip[KOut, VOut any](ctx topology.ProcessorContext[KOut, VOut], msg string) {
	if meta, ok := ctx.RecordMetadata(); ok {
		ctx.Logger().Warn(msg, "topic", meta.Topic, "partition", meta.Partition, "offset", meta.Offset)
		return
	}
	ctx.Logger().Warn(msg + " Topic, partition, and offset not known.")
}

// forwardChange sends a table update downstream; without sendOld the old
// value is dropped (Kafka's TimestampedTupleForwarder without a cache).
func forwardChange[K, V any](ctx topology.ProcessorContext[K, tableChange[V]], key K, c tableChange[V], ts int64, headers topology.Headers, sendOld bool) error {
	if !sendOld {
		var zero V
		c.oldV, c.hasOld = zero, false
	}
	return ctx.Forward(topology.Record[K, tableChange[V]]{Key: key, Value: c, Timestamp: ts, Headers: headers})
}

// ToStream turns the table's updates into a stream of (key, new value)
// records; a delete becomes a record with a null value, which for a
// non-nillable V is V's zero value (KTable#toStream). Options: Named.
func (t *KTable[K, V]) ToStream(opts ...Option) *KStream[K, V] {
	mustTable("ToStream", t)
	name := namedOnly(t.b, "toStream", opts, tableToStreamName)
	node := processorNode(t.b, name, []*gnode{t.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[K, V], rec topology.Record[K, tableChange[V]]) error {
			return ctx.Forward(topology.Record[K, V]{Key: rec.Key, Value: rec.Value.newV, Timestamp: rec.Timestamp, Headers: rec.Headers})
		})
	})
	return &KStream[K, V]{b: t.b, name: name, node: node, keySerde: t.keySerde, valueSerde: t.valueSerde, sources: t.sources}
}

// Filter keeps the rows for which pred is true; an update that no longer
// matches deletes its row (KTable#filter). Options: Named,
// Materialized[K, V] (with a StoreName, the result gets its own store).
func (t *KTable[K, V]) Filter(pred func(K, V) bool, opts ...Option) *KTable[K, V] {
	return t.filter("filter", pred, false, opts)
}

// FilterNot drops the rows for which pred is true (KTable#filterNot).
// Options: Named, Materialized[K, V].
func (t *KTable[K, V]) FilterNot(pred func(K, V) bool, opts ...Option) *KTable[K, V] {
	return t.filter("filterNot", pred, true, opts)
}

func (t *KTable[K, V]) filter(op string, pred func(K, V) bool, not bool, opts []Option) *KTable[K, V] {
	mustTable(op, t)
	o := t.b.options(op, opts)
	given := o.name()
	m, hasM := take[Materialized[K, V]](o)
	o.done("Named", optName[Materialized[K, V]]())
	checkFunc(t.b, op, pred)
	keySerde, valueSerde := t.keySerde, t.valueSerde
	queryable := ""
	if hasM {
		if materializedName(m) == "" {
			t.b.newStoreName(tableFilterName) // burned for compatibility, as Kafka
		}
		keySerde, valueSerde = firstSerde(m.KeySerde, t.keySerde), firstSerde(m.ValueSerde, t.valueSerde)
		queryable = materializedName(m)
	}
	name := t.b.orElseGenerate(given, tableFilterName)
	f := &tableFilter[K, V]{parent: t, pred: pred, not: not, queryable: queryable}
	f.sendOld = t.enableSendingOldValues(false)
	spec := materializedSpec(m, queryable)
	node := t.b.addNode(name, []*gnode{t.node}, func(w *graphWriter) error {
		w.tb.AddProcessor(name, topology.Supply(func() topology.Processor[K, tableChange[V], K, tableChange[V]] {
			return &tableFilterProc[K, V]{f: f}
		}), t.node.name)
		if queryable != "" {
			return addTableStore(w, op, name, spec, keySerde, valueSerde)
		}
		return nil
	})
	return &KTable[K, V]{b: t.b, name: name, node: node, keySerde: keySerde, valueSerde: valueSerde, sources: t.sources, queryableStoreName: queryable, sup: f}
}

// addTableStore adds a table operation's own store.
func addTableStore[K, V any](w *graphWriter, op, processor string, spec storeSpec, keySerde serde.Serde[K], valueSerde serde.Serde[V]) error {
	ks, err := resolveSerde(w.b, op, "store key", keySerde)
	if err != nil {
		return err
	}
	vs, err := resolveSerde(w.b, op, "store value", valueSerde)
	if err != nil {
		return err
	}
	w.tb.AddStateStore(newTSStoreBuilder(spec, ks, vs), processor)
	return nil
}

// tableFilter is Kafka's KTableFilter.
type tableFilter[K, V any] struct {
	parent    *KTable[K, V]
	pred      func(K, V) bool
	not       bool
	queryable string
	sendOld   bool
}

func (f *tableFilter[K, V]) enableSendOld(force bool) bool {
	if f.queryable != "" {
		f.sendOld = true
		return true
	}
	if f.parent.enableSendingOldValues(force) {
		f.sendOld = true
	}
	return f.sendOld
}

func (f *tableFilter[K, V]) view() getterSupplier[K, V] {
	if f.queryable != "" {
		return storeGetterSupplier[K, V](f.queryable)
	}
	parent := f.parent.sup.view()
	return getterSupplier[K, V]{storeNames: parent.storeNames, newGetter: func() valueGetter[K, V] {
		return &filterGetter[K, V]{f: f, parent: parent.newGetter()}
	}}
}

func (f *tableFilter[K, V]) keep(k K, v V, ok bool) (V, bool) {
	if ok && f.pred(k, v) != f.not {
		return v, true
	}
	var zero V
	return zero, false
}

type filterGetter[K, V any] struct {
	f      *tableFilter[K, V]
	parent valueGetter[K, V]
}

func (g *filterGetter[K, V]) init(stores state.StoreGetter) error { return g.parent.init(stores) }
func (g *filterGetter[K, V]) get(k K) (V, int64, bool, error) {
	v, ts, ok, err := g.parent.get(k)
	if err != nil || !ok {
		return v, ts, false, err
	}
	v, ok = g.f.keep(k, v, true)
	return v, ts, ok, nil
}

type tableFilterProc[K, V any] struct {
	f      *tableFilter[K, V]
	ctx    topology.ProcessorContext[K, tableChange[V]]
	store  *timestampedKV[K, V]
	cached bool
}

func (p *tableFilterProc[K, V]) Init(ctx topology.ProcessorContext[K, tableChange[V]]) error {
	p.ctx = ctx
	if p.f.queryable != "" {
		s, err := lookupTSStore[K, V](ctx, p.f.queryable)
		if err != nil {
			return err
		}
		p.store = s
		p.cached = forwardOnFlush(s, ctx, p.f.sendOld)
	}
	return nil
}

func (p *tableFilterProc[K, V]) Process(rec topology.Record[K, tableChange[V]]) error {
	c := rec.Value
	out := tableChange[V]{isLatest: c.isLatest}
	out.newV, out.hasNew = p.f.keep(rec.Key, c.newV, c.hasNew)
	if p.f.sendOld {
		if p.store != nil {
			var err error
			if out.oldV, _, out.hasOld, err = p.store.get(rec.Key); err != nil {
				return err
			}
		} else {
			out.oldV, out.hasOld = p.f.keep(rec.Key, c.oldV, c.hasOld)
		}
		if !out.hasOld && !out.hasNew {
			return nil // nothing changed downstream
		}
	}
	if p.store == nil {
		return p.ctx.Forward(topology.Record[K, tableChange[V]]{Key: rec.Key, Value: out, Timestamp: rec.Timestamp, Headers: rec.Headers})
	}
	if err := p.store.write(rec.Key, out.newV, out.hasNew, rec.Timestamp); err != nil {
		return err
	}
	if p.cached {
		return nil
	}
	out.isLatest = true
	return forwardChange(p.ctx, rec.Key, out, rec.Timestamp, rec.Headers, p.f.sendOld)
}

func (p *tableFilterProc[K, V]) Close() error { return nil }

// TableMapValues maps each row's value (KTable#mapValues); a deleted row
// stays deleted. Options: Named, Materialized[K, VR] (with a StoreName,
// the result gets its own store).
func TableMapValues[K, V, VR any](t *KTable[K, V], fn func(K, V) VR, opts ...Option) *KTable[K, VR] {
	mustTable("TableMapValues", t)
	const op = "mapValues"
	o := t.b.options(op, opts)
	given := o.name()
	m, hasM := take[Materialized[K, VR]](o)
	o.done("Named", optName[Materialized[K, VR]]())
	checkFunc(t.b, op, fn)
	keySerde := t.keySerde
	var valueSerde serde.Serde[VR]
	queryable := ""
	if hasM {
		if materializedName(m) == "" {
			t.b.newStoreName(tableMapValuesName)
		}
		keySerde, valueSerde = firstSerde(m.KeySerde, t.keySerde), m.ValueSerde
		queryable = materializedName(m)
	}
	name := t.b.orElseGenerate(given, tableMapValuesName)
	mv := &tableMapValues[K, V, VR]{parent: t, fn: fn, queryable: queryable}
	spec := materializedSpec(m, queryable)
	node := t.b.addNode(name, []*gnode{t.node}, func(w *graphWriter) error {
		w.tb.AddProcessor(name, topology.Supply(func() topology.Processor[K, tableChange[V], K, tableChange[VR]] {
			return &tableMapValuesProc[K, V, VR]{mv: mv}
		}), t.node.name)
		if queryable != "" {
			return addTableStore(w, op, name, spec, keySerde, valueSerde)
		}
		return nil
	})
	return &KTable[K, VR]{b: t.b, name: name, node: node, keySerde: keySerde, valueSerde: valueSerde, sources: t.sources, queryableStoreName: queryable, sup: mv}
}

// tableMapValues is Kafka's KTableMapValues.
type tableMapValues[K, V, VR any] struct {
	parent    *KTable[K, V]
	fn        func(K, V) VR
	queryable string
	sendOld   bool
}

func (m *tableMapValues[K, V, VR]) enableSendOld(force bool) bool {
	if m.queryable != "" {
		m.sendOld = true
		return true
	}
	if m.parent.enableSendingOldValues(force) {
		m.sendOld = true
	}
	return m.sendOld
}

func (m *tableMapValues[K, V, VR]) view() getterSupplier[K, VR] {
	if m.queryable != "" {
		return storeGetterSupplier[K, VR](m.queryable)
	}
	parent := m.parent.sup.view()
	return getterSupplier[K, VR]{storeNames: parent.storeNames, newGetter: func() valueGetter[K, VR] {
		return &mapValuesGetter[K, V, VR]{m: m, parent: parent.newGetter()}
	}}
}

type mapValuesGetter[K, V, VR any] struct {
	m      *tableMapValues[K, V, VR]
	parent valueGetter[K, V]
}

func (g *mapValuesGetter[K, V, VR]) init(stores state.StoreGetter) error {
	return g.parent.init(stores)
}

func (g *mapValuesGetter[K, V, VR]) get(k K) (VR, int64, bool, error) {
	v, ts, ok, err := g.parent.get(k)
	if err != nil || !ok {
		var zero VR
		return zero, ts, false, err
	}
	return g.m.fn(k, v), ts, true, nil
}

type tableMapValuesProc[K, V, VR any] struct {
	mv     *tableMapValues[K, V, VR]
	ctx    topology.ProcessorContext[K, tableChange[VR]]
	store  *timestampedKV[K, VR]
	cached bool
}

func (p *tableMapValuesProc[K, V, VR]) Init(ctx topology.ProcessorContext[K, tableChange[VR]]) error {
	p.ctx = ctx
	if p.mv.queryable != "" {
		s, err := lookupTSStore[K, VR](ctx, p.mv.queryable)
		if err != nil {
			return err
		}
		p.store = s
		p.cached = forwardOnFlush(s, ctx, p.mv.sendOld)
	}
	return nil
}

func (p *tableMapValuesProc[K, V, VR]) Process(rec topology.Record[K, tableChange[V]]) error {
	c := rec.Value
	out := tableChange[VR]{isLatest: c.isLatest}
	if c.hasNew {
		out.newV, out.hasNew = p.mv.fn(rec.Key, c.newV), true
	}
	if p.mv.sendOld {
		if p.store != nil {
			var err error
			if out.oldV, _, out.hasOld, err = p.store.get(rec.Key); err != nil {
				return err
			}
		} else if c.hasOld {
			out.oldV, out.hasOld = p.mv.fn(rec.Key, c.oldV), true
		}
	}
	if p.store == nil {
		return p.ctx.Forward(topology.Record[K, tableChange[VR]]{Key: rec.Key, Value: out, Timestamp: rec.Timestamp, Headers: rec.Headers})
	}
	if err := p.store.write(rec.Key, out.newV, out.hasNew, rec.Timestamp); err != nil {
		return err
	}
	if p.cached {
		return nil
	}
	out.isLatest = true
	return forwardChange(p.ctx, rec.Key, out, rec.Timestamp, rec.Headers, p.mv.sendOld)
}

func (p *tableMapValuesProc[K, V, VR]) Close() error { return nil }

// ToTable reads the stream as a table: each record updates its key, a
// null value deletes it (KStream#toTable). After a key change the stream
// is repartitioned first, through "<name>-repartition". Options: Named,
// Materialized[K, V].
func (s *KStream[K, V]) ToTable(opts ...Option) *KTable[K, V] {
	mustStream("ToTable", s)
	const op = "toTable"
	o := s.b.options(op, opts)
	given := o.name()
	m, _ := take[Materialized[K, V]](o)
	o.done("Named", optName[Materialized[K, V]]())
	name := s.b.orElseGenerate(given, toTableName)
	queryable := materializedName(m)
	storeName := queryable
	if storeName == "" {
		storeName = s.b.newStoreName(toTableName)
	}
	keySerde, valueSerde := firstSerde(m.KeySerde, s.keySerde), firstSerde(m.ValueSerde, s.valueSerde)
	parent, sources := s.node, s.sources
	if s.repartitionRequired {
		r := s.b.newRepartition(name)
		parent = repartitionGraphNode[K, V](s.b, op, r, keySerde, valueSerde, nil)
		s.b.link(parent, s.node)
		sources = []*gnode{parent}
	}
	src := &tableSource[K, V]{storeName: storeName, queryable: queryable}
	spec := materializedSpec(m, storeName)
	isNull := nullCheck[V]()
	node := s.b.addNode(name, []*gnode{parent}, func(w *graphWriter) error {
		w.tb.AddProcessor(name, topology.Supply(func() topology.Processor[K, V, K, tableChange[V]] {
			return newTableSourceProc[K](src, name, func(v V) (V, bool) { return v, isNull == nil || !isNull(v) })
		}), parent.name)
		if src.queryable != "" {
			return addTableStore(w, op, name, spec, keySerde, valueSerde)
		}
		return nil
	})
	return &KTable[K, V]{b: s.b, name: name, node: node, keySerde: keySerde, valueSerde: valueSerde, sources: sources, queryableStoreName: queryable, sup: src}
}

// QueryableStoreName is the name of the store holding the table, or ""
// when it has none of its own (KTable#queryableStoreName).
func (t *KTable[K, V]) QueryableStoreName() string { return t.queryableStoreName }
