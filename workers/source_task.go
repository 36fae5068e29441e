package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/twmb/franz-go/pkg/kgo"
)

// sourceTask runs a SourceTask: poll, transform, convert, produce, and
// commit source offsets once Kafka acknowledged the records they cover
// (every offset.flush.interval.ms and at shutdown).
type sourceTask struct {
	*taskBase
	task         connect.SourceTask
	recCommitter connect.SourceRecordCommitter
	submitted    *submittedRecords
	sendErr      atomic.Pointer[error]
	topics       map[string]bool
	creator      *topicCreator
	commitMu     sync.Mutex
	retryOffsets map[string][]byte
}

func (t *sourceTask) run(ctx context.Context) error {
	t.submitted = newSubmittedRecords(t.id.Connector)
	t.topics = map[string]bool{}
	if err := t.ensureDLQTopic(ctx); err != nil {
		return err
	}
	creator, err := newTopicCreator(t.w.cfg.TopicCreation, t.connRaw, t.w.admin)
	if err != nil {
		return err
	}
	t.creator = creator
	tctx := &sourceTaskContext{reader: &offsetReader{store: t.w.offsets, connector: t.id.Connector}, log: t.log}
	if err := callSafely(func() error { return t.task.Start(ctx, tctx, maps.Clone(t.taskRaw)) }); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("starting source task: %w", err)
	}
	t.recCommitter, _ = t.task.(connect.SourceRecordCommitter)
	t.initialStatus()

	// Records are produced under their own context so that a clean stop
	// delivers what was already polled (within offset.flush.timeout.ms)
	// instead of abandoning it.
	produceCtx, cancelProduce := context.WithCancel(context.Background())
	defer cancelProduce()

	committerCtx, stopCommitter := context.WithCancel(ctx)
	committerDone := make(chan struct{})
	go func() {
		defer close(committerDone)
		t.commitPeriodically(committerCtx)
	}()

	loopErr := t.loop(ctx, produceCtx)
	stopCommitter()
	<-committerDone

	drainCtx, cancel := context.WithTimeout(context.Background(), t.w.cfg.OffsetFlushTimeout)
	if !t.submitted.awaitIdle(drainCtx) {
		t.log.Warn("timed out waiting for records to be acknowledged; committing the offsets of those that were", "timeout", t.w.cfg.OffsetFlushTimeout)
	}
	cancel()
	cancelProduce()
	if err := t.commitOffsets(context.Background()); err != nil {
		t.log.Error("final offset commit failed", "err", err)
	}
	if err := callSafely(t.task.Stop); err != nil {
		t.log.Warn("error stopping source task", "err", err)
	}
	return loopErr
}

func (t *sourceTask) loop(ctx, produceCtx context.Context) error {
	for {
		if ctx.Err() != nil {
			return nil
		}
		if !t.awaitRunnable(ctx) {
			return nil
		}
		if e := t.sendErr.Load(); e != nil {
			return *e
		}
		var recs []connect.SourceRecord
		err := callSafely(func() error {
			var err error
			recs, err = t.task.Poll(ctx)
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if connect.IsRetriable(err) {
				t.log.Warn("source task poll failed with a retriable error; polling again", "err", err)
				continue
			}
			return fmt.Errorf("source task poll failed: %w", err)
		}
		for i := range recs {
			if err := t.send(ctx, produceCtx, &recs[i]); err != nil {
				return err
			}
		}
	}
}

// send transforms, converts and produces one record.
func (t *sourceTask) send(ctx, produceCtx context.Context, orig *connect.SourceRecord) error {
	rec := orig
	if !t.xforms.empty() {
		var class string
		out, class, err := t.xforms.source(ctx, rec)
		if err != nil {
			skip, ferr := t.policy.recover(ctx, failure{stage: StageTransformation, class: class, source: orig}, err, func() error {
				var err error
				out, class, err = t.xforms.source(ctx, rec)
				return err
			})
			if ferr != nil {
				return ferr
			}
			if skip {
				return t.dropped(orig)
			}
		}
		if out == nil {
			return t.dropped(orig)
		}
		rec = out
	}
	kr, skip, err := t.convert(ctx, orig, rec)
	if err != nil {
		return err
	}
	if skip {
		return t.dropped(orig)
	}
	if !t.topics[kr.Topic] {
		if t.creator != nil {
			if err := t.creator.ensure(ctx, kr.Topic); err != nil {
				return err
			}
		}
		t.topics[kr.Topic] = true
		if t.w.cfg.TopicTracking {
			t.w.status.addTopic(t.id.Connector, kr.Topic)
		}
	}
	pending, err := t.submitted.submit(orig.SourcePartition, orig.SourceOffset)
	if err != nil {
		return fmt.Errorf("source record for topic %s: %w", rec.Topic, err)
	}
	t.w.producer.Produce(produceCtx, kr, func(r *kgo.Record, err error) { t.acked(orig, r, pending, err) })
	return nil
}

// acked runs on a producer goroutine when Kafka answered for a record.
func (t *sourceTask) acked(orig *connect.SourceRecord, r *kgo.Record, pending pendingAck, err error) {
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			t.submitted.forget() // never sent: its offset stays uncommitted
			return
		}
		if t.policy.tolerateAll {
			// KIP-779: with errors.tolerance=all a record Kafka refused is
			// reported and skipped, and its offset committed.
			f := failure{stage: StageKafkaProduce, class: "org.apache.kafka.clients.producer.KafkaProducer", source: orig, err: err}
			for _, rep := range t.policy.reporters {
				if _, isLog := rep.(*logReporter); isLog {
					_ = rep.report(context.Background(), &f)
				}
			}
			t.submitted.ack(pending)
			return
		}
		ferr := fmt.Errorf("failed to send a record to topic %s: %w", r.Topic, err)
		t.sendErr.CompareAndSwap(nil, &ferr)
		t.submitted.forget()
		return
	}
	t.submitted.ack(pending)
	if t.recCommitter != nil {
		md := &connect.RecordMetadata{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp}
		if err := callSafely(func() error { return t.recCommitter.CommitRecord(orig, md) }); err != nil {
			t.log.Warn("CommitRecord failed", "err", err)
		}
	}
}

// dropped accounts for a record filtered by a transformation or skipped
// as a tolerated error: its offset counts as processed.
func (t *sourceTask) dropped(orig *connect.SourceRecord) error {
	pending, err := t.submitted.submit(orig.SourcePartition, orig.SourceOffset)
	if err != nil {
		return err
	}
	t.submitted.ack(pending)
	if t.recCommitter != nil {
		if err := callSafely(func() error { return t.recCommitter.CommitRecord(orig, nil) }); err != nil {
			t.log.Warn("CommitRecord failed", "err", err)
		}
	}
	return nil
}

// convert serialises headers, key and value; skip reports a tolerated
// conversion error.
func (t *sourceTask) convert(ctx context.Context, orig, rec *connect.SourceRecord) (*kgo.Record, bool, error) {
	kr := &kgo.Record{Topic: rec.Topic, Partition: rec.Partition, Timestamp: rec.Timestamp}
	if len(rec.Headers) > 0 {
		kr.Headers = make([]kgo.RecordHeader, 0, len(rec.Headers))
		for _, h := range rec.Headers {
			b, err := t.conv.header.FromConnectHeader(rec.Topic, h.Key, h.Value.Schema, h.Value.Value)
			if err != nil {
				skip, ferr := t.policy.recover(ctx, failure{stage: StageHeaderConverter, class: t.conv.hdrsClass, source: orig}, err, func() error {
					b, err = t.conv.header.FromConnectHeader(rec.Topic, h.Key, h.Value.Schema, h.Value.Value)
					return err
				})
				if skip || ferr != nil {
					return nil, skip, ferr
				}
			}
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: b})
		}
	}
	var err error
	if kr.Key, err = t.conv.key.FromConnectData(rec.Topic, kr.Headers, rec.KeySchema, rec.Key); err != nil {
		skip, ferr := t.policy.recover(ctx, failure{stage: StageKeyConverter, class: t.conv.keyClass, source: orig}, err, func() error {
			kr.Key, err = t.conv.key.FromConnectData(rec.Topic, kr.Headers, rec.KeySchema, rec.Key)
			return err
		})
		if skip || ferr != nil {
			return nil, skip, ferr
		}
	}
	if kr.Value, err = t.conv.value.FromConnectData(rec.Topic, kr.Headers, rec.ValueSchema, rec.Value); err != nil {
		skip, ferr := t.policy.recover(ctx, failure{stage: StageValueConverter, class: t.conv.valueClass, source: orig}, err, func() error {
			kr.Value, err = t.conv.value.FromConnectData(rec.Topic, kr.Headers, rec.ValueSchema, rec.Value)
			return err
		})
		if skip || ferr != nil {
			return nil, skip, ferr
		}
	}
	return kr, false, nil
}

func (t *sourceTask) commitPeriodically(ctx context.Context) {
	tick := time.NewTicker(t.w.cfg.OffsetFlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := t.commitOffsets(ctx); err != nil && ctx.Err() == nil {
				t.log.Error("offset commit failed; will retry at the next interval", "err", err)
			}
		}
	}
}

// commitOffsets writes the offsets of acknowledged records, then lets the
// task know (SourceTaskCommitter).
func (t *sourceTask) commitOffsets(ctx context.Context) error {
	t.commitMu.Lock()
	defer t.commitMu.Unlock()
	offs, err := t.submitted.committable()
	if err != nil {
		return err
	}
	for k, v := range t.retryOffsets {
		if _, newer := offs[k]; !newer {
			if offs == nil {
				offs = map[string][]byte{}
			}
			offs[k] = v
		}
	}
	if len(offs) == 0 {
		return nil
	}
	if err := t.w.offsets.Set(ctx, offs); err != nil {
		t.retryOffsets = offs
		return err
	}
	t.retryOffsets = nil
	if c, ok := t.task.(connect.SourceTaskCommitter); ok {
		if err := callSafely(func() error { return c.Commit(ctx) }); err != nil {
			t.log.Warn("source task Commit failed", "err", err)
		}
	}
	return nil
}

type sourceTaskContext struct {
	reader connect.OffsetStorageReader
	log    *slog.Logger
}

func (c *sourceTaskContext) OffsetStorageReader() connect.OffsetStorageReader { return c.reader }
func (c *sourceTaskContext) Logger() *slog.Logger                             { return c.log }

// offsetReader reads a connector's committed source offsets.
type offsetReader struct {
	store     OffsetStore
	connector string
}

func (r *offsetReader) Offset(ctx context.Context, partition map[string]any) (map[string]any, error) {
	out, err := r.Offsets(ctx, []map[string]any{partition})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (r *offsetReader) Offsets(ctx context.Context, partitions []map[string]any) ([]map[string]any, error) {
	keys := make([]string, len(partitions))
	for i, p := range partitions {
		k, err := offsetKey(r.connector, p)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	vals, err := r.store.Get(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("reading offsets: %w", err)
	}
	out := make([]map[string]any, len(keys))
	for i, k := range keys {
		if b, ok := vals[k]; ok {
			m, err := decodeJSONMap(b)
			if err != nil {
				return nil, fmt.Errorf("stored offset %s for %s is not a JSON object: %w", b, k, err)
			}
			out[i] = m
		}
	}
	return out, nil
}
