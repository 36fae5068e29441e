package streams

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// recordCollector sends a stream thread's output records and tracks which
// are still unacknowledged, so a commit can wait for exactly the records
// its offsets depend on (Kafka's RecordCollectorImpl). Records are pooled:
// kgo hands a record back in the promise and does not touch it afterwards.
type recordCollector struct {
	cl      *kgo.Client
	pending atomic.Int64

	mu      sync.Mutex
	waiting atomic.Bool
	failed  atomic.Bool
	zero    chan struct{}
	// failure is the first production error the handler chose to fail on.
	failure error

	pool    sync.Pool
	promise func(*kgo.Record, error)
	onError func(r *kgo.Record, err error) error

	// changelogs holds the acknowledged offsets of changelog records
	// (statestores.go); changelogPromise records them.
	changelogs       changelogAcks
	changelogPromise func(*kgo.Record, error)
}

// newRecordCollector returns a collector producing through cl. onError
// runs the production exception handler for a failed record and returns
// the error to fail the thread with, or nil to continue.
func newRecordCollector(cl *kgo.Client, onError func(r *kgo.Record, err error) error) *recordCollector {
	c := &recordCollector{cl: cl, onError: onError}
	c.pool.New = func() any { return new(kgo.Record) }
	c.promise = c.acknowledged // one method value, reused for every record
	c.changelogPromise = c.changelogAcknowledged
	return c
}

// send produces one record. The key, value and header slices must stay
// unchanged until the record is acknowledged.
func (c *recordCollector) send(ctx context.Context, topic string, partition int32, key, value []byte, ts int64, headers []kgo.RecordHeader) {
	r := c.pool.Get().(*kgo.Record)
	r.Topic = topic
	r.Partition = partition
	r.Key = key
	r.Value = value
	r.Headers = headers
	r.Timestamp = timeFromMillis(ts)
	c.pending.Add(1)
	c.cl.Produce(ctx, r, c.promise)
}

func (c *recordCollector) acknowledged(r *kgo.Record, err error) {
	if err != nil {
		if fail := c.onError(r, err); fail != nil {
			c.mu.Lock()
			if c.failure == nil {
				c.failure = fail
			}
			c.mu.Unlock()
			c.failed.Store(true)
		}
	}
	*r = kgo.Record{}
	c.pool.Put(r)
	if c.pending.Add(-1) == 0 && c.waiting.Load() {
		c.mu.Lock()
		if c.zero != nil {
			close(c.zero)
			c.zero = nil
		}
		c.mu.Unlock()
	}
}

// flush waits until every record sent so far is acknowledged, then
// reports the first production failure, if any. Only the owning thread
// sends, so no new records race with the wait.
func (c *recordCollector) flush(ctx context.Context) error {
	if c.pending.Load() > 0 {
		c.mu.Lock()
		zero := make(chan struct{})
		c.zero = zero
		c.waiting.Store(true)
		if c.pending.Load() == 0 {
			c.zero = nil
			c.mu.Unlock()
		} else {
			c.mu.Unlock()
			select {
			case <-zero:
			case <-ctx.Done():
				c.waiting.Store(false)
				return ctx.Err()
			}
		}
		c.waiting.Store(false)
	}
	return c.err()
}

// err returns the first production failure seen so far.
func (c *recordCollector) err() error {
	if !c.failed.Load() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failure
}
