package postgres

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// colSource says where a column's value comes from in a record.
type colSource uint8

const (
	srcKafkaTopic colSource = iota
	srcKafkaPartition
	srcKafkaOffset
	srcKeyWhole  // a primitive key is the column
	srcKeyField  // a field of a struct key
	srcValField  // a field of a struct value
	srcKeyMapKey // an entry of a schemaless key map
	srcValMapKey // an entry of a schemaless value map
)

// sinkColumn is one column a group of records writes.
type sinkColumn struct {
	name   string
	pk     bool
	source colSource
	// schema is the Connect schema of the field; nil for schemaless
	// entries, whose type is inferred from the first value seen (kind).
	schema *data.Schema
	kind   data.Type // schemaless: inferred type (0 = unknown, only nulls seen)
	field  *data.Field
}

func (c *sinkColumn) optional() bool {
	if c.schema != nil {
		return c.schema.Optional()
	}
	return !c.pk
}

// shape is the set of columns records of one table and one schema pair
// write, in statement order: primary key columns first.
type shape struct {
	cols []sinkColumn
	nKey int
	// confluentOrder indexes cols in the order Confluent creates columns:
	// kafka coordinates, then value fields in schema order, then the rest
	// sorted by name.
	createOrder []int
	sig         string
	// deleteOnly marks the key-only shape of tombstones.
	deleteOnly bool
}

func (s *shape) keyCols() []sinkColumn { return s.cols[:s.nKey] }
func (s *shape) valCols() []sinkColumn { return s.cols[s.nKey:] }

// recordError is a record that cannot be written as it is. It is reported
// to the errant record reporter (dead letter queue) rather than failing the
// whole batch when errors.tolerance=all.
type recordError struct {
	rec *connect.SinkRecord
	msg string
	err error
}

func (e *recordError) Error() string {
	s := fmt.Sprintf("record %s-%d@%d: %s", e.rec.Topic, e.rec.Partition, e.rec.Offset, e.msg)
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *recordError) Unwrap() error { return e.err }

func (w *sinkWriter) recErr(rec *connect.SinkRecord, format string, args ...any) *recordError {
	return &recordError{rec: rec, msg: fmt.Sprintf(format, args...)}
}

// checkRecord applies Confluent's RecordValidator rules, relaxed to accept
// schemaless maps: the key or value a pk.mode needs must be present and of
// a usable kind.
func (w *sinkWriter) checkRecord(rec *connect.SinkRecord) *recordError {
	c := w.cfg
	needKey := c.pkMode == pkModeRecordKey || c.deletes
	if needKey {
		if rec.Key == nil {
			return w.recErr(rec, "the sink is configured with delete.enabled=%t and pk.mode=%s and therefore requires non-null record keys", c.deletes, c.pkMode)
		}
		if rec.KeySchema != nil && rec.KeySchema.Type() != data.TypeStruct && !rec.KeySchema.Type().IsPrimitive() {
			return w.recErr(rec, "pk.mode=%s requires record keys that are structs or a single primitive value, but the key schema is %s", c.pkMode, rec.KeySchema.Type())
		}
	}
	if rec.Value == nil {
		if c.deletes {
			return nil
		}
		return w.recErr(rec, "the record value is null (a tombstone) but delete.enabled=false; set delete.enabled=true (with pk.mode=record_key) to delete rows, or drop tombstones with a Filter transform")
	}
	switch v := rec.Value.(type) {
	case *data.Struct:
		return nil
	case map[string]any:
		return nil
	default:
		return w.recErr(rec, "record values must be structs (with a schema) or JSON objects, but found %s; use a converter with schemas (JsonConverter with schemas.enable=true, Avro...) or a HoistField transform", describeValue(v, rec.ValueSchema))
	}
}

func describeValue(v any, s *data.Schema) string {
	if s != nil {
		return fmt.Sprintf("a %s value", s.Type())
	}
	return fmt.Sprintf("a schemaless %T value", v)
}

// shapeFor returns the shape of a non-delete record, computing it once
// per schema pair (or per set of map keys for schemaless records).
func (w *sinkWriter) shapeFor(tbl string, rec *connect.SinkRecord) (*shape, *recordError) {
	keySchema := rec.KeySchema
	var valSchema *data.Schema
	var valMap map[string]any
	switch v := rec.Value.(type) {
	case *data.Struct:
		valSchema = v.Schema()
	case map[string]any:
		valMap = v
	}
	keyMap, _ := rec.Key.(map[string]any)
	if valSchema != nil && (keyMap == nil || w.cfg.pkMode != pkModeRecordKey) {
		k := shapeKey{table: tbl, key: keySchema, value: valSchema}
		if s, ok := w.shapes[k]; ok {
			return s, nil
		}
		s, err := w.buildShape(rec, keySchema, nil, valSchema, nil)
		if err != nil {
			return nil, err
		}
		w.shapes[k] = s
		return s, nil
	}
	// Schemaless: the shape depends on which entries are present.
	sig := schemalessSig(tbl, keySchema, keyMap, valMap, valSchema)
	if s, ok := w.schemaless[sig]; ok {
		return s, nil
	}
	s, err := w.buildShape(rec, keySchema, keyMap, valSchema, valMap)
	if err != nil {
		return nil, err
	}
	if len(w.schemaless) > 10000 {
		clear(w.schemaless) // bound the cache for very irregular data
	}
	w.schemaless[sig] = s
	return s, nil
}

type shapeKey struct {
	table      string
	key, value *data.Schema
}

func schemalessSig(tbl string, ks *data.Schema, km map[string]any, vm map[string]any, vs *data.Schema) string {
	var b strings.Builder
	b.WriteString(tbl)
	b.WriteByte(0)
	if ks != nil {
		fmt.Fprintf(&b, "%p", ks)
	}
	b.WriteByte(0)
	for _, k := range sortedKeys(km) {
		b.WriteString(k)
		b.WriteByte(1)
	}
	b.WriteByte(0)
	if vs != nil {
		fmt.Fprintf(&b, "%p", vs)
	}
	for _, k := range sortedKeys(vm) {
		b.WriteString(k)
		b.WriteByte(1)
	}
	return b.String()
}

func sortedKeys(m map[string]any) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// buildShape follows Confluent's FieldsMetadata.extract: key columns per
// pk.mode, then value fields not already keys and allowed by
// fields.whitelist.
func (w *sinkWriter) buildShape(rec *connect.SinkRecord, keySchema *data.Schema, keyMap map[string]any,
	valSchema *data.Schema, valMap map[string]any) (*shape, *recordError) {
	c := w.cfg
	s := &shape{}
	keyNames := map[string]bool{}
	addKey := func(col sinkColumn) {
		col.pk = true
		keyNames[col.name] = true
		s.cols = append(s.cols, col)
	}
	switch c.pkMode {
	case pkModeKafka:
		names := defaultKafkaPKNames
		if len(c.pkFields) == 3 {
			names = c.pkFields
		}
		addKey(sinkColumn{name: names[0], source: srcKafkaTopic, schema: data.StringSchema})
		addKey(sinkColumn{name: names[1], source: srcKafkaPartition, schema: data.Int32Schema})
		addKey(sinkColumn{name: names[2], source: srcKafkaOffset, schema: data.Int64Schema})
	case pkModeRecordKey:
		switch {
		case keyMap != nil:
			names := c.pkFields
			if len(names) == 0 {
				names = sortedKeys(keyMap)
			}
			for _, n := range names {
				v, ok := keyMap[n]
				if !ok {
					return nil, w.recErr(rec, "pk.mode is record_key with pk.fields %v, but the record key has no entry %q", c.pkFields, n)
				}
				addKey(sinkColumn{name: n, source: srcKeyMapKey, kind: inferKind(v)})
			}
		case keySchema == nil && rec.Key != nil:
			kind, ok := data.InferType(rec.Key)
			if !ok || !kind.IsPrimitive() {
				return nil, w.recErr(rec, "pk.mode is record_key but the schemaless key is a %T, not a primitive or a JSON object", rec.Key)
			}
			if len(c.pkFields) != 1 {
				return nil, w.recErr(rec, "Need exactly one PK column defined since the key schema for records is a primitive type, defined columns are: %v", c.pkFields)
			}
			addKey(sinkColumn{name: c.pkFields[0], source: srcKeyWhole, kind: kind})
		case keySchema == nil:
			return nil, w.recErr(rec, "PK mode for table is record_key, but record key schema is missing")
		case keySchema.Type().IsPrimitive():
			if len(c.pkFields) != 1 {
				return nil, w.recErr(rec, "Need exactly one PK column defined since the key schema for records is a primitive type, defined columns are: %v", c.pkFields)
			}
			addKey(sinkColumn{name: c.pkFields[0], source: srcKeyWhole, schema: keySchema})
		case keySchema.Type() == data.TypeStruct:
			if len(c.pkFields) == 0 {
				for _, f := range keySchema.Fields() {
					addKey(sinkColumn{name: f.Name(), source: srcKeyField, schema: f.Schema(), field: f})
				}
			}
			for _, n := range c.pkFields {
				f := keySchema.Field(n)
				if f == nil {
					return nil, w.recErr(rec, "PK mode for table is record_key with configured PK fields %v, but record key schema does not contain field: %s", c.pkFields, n)
				}
				addKey(sinkColumn{name: n, source: srcKeyField, schema: f.Schema(), field: f})
			}
		default:
			return nil, w.recErr(rec, "Key schema must be primitive type or Struct, but is of type: %s", keySchema.Type())
		}
	case pkModeRecordValue:
		switch {
		case valSchema != nil:
			if len(c.pkFields) == 0 {
				for _, f := range valSchema.Fields() {
					addKey(sinkColumn{name: f.Name(), source: srcValField, schema: f.Schema(), field: f})
				}
			}
			for _, n := range c.pkFields {
				f := valSchema.Field(n)
				if f == nil {
					return nil, w.recErr(rec, "PK mode for table is record_value with configured PK fields %v, but record value schema does not contain field: %s", c.pkFields, n)
				}
				addKey(sinkColumn{name: n, source: srcValField, schema: f.Schema(), field: f})
			}
		case valMap != nil:
			names := c.pkFields
			if len(names) == 0 {
				names = sortedKeys(valMap)
			}
			for _, n := range names {
				v, ok := valMap[n]
				if !ok {
					return nil, w.recErr(rec, "pk.mode is record_value with pk.fields %v, but the record value has no entry %q", c.pkFields, n)
				}
				addKey(sinkColumn{name: n, source: srcValMapKey, kind: inferKind(v)})
			}
		}
	}
	s.nKey = len(s.cols)
	if valSchema != nil {
		if valSchema.Type() != data.TypeStruct {
			return nil, w.recErr(rec, "Value schema must be of type Struct")
		}
		for _, f := range valSchema.Fields() {
			if keyNames[f.Name()] || (c.fieldsAllow != nil && !c.fieldsAllow[f.Name()]) {
				continue
			}
			s.cols = append(s.cols, sinkColumn{name: f.Name(), source: srcValField, schema: f.Schema(), field: f})
		}
	}
	for _, n := range sortedKeys(valMap) {
		if keyNames[n] || (c.fieldsAllow != nil && !c.fieldsAllow[n]) {
			continue
		}
		s.cols = append(s.cols, sinkColumn{name: n, source: srcValMapKey, kind: inferKind(valMap[n])})
	}
	if len(s.cols) == 0 {
		return nil, w.recErr(rec, "No fields found using key and value schemas for table")
	}
	s.createOrder = createOrder(s, valSchema)
	s.sig = shapeSig(s)
	return s, nil
}

// createOrder is Confluent's column order for CREATE TABLE.
func createOrder(s *shape, valSchema *data.Schema) []int {
	idx := map[string]int{}
	for i, c := range s.cols {
		idx[c.name] = i
	}
	var out []int
	seen := map[int]bool{}
	add := func(name string) {
		if i, ok := idx[name]; ok && !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	for i, c := range s.cols {
		if c.source <= srcKafkaOffset {
			add(s.cols[i].name)
		}
	}
	if valSchema != nil {
		for _, f := range valSchema.Fields() {
			add(f.Name())
		}
	}
	var rest []string
	for i, c := range s.cols {
		if !seen[i] {
			rest = append(rest, c.name)
		}
	}
	slices.Sort(rest)
	for _, n := range rest {
		add(n)
	}
	return out
}

func shapeSig(s *shape) string {
	var b strings.Builder
	for i, c := range s.cols {
		if i == s.nKey {
			b.WriteByte('|')
		}
		b.WriteString(c.name)
		b.WriteByte(0)
	}
	return b.String()
}

// deleteShape is the key-only shape of tombstones (pk.mode=record_key).
func (w *sinkWriter) deleteShape(tbl string, rec *connect.SinkRecord) (*shape, *recordError) {
	keyMap, _ := rec.Key.(map[string]any)
	if keyMap == nil {
		k := shapeKey{table: tbl, key: rec.KeySchema}
		if s, ok := w.shapes[k]; ok {
			return s, nil
		}
		s, err := w.buildShape(rec, rec.KeySchema, nil, nil, nil)
		if err != nil {
			return nil, err
		}
		s.deleteOnly = true
		w.shapes[k] = s
		return s, nil
	}
	sig := "\x00delete" + schemalessSig(tbl, nil, keyMap, nil, nil)
	if s, ok := w.schemaless[sig]; ok {
		return s, nil
	}
	s, err := w.buildShape(rec, nil, keyMap, nil, nil)
	if err != nil {
		return nil, err
	}
	s.deleteOnly = true
	w.schemaless[sig] = s
	return s, nil
}

// inferKind is the column type of a schemaless value (0 for nil).
func inferKind(v any) data.Type {
	if v == nil {
		return 0
	}
	t, ok := data.InferType(v)
	if !ok {
		return data.TypeString
	}
	return t
}
