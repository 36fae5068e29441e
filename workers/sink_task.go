package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// defaultMaxPollRecords is Kafka's max.poll.records default.
const defaultMaxPollRecords = 500

// sinkTask runs a SinkTask: consume in group connect-<connector>, convert
// and transform, Put, and commit consumed offsets once Flush (or PreCommit)
// succeeded. Rebalance callbacks are serialised with the poll loop through
// franz-go's BlockRebalanceOnPoll, so the SinkTask sees one caller at a time.
type sinkTask struct {
	*taskBase
	task     connect.SinkTask
	cl       *kgo.Client
	maxPoll  int
	group    string
	interval time.Duration

	// Owned by whichever of the poll loop or a rebalance callback runs.
	assigned      map[connect.TopicPartition]bool
	current       map[connect.TopicPartition]int64 // next offset to consume
	lastCommitted map[connect.TopicPartition]int64
	batchRaw      []*kgo.Record // consumed records of the current batch, for ErrantRecordReporter
	nextCommit    time.Time
	closing       bool
	openErr       error

	// Set through SinkTaskContext from any task callback.
	ctxMu        sync.Mutex
	seeks        map[connect.TopicPartition]int64
	taskPaused   map[connect.TopicPartition]bool
	retryTimeout time.Duration
	commitReq    atomic.Bool

	opts       []kgo.Opt
	seenTopics map[string]bool
}

func newSinkTask(base *taskBase, task connect.SinkTask) (*sinkTask, error) {
	t := &sinkTask{
		taskBase:      base,
		task:          task,
		maxPoll:       defaultMaxPollRecords,
		group:         "connect-" + base.id.Connector,
		interval:      base.w.cfg.OffsetFlushInterval,
		assigned:      map[connect.TopicPartition]bool{},
		current:       map[connect.TopicPartition]int64{},
		lastCommitted: map[connect.TopicPartition]int64{},
		seeks:         map[connect.TopicPartition]int64{},
		taskPaused:    map[connect.TopicPartition]bool{},
	}
	props := clientProps(base.w.cfg.Props, roleConsumer, base.connRaw)
	if g := props["group.id"]; g != "" {
		t.group = g
	}
	if v := props["max.poll.records"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return nil, connect.InvalidValueError("consumer.max.poll.records", v, "expected a positive integer")
		}
		t.maxPoll = n
	}
	opts := []kgo.Opt{
		kgo.ConsumerGroup(t.group),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.ClientID(base.w.clientID(taskName(base.id))),
		kgo.AllowAutoTopicCreation(),
		kgo.OnPartitionsAssigned(t.onAssigned),
		kgo.OnPartitionsRevoked(t.onRevoked),
		kgo.OnPartitionsLost(t.onLost),
	}
	if topics := base.conn.List(TopicsConfig); len(topics) > 0 {
		opts = append(opts, kgo.ConsumeTopics(topics...))
	} else {
		re := base.conn.String(TopicsRegexConfig)
		if _, err := regexp.Compile(re); err != nil {
			return nil, connect.InvalidValueError(TopicsRegexConfig, re, err.Error())
		}
		// Java's Pattern.matches needs the whole name to match.
		opts = append(opts, kgo.ConsumeRegex(), kgo.ConsumeTopics("^(?:"+re+")$"))
	}
	kopts, err := kafkaOpts(props, roleConsumer)
	if err != nil {
		return nil, err
	}
	t.opts = append(opts, kopts...)
	return t, nil
}

func (t *sinkTask) run(ctx context.Context) error {
	if err := t.ensureDLQTopic(ctx); err != nil {
		return err
	}
	cl, err := kgo.NewClient(t.opts...)
	if err != nil {
		return fmt.Errorf("creating consumer for group %s: %w", t.group, err)
	}
	t.cl = cl
	tctx := &sinkTaskContext{t: t}
	if err := callSafely(func() error { return t.task.Start(ctx, tctx, maps.Clone(t.taskRaw)) }); err != nil {
		cl.Close()
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("starting sink task: %w", err)
	}
	t.initialStatus()
	t.nextCommit = time.Now().Add(t.interval)
	loopErr := t.loop(ctx)

	// Clean shutdown: final commit, close the partitions, stop the task,
	// then leave the group (the revoke that triggers is a no-op).
	stopCtx, cancel := context.WithTimeout(context.Background(), t.w.cfg.OffsetFlushTimeout)
	defer cancel()
	if loopErr == nil {
		t.commit(stopCtx, nil)
	}
	t.closePartitions(stopCtx, keys(t.assigned))
	t.closing = true
	if err := callSafely(t.task.Stop); err != nil {
		t.log.Warn("error stopping sink task", "err", err)
	}
	cl.CloseAllowingRebalance()
	return loopErr
}

func keys(m map[connect.TopicPartition]bool) []connect.TopicPartition {
	out := make([]connect.TopicPartition, 0, len(m))
	for tp := range m {
		out = append(out, tp)
	}
	return out
}

func (t *sinkTask) loop(ctx context.Context) error {
	pausedAll := false
	for {
		if ctx.Err() != nil {
			return nil
		}
		if state, _ := t.target.get(); state != TargetStarted {
			t.pauseAll()
			pausedAll = true
			if !t.awaitRunnable(ctx) {
				return nil
			}
		}
		if pausedAll {
			t.resumeAll()
			pausedAll = false
		}
		// Poll no longer than until the next commit is due, so that flushes
		// happen on time even when no records arrive.
		pollCtx, cancelPoll := context.WithDeadline(ctx, t.nextCommit)
		fetches := t.cl.PollRecords(pollCtx, t.maxPoll)
		cancelPoll()
		if ctx.Err() != nil || fetches.IsClientClosed() {
			t.cl.AllowRebalance()
			return nil
		}
		if t.openErr != nil {
			t.cl.AllowRebalance()
			return t.openErr
		}
		for _, fe := range fetches.Errors() {
			if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, context.DeadlineExceeded) {
				continue
			}
			t.log.Warn("fetch error", "topic", fe.Topic, "partition", fe.Partition, "err", fe.Err)
		}
		if err := t.process(ctx, fetches); err != nil {
			t.cl.AllowRebalance()
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if t.commitReq.Load() || !time.Now().Before(t.nextCommit) {
			t.commitReq.Store(false)
			t.commit(ctx, nil)
			t.nextCommit = time.Now().Add(t.interval)
		}
		t.applySeeks()
		t.cl.AllowRebalance()
	}
}

// process converts, transforms and delivers one poll's records.
func (t *sinkTask) process(ctx context.Context, fetches kgo.Fetches) error {
	n := fetches.NumRecords()
	if n == 0 {
		return nil
	}
	batch := make([]connect.SinkRecord, 0, n)
	clear(t.batchRaw)
	t.batchRaw = t.batchRaw[:0]
	var err error
	fetches.EachRecord(func(r *kgo.Record) {
		if err != nil {
			return
		}
		tp := connect.TopicPartition{Topic: r.Topic, Partition: r.Partition}
		if !t.assigned[tp] {
			return // revoked since fetched
		}
		t.current[tp] = r.Offset + 1
		var rec *connect.SinkRecord
		var skip bool
		rec, skip, err = t.convert(ctx, r)
		if err != nil || skip || rec == nil {
			return
		}
		t.batchRaw = append(t.batchRaw, r)
		batch = append(batch, *rec)
	})
	if err != nil {
		return err
	}
	if t.w.cfg.TopicTracking {
		for _, r := range batch {
			if !t.trackedTopic(r.OriginalTopic) {
				t.w.status.addTopic(t.id.Connector, r.OriginalTopic)
			}
		}
	}
	return t.deliver(ctx, batch)
}

// trackedTopic remembers topics already reported active.
func (t *sinkTask) trackedTopic(topic string) bool {
	if t.seenTopics == nil {
		t.seenTopics = map[string]bool{}
	}
	if t.seenTopics[topic] {
		return true
	}
	t.seenTopics[topic] = true
	return false
}

// deliver calls Put, redelivering the same batch after the task's timeout
// while it fails with a retriable error.
func (t *sinkTask) deliver(ctx context.Context, batch []connect.SinkRecord) error {
	if len(batch) == 0 {
		return nil
	}
	for {
		err := callSafely(func() error { return t.task.Put(ctx, batch) })
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !connect.IsRetriable(err) {
			return fmt.Errorf("sink task Put failed: %w", err)
		}
		t.ctxMu.Lock()
		delay := t.retryTimeout
		t.retryTimeout = 0
		t.ctxMu.Unlock()
		if delay <= 0 {
			delay = max(time.Until(t.nextCommit), 100*time.Millisecond)
		}
		t.log.Warn("sink task Put failed with a retriable error; redelivering the batch", "delay", delay, "records", len(batch), "err", err)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// convert turns a consumed record into a SinkRecord and runs the
// transformations; skip reports a tolerated failure or a filtered record.
func (t *sinkTask) convert(ctx context.Context, r *kgo.Record) (*connect.SinkRecord, bool, error) {
	f := failure{consumed: r}
	run := func(stage Stage, class string, op func() error) (bool, error) {
		err := op()
		if err == nil {
			return false, nil
		}
		f.stage = stage
		if class != "" {
			f.class = class
		}
		return t.policy.recover(ctx, f, err, op)
	}
	rec := &connect.SinkRecord{
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp,
		TimestampType: timestampType(r),
		OriginalTopic: r.Topic, OriginalPartition: r.Partition, OriginalOffset: r.Offset,
	}
	if skip, err := run(StageKeyConverter, t.conv.keyClass, func() error {
		sv, err := t.conv.key.ToConnectData(r.Topic, r.Headers, r.Key)
		rec.KeySchema, rec.Key = sv.Schema, sv.Value
		return err
	}); skip || err != nil {
		return nil, skip, err
	}
	if skip, err := run(StageValueConverter, t.conv.valueClass, func() error {
		sv, err := t.conv.value.ToConnectData(r.Topic, r.Headers, r.Value)
		rec.ValueSchema, rec.Value = sv.Schema, sv.Value
		return err
	}); skip || err != nil {
		return nil, skip, err
	}
	if len(r.Headers) > 0 {
		if skip, err := run(StageHeaderConverter, t.conv.hdrsClass, func() error {
			rec.Headers = rec.Headers[:0]
			for _, h := range r.Headers {
				sv, err := t.conv.header.ToConnectHeader(r.Topic, h.Key, h.Value)
				if err != nil {
					return err
				}
				rec.Headers = append(rec.Headers, dataHeader(h.Key, sv))
			}
			return nil
		}); skip || err != nil {
			return nil, skip, err
		}
	}
	if t.xforms.empty() {
		return rec, false, nil
	}
	var out *connect.SinkRecord
	var class string
	skip, err := run(StageTransformation, "", func() error {
		var err error
		out, class, err = t.xforms.sink(ctx, rec)
		f.class = class
		return err
	})
	if skip || err != nil {
		return nil, skip, err
	}
	return out, out == nil, nil
}

// commit flushes the task and commits consumed offsets (only partitions in
// only, if non-nil). On failure the consumer rewinds to the last committed
// offsets so nothing is skipped (Kafka's behaviour).
func (t *sinkTask) commit(ctx context.Context, only []connect.TopicPartition) {
	offsets := map[connect.TopicPartition]connect.OffsetAndMetadata{}
	for tp, off := range t.current {
		if only != nil && !containsTP(only, tp) {
			continue
		}
		offsets[tp] = connect.OffsetAndMetadata{Offset: off}
	}
	if len(offsets) == 0 {
		return
	}
	committable := offsets
	var err error
	if pc, ok := t.task.(connect.SinkPreCommitter); ok {
		err = callSafely(func() error {
			var err error
			committable, err = pc.PreCommit(ctx, maps.Clone(offsets))
			return err
		})
	} else {
		err = callSafely(func() error { return t.task.Flush(ctx, maps.Clone(offsets)) })
	}
	if err != nil {
		t.log.Error("offset commit failed: the task could not flush; rewinding to the last committed offsets", "err", err)
		t.rewind(only)
		return
	}
	toCommit := map[string]map[int32]kgo.EpochOffset{}
	for tp, om := range committable {
		if !t.assigned[tp] {
			continue
		}
		if last, ok := t.lastCommitted[tp]; ok && last == om.Offset {
			continue
		}
		if toCommit[tp.Topic] == nil {
			toCommit[tp.Topic] = map[int32]kgo.EpochOffset{}
		}
		toCommit[tp.Topic][tp.Partition] = kgo.EpochOffset{Epoch: -1, Offset: om.Offset}
	}
	if len(toCommit) == 0 {
		return
	}
	var commitErr error
	t.cl.CommitOffsetsSync(ctx, toCommit, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			commitErr = err
			return
		}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				if e := kerrFor(rp.ErrorCode); e != nil && commitErr == nil {
					commitErr = fmt.Errorf("%s[%d]: %w", rt.Topic, rp.Partition, e)
				}
			}
		}
	})
	if commitErr != nil {
		if ctx.Err() == nil { // a stop interrupted it: the final commit follows
			t.log.Warn("committing consumer offsets failed; will retry at the next commit", "group", t.group, "err", commitErr)
		}
		return
	}
	for topic, ps := range toCommit {
		for p, eo := range ps {
			t.lastCommitted[connect.TopicPartition{Topic: topic, Partition: p}] = eo.Offset
		}
	}
}

func containsTP(list []connect.TopicPartition, tp connect.TopicPartition) bool {
	for _, x := range list {
		if x == tp {
			return true
		}
	}
	return false
}

// rewind moves consumption back to the last committed offsets.
func (t *sinkTask) rewind(only []connect.TopicPartition) {
	committed := t.cl.CommittedOffsets()
	set := map[string]map[int32]kgo.EpochOffset{}
	for tp := range t.assigned {
		if only != nil && !containsTP(only, tp) {
			continue
		}
		off, ok := t.lastCommitted[tp]
		if !ok {
			eo, found := committed[tp.Topic][tp.Partition]
			if !found {
				continue
			}
			off = eo.Offset
		}
		if set[tp.Topic] == nil {
			set[tp.Topic] = map[int32]kgo.EpochOffset{}
		}
		set[tp.Topic][tp.Partition] = kgo.EpochOffset{Epoch: -1, Offset: off}
		t.current[tp] = off
	}
	t.cl.SetOffsets(set)
}

// applySeeks applies offsets the task set with SinkTaskContext.Offset.
func (t *sinkTask) applySeeks() {
	t.ctxMu.Lock()
	seeks := t.seeks
	t.seeks = map[connect.TopicPartition]int64{}
	t.ctxMu.Unlock()
	if len(seeks) == 0 {
		return
	}
	set := map[string]map[int32]kgo.EpochOffset{}
	for tp, off := range seeks {
		if !t.assigned[tp] {
			continue
		}
		if set[tp.Topic] == nil {
			set[tp.Topic] = map[int32]kgo.EpochOffset{}
		}
		set[tp.Topic][tp.Partition] = kgo.EpochOffset{Epoch: -1, Offset: off}
		t.current[tp] = off
		t.lastCommitted[tp] = off
	}
	t.cl.SetOffsets(set)
}

func (t *sinkTask) pauseAll() {
	topics := map[string]bool{}
	for tp := range t.assigned {
		topics[tp.Topic] = true
	}
	list := make([]string, 0, len(topics))
	for tp := range topics {
		list = append(list, tp)
	}
	t.cl.PauseFetchTopics(list...)
}

func (t *sinkTask) resumeAll() {
	t.cl.ResumeFetchTopics(t.cl.PauseFetchTopics()...)
}

func toTPs(m map[string][]int32) []connect.TopicPartition {
	var out []connect.TopicPartition
	for topic, ps := range m {
		for _, p := range ps {
			out = append(out, connect.TopicPartition{Topic: topic, Partition: p})
		}
	}
	return out
}

func (t *sinkTask) onAssigned(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	if t.closing {
		return
	}
	tps := toTPs(m)
	for _, tp := range tps {
		t.assigned[tp] = true
	}
	if pl, ok := t.task.(connect.SinkPartitionListener); ok && len(tps) > 0 {
		if err := callSafely(func() error { return pl.Open(ctx, tps) }); err != nil {
			t.openErr = fmt.Errorf("sink task Open failed: %w", err)
		}
	}
	t.applySeeks()
	if state, _ := t.target.get(); state != TargetStarted {
		t.pauseAll()
	}
}

func (t *sinkTask) onRevoked(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	if t.closing {
		return
	}
	var tps []connect.TopicPartition
	for _, tp := range toTPs(m) {
		if t.assigned[tp] {
			tps = append(tps, tp)
		}
	}
	if len(tps) == 0 {
		return
	}
	t.commit(ctx, tps)
	t.closePartitions(ctx, tps)
}

func (t *sinkTask) onLost(ctx context.Context, _ *kgo.Client, m map[string][]int32) {
	if t.closing {
		return
	}
	var tps []connect.TopicPartition
	for _, tp := range toTPs(m) {
		if t.assigned[tp] {
			tps = append(tps, tp)
		}
	}
	t.closePartitions(ctx, tps)
}

// closePartitions tells the task and forgets the partitions' state.
func (t *sinkTask) closePartitions(ctx context.Context, tps []connect.TopicPartition) {
	if len(tps) == 0 {
		return
	}
	if pl, ok := t.task.(connect.SinkPartitionListener); ok {
		if err := callSafely(func() error { return pl.Close(ctx, tps) }); err != nil {
			t.log.Warn("sink task Close failed", "err", err)
		}
	}
	for _, tp := range tps {
		delete(t.assigned, tp)
		delete(t.current, tp)
		delete(t.lastCommitted, tp)
	}
}

// sinkTaskContext is the SinkTaskContext of one task.
type sinkTaskContext struct{ t *sinkTask }

func (c *sinkTaskContext) Offset(offsets map[connect.TopicPartition]int64) {
	c.t.ctxMu.Lock()
	defer c.t.ctxMu.Unlock()
	for tp, off := range offsets {
		c.t.seeks[tp] = off
	}
}

func (c *sinkTaskContext) Timeout(d time.Duration) {
	c.t.ctxMu.Lock()
	defer c.t.ctxMu.Unlock()
	c.t.retryTimeout = d
}

func (c *sinkTaskContext) Assignment() []connect.TopicPartition { return keys(c.t.assigned) }

func (c *sinkTaskContext) Pause(tps ...connect.TopicPartition) {
	m := map[string][]int32{}
	c.t.ctxMu.Lock()
	for _, tp := range tps {
		c.t.taskPaused[tp] = true
		m[tp.Topic] = append(m[tp.Topic], tp.Partition)
	}
	c.t.ctxMu.Unlock()
	c.t.cl.PauseFetchPartitions(m)
}

func (c *sinkTaskContext) Resume(tps ...connect.TopicPartition) {
	m := map[string][]int32{}
	c.t.ctxMu.Lock()
	for _, tp := range tps {
		delete(c.t.taskPaused, tp)
		m[tp.Topic] = append(m[tp.Topic], tp.Partition)
	}
	c.t.ctxMu.Unlock()
	c.t.cl.ResumeFetchPartitions(m)
}

func (c *sinkTaskContext) RequestCommit() { c.t.commitReq.Store(true) }

func (c *sinkTaskContext) ErrantRecordReporter() connect.ErrantRecordReporter {
	if len(c.t.policy.reporters) == 0 && !c.t.policy.tolerateAll {
		return nil
	}
	return &errantReporter{t: c.t}
}

func (c *sinkTaskContext) Logger() *slog.Logger { return c.t.log }

// errantReporter sends records the task could not write to the error
// reporters (KIP-610), synchronously.
type errantReporter struct{ t *sinkTask }

func (r *errantReporter) Report(ctx context.Context, rec *connect.SinkRecord, err error) error {
	var orig *kgo.Record
	for _, raw := range r.t.batchRaw {
		if raw.Offset == rec.OriginalOffset && raw.Partition == rec.OriginalPartition && raw.Topic == rec.OriginalTopic {
			orig = raw
			break
		}
	}
	if orig == nil {
		orig = &kgo.Record{Topic: rec.OriginalTopic, Partition: rec.OriginalPartition, Offset: rec.OriginalOffset}
	}
	_, ferr := r.t.policy.execute(ctx, failure{stage: StageTaskPut, class: r.t.plugin.TaskClass, consumed: orig}, func() error { return err })
	return ferr
}

func kerrFor(code int16) error { return kerr.ErrorForCode(code) }

func dataHeader(key string, sv data.SchemaAndValue) data.Header {
	return data.Header{Key: key, Value: sv}
}
