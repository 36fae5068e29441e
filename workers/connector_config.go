package workers

import (
	"regexp"
	"strings"

	"github.com/runnel-dev/runnel/connect"
)

// Connector configuration keys the framework defines for every connector
// (Kafka's ConnectorConfig, SourceConnectorConfig and SinkConnectorConfig).
const (
	NameConfig                   = "name"
	ConnectorClassConfig         = "connector.class"
	TasksMaxConfig               = "tasks.max"
	TasksMaxEnforceConfig        = "tasks.max.enforce"
	TransformsConfig             = "transforms"
	PredicatesConfig             = "predicates"
	ConfigReloadActionConfig     = "config.action.reload"
	ErrorsRetryTimeoutConfig     = "errors.retry.timeout"
	ErrorsRetryMaxDelayConfig    = "errors.retry.delay.max.ms"
	ErrorsToleranceConfig        = "errors.tolerance"
	ErrorsLogEnableConfig        = "errors.log.enable"
	ErrorsLogIncludeMsgsConfig   = "errors.log.include.messages"
	TopicsConfig                 = "topics"
	TopicsRegexConfig            = "topics.regex"
	DLQTopicConfig               = "errors.deadletterqueue.topic.name"
	DLQReplicationFactorConfig   = "errors.deadletterqueue.topic.replication.factor"
	DLQContextHeadersConfig      = "errors.deadletterqueue.context.headers.enable"
	TopicCreationGroupsConfig    = "topic.creation.groups"
	ExactlyOnceSupportConfig     = "exactly.once.support"
	TransactionBoundaryConfig    = "transaction.boundary"
	TransactionBoundaryIntConfig = "transaction.boundary.interval.ms"
	OffsetsStorageTopicConfig    = "offsets.storage.topic"

	// TaskClassConfig is added to every task configuration, as Kafka does.
	TaskClassConfig = "task.class"

	groupCommon     = "Common"
	groupTransforms = "Transforms"
	groupPredicates = "Predicates"
	groupErrors     = "Error Handling"
	groupTopicCreat = "Topic Creation"
	groupEOS        = "Exactly Once Support"
	groupOffsets    = "offsets.topic"
)

// commonConnectorConfigDef is Kafka's ConnectorConfig.configDef().
func commonConnectorConfigDef() *connect.ConfigDef {
	order, errOrder := 0, 0
	next := func(p *int) int { *p++; return *p }
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: NameConfig, Type: connect.TypeString, Required: true, Validator: connect.NonEmptyStringWithoutControlChars(), Importance: connect.ImportanceHigh,
			Doc: "Globally unique name to use for this connector.", Group: groupCommon, OrderInGroup: next(&order), Width: connect.WidthMedium, DisplayName: "Connector name"}).
		Define(connect.ConfigKey{Name: ConnectorClassConfig, Type: connect.TypeString, Required: true, Importance: connect.ImportanceHigh,
			Doc:   "Name or alias of the class for this connector. If the connector is org.apache.kafka.connect.file.FileStreamSinkConnector, you can either specify this full name,  or use \"FileStreamSink\" or \"FileStreamSinkConnector\" to make the configuration a bit shorter",
			Group: groupCommon, OrderInGroup: next(&order), Width: connect.WidthLong, DisplayName: "Connector class"}).
		Define(connect.ConfigKey{Name: TasksMaxConfig, Type: connect.TypeInt, Default: 1, Validator: connect.AtLeast(1), Importance: connect.ImportanceHigh,
			Doc: "Maximum number of tasks to use for this connector.", Group: groupCommon, OrderInGroup: next(&order), Width: connect.WidthShort, DisplayName: "Tasks max"}).
		Define(connect.ConfigKey{Name: TasksMaxEnforceConfig, Type: connect.TypeBoolean, Default: true, Importance: connect.ImportanceLow,
			Doc: "(Deprecated) Whether to enforce that the tasks.max property is respected by the connector.", Group: groupCommon, OrderInGroup: next(&order), Width: connect.WidthShort, DisplayName: "Enforce tasks max"}).
		Define(connect.ConfigKey{Name: KeyConverterConfig, Type: connect.TypeClass, Importance: connect.ImportanceLow,
			Doc:   "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka, for keys. Overrides the worker's.",
			Group: groupCommon, OrderInGroup: next(&order), Width: connect.WidthShort, DisplayName: "Key converter class"}).
		Define(connect.ConfigKey{Name: ValueConverterConfig, Type: connect.TypeClass, Importance: connect.ImportanceLow,
			Doc:   "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka, for values. Overrides the worker's.",
			Group: groupCommon, OrderInGroup: next(&order), Width: connect.WidthShort, DisplayName: "Value converter class"}).
		Define(connect.ConfigKey{Name: HeaderConverterConfig, Type: connect.TypeClass, Importance: connect.ImportanceLow,
			Doc:   "HeaderConverter class used to convert header values. Overrides the worker's.",
			Group: groupCommon, OrderInGroup: next(&order), Width: connect.WidthShort, DisplayName: "Header converter class"}).
		Define(connect.ConfigKey{Name: TransformsConfig, Type: connect.TypeList, Default: "", Validator: connect.UniqueList("transformation aliases"), Importance: connect.ImportanceLow,
			Doc: "Aliases for the transformations to be applied to records.", Group: groupTransforms, OrderInGroup: next(&order), Width: connect.WidthLong, DisplayName: "Transforms"}).
		Define(connect.ConfigKey{Name: PredicatesConfig, Type: connect.TypeList, Default: "", Validator: connect.UniqueList("predicate aliases"), Importance: connect.ImportanceLow,
			Doc: "Aliases for the predicates used by transformations.", Group: groupPredicates, OrderInGroup: next(&order), Width: connect.WidthLong, DisplayName: "Predicates"}).
		Define(connect.ConfigKey{Name: ConfigReloadActionConfig, Type: connect.TypeString, Default: "restart", Validator: connect.ValidString("none", "restart"), Importance: connect.ImportanceLow,
			Doc:   "The action that Connect should take on the connector when changes in external configuration providers result in a change in the connector's configuration properties.",
			Group: groupCommon, OrderInGroup: next(&order), Width: connect.WidthMedium, DisplayName: "Reload Action"}).
		Define(connect.ConfigKey{Name: ErrorsRetryTimeoutConfig, Type: connect.TypeLong, Default: 0, Importance: connect.ImportanceMedium,
			Doc:   "The maximum duration in milliseconds that a failed operation will be reattempted. The default is 0, which means no retries will be attempted. Use -1 for infinite retries.",
			Group: groupErrors, OrderInGroup: next(&errOrder), Width: connect.WidthMedium, DisplayName: "Retry Timeout for Errors"}).
		Define(connect.ConfigKey{Name: ErrorsRetryMaxDelayConfig, Type: connect.TypeLong, Default: 60000, Importance: connect.ImportanceMedium,
			Doc:   "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be added to the delay once this limit is reached to prevent thundering herd issues.",
			Group: groupErrors, OrderInGroup: next(&errOrder), Width: connect.WidthMedium, DisplayName: "Maximum Delay Between Retries for Errors"}).
		Define(connect.ConfigKey{Name: ErrorsToleranceConfig, Type: connect.TypeString, Default: "none", Validator: connect.ValidString("none", "all"), Importance: connect.ImportanceMedium,
			Doc:   "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.",
			Group: groupErrors, OrderInGroup: next(&errOrder), Width: connect.WidthShort, DisplayName: "Error Tolerance"}).
		Define(connect.ConfigKey{Name: ErrorsLogEnableConfig, Type: connect.TypeBoolean, Default: false, Importance: connect.ImportanceMedium,
			Doc:   "If true, write each error and the details of the failed operation and problematic record to the Connect application log. This is 'false' by default, so that only errors that are not tolerated are reported.",
			Group: groupErrors, OrderInGroup: next(&errOrder), Width: connect.WidthShort, DisplayName: "Log Errors"}).
		Define(connect.ConfigKey{Name: ErrorsLogIncludeMsgsConfig, Type: connect.TypeBoolean, Default: false, Importance: connect.ImportanceMedium,
			Doc:   "Whether to include in the log the Connect record that resulted in a failure. This is 'false' by default, which will prevent record keys, values, and headers from being written to log files.",
			Group: groupErrors, OrderInGroup: next(&errOrder), Width: connect.WidthShort, DisplayName: "Log Error Details"})
}

// dlqKeys are the dead letter queue keys. Kafka defines them for sinks only;
// Runnel also gives source connectors a DLQ for records that fail
// conversion or transformation.
func dlqKeys(def *connect.ConfigDef) *connect.ConfigDef {
	return def.
		Define(connect.ConfigKey{Name: DLQTopicConfig, Type: connect.TypeString, Default: "", Importance: connect.ImportanceMedium,
			Doc:   "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ.",
			Group: groupErrors, OrderInGroup: 6, Width: connect.WidthMedium, DisplayName: "Dead Letter Queue Topic Name"}).
		Define(connect.ConfigKey{Name: DLQReplicationFactorConfig, Type: connect.TypeShort, Default: 3, Importance: connect.ImportanceMedium,
			Doc:   "Replication factor used to create the dead letter queue topic when it doesn't already exist.",
			Group: groupErrors, OrderInGroup: 7, Width: connect.WidthMedium, DisplayName: "Dead Letter Queue Topic Replication Factor"}).
		Define(connect.ConfigKey{Name: DLQContextHeadersConfig, Type: connect.TypeBoolean, Default: false, Importance: connect.ImportanceMedium,
			Doc:   "If true, add headers containing error context to the messages written to the dead letter queue. To avoid clashing with headers from the original record, all error context header keys will start with __connect.errors.",
			Group: groupErrors, OrderInGroup: 8, Width: connect.WidthMedium, DisplayName: "Enable Error Context Headers"})
}

// SinkConnectorConfigDef is the framework part of every sink connector's
// configuration.
func SinkConnectorConfigDef() *connect.ConfigDef {
	def := commonConnectorConfigDef().
		Define(connect.ConfigKey{Name: TopicsConfig, Type: connect.TypeList, Default: "", Importance: connect.ImportanceHigh,
			Doc: "List of topics to consume, separated by commas", Group: groupCommon, OrderInGroup: 4, Width: connect.WidthLong, DisplayName: "Topics"}).
		Define(connect.ConfigKey{Name: TopicsRegexConfig, Type: connect.TypeString, Default: "", Validator: connect.ValidRegex(), Importance: connect.ImportanceHigh,
			Doc: "Regular expression giving topics to consume. Only one of topics or topics.regex should be specified.", Group: groupCommon, OrderInGroup: 4, Width: connect.WidthLong, DisplayName: "Topics regex"})
	return dlqKeys(def)
}

// SourceConnectorConfigDef is the framework part of every source connector's
// configuration.
func SourceConnectorConfigDef() *connect.ConfigDef {
	order := 0
	next := func() int { order++; return order }
	def := commonConnectorConfigDef().
		Define(connect.ConfigKey{Name: TopicCreationGroupsConfig, Type: connect.TypeList, Default: "", Validator: connect.UniqueList("topic creation groups"), Importance: connect.ImportanceLow,
			Doc: "Groups of configurations for topics created by source connectors", Group: groupTopicCreat, OrderInGroup: next(), Width: connect.WidthLong, DisplayName: "Topic Creation Groups"}).
		Define(connect.ConfigKey{Name: ExactlyOnceSupportConfig, Type: connect.TypeString, Default: "requested", Validator: connect.CaseInsensitiveValidString("requested", "required"), Importance: connect.ImportanceMedium,
			Doc:   "Permitted values are requested, required. Runnel's standalone mode cannot provide exactly-once source delivery, so \"required\" is rejected.",
			Group: groupEOS, OrderInGroup: next(), Width: connect.WidthShort, DisplayName: "Exactly once support"}).
		Define(connect.ConfigKey{Name: TransactionBoundaryConfig, Type: connect.TypeString, Default: "poll", Validator: connect.CaseInsensitiveValidString("poll", "interval", "connector"), Importance: connect.ImportanceMedium,
			Doc:   "Permitted values are: poll, interval, connector. Only relevant with exactly-once source support.",
			Group: groupEOS, OrderInGroup: next(), Width: connect.WidthShort, DisplayName: "Transaction Boundary"}).
		Define(connect.ConfigKey{Name: TransactionBoundaryIntConfig, Type: connect.TypeLong, Default: nil, Validator: connect.OrNull(connect.AtLeast(0)), Importance: connect.ImportanceLow,
			Doc:   "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits by connector tasks.",
			Group: groupEOS, OrderInGroup: next(), Width: connect.WidthShort, DisplayName: "Transaction boundary interval"}).
		Define(connect.ConfigKey{Name: OffsetsStorageTopicConfig, Type: connect.TypeString, Default: nil, Validator: connect.NonEmptyString(), Importance: connect.ImportanceLow,
			Doc:   "The name of a separate offsets topic to use for this connector. Only applicable in distributed mode; in standalone mode, setting this property will have no effect.",
			Group: groupOffsets, OrderInGroup: 1, Width: connect.WidthLong, DisplayName: "Offsets topic"})
	return dlqKeys(def)
}

// validateSinkTopics adds Kafka's cross-key checks on topics, topics.regex
// and the DLQ topic to values (indexed by name).
func validateSinkTopics(props map[string]string, add func(key, msg string)) {
	topics := strings.TrimSpace(props[TopicsConfig])
	regex := strings.TrimSpace(props[TopicsRegexConfig])
	dlq := strings.TrimSpace(props[DLQTopicConfig])
	switch {
	case topics != "" && regex != "":
		msg := "topics and topics.regex are mutually exclusive options, but both are set."
		add(TopicsConfig, msg)
		add(TopicsRegexConfig, msg)
	case topics == "" && regex == "":
		msg := "Must configure one of topics or topics.regex"
		add(TopicsConfig, msg)
		add(TopicsRegexConfig, msg)
	}
	if dlq == "" {
		return
	}
	if topics != "" {
		for _, t := range connect.SplitList(topics) {
			if t == dlq {
				add(DLQTopicConfig, "The DLQ topic '"+dlq+"' may not be included in the list of topics ('topics="+topics+"') consumed by the connector")
			}
		}
	}
	if regex != "" {
		if re, err := regexp.Compile(regex); err == nil && fullMatch(re, dlq) {
			add(DLQTopicConfig, "The DLQ topic '"+dlq+"' may not be included in the regex matching the topics ('topics.regex="+regex+"') consumed by the connector")
		}
	}
}

// fullMatch is Java's Matcher.matches: the whole string must match.
func fullMatch(re *regexp.Regexp, s string) bool {
	loc := re.FindStringIndex(s)
	if loc == nil {
		return false
	}
	if loc[0] == 0 && loc[1] == len(s) {
		return true
	}
	anchored, err := regexp.Compile(`^(?:` + re.String() + `)$`)
	return err == nil && anchored.MatchString(s)
}
