package cdc

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// sessionParams fix the text formats the decoders read: PostgreSQL formats
// values in the session's settings, for query results and for pgoutput alike.
var sessionParams = map[string]string{
	"application_name":   "runnel-cdc",
	"TimeZone":           "UTC",
	"DateStyle":          "ISO, MDY",
	"IntervalStyle":      "iso_8601",
	"extra_float_digits": "3",
	"bytea_output":       "hex",
	"lc_monetary":        "C",
}

// dsn renders the connection settings as a libpq keyword/value string.
func (c *config) dsn() string {
	q := func(s string) string {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	}
	secs := int(c.connectTimeout.Seconds())
	if secs < 1 {
		secs = 1
	}
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=%s connect_timeout=%d",
		q(c.host), c.port, q(c.user), q(c.password), q(c.dbname), q(c.sslMode), secs)
}

func (c *config) where() string {
	return fmt.Sprintf("PostgreSQL at %s:%d, database %q, user %q", c.host, c.port, c.dbname, c.user)
}

// connectQuery opens the connection used for catalog queries, snapshots and
// heartbeat queries.
func connectQuery(ctx context.Context, c *config) (*pgx.Conn, error) {
	pc, err := pgx.ParseConfig(c.dsn())
	if err != nil {
		return nil, fmt.Errorf("connection settings: %w", err)
	}
	for k, v := range sessionParams {
		pc.RuntimeParams[k] = v
	}
	ctx, cancel := context.WithTimeout(ctx, c.connectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return nil, explainConnectError(c, err)
	}
	return conn, nil
}

// connectReplication opens a logical replication connection.
func connectReplication(ctx context.Context, c *config) (*pgconn.PgConn, error) {
	pc, err := pgconn.ParseConfig(c.dsn())
	if err != nil {
		return nil, fmt.Errorf("connection settings: %w", err)
	}
	for k, v := range sessionParams {
		pc.RuntimeParams[k] = v
	}
	pc.RuntimeParams["replication"] = "database"
	ctx, cancel := context.WithTimeout(ctx, c.connectTimeout)
	defer cancel()
	conn, err := pgconn.ConnectConfig(ctx, pc)
	if err != nil {
		return nil, explainConnectError(c, err)
	}
	return conn, nil
}

// explainConnectError turns a connection failure into a message that says
// which setting to fix.
func explainConnectError(c *config, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000":
			if strings.Contains(pgErr.Message, "replication") {
				return fmt.Errorf("%s refuses replication connections (%s): allow them in pg_hba.conf (a 'replication' entry for this user) and give the user the REPLICATION attribute: %w", c.where(), pgErr.Message, err)
			}
			return fmt.Errorf("cannot log in to %s: check database.user and database.password: %w", c.where(), err)
		case "3D000":
			return fmt.Errorf("database %q does not exist on %s:%d: check database.dbname: %w", c.dbname, c.host, c.port, err)
		case "42501":
			return fmt.Errorf("user %q may not connect to %s: check its privileges (CONNECT, REPLICATION): %w", c.user, c.where(), err)
		case "53300":
			return fmt.Errorf("%s has no free connection slots (max_connections / max_wal_senders): %w", c.where(), err)
		}
	}
	return fmt.Errorf("cannot connect to %s: check database.hostname and database.port and that the server is running and reachable: %w", c.where(), err)
}

// checkServer verifies what logical decoding needs: wal_level=logical,
// PostgreSQL 10 or later, and a user allowed to replicate.
func checkServer(ctx context.Context, conn *pgx.Conn, c *config) error {
	var walLevel, versionNum string
	var canReplicate, superuser bool
	err := conn.QueryRow(ctx, `SELECT current_setting('wal_level'), current_setting('server_version_num'),
		r.rolreplication, r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`).
		Scan(&walLevel, &versionNum, &canReplicate, &superuser)
	if err != nil {
		return fmt.Errorf("checking the server settings of %s: %w", c.where(), err)
	}
	return serverProblem(c, walLevel, versionNum, canReplicate || superuser)
}

// serverProblem explains what keeps the server from serving logical
// replication to this user, or returns nil.
func serverProblem(c *config, walLevel, versionNum string, canReplicate bool) error {
	if walLevel != "logical" {
		return fmt.Errorf("%s has wal_level=%s, but change data capture needs wal_level=logical: set wal_level = logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL", c.where(), walLevel)
	}
	if n, _ := strconv.Atoi(versionNum); n < 100000 {
		return fmt.Errorf("%s runs PostgreSQL %s; the pgoutput plugin needs PostgreSQL 10 or later", c.where(), versionNum)
	}
	if !canReplicate {
		return fmt.Errorf("user %q lacks the REPLICATION attribute needed for a replication slot (database.user): run ALTER ROLE %s WITH REPLICATION as a superuser",
			c.user, pgx.Identifier{c.user}.Sanitize())
	}
	return nil
}

// checkTables verifies that every table.include.list entry matches a table
// and that the user can read every captured table.
func checkTables(ctx context.Context, conn *pgx.Conn, c *config, tables []capturedTable) error {
	names, err := listAllTableNames(ctx, conn)
	if err != nil {
		return err
	}
	for _, re := range c.filter.tableInclude {
		found := false
		for _, n := range names {
			if re.MatchString(n) {
				found = true
				break
			}
		}
		if !found {
			pattern := strings.TrimSuffix(strings.TrimPrefix(re.String(), "(?i)^(?:"), ")$")
			return fmt.Errorf("table.include.list entry %q matches no table in database %q: check the name (schema.table) and that the table exists", pattern, c.dbname)
		}
	}
	for _, t := range tables {
		if len(c.keyColumns) > 0 {
			cols, err := readCatalogColumns(ctx, conn, t.oid)
			if err != nil {
				return err
			}
			if _, err := c.keyColumns.forTable(t.schema, t.name, cols); err != nil {
				return err
			}
		}
		if !t.canSelect {
			return fmt.Errorf("user %q cannot read table %s.%s: GRANT SELECT ON %s TO %s", c.user, t.schema, t.name,
				pgx.Identifier{t.schema, t.name}.Sanitize(), pgx.Identifier{c.user}.Sanitize())
		}
	}
	return nil
}
