package cdc

import "testing"

func TestDefaultLiteral(t *testing.T) {
	for expr, want := range map[string]string{
		"'abc'::text":                "abc",
		"'it''s'::character varying": "it's",
		"42":                         "42",
		"'-1.5'::numeric":            "-1.5",
		"(-5)":                       "-5",
		"true":                       "t",
		"false":                      "f",
		"'2024-01-01'::date":         "2024-01-01",
		"'{1,2}'::integer[]":         "{1,2}",
		"(0)::bigint":                "0",
		"'a'::\"char\"":              "a",
	} {
		got, ok := defaultLiteral(expr)
		if !ok || got != want {
			t.Errorf("defaultLiteral(%q) = %q, %v; want %q", expr, got, ok, want)
		}
	}
	for _, expr := range []string{"now()", "nextval('t_id_seq'::regclass)", "'a'::text || 'b'::text", "CURRENT_TIMESTAMP", "gen_random_uuid()", "(1 + 2)"} {
		if got, ok := defaultLiteral(expr); ok {
			t.Errorf("defaultLiteral(%q) = %q; want no constant", expr, got)
		}
	}
}
