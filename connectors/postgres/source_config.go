package postgres

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect"
)

// Source keys, named as Confluent's JdbcSourceConnectorConfig.
const (
	cfgMode                  = "mode"
	cfgIncrementingColumn    = "incrementing.column.name"
	cfgTimestampColumns      = "timestamp.column.name"
	cfgTimestampInitial      = "timestamp.initial"
	cfgValidateNonNull       = "validate.non.null"
	cfgQuery                 = "query"
	cfgQuerySuffix           = "query.suffix"
	cfgTableWhitelist        = "table.whitelist"
	cfgTableBlacklist        = "table.blacklist"
	cfgTableIncludeList      = "table.include.list"
	cfgTableExcludeList      = "table.exclude.list"
	cfgSchemaPattern         = "schema.pattern"
	cfgCatalogPattern        = "catalog.pattern"
	cfgNumericMapping        = "numeric.mapping"
	cfgNumericPrecisionMap   = "numeric.precision.mapping"
	cfgPollInterval          = "poll.interval.ms"
	cfgBatchMaxRows          = "batch.max.rows"
	cfgTablePollInterval     = "table.poll.interval.ms"
	cfgTopicPrefix           = "topic.prefix"
	cfgTimestampDelay        = "timestamp.delay.interval.ms"
	cfgTimestampGranularity  = "timestamp.granularity"
	cfgTaskTables            = "tables" // task config: JSON list of the task's tables
	timestampInitialCurrent  = -1
	numericMappingNone       = "none"
	numericMappingPrecision  = "precision_only"
	numericMappingBestFit    = "best_fit"
	numericMappingBestFitDbl = "best_fit_eager_double"
)

// Modes.
const (
	modeBulk                  = "bulk"
	modeIncrementing          = "incrementing"
	modeTimestamp             = "timestamp"
	modeTimestampIncrementing = "timestamp+incrementing"
)

// modeDependents hides the column keys that a mode does not use, as
// Confluent's ModeDependentsRecommender.
type modeDependents struct{}

func (modeDependents) ValidValues(string, map[string]any) []any { return []any{} }

func (modeDependents) Visible(name string, parsed map[string]any) bool {
	mode, _ := parsed[cfgMode].(string)
	incr := name == cfgIncrementingColumn || name == cfgValidateNonNull
	switch mode {
	case modeBulk:
		return false
	case modeTimestamp:
		return name == cfgTimestampColumns || name == cfgValidateNonNull
	case modeIncrementing:
		return incr
	}
	return true
}

func sourceConfigDef() *connect.ConfigDef {
	const db, mode, conn = "Database", "Mode", "Connector"
	d := connect.NewConfigDef()
	defineConnectionKeys(d, db)
	d.Define(connect.ConfigKey{Name: cfgTableWhitelist, Type: connect.TypeList, Default: "", Importance: connect.ImportanceMedium,
		Group: db, OrderInGroup: 7, Width: connect.WidthLong, DisplayName: "Table Whitelist",
		Doc: "Tables to copy (bare or schema-qualified names). If set, table.blacklist may not be."}).
		Define(connect.ConfigKey{Name: cfgTableBlacklist, Type: connect.TypeList, Default: "", Importance: connect.ImportanceMedium,
			Group: db, OrderInGroup: 8, Width: connect.WidthLong, DisplayName: "Table Blacklist",
			Doc: "Tables not to copy. If set, table.whitelist may not be."}).
		Define(connect.ConfigKey{Name: cfgTableIncludeList, Type: connect.TypeList, Default: "", Validator: regexList, Importance: connect.ImportanceMedium,
			Group: db, OrderInGroup: 9, Width: connect.WidthLong, DisplayName: "Table Include List",
			Doc: "Regular expressions matching the fully qualified names (schema.table or db.schema.table) of tables to copy."}).
		Define(connect.ConfigKey{Name: cfgTableExcludeList, Type: connect.TypeList, Default: "", Validator: regexList, Importance: connect.ImportanceMedium,
			Group: db, OrderInGroup: 10, Width: connect.WidthLong, DisplayName: "Table Exclude List",
			Doc: "Regular expressions matching the fully qualified names of tables not to copy."}).
		Define(connect.ConfigKey{Name: cfgCatalogPattern, Type: connect.TypeString, Importance: connect.ImportanceMedium,
			Group: db, OrderInGroup: 11, Width: connect.WidthShort, DisplayName: "Catalog pattern",
			Doc: "Accepted for compatibility; a PostgreSQL connection sees one database."}).
		Define(connect.ConfigKey{Name: cfgSchemaPattern, Type: connect.TypeString, Importance: connect.ImportanceHigh,
			Group: db, OrderInGroup: 12, Width: connect.WidthShort, DisplayName: "Schema pattern",
			Doc: "LIKE pattern of the schemas to read tables from; null (default) reads every non-system schema."}).
		Define(connect.ConfigKey{Name: cfgNumericPrecisionMap, Type: connect.TypeBoolean, Default: false, Importance: connect.ImportanceLow,
			Group: db, OrderInGroup: 13, Width: connect.WidthShort, DisplayName: "Map Numeric Values By Precision (deprecated)",
			Doc: "Deprecated: numeric.mapping=precision_only."}).
		Define(connect.ConfigKey{Name: cfgNumericMapping, Type: connect.TypeString,
			Validator:  connect.OrNull(enumValidator(numericMappingNone, numericMappingPrecision, numericMappingBestFit, numericMappingBestFitDbl)),
			Importance: connect.ImportanceLow, Group: db, OrderInGroup: 14, Width: connect.WidthShort, DisplayName: "Map Numeric Values, Integral or Decimal, By Precision and Scale",
			Doc: "How NUMERIC columns map: none (Decimal), precision_only, best_fit (integers or FLOAT64 by precision and scale), best_fit_eager_double."}).
		Define(connect.ConfigKey{Name: cfgDBTimezone, Type: connect.TypeString, Default: "UTC", Validator: timezoneValidator,
			Importance: connect.ImportanceMedium, Group: db, OrderInGroup: 15, Width: connect.WidthMedium, DisplayName: "DB time zone",
			Doc: "Time zone of TIMESTAMP (without time zone) values, for reading them and for time-based criteria."})
	d.Define(connect.ConfigKey{Name: cfgMode, Type: connect.TypeString, Default: "",
		Validator:  connect.ValidString("", modeBulk, modeTimestamp, modeIncrementing, modeTimestampIncrementing),
		Importance: connect.ImportanceHigh, Group: mode, OrderInGroup: 1, Width: connect.WidthMedium, DisplayName: "Table Loading Mode",
		Dependents: []string{cfgIncrementingColumn, cfgTimestampColumns, cfgValidateNonNull},
		Doc: "bulk: copy whole tables every poll; incrementing: new rows by a strictly increasing column; " +
			"timestamp: new and modified rows by timestamp columns; timestamp+incrementing: both, for a unique and complete order."}).
		Define(connect.ConfigKey{Name: cfgIncrementingColumn, Type: connect.TypeString, Default: "", Recommender: modeDependents{},
			Importance: connect.ImportanceMedium, Group: mode, OrderInGroup: 2, Width: connect.WidthMedium, DisplayName: "Incrementing Column Name",
			Doc: "Strictly increasing, non-null column; empty detects a serial or identity column."}).
		Define(connect.ConfigKey{Name: cfgTimestampColumns, Type: connect.TypeList, Default: "", Recommender: modeDependents{},
			Importance: connect.ImportanceMedium, Group: mode, OrderInGroup: 3, Width: connect.WidthMedium, DisplayName: "Timestamp Column Name",
			Doc: "One or more timestamp columns, COALESCEd in order, to detect new or modified rows."}).
		Define(connect.ConfigKey{Name: cfgTimestampInitial, Type: connect.TypeLong, Importance: connect.ImportanceLow,
			Group: mode, OrderInGroup: 4, Width: connect.WidthMedium, DisplayName: "Initial timestamp",
			Doc: "Epoch milliseconds to start timestamp modes from when no offset is stored; -1 means now; null (default) reads everything."}).
		Define(connect.ConfigKey{Name: cfgValidateNonNull, Type: connect.TypeBoolean, Default: true, Recommender: modeDependents{},
			Importance: connect.ImportanceLow, Group: mode, OrderInGroup: 5, Width: connect.WidthShort, DisplayName: "Validate Non Null",
			Doc: "Fail at start if the incrementing column or all timestamp columns are nullable."}).
		Define(connect.ConfigKey{Name: cfgQuery, Type: connect.TypeString, Default: "", Importance: connect.ImportanceMedium,
			Group: mode, OrderInGroup: 6, Width: connect.WidthShort, DisplayName: "Query",
			Doc: "Custom query instead of whole tables; the incremental modes append a WHERE clause, so it must not have one."}).
		Define(connect.ConfigKey{Name: cfgQuerySuffix, Type: connect.TypeString, Default: "", Importance: connect.ImportanceLow,
			Group: mode, OrderInGroup: 7, Width: connect.WidthMedium, DisplayName: "Query suffix",
			Doc: "Text appended to every query (after WHERE and ORDER BY)."}).
		Define(connect.ConfigKey{Name: cfgQuoteSQLIdentifiers, Type: connect.TypeString, Default: "always",
			Validator:  connect.CaseInsensitiveValidString("always", "never"),
			Importance: connect.ImportanceMedium, Group: mode, OrderInGroup: 8, Width: connect.WidthMedium, DisplayName: "Quote Identifiers",
			Doc: "always: quote table and column names; never: write them bare."}).
		Define(connect.ConfigKey{Name: cfgTimestampGranularity, Type: connect.TypeString, Default: "connect_logical",
			Validator:  connect.ValidString("connect_logical"),
			Importance: connect.ImportanceLow, Group: mode, OrderInGroup: 9, Width: connect.WidthMedium, DisplayName: "Timestamp granularity",
			Doc: "How timestamps are represented; only connect_logical (Connect Timestamp, milliseconds) is supported."})
	d.Define(connect.ConfigKey{Name: cfgTableTypes, Type: connect.TypeList, Default: "TABLE",
		Validator:  connect.ValidList("TABLE", "VIEW", "MATERIALIZED VIEW", "PARTITIONED TABLE", "FOREIGN TABLE"),
		Importance: connect.ImportanceLow, Group: conn, OrderInGroup: 1, Width: connect.WidthMedium, DisplayName: "Table Types",
		Doc: "Kinds of relations to copy: TABLE, VIEW, MATERIALIZED VIEW, PARTITIONED TABLE, FOREIGN TABLE."}).
		Define(connect.ConfigKey{Name: cfgPollInterval, Type: connect.TypeInt, Default: 5000, Validator: connect.AtLeast(0),
			Importance: connect.ImportanceHigh, Group: conn, OrderInGroup: 2, Width: connect.WidthShort, DisplayName: "Poll Interval (ms)",
			Doc: "How often each table is queried for new data."}).
		Define(connect.ConfigKey{Name: cfgBatchMaxRows, Type: connect.TypeInt, Default: 100, Validator: connect.AtLeast(1),
			Importance: connect.ImportanceLow, Group: conn, OrderInGroup: 3, Width: connect.WidthShort, DisplayName: "Max Rows Per Batch",
			Doc: "Maximum number of rows returned by one poll."}).
		Define(connect.ConfigKey{Name: cfgTablePollInterval, Type: connect.TypeLong, Default: int64(60000), Validator: connect.AtLeast(0),
			Importance: connect.ImportanceLow, Group: conn, OrderInGroup: 4, Width: connect.WidthShort, DisplayName: "Metadata Change Monitoring Interval (ms)",
			Doc: "How often to look for added or removed tables and reconfigure the tasks."}).
		Define(connect.ConfigKey{Name: cfgTopicPrefix, Type: connect.TypeString, Required: true, Importance: connect.ImportanceHigh,
			Group: conn, OrderInGroup: 5, Width: connect.WidthMedium, DisplayName: "Topic Prefix",
			Doc: "Prefix of the topic names (prefix + table name), or the whole topic name in query mode."}).
		Define(connect.ConfigKey{Name: cfgTimestampDelay, Type: connect.TypeLong, Default: int64(0), Validator: connect.AtLeast(0),
			Importance: connect.ImportanceHigh, Group: conn, OrderInGroup: 6, Width: connect.WidthMedium, DisplayName: "Delay Interval (ms)",
			Doc: "How long after its timestamp a row becomes eligible, to let transactions with earlier timestamps commit."})
	return d
}

var regexList = connect.ValidatorFunc("list of valid regular expressions", func(name string, v any) error {
	l, _ := v.([]string)
	for _, s := range l {
		if _, err := regexp.Compile("^(?:" + s + ")$"); err != nil {
			return connect.InvalidValueError(name, v, err.Error())
		}
	}
	return nil
})

// sourceConfig is the parsed, cross-checked source configuration.
type sourceConfig struct {
	name           string
	conn           connSettings
	mode           string
	incrementing   string
	timestampCols  []string
	tsInitial      *int64
	validateNull   bool
	query          string
	querySuffix    string
	whitelist      []string
	blacklist      []string
	include        []*regexp.Regexp
	exclude        []*regexp.Regexp
	schemaPattern  *string
	numericMapping string
	tableTypes     []string
	pollInterval   time.Duration
	batchMaxRows   int
	tablePoll      time.Duration
	topicPrefix    string
	tsDelay        time.Duration
	quote          quoting
}

func validateSource(props map[string]string) []connect.ConfigValue {
	values := sourceConfigDef().Validate(props)
	get := func(k string) any { v, _ := valueOf(values, k); return v }
	str := func(k string) string { s, _ := get(k).(string); return s }
	list := func(k string) []string { l, _ := get(k).([]string); return l }
	mode := str(cfgMode)
	if mode == "" {
		if _, ok := valueOf(values, cfgMode); ok {
			values = setError(values, cfgMode, "Query mode must be specified: set mode to bulk, incrementing, timestamp or timestamp+incrementing")
		}
	}
	if len(list(cfgTableWhitelist)) > 0 && len(list(cfgTableBlacklist)) > 0 {
		values = setError(values, cfgTableBlacklist, "table.whitelist and table.blacklist are mutually exclusive; set only one")
	}
	if (len(list(cfgTableWhitelist)) > 0 || len(list(cfgTableBlacklist)) > 0) && (len(list(cfgTableIncludeList)) > 0 || len(list(cfgTableExcludeList)) > 0) {
		values = setError(values, cfgTableIncludeList, "table.include.list/table.exclude.list replace table.whitelist/table.blacklist; do not mix them")
	}
	if q := strings.TrimSpace(str(cfgQuery)); q != "" {
		for _, k := range []string{cfgTableWhitelist, cfgTableBlacklist, cfgTableIncludeList, cfgTableExcludeList} {
			if len(list(k)) > 0 {
				values = setError(values, k, "query and "+k+" are mutually exclusive: a query replaces table copying")
			}
		}
	}
	if (mode == modeTimestamp || mode == modeTimestampIncrementing) && len(list(cfgTimestampColumns)) == 0 {
		values = setError(values, cfgTimestampColumns, fmt.Sprintf("mode %s needs timestamp.column.name", mode))
	}
	if mode == modeTimestamp && len(list(cfgTimestampColumns)) > 0 && str(cfgIncrementingColumn) != "" {
		values = setError(values, cfgIncrementingColumn, "incrementing.column.name is only used by modes incrementing and timestamp+incrementing")
	}
	if strings.TrimSpace(str(cfgQuery)) != "" && (mode == modeIncrementing || mode == modeTimestampIncrementing) && str(cfgIncrementingColumn) == "" {
		values = setError(values, cfgIncrementingColumn, "with a query, incrementing.column.name must be set (it cannot be detected)")
	}
	return values
}

func parseSourceConfig(props map[string]string) (*sourceConfig, error) {
	if err := configErrors(validateSource(props)); err != nil {
		return nil, err
	}
	c, err := sourceConfigDef().Parse(props)
	if err != nil {
		return nil, err
	}
	cs, err := connSettingsFrom(c)
	if err != nil {
		return nil, err
	}
	sc := &sourceConfig{
		name:          props["name"],
		conn:          cs,
		mode:          c.String(cfgMode),
		incrementing:  c.String(cfgIncrementingColumn),
		timestampCols: c.List(cfgTimestampColumns),
		validateNull:  c.Bool(cfgValidateNonNull),
		query:         strings.TrimSpace(c.String(cfgQuery)),
		querySuffix:   c.String(cfgQuerySuffix),
		whitelist:     c.List(cfgTableWhitelist),
		blacklist:     c.List(cfgTableBlacklist),
		tableTypes:    c.List(cfgTableTypes),
		pollInterval:  time.Duration(c.Int(cfgPollInterval)) * time.Millisecond,
		batchMaxRows:  c.Int(cfgBatchMaxRows),
		tablePoll:     time.Duration(c.Long(cfgTablePollInterval)) * time.Millisecond,
		topicPrefix:   c.String(cfgTopicPrefix),
		tsDelay:       time.Duration(c.Long(cfgTimestampDelay)) * time.Millisecond,
		quote:         parseQuoting(c.String(cfgQuoteSQLIdentifiers)),
	}
	if !c.IsNull(cfgTimestampInitial) {
		v := c.Long(cfgTimestampInitial)
		sc.tsInitial = &v
	}
	if !c.IsNull(cfgSchemaPattern) {
		v := c.String(cfgSchemaPattern)
		sc.schemaPattern = &v
	}
	sc.numericMapping = numericMappingNone
	if c.Bool(cfgNumericPrecisionMap) {
		sc.numericMapping = numericMappingPrecision
	}
	if !c.IsNull(cfgNumericMapping) {
		sc.numericMapping = strings.ToLower(c.String(cfgNumericMapping))
	}
	for _, s := range c.List(cfgTableIncludeList) {
		sc.include = append(sc.include, regexp.MustCompile("^(?:"+s+")$"))
	}
	for _, s := range c.List(cfgTableExcludeList) {
		sc.exclude = append(sc.exclude, regexp.MustCompile("^(?:"+s+")$"))
	}
	return sc, nil
}

// wants reports whether the table filters select a table.
func (c *sourceConfig) wants(db string, t tableID) bool {
	names := []string{t.name, t.schema + "." + t.name, db + "." + t.schema + "." + t.name}
	matchName := func(list []string) bool {
		for _, w := range list {
			if w == names[0] || w == names[1] || w == names[2] {
				return true
			}
		}
		return false
	}
	matchRe := func(list []*regexp.Regexp) bool {
		for _, re := range list {
			if re.MatchString(names[1]) || re.MatchString(names[2]) {
				return true
			}
		}
		return false
	}
	switch {
	case len(c.whitelist) > 0 && !matchName(c.whitelist):
		return false
	case len(c.blacklist) > 0 && matchName(c.blacklist):
		return false
	case len(c.include) > 0 && !matchRe(c.include):
		return false
	case len(c.exclude) > 0 && matchRe(c.exclude):
		return false
	}
	return true
}
