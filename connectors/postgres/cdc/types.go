package cdc

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// pgType is what the connector needs to know about a PostgreSQL type.
type pgType struct {
	oid      uint32
	name     string // pg_type.typname, e.g. "int4", "_text", "citext"
	kind     byte   // typtype: b base, d domain, e enum, c composite, r range, m multirange, p pseudo
	category byte   // typcategory: A array, ...
	elem     uint32 // element type of an array
	base     uint32 // base type of a domain
	typmod   int32  // typtypmod of a domain
	labels   []string
}

// typeRegistry caches pg_type rows by OID. It is used from one goroutine at
// a time (Start, then the replication reader).
type typeRegistry struct {
	types map[uint32]*pgType
}

func newTypeRegistry() *typeRegistry { return &typeRegistry{types: map[uint32]*pgType{}} }

const typeQuery = `SELECT t.oid, t.typname, t.typtype, t.typcategory, t.typelem, t.typbasetype, t.typtypmod,
	COALESCE((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), '{}')
	FROM pg_catalog.pg_type t WHERE t.oid = ANY($1)`

// load fetches the types (and, transitively, array elements and domain
// bases) that are not cached yet.
func (r *typeRegistry) load(ctx context.Context, conn *pgx.Conn, oids []uint32) error {
	for len(oids) > 0 {
		var missing []uint32
		for _, o := range oids {
			if _, ok := r.types[o]; !ok && o != 0 {
				missing = append(missing, o)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		rows, err := conn.Query(ctx, typeQuery, missing)
		if err != nil {
			return fmt.Errorf("reading pg_type: %w", err)
		}
		oids = oids[:0:0]
		for rows.Next() {
			t := &pgType{}
			var kind, cat string
			if err := rows.Scan(&t.oid, &t.name, &kind, &cat, &t.elem, &t.base, &t.typmod, &t.labels); err != nil {
				rows.Close()
				return fmt.Errorf("reading pg_type: %w", err)
			}
			t.kind, t.category = kind[0], cat[0]
			r.types[t.oid] = t
			if t.elem != 0 {
				oids = append(oids, t.elem)
			}
			if t.base != 0 {
				oids = append(oids, t.base)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reading pg_type: %w", err)
		}
		for _, o := range missing {
			if _, ok := r.types[o]; !ok {
				// A type dropped since the row was written: remember it as
				// unknown rather than querying again.
				r.types[o] = &pgType{oid: o, name: fmt.Sprintf("oid %d", o), kind: 'p'}
			}
		}
	}
	return nil
}

// resolve follows domains down to their base type, keeping the domain's
// type modifier when the column has none.
func (r *typeRegistry) resolve(oid uint32, typmod int32) (*pgType, int32) {
	t := r.types[oid]
	for depth := 0; t != nil && t.kind == 'd' && depth < 16; depth++ {
		if typmod < 0 {
			typmod = t.typmod
		}
		t = r.types[t.base]
	}
	return t, typmod
}

// typeName is a readable name for error messages.
func (r *typeRegistry) typeName(oid uint32) string {
	if t := r.types[oid]; t != nil {
		return strings.TrimPrefix(t.name, "_") + map[bool]string{true: "[]", false: ""}[t.category == 'A' && strings.HasPrefix(t.name, "_")]
	}
	return fmt.Sprintf("oid %d", oid)
}
