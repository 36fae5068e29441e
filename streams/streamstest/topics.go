package streamstest

import (
	"errors"
	"fmt"
	"time"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// KeyValue is a key and a value.
type KeyValue[K, V any] = state.KeyValue[K, V]

// TestRecord is a record piped in or read out. On input a zero Timestamp
// means "the input topic's current time".
type TestRecord[K, V any] struct {
	Key       K
	Value     V
	Headers   topology.Headers
	Timestamp time.Time
}

// TimestampMs is the record time in milliseconds.
func (r TestRecord[K, V]) TimestampMs() int64 { return r.Timestamp.UnixMilli() }

// ErrEmptyTopic is returned when reading from an output topic with no
// records left.
var ErrEmptyTopic = errors.New("no more records in the output topic")

// TestInputTopic pipes typed records into one topic of a Driver.
type TestInputTopic[K, V any] struct {
	d       *Driver
	topic   string
	keys    serde.Serde[K]
	values  serde.Serde[V]
	current int64
	advance int64
}

// InputOption configures a TestInputTopic.
type InputOption func(*inputConfig)

type inputConfig struct {
	start   *time.Time
	advance time.Duration
}

// StartAt sets the time of the first record piped without a timestamp
// (default: the driver's wall clock when the topic is created).
func StartAt(t time.Time) InputOption { return func(c *inputConfig) { c.start = &t } }

// AutoAdvance moves the topic's time forward by d after every record piped
// without a timestamp.
func AutoAdvance(d time.Duration) InputOption { return func(c *inputConfig) { c.advance = d } }

// CreateInputTopic returns a typed input for topic (its full name).
func CreateInputTopic[K, V any](d *Driver, topic string, keySerde serde.Serde[K], valueSerde serde.Serde[V], opts ...InputOption) *TestInputTopic[K, V] {
	cfg := inputConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	start := d.wall
	if cfg.start != nil {
		start = cfg.start.UnixMilli()
	}
	return &TestInputTopic[K, V]{d: d, topic: topic, keys: keySerde, values: valueSerde, current: start, advance: cfg.advance.Milliseconds()}
}

// AdvanceTime moves the topic's current time forward.
func (in *TestInputTopic[K, V]) AdvanceTime(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("streamstest: cannot move topic %q's time back (%v)", in.topic, d)
	}
	in.current += d.Milliseconds()
	return nil
}

func (in *TestInputTopic[K, V]) nextTime() int64 {
	ts := in.current
	in.current += in.advance
	return ts
}

func (in *TestInputTopic[K, V]) pipe(key []byte, value V, ts int64, headers topology.Headers) error {
	vb, err := in.values.Serialize(in.topic, value)
	if err != nil {
		return fmt.Errorf("streamstest: %w", err)
	}
	return in.d.pipe(in.topic, key, vb, ts, headers)
}

func (in *TestInputTopic[K, V]) key(k K) ([]byte, error) {
	kb, err := in.keys.Serialize(in.topic, k)
	if err != nil {
		return nil, fmt.Errorf("streamstest: %w", err)
	}
	return kb, nil
}

// PipeRecord pipes one record.
func (in *TestInputTopic[K, V]) PipeRecord(rec TestRecord[K, V]) error {
	kb, err := in.key(rec.Key)
	if err != nil {
		return err
	}
	ts := rec.Timestamp.UnixMilli()
	if rec.Timestamp.IsZero() {
		ts = in.nextTime()
	}
	return in.pipe(kb, rec.Value, ts, rec.Headers)
}

// PipeInput pipes key and value at the topic's current time.
func (in *TestInputTopic[K, V]) PipeInput(key K, value V) error {
	return in.PipeRecord(TestRecord[K, V]{Key: key, Value: value})
}

// PipeInputAt pipes key and value with timestamp ts.
func (in *TestInputTopic[K, V]) PipeInputAt(key K, value V, ts time.Time) error {
	return in.PipeRecord(TestRecord[K, V]{Key: key, Value: value, Timestamp: ts})
}

// PipeValue pipes value with a null key at the topic's current time.
func (in *TestInputTopic[K, V]) PipeValue(value V) error {
	return in.pipe(nil, value, in.nextTime(), nil)
}

// PipeValueAt pipes value with a null key and timestamp ts.
func (in *TestInputTopic[K, V]) PipeValueAt(value V, ts time.Time) error {
	return in.pipe(nil, value, ts.UnixMilli(), nil)
}

// PipeKeyValueList pipes each pair at the topic's current time.
func (in *TestInputTopic[K, V]) PipeKeyValueList(kvs []KeyValue[K, V]) error {
	for _, kv := range kvs {
		if err := in.PipeInput(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// PipeKeyValueListFrom pipes the pairs at start, start+advance, ...
func (in *TestInputTopic[K, V]) PipeKeyValueListFrom(kvs []KeyValue[K, V], start time.Time, advance time.Duration) error {
	for _, kv := range kvs {
		if err := in.PipeInputAt(kv.Key, kv.Value, start); err != nil {
			return err
		}
		start = start.Add(advance)
	}
	return nil
}

// PipeValueList pipes values with null keys at the topic's current time.
func (in *TestInputTopic[K, V]) PipeValueList(values []V) error {
	for _, v := range values {
		if err := in.PipeValue(v); err != nil {
			return err
		}
	}
	return nil
}

// PipeRecordList pipes records in order.
func (in *TestInputTopic[K, V]) PipeRecordList(recs []TestRecord[K, V]) error {
	for _, r := range recs {
		if err := in.PipeRecord(r); err != nil {
			return err
		}
	}
	return nil
}

// TestOutputTopic reads, in order, the records the topology wrote to one
// topic. Reading consumes them.
type TestOutputTopic[K, V any] struct {
	d      *Driver
	topic  string
	keys   serde.Serde[K]
	values serde.Serde[V]
}

// CreateOutputTopic returns a typed reader of topic (its full name).
func CreateOutputTopic[K, V any](d *Driver, topic string, keySerde serde.Serde[K], valueSerde serde.Serde[V]) *TestOutputTopic[K, V] {
	return &TestOutputTopic[K, V]{d: d, topic: topic, keys: keySerde, values: valueSerde}
}

func (o *TestOutputTopic[K, V]) pop() (produced, error) {
	q := o.d.outputs[o.topic]
	if len(q) == 0 {
		return produced{}, fmt.Errorf("streamstest: topic %q: %w", o.topic, ErrEmptyTopic)
	}
	o.d.outputs[o.topic] = q[1:]
	return q[0], nil
}

func (o *TestOutputTopic[K, V]) decode(p produced) (TestRecord[K, V], error) {
	k, err := o.keys.Deserialize(p.topic, p.key)
	if err != nil {
		return TestRecord[K, V]{}, fmt.Errorf("streamstest: %w", err)
	}
	v, err := o.values.Deserialize(p.topic, p.value)
	if err != nil {
		return TestRecord[K, V]{}, fmt.Errorf("streamstest: %w", err)
	}
	return TestRecord[K, V]{Key: k, Value: v, Headers: p.headers, Timestamp: time.UnixMilli(p.ts)}, nil
}

// ReadRecord reads the next record.
func (o *TestOutputTopic[K, V]) ReadRecord() (TestRecord[K, V], error) {
	p, err := o.pop()
	if err != nil {
		return TestRecord[K, V]{}, err
	}
	return o.decode(p)
}

// ReadKeyValue reads the next record's key and value.
func (o *TestOutputTopic[K, V]) ReadKeyValue() (KeyValue[K, V], error) {
	r, err := o.ReadRecord()
	return KeyValue[K, V]{Key: r.Key, Value: r.Value}, err
}

// ReadValue reads the next record's value.
func (o *TestOutputTopic[K, V]) ReadValue() (V, error) {
	r, err := o.ReadRecord()
	return r.Value, err
}

// ReadRecordsToList reads every remaining record.
func (o *TestOutputTopic[K, V]) ReadRecordsToList() ([]TestRecord[K, V], error) {
	var out []TestRecord[K, V]
	for !o.IsEmpty() {
		r, err := o.ReadRecord()
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadKeyValuesToList reads every remaining key and value.
func (o *TestOutputTopic[K, V]) ReadKeyValuesToList() ([]KeyValue[K, V], error) {
	var out []KeyValue[K, V]
	for !o.IsEmpty() {
		kv, err := o.ReadKeyValue()
		if err != nil {
			return out, err
		}
		out = append(out, kv)
	}
	return out, nil
}

// ReadValuesToList reads every remaining value.
func (o *TestOutputTopic[K, V]) ReadValuesToList() ([]V, error) {
	var out []V
	for !o.IsEmpty() {
		v, err := o.ReadValue()
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ReadKeyValuesToMap reads every remaining record into a map holding each
// key's latest value; a tombstone (null value) removes the key. Records
// with a null key are an error. (A function, not a method, because map
// keys must be comparable.)
func ReadKeyValuesToMap[K comparable, V any](o *TestOutputTopic[K, V]) (map[K]V, error) {
	out := map[K]V{}
	for !o.IsEmpty() {
		p, _ := o.pop()
		if p.key == nil {
			return out, fmt.Errorf("streamstest: topic %q: a record with a null key cannot go into a map", o.topic)
		}
		r, err := o.decode(p)
		if err != nil {
			return out, err
		}
		if p.value == nil {
			delete(out, r.Key)
			continue
		}
		out[r.Key] = r.Value
	}
	return out, nil
}

// IsEmpty reports whether every record has been read.
func (o *TestOutputTopic[K, V]) IsEmpty() bool { return o.QueueSize() == 0 }

// QueueSize is the number of records not read yet.
func (o *TestOutputTopic[K, V]) QueueSize() int { return len(o.d.outputs[o.topic]) }
