package streams

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// partitionQueue holds the fetched, unprocessed records of one input
// partition of a multi-input task (Kafka's RecordQueue).
type partitionQueue struct {
	batches [][]*kgo.Record
	head    int // index of the next record in batches[0]
	// hwm is the high watermark reported with the last fetched batch and
	// fetchedNext the offset after its last record: when hwm is larger,
	// the broker holds records not fetched yet.
	hwm, fetchedNext int64
}

func (q *partitionQueue) push(recs []*kgo.Record, hwm int64) {
	q.batches = append(q.batches, recs)
	q.hwm = hwm
	q.fetchedNext = recs[len(recs)-1].Offset + 1
}

func (q *partitionQueue) empty() bool { return len(q.batches) == 0 }

func (q *partitionQueue) peek() *kgo.Record { return q.batches[0][q.head] }

// pop removes the head record and returns how many records of finished
// batches can be released from the backlog.
func (q *partitionQueue) pop() (released int) {
	q.head++
	if q.head < len(q.batches[0]) {
		return 0
	}
	released = len(q.batches[0])
	q.batches[0] = nil
	q.batches = q.batches[1:]
	q.head = 0
	return released
}

// waitReason says why an empty partition may hold up a merge.
type waitReason int

const (
	noWait waitReason = iota
	// caughtUp: the broker had nothing more when last fetched; waiting
	// only helps if new data is produced (max.task.idle.ms).
	caughtUp
	// lagging: nothing fetched yet, or the broker holds records that are
	// not fetched yet.
	lagging
)

func (q *partitionQueue) waitReason() waitReason {
	switch {
	case !q.empty():
		return noWait
	case q.fetchedNext < 0 || q.hwm > q.fetchedNext:
		return lagging
	default:
		return caughtUp
	}
}

// mergeQueued processes the queued records of multi-input tasks in
// timestamp order across their partitions, as Kafka's PartitionGroup: the
// next record is always the head with the smallest timestamp. A task
// pauses while one of its partitions is empty but known to have more data
// on the broker (KIP-695), for at most max.task.idle.ms (or poll.ms when
// that is 0: the wait only covers records already being fetched), and not
// at all when the fetch backlog is high, so that fetching never stalls.
func (t *streamThread) mergeQueued(ctx context.Context) error {
	for task := range t.merging {
		if err := t.mergeTask(ctx, task); err != nil {
			return err
		}
	}
	return nil
}

func (t *streamThread) mergeTask(ctx context.Context, task *streamTask) error {
	processed := false
	for {
		best := -1
		wait := noWait
		for i := range task.queues {
			q := &task.queues[i]
			if q.empty() {
				wait = max(wait, q.waitReason())
				continue
			}
			if best < 0 || q.peek().Timestamp.Before(task.queues[best].peek().Timestamp) {
				best = i
			}
		}
		if best < 0 {
			delete(t.merging, task)
			break
		}
		if wait == noWait {
			task.waitingSince = time.Time{}
		} else if t.shouldWait(task, wait) {
			break
		}
		q := &task.queues[best]
		r := q.peek()
		if released := q.pop(); released > 0 {
			t.rt.consumed(released)
		}
		if err := t.processOne(ctx, task, &task.inputs[best], r); err != nil {
			return err
		}
		processed = true
	}
	if processed {
		return t.afterProcessing(task)
	}
	return nil
}

// shouldWait decides whether a task holds back because of an empty
// partition, as Kafka's PartitionGroup.readyToProcess: a lagging
// partition is waited for (bounded by poll.ms here, since kgo reports no
// lag for partitions that return nothing), a caught-up one for
// max.task.idle.ms; after that the task processes anyway ("enforced
// processing") until the partition has data again. A negative
// max.task.idle.ms never waits, and a high fetch backlog ends any wait so
// that fetching never stalls.
func (t *streamThread) shouldWait(task *streamTask, why waitReason) bool {
	idle := t.rt.cfg.MaxTaskIdle
	if idle < 0 || t.rt.backlog.Load() >= t.rt.maxBacklog/2 {
		return false
	}
	if why == lagging {
		idle = max(idle, t.rt.cfg.PollInterval)
	}
	now := time.Now()
	if task.waitingSince.IsZero() {
		task.waitingSince = now
	}
	return now.Sub(task.waitingSince) < idle
}

// dropQueued forgets a task's unprocessed records (their offsets are not
// committed, so the partitions' next owner processes them).
func (t *streamThread) dropQueued(task *streamTask) {
	for i := range task.queues {
		q := &task.queues[i]
		n := 0 // a batch is released from the backlog only once fully processed
		for _, b := range q.batches {
			n += len(b)
		}
		if n > 0 {
			t.rt.consumed(n)
		}
		q.batches, q.head = nil, 0
	}
	delete(t.merging, task)
}
