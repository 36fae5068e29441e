package workers

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect"
)

// Worker configuration keys (Kafka's WorkerConfig, RestServerConfig and
// StandaloneConfig names) and Runnel's additions.
const (
	BootstrapServersConfig        = "bootstrap.servers"
	KeyConverterConfig            = "key.converter"
	ValueConverterConfig          = "value.converter"
	HeaderConverterConfig         = "header.converter"
	TaskShutdownTimeoutConfig     = "task.shutdown.graceful.timeout.ms"
	OffsetFlushIntervalConfig     = "offset.flush.interval.ms"
	OffsetFlushTimeoutConfig      = "offset.flush.timeout.ms"
	OffsetStorageFileConfig       = "offset.storage.file.filename"
	ListenersConfig               = "listeners"
	RestHostNameConfig            = "rest.host.name"
	RestPortConfig                = "rest.port"
	RestAdvertisedHostConfig      = "rest.advertised.host.name"
	RestAdvertisedPortConfig      = "rest.advertised.port"
	RestAdvertisedListenerConfig  = "rest.advertised.listener"
	AdminListenersConfig          = "admin.listeners"
	AllowOriginConfig             = "access.control.allow.origin"
	AllowMethodsConfig            = "access.control.allow.methods"
	ResponseHeadersConfig         = "response.http.headers.config"
	TopicTrackingEnableConfig     = "topic.tracking.enable"
	TopicTrackingAllowResetConfig = "topic.tracking.allow.reset"
	TopicCreationEnableConfig     = "topic.creation.enable"
	ClientIDConfig                = "client.id"

	// TaskRestartEnableConfig turns on automatic restarts of FAILED tasks
	// (Kafka never restarts them by itself). A failed task is restarted after
	// runnel.task.restart.backoff.initial.ms, doubling on each consecutive
	// failure up to runnel.task.restart.backoff.max.ms; a task that stays
	// RUNNING for the maximum backoff starts over at the initial delay.
	TaskRestartEnableConfig     = "runnel.task.restart.enable"
	TaskRestartBackoffInitial   = "runnel.task.restart.backoff.initial.ms"
	TaskRestartBackoffMaxConfig = "runnel.task.restart.backoff.max.ms"

	DefaultHeaderConverter = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
)

// WorkerConfigDef returns the definition of every worker key Runnel reads.
// Other keys (Kafka client settings, JVM-only settings such as plugin.path)
// are accepted and either passed to the Kafka clients or ignored.
func WorkerConfigDef() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: BootstrapServersConfig, Type: connect.TypeList, Default: "localhost:9092", Validator: connect.NonNull(), Importance: connect.ImportanceHigh,
			Doc: "A list of host/port pairs used to establish the initial connection to the Kafka cluster, in the form host1:port1,host2:port2,..."}).
		Define(connect.ConfigKey{Name: KeyConverterConfig, Type: connect.TypeClass, Required: true, Importance: connect.ImportanceHigh,
			Doc: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka, for record keys."}).
		Define(connect.ConfigKey{Name: ValueConverterConfig, Type: connect.TypeClass, Required: true, Importance: connect.ImportanceHigh,
			Doc: "Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka, for record values."}).
		Define(connect.ConfigKey{Name: HeaderConverterConfig, Type: connect.TypeClass, Default: DefaultHeaderConverter, Importance: connect.ImportanceLow,
			Doc: "HeaderConverter class used to convert header values; by default the SimpleHeaderConverter."}).
		Define(connect.ConfigKey{Name: TaskShutdownTimeoutConfig, Type: connect.TypeLong, Default: 5000, Importance: connect.ImportanceLow,
			Doc: "Amount of time to wait for tasks to shutdown gracefully. This is the total amount of time, not per task."}).
		Define(connect.ConfigKey{Name: OffsetFlushIntervalConfig, Type: connect.TypeLong, Default: 60000, Validator: connect.AtLeast(1), Importance: connect.ImportanceLow,
			Doc: "Interval at which to try committing offsets for tasks."}).
		Define(connect.ConfigKey{Name: OffsetFlushTimeoutConfig, Type: connect.TypeLong, Default: 5000, Validator: connect.AtLeast(1), Importance: connect.ImportanceLow,
			Doc: "Maximum number of milliseconds to wait for records to flush and partition offset data to be committed to offset storage before cancelling the process."}).
		Define(connect.ConfigKey{Name: OffsetStorageFileConfig, Type: connect.TypeString, Default: nil, Importance: connect.ImportanceHigh,
			Doc: "File to store source connector offsets in (standalone mode)."}).
		Define(connect.ConfigKey{Name: ListenersConfig, Type: connect.TypeList, Default: "http://:8083", Importance: connect.ImportanceLow,
			Doc: "List of comma-separated URIs the REST API will listen on, e.g. http://myhost:8083,http://127.0.0.1:8084. Only http is supported."}).
		Define(connect.ConfigKey{Name: RestHostNameConfig, Type: connect.TypeString, Default: nil, Importance: connect.ImportanceLow,
			Doc: "Hostname for the REST API; used with rest.port when listeners is not set (removed from Kafka in 3.0, accepted here)."}).
		Define(connect.ConfigKey{Name: RestPortConfig, Type: connect.TypeInt, Default: nil, Validator: connect.OrNull(connect.Between(0, 65535)), Importance: connect.ImportanceLow,
			Doc: "Port for the REST API; used with rest.host.name when listeners is not set."}).
		Define(connect.ConfigKey{Name: RestAdvertisedHostConfig, Type: connect.TypeString, Default: nil, Importance: connect.ImportanceLow,
			Doc: "Hostname given out as this worker's id and URL; defaults to the listener's host, or the machine's hostname."}).
		Define(connect.ConfigKey{Name: RestAdvertisedPortConfig, Type: connect.TypeInt, Default: nil, Importance: connect.ImportanceLow,
			Doc: "Port given out as this worker's id and URL; defaults to the port the REST server bound."}).
		Define(connect.ConfigKey{Name: RestAdvertisedListenerConfig, Type: connect.TypeString, Default: nil, Importance: connect.ImportanceLow,
			Doc: "Protocol given out to other workers (http)."}).
		Define(connect.ConfigKey{Name: AdminListenersConfig, Type: connect.TypeList, Default: nil, Importance: connect.ImportanceLow,
			Doc: "Listeners for the admin endpoints (/admin/loggers). Unset: served on the regular listeners; empty: admin endpoints disabled."}).
		Define(connect.ConfigKey{Name: AllowOriginConfig, Type: connect.TypeString, Default: "", Importance: connect.ImportanceLow,
			Doc: "Value to set the Access-Control-Allow-Origin header to for REST API requests. To enable cross origin access, set this to the domain of the application that should be permitted to access the API, or '*' to allow access from any domain."}).
		Define(connect.ConfigKey{Name: AllowMethodsConfig, Type: connect.TypeString, Default: "", Importance: connect.ImportanceLow,
			Doc: "Sets the methods supported for cross origin requests by setting the Access-Control-Allow-Methods header. The default value of the Access-Control-Allow-Methods header allows cross origin requests for GET, POST and HEAD."}).
		Define(connect.ConfigKey{Name: ResponseHeadersConfig, Type: connect.TypeString, Default: "", Importance: connect.ImportanceLow,
			Doc: "Rules for REST API HTTP response headers, e.g. \"add X-Frame-Options: DENY, set Cache-Control: no-store\"."}).
		Define(connect.ConfigKey{Name: TopicTrackingEnableConfig, Type: connect.TypeBoolean, Default: true, Importance: connect.ImportanceLow,
			Doc: "Enable tracking the set of active topics per connector during runtime."}).
		Define(connect.ConfigKey{Name: TopicTrackingAllowResetConfig, Type: connect.TypeBoolean, Default: true, Importance: connect.ImportanceLow,
			Doc: "If set to true, it allows user requests to reset the set of active topics per connector."}).
		Define(connect.ConfigKey{Name: TopicCreationEnableConfig, Type: connect.TypeBoolean, Default: true, Importance: connect.ImportanceLow,
			Doc: "Whether to allow automatic creation of topics used by source connectors, when source connectors are configured with topic.creation. properties."}).
		Define(connect.ConfigKey{Name: ClientIDConfig, Type: connect.TypeString, Default: "", Importance: connect.ImportanceLow,
			Doc: "Prefix of the client ids of the worker's Kafka clients."}).
		Define(connect.ConfigKey{Name: configProvidersConfig, Type: connect.TypeList, Default: "", Importance: connect.ImportanceLow,
			Doc: "Names of ConfigProvider instances resolving ${name:path:key} placeholders in connector configurations; each needs config.providers.<name>.class (FileConfigProvider, EnvVarConfigProvider or DirectoryConfigProvider)."}).
		Define(connect.ConfigKey{Name: TaskRestartEnableConfig, Type: connect.TypeBoolean, Default: false, Importance: connect.ImportanceMedium,
			Doc: "Runnel: restart FAILED tasks automatically with exponential backoff instead of leaving them FAILED until a REST restart."}).
		Define(connect.ConfigKey{Name: TaskRestartBackoffInitial, Type: connect.TypeLong, Default: 1000, Validator: connect.AtLeast(0), Importance: connect.ImportanceLow,
			Doc: "Runnel: delay before the first automatic restart of a failed task."}).
		Define(connect.ConfigKey{Name: TaskRestartBackoffMaxConfig, Type: connect.TypeLong, Default: 60000, Validator: connect.AtLeast(0), Importance: connect.ImportanceLow,
			Doc: "Runnel: upper bound of the automatic restart delay."})
}

// WorkerConfig is a parsed worker configuration.
type WorkerConfig struct {
	// Props are the raw properties, including client and converter
	// sub-configs (key.converter.schemas.enable, producer.linger.ms...).
	Props map[string]string

	BootstrapServers []string
	KeyConverter     string
	ValueConverter   string
	HeaderConverter  string

	TaskShutdownTimeout time.Duration
	OffsetFlushInterval time.Duration
	OffsetFlushTimeout  time.Duration
	OffsetFile          string

	// Listeners are the REST listeners as host:port addresses.
	Listeners []string
	// AdminListeners: nil = same as Listeners; empty = admin API disabled.
	AdminListeners []string
	AdvertisedHost string
	AdvertisedPort int

	AllowOrigin     string
	AllowMethods    string
	ResponseHeaders string

	TopicTracking           bool
	TopicTrackingAllowReset bool
	TopicCreation           bool
	ClientID                string

	TaskRestart           bool
	TaskRestartBackoff    time.Duration
	TaskRestartBackoffMax time.Duration
}

// ParseWorkerConfig validates props and returns the parsed configuration.
// Errors name the key at fault.
func ParseWorkerConfig(props map[string]string) (*WorkerConfig, error) {
	c, err := WorkerConfigDef().Parse(props)
	if err != nil {
		return nil, err
	}
	wc := &WorkerConfig{
		Props:                   c.Originals(),
		BootstrapServers:        c.List(BootstrapServersConfig),
		KeyConverter:            c.String(KeyConverterConfig),
		ValueConverter:          c.String(ValueConverterConfig),
		HeaderConverter:         c.String(HeaderConverterConfig),
		TaskShutdownTimeout:     time.Duration(c.Long(TaskShutdownTimeoutConfig)) * time.Millisecond,
		OffsetFlushInterval:     time.Duration(c.Long(OffsetFlushIntervalConfig)) * time.Millisecond,
		OffsetFlushTimeout:      time.Duration(c.Long(OffsetFlushTimeoutConfig)) * time.Millisecond,
		OffsetFile:              c.String(OffsetStorageFileConfig),
		AdvertisedHost:          c.String(RestAdvertisedHostConfig),
		AdvertisedPort:          c.Int(RestAdvertisedPortConfig),
		AllowOrigin:             c.String(AllowOriginConfig),
		AllowMethods:            c.String(AllowMethodsConfig),
		ResponseHeaders:         c.String(ResponseHeadersConfig),
		TopicTracking:           c.Bool(TopicTrackingEnableConfig),
		TopicTrackingAllowReset: c.Bool(TopicTrackingAllowResetConfig),
		TopicCreation:           c.Bool(TopicCreationEnableConfig),
		ClientID:                c.String(ClientIDConfig),
		TaskRestart:             c.Bool(TaskRestartEnableConfig),
		TaskRestartBackoff:      time.Duration(c.Long(TaskRestartBackoffInitial)) * time.Millisecond,
		TaskRestartBackoffMax:   time.Duration(c.Long(TaskRestartBackoffMaxConfig)) * time.Millisecond,
	}
	if len(wc.BootstrapServers) == 0 {
		return nil, connect.InvalidValueError(BootstrapServersConfig, "", "at least one broker address is required")
	}
	listeners := c.List(ListenersConfig)
	if _, explicit := props[ListenersConfig]; !explicit && (!c.IsNull(RestHostNameConfig) || !c.IsNull(RestPortConfig)) {
		port := 8083
		if !c.IsNull(RestPortConfig) {
			port = c.Int(RestPortConfig)
		}
		listeners = []string{"http://" + net.JoinHostPort(c.String(RestHostNameConfig), strconv.Itoa(port))}
	}
	if wc.Listeners, err = listenerAddrs(ListenersConfig, listeners); err != nil {
		return nil, err
	}
	if len(wc.Listeners) == 0 {
		return nil, connect.InvalidValueError(ListenersConfig, "", "at least one listener is required")
	}
	if !c.IsNull(AdminListenersConfig) {
		if wc.AdminListeners, err = listenerAddrs(AdminListenersConfig, c.List(AdminListenersConfig)); err != nil {
			return nil, err
		}
	}
	return wc, nil
}

// listenerAddrs turns listener URIs (http://host:port) into host:port.
func listenerAddrs(key string, uris []string) ([]string, error) {
	out := make([]string, 0, len(uris))
	for _, u := range uris {
		p, err := url.Parse(u)
		if err != nil || p.Host == "" {
			return nil, connect.InvalidValueError(key, u, "expected a URI like http://host:port")
		}
		if !strings.EqualFold(p.Scheme, "http") {
			return nil, connect.InvalidValueError(key, u, fmt.Sprintf("protocol %q is not supported; only http listeners are available", p.Scheme))
		}
		host, port := p.Hostname(), p.Port()
		if port == "" {
			port = "8083"
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	return out, nil
}
