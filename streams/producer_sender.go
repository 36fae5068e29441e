package streams

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxRequestBytes caps one Produce request (the broker's
// socket.request.max.bytes is 100 MiB; Kafka's max.request.size is 1 MiB
// per batch, which maxBatchBytes already keeps).
const maxRequestBytes = 16 << 20

// sendLoop sends rounds of batches until the queue is empty. A round takes
// the oldest queued batch of each partition, so batches of one partition
// are written strictly one after another, in order.
func (c *recordCollector) sendLoop() {
	for {
		c.mu.Lock()
		round := c.takeRoundLocked()
		if len(round) == 0 {
			c.sending = false
			c.mu.Unlock()
			c.nudge()
			return
		}
		c.mu.Unlock()
		retry := c.sendRound(round)
		if len(retry) == 0 {
			continue
		}
		c.mu.Lock()
		c.queue = append(retry, c.queue...)
		c.mu.Unlock()
		select {
		case <-time.After(retryBackoff):
		case <-c.ctx.Done():
		}
	}
}

// takeRoundLocked removes from the queue the first batch of each partition,
// up to maxRequestBytes, keeping the rest in order.
func (c *recordCollector) takeRoundLocked() []*recordBatch {
	if len(c.queue) == 0 {
		return nil
	}
	var round []*recordBatch
	var seen map[topicPartition]struct{}
	rest := c.queue[:0]
	size := 0
	for _, b := range c.queue {
		_, dup := seen[b.topicPartition]
		if dup || (len(round) > 0 && size+len(b.buf) > maxRequestBytes) {
			rest = append(rest, b)
			if seen == nil {
				seen = map[topicPartition]struct{}{}
			}
			seen[b.topicPartition] = struct{}{} // later batches wait behind it
			continue
		}
		if seen == nil {
			seen = map[topicPartition]struct{}{}
		}
		seen[b.topicPartition] = struct{}{}
		round = append(round, b)
		size += len(b.buf)
	}
	clear(c.queue[len(rest):])
	c.queue = rest
	return round
}

// sendRound writes one round, grouped by partition leader, and returns the
// batches to retry, in order.
func (c *recordCollector) sendRound(round []*recordBatch) (retry []*recordBatch) {
	byLeader := map[int32][]*recordBatch{}
	for _, b := range round {
		leader, err := c.meta.leader(c.ctx, b.topicPartition)
		if err != nil {
			retry = c.retryOrFail(retry, b, err)
			continue
		}
		byLeader[leader] = append(byLeader[leader], b)
	}
	if len(byLeader) == 1 {
		for leader, batches := range byLeader {
			retry = append(retry, c.produce(leader, batches)...)
		}
		return retry
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for leader, batches := range byLeader {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.produce(leader, batches)
			mu.Lock()
			retry = append(retry, r...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return retry
}

// produce writes the batches in one Produce request to their leader and
// settles each batch by its partition's answer.
func (c *recordCollector) produce(leader int32, batches []*recordBatch) (retry []*recordBatch) {
	req := kmsg.NewPtrProduceRequest()
	req.Acks = -1
	req.TimeoutMillis = 30_000
	topics := map[string]int{}
	for _, b := range batches {
		i, ok := topics[b.topic]
		if !ok {
			i = len(req.Topics)
			topics[b.topic] = i
			t := kmsg.NewProduceRequestTopic()
			t.Topic = b.topic
			t.TopicID = c.meta.topicID(b.topic)
			req.Topics = append(req.Topics, t)
		}
		p := kmsg.NewProduceRequestTopicPartition()
		p.Partition = b.partition
		p.Records = b.buf
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	resp, err := c.cl.Broker(int(leader)).Request(c.ctx, req)
	if err != nil {
		// The request may or may not have been written: retrying can
		// duplicate, which at-least-once allows.
		c.meta.invalidate()
		for _, b := range batches {
			// kgo may still be writing the abandoned request: its
			// buffers must not be reused.
			b.abandoned = true
			retry = c.retryOrFail(retry, b, err)
		}
		return retry
	}
	answers := map[topicPartition]kmsg.ProduceResponseTopicPartition{}
	for _, t := range resp.(*kmsg.ProduceResponse).Topics {
		name := t.Topic
		if name == "" {
			name = c.meta.topicName(t.TopicID)
		}
		for _, p := range t.Partitions {
			answers[topicPartition{name, p.Partition}] = p
		}
	}
	for _, b := range batches {
		a, ok := answers[b.topicPartition]
		if !ok {
			retry = c.retryOrFail(retry, b, fmt.Errorf("no answer for %s[%d] in the produce response", b.topic, b.partition))
			continue
		}
		if err := kerr.ErrorForCode(a.ErrorCode); err != nil {
			retry = c.settleError(retry, b, err)
			continue
		}
		if b.changelog {
			c.changelogs.ack(b.topic, b.partition, a.BaseOffset+int64(b.n)-1)
		}
		c.done(b)
	}
	return retry
}

// settleError handles a partition's error answer: a batch that is too
// large is split so only the records too large on their own fail; a
// retriable error is retried; anything else fails the batch's records.
func (c *recordCollector) settleError(retry []*recordBatch, b *recordBatch, err error) []*recordBatch {
	if (errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.RecordListTooLarge)) && b.n > 1 {
		parts, splitErr := b.split()
		if splitErr == nil {
			c.mu.Lock()
			for _, p := range parts {
				c.buffered += len(p.buf)
			}
			c.buffered -= len(b.buf)
			c.mu.Unlock()
			return append(retry, parts...)
		}
		err = errors.Join(err, splitErr)
	}
	if kerr.IsRetriable(err) {
		c.meta.invalidate()
	}
	return c.retryOrFail(retry, b, err)
}

// retryOrFail retries a batch that failed retriably within the delivery
// timeout, and otherwise hands its records to the production exception
// handler.
func (c *recordCollector) retryOrFail(retry []*recordBatch, b *recordBatch, err error) []*recordBatch {
	if c.ctx.Err() == nil && isRetriableProduceError(err) && c.now().Sub(b.created) < c.deliveryTimeout {
		return append(retry, b)
	}
	if c.ctx.Err() != nil {
		err = errors.Join(err, c.ctx.Err())
	}
	recs, decodeErr := b.records()
	if decodeErr != nil {
		c.failRecord(&kgo.Record{Topic: b.topic, Partition: b.partition}, errors.Join(err, decodeErr))
	}
	for _, r := range recs {
		c.failRecord(r, err)
	}
	c.done(b)
	return retry
}

// isRetriableProduceError reports errors a later attempt may overcome:
// Kafka's retriable error codes and connection failures.
func isRetriableProduceError(err error) bool {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Retriable
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// producerMetadata caches partition leaders and topic ids for the
// collector's Produce requests.
type producerMetadata struct {
	cl     *kgo.Client
	mu     sync.Mutex
	topics map[string]*topicMeta
	names  map[[16]byte]string
	stale  bool
}

type topicMeta struct {
	id      [16]byte
	leaders []int32
}

func (m *producerMetadata) invalidate() {
	m.mu.Lock()
	m.stale = true
	m.mu.Unlock()
}

// leader returns the partition's leader, loading metadata for the topic
// (creating it where the cluster auto-creates topics, as Kafka's producer
// does) when it is unknown or stale.
func (m *producerMetadata) leader(ctx context.Context, tp topicPartition) (int32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.topics[tp.topic]
	if t == nil || m.stale || int(tp.partition) >= len(t.leaders) || t.leaders[tp.partition] < 0 {
		if err := m.refreshLocked(ctx, tp.topic); err != nil {
			return 0, err
		}
		t = m.topics[tp.topic]
	}
	if int(tp.partition) >= len(t.leaders) {
		return 0, fmt.Errorf("%s[%d]: %w", tp.topic, tp.partition, kerr.UnknownTopicOrPartition)
	}
	l := t.leaders[tp.partition]
	if l < 0 {
		return 0, fmt.Errorf("%s[%d]: %w", tp.topic, tp.partition, kerr.LeaderNotAvailable)
	}
	return l, nil
}

func (m *producerMetadata) refreshLocked(ctx context.Context, topic string) error {
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = true
	names := []string{topic}
	for name := range m.topics {
		if name != topic {
			names = append(names, name)
		}
	}
	for _, name := range names {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(name)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		return fmt.Errorf("loading metadata for %s: %w", topic, err)
	}
	if m.topics == nil {
		m.topics = map[string]*topicMeta{}
		m.names = map[[16]byte]string{}
	}
	var topicErr error
	for _, t := range resp.Topics {
		if t.Topic == nil {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			if *t.Topic == topic {
				topicErr = fmt.Errorf("metadata for %s: %w", topic, err)
			}
			continue
		}
		tm := &topicMeta{id: t.TopicID}
		for _, p := range t.Partitions {
			for int(p.Partition) >= len(tm.leaders) {
				tm.leaders = append(tm.leaders, -1)
			}
			if kerr.ErrorForCode(p.ErrorCode) == nil {
				tm.leaders[p.Partition] = p.Leader
			}
		}
		m.topics[*t.Topic] = tm
		m.names[t.TopicID] = *t.Topic
	}
	if topicErr != nil {
		return topicErr
	}
	if _, ok := m.topics[topic]; !ok {
		return fmt.Errorf("metadata for %s: %w", topic, kerr.UnknownTopicOrPartition)
	}
	m.stale = false
	return nil
}

func (m *producerMetadata) topicID(topic string) [16]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t := m.topics[topic]; t != nil {
		return t.id
	}
	return [16]byte{}
}

func (m *producerMetadata) topicName(id [16]byte) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.names[id]
}
