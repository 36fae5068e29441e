package cdc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/runnel-dev/runnel/connect"
)

// Task streams one database's changes: an optional snapshot, then the
// logical replication slot. The replication reader runs in its own
// goroutine; Poll takes the batches it produces. The slot is confirmed
// only up to offsets the runtime has committed (see Commit).
type Task struct {
	cfg       *config
	log       *slog.Logger
	offsets   connect.OffsetStorageReader
	partition map[string]any
	prog      *progress

	meta *pgx.Conn
	repl *pgconn.PgConn
	rd   *reader

	out    chan []connect.SourceRecord
	cancel context.CancelFunc
	done   chan struct{}
	err    error // the reader's error, readable once done is closed
	timer  *time.Timer

	stopOnce sync.Once
	noOffset sync.Once
	// lastIdleCheck is when Poll last read the committed offset to let the
	// slot advance over positions that produced no record (Poll only).
	lastIdleCheck time.Time
}

var (
	_ connect.SourceTask          = (*Task)(nil)
	_ connect.SourceTaskCommitter = (*Task)(nil)
)

// NewTask returns an unstarted task.
func NewTask() *Task { return &Task{} }

// Version implements connect.SourceTask.
func (t *Task) Version() string { return Version }

// Start connects, checks the server, prepares the publication and the slot
// and starts the reader. Problems with the configuration or the server
// fail here, with a message naming what to fix.
func (t *Task) Start(ctx context.Context, tctx connect.SourceTaskContext, props map[string]string) (err error) {
	cfg, err := parseConfig(props)
	if err != nil {
		return err
	}
	t.cfg = cfg
	t.log = slog.Default()
	if tctx != nil {
		if l := tctx.Logger(); l != nil {
			t.log = l
		}
		t.offsets = tctx.OffsetStorageReader()
	}
	t.partition = map[string]any{"server": cfg.topicPrefix}
	if ignored := ignoredKeys(props); len(ignored) > 0 {
		t.log.Warn("these Debezium settings are not supported by this connector and are ignored", "keys", ignored)
	}
	defer func() {
		if err != nil {
			t.closeConns()
		}
	}()

	if t.meta, err = connectQuery(ctx, cfg); err != nil {
		return err
	}
	if err := checkServer(ctx, t.meta, cfg); err != nil {
		return err
	}
	tables, err := listCapturedTables(ctx, t.meta, cfg.filter)
	if err != nil {
		return err
	}
	if err := checkTables(ctx, t.meta, cfg, tables); err != nil {
		return err
	}
	if err := ensurePublication(ctx, t.meta, cfg, tables, t.log); err != nil {
		return err
	}
	if t.repl, err = connectReplication(ctx, cfg); err != nil {
		return err
	}

	var stored *position
	if t.offsets != nil {
		m, err := t.offsets.Offset(ctx, t.partition)
		if err != nil {
			return fmt.Errorf("reading the stored offset of %v: %w", t.partition, err)
		}
		if stored, err = parseOffset(m); err != nil {
			return err
		}
	}
	slot, err := readSlot(ctx, t.meta, cfg.slotName)
	if err != nil {
		return err
	}
	if err := checkSlot(slot, cfg); err != nil {
		return err
	}
	p, floor, err := t.makePlan(ctx, stored, slot)
	if err != nil {
		return err
	}
	t.prog = newProgress(floor)

	types := newTypeRegistry()
	t.out = make(chan []connect.SourceRecord, max(1, cfg.maxQueue/cfg.maxBatch))
	t.rd = &reader{
		cfg: cfg, log: t.log, meta: t.meta, repl: t.repl, partition: t.partition, prog: t.prog, plan: p, out: t.out,
		sb: &schemaBuilder{cfg: cfg, types: types, source: sourceSchema, log: t.log, prefixAny: cfg.topicPrefix, dbAny: cfg.dbname},
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	t.cancel = cancel
	t.done = make(chan struct{})
	t.timer = time.NewTimer(time.Hour)
	t.timer.Stop()
	go func() {
		defer close(t.done)
		t.err = t.rd.run(runCtx)
		if t.err != nil && runCtx.Err() == nil {
			t.log.Error("change data capture stopped", "error", t.err)
		}
	}()
	return nil
}

// makePlan decides, from the stored offset, the slot and snapshot.mode,
// whether to snapshot and where to stream from. It creates the slot when
// needed; floor is the slot's confirmed position.
func (t *Task) makePlan(ctx context.Context, stored *position, slot slotInfo) (p plan, floor uint64, err error) {
	cfg := t.cfg
	snapshotDone := stored != nil && !stored.inSnapshot
	p.stream = cfg.snapshotMode != snapInitialOnly
	switch cfg.snapshotMode {
	case snapInitial, snapInitialOnly:
		p.snapshot = !snapshotDone
	case snapAlways:
		p.snapshot = true
	case snapWhenNeeded:
		p.snapshot = !snapshotDone || !slot.exists
	case snapNoData:
		p.snapshot = false
	}
	if !p.stream {
		// initial_only reads the tables and stops; no slot is kept.
		if p.snapshot {
			p.base = position{}
		}
		return p, 0, nil
	}
	if !slot.exists {
		if snapshotDone && !p.snapshot {
			return p, 0, fmt.Errorf("replication slot %q does not exist, but this connector has stored offsets (lsn %s) from an earlier run: the changes made since then are gone. Delete the connector's offsets to start over, or set snapshot.mode=when_needed to take a new snapshot automatically",
				cfg.slotName, pglogrepl.LSN(stored.commitLSN))
		}
		consistent, exported, err := createSlot(ctx, t.repl, cfg.slotName, p.snapshot)
		if err != nil {
			return p, 0, explainSlotError(cfg, err)
		}
		t.log.Info("created replication slot", "slot", cfg.slotName, "consistent_point", pglogrepl.LSN(consistent))
		p.exported = exported
		p.base = position{lsn: consistent, commitLSN: consistent}
		p.startLSN = consistent
		return p, consistent, nil
	}
	floor = slot.confirmedFlush
	p.startLSN = slot.confirmedFlush
	p.base = position{lsn: slot.confirmedFlush, commitLSN: slot.confirmedFlush}
	if snapshotDone {
		p.resumeFrom = stored
		p.base = *stored
		p.base.inSnapshot, p.base.lastSnapshot = false, false
		if stored.commitLSN > p.startLSN {
			p.startLSN = stored.commitLSN
		} else if stored.commitLSN < slot.confirmedFlush {
			// The slot is ahead of the offsets: normal when idle positions
			// were confirmed, a loss when the offsets were reset by hand.
			t.log.Info("replication slot is ahead of the stored offset; resuming from the slot",
				"slot", cfg.slotName, "slot_lsn", pglogrepl.LSN(slot.confirmedFlush), "offset_lsn", pglogrepl.LSN(stored.commitLSN))
		}
	}
	return p, floor, nil
}

func explainSlotError(cfg *config, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "53400":
			return fmt.Errorf("cannot create replication slot %q: all replication slots are in use; raise max_replication_slots or drop unused slots: %w", cfg.slotName, err)
		case "55000":
			return fmt.Errorf("cannot create replication slot %q (%s): the server needs wal_level=logical: %w", cfg.slotName, pgErr.Message, err)
		case "42501":
			return fmt.Errorf("user %q may not create replication slot %q: give it the REPLICATION attribute: %w", cfg.user, cfg.slotName, err)
		}
	}
	return err
}

// Poll returns the next batch of records, waiting up to poll.interval.ms.
func (t *Task) Poll(ctx context.Context) ([]connect.SourceRecord, error) {
	select {
	case b := <-t.out:
		return b, nil
	default:
	}
	t.timer.Reset(t.cfg.pollInterval)
	defer t.timer.Stop()
	select {
	case b := <-t.out:
		return b, nil
	case <-t.done:
		select {
		case b := <-t.out:
			return b, nil
		default:
		}
		if t.err != nil {
			return nil, t.err
		}
		// The reader finished (snapshot.mode=initial_only): nothing more.
		select {
		case <-ctx.Done():
		case <-t.timer.C:
		}
		return nil, nil
	case <-t.timer.C:
		t.confirmIdle(ctx)
		return nil, nil
	case <-ctx.Done():
		return nil, nil
	}
}

// confirmIdle lets the slot advance while nothing is produced, without
// waiting for a Commit: the runtime may call Commit only after offsets
// changed, and an idle or filtered database changes none. It reads the
// committed offset at most once per status interval.
func (t *Task) confirmIdle(ctx context.Context) {
	if t.offsets == nil || !t.prog.idleAhead() || time.Since(t.lastIdleCheck) < t.cfg.statusInterval {
		return
	}
	t.lastIdleCheck = time.Now()
	m, err := t.offsets.Offset(ctx, t.partition)
	if err != nil || m == nil {
		return
	}
	if stored, err := parseOffset(m); err == nil {
		t.prog.committed(stored)
	}
}

// Commit is called after the runtime committed offsets. It reads back the
// committed offset and lets the slot be confirmed up to it (see progress).
func (t *Task) Commit(ctx context.Context) error {
	if t.offsets == nil || t.prog == nil {
		return nil
	}
	m, err := t.offsets.Offset(ctx, t.partition)
	if err != nil {
		return fmt.Errorf("reading the committed offset: %w", err)
	}
	if m == nil {
		t.noOffset.Do(func() {
			t.log.Warn("no committed offset is readable; the replication slot cannot advance until offsets are committed")
		})
		return nil
	}
	stored, err := parseOffset(m)
	if err != nil {
		return err
	}
	if lsn, moved := t.prog.committed(stored); moved {
		t.log.Debug("confirming replication slot position", "lsn", pglogrepl.LSN(lsn))
	}
	return nil
}

// Stop ends the reader, reports the committed position one last time and
// closes the connections.
func (t *Task) Stop() error {
	t.stopOnce.Do(func() {
		if t.cancel != nil {
			t.cancel()
			if t.rd != nil && t.repl != nil {
				t.rd.interrupt()
			}
			<-t.done
		}
		if t.cfg != nil && t.cfg.slotDropOnStop && t.meta != nil {
			if t.repl != nil {
				_ = t.repl.Close(context.Background())
				t.repl = nil
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := dropSlotWhenFree(ctx, t.meta, t.cfg.slotName); err != nil {
				t.log.Warn("could not drop replication slot", "slot", t.cfg.slotName, "error", err)
			}
		}
		t.closeConns()
	})
	return nil
}

// dropSlotWhenFree drops the slot once the server has released it.
func dropSlotWhenFree(ctx context.Context, conn *pgx.Conn, name string) error {
	for {
		err := dropSlot(ctx, conn, name)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (t *Task) closeConns() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if t.repl != nil {
		_ = t.repl.Close(ctx)
		t.repl = nil
	}
	if t.meta != nil {
		_ = t.meta.Close(ctx)
		t.meta = nil
	}
}
