package postgres

import "github.com/runnel-dev/runnel/connect"

// Plugins lists the PostgreSQL connectors for a worker's registry:
//
//	registry.Add(postgres.Plugins()...)
//
// Confluent's class names resolve, as do the short names JdbcSink,
// JdbcSinkConnector, PostgresSink and their source counterparts.
func Plugins() []connect.Plugin {
	return []connect.Plugin{
		{
			Class: "io.confluent.connect.jdbc.JdbcSinkConnector", Type: connect.PluginSink, Version: Version,
			Aliases: []string{"PostgresSink", "postgres-sink"}, TaskClass: "io.confluent.connect.jdbc.sink.JdbcSinkTask",
			New: func() any { return &SinkConnector{} },
		},
		{
			Class: "io.confluent.connect.jdbc.JdbcSourceConnector", Type: connect.PluginSource, Version: Version,
			Aliases: []string{"PostgresSource", "postgres-source"}, TaskClass: "io.confluent.connect.jdbc.source.JdbcSourceTask",
			New: func() any { return &SourceConnector{} },
		},
	}
}
