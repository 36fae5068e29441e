package cdc

import (
	"regexp"
)

// tableFilter decides which tables and columns are captured, with
// Debezium's rules: include lists win over exclude lists, names are
// matched whole and case-insensitively, and the system schemas are never
// captured.
type tableFilter struct {
	schemaInclude, schemaExclude []*regexp.Regexp
	tableInclude, tableExclude   []*regexp.Regexp
	columnInclude, columnExclude []*regexp.Regexp
}

func newTableFilter(schemaIn, schemaEx, tableIn, tableEx, colIn, colEx any) (*tableFilter, error) {
	f := &tableFilter{}
	for _, p := range []struct {
		raw any
		dst *[]*regexp.Regexp
	}{{schemaIn, &f.schemaInclude}, {schemaEx, &f.schemaExclude}, {tableIn, &f.tableInclude}, {tableEx, &f.tableExclude}, {colIn, &f.columnInclude}, {colEx, &f.columnExclude}} {
		s, _ := p.raw.(string)
		res, err := compileList(s)
		if err != nil {
			return nil, err
		}
		*p.dst = res
	}
	return f, nil
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// systemSchema reports schemas Debezium never captures.
func systemSchema(schema string) bool {
	switch schema {
	case "pg_catalog", "information_schema", "pg_toast":
		return true
	}
	return len(schema) >= 8 && schema[:8] == "pg_temp_" || len(schema) >= 14 && schema[:14] == "pg_toast_temp_"
}

// captures reports whether schema.table is captured.
func (f *tableFilter) captures(schema, table string) bool {
	if systemSchema(schema) {
		return false
	}
	switch {
	case len(f.schemaInclude) > 0 && !matchAny(f.schemaInclude, schema):
		return false
	case len(f.schemaInclude) == 0 && matchAny(f.schemaExclude, schema):
		return false
	}
	full := schema + "." + table
	if len(f.tableInclude) > 0 {
		return matchAny(f.tableInclude, full)
	}
	return !matchAny(f.tableExclude, full)
}

// includesColumn reports whether a column goes into the value struct. Key
// columns are always in the key, whatever the column lists say.
func (f *tableFilter) includesColumn(schema, table, column string) bool {
	full := schema + "." + table + "." + column
	if len(f.columnInclude) > 0 {
		return matchAny(f.columnInclude, full)
	}
	return !matchAny(f.columnExclude, full)
}
