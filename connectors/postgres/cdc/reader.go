package cdc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// plan is what the task decided at Start: whether to snapshot, where to
// stream from, and what to skip.
type plan struct {
	snapshot   bool
	exported   string   // snapshot exported by slot creation ("" = take a fresh one)
	base       position // resume point snapshot offsets carry
	stream     bool
	startLSN   uint64
	resumeFrom *position // stored streaming offset to skip up to
}

// reader owns both database connections once started: it reads the
// snapshot, then the replication stream, turns changes into records and
// hands them to Poll in batches. It runs in its own goroutine and ends when
// its context is cancelled.
type reader struct {
	cfg       *config
	log       *slog.Logger
	sb        *schemaBuilder
	meta      *pgx.Conn
	repl      *pgconn.PgConn
	partition map[string]any
	prog      *progress
	plan      plan

	out   chan []connect.SourceRecord
	batch []connect.SourceRecord
	// lastBatch is the size of the previous batch, to size the next one.
	lastBatch int
	// batchDue is when a partial batch is handed over even if more data
	// may follow.
	batchDue time.Time

	tables  map[uint32]*table // by relation OID; nil = not captured
	decoder pgoutputDecoder
	filter  resumeFilter

	received uint64 // highest WAL position received
	// idleLSN: every transaction whose commit record starts before it has
	// been processed. It is the lsn_commit of events of the next
	// transaction.
	idleLSN     uint64
	lastCreated *position
	lastXid     int64
	inTx        bool
	tx          struct {
		xid        int64
		base       uint64
		commitTime time.Time
		lastLSN    uint64
		events     int64
		boxes      txBoxes
	}

	nextStatus, nextHeartbeat, nextTick time.Time
	deadline                            time.Time
}

// batchLinger bounds how long a partial batch waits for more changes.
const batchLinger = 5 * time.Millisecond

func (r *reader) run(ctx context.Context) error {
	if r.plan.snapshot {
		if err := r.snapshot(ctx); err != nil {
			return err
		}
		r.log.Info("snapshot completed")
	}
	if !r.plan.stream {
		return r.flushBatch(ctx)
	}
	return r.streamChanges(ctx)
}

// emit appends a record to the current batch; p is its position.
func (r *reader) emit(ctx context.Context, rec connect.SourceRecord, p *position) error {
	if len(r.batch) == 0 {
		r.batchDue = time.Now().Add(batchLinger)
		r.batch = make([]connect.SourceRecord, 0, min(r.cfg.maxBatch, max(64, r.lastBatch)))
	}
	r.batch = append(r.batch, rec)
	r.lastCreated = p
	if len(r.batch) >= r.cfg.maxBatch {
		return r.flushBatch(ctx)
	}
	return nil
}

// flushBatch hands the batch to Poll, keeping the replication connection
// alive while Poll is behind.
func (r *reader) flushBatch(ctx context.Context) error {
	if len(r.batch) == 0 {
		return nil
	}
	r.lastBatch = len(r.batch)
	var tick <-chan time.Time
	for {
		select {
		case r.out <- r.batch:
			r.batch = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if tick == nil {
			t := time.NewTicker(r.cfg.statusInterval / 2)
			defer t.Stop()
			tick = t.C
		}
		select {
		case r.out <- r.batch:
			r.batch = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
			if r.streaming() {
				if err := r.sendStatus(); err != nil {
					return err
				}
			}
		}
	}
}

func (r *reader) streaming() bool { return !r.nextStatus.IsZero() }

// sendStatus reports the positions to the server. The flush position is
// the committed one, never the received one (conduit-connector-postgres#313
// lost data by confirming what was merely received).
func (r *reader) sendStatus() error {
	flush := r.prog.flushLSN()
	write := r.received
	if write < flush {
		write = flush
	}
	err := pglogrepl.SendStandbyStatusUpdate(context.Background(), r.repl, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: pglogrepl.LSN(write),
		WALFlushPosition: pglogrepl.LSN(flush),
		WALApplyPosition: pglogrepl.LSN(flush),
	})
	if err != nil {
		return fmt.Errorf("sending standby status update: %w", err)
	}
	r.nextStatus = time.Now().Add(r.cfg.statusInterval)
	return nil
}

// startReplication starts streaming, waiting while a previous consumer of
// the slot (a crashed worker whose connection the server has not noticed
// yet) still holds it.
func (r *reader) startReplication(ctx context.Context) error {
	args := []string{"proto_version '1'", "publication_names " + quoteLiteral(pgx.Identifier{r.cfg.publication}.Sanitize())}
	wait := time.Second
	deadline := time.Now().Add(90 * time.Second)
	for {
		err := pglogrepl.StartReplication(ctx, r.repl, r.cfg.slotName, pglogrepl.LSN(r.plan.startLSN),
			pglogrepl.StartReplicationOptions{Mode: pglogrepl.LogicalReplication, PluginArgs: args})
		if err == nil {
			return nil
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "55006" || time.Now().After(deadline) {
			return fmt.Errorf("starting replication from slot %q at %s: %w", r.cfg.slotName, pglogrepl.LSN(r.plan.startLSN), err)
		}
		r.log.Info("replication slot is still in use by a previous connection; waiting", "slot", r.cfg.slotName, "error", pgErr.Message)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		if wait < 8*time.Second {
			wait *= 2
		}
	}
}

func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

// streamChanges reads the replication stream until ctx is cancelled.
func (r *reader) streamChanges(ctx context.Context) error {
	if err := r.startReplication(ctx); err != nil {
		return err
	}
	r.tables = map[uint32]*table{}
	r.filter.from = r.plan.resumeFrom
	r.idleLSN = r.plan.startLSN
	if r.plan.resumeFrom != nil && r.plan.resumeFrom.commitLSN > r.idleLSN {
		r.idleLSN = r.plan.resumeFrom.commitLSN
	}
	now := time.Now()
	r.nextStatus = now
	if r.cfg.heartbeat > 0 {
		r.nextHeartbeat = now.Add(r.cfg.heartbeat)
	}
	defer func() {
		// Report the committed position one last time; best effort, the
		// connection may already be gone.
		_ = r.sendStatus()
	}()
	for {
		if ctx.Err() != nil {
			return nil
		}
		now := time.Now()
		if r.prog.dirty.Swap(false) || !now.Before(r.nextStatus) {
			if err := r.sendStatus(); err != nil {
				return err
			}
		}
		if r.cfg.heartbeat > 0 && !r.inTx && !now.Before(r.nextHeartbeat) {
			if err := r.heartbeat(ctx, now); err != nil {
				return err
			}
		}
		if len(r.batch) > 0 && !now.Before(r.batchDue) {
			if err := r.flushBatch(ctx); err != nil {
				return ignoreCancel(ctx, err)
			}
		}
		if !now.Before(r.nextTick) {
			r.nextTick = now.Add(500 * time.Millisecond)
		}
		if err := r.armDeadline(); err != nil {
			return err
		}
		msg, err := r.repl.ReceiveMessage(context.Background())
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading the replication stream: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := r.handleCopyData(ctx, m.Data); err != nil {
				return ignoreCancel(ctx, err)
			}
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("replication stream: %w", pgconn.ErrorResponseToPgError(m))
		case *pgproto3.CopyDone:
			return fmt.Errorf("the server ended the replication stream")
		}
	}
}

func ignoreCancel(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// armDeadline sets the read deadline to the next thing the loop must do
// without waiting for data.
func (r *reader) armDeadline() error {
	d := r.nextTick
	if r.nextStatus.Before(d) {
		d = r.nextStatus
	}
	// A heartbeat waits for the end of the current transaction: its
	// deadline only counts between transactions (a past deadline would
	// stop the reads that finish the transaction).
	if r.cfg.heartbeat > 0 && !r.inTx && r.nextHeartbeat.Before(d) {
		d = r.nextHeartbeat
	}
	if len(r.batch) > 0 && r.batchDue.Before(d) {
		d = r.batchDue
	}
	if d.Equal(r.deadline) {
		return nil
	}
	r.deadline = d
	return r.repl.Conn().SetReadDeadline(d)
}

// interrupt wakes a reader blocked on the connection (called from Stop).
func (r *reader) interrupt() {
	_ = r.repl.Conn().SetReadDeadline(time.Now())
}

func (r *reader) handleCopyData(ctx context.Context, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case pglogrepl.PrimaryKeepaliveMessageByteID:
		ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(b[1:])
		if err != nil {
			return err
		}
		if uint64(ka.ServerWALEnd) > r.received {
			r.received = uint64(ka.ServerWALEnd)
		}
		if !r.inTx && uint64(ka.ServerWALEnd) > r.idleLSN {
			// Between transactions, everything the server has decoded so
			// far has been sent: nothing before this position is pending.
			r.idleLSN = uint64(ka.ServerWALEnd)
			r.prog.publish(r.lastCreated, r.idleLSN)
		}
		if ka.ReplyRequested {
			return r.sendStatus()
		}
		return nil
	case pglogrepl.XLogDataByteID:
		xld, err := pglogrepl.ParseXLogData(b[1:])
		if err != nil {
			return err
		}
		if uint64(xld.WALStart) > r.received {
			r.received = uint64(xld.WALStart)
		}
		return r.handleMessage(ctx, uint64(xld.WALStart), xld.WALData)
	}
	return nil
}

func (r *reader) handleMessage(ctx context.Context, lsn uint64, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case 'B':
		var m pglogrepl.BeginMessage
		if err := m.Decode(b[1:]); err != nil {
			return fmt.Errorf("pgoutput: %w", err)
		}
		r.inTx = true
		r.tx.xid = int64(m.Xid)
		r.tx.base = r.idleLSN
		r.tx.commitTime = m.CommitTime
		r.tx.lastLSN, r.tx.events = 0, 0
		r.tx.boxes = newTxBoxes(int64(m.Xid), r.tx.base, m.CommitTime)
		r.filter.begin(uint64(m.FinalLSN), int64(m.Xid))
	case 'C':
		var m pglogrepl.CommitMessage
		if err := m.Decode(b[1:]); err != nil {
			return fmt.Errorf("pgoutput: %w", err)
		}
		r.inTx = false
		r.lastXid = r.tx.xid
		if end := uint64(m.TransactionEndLSN); end > r.idleLSN {
			r.idleLSN = end
		}
		r.prog.publish(r.lastCreated, r.idleLSN)
	case 'R':
		var m pglogrepl.RelationMessage
		if err := m.Decode(b[1:]); err != nil {
			return fmt.Errorf("pgoutput: %w", err)
		}
		return r.onRelation(ctx, &m)
	case 'I', 'U', 'D':
		return r.onRow(ctx, lsn, b)
	case 'T':
		var m pglogrepl.TruncateMessage
		if err := m.Decode(b[1:]); err != nil {
			return fmt.Errorf("pgoutput: %w", err)
		}
		return r.onTruncate(ctx, lsn, &m)
	}
	return nil
}

// onRelation (re)builds a table's schemas from a Relation message, which
// the server sends before the first change of a table in each session and
// after every change of its definition.
func (r *reader) onRelation(ctx context.Context, m *pglogrepl.RelationMessage) error {
	if !r.cfg.filter.captures(m.Namespace, m.RelationName) {
		r.tables[m.RelationID] = nil
		return nil
	}
	catalog, err := readCatalogColumns(ctx, r.meta, m.RelationID)
	if err != nil {
		return err
	}
	byName := make(map[string]catalogColumn, len(catalog))
	for _, c := range catalog {
		byName[c.name] = c
	}
	cols := make([]catalogColumn, len(m.Columns))
	oids := make([]uint32, len(m.Columns))
	for i, rc := range m.Columns {
		cc, ok := byName[rc.Name]
		cols[i] = catalogColumn{name: rc.Name, oid: rc.DataType, typmod: rc.TypeModifier, notNull: ok && cc.notNull, pk: ok && cc.pk, defaultExpr: cc.defaultExpr}
		oids[i] = rc.DataType
	}
	if err := r.sb.types.load(ctx, r.meta, oids); err != nil {
		return err
	}
	t, err := r.sb.build(m.RelationID, m.Namespace, m.RelationName, cols)
	if err != nil {
		return err
	}
	r.tables[m.RelationID] = t
	return nil
}

// countEvent advances the per-LSN event counter of the transaction.
func (r *reader) countEvent(lsn uint64) {
	if lsn == r.tx.lastLSN {
		r.tx.events++
	} else {
		r.tx.lastLSN, r.tx.events = lsn, 1
	}
}

// txBoxes are a transaction's values as interfaces, boxed once: every
// event of the transaction puts them in its source block and offset.
type txBoxes struct {
	xid, base, tsMs, tsUs, tsNs any
	baseText                    string
}

func newTxBoxes(xid int64, base uint64, commit time.Time) txBoxes {
	return txBoxes{xid: xid, base: int64(base), tsMs: commit.UnixMilli(), tsUs: commit.UnixMicro(), tsNs: commit.UnixNano(),
		baseText: strconv.FormatUint(base, 10)}
}

// eventPosition is the position of the current event; its offset map is
// built here from the transaction's boxed values.
func (r *reader) eventPosition(lsn uint64, msgType string) *position {
	p := &position{lsn: lsn, commitLSN: r.tx.base, txID: r.tx.xid, hasTxID: true,
		tsUsec: r.tx.commitTime.UnixMicro(), events: r.tx.events, msgType: msgType}
	bx := &r.tx.boxes
	lsnAny := any(int64(lsn))
	m := make(map[string]any, 8)
	m[offLSN] = lsnAny
	m[offLSNProc] = lsnAny
	m[offTsUsec] = bx.tsUs
	m[offTxID] = bx.xid
	if r.tx.base != 0 {
		m[offLSNCommit] = bx.base
	}
	m[offMessageType] = msgType
	m[offLSNEvents] = p.events
	p.offset = m
	return p
}

// partialPosition is the offset of the records of an event that come
// before its last record (a delete before its tombstone; the delete and
// tombstone of a primary key change before the create): the position just
// before the event. A restart after only some of them were committed
// replays the whole event instead of skipping its remaining records.
func (r *reader) partialPosition(p *position) *position {
	q := *p
	q.offset = nil
	if q.events > 1 {
		q.events--
	} else {
		// No earlier event at this LSN: name the byte before it, where no
		// WAL record can start, with no event count ("everything up to
		// here").
		q.lsn, q.events = q.lsn-1, 0
	}
	return &q
}

// eventSource builds the source block of a streamed event.
func (r *reader) eventSource(t *table, p *position) (*data.Struct, error) {
	s := data.NewStruct(sourceSchema)
	bx := &r.tx.boxes
	seq := make([]byte, 0, 48)
	seq = append(seq, `["`...)
	seq = append(seq, bx.baseText...)
	seq = append(seq, `","`...)
	seq = strconv.AppendUint(seq, p.lsn, 10)
	seq = append(seq, `"]`...)
	for _, kv := range [...]struct {
		f *data.Field
		v any
	}{
		{sourceFields.version, versionAny},
		{sourceFields.connector, connectorAny},
		{sourceFields.name, r.sb.prefixAny},
		{sourceFields.tsMs, bx.tsMs},
		{sourceFields.db, r.sb.dbAny},
		{sourceFields.sequence, string(seq)},
		{sourceFields.tsUs, bx.tsUs},
		{sourceFields.tsNs, bx.tsNs},
		{sourceFields.schema, t.schemaAny},
		{sourceFields.table, t.nameAny},
		{sourceFields.txID, bx.xid},
		{sourceFields.lsn, p.offset[offLSN]},
	} {
		if err := s.PutField(kv.f, kv.v); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (r *reader) table(relation uint32) (*table, bool, error) {
	t, known := r.tables[relation]
	if !known {
		return nil, false, fmt.Errorf("pgoutput: change for relation %d before its Relation message", relation)
	}
	return t, t != nil, nil
}

func (r *reader) onRow(ctx context.Context, lsn uint64, b []byte) error {
	r.countEvent(lsn)
	if r.filter.skip(lsn) {
		return nil
	}
	m, err := r.decoder.decodeRow(b)
	if err != nil {
		return err
	}
	t, captured, err := r.table(m.relation)
	if err != nil || !captured {
		return err
	}
	switch m.kind {
	case 'I':
		if r.cfg.skipped[opCreate] {
			return nil
		}
		return r.emitInsert(ctx, t, lsn, m)
	case 'U':
		if r.cfg.skipped[opUpdate] {
			return nil
		}
		return r.emitUpdate(ctx, t, lsn, m)
	default:
		if r.cfg.skipped[opDelete] {
			return nil
		}
		return r.emitDelete(ctx, t, lsn, m)
	}
}

func (r *reader) record(t *table, key *data.Struct, value *data.Struct, p *position, headers data.Headers) connect.SourceRecord {
	rec := connect.SourceRecord{
		SourcePartition: r.partition,
		SourceOffset:    p.offsetMap(),
		Topic:           t.topic,
		Partition:       connect.NoPartition,
		KeySchema:       t.keySchema,
		Headers:         headers,
	}
	if key != nil {
		rec.Key = key
	}
	if value != nil {
		rec.ValueSchema, rec.Value = t.envelope, value
	}
	return rec
}

func (r *reader) emitInsert(ctx context.Context, t *table, lsn uint64, m *rowMessage) error {
	p := r.eventPosition(lsn, "INSERT")
	after, err := valueStruct(t, m.new, nil)
	if err != nil {
		return err
	}
	key, err := keyStruct(t, m.new)
	if err != nil {
		return err
	}
	src, err := r.eventSource(t, p)
	if err != nil {
		return err
	}
	env, err := envelopeStruct(t, opCreate, nil, after, src, time.Now())
	if err != nil {
		return err
	}
	return r.emit(ctx, r.record(t, key, env, p, nil), p)
}

func (r *reader) emitUpdate(ctx context.Context, t *table, lsn uint64, m *rowMessage) error {
	p := r.eventPosition(lsn, "UPDATE")
	var fullOld []tupleCol
	if m.oldKind == 'O' {
		fullOld = m.old
	}
	after, err := valueStruct(t, m.new, fullOld)
	if err != nil {
		return err
	}
	var before *data.Struct
	if m.old != nil {
		if before, err = valueStruct(t, m.old, nil); err != nil {
			return err
		}
	}
	key, err := keyStruct(t, m.new)
	if err != nil {
		return err
	}
	var oldKey *data.Struct
	if m.old != nil && t.keySchema != nil {
		if oldKey, err = keyStruct(t, m.old); err != nil {
			return err
		}
	}
	src, err := r.eventSource(t, p)
	if err != nil {
		return err
	}
	now := time.Now()
	if oldKey != nil && !oldKey.Equal(key) {
		// A primary key change: Debezium emits a delete of the old key
		// (and its tombstone) and a create of the new one, each pointing
		// to the other key in a header.
		del, err := envelopeStruct(t, opDelete, before, nil, src, now)
		if err != nil {
			return err
		}
		var delHeaders, createHeaders data.Headers
		if err := delHeaders.Add("__debezium.newkey", t.keySchema, key); err != nil {
			return err
		}
		if err := createHeaders.Add("__debezium.oldkey", t.keySchema, oldKey); err != nil {
			return err
		}
		partial := r.partialPosition(p)
		if err := r.emit(ctx, r.record(t, oldKey, del, partial, delHeaders), partial); err != nil {
			return err
		}
		if r.cfg.tombstones {
			if err := r.emit(ctx, r.record(t, oldKey, nil, partial, delHeaders), partial); err != nil {
				return err
			}
		}
		create, err := envelopeStruct(t, opCreate, nil, after, src, now)
		if err != nil {
			return err
		}
		return r.emit(ctx, r.record(t, key, create, p, createHeaders), p)
	}
	env, err := envelopeStruct(t, opUpdate, before, after, src, now)
	if err != nil {
		return err
	}
	return r.emit(ctx, r.record(t, key, env, p, nil), p)
}

func (r *reader) emitDelete(ctx context.Context, t *table, lsn uint64, m *rowMessage) error {
	p := r.eventPosition(lsn, "DELETE")
	before, err := valueStruct(t, m.old, nil)
	if err != nil {
		return err
	}
	key, err := keyStruct(t, m.old)
	if err != nil {
		return err
	}
	src, err := r.eventSource(t, p)
	if err != nil {
		return err
	}
	env, err := envelopeStruct(t, opDelete, before, nil, src, time.Now())
	if err != nil {
		return err
	}
	if !r.cfg.tombstones || key == nil {
		return r.emit(ctx, r.record(t, key, env, p, nil), p)
	}
	partial := r.partialPosition(p)
	if err := r.emit(ctx, r.record(t, key, env, partial, nil), partial); err != nil {
		return err
	}
	return r.emit(ctx, r.record(t, key, nil, p, nil), p)
}

func (r *reader) onTruncate(ctx context.Context, lsn uint64, m *pglogrepl.TruncateMessage) error {
	for _, rel := range m.RelationIDs {
		r.countEvent(lsn)
		if r.filter.skip(lsn) {
			continue
		}
		t, captured, err := r.table(rel)
		if err != nil {
			return err
		}
		if !captured || r.cfg.skipped[opTruncate] {
			continue
		}
		p := r.eventPosition(lsn, "TRUNCATE")
		src, err := r.eventSource(t, p)
		if err != nil {
			return err
		}
		env, err := envelopeStruct(t, opTruncate, nil, nil, src, time.Now())
		if err != nil {
			return err
		}
		if err := r.emit(ctx, r.record(t, nil, env, p, nil), p); err != nil {
			return err
		}
	}
	return nil
}

// heartbeat runs heartbeat.action.query and emits a heartbeat record whose
// offset is the current position, so that committing it lets the slot
// advance even when no captured table changes.
func (r *reader) heartbeat(ctx context.Context, now time.Time) error {
	r.nextHeartbeat = now.Add(r.cfg.heartbeat)
	if r.cfg.heartbeatQuery != "" {
		if _, err := r.meta.Exec(ctx, r.cfg.heartbeatQuery); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("heartbeat.action.query %q: %w", r.cfg.heartbeatQuery, err)
		}
	}
	p := &position{lsn: r.idleLSN, commitLSN: r.idleLSN, txID: r.lastXid, hasTxID: r.lastXid != 0,
		tsUsec: now.UnixMicro(), msgType: "COMMIT"}
	key, value := heartbeatKeyValue(r.cfg.topicPrefix, now)
	rec := connect.SourceRecord{
		SourcePartition: r.partition, SourceOffset: p.offsetMap(),
		Topic: r.cfg.heartbeatTopic, Partition: 0,
		KeySchema: heartbeatKeySchema, Key: key, ValueSchema: heartbeatValueSchema, Value: value,
	}
	if err := r.emit(ctx, rec, p); err != nil {
		return err
	}
	r.prog.publish(r.lastCreated, r.idleLSN)
	return nil
}
