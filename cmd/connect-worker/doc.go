// Command connect-worker runs a Kafka Connect worker.
//
//	connect-worker standalone worker.properties [connector1.properties connector2.json ...]
//	connect-worker distributed worker.properties
//
// Standalone mode is Kafka's connect-standalone.sh: worker settings from a
// .properties file, connectors from the files named after it (flat JSON,
// {"name", "config"} JSON, or .properties), source offsets in
// offset.storage.file.filename, and the REST API on listeners
// (http://:8083 by default). Exit codes follow Kafka's CLI: 1 for usage,
// 2 for an invalid worker configuration, 3 when the worker or a connector
// from the command line fails to start; 0 after a clean shutdown on
// SIGINT or SIGTERM.
package main
