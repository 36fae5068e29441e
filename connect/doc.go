// Package connect is Runnel's Kafka Connect API: the interfaces connectors
// and tasks implement (SourceConnector, SinkConnector, SourceTask, SinkTask
// and their contexts), the records they exchange with the runtime, and
// ConfigDef, the typed configuration definition a plugin declares once to get
// parsing, validation and the REST validate endpoint's JSON for free.
//
// The runtime that runs connectors lives in package workers; the data model
// (schemas, structs, headers) in connect/data; converters in connect/convert;
// single message transforms in connect/transforms.
package connect
