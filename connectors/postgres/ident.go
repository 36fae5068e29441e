package postgres

import (
	"fmt"
	"strings"
)

// quoting is quote.sql.identifiers: "always" quotes every identifier and
// keeps its case, "never" writes identifiers bare (PostgreSQL then folds
// them to lower case).
type quoting bool

const (
	quoteAlways quoting = true
	quoteNever  quoting = false
)

func parseQuoting(s string) quoting { return quoting(!strings.EqualFold(s, "never")) }

// ident renders one identifier.
func (q quoting) ident(name string) string {
	if q == quoteNever {
		return name
	}
	return quoteIdent(name)
}

// quoteIdent always quotes, doubling embedded quotes.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// tableID names a table, optionally in a schema. An empty schema means the
// first schema on the search_path that has the table.
type tableID struct {
	schema string
	name   string
}

// parseTableID splits "schema.table" (or "db.schema.table", the database
// part being checked by the caller if at all). Double-quoted parts may
// contain dots.
func parseTableID(s string) (tableID, error) {
	parts, err := splitQualified(s)
	if err != nil {
		return tableID{}, err
	}
	switch len(parts) {
	case 1:
		return tableID{name: parts[0]}, nil
	case 2:
		return tableID{schema: parts[0], name: parts[1]}, nil
	case 3:
		return tableID{schema: parts[1], name: parts[2]}, nil
	}
	return tableID{}, fmt.Errorf("table name %q has more than three dot-separated parts", s)
}

func splitQualified(s string) ([]string, error) {
	var parts []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && inQuote && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '.' && !inQuote:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if inQuote {
		return nil, fmt.Errorf("table name %q has an unclosed quote", s)
	}
	parts = append(parts, cur.String())
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("table name %q has an empty part", s)
		}
	}
	return parts, nil
}

// sql renders the table reference.
func (t tableID) sql(q quoting) string {
	if t.schema == "" {
		return q.ident(t.name)
	}
	return q.ident(t.schema) + "." + q.ident(t.name)
}

// String is the unquoted, dot-separated name used in messages.
func (t tableID) String() string {
	if t.schema == "" {
		return t.name
	}
	return t.schema + "." + t.name
}
