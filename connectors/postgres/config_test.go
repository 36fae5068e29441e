package postgres

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/internal/pgtest"
)

// errorsByKey returns the validation errors of each key that has some.
func errorsByKey(values []connect.ConfigValue) map[string]string {
	out := map[string]string{}
	for _, v := range values {
		if len(v.Errors) > 0 {
			out[v.Name] = strings.Join(v.Errors, "; ")
		}
	}
	return out
}

func TestSinkConfigValidation(t *testing.T) {
	base := map[string]string{"connection.url": "jdbc:postgresql://127.0.0.1:5432/db"}
	cases := []struct {
		props   map[string]string
		key     string
		contain string
	}{
		{map[string]string{}, "connection.url", `Missing required configuration "connection.url"`},
		{map[string]string{"connection.url": "jdbc:mysql://h/db"}, "connection.url", "only jdbc:postgresql: URLs"},
		{map[string]string{"delete.enabled": "true"}, "pk.mode", "'none' is invalid: Deletes are only supported for pk.mode 'record_key'"},
		{map[string]string{"delete.enabled": "true", "pk.mode": "record_value"}, "pk.mode", "Deletes are only supported for pk.mode 'record_key'"},
		{map[string]string{"insert.mode": "merge"}, "insert.mode", "Invalid value merge for configuration insert.mode: Invalid enumerator"},
		{map[string]string{"insert.mode": "upsert"}, "pk.mode", "insert.mode=upsert needs primary key columns"},
		{map[string]string{"pk.mode": "kafka", "pk.fields": "a,b"}, "pk.fields", "exactly 3"},
		{map[string]string{"batch.size": "-1"}, "batch.size", "Value must be at least 0"},
		{map[string]string{"db.timezone": "Mars/Olympus"}, "db.timezone", "Invalid time zone"},
		{map[string]string{"fields.whitelist": "a", "fields.include.list": "b"}, "fields.include.list", "synonyms"},
		{map[string]string{"dialect.name": "MySqlDatabaseDialect"}, "dialect.name", "only speaks PostgreSQL"},
		{map[string]string{"table.name.format": ""}, "table.name.format", "non-empty"},
	}
	for _, c := range cases {
		props := map[string]string{}
		for k, v := range base {
			props[k] = v
		}
		for k, v := range c.props {
			props[k] = v
		}
		if c.key == "connection.url" {
			delete(props, "connection.url")
			if v, ok := c.props["connection.url"]; ok {
				props["connection.url"] = v
			}
		}
		errs := errorsByKey(validateSink(props))
		if !strings.Contains(errs[c.key], c.contain) {
			t.Errorf("%v: errors %v, want %q on %s", c.props, errs, c.contain, c.key)
		}
		if _, err := parseSinkConfig(props); err == nil || !strings.Contains(err.Error(), c.contain) {
			t.Errorf("%v: parse error %v", c.props, err)
		}
	}
	good := map[string]string{"connection.url": "postgres://u@h/db", "insert.mode": "UPSERT", "pk.mode": "RECORD_KEY", "delete.enabled": "true"}
	if errs := errorsByKey(validateSink(good)); len(errs) != 0 {
		t.Fatalf("valid config rejected: %v", errs)
	}
}

func TestSourceConfigValidation(t *testing.T) {
	base := map[string]string{"connection.url": "jdbc:postgresql://127.0.0.1:5432/db", "topic.prefix": "p-", "mode": "bulk"}
	cases := []struct {
		props   map[string]string
		key     string
		contain string
	}{
		{map[string]string{"mode": ""}, "mode", "Query mode must be specified"},
		{map[string]string{"mode": "sometimes"}, "mode", "String must be one of"},
		{map[string]string{"table.whitelist": "a", "table.blacklist": "b"}, "table.blacklist", "mutually exclusive"},
		{map[string]string{"table.whitelist": "a", "table.include.list": "b"}, "table.include.list", "do not mix"},
		{map[string]string{"query": "SELECT 1", "table.whitelist": "a"}, "table.whitelist", "mutually exclusive"},
		{map[string]string{"mode": "timestamp"}, "timestamp.column.name", "needs timestamp.column.name"},
		{map[string]string{"mode": "incrementing", "query": "SELECT * FROM t"}, "incrementing.column.name", "must be set"},
		{map[string]string{"table.include.list": "a("}, "table.include.list", "Invalid value"},
		{map[string]string{"numeric.mapping": "exact"}, "numeric.mapping", "Invalid enumerator"},
		{map[string]string{"batch.max.rows": "0"}, "batch.max.rows", "at least 1"},
	}
	for _, c := range cases {
		props := map[string]string{}
		for k, v := range base {
			props[k] = v
		}
		for k, v := range c.props {
			props[k] = v
		}
		errs := errorsByKey(validateSource(props))
		if !strings.Contains(errs[c.key], c.contain) {
			t.Errorf("%v: errors %v, want %q on %s", c.props, errs, c.contain, c.key)
		}
	}
	noPrefix := map[string]string{"connection.url": "postgres://h/db", "mode": "bulk"}
	if errs := errorsByKey(validateSource(noPrefix)); !strings.Contains(errs["topic.prefix"], "Missing required") {
		t.Fatalf("errors %v", errs)
	}
}

func TestJDBCURL(t *testing.T) {
	cases := map[string]string{
		"jdbc:postgresql://db.example:6543/orders?user=app&password=s3cret&ssl=true&currentSchema=sales&loggerLevel=OFF": "postgresql://db.example:6543/orders?password=s3cret&search_path=sales&sslmode=require&user=app",
		"jdbc:postgresql:orders": "postgresql://localhost/orders",
		"jdbc:postgresql://h1:5432,h2:5433/db?targetServerType=primary": "postgresql://h1:5432,h2:5433/db?target_session_attrs=read-write",
		"postgres://u:p@h/db?sslmode=disable":                           "postgres://u:p@h/db?sslmode=disable",
	}
	for in, want := range cases {
		got, _, err := pgURL(in)
		if err != nil || got != want {
			t.Errorf("pgURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got := redactURL("jdbc:postgresql://h/db?user=a&password=secret"); strings.Contains(got, "secret") {
		t.Fatalf("redacted URL %q shows the password", got)
	}
	if got := redactURL("postgres://a:secret@h/db"); strings.Contains(got, "secret") {
		t.Fatalf("redacted URL %q shows the password", got)
	}
}

// TestConnectionErrorsSayWhatToFix covers an unreachable server, a wrong
// password, a missing table without auto.create and missing privileges.
func TestConnectionErrorsSayWhatToFix(t *testing.T) {
	db := pgtest.New(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	task := &SinkTask{}
	err = task.Start(context.Background(), &sinkCtx{}, map[string]string{"connection.url": "jdbc:postgresql://" + addr + "/x", "connection.attempts": "1"})
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL at 127.0.0.1") || !strings.Contains(err.Error(), "check that the server is running") {
		t.Fatalf("unreachable: %v", err)
	}

	err = task.Start(context.Background(), &sinkCtx{}, sinkProps(db, "connection.user", "runnel", "connection.password", "wrong-password-42"))
	if err == nil || !strings.Contains(err.Error(), "check connection.user and connection.password") || strings.Contains(err.Error(), "wrong-password-42") {
		t.Fatalf("bad password: %v", err)
	}
	vals := (&SinkConnector{}).Validate(sinkProps(db, "connection.password", "wrong-password-42", "connection.user", "runnel"))
	if errs := errorsByKey(vals); !strings.Contains(errs["connection.url"], "connection.password") {
		t.Fatalf("validate with a bad password: %v", errs)
	}

	sink := startSink(t, &sinkCtx{}, sinkProps(db))
	err = sink.Put(context.Background(), []connect.SinkRecord{userRec(0, 1, "a")})
	if err == nil || !strings.Contains(err.Error(), "table users is missing and auto-creation is disabled: create the table, or set auto.create=true") {
		t.Fatalf("missing table: %v", err)
	}

	role := "limited_" + db.Name[len(db.Name)-8:]
	db.Exec(t, "CREATE ROLE "+role+" LOGIN PASSWORD 'pw'")
	t.Cleanup(func() { db.Exec(t, "DROP OWNED BY "+role+"; DROP ROLE "+role) })
	db.Exec(t, `CREATE TABLE users (id int PRIMARY KEY, name text, score float8)`)
	limited := startSink(t, &sinkCtx{}, sinkProps(db, "connection.user", role, "connection.password", "pw"))
	err = limited.Put(context.Background(), []connect.SinkRecord{userRec(0, 1, "a")})
	if err == nil || !strings.Contains(err.Error(), "GRANT") || !strings.Contains(err.Error(), role) {
		t.Fatalf("no privileges: %v", err)
	}
	src := &SourceTask{}
	db.Exec(t, "GRANT SELECT ON users TO "+role) // visible in listings, then revoked
	db.Exec(t, "REVOKE SELECT ON users FROM "+role)
	err = src.Start(context.Background(), &sourceCtx{store: newOffsetStore()},
		sourceProps(db, "mode", "bulk", "query", "SELECT * FROM users", "connection.user", role, "connection.password", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Stop()
	_, err = src.Poll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GRANT SELECT") {
		t.Fatalf("source without privileges: %v", err)
	}
}

func TestPluginsResolve(t *testing.T) {
	r := connect.NewPlugins()
	if err := r.Add(Plugins()...); err != nil {
		t.Fatal(err)
	}
	for name, class := range map[string]string{
		"io.confluent.connect.jdbc.JdbcSinkConnector": "io.confluent.connect.jdbc.JdbcSinkConnector",
		"JdbcSink":        "io.confluent.connect.jdbc.JdbcSinkConnector",
		"PostgresSink":    "io.confluent.connect.jdbc.JdbcSinkConnector",
		"JdbcSource":      "io.confluent.connect.jdbc.JdbcSourceConnector",
		"PostgresSource":  "io.confluent.connect.jdbc.JdbcSourceConnector",
		"postgres-source": "io.confluent.connect.jdbc.JdbcSourceConnector",
	} {
		p, err := r.LookupConnector(name)
		if err != nil || p.Class != class {
			t.Errorf("%s -> %v, %v", name, p, err)
		}
	}
	p, _ := r.LookupConnector("PostgresSink")
	if _, ok := p.New().(connect.SinkConnector); !ok {
		t.Fatal("sink plugin does not build a SinkConnector")
	}
	if _, ok := p.New().(connect.ConfigValidator); !ok {
		t.Fatal("sink plugin does not validate across keys")
	}
	p, _ = r.LookupConnector("PostgresSource")
	if _, ok := p.New().(connect.SourceConnector); !ok {
		t.Fatal("source plugin does not build a SourceConnector")
	}
}
