package cdc

import (
	"sync"
	"sync/atomic"
)

// progress is what the replication reader and the task's Commit share to
// decide how far the slot may be confirmed.
//
// The slot is confirmed (StandbyStatusUpdate flush position) only up to the
// commit LSN of an offset the runtime has committed, never further than
// what was acknowledged: a crash then restarts from a point whose changes
// were all delivered. One refinement lets idle or filtered databases
// release WAL: when the committed offset is the last record the reader
// produced, everything the reader processed after it produced nothing, so
// the slot may be confirmed up to the reader's processed position.
type progress struct {
	mu sync.Mutex
	// lastEmitted is the position of the last record produced, and idle the
	// end of the last transaction (or keepalive position between
	// transactions) processed when lastEmitted was published.
	lastEmitted *position
	idle        uint64
	// floor is the slot's confirmed position when streaming started: the
	// flush position never goes below it.
	floor uint64
	flush uint64
	// dirty tells the reader to send a status update soon.
	dirty atomic.Bool
}

func newProgress(floor uint64) *progress { return &progress{floor: floor, flush: floor, idle: floor} }

// publish records the reader's state (called by the reader).
func (p *progress) publish(lastEmitted *position, idle uint64) {
	p.mu.Lock()
	if lastEmitted != nil {
		p.lastEmitted = lastEmitted
	}
	if idle > p.idle {
		p.idle = idle
	}
	p.mu.Unlock()
}

// committed is called with the offset the runtime committed last; it
// returns the new flush position and whether it moved.
func (p *progress) committed(stored *position) (uint64, bool) {
	if stored == nil || stored.inSnapshot {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	target := stored.commitLSN
	if samePosition(stored, p.lastEmitted) && p.idle > target {
		target = p.idle
	}
	if target <= p.flush {
		return p.flush, false
	}
	p.flush = target
	p.dirty.Store(true)
	return target, true
}

// idleAhead reports whether the reader has processed positions beyond the
// flush position (which only a committed offset can release).
func (p *progress) idleAhead() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idle > p.flush && p.lastEmitted != nil
}

// flushLSN is the position to report as flushed.
func (p *progress) flushLSN() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.flush < p.floor {
		return p.floor
	}
	return p.flush
}
