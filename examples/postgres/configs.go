package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/runnel-dev/runnel/workers"
)

// The three configuration files users of Kafka Connect know, kept next to
// this program and compiled in so `go run` works from any directory.
var (
	//go:embed connect-standalone.properties
	workerFile []byte
	//go:embed orders-cdc-source.json
	sourceFile []byte
	//go:embed customer-totals-sink.json
	sinkFile []byte
)

// pipelineConfig is the pipeline's configuration: the files, with the
// connection keys pointed at the demo's database.
type pipelineConfig struct {
	worker map[string]string
	source workers.CreateConnectorRequest
	sink   workers.CreateConnectorRequest
}

func loadConfigs(db dbTarget) (pipelineConfig, error) {
	var c pipelineConfig
	var err error
	if c.worker, err = workers.ParseProperties("connect-standalone.properties", workerFile); err != nil {
		return c, err
	}
	if c.source, err = parseConnector("orders-cdc-source.json", sourceFile); err != nil {
		return c, err
	}
	if c.sink, err = parseConnector("customer-totals-sink.json", sinkFile); err != nil {
		return c, err
	}
	for k, v := range db.cdcKeys() {
		c.source.Config[k] = v
	}
	for k, v := range db.jdbcKeys() {
		c.sink.Config[k] = v
	}
	return c, nil
}

func parseConnector(name string, b []byte) (workers.CreateConnectorRequest, error) {
	var req workers.CreateConnectorRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return req, fmt.Errorf("%s: %w", name, err)
	}
	if req.Name == "" || req.Config == nil {
		return req, fmt.Errorf(`%s: expected {"name": ..., "config": {...}}`, name)
	}
	req.Config[workers.NameConfig] = req.Name
	return req, nil
}

// ordersTopic is the topic the CDC connector writes the orders table to:
// Debezium's <topic.prefix>.<schema>.<table>.
func (c pipelineConfig) ordersTopic() string {
	return c.source.Config["topic.prefix"] + ".public.orders"
}

// totalsTopic is the topic the sink reads: the streams app's output.
func (c pipelineConfig) totalsTopic() string { return c.sink.Config[workers.TopicsConfig] }

// dbTarget is where the demo's database is, from --postgres-url.
type dbTarget struct {
	url                            string // as given, for pgx
	host, port, user, pass, dbname string
	sslmode                        string // "" unless the URL sets one
}

// parseDBTarget reads a postgres:// URL.
func parseDBTarget(raw string) (dbTarget, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return dbTarget{}, fmt.Errorf("--postgres-url %q: expected postgres://user:password@host:port/database", redactURL(raw))
	}
	t := dbTarget{url: raw, host: u.Hostname(), port: u.Port(), dbname: strings.TrimPrefix(u.Path, "/"), sslmode: u.Query().Get("sslmode")}
	if t.port == "" {
		t.port = "5432"
	}
	if _, err := strconv.Atoi(t.port); err != nil {
		return dbTarget{}, fmt.Errorf("--postgres-url %q: port %q is not a number", redactURL(raw), t.port)
	}
	if t.dbname == "" {
		t.dbname = "postgres"
	}
	if u.User != nil {
		t.user = u.User.Username()
		t.pass, _ = u.User.Password()
	}
	if t.user == "" {
		return dbTarget{}, fmt.Errorf("--postgres-url %q: no user name (the CDC connector needs a user with the REPLICATION attribute)", redactURL(raw))
	}
	return t, nil
}

// cdcKeys are the Debezium connection keys for the target.
func (t dbTarget) cdcKeys() map[string]string {
	m := map[string]string{
		"database.hostname": t.host, "database.port": t.port, "database.user": t.user,
		"database.password": t.pass, "database.dbname": t.dbname,
	}
	if t.sslmode != "" {
		m["database.sslmode"] = t.sslmode
	}
	return m
}

// jdbcKeys are the JDBC sink's connection keys for the target.
func (t dbTarget) jdbcKeys() map[string]string {
	u := "jdbc:postgresql://" + net.JoinHostPort(t.host, t.port) + "/" + url.PathEscape(t.dbname)
	if t.sslmode != "" {
		u += "?sslmode=" + url.QueryEscape(t.sslmode)
	}
	return map[string]string{"connection.url": u, "connection.user": t.user, "connection.password": t.pass}
}

// where names the target in messages, without the password.
func (t dbTarget) where() string {
	return fmt.Sprintf("%s@%s/%s", t.user, net.JoinHostPort(t.host, t.port), t.dbname)
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	if u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
