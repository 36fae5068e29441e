package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// relkinds maps table.types to pg_class.relkind values.
var relkinds = map[string][]string{
	"TABLE":             {"r", "p"},
	"PARTITIONED TABLE": {"p"},
	"VIEW":              {"v"},
	"MATERIALIZED VIEW": {"m"},
	"FOREIGN TABLE":     {"f"},
}

// listTables finds the tables to copy: table.types in schema.pattern
// (every non-system schema by default), filtered by the include and
// exclude keys. Partitions are read through their parent.
func listTables(ctx context.Context, q querier, cfg *sourceConfig, db string) ([]tableID, error) {
	var kinds []string
	for _, t := range cfg.tableTypes {
		kinds = append(kinds, relkinds[strings.ToUpper(t)]...)
	}
	rows, err := q.Query(ctx, `SELECT n.nspname, c.relname FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind::text = ANY($1) AND NOT c.relispartition
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
		  AND ($2::text IS NULL OR n.nspname LIKE $2)
		  AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
		ORDER BY 1, 2`, kinds, cfg.schemaPattern)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []tableID
	for rows.Next() {
		var id tableID
		if err := rows.Scan(&id.schema, &id.name); err != nil {
			return nil, err
		}
		if cfg.wants(db, id) {
			out = append(out, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	// Topics are named after bare table names, so two schemas with the same
	// table would write into one topic.
	seen := map[string]tableID{}
	for _, id := range out {
		if prev, dup := seen[id.name]; dup {
			return nil, fmt.Errorf("tables %s and %s would both write to topic %s%s; narrow schema.pattern or the table lists",
				prev, id, cfg.topicPrefix, id.name)
		}
		seen[id.name] = id
	}
	return out, nil
}

// splitTables deals tables round-robin into at most n groups, as JSON
// task configs.
func splitTables(tables []tableID, n int) []string {
	n = min(n, len(tables))
	groups := make([][]tableID, n)
	for i, t := range tables {
		groups[i%n] = append(groups[i%n], t)
	}
	out := make([]string, n)
	for i, g := range groups {
		sort.Slice(g, func(a, b int) bool { return g[a].String() < g[b].String() })
		raw, _ := json.Marshal(g)
		out[i] = string(raw)
	}
	return out
}

// MarshalJSON writes a table as {"schema":..,"table":..} in task configs.
func (t tableID) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"schema": t.schema, "table": t.name})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (t *tableID) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	t.schema, t.name = m["schema"], m["table"]
	if t.name == "" {
		return fmt.Errorf("table entry %s has no name", b)
	}
	return nil
}
