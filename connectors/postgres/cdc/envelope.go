package cdc

import (
	"strconv"
	"time"

	"github.com/runnel-dev/runnel/connect/data"
)

// Version is reported as source.version in every change event and by the
// REST API.
const Version = "1.0.0-runnel"

// Debezium's snapshot markers (source.snapshot).
const (
	snapTrue              = "true"
	snapFirst             = "first"
	snapFirstInCollection = "first_in_data_collection"
	snapLastInCollection  = "last_in_data_collection"
	snapLast              = "last"
	snapFalse             = "false"
)

// Debezium's operation codes (envelope op).
const (
	opRead     = "r"
	opCreate   = "c"
	opUpdate   = "u"
	opDelete   = "d"
	opTruncate = "t"
)

var (
	snapshotMarkerSchema = data.StringBuilder().Name(nameEnum).Version(1).
				Parameter("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental").
				Optional().Default(snapFalse).MustBuild()

	// sourceSchema is io.debezium.connector.postgresql.Source: the common
	// source fields followed by PostgreSQL's.
	sourceSchema = data.StructBuilder().Name("io.debezium.connector.postgresql.Source").Version(1).
			Field("version", data.StringSchema).
			Field("connector", data.StringSchema).
			Field("name", data.StringSchema).
			Field("ts_ms", data.Int64Schema).
			Field("snapshot", snapshotMarkerSchema).
			Field("db", data.StringSchema).
			Field("sequence", data.OptionalStringSchema).
			Field("ts_us", data.OptionalInt64Schema).
			Field("ts_ns", data.OptionalInt64Schema).
			Field("schema", data.StringSchema).
			Field("table", data.StringSchema).
			Field("txId", data.OptionalInt64Schema).
			Field("lsn", data.OptionalInt64Schema).
			Field("xmin", data.OptionalInt64Schema).
			MustBuild()

	// transactionSchema is the optional event.block struct; it stays null
	// because provide.transaction.metadata is not supported.
	transactionSchema = data.StructBuilder().Name("event.block").Version(1).Optional().
				Field("id", data.StringSchema).
				Field("total_order", data.Int64Schema).
				Field("data_collection_order", data.Int64Schema).
				MustBuild()

	heartbeatKeySchema = data.StructBuilder().Name("io.debezium.connector.common.ServerNameKey").Version(1).
				Field("serverName", data.StringSchema).MustBuild()
	heartbeatValueSchema = data.StructBuilder().Name("io.debezium.connector.common.Heartbeat").Version(1).
				Field("ts_ms", data.Int64Schema).MustBuild()
)

// Constant source values, boxed once.
var (
	versionAny   any = Version
	connectorAny any = "postgresql"
)

// sourceFields caches the source schema's fields so building a source struct
// does not look fields up by name.
var sourceFields = struct {
	version, connector, name, tsMs, snapshot, db, sequence, tsUs, tsNs, schema, table, txID, lsn *data.Field
}{
	sourceSchema.Field("version"), sourceSchema.Field("connector"), sourceSchema.Field("name"), sourceSchema.Field("ts_ms"),
	sourceSchema.Field("snapshot"), sourceSchema.Field("db"), sourceSchema.Field("sequence"), sourceSchema.Field("ts_us"),
	sourceSchema.Field("ts_ns"), sourceSchema.Field("schema"), sourceSchema.Field("table"), sourceSchema.Field("txId"),
	sourceSchema.Field("lsn"),
}

// sourceInfo is what goes into an event's source block.
type sourceInfo struct {
	ts       time.Time // commit time (streaming) or read time (snapshot)
	snapshot string    // one of the snap* markers; "" or snapFalse while streaming
	// commitLSN is the end of the last transaction fully processed before
	// this event (nil in a snapshot); lsn the event's own position.
	commitLSN *uint64
	lsn       uint64
	txID      int64
	hasTxID   bool
}

// sourceStruct builds the source block of an event.
func (b *schemaBuilder) sourceStruct(t *table, si *sourceInfo) (*data.Struct, error) {
	s := data.NewStruct(sourceSchema)
	us := si.ts.UnixMicro()
	put := func(f *data.Field, v any) error { return s.PutField(f, v) }
	for _, kv := range []struct {
		f *data.Field
		v any
	}{
		{sourceFields.version, Version},
		{sourceFields.connector, "postgresql"},
		{sourceFields.name, b.cfg.topicPrefix},
		{sourceFields.tsMs, si.ts.UnixMilli()},
		{sourceFields.db, b.cfg.dbname},
		{sourceFields.sequence, sequenceString(si.commitLSN, si.lsn)},
		{sourceFields.tsUs, us},
		{sourceFields.tsNs, si.ts.UnixNano()},
		{sourceFields.schema, t.schema},
		{sourceFields.table, t.name},
		{sourceFields.lsn, int64(si.lsn)},
	} {
		if err := put(kv.f, kv.v); err != nil {
			return nil, err
		}
	}
	if si.snapshot != "" && si.snapshot != snapFalse {
		if err := put(sourceFields.snapshot, si.snapshot); err != nil {
			return nil, err
		}
	}
	if si.hasTxID {
		if err := put(sourceFields.txID, si.txID); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// sequenceString is Debezium's source.sequence: a JSON array of the last
// commit LSN and the event LSN, as decimal strings (null when unknown).
func sequenceString(commit *uint64, lsn uint64) string {
	b := make([]byte, 0, 48)
	b = append(b, '[')
	if commit == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = strconv.AppendUint(b, *commit, 10)
		b = append(b, '"')
	}
	b = append(b, ',', '"')
	b = strconv.AppendUint(b, lsn, 10)
	b = append(b, '"', ']')
	return string(b)
}

// envelopeStruct builds a change event value.
func envelopeStruct(t *table, op string, before, after, source *data.Struct, now time.Time) (*data.Struct, error) {
	e := data.NewStruct(t.envelope)
	f := &t.env
	if before != nil {
		if err := e.PutField(f.before, before); err != nil {
			return nil, err
		}
	}
	if after != nil {
		if err := e.PutField(f.after, after); err != nil {
			return nil, err
		}
	}
	if err := e.PutField(f.source, source); err != nil {
		return nil, err
	}
	if err := e.PutField(f.op, op); err != nil {
		return nil, err
	}
	if err := e.PutField(f.tsMs, now.UnixMilli()); err != nil {
		return nil, err
	}
	if err := e.PutField(f.tsUs, now.UnixMicro()); err != nil {
		return nil, err
	}
	if err := e.PutField(f.tsNs, now.UnixNano()); err != nil {
		return nil, err
	}
	return e, nil
}

// heartbeatRecordValue builds the key and value of a heartbeat record.
func heartbeatKeyValue(prefix string, now time.Time) (*data.Struct, *data.Struct) {
	k := data.NewStruct(heartbeatKeySchema).MustPut("serverName", prefix)
	v := data.NewStruct(heartbeatValueSchema).MustPut("ts_ms", now.UnixMilli())
	return k, v
}
