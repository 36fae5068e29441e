package cdc

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect"
)

// rowIDs returns, per id, how many change events a record list holds and
// which ops they were.
func rowIDs(t *testing.T, recs []connect.SourceRecord) map[int32][]string {
	t.Helper()
	out := map[int32][]string{}
	for _, r := range recs {
		if r.Value == nil || strings.HasPrefix(r.Topic, "__debezium-heartbeat") {
			continue
		}
		e := envelopeOf(t, r)
		op := field(t, e, "op").(string)
		img := "after"
		if op == "d" {
			img = "before"
		}
		id := field(t, e, img, "id").(int32)
		out[id] = append(out[id], op)
	}
	return out
}

// TestSnapshotStreamSwitchUnderLoad inserts rows continuously while the
// slot is created and the snapshot read: every row must arrive exactly
// once, as a snapshot read or as a streamed create.
func TestSnapshotStreamSwitchUnderLoad(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.db.Exec(t, `CREATE TABLE events (id int PRIMARY KEY, payload text NOT NULL)`)
	h.db.Exec(t, `INSERT INTO events SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g`)

	var next atomic.Int32
	next.Store(20001)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := next.Add(1) - 1
				if _, err := h.db.Pool.Exec(context.Background(), `INSERT INTO events VALUES ($1, 'live')`, id); err != nil {
					t.Errorf("insert %d: %v", id, err)
					return
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // writers are running before the slot exists
	h.mustStart()
	var recs []connect.SourceRecord
	snapshotDone := false
	recs = h.poll(60*time.Second, func(all []connect.SourceRecord) bool {
		if !snapshotDone {
			for _, r := range all {
				if r.SourceOffset[offLastSnapshot] == true {
					snapshotDone = true
					close(stop) // keep writing until the snapshot is over
					wg.Wait()
				}
			}
			return false
		}
		ids := rowIDs(t, all)
		return len(ids) >= int(next.Load()-1)
	})
	last := next.Load() - 1
	ids := rowIDs(t, recs)
	reads, creates := 0, 0
	for id := int32(1); id <= last; id++ {
		ops := ids[id]
		if len(ops) != 1 {
			t.Fatalf("row %d arrived %d times (%v); want exactly once", id, len(ops), ops)
		}
		if ops[0] == "r" {
			reads++
		} else {
			creates++
		}
	}
	if len(ids) != int(last) {
		t.Fatalf("got %d distinct rows, want %d", len(ids), last)
	}
	if creates == 0 || reads < 20000 {
		t.Fatalf("expected both snapshot reads and streamed creates around the switch: reads=%d creates=%d", reads, creates)
	}
	t.Logf("rows=%d snapshot reads=%d streamed creates=%d", last, reads, creates)
}

// TestResumeFromCommittedOffset stops the task with changes polled but
// only some committed, changes more while it is down, and restarts it:
// everything after the committed offset arrives, nothing committed is
// delivered again.
func TestResumeFromCommittedOffset(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data"})
	h.db.Exec(t, `CREATE TABLE events (id int PRIMARY KEY, payload text NOT NULL)`)
	h.mustStart()
	// A multi-row statement: several events in one transaction.
	h.db.Exec(t, `INSERT INTO events SELECT g, 'a' FROM generate_series(1, 10) g`)
	h.db.Exec(t, `INSERT INTO events SELECT g, 'b' FROM generate_series(11, 20) g`)
	first := h.pollN(20)
	// Commit up to row 15: the middle of the second transaction.
	h.ack(first[:15])
	h.stop()

	h.db.Exec(t, `INSERT INTO events SELECT g, 'c' FROM generate_series(21, 30) g`)
	h.db.Exec(t, `UPDATE events SET payload = 'u' WHERE id = 1`)
	h.mustStart()
	again := h.pollN(16)
	got := rowIDs(t, again)
	for id := int32(16); id <= 30; id++ {
		if len(got[id]) != 1 || got[id][0] != "c" {
			t.Errorf("row %d after restart: %v, want one create", id, got[id])
		}
	}
	if ops := got[1]; len(ops) != 1 || ops[0] != "u" {
		t.Errorf("row 1 after restart: %v, want one update", ops)
	}
	for id := int32(2); id <= 15; id++ {
		if len(got[id]) != 0 {
			t.Errorf("row %d was committed before the restart but delivered again: %v", id, got[id])
		}
	}
	// Nothing else is pending.
	time.Sleep(300 * time.Millisecond)
	if recs, err := h.task.Poll(context.Background()); err != nil || len(rowIDs(t, recs)) != 0 {
		t.Errorf("unexpected extra records after resume: %v %v", describe(recs), err)
	}
}

// TestSlotConfirmedOnlyAfterCommit checks that polling alone never moves
// the slot, that committing moves it to the committed transaction, and that
// heartbeats move it while the captured tables are idle.
func TestSlotConfirmedOnlyAfterCommit(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data", keyTableInclude: "public.captured"})
	h.db.Exec(t, `CREATE TABLE captured (id int PRIMARY KEY)`)
	h.db.Exec(t, `CREATE TABLE other (id int PRIMARY KEY)`)
	h.mustStart()
	start := h.confirmedFlush()

	h.db.Exec(t, `INSERT INTO captured SELECT g FROM generate_series(1, 100) g`)
	walAfterInsert := h.currentWAL()
	recs := h.pollN(100)
	// Polled, not committed: the slot must not move, however long we wait
	// (status updates go out every 100ms).
	time.Sleep(600 * time.Millisecond)
	if got := h.confirmedFlush(); got != start {
		t.Fatalf("slot moved from %X to %X before any commit", start, got)
	}
	// Acknowledge half: the transaction is not complete, so the slot stays.
	h.ack(recs[:50])
	time.Sleep(400 * time.Millisecond)
	if got := h.confirmedFlush(); got > uint64(recs[49].SourceOffset[offLSN].(int64)) {
		t.Fatalf("slot at %X is past the last committed event %X", got, recs[49].SourceOffset[offLSN])
	}
	h.ack(recs[50:])
	// The worker calls Commit after every offset flush, also when there
	// was nothing new to flush.
	waitFor(t, 10*time.Second, "slot to reach the committed transaction", func() bool {
		if err := h.task.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		return h.confirmedFlush() >= walAfterInsert
	})
}

func TestSlotAdvancesOnIdleTablesWithHeartbeats(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data", keyTableInclude: "public.captured", keyHeartbeatInterval: "100"})
	h.db.Exec(t, `CREATE TABLE captured (id int PRIMARY KEY)`)
	h.db.Exec(t, `CREATE TABLE other (id int PRIMARY KEY, pad text)`)
	h.mustStart()
	start := h.confirmedFlush()
	// Lots of WAL, none of it in a captured table.
	h.db.Exec(t, `INSERT INTO other SELECT g, repeat('p', 200) FROM generate_series(1, 20000) g`)
	target := h.currentWAL()
	deadline := time.Now().Add(20 * time.Second)
	beats := 0
	for h.confirmedFlush() < target {
		if time.Now().After(deadline) {
			t.Fatalf("slot stuck at %X (started %X), WAL at %X after %d heartbeats", h.confirmedFlush(), start, target, beats)
		}
		recs, err := h.task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Topic != "__debezium-heartbeat.srv" {
				t.Fatalf("unexpected record from an uncaptured table: %s", describe([]connect.SourceRecord{r}))
			}
			if field(t, r.Key, "serverName") != "srv" || field(t, r.Value, "ts_ms") == nil {
				t.Fatalf("heartbeat record %+v", r)
			}
			beats++
		}
		h.ack(recs)
	}
	if beats == 0 {
		t.Fatalf("no heartbeat records")
	}
}

// TestSlotAdvancesOnIdleTablesWithoutHeartbeats: with every produced
// record committed, positions the reader passed without producing anything
// are confirmed too, so filtered traffic does not pin WAL.
func TestSlotAdvancesOnIdleTablesWithoutHeartbeats(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data", keyTableInclude: "public.captured"})
	h.db.Exec(t, `CREATE TABLE captured (id int PRIMARY KEY)`)
	h.db.Exec(t, `CREATE TABLE other (id int PRIMARY KEY)`)
	h.mustStart()
	h.db.Exec(t, `INSERT INTO captured VALUES (1)`)
	h.ack(h.pollN(1))
	h.db.Exec(t, `INSERT INTO other SELECT g FROM generate_series(1, 5000) g`)
	target := h.currentWAL()
	// Only Poll is called: the runtime calls Commit when offsets change,
	// and nothing changes here.
	waitFor(t, 10*time.Second, "slot to pass the uncaptured writes", func() bool {
		if recs, err := h.task.Poll(context.Background()); err != nil || len(recs) > 0 {
			t.Fatalf("Poll: %v %s", err, describe(recs))
		}
		return h.confirmedFlush() >= target
	})
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestResumeBetweenRecordsOfOneEvent commits a delete but not its
// tombstone, and a key change's delete but not its create: after a
// restart, the events are delivered again in full rather than cut short.
func TestResumeBetweenRecordsOfOneEvent(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data"})
	h.db.Exec(t, `CREATE TABLE t (id int PRIMARY KEY)`)
	h.mustStart()
	h.db.Exec(t, `INSERT INTO t VALUES (1), (2)`)
	h.db.Exec(t, `DELETE FROM t WHERE id = 1`)
	recs := h.pollN(4) // c, c, d, tombstone
	if recs[3].Value != nil {
		t.Fatalf("want a tombstone last: %s", describe(recs))
	}
	h.ack(recs[:3]) // the delete, not its tombstone
	h.stop()
	h.mustStart()
	again := h.pollN(2)
	if op := field(t, again[0].Value, "op"); op != "d" || again[1].Value != nil || field(t, again[1].Key, "id") != int32(1) {
		t.Fatalf("after restart: %s, want the delete and its tombstone again", describe(again))
	}
	h.ack(again)

	h.db.Exec(t, `UPDATE t SET id = 3 WHERE id = 2`)
	recs = h.pollN(3) // delete of key 2, its tombstone, create of key 3
	h.ack(recs[:2])
	h.stop()
	h.mustStart()
	again = h.pollN(3)
	ops := []any{field(t, again[0].Value, "op"), again[1].Value, field(t, again[2].Value, "op")}
	if ops[0] != "d" || ops[1] != nil || ops[2] != "c" || field(t, again[2].Key, "id") != int32(3) {
		t.Fatalf("after restart: %s, want the whole key change again", describe(again))
	}
}
