package workers

import (
	"context"

	"github.com/runnel-dev/runnel/connect"
)

// Herder manages the connectors of a Connect cluster (one worker in
// standalone mode). The REST API is a thin layer over it. Errors that carry
// an HTTP status are *HTTPError; others are reported as 500.
type Herder interface {
	ServerInfo(ctx context.Context) ServerInfo
	// Health reports whether the worker is ready: status is "healthy",
	// "starting" or "unhealthy".
	Health(ctx context.Context) (status, message string)

	Connectors(ctx context.Context) []string
	ConnectorInfo(ctx context.Context, name string) (ConnectorInfo, error)
	ConnectorConfig(ctx context.Context, name string) (map[string]string, error)
	// PutConnectorConfig creates or (if allowReplace) updates a connector.
	// initial is the target state for a new connector ("" = STARTED).
	PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initial TargetState) (created bool, info ConnectorInfo, err error)
	// PatchConnectorConfig merges patch into the config; a nil value removes
	// the key.
	PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (ConnectorInfo, error)
	DeleteConnector(ctx context.Context, name string) error

	ConnectorStatus(ctx context.Context, name string) (ConnectorStateInfo, error)
	TaskStatus(ctx context.Context, name string, task int) (TaskState, error)
	TaskConfigs(ctx context.Context, name string) ([]TaskInfo, error)

	// RestartConnector restarts the connector and, with includeTasks, its
	// tasks; onlyFailed limits it to FAILED instances. It returns the plan
	// (statuses with RESTARTING for what will restart).
	RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (ConnectorStateInfo, error)
	RestartTask(ctx context.Context, name string, task int) error
	PauseConnector(ctx context.Context, name string) error
	ResumeConnector(ctx context.Context, name string) error
	StopConnector(ctx context.Context, name string) error

	ActiveTopics(ctx context.Context, name string) ([]string, error)
	ResetActiveTopics(ctx context.Context, name string) error

	ConnectorOffsets(ctx context.Context, name string) (ConnectorOffsets, error)
	// AlterConnectorOffsets and ResetConnectorOffsets return Kafka's
	// success message.
	AlterConnectorOffsets(ctx context.Context, name string, offsets ConnectorOffsets) (string, error)
	ResetConnectorOffsets(ctx context.Context, name string) (string, error)

	ValidateConnectorConfig(ctx context.Context, config map[string]string) (connect.ConfigInfos, error)
	Plugins() *connect.Plugins
	// PluginConfig lists the configuration keys of a plugin.
	PluginConfig(ctx context.Context, plugin string) ([]connect.ConfigKeyInfo, error)
}
