package topology

import (
	"fmt"
	"time"
)

// schedule is one registered punctuator. The same value is re-queued after
// each run, so the Cancellable handed out stays valid.
type schedule struct {
	node      string
	fn        Punctuator
	interval  int64
	next      int64
	seq       uint64 // ties on next run in scheduling order
	cancelled bool
}

func (s *schedule) Cancel() { s.cancelled = true }

// advance moves next past now, as Kafka's PunctuationSchedule.next: missed
// intervals are skipped, not caught up.
func (s *schedule) advance(now int64) {
	next := s.next + s.interval
	if now >= next {
		missed := (now - s.next) / s.interval
		next = s.next + (missed+1)*s.interval
	}
	s.next = next
}

// punctuationQueue is a binary min-heap on (next, seq).
type punctuationQueue struct{ h []*schedule }

func (q *punctuationQueue) less(i, j int) bool {
	a, b := q.h[i], q.h[j]
	return a.next < b.next || (a.next == b.next && a.seq < b.seq)
}

func (q *punctuationQueue) push(s *schedule) {
	q.h = append(q.h, s)
	for i := len(q.h) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *punctuationQueue) pop() *schedule {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h[last] = nil
	q.h = q.h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q.h) && q.less(l, m) {
			m = l
		}
		if r < len(q.h) && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
}

func (q *punctuationQueue) clear() { q.h = nil }

func (t *Task) schedule(node string, interval time.Duration, typ PunctuationType, fn Punctuator) (Cancellable, error) {
	ms := interval.Milliseconds()
	switch {
	case ms < 1:
		return nil, fmt.Errorf("processor %q: punctuation interval %v is below the 1 ms minimum", node, interval)
	case fn == nil:
		return nil, fmt.Errorf("processor %q: the punctuator is nil", node)
	}
	t.schedSeq++
	s := &schedule{node: node, fn: fn, interval: ms, seq: t.schedSeq}
	switch typ {
	case StreamTime:
		// aligned to 0: fires as soon as stream time is known
		s.next = 0
		t.streamQ.push(s)
	case WallClockTime:
		s.next = t.now() + ms
		t.wallQ.push(s)
	default:
		return nil, fmt.Errorf("processor %q: unknown punctuation type %v", node, typ)
	}
	return s, nil
}

// punctuate runs, in time order, every schedule due at now, each once.
func (t *Task) punctuate(q *punctuationQueue, now int64, typ PunctuationType) error {
	if now < 0 {
		return nil // stream time unknown
	}
	for len(q.h) > 0 && q.h[0].next <= now {
		s := q.pop()
		if s.cancelled {
			continue
		}
		t.hasMeta, t.recordTs = false, now
		err := s.fn(now)
		t.recordTs = -1
		if !s.cancelled {
			s.advance(now)
			q.push(s)
		}
		t.commitNeeded = true
		if err != nil {
			return &ProcessingError{Node: s.node, Offset: -1, Partition: -1, Punctuation: typ, Err: err}
		}
	}
	return nil
}
