// Package rest serves Kafka Connect's REST API over a workers.Herder:
// the same paths, verbs, status codes and JSON bodies as Apache Kafka's
// ConnectorsResource, ConnectorPluginsResource, RootResource and
// LoggingResource, so existing tools and scripts work unchanged.
//
// Deliberate differences: request bodies that are not valid JSON, or have
// the wrong shape, get 400 (Kafka answers 500 with Jackson's message), and
// password-typed configuration values are shown as "[hidden]" in GET
// responses (Kafka echoes them).
package rest
