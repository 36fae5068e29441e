package cdc

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Offset keys, as Debezium's PostgresOffsetContext writes them, so that
// offsets stored by Debezium can be resumed from and the other way round.
const (
	offLSN              = "lsn"
	offLSNProc          = "lsn_proc"
	offLSNCommit        = "lsn_commit"
	offLSNEvents        = "lsn_events_processed"
	offTxID             = "txId"
	offTsUsec           = "ts_usec"
	offMessageType      = "messageType"
	offSnapshot         = "snapshot"
	offLastSnapshot     = "last_snapshot_record"
	offSnapshotComplete = "snapshot_completed"
)

// position is where an event sits in the change stream; it is what a
// record's source offset encodes and what a restart resumes from.
type position struct {
	// lsn is the event's own WAL position.
	lsn uint64
	// commitLSN is the end of the last transaction whose changes were all
	// processed before this event: every transaction whose commit record
	// starts before it has been emitted in full. It is the LSN that may be
	// confirmed to the slot once this offset is committed.
	commitLSN uint64
	txID      int64
	hasTxID   bool
	tsUsec    int64
	// events counts the events emitted so far at lsn within transaction
	// txID (one WAL record can carry several rows, for example a COPY).
	events  int64
	msgType string

	// Snapshot state: inSnapshot while an initial snapshot is being read
	// (a restart redoes it); lastSnapshot on its final record.
	inSnapshot   bool
	lastSnapshot bool

	// offset is the encoded form, built once (records of one event share it).
	offset map[string]any
}

// offsetMap encodes p as a source offset. Records may share the map: the
// runtime only reads it.
func (p *position) offsetMap() map[string]any {
	if p.offset != nil {
		return p.offset
	}
	p.offset = p.encode()
	return p.offset
}

func (p *position) encode() map[string]any {
	m := make(map[string]any, 8)
	m[offLSN] = int64(p.lsn)
	m[offTsUsec] = p.tsUsec
	if p.hasTxID {
		m[offTxID] = p.txID
	}
	if p.commitLSN != 0 {
		m[offLSNCommit] = int64(p.commitLSN)
	}
	if p.inSnapshot || p.lastSnapshot {
		m[offSnapshot] = "INITIAL"
		m[offLastSnapshot] = p.lastSnapshot
		m[offSnapshotComplete] = p.lastSnapshot
		return m
	}
	m[offLSNProc] = int64(p.lsn)
	if p.msgType != "" {
		m[offMessageType] = p.msgType
	}
	if p.events > 0 {
		m[offLSNEvents] = p.events
	}
	return m
}

// parseOffset decodes a stored source offset (ours or Debezium's).
func parseOffset(m map[string]any) (*position, error) {
	if m == nil {
		return nil, nil
	}
	p := &position{}
	var err error
	get := func(key string) (uint64, bool) {
		v, ok := m[key]
		if !ok || v == nil || err != nil {
			return 0, false
		}
		n, e := toInt64(v)
		if e != nil {
			err = fmt.Errorf("stored offset %q: %w", key, e)
			return 0, false
		}
		return uint64(n), true
	}
	lsn, hasLSN := get(offLSN)
	proc, hasProc := get(offLSNProc)
	commit, hasCommit := get(offLSNCommit)
	p.lsn = lsn
	switch {
	case hasCommit:
		p.commitLSN = commit
	case hasProc:
		p.commitLSN = proc
	default:
		p.commitLSN = lsn
	}
	if !hasLSN && hasProc {
		p.lsn = proc
	}
	if tx, ok := get(offTxID); ok {
		p.txID, p.hasTxID = int64(tx), true
	}
	if ts, ok := get(offTsUsec); ok {
		p.tsUsec = int64(ts)
	}
	if ev, ok := get(offLSNEvents); ok {
		p.events = int64(ev)
	}
	if s, ok := m[offMessageType].(string); ok {
		p.msgType = s
	}
	if err != nil {
		return nil, err
	}
	if !hasLSN && !hasProc && !hasCommit {
		return nil, fmt.Errorf("stored offset has no %q: %v", offLSN, m)
	}
	if snap, ok := m[offSnapshot]; ok && snap != nil {
		last, _ := toBool(m[offLastSnapshot])
		done, _ := toBool(m[offSnapshotComplete])
		p.lastSnapshot = last || done
		p.inSnapshot = !p.lastSnapshot
	}
	return p, nil
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) {
			return 0, fmt.Errorf("%v is not an integer", x)
		}
		return int64(x), nil
	case json.Number:
		return x.Int64()
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("unexpected %T %v", v, v)
}

func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(x)
		return b, err == nil
	}
	return false, false
}

// samePosition reports whether two positions name the same event.
func samePosition(a, b *position) bool {
	if a == nil || b == nil {
		return false
	}
	return a.lsn == b.lsn && a.commitLSN == b.commitLSN && a.txID == b.txID && a.hasTxID == b.hasTxID &&
		a.events == b.events && a.inSnapshot == b.inSnapshot && a.lastSnapshot == b.lastSnapshot
}

// resumeFilter drops, after a restart, the events that were already
// emitted before the stored offset. Transactions arrive in commit order:
// those whose commit record starts before the offset's commit LSN were
// emitted in full; the transaction the offset points into was emitted up
// to (lsn, events); everything after it is new.
type resumeFilter struct {
	from *position // nil: nothing to skip

	skipTx  bool
	partial bool
	lastLSN uint64
	count   int64
}

// begin is called at the start of a transaction.
func (f *resumeFilter) begin(finalLSN uint64, xid int64) {
	f.skipTx, f.partial, f.lastLSN, f.count = false, false, 0, 0
	if f.from == nil {
		return
	}
	if finalLSN < f.from.commitLSN {
		f.skipTx = true
		return
	}
	if f.from.hasTxID && f.from.txID == xid && !f.from.inSnapshot && !f.from.lastSnapshot {
		f.partial = true
	}
}

// skip reports whether the next event of the current transaction, at lsn,
// was emitted before.
func (f *resumeFilter) skip(lsn uint64) bool {
	if f.skipTx {
		return true
	}
	if !f.partial {
		return false
	}
	if lsn != f.lastLSN {
		f.lastLSN, f.count = lsn, 0
	}
	f.count++
	if lsn < f.from.lsn || (lsn == f.from.lsn && (f.from.events == 0 || f.count <= f.from.events)) {
		return true
	}
	return false
}
