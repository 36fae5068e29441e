package cdc

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestSnapshotModes(t *testing.T) {
	t.Run("initial_only reads the tables and streams nothing", func(t *testing.T) {
		h := newHarness(t, nil, map[string]string{keySnapshotMode: snapInitialOnly})
		h.db.Exec(t, `CREATE TABLE t (id int PRIMARY KEY)`)
		h.db.Exec(t, `INSERT INTO t SELECT g FROM generate_series(1, 3) g`)
		h.mustStart()
		if ids := rowIDs(t, h.pollN(3)); len(ids) != 3 || ids[1][0] != "r" {
			t.Fatalf("snapshot: %v", ids)
		}
		h.db.Exec(t, `INSERT INTO t VALUES (4)`)
		time.Sleep(300 * time.Millisecond)
		if recs, err := h.task.Poll(context.Background()); err != nil || len(recs) != 0 {
			t.Fatalf("initial_only streamed: %s %v", describe(recs), err)
		}
		var slots int
		if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1`, h.slot).Scan(&slots); err != nil || slots != 0 {
			t.Errorf("initial_only left %d slots (%v)", slots, err)
		}
	})
	t.Run("no_data streams only", func(t *testing.T) {
		h := newHarness(t, nil, map[string]string{keySnapshotMode: snapNever}) // old name of no_data
		h.db.Exec(t, `CREATE TABLE t (id int PRIMARY KEY)`)
		h.db.Exec(t, `INSERT INTO t VALUES (1)`)
		h.mustStart()
		h.db.Exec(t, `INSERT INTO t VALUES (2)`)
		ids := rowIDs(t, h.pollN(1))
		if len(ids) != 1 || ids[2][0] != "c" {
			t.Fatalf("got %v, want only the streamed row 2", ids)
		}
	})
	t.Run("always snapshots again at every start", func(t *testing.T) {
		h := newHarness(t, nil, map[string]string{keySnapshotMode: snapAlways})
		h.db.Exec(t, `CREATE TABLE t (id int PRIMARY KEY)`)
		h.db.Exec(t, `INSERT INTO t VALUES (1)`)
		h.mustStart()
		h.ack(h.pollN(1))
		h.db.Exec(t, `INSERT INTO t VALUES (2)`)
		h.ack(h.pollN(1))
		h.stop()
		h.db.Exec(t, `INSERT INTO t VALUES (3)`)
		h.mustStart()
		got := rowIDs(t, h.pollN(3))
		// The new snapshot has rows 1-3; the stream resumes after the
		// committed offset, so row 3 may also come as a create.
		for id := int32(1); id <= 3; id++ {
			if len(got[id]) == 0 || got[id][0] != "r" {
				t.Errorf("row %d: %v, want a snapshot read first", id, got[id])
			}
		}
	})
	t.Run("when_needed snapshots when the slot is gone", func(t *testing.T) {
		h := newHarness(t, nil, map[string]string{keySnapshotMode: snapWhenNeeded})
		h.db.Exec(t, `CREATE TABLE t (id int PRIMARY KEY)`)
		h.db.Exec(t, `INSERT INTO t VALUES (1)`)
		h.mustStart()
		h.ack(h.pollN(1))
		h.stop()
		h.dropSlot()
		h.db.Exec(t, `INSERT INTO t VALUES (2)`)
		h.mustStart()
		got := rowIDs(t, h.pollN(2))
		if got[1][0] != "r" || got[2][0] != "r" {
			t.Errorf("after losing the slot: %v, want a new snapshot", got)
		}
	})
	t.Run("initial refuses to continue without its slot", func(t *testing.T) {
		h := newHarness(t, nil, nil)
		h.db.Exec(t, `CREATE TABLE t (id int PRIMARY KEY)`)
		h.mustStart()
		h.db.Exec(t, `INSERT INTO t VALUES (1)`)
		h.ack(h.pollN(1))
		h.stop()
		h.dropSlot()
		err := h.start()
		if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "when_needed") {
			t.Fatalf("Start without the slot: %v", err)
		}
	})
	t.Run("an interrupted snapshot is taken again", func(t *testing.T) {
		h := newHarness(t, nil, map[string]string{keyMaxBatchSize: "10", keyMaxQueueSize: "10"})
		h.db.Exec(t, `CREATE TABLE t (id int PRIMARY KEY)`)
		h.db.Exec(t, `INSERT INTO t SELECT g FROM generate_series(1, 100) g`)
		h.mustStart()
		h.ack(h.pollN(30)[:30]) // part of the snapshot committed
		h.stop()
		h.db.Exec(t, `INSERT INTO t VALUES (101)`)
		h.mustStart()
		got := rowIDs(t, h.pollN(101))
		for id := int32(1); id <= 101; id++ {
			if len(got[id]) == 0 {
				t.Fatalf("row %d missing after the restarted snapshot", id)
			}
		}
	})
}

func TestHeartbeatActionQuery(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data", keyHeartbeatInterval: "100",
		keyHeartbeatQuery: "INSERT INTO beats VALUES (DEFAULT)", keyTableInclude: "public.t"})
	h.db.Exec(t, `CREATE TABLE t (id int PRIMARY KEY)`)
	h.db.Exec(t, `CREATE TABLE beats (id serial PRIMARY KEY)`)
	h.mustStart()
	waitFor(t, 10*time.Second, "heartbeat queries to run", func() bool {
		if _, err := h.task.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := h.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM beats`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n >= 3
	})
}

// TestStopDuringSnapshot stops the task while it reads a large table and
// Poll is not called: Stop must end the reader promptly.
func TestStopDuringSnapshot(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keyMaxBatchSize: "100", keyMaxQueueSize: "100"})
	h.db.Exec(t, `CREATE TABLE big (id int PRIMARY KEY, pad text)`)
	h.db.Exec(t, `INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 50000) g`)
	h.mustStart()
	if recs, err := h.task.Poll(context.Background()); err != nil || len(recs) == 0 {
		t.Fatalf("first poll: %d records, %v", len(recs), err)
	}
	start := time.Now()
	h.stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %v", d)
	}
}

func TestMixedCasePublicationName(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data", keyPublicationName: "My Pub"})
	h.db.Exec(t, `CREATE TABLE t (id int PRIMARY KEY)`)
	h.mustStart()
	h.db.Exec(t, `INSERT INTO t VALUES (1)`)
	if ids := rowIDs(t, h.pollN(1)); len(ids[1]) != 1 {
		t.Fatalf("got %v", ids)
	}
}

func TestMessageKeyColumns(t *testing.T) {
	h := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data", keyMessageKeyColumns: "public\\.nopk:code,region"})
	h.db.Exec(t, `CREATE TABLE nopk (code text, region text, qty int)`)
	h.db.Exec(t, `CREATE TABLE withpk (id int PRIMARY KEY)`)
	h.mustStart()
	h.db.Exec(t, `INSERT INTO nopk VALUES ('a', 'eu', 1)`)
	h.db.Exec(t, `INSERT INTO withpk VALUES (7)`)
	recs := h.pollN(2)
	k := recs[0].Key
	if field(t, k, "code") != "a" || field(t, k, "region") != "eu" || len(recs[0].KeySchema.Fields()) != 2 {
		t.Errorf("custom key = %v (%v)", k, recs[0].KeySchema.Fields())
	}
	if field(t, recs[1].Key, "id") != int32(7) {
		t.Errorf("other tables keep their primary key: %v", recs[1].Key)
	}

	bad := newHarness(t, nil, map[string]string{keySnapshotMode: "no_data", keyMessageKeyColumns: "public.withpk:nope"})
	bad.db.Exec(t, `CREATE TABLE withpk (id int PRIMARY KEY)`)
	if err := bad.start(); err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "message.key.columns") {
		t.Errorf("Start with a key column the table lacks: %v", err)
	}
}
