package postgres

import (
	"context"
	"maps"
	"time"

	"github.com/runnel-dev/runnel/connect"
)

// Version is reported for both connectors by the REST API.
const Version = "1.0.0"

// SinkConnector is the JDBC sink for PostgreSQL
// (io.confluent.connect.jdbc.JdbcSinkConnector).
type SinkConnector struct {
	props map[string]string
}

// Version implements connect.Connector.
func (c *SinkConnector) Version() string { return Version }

// Config implements connect.Connector.
func (c *SinkConnector) Config() *connect.ConfigDef { return sinkConfigDef() }

// Validate implements connect.ConfigValidator: the keys, the rules across
// keys, and whether the database can be reached.
func (c *SinkConnector) Validate(props map[string]string) []connect.ConfigValue {
	values := validateSink(props)
	return checkConnection(values, props)
}

// Start implements connect.Connector.
func (c *SinkConnector) Start(_ context.Context, _ connect.ConnectorContext, props map[string]string) error {
	if _, err := parseSinkConfig(props); err != nil {
		return err
	}
	c.props = maps.Clone(props)
	return nil
}

// TaskConfigs implements connect.Connector: every task gets the same
// configuration; Kafka spreads the partitions.
func (c *SinkConnector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = maps.Clone(c.props)
	}
	return out, nil
}

// Stop implements connect.Connector.
func (c *SinkConnector) Stop() error { return nil }

// NewTask implements connect.SinkConnector.
func (c *SinkConnector) NewTask() connect.SinkTask { return &SinkTask{} }

// checkConnection adds an error to connection.url when the keys are valid
// but the database cannot be reached with them.
func checkConnection(values []connect.ConfigValue, props map[string]string) []connect.ConfigValue {
	for _, v := range values {
		if len(v.Errors) > 0 {
			return values
		}
	}
	def := connect.NewConfigDef()
	defineConnectionKeys(def, "")
	def.Define(connect.ConfigKey{Name: cfgDBTimezone, Type: connect.TypeString, Default: "UTC"})
	parsed, err := def.Parse(props)
	if err != nil {
		return values
	}
	cs, err := connSettingsFrom(parsed)
	if err != nil {
		return values
	}
	cs.attempts = 1
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	pool, err := cs.connect(ctx, nil)
	if err != nil {
		return setError(values, cfgConnectionURL, err.Error())
	}
	pool.Close()
	return values
}
