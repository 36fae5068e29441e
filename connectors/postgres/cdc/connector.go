package cdc

import (
	"context"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect"
)

// Class names under which the connector is known.
const (
	ConnectorClass = "io.debezium.connector.postgresql.PostgresConnector"
	TaskClass      = "io.debezium.connector.postgresql.PostgresConnectorTask"
	Alias          = "PostgresCdcSource"
)

// Connector is the PostgreSQL change data capture source connector,
// configured with Debezium's keys. It checks the server when started and
// always runs exactly one task (one replication slot).
type Connector struct {
	props map[string]string
}

var (
	_ connect.SourceConnector = (*Connector)(nil)
	_ connect.ConfigValidator = (*Connector)(nil)
)

// NewConnector returns an unstarted connector.
func NewConnector() *Connector { return &Connector{} }

// Plugin describes the connector for the worker's plugin registry.
func Plugin() connect.Plugin {
	return connect.Plugin{
		Class:     ConnectorClass,
		Type:      connect.PluginSource,
		Version:   Version,
		Aliases:   []string{Alias},
		TaskClass: TaskClass,
		New:       func() any { return NewConnector() },
	}
}

// Version implements connect.Connector.
func (c *Connector) Version() string { return Version }

// Config implements connect.Connector.
func (c *Connector) Config() *connect.ConfigDef { return ConfigDef() }

// Start checks the configuration and the server (reachable, wal_level,
// replication permission, captured tables present and readable) so that a
// misconfigured connector fails at once with a message saying what to fix.
func (c *Connector) Start(ctx context.Context, _ connect.ConnectorContext, props map[string]string) error {
	if err := preflight(ctx, props); err != nil {
		return err
	}
	c.props = maps.Clone(props)
	return nil
}

// preflight runs the checks of Start.
func preflight(ctx context.Context, props map[string]string) error {
	cfg, err := parseConfig(props)
	if err != nil {
		return err
	}
	conn, err := connectQuery(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := checkServer(ctx, conn, cfg); err != nil {
		return err
	}
	tables, err := listCapturedTables(ctx, conn, cfg.filter)
	if err != nil {
		return err
	}
	if err := checkTables(ctx, conn, cfg, tables); err != nil {
		return err
	}
	if cfg.publicationMode == pubDisabled {
		// Only check: the task creates or updates publications.
		if err := ensurePublication(ctx, conn, cfg, tables, slog.Default()); err != nil {
			return err
		}
	}
	slot, err := readSlot(ctx, conn, cfg.slotName)
	if err != nil {
		return err
	}
	return checkSlot(slot, cfg)
}

// TaskConfigs returns the one task configuration.
func (c *Connector) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{maps.Clone(c.props)}, nil
}

// Stop implements connect.Connector.
func (c *Connector) Stop() error { return nil }

// NewTask implements connect.SourceConnector.
func (c *Connector) NewTask() connect.SourceTask { return NewTask() }

// Validate reports, per key, the problems ConfigDef cannot see: the server
// checks of Start, attached to the key a user has to change.
func (c *Connector) Validate(props map[string]string) []connect.ConfigValue {
	results := ConfigDef().Validate(props)
	for _, r := range results {
		if len(r.Errors) > 0 {
			return results // fix the keys first
		}
	}
	if _, err := parseConfig(props); err != nil {
		return attachError(results, keyFor(err), err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := preflight(ctx, props); err != nil {
		return attachError(results, keyFor(err), err.Error())
	}
	return results
}

// keyFor picks the key an error is about.
func keyFor(err error) string {
	if ce, ok := err.(*connect.ConfigError); ok {
		return ce.Name
	}
	msg := err.Error()
	for _, k := range []string{keyTableInclude, keyDBName, keyUser, keyPassword, keySlotName, keyPublicationName, keyPort} {
		if strings.Contains(msg, k) {
			return k
		}
	}
	switch {
	case strings.Contains(msg, "wal_level"), strings.Contains(msg, "REPLICATION"):
		return keyUser
	}
	return keyHostname
}

func attachError(results []connect.ConfigValue, key, msg string) []connect.ConfigValue {
	for i := range results {
		if results[i].Name == key {
			results[i].Errors = append(results[i].Errors, msg)
			return results
		}
	}
	return append(results, connect.ConfigValue{Name: key, Errors: []string{msg}, Visible: true})
}
