package connect

import (
	"context"
	"log/slog"
)

// Connector is the part common to source and sink connectors. A connector
// does not move data itself: it reads its configuration, perhaps watches the
// external system, and splits the work into task configurations.
//
// Lifecycle, all calls from one goroutine: Start, then TaskConfigs any
// number of times (again after each ConnectorContext.RequestTaskReconfiguration),
// then Stop. A stopped connector is discarded; restarts use a fresh instance.
type Connector interface {
	// Version is the connector's version, shown by the REST API.
	Version() string
	// Config declares the connector's own configuration keys. The runtime
	// adds the framework keys (name, tasks.max, transforms, errors.*...).
	Config() *ConfigDef
	// Start begins the connector with its full configuration. ctx is
	// cancelled when the connector is stopped; cctx lives as long as the
	// connector and may be kept.
	Start(ctx context.Context, cctx ConnectorContext, config map[string]string) error
	// TaskConfigs returns at most maxTasks task configurations; one task is
	// started per entry.
	TaskConfigs(maxTasks int) ([]map[string]string, error)
	// Stop releases resources. It is called once, after Start returned.
	Stop() error
}

// SourceConnector is a connector whose tasks produce records into Kafka.
type SourceConnector interface {
	Connector
	// NewTask returns a new, unstarted task instance.
	NewTask() SourceTask
}

// SinkConnector is a connector whose tasks consume records from Kafka.
type SinkConnector interface {
	Connector
	// NewTask returns a new, unstarted task instance.
	NewTask() SinkTask
}

// ConfigValidator may be implemented by a connector that needs checks
// across keys beyond what its ConfigDef expresses. It returns one result per
// key (as ConfigDef.Validate does); the runtime adds the framework keys.
type ConfigValidator interface {
	Validate(config map[string]string) []ConfigValue
}

// SourceOffset is one source partition and its offset (nil offset = reset).
type SourceOffset struct {
	Partition map[string]any
	Offset    map[string]any
}

// SourceOffsetAlterer may be implemented by a source connector to check, or
// mirror in an external system, offsets changed through the REST API. It
// reports whether the runtime-managed offsets are all that exist (true) or
// whether the connector also keeps offsets elsewhere (false). An error
// rejects the change.
type SourceOffsetAlterer interface {
	AlterOffsets(config map[string]string, offsets []SourceOffset) (bool, error)
}

// SinkOffsetAlterer is the sink counterpart of SourceOffsetAlterer; offsets
// maps a partition to the next offset to consume, or nil for a reset.
type SinkOffsetAlterer interface {
	AlterOffsets(config map[string]string, offsets map[TopicPartition]*int64) (bool, error)
}

// ConnectorContext lets a connector talk back to the runtime.
type ConnectorContext interface {
	// RequestTaskReconfiguration asks the runtime to call TaskConfigs again
	// and restart the tasks if their configurations changed.
	RequestTaskReconfiguration()
	// RaiseError marks the connector FAILED with err; the runtime stops it.
	RaiseError(err error)
	// Logger returns a logger tagged with the connector's name.
	Logger() *slog.Logger
}
