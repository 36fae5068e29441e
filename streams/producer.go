package streams

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// maxBatchBytes caps one partition's batch, under the broker's default
	// message.max.bytes (1 MiB + 12).
	maxBatchBytes = 1 << 20
	// initialBatchBytes is a new batch's first buffer; it grows as needed.
	initialBatchBytes = 16 << 10
	// maxBufferedBytes bounds sealed, unacknowledged batches (Kafka's
	// buffer.memory); a thread that gets this far ahead of the broker waits.
	maxBufferedBytes = 32 << 20
	// deliveryTimeoutDefault is Kafka's delivery.timeout.ms default: how
	// long a batch is retried before its records fail.
	deliveryTimeoutDefault = 2 * time.Minute
	// retryBackoff is Kafka's retry.backoff.ms default.
	retryBackoff = 100 * time.Millisecond
)

// recordCollector is a stream thread's producer (Kafka's
// RecordCollectorImpl over its own record accumulator). The thread appends
// records to per-partition batches; batches are sealed and handed to a
// sender goroutine whenever the sender is idle, a batch is full, or a
// commit flushes. The sender writes Produce requests through the shared kgo
// client, one request per broker at a time, so a partition's batches land
// in order; retriable failures are retried (after a metadata refresh) until
// the delivery timeout, other failures go to the production exception
// handler record by record.
//
// Only the owning thread calls send, sendChangelog, dispatch and flush.
type recordCollector struct {
	cl         *kgo.Client
	ctx        context.Context
	onError    func(r *kgo.Record, err error) error
	partitions func(topic string) (int32, error)
	// isChangelog tells which topics are store changelogs, whose
	// acknowledged offsets feed the checkpoints (nil: none).
	isChangelog func(topic string) bool
	nudge       func() // wakes the owning thread to dispatch open batches
	now         func() time.Time
	// deliveryTimeout bounds retries of a batch (deliveryTimeoutDefault).
	deliveryTimeout time.Duration

	// Owned by the thread.
	topics    map[string]*topicState
	last      *topicState // the previous record's topic: usually the next one's
	openOrder []*recordBatch
	openRecs  int64
	rr        uint32

	// changelogs holds the acknowledged offsets of changelog records
	// (statestores.go).
	changelogs changelogAcks

	// bufs holds the buffers of finished batches (*[]byte).
	bufs sync.Pool

	mu       sync.Mutex
	room     *sync.Cond // signalled as buffered bytes drop
	queue    []*recordBatch
	buffered int   // bytes sealed and not yet acknowledged or failed
	pending  int64 // records sealed and not yet acknowledged or failed
	sending  bool  // a sender goroutine is running
	zero     chan struct{}
	failure  error // the first failure the handler chose to fail on
	meta     producerMetadata
}

// newRecordCollector returns a collector producing through cl. onError
// runs the production exception handler for a failed record and returns
// the error to fail the thread with, or nil to continue. partitions gives a
// topic's partition count, for records sent without a partition.
func newRecordCollector(ctx context.Context, cl *kgo.Client, onError func(*kgo.Record, error) error, partitions func(string) (int32, error), nudge func()) *recordCollector {
	c := &recordCollector{
		cl:              cl,
		ctx:             ctx,
		onError:         onError,
		partitions:      partitions,
		nudge:           nudge,
		now:             time.Now,
		deliveryTimeout: deliveryTimeoutDefault,
		topics:          map[string]*topicState{},
	}
	c.room = sync.NewCond(&c.mu)
	c.meta.cl = cl
	return c
}

// topicState is what the collector keeps per topic it writes to.
type topicState struct {
	name      string
	changelog bool
	count     int32          // partitions; 0 until the default partitioner needs it
	open      []*recordBatch // the open batch of each partition, if any
}

// topic returns the topic's state; consecutive records mostly share a
// topic, so the common case is one string comparison of equal pointers.
func (c *recordCollector) topic(name string) *topicState {
	if c.last != nil && c.last.name == name {
		return c.last
	}
	ts := c.topics[name]
	if ts == nil {
		ts = &topicState{name: name, changelog: c.isChangelog != nil && c.isChangelog(name)}
		c.topics[name] = ts
	}
	c.last = ts
	return ts
}

// send produces one record; partition -1 lets the default partitioner
// choose (murmur2 of the key as Kafka's, round-robin without a key). The
// bytes are copied, so callers may reuse their buffers once send returns.
// A record for a store changelog (see isChangelog) counts towards the
// store's checkpoint once acknowledged.
func (c *recordCollector) send(topic string, partition int32, key, value []byte, ts int64, headers []kgo.RecordHeader) {
	t := c.topic(topic)
	c.add(t, partition, key, value, ts, headers, t.changelog && partition >= 0 && headers == nil)
}

// sendChangelog produces a store's changelog record and records its
// offset once acknowledged.
func (c *recordCollector) sendChangelog(topic string, partition int32, key, value []byte, ts int64) {
	c.add(c.topic(topic), partition, key, value, ts, nil, true)
}

func (c *recordCollector) add(t *topicState, partition int32, key, value []byte, ts int64, headers []kgo.RecordHeader, changelog bool) {
	if partition < 0 {
		p, err := c.choosePartition(t, key)
		if err != nil {
			// Copies: the caller reuses its buffers once send returns,
			// and a handler may keep what it is given.
			c.failRecord(&kgo.Record{Topic: t.name, Partition: partition, Key: bytes.Clone(key), Value: bytes.Clone(value), Headers: slices.Clone(headers), Timestamp: timeFromMillis(ts)}, err)
			return
		}
		partition = p
	}
	if int(partition) >= len(t.open) {
		t.open = append(t.open, make([]*recordBatch, int(partition)+1-len(t.open))...)
	}
	b := t.open[partition]
	// The exact size is only worked out near the limit: a record without
	// headers takes at most its bytes plus 35 bytes of lengths and deltas.
	if b != nil && b.n > 0 && (len(headers) > 0 || len(b.buf)+len(key)+len(value)+35 > maxBatchBytes) &&
		len(b.buf)+b.encodedSize(key, value, ts, headers) > maxBatchBytes {
		c.sealOne(t, b)
		b = nil
	}
	if b == nil {
		b = c.newBatch(topicPartition{t.name, partition}, changelog)
		t.open[partition] = b
		c.openOrder = append(c.openOrder, b)
	}
	b.append(key, value, ts, headers, c.now)
	c.openRecs++
}

// choosePartition is Kafka's default partitioner for a record without an
// explicit partition: murmur2 of the key, round-robin without one.
func (c *recordCollector) choosePartition(t *topicState, key []byte) (int32, error) {
	n := t.count
	if n == 0 {
		var err error
		if n, err = c.partitions(t.name); err != nil {
			return 0, err
		}
		if n <= 0 {
			return 0, fmt.Errorf("topic %s has no partitions", t.name)
		}
		t.count = n
	}
	if key == nil {
		c.rr++
		return int32(c.rr % uint32(n)), nil
	}
	return int32((murmur2(key) & 0x7fffffff) % uint32(n)), nil
}

// murmur2 is the hash Kafka's default partitioner applies to record keys
// (org.apache.kafka.common.utils.Utils.murmur2), so Runnel and Java
// clients put a key in the same partition.
func murmur2(data []byte) uint32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	n := len(data)
	h := seed ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// sealOne moves one full batch to the sender's queue.
func (c *recordCollector) sealOne(t *topicState, b *recordBatch) {
	t.open[b.partition] = nil
	for i, o := range c.openOrder {
		if o == b {
			c.openOrder = append(c.openOrder[:i], c.openOrder[i+1:]...)
			break
		}
	}
	c.openRecs -= int64(b.n)
	b.seal()
	c.enqueue([]*recordBatch{b}, int64(b.n))
}

// dispatch hands the open batches to the sender if it is idle; while it is
// busy they keep filling, which is what makes the batches large. The
// sender wakes the thread (nudge) when it runs dry.
func (c *recordCollector) dispatch() {
	if len(c.openOrder) == 0 {
		return
	}
	c.mu.Lock()
	busy := c.sending
	c.mu.Unlock()
	if !busy {
		c.sealAll()
	}
}

// sealAll seals every open batch and queues them in the order they opened.
func (c *recordCollector) sealAll() {
	if len(c.openOrder) == 0 {
		return
	}
	batches := c.openOrder
	for _, b := range batches {
		b.seal()
	}
	n := c.openRecs
	for _, b := range batches {
		c.topics[b.topic].open[b.partition] = nil
	}
	c.openOrder = nil
	c.openRecs = 0
	c.enqueue(batches, n)
}

// enqueue queues sealed batches, waiting while too much is buffered, and
// starts the sender if none runs.
func (c *recordCollector) enqueue(batches []*recordBatch, records int64) {
	size := 0
	for _, b := range batches {
		size += len(b.buf)
	}
	c.mu.Lock()
	for c.buffered > 0 && c.buffered+size > maxBufferedBytes {
		c.room.Wait()
	}
	c.queue = append(c.queue, batches...)
	c.buffered += size
	c.pending += records
	start := !c.sending
	c.sending = true
	c.mu.Unlock()
	if start {
		go c.sendLoop()
	}
}

// flush seals everything, then waits until every record sent so far is
// acknowledged or failed, and reports the first failure the handler chose
// to fail on.
func (c *recordCollector) flush(ctx context.Context) error {
	c.sealAll()
	c.mu.Lock()
	if c.pending == 0 {
		c.mu.Unlock()
		return c.err()
	}
	if c.zero == nil {
		c.zero = make(chan struct{})
	}
	zero := c.zero
	c.mu.Unlock()
	select {
	case <-zero:
	case <-ctx.Done():
		return ctx.Err()
	}
	return c.err()
}

// err returns the first production failure the handler chose to fail on.
func (c *recordCollector) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failure
}

// failRecord runs the production exception handler for one record.
func (c *recordCollector) failRecord(r *kgo.Record, err error) {
	fail := c.onError(r, err)
	if fail == nil {
		return
	}
	c.mu.Lock()
	if c.failure == nil {
		c.failure = fail
	}
	c.mu.Unlock()
}

// newBatch opens a batch on a buffer of an earlier, finished batch when
// there is one: growing fresh buffers to their final size for every
// batch cost more than encoding the records.
func (c *recordCollector) newBatch(tp topicPartition, changelog bool) *recordBatch {
	if buf, ok := c.bufs.Get().(*[]byte); ok && buf != nil {
		return &recordBatch{topicPartition: tp, changelog: changelog, buf: (*buf)[:batchHeaderLen]}
	}
	return newRecordBatch(tp, changelog, initialBatchBytes)
}

// done accounts for a batch that was acknowledged or failed for good, and
// returns its buffer for reuse: nothing refers to it any more (the request
// was written and answered; a failed batch's records were copied).
func (c *recordCollector) done(b *recordBatch) {
	size := len(b.buf)
	if !b.abandoned && cap(b.buf) >= batchHeaderLen && cap(b.buf) <= 2*maxBatchBytes {
		buf := b.buf[:0]
		c.bufs.Put(&buf)
	}
	b.buf = nil
	c.mu.Lock()
	c.buffered -= size
	c.pending -= int64(b.n)
	if c.pending == 0 && c.zero != nil {
		close(c.zero)
		c.zero = nil
	}
	c.mu.Unlock()
	c.room.Broadcast()
}
