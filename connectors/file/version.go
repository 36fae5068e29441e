package file

import "github.com/runnel-dev/runnel/connect"

// Version is reported for both connectors.
const Version = "3.9.0"

// Kafka class names.
const (
	SourceConnectorClass = "org.apache.kafka.connect.file.FileStreamSourceConnector"
	SourceTaskClass      = "org.apache.kafka.connect.file.FileStreamSourceTask"
	SinkConnectorClass   = "org.apache.kafka.connect.file.FileStreamSinkConnector"
	SinkTaskClass        = "org.apache.kafka.connect.file.FileStreamSinkTask"
)

// Configuration keys.
const (
	FileConfig      = "file"
	TopicConfig     = "topic"
	BatchSizeConfig = "batch.size"

	// DefaultBatchSize is Kafka's default batch.size.
	DefaultBatchSize = 2000

	// FilenameField and PositionField name the source partition and offset
	// keys, as Kafka's.
	FilenameField = "filename"
	PositionField = "position"
)

// Plugins describes both connectors for a worker's plugin registry, with
// Kafka's class names and Runnel's short names (file-source, file-sink).
func Plugins() []connect.Plugin {
	return []connect.Plugin{
		{Class: SourceConnectorClass, Type: connect.PluginSource, Version: Version, TaskClass: SourceTaskClass,
			Aliases: []string{"file-source"}, New: func() any { return NewSourceConnector() }},
		{Class: SinkConnectorClass, Type: connect.PluginSink, Version: Version, TaskClass: SinkTaskClass,
			Aliases: []string{"file-sink"}, New: func() any { return NewSinkConnector() }},
	}
}
