package cdc

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestOffsetRoundTripThroughJSON(t *testing.T) {
	p := &position{lsn: 24023128, commitLSN: 24023119, txID: 555, hasTxID: true, tsUsec: 1559033904863123, events: 2, msgType: "INSERT"}
	b, err := json.Marshal(p.offsetMap())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"lsn":24023128,"lsn_commit":24023119,"lsn_events_processed":2,"lsn_proc":24023128,"messageType":"INSERT","ts_usec":1559033904863123,"txId":555}`
	if string(b) != want {
		t.Errorf("offset JSON = %s\nwant %s", b, want)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil { // float64 numbers, as a naive store would return
		t.Fatal(err)
	}
	got, err := parseOffset(m)
	if err != nil {
		t.Fatal(err)
	}
	got.offset = nil
	if !samePosition(got, p) || got.tsUsec != p.tsUsec || got.msgType != p.msgType {
		t.Errorf("parsed %+v, want %+v", got, p)
	}
}

func TestParseDebeziumOffsets(t *testing.T) {
	// A streaming offset written by Debezium.
	p, err := parseOffset(map[string]any{"lsn_proc": int64(300), "lsn_commit": int64(250), "lsn": int64(300), "txId": int64(9),
		"ts_usec": int64(1), "messageType": "UPDATE", "lsn_events_processed": int64(1)})
	if err != nil || p.commitLSN != 250 || p.lsn != 300 || p.txID != 9 || p.inSnapshot || p.lastSnapshot {
		t.Errorf("streaming offset: %+v %v", p, err)
	}
	// An unfinished snapshot, and a finished one.
	p, _ = parseOffset(map[string]any{"lsn": int64(100), "txId": int64(3), "ts_usec": int64(1), "snapshot": "INITIAL", "last_snapshot_record": false, "snapshot_completed": false})
	if !p.inSnapshot || p.commitLSN != 100 {
		t.Errorf("incomplete snapshot offset: %+v", p)
	}
	p, _ = parseOffset(map[string]any{"lsn": int64(100), "snapshot": "INITIAL", "last_snapshot_record": true})
	if p.inSnapshot || !p.lastSnapshot {
		t.Errorf("completed snapshot offset: %+v", p)
	}
	// Older Debezium offsets carry only lsn.
	p, _ = parseOffset(map[string]any{"lsn": int64(77), "txId": int64(3)})
	if p.commitLSN != 77 {
		t.Errorf("lsn-only offset: %+v", p)
	}
	if _, err := parseOffset(map[string]any{"txId": int64(3)}); err == nil {
		t.Errorf("an offset without any LSN must be rejected")
	}
	if _, err := parseOffset(map[string]any{"lsn": "not a number"}); err == nil {
		t.Errorf("a malformed LSN must be rejected")
	}
}

// TestResumeFilter replays a stream after a restart from an offset that
// points into transaction 11, after its second event at LSN 120.
func TestResumeFilter(t *testing.T) {
	from := &position{lsn: 120, commitLSN: 100, txID: 11, hasTxID: true, events: 2}
	f := resumeFilter{from: from}
	type ev struct {
		lsn  uint64
		skip bool
	}
	txs := []struct {
		final uint64
		xid   int64
		evs   []ev
	}{
		// Committed before the offset's commit LSN: emitted in full.
		{90, 10, []ev{{80, true}, {85, true}}},
		// The offset's transaction: emitted up to the second event at LSN
		// 120 (one WAL record carrying several rows).
		{130, 11, []ev{{110, true}, {120, true}, {120, true}, {120, false}, {125, false}}},
		// Committed later, with changes older than the offset's LSN.
		{140, 12, []ev{{105, false}, {135, false}}},
	}
	for _, tx := range txs {
		f.begin(tx.final, tx.xid)
		var got []bool
		var want []bool
		for _, e := range tx.evs {
			got = append(got, f.skip(e.lsn))
			want = append(want, e.skip)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("transaction %d: skipped %v, want %v", tx.xid, got, want)
		}
	}
	// Debezium offsets without an event count skip everything at the LSN.
	f = resumeFilter{from: &position{lsn: 120, commitLSN: 100, txID: 11, hasTxID: true}}
	f.begin(130, 11)
	if !f.skip(120) || !f.skip(120) || f.skip(121) {
		t.Errorf("count-less offset")
	}
	// A completed snapshot offset only skips transactions committed before it.
	f = resumeFilter{from: &position{lsn: 100, commitLSN: 100, txID: 11, hasTxID: true, lastSnapshot: true}}
	f.begin(150, 11)
	if f.skip(90) {
		t.Errorf("snapshot offsets must not skip inside later transactions")
	}
}

func TestProgressConfirmsOnlyCommittedPositions(t *testing.T) {
	p := newProgress(1000)
	if got := p.flushLSN(); got != 1000 {
		t.Fatalf("initial flush %d", got)
	}
	e1 := &position{lsn: 1100, commitLSN: 1000, txID: 1, hasTxID: true, events: 1}
	e2 := &position{lsn: 1200, commitLSN: 1150, txID: 2, hasTxID: true, events: 1}
	p.publish(e2, 1250) // two transactions processed; the last ended at 1250
	if _, moved := p.committed(e1); moved {
		t.Errorf("committing the first transaction's event must not confirm beyond its start")
	}
	if lsn, moved := p.committed(e2); !moved || lsn != 1250 {
		t.Errorf("committing the last record produced: flush %d moved %v, want 1250 (nothing produced after it)", lsn, moved)
	}
	// A snapshot in progress never moves the slot.
	if _, moved := p.committed(&position{lsn: 2000, commitLSN: 2000, inSnapshot: true}); moved {
		t.Errorf("snapshot offsets must not confirm")
	}
	// The position never goes backwards.
	if _, moved := p.committed(e1); moved || p.flushLSN() != 1250 {
		t.Errorf("flush went back to %d", p.flushLSN())
	}
}
