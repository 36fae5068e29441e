package cdc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ensurePublication makes sure the publication pgoutput streams exists, as
// publication.autocreate.mode asks.
func ensurePublication(ctx context.Context, conn *pgx.Conn, c *config, tables []capturedTable, log *slog.Logger) error {
	var allTables bool
	err := conn.QueryRow(ctx, `SELECT puballtables FROM pg_catalog.pg_publication WHERE pubname = $1`, c.publication).Scan(&allTables)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("looking up publication %q: %w", c.publication, err)
	}
	name := pgx.Identifier{c.publication}.Sanitize()
	tableList := func() (string, error) {
		if len(tables) == 0 {
			return "", fmt.Errorf("publication.autocreate.mode=filtered but the filters select no table in database %q: check table.include.list / table.exclude.list", c.dbname)
		}
		parts := make([]string, len(tables))
		for i, t := range tables {
			parts[i] = pgx.Identifier{t.schema, t.name}.Sanitize()
		}
		return strings.Join(parts, ", "), nil
	}
	var stmt string
	switch c.publicationMode {
	case pubDisabled:
		if !exists {
			return fmt.Errorf("publication %q does not exist and publication.autocreate.mode=disabled: create it (CREATE PUBLICATION %s FOR ALL TABLES, or FOR TABLE ...) or set publication.autocreate.mode to all_tables or filtered", c.publication, name)
		}
		return nil
	case pubAllTables:
		if exists {
			return nil
		}
		stmt = "CREATE PUBLICATION " + name + " FOR ALL TABLES"
	case pubNoTables:
		if exists {
			return nil
		}
		stmt = "CREATE PUBLICATION " + name
	case pubFiltered:
		list, err := tableList()
		if err != nil {
			return err
		}
		switch {
		case !exists:
			stmt = "CREATE PUBLICATION " + name + " FOR TABLE " + list
		case allTables:
			return nil // already publishes everything
		default:
			same, err := publicationHasTables(ctx, conn, c.publication, tables)
			if err != nil || same {
				return err
			}
			stmt = "ALTER PUBLICATION " + name + " SET TABLE " + list
		}
	}
	if c.publicationMode == pubAllTables {
		warnUnidentifiedTables(ctx, conn, c, log)
	}
	if _, err := conn.Exec(ctx, stmt); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" {
			return fmt.Errorf("user %q may not create publication %q (%s): create it as a superuser or table owner, and set publication.autocreate.mode=disabled: %w", c.user, c.publication, stmt, err)
		}
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// warnUnidentifiedTables warns about tables that a FOR ALL TABLES
// publication will make read-only for UPDATE and DELETE: PostgreSQL
// rejects those statements on published tables without a replica identity
// (no primary key and REPLICA IDENTITY DEFAULT, or NOTHING).
func warnUnidentifiedTables(ctx context.Context, conn *pgx.Conn, c *config, log *slog.Logger) {
	rows, err := conn.Query(ctx, `SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS (
			SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(names) == 0 {
		return
	}
	log.Warn("publication "+c.publication+" FOR ALL TABLES will make PostgreSQL reject UPDATE and DELETE on tables without a primary key or replica identity; "+
		"add a primary key, set REPLICA IDENTITY FULL, or use publication.autocreate.mode=filtered", "tables", names)
}

func publicationHasTables(ctx context.Context, conn *pgx.Conn, pub string, tables []capturedTable) (bool, error) {
	rows, err := conn.Query(ctx, `SELECT schemaname || '.' || tablename FROM pg_catalog.pg_publication_tables WHERE pubname = $1`, pub)
	if err != nil {
		return false, fmt.Errorf("reading publication %q: %w", pub, err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return false, fmt.Errorf("reading publication %q: %w", pub, err)
	}
	want := make([]string, len(tables))
	for i, t := range tables {
		want[i] = t.schema + "." + t.name
	}
	sort.Strings(have)
	sort.Strings(want)
	return strings.Join(have, "\n") == strings.Join(want, "\n"), nil
}

// slotInfo is a row of pg_replication_slots.
type slotInfo struct {
	exists         bool
	plugin         string
	database       string
	active         bool
	activePID      int32
	confirmedFlush uint64
}

func readSlot(ctx context.Context, conn *pgx.Conn, name string) (slotInfo, error) {
	var s slotInfo
	var plugin, database *string
	var pid *int32
	var confirmed *string
	err := conn.QueryRow(ctx, `SELECT plugin, database, active, active_pid, confirmed_flush_lsn::text
		FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`, name).Scan(&plugin, &database, &s.active, &pid, &confirmed)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading replication slot %q: %w", name, err)
	}
	s.exists = true
	if plugin != nil {
		s.plugin = *plugin
	}
	if database != nil {
		s.database = *database
	}
	if pid != nil {
		s.activePID = *pid
	}
	if confirmed != nil {
		lsn, err := pglogrepl.ParseLSN(*confirmed)
		if err != nil {
			return s, fmt.Errorf("replication slot %q: %w", name, err)
		}
		s.confirmedFlush = uint64(lsn)
	}
	return s, nil
}

// checkSlot verifies that an existing slot can serve this connector.
func checkSlot(s slotInfo, c *config) error {
	if !s.exists {
		return nil
	}
	if s.plugin != pluginPgoutput {
		return fmt.Errorf("replication slot %q exists but uses plugin %q, not pgoutput: choose another slot.name or drop the slot (SELECT pg_drop_replication_slot('%s'))", c.slotName, s.plugin, c.slotName)
	}
	if s.database != c.dbname {
		return fmt.Errorf("replication slot %q belongs to database %q, not %q: slot names are per server, choose another slot.name", c.slotName, s.database, c.dbname)
	}
	return nil
}

// createSlot creates the logical slot on a replication connection. With
// export, the slot's starting snapshot is exported and stays importable
// (SET TRANSACTION SNAPSHOT) until the next command on repl.
func createSlot(ctx context.Context, repl *pgconn.PgConn, name string, export bool) (consistent uint64, snapshot string, err error) {
	action := "NOEXPORT_SNAPSHOT"
	if export {
		action = "EXPORT_SNAPSHOT"
	}
	res, err := pglogrepl.CreateReplicationSlot(ctx, repl, name, pluginPgoutput,
		pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: action})
	if err != nil {
		return 0, "", fmt.Errorf("creating replication slot %q: %w", name, err)
	}
	lsn, err := pglogrepl.ParseLSN(res.ConsistentPoint)
	if err != nil {
		return 0, "", fmt.Errorf("creating replication slot %q: %w", name, err)
	}
	return uint64(lsn), res.SnapshotName, nil
}

// dropSlot removes the slot, waiting for a consumer that is still
// disconnecting.
func dropSlot(ctx context.Context, conn *pgx.Conn, name string) error {
	_, err := conn.Exec(ctx, `SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`, name)
	if err != nil {
		return fmt.Errorf("dropping replication slot %q: %w", name, err)
	}
	return nil
}
