package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect"
)

// Sink keys, named as Confluent's JdbcSinkConfig.
const (
	cfgInsertMode        = "insert.mode"
	cfgBatchSize         = "batch.size"
	cfgDeleteEnabled     = "delete.enabled"
	cfgTableNameFormat   = "table.name.format"
	cfgPKMode            = "pk.mode"
	cfgPKFields          = "pk.fields"
	cfgFieldsWhitelist   = "fields.whitelist"
	cfgFieldsIncludeList = "fields.include.list"
	cfgDBTimezoneDate    = "db.timezone.date"
	cfgAutoCreate        = "auto.create"
	cfgAutoEvolve        = "auto.evolve"
	cfgMaxRetries        = "max.retries"
	cfgRetryBackoff      = "retry.backoff.ms"
)

// Insert modes.
const (
	insertModeInsert = "insert"
	insertModeUpsert = "upsert"
	insertModeUpdate = "update"
)

// Primary key modes.
const (
	pkModeNone        = "none"
	pkModeKafka       = "kafka"
	pkModeRecordKey   = "record_key"
	pkModeRecordValue = "record_value"
)

// defaultKafkaPKNames are the pk.mode=kafka columns when pk.fields is empty.
var defaultKafkaPKNames = []string{"__connect_topic", "__connect_partition", "__connect_offset"}

// pkModeRecommender restricts pk.mode to record_key when deletes are on,
// as Confluent's PrimaryKeyModeRecommender.
type pkModeRecommender struct{}

func (pkModeRecommender) ValidValues(_ string, parsed map[string]any) []any {
	if on, _ := parsed[cfgDeleteEnabled].(bool); on {
		return []any{pkModeRecordKey}
	}
	return []any{pkModeNone, pkModeKafka, pkModeRecordKey, pkModeRecordValue}
}

func (pkModeRecommender) Visible(string, map[string]any) bool { return true }

// sinkConfigDef declares the sink's keys.
func sinkConfigDef() *connect.ConfigDef {
	const conn, writes, mapping, ddl, retries = "Connection", "Writes", "Data Mapping", "DDL Support", "Retries"
	d := connect.NewConfigDef()
	defineConnectionKeys(d, conn)
	d.Define(connect.ConfigKey{Name: cfgInsertMode, Type: connect.TypeString, Default: insertModeInsert,
		Validator:  enumValidator(insertModeInsert, insertModeUpsert, insertModeUpdate),
		Importance: connect.ImportanceHigh, Group: writes, OrderInGroup: 1, Width: connect.WidthMedium, DisplayName: "Insert Mode",
		Doc: "insert: plain inserts (bulk COPY); upsert: INSERT ... ON CONFLICT (pk) DO UPDATE; update: UPDATE ... WHERE pk."}).
		Define(connect.ConfigKey{Name: cfgBatchSize, Type: connect.TypeInt, Default: 3000, Validator: connect.AtLeast(0),
			Importance: connect.ImportanceMedium, Group: writes, OrderInGroup: 2, Width: connect.WidthShort, DisplayName: "Batch Size",
			Doc: "Maximum number of records sent to the database in one statement or COPY; all records of one put are still written in one transaction."}).
		Define(connect.ConfigKey{Name: cfgDeleteEnabled, Type: connect.TypeBoolean, Default: false,
			Importance: connect.ImportanceMedium, Group: writes, OrderInGroup: 3, Width: connect.WidthShort, DisplayName: "Enable deletes",
			Doc: "Whether to treat null record values (tombstones) as deletes. Requires pk.mode to be record_key."}).
		Define(connect.ConfigKey{Name: cfgTableTypes, Type: connect.TypeList, Default: "TABLE",
			Validator:  connect.ValidList("TABLE", "VIEW", "PARTITIONED TABLE"),
			Importance: connect.ImportanceLow, Group: writes, OrderInGroup: 4, Width: connect.WidthMedium, DisplayName: "Table Types",
			Doc: "Kinds of relations the sink may write to: TABLE, PARTITIONED TABLE, VIEW."}).
		Define(connect.ConfigKey{Name: cfgTableNameFormat, Type: connect.TypeString, Default: "${topic}", Validator: connect.NonEmptyString(),
			Importance: connect.ImportanceMedium, Group: mapping, OrderInGroup: 1, Width: connect.WidthLong, DisplayName: "Table Name Format",
			Doc: "Destination table name; ${topic} is replaced by the record's topic. May be schema-qualified (myschema.${topic})."}).
		Define(connect.ConfigKey{Name: cfgPKMode, Type: connect.TypeString, Default: pkModeNone,
			Validator:   enumValidator(pkModeNone, pkModeKafka, pkModeRecordKey, pkModeRecordValue),
			Recommender: pkModeRecommender{}, Importance: connect.ImportanceHigh, Group: mapping, OrderInGroup: 2,
			Width: connect.WidthMedium, DisplayName: "Primary Key Mode",
			Doc: "none, kafka (__connect_topic, __connect_partition, __connect_offset), record_key or record_value."}).
		Define(connect.ConfigKey{Name: cfgPKFields, Type: connect.TypeList, Default: "",
			Importance: connect.ImportanceMedium, Group: mapping, OrderInGroup: 3, Width: connect.WidthLong, DisplayName: "Primary Key Fields",
			Doc: "Primary key columns, read per pk.mode: kafka: three names (default __connect_topic,__connect_partition,__connect_offset); " +
				"record_key: key struct fields (empty = all), or exactly one name for a primitive key; record_value: value fields (empty = all)."}).
		Define(connect.ConfigKey{Name: cfgFieldsWhitelist, Type: connect.TypeList, Default: "",
			Importance: connect.ImportanceMedium, Group: mapping, OrderInGroup: 4, Width: connect.WidthLong, DisplayName: "Fields Whitelist",
			Doc: "Value fields to write besides the primary key; empty writes all."}).
		Define(connect.ConfigKey{Name: cfgFieldsIncludeList, Type: connect.TypeList, Default: "",
			Importance: connect.ImportanceLow, Group: mapping, OrderInGroup: 5, Width: connect.WidthLong, DisplayName: "Fields Include List",
			Doc: "Synonym of fields.whitelist; set one or the other."}).
		Define(connect.ConfigKey{Name: cfgDBTimezone, Type: connect.TypeString, Default: "UTC", Validator: timezoneValidator,
			Importance: connect.ImportanceMedium, Group: mapping, OrderInGroup: 6, Width: connect.WidthMedium, DisplayName: "DB Time Zone",
			Doc: "Time zone in which timestamps are written to TIMESTAMP (without time zone) columns."}).
		Define(connect.ConfigKey{Name: cfgDBTimezoneDate, Type: connect.TypeString, Default: "NONE", Validator: enumValidator("none", "utc"),
			Importance: connect.ImportanceLow, Group: mapping, OrderInGroup: 7, Width: connect.WidthMedium, DisplayName: "DB Time Zone for Date",
			Doc: "Accepted for compatibility: Connect Date values are always written as their UTC calendar date."}).
		Define(connect.ConfigKey{Name: cfgAutoCreate, Type: connect.TypeBoolean, Default: false,
			Importance: connect.ImportanceMedium, Group: ddl, OrderInGroup: 1, Width: connect.WidthShort, DisplayName: "Auto-Create",
			Doc: "Create a missing destination table from the record schema."}).
		Define(connect.ConfigKey{Name: cfgAutoEvolve, Type: connect.TypeBoolean, Default: false,
			Importance: connect.ImportanceMedium, Group: ddl, OrderInGroup: 2, Width: connect.WidthShort, DisplayName: "Auto-Evolve",
			Doc: "Add columns missing from the table (ALTER TABLE ... ADD) for new optional fields or fields with a default."}).
		Define(connect.ConfigKey{Name: cfgQuoteSQLIdentifiers, Type: connect.TypeString, Default: "always",
			Validator:  connect.CaseInsensitiveValidString("always", "never"),
			Importance: connect.ImportanceMedium, Group: ddl, OrderInGroup: 3, Width: connect.WidthMedium, DisplayName: "Quote Identifiers",
			Doc: "always: quote table and column names (case-sensitive); never: write them bare (folded to lower case)."}).
		Define(connect.ConfigKey{Name: cfgMaxRetries, Type: connect.TypeInt, Default: 10, Validator: connect.AtLeast(0),
			Importance: connect.ImportanceMedium, Group: retries, OrderInGroup: 1, Width: connect.WidthShort, DisplayName: "Maximum Retries",
			Doc: "How many times a put that failed for a transient reason (lost connection, deadlock) is retried before the task fails."}).
		Define(connect.ConfigKey{Name: cfgRetryBackoff, Type: connect.TypeInt, Default: 3000, Validator: connect.AtLeast(0),
			Importance: connect.ImportanceMedium, Group: retries, OrderInGroup: 2, Width: connect.WidthShort, DisplayName: "Retry Backoff (millis)",
			Doc: "Time to wait after a transient error before the records are redelivered."})
	return d
}

// sinkConfig is the parsed, cross-checked sink configuration.
type sinkConfig struct {
	name        string
	conn        connSettings
	insertMode  string
	batchSize   int
	deletes     bool
	tableTypes  []string
	tableFormat string
	pkMode      string
	pkFields    []string
	fieldsAllow map[string]bool // nil = all fields
	autoCreate  bool
	autoEvolve  bool
	quote       quoting
	maxRetries  int
	retryDelay  time.Duration
}

// validateSink checks each key and the rules that span keys, returning one
// result per key (what the REST validate endpoint shows).
func validateSink(props map[string]string) []connect.ConfigValue {
	values := sinkConfigDef().Validate(props)
	pk, pkOK := valueOf(values, cfgPKMode)
	del, _ := valueOf(values, cfgDeleteEnabled)
	if on, _ := del.(bool); on && pkOK && !strings.EqualFold(fmt.Sprint(pk), pkModeRecordKey) {
		// Confluent's JdbcSinkConnector.validate message.
		values = setError(values, cfgPKMode, fmt.Sprintf("'%v' is invalid: Deletes are only supported for pk.mode 'record_key'", pk))
	}
	mode, modeOK := valueOf(values, cfgInsertMode)
	if m := strings.ToLower(fmt.Sprint(mode)); modeOK && pkOK && (m == insertModeUpsert || m == insertModeUpdate) &&
		strings.EqualFold(fmt.Sprint(pk), pkModeNone) {
		values = setError(values, cfgPKMode, fmt.Sprintf("insert.mode=%s needs primary key columns, but pk.mode is 'none'; use kafka, record_key or record_value", m))
	}
	wl, _ := valueOf(values, cfgFieldsWhitelist)
	il, _ := valueOf(values, cfgFieldsIncludeList)
	if a, b := wl.([]string), il.([]string); len(a) > 0 && len(b) > 0 {
		values = setError(values, cfgFieldsIncludeList, "fields.include.list and fields.whitelist are synonyms; set only one")
	}
	if pf, _ := valueOf(values, cfgPKFields); pkOK && strings.EqualFold(fmt.Sprint(pk), pkModeKafka) {
		if l, _ := pf.([]string); len(l) != 0 && len(l) != 3 {
			values = setError(values, cfgPKFields, fmt.Sprintf("pk.mode is kafka so pk.fields must be empty (for the defaults %s) or name exactly 3 columns, got %v",
				strings.Join(defaultKafkaPKNames, ","), l))
		}
	}
	return values
}

// parseSinkConfig validates props and returns the parsed configuration, or
// an error naming every bad key.
func parseSinkConfig(props map[string]string) (*sinkConfig, error) {
	if err := configErrors(validateSink(props)); err != nil {
		return nil, err
	}
	c, err := sinkConfigDef().Parse(props)
	if err != nil {
		return nil, err
	}
	cs, err := connSettingsFrom(c)
	if err != nil {
		return nil, err
	}
	sc := &sinkConfig{
		name:        props["name"],
		conn:        cs,
		insertMode:  strings.ToLower(c.String(cfgInsertMode)),
		batchSize:   c.Int(cfgBatchSize),
		deletes:     c.Bool(cfgDeleteEnabled),
		tableTypes:  c.List(cfgTableTypes),
		tableFormat: strings.TrimSpace(c.String(cfgTableNameFormat)),
		pkMode:      strings.ToLower(c.String(cfgPKMode)),
		pkFields:    c.List(cfgPKFields),
		autoCreate:  c.Bool(cfgAutoCreate),
		autoEvolve:  c.Bool(cfgAutoEvolve),
		quote:       parseQuoting(c.String(cfgQuoteSQLIdentifiers)),
		maxRetries:  c.Int(cfgMaxRetries),
		retryDelay:  time.Duration(c.Int(cfgRetryBackoff)) * time.Millisecond,
	}
	allow := c.List(cfgFieldsWhitelist)
	if len(allow) == 0 {
		allow = c.List(cfgFieldsIncludeList)
	}
	if len(allow) > 0 {
		sc.fieldsAllow = map[string]bool{}
		for _, f := range allow {
			sc.fieldsAllow[f] = true
		}
	}
	if sc.batchSize == 0 {
		sc.batchSize = 3000
	}
	return sc, nil
}

// tableFor applies table.name.format to a topic.
func (c *sinkConfig) tableFor(topic string) (tableID, error) {
	name := strings.ReplaceAll(c.tableFormat, "${topic}", topic)
	if name == "" {
		return tableID{}, fmt.Errorf("destination table name for topic '%s' is empty using the format string '%s'", topic, c.tableFormat)
	}
	id, err := parseTableID(name)
	if err != nil {
		return tableID{}, fmt.Errorf("table.name.format %q gives a bad table name for topic %q: %w", c.tableFormat, topic, err)
	}
	return id, nil
}
