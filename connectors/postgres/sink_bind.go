package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// binding is a shape matched against its destination table: the actual
// column names, value converters and the SQL statements to write it.
type binding struct {
	table    *tableInfo
	shape    *shape
	colNames []string // actual column names, statement order (keys first)
	colTypes []string // format_type of each column, for casts
	convs    []valueConverter
	notNull  []bool
	// misfit is set when every record of this shape is unwritable (a
	// missing column without auto.evolve, for example).
	misfit string
	// absent marks deletes aimed at a table that does not exist.
	absent bool

	sqlCache map[string]string
}

func (b *binding) nKey() int { return b.shape.nKey }

// fatalError is a problem with the environment or configuration that no
// retry or dead letter queue fixes; the task fails with it.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

func fatalf(format string, args ...any) error {
	return &fatalError{fmt.Errorf(format, args...)}
}

// table returns the cached definition of id, loading it on first use.
func (w *sinkWriter) table(ctx context.Context, id tableID) (*tableInfo, error) {
	if t, ok := w.tables[id]; ok {
		return t, nil
	}
	t, err := loadTable(ctx, w.pool, id, w.cfg.quote)
	if err != nil {
		return nil, w.explain(err, id.String())
	}
	if t != nil {
		w.tables[id] = t
	}
	return t, nil
}

func (w *sinkWriter) forgetTables() {
	clear(w.tables)
	clear(w.bindings)
}

// bind finds or creates (auto.create), evolves (auto.evolve) and checks
// the table for a shape.
func (w *sinkWriter) bind(ctx context.Context, id tableID, s *shape) (*binding, error) {
	t, err := w.table(ctx, id)
	if err != nil {
		return nil, err
	}
	if b, ok := w.bindings[s]; ok && t != nil && b.table == t {
		return b, nil
	}
	if t == nil && s.deleteOnly {
		return &binding{shape: s, absent: true}, nil // nothing to delete
	}
	if t == nil {
		if !w.cfg.autoCreate {
			return nil, fatalf("table %s is missing and auto-creation is disabled: create the table, or set auto.create=true", id)
		}
		if !slices.Contains(w.cfg.tableTypes, "TABLE") {
			return nil, fatalf("table %s is missing and cannot be created because table.types (%v) does not include TABLE", id, w.cfg.tableTypes)
		}
		ddl, err := createTableSQL(id, s, w.cfg.quote)
		if err != nil {
			return w.misfitBinding(s, nil, fmt.Sprintf("cannot create table %s: %v", id, err)), nil
		}
		w.log.Info("creating table", "table", id.String(), "sql", ddl)
		if _, err := w.pool.Exec(ctx, ddl); err != nil {
			return nil, w.explain(err, id.String())
		}
		delete(w.tables, id)
		if t, err = w.table(ctx, id); err != nil {
			return nil, err
		}
		if t == nil {
			return nil, fatalf("table %s was created but is not visible; with quote.sql.identifiers=never names fold to lower case, check table.name.format", id)
		}
	}
	if !slices.Contains(w.cfg.tableTypes, t.kindName()) {
		return nil, fatalf("%s is a %s but table.types is %v; add %s to table.types or write to a table", t.id, t.kindName(), w.cfg.tableTypes, t.kindName())
	}
	var missing []*sinkColumn
	for i := range s.cols {
		if t.column(s.cols[i].name) == nil {
			missing = append(missing, &s.cols[i])
		}
	}
	if len(missing) > 0 {
		names := make([]string, len(missing))
		for i, c := range missing {
			names[i] = c.name
		}
		if t.kind == "v" || t.kind == "m" {
			return w.misfitBinding(s, t, fmt.Sprintf("view %s is missing fields (%s) and ALTER VIEW is unsupported", t.id, strings.Join(names, ", "))), nil
		}
		for _, c := range missing {
			if !c.optional() && (c.schema == nil || !c.schema.HasDefault()) {
				return w.misfitBinding(s, t, fmt.Sprintf("Cannot ALTER TABLE %s to add missing field %s, as the field is not optional and does not have a default value; add the column yourself or make the field optional", t.id, c.name)), nil
			}
		}
		if !w.cfg.autoEvolve {
			return w.misfitBinding(s, t, fmt.Sprintf("table %s is missing fields (%s) and auto-evolution is disabled: add the columns, or set auto.evolve=true", t.id, strings.Join(names, ", "))), nil
		}
		ddl, err := alterTableSQL(t, missing, w.cfg.quote)
		if err != nil {
			return w.misfitBinding(s, t, fmt.Sprintf("cannot add fields to %s: %v", t.id, err)), nil
		}
		w.log.Info("adding columns", "table", t.id.String(), "sql", ddl)
		if _, err := w.pool.Exec(ctx, ddl); err != nil {
			return nil, w.explain(err, t.id.String())
		}
		delete(w.tables, id)
		if t, err = w.table(ctx, id); err != nil {
			return nil, err
		}
		if t == nil {
			return nil, fatalf("table %s disappeared while adding columns", id)
		}
	}
	b := &binding{table: t, shape: s, sqlCache: map[string]string{}}
	inShape := map[string]bool{}
	for i := range s.cols {
		c := t.column(s.cols[i].name)
		if c == nil {
			return w.misfitBinding(s, t, fmt.Sprintf("table %s has no column %s", t.id, s.cols[i].name)), nil
		}
		if c.generated {
			return w.misfitBinding(s, t, fmt.Sprintf("column %s of %s is generated and cannot be written; drop the field with fields.whitelist or a ReplaceField transform", c.name, t.id)), nil
		}
		inShape[c.name] = true
		b.colNames = append(b.colNames, c.name)
		b.colTypes = append(b.colTypes, c.typeName)
		b.convs = append(b.convs, valueConverter{col: &s.cols[i], target: kindOfOID(c.typeOID, c.typeName), loc: w.cfg.conn.location})
		b.notNull = append(b.notNull, c.notNull)
	}
	if w.cfg.insertMode != insertModeUpdate && !s.deleteOnly {
		for _, c := range t.cols {
			if c.notNull && !c.hasDefault && !c.generated && !inShape[c.name] {
				return w.misfitBinding(s, t, fmt.Sprintf("table %s requires column %s (NOT NULL without a default) but the record has no field %s", t.id, c.name, c.name)), nil
			}
		}
	}
	if w.cfg.insertMode == insertModeUpsert && !s.deleteOnly && !t.hasUnique(b.colNames[:s.nKey]) {
		return nil, fatalf("upsert into %s needs a primary key or unique index on (%s), which the table lacks; add one (ALTER TABLE %s ADD PRIMARY KEY (%s)) or fix pk.mode/pk.fields",
			t.id, strings.Join(b.colNames[:s.nKey], ", "), t.ref(), quotedList(b.colNames[:s.nKey]))
	}
	w.bindings[s] = b
	return b, nil
}

func (w *sinkWriter) misfitBinding(s *shape, t *tableInfo, msg string) *binding {
	b := &binding{table: t, shape: s, misfit: msg}
	if t != nil {
		w.bindings[s] = b
	}
	return b
}

func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// row extracts and converts a record's values for the binding.
func (w *sinkWriter) row(b *binding, rec *connect.SinkRecord) ([]any, *recordError) {
	s := b.shape
	row := make([]any, len(s.cols))
	keyStruct, _ := rec.Key.(*data.Struct)
	keyMap, _ := rec.Key.(map[string]any)
	valStruct, _ := rec.Value.(*data.Struct)
	valMap, _ := rec.Value.(map[string]any)
	for i := range s.cols {
		c := &s.cols[i]
		var v any
		switch c.source {
		case srcKafkaTopic:
			v = rec.Topic
		case srcKafkaPartition:
			v = rec.Partition
		case srcKafkaOffset:
			v = rec.Offset
		case srcKeyWhole:
			v = rec.Key
		case srcKeyField:
			if keyStruct == nil {
				return nil, w.recErr(rec, "the record key is a %T, not a struct with field %s", rec.Key, c.name)
			}
			v = structField(keyStruct, c)
		case srcValField:
			if valStruct == nil {
				return nil, w.recErr(rec, "the record value is a %T, not a struct with field %s", rec.Value, c.name)
			}
			v = structField(valStruct, c)
		case srcKeyMapKey:
			v = keyMap[c.name]
		case srcValMapKey:
			v = valMap[c.name]
		}
		cv, err := b.convs[i].convert(v)
		if err != nil {
			return nil, &recordError{rec: rec, msg: fmt.Sprintf("field %s does not fit column %s of %s", c.name, b.colTypes[i], b.table.id), err: err}
		}
		if cv == nil && b.notNull[i] {
			return nil, w.recErr(rec, "column %s of %s is NOT NULL but field %s is null", b.colNames[i], b.table.id, c.name)
		}
		row[i] = cv
	}
	return row, nil
}

func structField(st *data.Struct, c *sinkColumn) any {
	if c.field != nil && c.field.Index() < len(st.Schema().Fields()) && st.Schema().Fields()[c.field.Index()] == c.field {
		return st.GetField(c.field)
	}
	v, err := st.Get(c.name)
	if err != nil {
		return nil
	}
	return v
}
