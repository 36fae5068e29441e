package topology

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

// instance is one node of a task's graph. Nodes hand records to each other
// through typed receiver interfaces resolved once when the task is built,
// so the per-record path has no maps, reflection or boxing.
type instance interface {
	def() *nodeDef
	// bind attaches the node to its task and creates its processor.
	bind(t *Task) error
	// link appends a child, in the order the children were declared.
	link(child instance) error
	initNode() error
	closeNode() error
}

type receiver[K, V any] interface {
	receive(rec Record[K, V]) error
}

// anyReceiver takes boxed records; it is the fallback when a parent's
// output types differ from the child's input types but are compatible
// through interfaces (checked per record).
type anyReceiver interface {
	receiveAny(rec Record[any, any]) error
}

type sourceInstance interface {
	instance
	process(e *sourceEntry) error
}

func linkTo[K, V any](parent *nodeDef, child instance) (receiver[K, V], error) {
	if r, ok := child.(receiver[K, V]); ok {
		return r, nil
	}
	if ar, ok := child.(anyReceiver); ok {
		return boxing[K, V]{to: ar}, nil
	}
	return nil, fmt.Errorf("%s %q cannot take records from %q", child.def().kind, child.def().name, parent.name)
}

type boxing[K, V any] struct{ to anyReceiver }

func (b boxing[K, V]) receive(rec Record[K, V]) error {
	return b.to.receiveAny(Record[any, any]{Key: rec.Key, Value: rec.Value, Timestamp: rec.Timestamp, Headers: rec.Headers})
}

// unbox converts a boxed key or value to T, mapping a nil interface to the
// zero T.
func unbox[T any](node string, what string, v any) (T, error) {
	var zero T
	if v == nil {
		return zero, nil
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("node %q expects a %s of type %T, got %T", node, what, zero, v)
	}
	return t, nil
}

// located wraps err as a ProcessingError of node unless it already carries one.
func located(node string, err error) error {
	var pe *ProcessingError
	if errors.As(err, &pe) {
		return err
	}
	return &ProcessingError{Node: node, Err: err}
}

// ---- source ----

type sourceNode[K, V any] struct {
	d        *nodeDef
	spec     Source[K, V]
	t        *Task
	children []receiver[K, V]
	// valueAsKey: keys and values are strings read by the same serde, so
	// a value with the key's bytes is the key's string (a repartition
	// record of groupBy((k, v) -> v) carries the word twice); strings are
	// immutable, so sharing one is safe.
	valueAsKey bool
}

func (s *sourceNode[K, V]) def() *nodeDef { return s.d }

func (s *sourceNode[K, V]) bind(t *Task) error {
	s.t = t
	s.valueAsKey = sameStringSerde[K, V](s.spec.KeySerde, s.spec.ValueSerde)
	return nil
}

// sameStringSerde reports whether K and V are string and both serdes are
// one comparable serde value (the built-in String serde, for one).
func sameStringSerde[K, V any](keys serde.Serde[K], values serde.Serde[V]) bool {
	if _, ok := any(*new(K)).(string); !ok {
		return false
	}
	if _, ok := any(*new(V)).(string); !ok {
		return false
	}
	kt, vt := reflect.TypeOf(keys), reflect.TypeOf(values)
	return kt != nil && kt == vt && kt.Comparable() && any(keys) == any(values)
}
func (s *sourceNode[K, V]) initNode() error  { return nil }
func (s *sourceNode[K, V]) closeNode() error { return nil }

func (s *sourceNode[K, V]) link(child instance) error {
	r, err := linkTo[K, V](s.d, child)
	if err == nil {
		s.children = append(s.children, r)
	}
	return err
}

func (s *sourceNode[K, V]) process(e *sourceEntry) error {
	t := s.t
	raw := &t.raw
	key, err := s.spec.KeySerde.Deserialize(raw.Topic, raw.Key)
	if err != nil {
		return &DeserializationError{Topic: raw.Topic, Partition: raw.Partition, Offset: raw.Offset, Source: s.d.name, IsKey: true, Err: err}
	}
	var value V
	if s.valueAsKey && raw.Key != nil && raw.Value != nil && bytes.Equal(raw.Key, raw.Value) {
		value = any(key).(V)
	} else if value, err = s.spec.ValueSerde.Deserialize(raw.Topic, raw.Value); err != nil {
		return &DeserializationError{Topic: raw.Topic, Partition: raw.Partition, Offset: raw.Offset, Source: s.d.name, Err: err}
	}
	ts := raw.TimestampMs
	if s.spec.TimestampExtractor != nil {
		if ts, err = s.spec.TimestampExtractor(raw, key, value, e.partitionTime); err != nil {
			return &ProcessingError{Node: s.d.name, Err: fmt.Errorf("timestamp extractor: %w", err)}
		}
		if ts < 0 {
			t.dropRecord("negative timestamp from the extractor", ts)
			return nil
		}
	} else if ts < 0 {
		return &ProcessingError{Node: s.d.name, Err: fmt.Errorf("%w (%d); use a TimestampExtractor that handles it", ErrInvalidTimestamp, ts)}
	}
	if ts > e.partitionTime {
		e.partitionTime = ts
	}
	if ts > t.streamTime {
		t.streamTime = ts
	}
	t.hasMeta, t.recordTs = true, ts
	rec := Record[K, V]{Key: key, Value: value, Timestamp: ts, Headers: raw.Headers}
	for _, c := range s.children {
		if err := c.receive(rec); err != nil {
			return err
		}
	}
	return nil
}

// ---- processor ----

type procNode[KIn, VIn, KOut, VOut any] struct {
	d       *nodeDef
	newProc func() Processor[KIn, VIn, KOut, VOut]
	proc    Processor[KIn, VIn, KOut, VOut]
	// fn is the function of a ProcessFunc processor, called directly:
	// the DSL's stateless nodes are all ProcessFuncs.
	fn         func(ProcessorContext[KOut, VOut], Record[KIn, VIn]) error
	t          *Task
	children   []receiver[KOut, VOut]
	childNames []string
	stores     []state.StateStore // connected stores, as d.stores
}

func (n *procNode[KIn, VIn, KOut, VOut]) def() *nodeDef { return n.d }

func (n *procNode[KIn, VIn, KOut, VOut]) bind(t *Task) error {
	n.t = t
	n.proc = n.newProc()
	if n.proc == nil {
		return fmt.Errorf("processor %q: the supplier returned nil", n.d.name)
	}
	if fp, ok := n.proc.(*funcProcessor[KIn, VIn, KOut, VOut]); ok {
		n.fn = fp.fn
	}
	n.stores = make([]state.StateStore, len(n.d.stores))
	for i, name := range n.d.stores {
		s := t.storeByName(name)
		if s == nil {
			return fmt.Errorf("processor %q: store %q is not part of task %s", n.d.name, name, t.id)
		}
		n.stores[i] = s
	}
	return nil
}

func (n *procNode[KIn, VIn, KOut, VOut]) link(child instance) error {
	r, err := linkTo[KOut, VOut](n.d, child)
	if err == nil {
		n.children = append(n.children, r)
		n.childNames = append(n.childNames, child.def().name)
	}
	return err
}

func (n *procNode[KIn, VIn, KOut, VOut]) initNode() error {
	if err := n.proc.Init(n); err != nil {
		return located(n.d.name, fmt.Errorf("init: %w", err))
	}
	return nil
}

func (n *procNode[KIn, VIn, KOut, VOut]) closeNode() error {
	if err := n.proc.Close(); err != nil {
		return fmt.Errorf("processor %q: close: %w", n.d.name, err)
	}
	return nil
}

func (n *procNode[KIn, VIn, KOut, VOut]) receive(rec Record[KIn, VIn]) error {
	t := n.t
	prev := t.recordTs
	t.recordTs = rec.Timestamp
	var err error
	if n.fn != nil {
		err = n.fn(n, rec)
	} else {
		err = n.proc.Process(rec)
	}
	t.recordTs = prev
	if err != nil {
		return located(n.d.name, err)
	}
	return nil
}

func (n *procNode[KIn, VIn, KOut, VOut]) receiveAny(rec Record[any, any]) error {
	k, err := unbox[KIn](n.d.name, "key", rec.Key)
	if err != nil {
		return located(n.d.name, err)
	}
	v, err := unbox[VIn](n.d.name, "value", rec.Value)
	if err != nil {
		return located(n.d.name, err)
	}
	return n.receive(Record[KIn, VIn]{Key: k, Value: v, Timestamp: rec.Timestamp, Headers: rec.Headers})
}

// ProcessorContext implementation.

func (n *procNode[KIn, VIn, KOut, VOut]) ApplicationID() string { return n.t.env.ApplicationID }
func (n *procNode[KIn, VIn, KOut, VOut]) TaskID() TaskID        { return n.t.id }
func (n *procNode[KIn, VIn, KOut, VOut]) RecordMetadata() (RecordMetadata, bool) {
	t := n.t
	if !t.hasMeta {
		return RecordMetadata{}, false
	}
	return RecordMetadata{Topic: t.raw.Topic, Partition: t.raw.Partition, Offset: t.raw.Offset}, true
}

func (n *procNode[KIn, VIn, KOut, VOut]) Forward(rec Record[KOut, VOut]) error {
	for _, c := range n.children {
		if err := c.receive(rec); err != nil {
			return err
		}
	}
	return nil
}

func (n *procNode[KIn, VIn, KOut, VOut]) ForwardTo(rec Record[KOut, VOut], child string) error {
	for i, name := range n.childNames {
		if name == child {
			return n.children[i].receive(rec)
		}
	}
	return fmt.Errorf("processor %q: ForwardTo %q: not a child of this processor (children: %q)", n.d.name, child, n.childNames)
}

func (n *procNode[KIn, VIn, KOut, VOut]) Schedule(interval time.Duration, typ PunctuationType, fn Punctuator) (Cancellable, error) {
	return n.t.schedule(n.d.name, interval, typ, fn)
}

func (n *procNode[KIn, VIn, KOut, VOut]) GetStateStore(name string) (state.StateStore, error) {
	for i, s := range n.d.stores {
		if s == name {
			return n.stores[i], nil
		}
	}
	return n.t.lookupUnconnected(n.d.name, name)
}

func (n *procNode[KIn, VIn, KOut, VOut]) Commit()                    { n.t.commitRequested = true }
func (n *procNode[KIn, VIn, KOut, VOut]) CurrentStreamTimeMs() int64 { return n.t.streamTime }
func (n *procNode[KIn, VIn, KOut, VOut]) CurrentSystemTimeMs() int64 { return n.t.now() }
func (n *procNode[KIn, VIn, KOut, VOut]) StateDir() string           { return n.t.stateDir }
func (n *procNode[KIn, VIn, KOut, VOut]) Logger() *slog.Logger {
	return n.t.logger.With("processor", n.d.name)
}

// ---- sink ----

type sinkNode[K, V any] struct {
	d     *nodeDef
	spec  Sink[K, V]
	t     *Task
	topic string // full static topic name

	// With a CopyingRecordSink, records are serialized into kbuf and
	// vbuf, reused from one record to the next.
	reuse      bool
	keys       serde.Appender[K]
	values     serde.Appender[V]
	kbuf, vbuf []byte
}

func (s *sinkNode[K, V]) def() *nodeDef { return s.d }
func (s *sinkNode[K, V]) bind(t *Task) error {
	s.t = t
	if s.spec.Topic != "" {
		s.topic = t.topo.fullTopic(t.env.ApplicationID, s.spec.Topic)
	}
	if _, ok := t.env.Sink.(CopyingRecordSink); ok {
		s.reuse = true
		s.keys, s.values = serde.AppenderOf(s.spec.KeySerde), serde.AppenderOf(s.spec.ValueSerde)
	}
	return nil
}

// serialize encodes a record's key and value: into the node's buffers
// when the sink copies them, else into new slices the sink will own.
func (s *sinkNode[K, V]) serialize(topic string, rec Record[K, V]) (kb, vb []byte, err error) {
	if !s.reuse {
		if kb, err = s.spec.KeySerde.Serialize(topic, rec.Key); err != nil {
			return nil, nil, located(s.d.name, &SerializationError{Topic: topic, IsKey: true, Err: err})
		}
		if vb, err = s.spec.ValueSerde.Serialize(topic, rec.Value); err != nil {
			return nil, nil, located(s.d.name, &SerializationError{Topic: topic, Err: err})
		}
		return kb, vb, nil
	}
	s.dropHugeBuffers()
	if kb, err = s.keys.AppendSerialize(s.kbuf[:0], topic, rec.Key); err != nil {
		return nil, nil, located(s.d.name, &SerializationError{Topic: topic, IsKey: true, Err: err})
	}
	if kb != nil {
		s.kbuf = kb
	}
	if vb, err = s.values.AppendSerialize(s.vbuf[:0], topic, rec.Value); err != nil {
		return nil, nil, located(s.d.name, &SerializationError{Topic: topic, Err: err})
	}
	if vb != nil {
		s.vbuf = vb
	}
	return kb, vb, nil
}

// dropHugeBuffers lets go of buffers a rare huge record grew, rather
// than keeping them for the task's lifetime.
func (s *sinkNode[K, V]) dropHugeBuffers() {
	const maxKept = 64 << 10
	if cap(s.kbuf) > maxKept {
		s.kbuf = nil
	}
	if cap(s.vbuf) > maxKept {
		s.vbuf = nil
	}
}
func (s *sinkNode[K, V]) link(child instance) error {
	return fmt.Errorf("sink %q cannot have children", s.d.name)
}
func (s *sinkNode[K, V]) initNode() error  { return nil }
func (s *sinkNode[K, V]) closeNode() error { return nil }

func (s *sinkNode[K, V]) receiveAny(rec Record[any, any]) error {
	k, err := unbox[K](s.d.name, "key", rec.Key)
	if err != nil {
		return located(s.d.name, err)
	}
	v, err := unbox[V](s.d.name, "value", rec.Value)
	if err != nil {
		return located(s.d.name, err)
	}
	return s.receive(Record[K, V]{Key: k, Value: v, Timestamp: rec.Timestamp, Headers: rec.Headers})
}

func (s *sinkNode[K, V]) receive(rec Record[K, V]) error {
	t := s.t
	if rec.Timestamp < 0 {
		return located(s.d.name, fmt.Errorf("invalid (negative) timestamp %d for an output record", rec.Timestamp))
	}
	topic := s.topic
	if s.spec.TopicExtractor != nil {
		var err error
		rc := RecordContext{Timestamp: rec.Timestamp, Headers: rec.Headers}
		if t.hasMeta {
			rc.RecordMetadata = RecordMetadata{Topic: t.raw.Topic, Partition: t.raw.Partition, Offset: t.raw.Offset}
		}
		if topic, err = s.spec.TopicExtractor.Extract(rec.Key, rec.Value, rc); err != nil {
			return located(s.d.name, fmt.Errorf("topic name extractor: %w", err))
		}
		if topic == "" {
			return located(s.d.name, fmt.Errorf("topic name extractor returned an empty topic"))
		}
	}
	kb, vb, err := s.serialize(topic, rec)
	if err != nil {
		return err
	}
	if s.spec.Partitioner == nil {
		return s.send(topic, -1, kb, vb, rec)
	}
	n, err := t.env.Sink.Partitions(topic)
	if err != nil {
		return located(s.d.name, fmt.Errorf("partition count of %q: %w", topic, err))
	}
	parts := s.spec.Partitioner(topic, rec.Key, rec.Value, n)
	if parts == nil {
		return s.send(topic, -1, kb, vb, rec)
	}
	for _, p := range parts {
		if p < 0 || p >= n {
			return located(s.d.name, fmt.Errorf("partitioner chose partition %d of %q, which has %d partitions", p, topic, n))
		}
		if err := s.send(topic, p, kb, vb, rec); err != nil {
			return err
		}
	}
	return nil
}

func (s *sinkNode[K, V]) send(topic string, partition int32, key, value []byte, rec Record[K, V]) error {
	if err := s.t.env.Sink.Send(topic, partition, key, value, rec.Timestamp, rec.Headers); err != nil {
		return located(s.d.name, fmt.Errorf("sending to %q: %w", topic, err))
	}
	return nil
}
