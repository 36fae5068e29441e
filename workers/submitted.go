package workers

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"unsafe"
)

// submittedRecords tracks the source records a task sent to Kafka, per
// source partition and in order, so that an offset is committed only once
// the record it belongs to and every record before it in the same source
// partition have been acknowledged (Kafka's SubmittedRecords). Acks arrive
// on producer goroutines; submissions on the task goroutine.
type submittedRecords struct {
	connector string

	mu       sync.Mutex
	queues   map[string]*offsetQueue
	inFlight int
	idle     chan struct{} // closed when inFlight drops to 0

	// Connectors usually reuse one partition map for all records of a
	// partition; caching its encoded key by map identity avoids encoding
	// it per record. Only the polling goroutine touches these.
	lastMap unsafe.Pointer
	lastKey string
	lastQ   *offsetQueue
}

type offsetQueue struct {
	key     string
	entries []queuedOffset
	head    int
	baseSeq uint64
	// ready is the offset of the newest record that completes an
	// acknowledged prefix; nil when nothing new is committable.
	ready map[string]any
}

type queuedOffset struct {
	offset map[string]any
	acked  bool
}

// pendingAck identifies a submitted record for ack.
type pendingAck struct {
	q   *offsetQueue
	seq uint64
}

func newSubmittedRecords(connector string) *submittedRecords {
	return &submittedRecords{connector: connector, queues: map[string]*offsetQueue{}}
}

// submit registers a record about to be sent. A record without a source
// partition has no offset to track but still counts as in flight.
func (s *submittedRecords) submit(partition, offset map[string]any) (pendingAck, error) {
	var q *offsetQueue
	if partition != nil {
		ptr := reflect.ValueOf(partition).UnsafePointer()
		if ptr == s.lastMap && s.lastQ != nil {
			q = s.lastQ
		} else {
			key, err := offsetKey(s.connector, partition)
			if err != nil {
				return pendingAck{}, err
			}
			s.mu.Lock()
			q = s.queues[key]
			if q == nil {
				q = &offsetQueue{key: key}
				s.queues[key] = q
			}
			s.mu.Unlock()
			s.lastMap, s.lastKey, s.lastQ = ptr, key, q
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	if q == nil {
		return pendingAck{}, nil
	}
	q.entries = append(q.entries, queuedOffset{offset: offset})
	return pendingAck{q: q, seq: q.baseSeq + uint64(len(q.entries)-1)}, nil
}

// ack marks a record acknowledged (or deliberately dropped) and advances
// its partition's committable offset.
func (s *submittedRecords) ack(p pendingAck) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.inFlight == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
	q := p.q
	if q == nil {
		return
	}
	q.entries[p.seq-q.baseSeq].acked = true
	for q.head < len(q.entries) && q.entries[q.head].acked {
		q.ready = q.entries[q.head].offset
		q.entries[q.head] = queuedOffset{}
		q.head++
	}
	if q.head == len(q.entries) {
		q.baseSeq += uint64(len(q.entries))
		q.entries, q.head = q.entries[:0], 0
	} else if q.head > 1024 && q.head > len(q.entries)/2 {
		n := copy(q.entries, q.entries[q.head:])
		q.baseSeq += uint64(q.head)
		q.entries, q.head = q.entries[:n], 0
	}
}

// forget drops an unacknowledged record that will never be acked (its send
// was cancelled), so that waiting for in-flight records ends.
func (s *submittedRecords) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.inFlight == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

// committable returns the encoded offsets that became committable since the
// last call, keyed by storage key.
func (s *submittedRecords) committable() (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out map[string][]byte
	for key, q := range s.queues {
		if q.ready == nil {
			continue
		}
		b, err := json.Marshal(q.ready)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string][]byte{}
		}
		out[key] = b
		q.ready = nil
	}
	return out, nil
}

// awaitIdle waits until every submitted record was acked or forgotten, or
// ctx ends; it reports whether everything was acknowledged.
func (s *submittedRecords) awaitIdle(ctx context.Context) bool {
	s.mu.Lock()
	if s.inFlight == 0 {
		s.mu.Unlock()
		return true
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	ch := s.idle
	s.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}
