package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// RestoreListener is told about restorations, as Kafka's
// StateRestoreListener. Calls come from the restoring goroutine and must
// not block for long.
type RestoreListener interface {
	// OnRestoreStart: the store will be restored from startOffset up to
	// endOffset (exclusive). When startOffset == endOffset nothing is
	// replayed.
	OnRestoreStart(topic string, partition int32, store string, startOffset, endOffset int64)
	// OnBatchRestored: a batch ending at batchEndOffset (the offset of its
	// last record) was applied, numRestored records.
	OnBatchRestored(topic string, partition int32, store string, batchEndOffset, numRestored int64)
	// OnRestoreEnd: restoration finished with totalRestored records.
	OnRestoreEnd(topic string, partition int32, store string, totalRestored int64)
}

// Changelog is one changelog partition of a task's store and the callback
// that applies its records.
type Changelog struct {
	Store     string
	Topic     string
	Partition int32
	Restore   RestoreCallback
}

// RestoreOptions tune Manager.Restore.
type RestoreOptions struct {
	// ReadCommitted restores only committed transactional records and
	// stops at the last stable offset (exactly-once).
	ReadCommitted bool
	// FetchMaxBytes caps one fetch response; 0 means 16 MiB.
	FetchMaxBytes int32
}

// restoreFetchWait is how long the broker may hold a fetch open.
const restoreFetchWait = 500 * time.Millisecond

// restorePartition is the progress of one changelog partition.
type restorePartition struct {
	log      Changelog
	ts       *taskState // nil: the store keeps no checkpoint (in memory)
	next     int64      // next offset to fetch
	end      int64
	restored int64
	done     bool
}

// Restore replays a task's changelogs into its stores before the task
// processes: each from the store's checkpoint (or the start of the log
// when there is none) up to the end offset listed when restoration
// starts. It fetches with raw Fetch requests and follows the position the
// broker's batches imply, so compacted gaps, aborted transactions and
// trailing transaction markers never leave it waiting for offsets that do
// not exist. A checkpoint outside the log (the topic was recreated or
// truncated) wipes the store and restores it from the start. Each batch is
// committed with its checkpoint, so an interrupted restoration resumes.
func (m *Manager) Restore(ctx context.Context, cl *kgo.Client, task TaskID, logs []Changelog, opts RestoreOptions) error {
	if len(logs) == 0 {
		return nil
	}
	ts := m.lookup(task)
	parts := make([]*restorePartition, 0, len(logs))
	for _, l := range logs {
		if l.Restore == nil {
			continue
		}
		p := &restorePartition{log: l}
		if ts != nil {
			if _, ok := ts.slot(l.Store); ok {
				p.ts = ts
			}
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return nil
	}
	log := m.log.With("task", task.String())
	if err := m.planRestore(ctx, cl, log, parts, opts); err != nil {
		return err
	}
	var active []*restorePartition
	for _, p := range parts {
		if !p.done {
			active = append(active, p)
		}
	}
	if len(active) == 0 {
		return nil
	}
	if ts != nil {
		if err := ts.beginRestore(); err != nil {
			return err
		}
		defer ts.endRestore()
	}
	started := time.Now()
	err := m.fetchLoop(ctx, cl, log, active, opts)
	var total int64
	for _, p := range active {
		total += p.restored
	}
	if err != nil {
		return err
	}
	log.Info("restored state stores", "stores", len(active), "records", total, "took", time.Since(started).Round(time.Millisecond))
	return nil
}

// planRestore lists the changelogs' offsets and decides where each
// partition starts; partitions with nothing to replay are marked done.
func (m *Manager) planRestore(ctx context.Context, cl *kgo.Client, log *slog.Logger, parts []*restorePartition, opts RestoreOptions) error {
	adm := kadm.NewClient(cl)
	topics := make([]string, 0, len(parts))
	for _, p := range parts {
		topics = append(topics, p.log.Topic)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return fmt.Errorf("listing changelog start offsets: %w", err)
	}
	var ends kadm.ListedOffsets
	if opts.ReadCommitted {
		ends, err = adm.ListCommittedOffsets(ctx, topics...)
	} else {
		ends, err = adm.ListEndOffsets(ctx, topics...)
	}
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return fmt.Errorf("listing changelog end offsets: %w", err)
	}
	for _, p := range parts {
		s, ok1 := starts.Lookup(p.log.Topic, p.log.Partition)
		e, ok2 := ends.Lookup(p.log.Topic, p.log.Partition)
		if !ok1 || !ok2 {
			return fmt.Errorf("changelog %s-%d does not exist", p.log.Topic, p.log.Partition)
		}
		p.end = e.Offset
		p.next = s.Offset
		if p.ts != nil {
			if ck, ok := p.ts.checkpoint(p.log.Store); ok {
				if ck < s.Offset || ck > e.Offset {
					log.Warn("store checkpoint is outside its changelog; wiping the local state and restoring it from the start",
						"store", p.log.Store, "changelog", p.log.Topic, "partition", p.log.Partition,
						"checkpoint", ck, "log_start", s.Offset, "log_end", e.Offset)
					if err := p.ts.wipe(p.log.Store); err != nil {
						return err
					}
				} else {
					p.next = ck
				}
			}
		}
		if m.listener != nil {
			m.listener.OnRestoreStart(p.log.Topic, p.log.Partition, p.log.Store, p.next, max(p.end, p.next))
		}
		if p.next >= p.end {
			p.done = true
			if m.listener != nil {
				m.listener.OnRestoreEnd(p.log.Topic, p.log.Partition, p.log.Store, 0)
			}
		}
	}
	return nil
}

// fetchLoop restores the partitions: a fetcher goroutine fetches and
// decodes ahead while this one applies what it fetched, so the network
// and Pebble work overlap.
func (m *Manager) fetchLoop(ctx context.Context, cl *kgo.Client, log *slog.Logger, parts []*restorePartition, opts RestoreOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	rounds := make(chan []fetchedChunk, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- m.fetch(ctx, cl, log, parts, opts, rounds)
		close(rounds)
	}()
	defer func() {
		cancel()
		for range rounds { // let the fetcher end
		}
	}()
	var recs []ChangelogRecord
	for round := range rounds {
		for _, c := range round {
			if err := m.apply(log, c, &recs); err != nil {
				return err
			}
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	for _, p := range parts {
		if !p.done {
			return fmt.Errorf("restoring %s-%d: stopped at offset %d before the end offset %d", p.log.Topic, p.log.Partition, p.next, p.end)
		}
	}
	return nil
}

// fetchedChunk is what the fetcher hands the applier for one partition:
// decoded records and the position after them (transaction markers and
// compacted gaps included), or a restart from the log start.
type fetchedChunk struct {
	p       *restorePartition
	records []*kgo.Record
	next    int64
	reset   bool
}

// fetch fetches every partition from its leader until its position
// reaches the end offset, sending each round's chunks to rounds.
func (m *Manager) fetch(ctx context.Context, cl *kgo.Client, log *slog.Logger, parts []*restorePartition, opts RestoreOptions, rounds chan<- []fetchedChunk) error {
	isolation := kgo.ReadUncommitted()
	var level int8
	if opts.ReadCommitted {
		isolation, level = kgo.ReadCommitted(), 1
	}
	maxBytes := opts.FetchMaxBytes
	if maxBytes <= 0 {
		maxBytes = 16 << 20
	}
	decompressor := kgo.DefaultDecompressor()
	adm := kadm.NewClient(cl)
	pos := make(map[*restorePartition]int64, len(parts))
	for _, p := range parts {
		pos[p] = p.next
	}
	var leaders map[string]map[int32]int32
	var ids map[string]kadm.TopicID
	backoff := 50 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		byLeader := map[int32][]*restorePartition{}
		for _, p := range parts {
			if pos[p] < p.end {
				if leaders == nil {
					var err error
					if leaders, ids, err = partitionLeaders(ctx, adm, parts); err != nil {
						return err
					}
				}
				l := leaders[p.log.Topic][p.log.Partition]
				byLeader[l] = append(byLeader[l], p)
			}
		}
		if len(byLeader) == 0 {
			return nil
		}
		var round []fetchedChunk
		retry := false
		for leader, ps := range byLeader {
			if leader < 0 {
				retry = true
				continue
			}
			resp, err := fetchRequest(ctx, cl, leader, ps, pos, ids, maxBytes, level)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				log.Debug("restore fetch failed; retrying", "broker", leader, "error", err)
				retry = true
				continue
			}
			for i := range resp.Topics {
				rt := &resp.Topics[i]
				topic := rt.Topic
				if topic == "" {
					for name, id := range ids {
						if id == rt.TopicID {
							topic = name
						}
					}
				}
				for j := range rt.Partitions {
					rp := &rt.Partitions[j]
					p := findPart(ps, topic, rp.Partition)
					if p == nil {
						continue
					}
					switch err := kerr.ErrorForCode(rp.ErrorCode); {
					case err == nil:
					case errors.Is(err, kerr.OffsetOutOfRange):
						start, err := logStart(ctx, adm, p)
						if err != nil {
							return err
						}
						pos[p] = start
						round = append(round, fetchedChunk{p: p, next: start, reset: true})
						continue
					case kerr.IsRetriable(err) || errors.Is(err, kerr.NotLeaderForPartition) || errors.Is(err, kerr.UnknownTopicOrPartition) ||
						errors.Is(err, kerr.FencedLeaderEpoch) || errors.Is(err, kerr.UnknownTopicID):
						retry = true
						continue
					default:
						return fmt.Errorf("restoring %s-%d: %w", p.log.Topic, p.log.Partition, err)
					}
					fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
						Offset: pos[p], IsolationLevel: isolation, Topic: p.log.Topic, Partition: p.log.Partition,
					}, rp, decompressor, nil)
					if fp.Err != nil && len(fp.Records) == 0 {
						return fmt.Errorf("restoring %s-%d at offset %d: %w", p.log.Topic, p.log.Partition, pos[p], fp.Err)
					}
					if next <= pos[p] {
						continue // nothing new: the broker held the fetch and timed out
					}
					pos[p] = next
					round = append(round, fetchedChunk{p: p, records: fp.Records, next: next})
				}
			}
		}
		if len(round) > 0 {
			select {
			case rounds <- round:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if retry {
			leaders = nil
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
		} else {
			backoff = 50 * time.Millisecond
		}
	}
}

// fetchRequest sends one Fetch request for ps to their leader.
func fetchRequest(ctx context.Context, cl *kgo.Client, leader int32, ps []*restorePartition, pos map[*restorePartition]int64,
	ids map[string]kadm.TopicID, maxBytes int32, level int8) (*kmsg.FetchResponse, error) {
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = int32(restoreFetchWait / time.Millisecond)
	req.MinBytes = 1
	req.MaxBytes = maxBytes
	req.IsolationLevel = level
	req.SessionEpoch = -1
	byTopic := map[string]*kmsg.FetchRequestTopic{}
	var order []string
	for _, p := range ps {
		rt := byTopic[p.log.Topic]
		if rt == nil {
			t := kmsg.NewFetchRequestTopic()
			t.Topic = p.log.Topic
			t.TopicID = ids[p.log.Topic]
			rt = &t
			byTopic[p.log.Topic] = rt
			order = append(order, p.log.Topic)
		}
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p.log.Partition
		rp.FetchOffset = pos[p]
		rp.LogStartOffset = -1
		rp.CurrentLeaderEpoch = -1
		rp.PartitionMaxBytes = maxBytes
		rt.Partitions = append(rt.Partitions, rp)
	}
	for _, name := range order {
		req.Topics = append(req.Topics, *byTopic[name])
	}
	resp, err := req.RequestWith(ctx, cl.Broker(int(leader)))
	if err != nil {
		return nil, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, err
	}
	return resp, nil
}

// logStart lists a changelog partition's first offset.
func logStart(ctx context.Context, adm *kadm.Client, p *restorePartition) (int64, error) {
	starts, err := adm.ListStartOffsets(ctx, p.log.Topic)
	if err != nil {
		return 0, fmt.Errorf("listing changelog start offsets: %w", err)
	}
	s, ok := starts.Lookup(p.log.Topic, p.log.Partition)
	if !ok || s.Err != nil {
		return 0, fmt.Errorf("listing the start offset of %s-%d: %v", p.log.Topic, p.log.Partition, s.Err)
	}
	return max(s.Offset, 0), nil
}

// apply applies one fetched chunk to its store, in pieces that keep each
// Pebble batch well under half a memtable (larger batches take Pebble's
// slower flushable-batch path); each piece is committed with the position
// after it, so an interrupted restoration resumes there.
func (m *Manager) apply(log *slog.Logger, c fetchedChunk, recs *[]ChangelogRecord) error {
	p := c.p
	if c.reset {
		// The position fell outside the log (it was truncated under
		// us): the store can not be completed from here.
		log.Warn("changelog position is out of range; wiping the store and restoring it from the start",
			"store", p.log.Store, "changelog", p.log.Topic, "partition", p.log.Partition, "position", p.next)
		if p.ts == nil {
			return fmt.Errorf("changelog %s-%d was truncated during restoration of in-memory store %q", p.log.Topic, p.log.Partition, p.log.Store)
		}
		if err := p.ts.wipe(p.log.Store); err != nil {
			return err
		}
		p.next, p.restored = c.next, 0
		return nil
	}
	chunk := m.plan.memTable / 4
	records := c.records
	for len(records) > 0 || p.next < c.next {
		batch := (*recs)[:0]
		var size int64
		for len(records) > 0 && (size < chunk || len(batch) == 0) {
			r := records[0]
			records = records[1:]
			batch = append(batch, ChangelogRecord{Key: r.Key, Value: r.Value, Offset: r.Offset, TimestampMs: r.Timestamp.UnixMilli()})
			size += int64(len(r.Key) + len(r.Value) + 16)
		}
		*recs = batch
		upTo := c.next // the last piece covers trailing markers and gaps too
		if len(records) > 0 {
			upTo = batch[len(batch)-1].Offset + 1
		}
		if len(batch) > 0 {
			if err := p.log.Restore(batch); err != nil {
				return fmt.Errorf("restoring store %q from %s-%d: %w", p.log.Store, p.log.Topic, p.log.Partition, err)
			}
		}
		if p.ts != nil {
			if err := p.ts.restored(p.log.Store, upTo); err != nil {
				return err
			}
		}
		p.next = upTo
		p.restored += int64(len(batch))
		if m.listener != nil && len(batch) > 0 {
			m.listener.OnBatchRestored(p.log.Topic, p.log.Partition, p.log.Store, batch[len(batch)-1].Offset, int64(len(batch)))
		}
	}
	if p.next >= p.end && !p.done {
		p.done = true
		log.Debug("restored store", "store", p.log.Store, "changelog", p.log.Topic, "partition", p.log.Partition,
			"records", p.restored, "end_offset", p.end)
		if m.listener != nil {
			m.listener.OnRestoreEnd(p.log.Topic, p.log.Partition, p.log.Store, p.restored)
		}
	}
	return nil
}

func findPart(ps []*restorePartition, topic string, partition int32) *restorePartition {
	for _, p := range ps {
		if p.log.Topic == topic && p.log.Partition == partition {
			return p
		}
	}
	return nil
}

// partitionLeaders maps each changelog partition to its leader broker
// (-1 while it has none) and each topic to its id.
func partitionLeaders(ctx context.Context, adm *kadm.Client, parts []*restorePartition) (map[string]map[int32]int32, map[string]kadm.TopicID, error) {
	topics := make([]string, 0, len(parts))
	for _, p := range parts {
		topics = append(topics, p.log.Topic)
	}
	md, err := adm.Metadata(ctx, topics...)
	if err != nil {
		return nil, nil, fmt.Errorf("changelog metadata: %w", err)
	}
	leaders := map[string]map[int32]int32{}
	ids := map[string]kadm.TopicID{}
	for name, t := range md.Topics {
		ids[name] = t.ID
		m := map[int32]int32{}
		for p, d := range t.Partitions {
			m[p] = d.Leader
			if d.Err != nil {
				m[p] = -1
			}
		}
		leaders[name] = m
	}
	for _, p := range parts {
		if _, ok := leaders[p.log.Topic][p.log.Partition]; !ok {
			if leaders[p.log.Topic] == nil {
				leaders[p.log.Topic] = map[int32]int32{}
			}
			leaders[p.log.Topic][p.log.Partition] = -1
		}
	}
	return leaders, ids, nil
}
