package cdc

import (
	"fmt"
	"maps"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect"
)

// Configuration keys, spelled as Debezium's PostgreSQL connector spells them
// so existing connector configurations work unchanged.
const (
	keyHostname          = "database.hostname"
	keyPort              = "database.port"
	keyUser              = "database.user"
	keyPassword          = "database.password"
	keyDBName            = "database.dbname"
	keySSLMode           = "database.sslmode"
	keyConnectTimeout    = "database.connect.timeout.ms"
	keyTopicPrefix       = "topic.prefix"
	keyPluginName        = "plugin.name"
	keySlotName          = "slot.name"
	keySlotDropOnStop    = "slot.drop.on.stop"
	keyPublicationName   = "publication.name"
	keyPublicationMode   = "publication.autocreate.mode"
	keySchemaInclude     = "schema.include.list"
	keySchemaExclude     = "schema.exclude.list"
	keyTableInclude      = "table.include.list"
	keyTableExclude      = "table.exclude.list"
	keyColumnInclude     = "column.include.list"
	keyColumnExclude     = "column.exclude.list"
	keyMessageKeyColumns = "message.key.columns"
	keySnapshotMode      = "snapshot.mode"
	keySnapshotFetchSize = "snapshot.fetch.size"
	keyHeartbeatInterval = "heartbeat.interval.ms"
	keyHeartbeatQuery    = "heartbeat.action.query"
	keyHeartbeatPrefix   = "topic.heartbeat.prefix"
	keyTombstones        = "tombstones.on.delete"
	keySkippedOps        = "skipped.operations"
	keyDecimalMode       = "decimal.handling.mode"
	keyTimePrecision     = "time.precision.mode"
	keyBinaryMode        = "binary.handling.mode"
	keyIntervalMode      = "interval.handling.mode"
	keyUnknownTypes      = "include.unknown.datatypes"
	keyToastPlaceholder  = "unavailable.value.placeholder"
	keyMoneyDigits       = "money.fraction.digits"
	keyMaxBatchSize      = "max.batch.size"
	keyMaxQueueSize      = "max.queue.size"
	keyPollInterval      = "poll.interval.ms"
	keyStatusInterval    = "status.update.interval.ms"
	keyTasksMax          = "tasks.max"
)

// Values of the enumerated keys.
const (
	pluginPgoutput = "pgoutput"

	pubAllTables = "all_tables"
	pubDisabled  = "disabled"
	pubFiltered  = "filtered"
	pubNoTables  = "no_tables"

	snapInitial     = "initial"
	snapNever       = "never" // Debezium's old name for no_data
	snapNoData      = "no_data"
	snapInitialOnly = "initial_only"
	snapAlways      = "always"
	snapWhenNeeded  = "when_needed"

	decimalPrecise = "precise"
	decimalDouble  = "double"
	decimalString  = "string"

	timeAdaptive       = "adaptive"
	timeAdaptiveMicros = "adaptive_time_microseconds"
	timeConnect        = "connect"

	binaryBytes      = "bytes"
	binaryBase64     = "base64"
	binaryBase64URL  = "base64-url-safe"
	binaryHex        = "hex"
	intervalNumeric  = "numeric"
	intervalISO      = "string"
	defaultToastText = "__debezium_unavailable_value"
)

// ConfigDef returns the connector's configuration keys with Debezium's
// names and defaults.
func ConfigDef() *connect.ConfigDef {
	const (
		gConn   = "Connection"
		gRepl   = "Replication"
		gFilter = "Filters"
		gEvents = "Events"
		gPerf   = "Performance"
	)
	d := connect.NewConfigDef()
	d.Define(connect.ConfigKey{Name: keyHostname, Type: connect.TypeString, Required: true, Validator: connect.NonEmptyString(), Importance: connect.ImportanceHigh, Group: gConn, OrderInGroup: 1,
		Doc: "Resolvable hostname or IP address of the PostgreSQL server."})
	d.Define(connect.ConfigKey{Name: keyPort, Type: connect.TypeInt, Default: 5432, Validator: connect.Between(1, 65535), Importance: connect.ImportanceHigh, Group: gConn, OrderInGroup: 2,
		Doc: "Port of the PostgreSQL server."})
	d.Define(connect.ConfigKey{Name: keyUser, Type: connect.TypeString, Required: true, Validator: connect.NonEmptyString(), Importance: connect.ImportanceHigh, Group: gConn, OrderInGroup: 3,
		Doc: "Name of the PostgreSQL user; it needs the REPLICATION attribute (or superuser) and SELECT on the captured tables."})
	d.Define(connect.ConfigKey{Name: keyPassword, Type: connect.TypePassword, Default: "", Importance: connect.ImportanceHigh, Group: gConn, OrderInGroup: 4,
		Doc: "Password of the PostgreSQL user."})
	d.Define(connect.ConfigKey{Name: keyDBName, Type: connect.TypeString, Required: true, Validator: connect.NonEmptyString(), Importance: connect.ImportanceHigh, Group: gConn, OrderInGroup: 5,
		Doc: "Name of the database to capture changes from."})
	d.Define(connect.ConfigKey{Name: keySSLMode, Type: connect.TypeString, Default: "prefer",
		Validator: connect.ValidString("disable", "allow", "prefer", "require", "verify-ca", "verify-full"), Importance: connect.ImportanceMedium, Group: gConn, OrderInGroup: 6,
		Doc: "libpq sslmode for both the replication and the query connection."})
	d.Define(connect.ConfigKey{Name: keyConnectTimeout, Type: connect.TypeInt, Default: 30000, Validator: connect.AtLeast(1), Importance: connect.ImportanceLow, Group: gConn, OrderInGroup: 7,
		Doc: "How long to wait for a connection to the server before failing, in milliseconds."})
	d.Define(connect.ConfigKey{Name: keyTopicPrefix, Type: connect.TypeString, Required: true, Validator: topicPrefixValidator(), Importance: connect.ImportanceHigh, Group: gConn, OrderInGroup: 8,
		Doc: "Logical name of the server: the prefix of every topic (<prefix>.<schema>.<table>) and of the schema names."})

	d.Define(connect.ConfigKey{Name: keyPluginName, Type: connect.TypeString, Default: pluginPgoutput, Validator: pluginValidator(), Importance: connect.ImportanceMedium, Group: gRepl, OrderInGroup: 1,
		Doc: "Logical decoding plugin. Only pgoutput, built into PostgreSQL 10 and later, is supported."})
	d.Define(connect.ConfigKey{Name: keySlotName, Type: connect.TypeString, Default: "debezium", Validator: slotNameValidator(), Importance: connect.ImportanceMedium, Group: gRepl, OrderInGroup: 2,
		Doc: "Name of the logical replication slot; created if absent. It must be unique per connector and database."})
	d.Define(connect.ConfigKey{Name: keySlotDropOnStop, Type: connect.TypeBoolean, Default: false, Importance: connect.ImportanceLow, Group: gRepl, OrderInGroup: 3,
		Doc: "Drop the replication slot when the task stops (for tests; a dropped slot loses the changes made while the connector is down)."})
	d.Define(connect.ConfigKey{Name: keyPublicationName, Type: connect.TypeString, Default: "dbz_publication", Validator: connect.NonEmptyString(), Importance: connect.ImportanceMedium, Group: gRepl, OrderInGroup: 4,
		Doc: "Name of the publication the pgoutput plugin streams."})
	d.Define(connect.ConfigKey{Name: keyPublicationMode, Type: connect.TypeString, Default: pubAllTables,
		Validator: connect.ValidString(pubAllTables, pubDisabled, pubFiltered, pubNoTables), Importance: connect.ImportanceLow, Group: gRepl, OrderInGroup: 5,
		Doc: "all_tables: create the publication FOR ALL TABLES if absent; filtered: create or update it for the captured tables; disabled: it must exist; no_tables: create it without tables."})
	d.Define(connect.ConfigKey{Name: keyStatusInterval, Type: connect.TypeInt, Default: 10000, Validator: connect.AtLeast(1), Importance: connect.ImportanceLow, Group: gRepl, OrderInGroup: 6,
		Doc: "How often, in milliseconds, the task reports its position to the server (it never confirms more than what was committed)."})

	d.Define(connect.ConfigKey{Name: keySchemaInclude, Type: connect.TypeString, Default: nil, Validator: connect.OrNull(regexListValidator()), Importance: connect.ImportanceMedium, Group: gFilter, OrderInGroup: 1,
		Doc: "Comma-separated regular expressions matching the schemas to capture."})
	d.Define(connect.ConfigKey{Name: keySchemaExclude, Type: connect.TypeString, Default: nil, Validator: connect.OrNull(regexListValidator()), Importance: connect.ImportanceMedium, Group: gFilter, OrderInGroup: 2,
		Doc: "Comma-separated regular expressions matching schemas not to capture."})
	d.Define(connect.ConfigKey{Name: keyTableInclude, Type: connect.TypeString, Default: nil, Validator: connect.OrNull(regexListValidator()), Importance: connect.ImportanceHigh, Group: gFilter, OrderInGroup: 3,
		Doc: "Comma-separated regular expressions matching the fully-qualified tables (schema.table) to capture."})
	d.Define(connect.ConfigKey{Name: keyTableExclude, Type: connect.TypeString, Default: nil, Validator: connect.OrNull(regexListValidator()), Importance: connect.ImportanceMedium, Group: gFilter, OrderInGroup: 4,
		Doc: "Comma-separated regular expressions matching fully-qualified tables not to capture."})
	d.Define(connect.ConfigKey{Name: keyColumnInclude, Type: connect.TypeString, Default: nil, Validator: connect.OrNull(regexListValidator()), Importance: connect.ImportanceLow, Group: gFilter, OrderInGroup: 5,
		Doc: "Comma-separated regular expressions matching fully-qualified columns (schema.table.column) to include in values."})
	d.Define(connect.ConfigKey{Name: keyColumnExclude, Type: connect.TypeString, Default: nil, Validator: connect.OrNull(regexListValidator()), Importance: connect.ImportanceLow, Group: gFilter, OrderInGroup: 6,
		Doc: "Comma-separated regular expressions matching fully-qualified columns to leave out of values."})
	d.Define(connect.ConfigKey{Name: keyMessageKeyColumns, Type: connect.TypeString, Default: nil, Validator: connect.OrNull(keyColumnsValidator()), Importance: connect.ImportanceLow, Group: gFilter, OrderInGroup: 7,
		Doc: "Columns to use as the record key instead of the primary key: <table regex>:<column>,<column>;<table regex>:... (for example public.orders:customer_id,order_no)."})

	d.Define(connect.ConfigKey{Name: keySnapshotMode, Type: connect.TypeString, Default: snapInitial,
		Validator: connect.ValidString(snapInitial, snapNoData, snapNever, snapInitialOnly, snapAlways, snapWhenNeeded), Importance: connect.ImportanceMedium, Group: gEvents, OrderInGroup: 1,
		Doc: "initial: snapshot when no offset exists, then stream; no_data (never): stream only; initial_only: snapshot, then stop; always: snapshot at every start; when_needed: snapshot when no offset exists or the slot is gone."})
	d.Define(connect.ConfigKey{Name: keyHeartbeatInterval, Type: connect.TypeInt, Default: 0, Validator: connect.AtLeast(0), Importance: connect.ImportanceMedium, Group: gEvents, OrderInGroup: 2,
		Doc: "How often, in milliseconds, to emit a heartbeat record to __debezium-heartbeat.<prefix>; 0 disables heartbeats. Heartbeats let the slot advance when captured tables are idle."})
	d.Define(connect.ConfigKey{Name: keyHeartbeatQuery, Type: connect.TypeString, Default: nil, Importance: connect.ImportanceLow, Group: gEvents, OrderInGroup: 3,
		Doc: "SQL run against the database at every heartbeat (for example an UPDATE of a heartbeat table)."})
	d.Define(connect.ConfigKey{Name: keyHeartbeatPrefix, Type: connect.TypeString, Default: "__debezium-heartbeat", Importance: connect.ImportanceLow, Group: gEvents, OrderInGroup: 4,
		Doc: "Prefix of the heartbeat topic name."})
	d.Define(connect.ConfigKey{Name: keyTombstones, Type: connect.TypeBoolean, Default: true, Importance: connect.ImportanceMedium, Group: gEvents, OrderInGroup: 5,
		Doc: "Emit a tombstone (null value) after each delete event so that log compaction can remove the key."})
	d.Define(connect.ConfigKey{Name: keySkippedOps, Type: connect.TypeList, Default: "t", Validator: skippedOpsValidator(), Importance: connect.ImportanceLow, Group: gEvents, OrderInGroup: 6,
		Doc: "Operations not to emit while streaming: c, u, d, t (truncate), or none. Default: t."})
	d.Define(connect.ConfigKey{Name: keyDecimalMode, Type: connect.TypeString, Default: decimalPrecise, Validator: connect.ValidString(decimalPrecise, decimalDouble, decimalString), Importance: connect.ImportanceMedium, Group: gEvents, OrderInGroup: 7,
		Doc: "How NUMERIC, DECIMAL and MONEY columns are represented: precise (Connect Decimal), double or string."})
	d.Define(connect.ConfigKey{Name: keyTimePrecision, Type: connect.TypeString, Default: timeAdaptive, Validator: connect.ValidString(timeAdaptive, timeAdaptiveMicros, timeConnect), Importance: connect.ImportanceMedium, Group: gEvents, OrderInGroup: 8,
		Doc: "How temporal columns are represented: adaptive, adaptive_time_microseconds or connect."})
	d.Define(connect.ConfigKey{Name: keyBinaryMode, Type: connect.TypeString, Default: binaryBytes, Validator: connect.ValidString(binaryBytes, binaryBase64, binaryBase64URL, binaryHex), Importance: connect.ImportanceLow, Group: gEvents, OrderInGroup: 9,
		Doc: "How BYTEA columns are represented: bytes, base64, base64-url-safe or hex."})
	d.Define(connect.ConfigKey{Name: keyIntervalMode, Type: connect.TypeString, Default: intervalNumeric, Validator: connect.ValidString(intervalNumeric, intervalISO), Importance: connect.ImportanceLow, Group: gEvents, OrderInGroup: 10,
		Doc: "How INTERVAL columns are represented: numeric (microseconds) or string (ISO 8601)."})
	d.Define(connect.ConfigKey{Name: keyUnknownTypes, Type: connect.TypeBoolean, Default: false, Importance: connect.ImportanceLow, Group: gEvents, OrderInGroup: 11,
		Doc: "Include columns of types the connector does not know, as bytes of their text form; otherwise such columns are left out."})
	d.Define(connect.ConfigKey{Name: keyToastPlaceholder, Type: connect.TypeString, Default: defaultToastText, Importance: connect.ImportanceLow, Group: gEvents, OrderInGroup: 12,
		Doc: "Value put in place of an unchanged TOASTed column the server did not send."})
	d.Define(connect.ConfigKey{Name: keyMoneyDigits, Type: connect.TypeInt, Default: 2, Validator: connect.Between(0, 20), Importance: connect.ImportanceLow, Group: gEvents, OrderInGroup: 13,
		Doc: "Scale of MONEY values."})

	d.Define(connect.ConfigKey{Name: keyMaxBatchSize, Type: connect.TypeInt, Default: 2048, Validator: connect.AtLeast(1), Importance: connect.ImportanceLow, Group: gPerf, OrderInGroup: 1,
		Doc: "Most records one poll returns."})
	d.Define(connect.ConfigKey{Name: keyMaxQueueSize, Type: connect.TypeInt, Default: 8192, Validator: connect.AtLeast(1), Importance: connect.ImportanceLow, Group: gPerf, OrderInGroup: 2,
		Doc: "Most records buffered between the replication reader and poll; the reader waits (and keeps the connection alive) when it is full."})
	d.Define(connect.ConfigKey{Name: keyPollInterval, Type: connect.TypeInt, Default: 500, Validator: connect.AtLeast(1), Importance: connect.ImportanceLow, Group: gPerf, OrderInGroup: 3,
		Doc: "How long a poll waits for records before returning none, in milliseconds."})
	d.Define(connect.ConfigKey{Name: keySnapshotFetchSize, Type: connect.TypeInt, Default: 10240, Validator: connect.AtLeast(1), Importance: connect.ImportanceLow, Group: gPerf, OrderInGroup: 4,
		Doc: "Rows fetched per round trip while snapshotting."})
	return d
}

func topicPrefixValidator() connect.Validator {
	valid := regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	return connect.ValidatorFunc("topic name characters [A-Za-z0-9._-]", func(name string, v any) error {
		s, _ := v.(string)
		if !valid.MatchString(s) {
			return connect.InvalidValueError(name, v, "the prefix is part of topic names and may only contain letters, digits, '.', '_' and '-'")
		}
		return nil
	})
}

func pluginValidator() connect.Validator {
	return connect.ValidatorFunc("pgoutput", func(name string, v any) error {
		if s, _ := v.(string); s != pluginPgoutput {
			return connect.InvalidValueError(name, v, "only the pgoutput plugin is supported (built into PostgreSQL 10+); set plugin.name=pgoutput")
		}
		return nil
	})
}

// slotNameValidator accepts what PostgreSQL accepts for slot names (lower
// case letters, digits and underscores), which also keeps the names safe to
// splice into replication commands.
func slotNameValidator() connect.Validator {
	valid := regexp.MustCompile(`^[a-z0-9_]{1,63}$`)
	return connect.ValidatorFunc("lower-case letters, digits and _ (at most 63)", func(name string, v any) error {
		if s, _ := v.(string); !valid.MatchString(s) {
			return connect.InvalidValueError(name, v, "must consist of lower-case letters, digits and underscores (at most 63 characters)")
		}
		return nil
	})
}

func regexListValidator() connect.Validator {
	return connect.ValidatorFunc("comma-separated regular expressions", func(name string, v any) error {
		s, _ := v.(string)
		if _, err := compileList(s); err != nil {
			return connect.InvalidValueError(name, v, err.Error())
		}
		return nil
	})
}

func skippedOpsValidator() connect.Validator {
	return connect.ValidatorFunc("list of c, u, d, t or none", func(name string, v any) error {
		list, _ := v.([]string)
		for _, op := range list {
			switch op {
			case "c", "u", "d", "t":
			case "none":
				if len(list) > 1 {
					return connect.InvalidValueError(name, v, "'none' cannot be combined with other operations")
				}
			default:
				return connect.InvalidValueError(name, v, "unknown operation "+strconv.Quote(op)+"; expected c, u, d, t or none")
			}
		}
		return nil
	})
}

// compileList compiles a comma-separated list of regular expressions the way
// Debezium matches them: each one must match the whole name, ignoring case.
func compileList(s string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, p := range splitRegexList(s) {
		re, err := regexp.Compile(`(?i)^(?:` + p + `)$`)
		if err != nil {
			return nil, fmt.Errorf("invalid regular expression %q: %v", p, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// splitRegexList splits on commas that are not escaped with a backslash
// (Debezium allows "\," inside an expression).
func splitRegexList(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == ',' {
			cur.WriteByte(',')
			i++
			continue
		}
		if c == ',' {
			if p := strings.TrimSpace(cur.String()); p != "" {
				out = append(out, p)
			}
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	if p := strings.TrimSpace(cur.String()); p != "" {
		out = append(out, p)
	}
	return out
}

// config is the parsed configuration the connector and its task run with.
type config struct {
	host, user, dbname, sslMode string
	password                    string
	port                        int
	connectTimeout              time.Duration

	topicPrefix      string
	slotName         string
	slotDropOnStop   bool
	publication      string
	publicationMode  string
	statusInterval   time.Duration
	filter           *tableFilter
	keyColumns       keyColumnRules
	snapshotMode     string
	heartbeat        time.Duration
	heartbeatQuery   string
	heartbeatTopic   string
	tombstones       bool
	skipped          map[string]bool
	decimalMode      string
	timePrecision    string
	binaryMode       string
	intervalMode     string
	unknownTypes     bool
	toastPlaceholder string
	moneyDigits      int
	maxBatch         int
	maxQueue         int
	pollInterval     time.Duration
	fetchSize        int
}

// unsupportedKeys are Debezium PostgreSQL settings this connector does not
// implement; Start logs them so that nobody relies on them unknowingly.
var unsupportedKeys = []string{
	"provide.transaction.metadata", "signal.data.collection", "signal.enabled.channels",
	"snapshot.select.statement.overrides", "snapshot.include.collection.list", "snapshot.isolation.mode",
	"hstore.handling.mode", "schema.name.adjustment.mode", "field.name.adjustment.mode", "slot.stream.params",
	"publish.via.partition.root", "read.only", "lsn.flush.mode", "converters", "event.processing.failure.handling.mode",
	"include.schema.comments", "column.propagate.source.type", "datatype.propagate.source.type", "topic.naming.strategy",
}

// ignoredKeys lists the unsupported Debezium keys present in props.
func ignoredKeys(props map[string]string) []string {
	var out []string
	for _, k := range unsupportedKeys {
		if _, ok := props[k]; ok {
			out = append(out, k)
		}
	}
	for k := range props {
		if strings.HasPrefix(k, "column.mask.") || strings.HasPrefix(k, "column.truncate.to.") || strings.HasPrefix(k, "incremental.snapshot.") {
			out = append(out, k)
		}
	}
	return out
}

// parseConfig parses and checks props; errors name the key at fault.
func parseConfig(props map[string]string) (*config, error) {
	if _, ok := props[keyTopicPrefix]; !ok {
		// Debezium 1.x called the logical server name database.server.name.
		if name, ok := props["database.server.name"]; ok {
			props = maps.Clone(props)
			props[keyTopicPrefix] = name
		}
	}
	if v, ok := props[keyTasksMax]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n != 1 {
			return nil, connect.InvalidValueError(keyTasksMax, v, "the PostgreSQL CDC connector reads one replication slot and runs exactly one task; set tasks.max=1")
		}
	}
	c, err := ConfigDef().Parse(props)
	if err != nil {
		return nil, err
	}
	filter, err := newTableFilter(c.Get(keySchemaInclude), c.Get(keySchemaExclude), c.Get(keyTableInclude), c.Get(keyTableExclude), c.Get(keyColumnInclude), c.Get(keyColumnExclude))
	if err != nil {
		return nil, err
	}
	cfg := &config{
		host: c.String(keyHostname), port: c.Int(keyPort), user: c.String(keyUser), password: c.Password(keyPassword).Value(),
		dbname: c.String(keyDBName), sslMode: c.String(keySSLMode), connectTimeout: time.Duration(c.Int(keyConnectTimeout)) * time.Millisecond,
		topicPrefix: c.String(keyTopicPrefix), slotName: c.String(keySlotName), slotDropOnStop: c.Bool(keySlotDropOnStop),
		publication: c.String(keyPublicationName), publicationMode: c.String(keyPublicationMode),
		statusInterval: time.Duration(c.Int(keyStatusInterval)) * time.Millisecond,
		filter:         filter, snapshotMode: c.String(keySnapshotMode),
		heartbeat:      time.Duration(c.Int(keyHeartbeatInterval)) * time.Millisecond,
		heartbeatQuery: c.String(keyHeartbeatQuery),
		heartbeatTopic: c.String(keyHeartbeatPrefix) + "." + c.String(keyTopicPrefix),
		tombstones:     c.Bool(keyTombstones), skipped: map[string]bool{},
		decimalMode: c.String(keyDecimalMode), timePrecision: c.String(keyTimePrecision), binaryMode: c.String(keyBinaryMode),
		intervalMode: c.String(keyIntervalMode), unknownTypes: c.Bool(keyUnknownTypes), toastPlaceholder: c.String(keyToastPlaceholder),
		moneyDigits: c.Int(keyMoneyDigits), maxBatch: c.Int(keyMaxBatchSize), maxQueue: c.Int(keyMaxQueueSize),
		pollInterval: time.Duration(c.Int(keyPollInterval)) * time.Millisecond, fetchSize: c.Int(keySnapshotFetchSize),
	}
	if cfg.keyColumns, err = parseKeyColumns(c.String(keyMessageKeyColumns)); err != nil {
		return nil, connect.InvalidValueError(keyMessageKeyColumns, c.String(keyMessageKeyColumns), err.Error())
	}
	if cfg.snapshotMode == snapNever {
		cfg.snapshotMode = snapNoData
	}
	for _, op := range c.List(keySkippedOps) {
		if op != "none" {
			cfg.skipped[op] = true
		}
	}
	if cfg.maxQueue < cfg.maxBatch {
		return nil, connect.InvalidValueError(keyMaxQueueSize, cfg.maxQueue, "must be at least max.batch.size ("+strconv.Itoa(cfg.maxBatch)+")")
	}
	return cfg, nil
}

// keyColumnRules is message.key.columns: per table pattern, the columns
// that make up the record key.
type keyColumnRules []keyColumnRule

type keyColumnRule struct {
	table   *regexp.Regexp
	columns []string
}

func keyColumnsValidator() connect.Validator {
	return connect.ValidatorFunc("<table regex>:<columns>;...", func(name string, v any) error {
		if _, err := parseKeyColumns(v.(string)); err != nil {
			return connect.InvalidValueError(name, v, err.Error())
		}
		return nil
	})
}

func parseKeyColumns(s string) (keyColumnRules, error) {
	var out keyColumnRules
	for _, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		i := strings.LastIndex(entry, ":")
		if i <= 0 || i == len(entry)-1 {
			return nil, fmt.Errorf("entry %q must look like <table regex>:<column>,<column>", entry)
		}
		re, err := regexp.Compile(`(?i)^(?:` + strings.TrimSpace(entry[:i]) + `)$`)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %v", entry, err)
		}
		var cols []string
		for _, c := range strings.Split(entry[i+1:], ",") {
			if c = strings.TrimSpace(c); c != "" {
				cols = append(cols, c)
			}
		}
		out = append(out, keyColumnRule{table: re, columns: cols})
	}
	return out, nil
}

// forTable returns the key columns of schema.table, or nil to use the
// primary key. Naming a column the table lacks is an error.
func (r keyColumnRules) forTable(schema, table string, cols []catalogColumn) (map[string]bool, error) {
	for _, rule := range r {
		if !rule.table.MatchString(schema + "." + table) {
			continue
		}
		out := map[string]bool{}
		for _, want := range rule.columns {
			found := false
			for _, c := range cols {
				if c.name == want {
					found = true
				}
			}
			if !found {
				return nil, fmt.Errorf("message.key.columns names column %q, which table %s.%s does not have", want, schema, table)
			}
			out[want] = true
		}
		return out, nil
	}
	return nil, nil
}
