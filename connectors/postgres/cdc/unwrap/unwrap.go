// Package unwrap is Debezium's ExtractNewRecordState transformation
// (io.debezium.transforms.ExtractNewRecordState): it replaces a change
// event envelope by the row state after the change, so that sinks which
// expect plain rows (a JDBC sink, for example) can consume CDC topics.
package unwrap

import (
	"fmt"
	"strings"
	"sync"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/runnel-dev/runnel/connect/transforms"
)

// Class is the transformation's class name; the short alias
// ExtractNewRecordState resolves to it.
const Class = "io.debezium.transforms.ExtractNewRecordState"

// Configuration keys.
const (
	keyDeleteTombstoneMode = "delete.tombstone.handling.mode"
	keyDropTombstones      = "drop.tombstones"
	keyDeleteMode          = "delete.handling.mode"
	keyAddFields           = "add.fields"
	keyAddFieldsPrefix     = "add.fields.prefix"
	keyAddHeaders          = "add.headers"
	keyAddHeadersPrefix    = "add.headers.prefix"
	keyRouteByField        = "route.by.field"
	keyReplaceNull         = "replace.null.with.default"
	keyDropFieldsHeader    = "drop.fields.header.name"
)

// How deletes and tombstones are handled: the modes of
// delete.tombstone.handling.mode, and the legacy pair drop.tombstones /
// delete.handling.mode (used when the new key is absent, as in Debezium 2).
const (
	modeDrop              = "drop"
	modeTombstone         = "tombstone"
	modeRewrite           = "rewrite"
	modeRewriteTombstone  = "rewrite-with-tombstone"
	modeDeleteToTombstone = "delete-to-tombstone"
	legacyNone            = "none"

	deletedField = "__deleted"
)

// ExtractNewRecordState implements transforms.Transformation. A configured
// instance is safe for concurrent use.
type ExtractNewRecordState struct {
	// keepTombstones: pass tombstones through (else drop them).
	keepTombstones bool
	// onDelete is what becomes of a delete event: drop, tombstone (a record
	// with the value schema and a null value), delete-to-tombstone (a real
	// tombstone: null schema and value) or rewrite (the before image with
	// __deleted=true).
	onDelete       string
	rewrite        bool // rewrite mode: __deleted on every record
	addFields      []fieldRef
	addHeaders     []fieldRef
	routeByField   string
	replaceNullDef bool

	mu    sync.Mutex
	cache map[cacheKey]*data.Schema
}

var _ transforms.Transformation = (*ExtractNewRecordState)(nil)

// Register adds the transformation to a registry, under its class name and
// (automatically) the alias ExtractNewRecordState. The transforms package
// cannot do it itself: this package imports it.
func Register(r *transforms.Registry) {
	r.RegisterTransformation(Class, func() transforms.Transformation { return New() })
}

// New returns an unconfigured transformation.
func New() *ExtractNewRecordState { return &ExtractNewRecordState{} }

// Config implements transforms.Transformation.
func (*ExtractNewRecordState) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: keyDeleteTombstoneMode, Type: connect.TypeString, Default: nil, Importance: connect.ImportanceMedium,
			Validator: connect.OrNull(connect.CaseInsensitiveValidString(modeDrop, modeTombstone, modeRewrite, modeRewriteTombstone, modeDeleteToTombstone)),
			Doc: "How to handle delete events and tombstones: drop (remove both), tombstone (keep only a tombstone per delete), rewrite (the row before deletion with __deleted=true, no tombstone), " +
				"rewrite-with-tombstone (rewrite and keep the tombstone), delete-to-tombstone (the delete becomes a tombstone). When absent, drop.tombstones and delete.handling.mode apply."}).
		Define(connect.ConfigKey{Name: keyDropTombstones, Type: connect.TypeBoolean, Default: true, Importance: connect.ImportanceLow,
			Doc: "Deprecated (use delete.tombstone.handling.mode): drop the tombstones that follow delete events."}).
		Define(connect.ConfigKey{Name: keyDeleteMode, Type: connect.TypeString, Default: modeDrop, Importance: connect.ImportanceMedium,
			Validator: connect.CaseInsensitiveValidString(modeDrop, modeRewrite, legacyNone),
			Doc:       "Deprecated (use delete.tombstone.handling.mode): drop delete events, rewrite them (__deleted field), or pass them on as null values (none)."}).
		Define(connect.ConfigKey{Name: keyAddFields, Type: connect.TypeString, Default: "", Importance: connect.ImportanceLow,
			Doc: "Fields of the envelope to add to the value, e.g. op,table,lsn,source.ts_ms (as __op, __table, __lsn, __source_ts_ms); name:NEW renames."}).
		Define(connect.ConfigKey{Name: keyAddFieldsPrefix, Type: connect.TypeString, Default: "__", Importance: connect.ImportanceLow,
			Doc: "Prefix of the added fields."}).
		Define(connect.ConfigKey{Name: keyAddHeaders, Type: connect.TypeString, Default: "", Importance: connect.ImportanceLow,
			Doc: "Fields of the envelope to add as headers, named like add.fields."}).
		Define(connect.ConfigKey{Name: keyAddHeadersPrefix, Type: connect.TypeString, Default: "__", Importance: connect.ImportanceLow,
			Doc: "Prefix of the added headers."}).
		Define(connect.ConfigKey{Name: keyRouteByField, Type: connect.TypeString, Default: "", Importance: connect.ImportanceLow,
			Doc: "A column whose value replaces the topic name."}).
		Define(connect.ConfigKey{Name: keyReplaceNull, Type: connect.TypeBoolean, Default: true, Importance: connect.ImportanceLow,
			Doc: "When adding __deleted, replace null field values with their schema default."}).
		Define(connect.ConfigKey{Name: keyDropFieldsHeader, Type: connect.TypeString, Default: nil, Importance: connect.ImportanceLow,
			Doc: "Not supported."})
}

// Configure implements transforms.Transformation.
func (t *ExtractNewRecordState) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	if !cfg.IsNull(keyDropFieldsHeader) && cfg.String(keyDropFieldsHeader) != "" {
		return connect.InvalidValueError(keyDropFieldsHeader, cfg.String(keyDropFieldsHeader), "dropping fields named by a header is not supported")
	}
	if !cfg.IsNull(keyDeleteTombstoneMode) && cfg.String(keyDeleteTombstoneMode) != "" {
		mode := strings.ToLower(cfg.String(keyDeleteTombstoneMode))
		t.rewrite = mode == modeRewrite || mode == modeRewriteTombstone
		t.keepTombstones = mode == modeRewriteTombstone
		switch mode {
		case modeRewrite, modeRewriteTombstone:
			t.onDelete = modeRewrite
		default:
			t.onDelete = mode
		}
	} else {
		t.keepTombstones = !cfg.Bool(keyDropTombstones)
		switch strings.ToLower(cfg.String(keyDeleteMode)) {
		case modeDrop:
			t.onDelete = modeDrop
		case modeRewrite:
			t.onDelete, t.rewrite = modeRewrite, true
		case legacyNone:
			t.onDelete = modeTombstone
		}
	}
	if t.addFields, err = parseFieldRefs(cfg.String(keyAddFieldsPrefix), cfg.String(keyAddFields)); err != nil {
		return connect.InvalidValueError(keyAddFields, cfg.String(keyAddFields), err.Error())
	}
	if t.addHeaders, err = parseFieldRefs(cfg.String(keyAddHeadersPrefix), cfg.String(keyAddHeaders)); err != nil {
		return connect.InvalidValueError(keyAddHeaders, cfg.String(keyAddHeaders), err.Error())
	}
	t.routeByField = cfg.String(keyRouteByField)
	t.replaceNullDef = cfg.Bool(keyReplaceNull)
	t.cache = map[cacheKey]*data.Schema{}
	return nil
}

// isEnvelope reports whether a record carries a Debezium change event.
func isEnvelope(r *transforms.Record) (*data.Struct, bool) {
	if r.ValueSchema == nil || r.ValueSchema.Type() != data.TypeStruct || !strings.HasSuffix(r.ValueSchema.Name(), ".Envelope") {
		return nil, false
	}
	s, ok := r.Value.(*data.Struct)
	return s, ok && s != nil
}

// Apply implements transforms.Transformation.
func (t *ExtractNewRecordState) Apply(r *transforms.Record) (*transforms.Record, error) {
	tombstone := r.Value == nil
	env, valid := isEnvelope(r)
	if (valid || tombstone) && len(t.addHeaders) > 0 {
		c := r.Clone()
		c.Headers = r.Headers.Clone()
		if err := t.makeHeaders(&c.Headers, env); err != nil {
			return nil, err
		}
		r = c
	}
	if tombstone {
		if t.keepTombstones {
			return r, nil
		}
		return nil, nil
	}
	if !valid {
		return r, nil
	}
	after, afterSchema, err := member(env, "after")
	if err != nil {
		return nil, err
	}
	before, beforeSchema, err := member(env, "before")
	if err != nil {
		return nil, err
	}
	if after == nil && before == nil {
		return nil, nil // truncate (or an empty event): nothing to upsert
	}
	op, _ := env.GetWithoutDefault("op")
	opCode, _ := op.(string)
	var out *transforms.Record
	if after == nil {
		switch t.onDelete {
		case modeDrop:
			return nil, nil
		case modeTombstone:
			out = withValue(r, afterSchema, nil)
		case modeDeleteToTombstone:
			out = withValue(r, nil, nil)
		case modeRewrite:
			if out, err = t.withDeleted(r, beforeSchema, before, "true", opCode); err != nil {
				return nil, err
			}
		}
		if t.routeByField != "" {
			if out, err = route(out, before, t.routeByField); err != nil {
				return nil, err
			}
		}
		if out.Value != nil {
			if out, err = t.withAddedFields(out, env, opCode); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if t.rewrite {
		if out, err = t.withDeleted(r, afterSchema, after, "false", opCode); err != nil {
			return nil, err
		}
	} else {
		out = withValue(r, afterSchema, after)
	}
	if t.routeByField != "" {
		if out, err = route(out, out.Value.(*data.Struct), t.routeByField); err != nil {
			return nil, err
		}
	}
	return t.withAddedFields(out, env, opCode)
}

func member(env *data.Struct, name string) (*data.Struct, *data.Schema, error) {
	f := env.Schema().Field(name)
	if f == nil {
		return nil, nil, fmt.Errorf("ExtractNewRecordState: envelope %s has no %q field", env.Schema().Name(), name)
	}
	v := env.GetField(f)
	if v == nil {
		return nil, f.Schema(), nil
	}
	s, ok := v.(*data.Struct)
	if !ok {
		return nil, nil, fmt.Errorf("ExtractNewRecordState: envelope field %q is a %T, not a struct", name, v)
	}
	return s, f.Schema(), nil
}

func withValue(r *transforms.Record, schema *data.Schema, value any) *transforms.Record {
	c := r.Clone()
	c.ValueSchema, c.Value = schema, value
	if value == nil {
		c.Value = nil // a typed nil *Struct would not be a tombstone
	}
	return c
}

func route(r *transforms.Record, row *data.Struct, field string) (*transforms.Record, error) {
	if row == nil {
		return r, nil
	}
	v, err := row.Get(field)
	if err != nil {
		return nil, fmt.Errorf("ExtractNewRecordState: route.by.field: %w", err)
	}
	topic, ok := v.(string)
	if !ok || strings.TrimSpace(topic) == "" {
		return r, nil
	}
	c := r.Clone()
	c.Topic = topic
	return c, nil
}

// cacheKey identifies a derived schema: the schema it extends and the
// operation (Debezium keys its cache the same way).
type cacheKey struct {
	base *data.Schema
	op   string
	kind byte // 'd' for the __deleted variant, 'a' for added fields
	val  string
}

func (t *ExtractNewRecordState) cached(k cacheKey, build func() (*data.Schema, error)) (*data.Schema, error) {
	t.mu.Lock()
	s, ok := t.cache[k]
	t.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := build()
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	if len(t.cache) > 1024 {
		t.cache = map[cacheKey]*data.Schema{}
	}
	t.cache[k] = s
	t.mu.Unlock()
	return s, nil
}

// withDeleted is Kafka's InsertField$Value with static.field=__deleted:
// the row plus an optional string field "true" or "false".
func (t *ExtractNewRecordState) withDeleted(r *transforms.Record, schema *data.Schema, row *data.Struct, deleted, op string) (*transforms.Record, error) {
	if row == nil {
		return withValue(r, schema, nil), nil
	}
	ns, err := t.cached(cacheKey{base: row.Schema(), kind: 'd'}, func() (*data.Schema, error) {
		b := data.CopyBasics(row.Schema())
		for _, f := range row.Schema().Fields() {
			b.Field(f.Name(), f.Schema())
		}
		b.Field(deletedField, data.OptionalStringSchema)
		return b.Build()
	})
	if err != nil {
		return nil, fmt.Errorf("ExtractNewRecordState: %w", err)
	}
	out := data.NewStruct(ns)
	for _, f := range row.Schema().Fields() {
		v := row.GetFieldWithoutDefault(f)
		if t.replaceNullDef {
			v = row.GetField(f)
		}
		if v == nil {
			continue
		}
		if err := out.Put(f.Name(), v); err != nil {
			return nil, fmt.Errorf("ExtractNewRecordState: %w", err)
		}
	}
	if err := out.Put(deletedField, deleted); err != nil {
		return nil, err
	}
	return withValue(r, ns, out), nil
}

// withAddedFields appends the add.fields values taken from the envelope.
func (t *ExtractNewRecordState) withAddedFields(r *transforms.Record, env *data.Struct, op string) (*transforms.Record, error) {
	if len(t.addFields) == 0 {
		return r, nil
	}
	row, ok := r.Value.(*data.Struct)
	if !ok || row == nil {
		return nil, fmt.Errorf("ExtractNewRecordState: add.fields needs a struct value, got %T", r.Value)
	}
	ns, err := t.cached(cacheKey{base: row.Schema(), op: op, kind: 'a', val: env.Schema().Name()}, func() (*data.Schema, error) {
		b := data.CopyBasics(row.Schema())
		for _, f := range row.Schema().Fields() {
			b.Field(f.Name(), f.Schema())
		}
		for _, ref := range t.addFields {
			if s := ref.schema(env.Schema()); s != nil && b.FieldByName(ref.newName) == nil {
				b.Field(ref.newName, s)
			}
		}
		return b.Build()
	})
	if err != nil {
		return nil, fmt.Errorf("ExtractNewRecordState: %w", err)
	}
	out := data.NewStruct(ns)
	for _, f := range row.Schema().Fields() {
		if v := row.GetFieldWithoutDefault(f); v != nil {
			if err := out.Put(f.Name(), v); err != nil {
				return nil, fmt.Errorf("ExtractNewRecordState: %w", err)
			}
		}
	}
	for _, ref := range t.addFields {
		if ns.Field(ref.newName) == nil {
			continue
		}
		if v := ref.value(env); v != nil {
			if err := out.Put(ref.newName, v); err != nil {
				return nil, fmt.Errorf("ExtractNewRecordState: add.fields %s: %w", ref.newName, err)
			}
		}
	}
	return withValue(r, ns, out), nil
}

// makeHeaders adds the add.headers values. A tombstone has no envelope:
// only its operation ("d") can be given.
func (t *ExtractNewRecordState) makeHeaders(h *data.Headers, env *data.Struct) error {
	for _, ref := range t.addHeaders {
		if env == nil {
			if ref.field == "op" {
				h.AddString(ref.newName, "d")
			}
			continue
		}
		s := ref.schema(env.Schema())
		if s == nil {
			continue
		}
		if err := h.Add(ref.newName, s, ref.value(env)); err != nil {
			return fmt.Errorf("ExtractNewRecordState: add.headers %s: %w", ref.newName, err)
		}
	}
	return nil
}

// fieldRef is one entry of add.fields or add.headers: a field of the
// envelope (op, ts_ms), of its source block (the default: table, lsn), of
// its transaction block (id, total_order, data_collection_order), or a
// qualified struct.field, and the name it gets.
type fieldRef struct {
	parent  string // "" for a top-level field
	field   string
	newName string
}

func parseFieldRefs(prefix, list string) ([]fieldRef, error) {
	var out []fieldRef
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		if len(parts) > 2 {
			return nil, fmt.Errorf("unexpected field name %q", item)
		}
		path := strings.Split(parts[0], ".")
		ref := fieldRef{field: path[0]}
		if len(path) > 1 {
			ref.parent, ref.field = path[0], path[1]
		} else {
			switch ref.field {
			case "id", "total_order", "data_collection_order":
				ref.parent = "transaction"
			case "op", "ts_ms", "ts_us", "ts_ns":
				ref.parent = ""
			case "updateDescription":
				ref.parent = "updateDescription"
			default:
				ref.parent = "source"
			}
		}
		switch {
		case len(parts) == 2:
			ref.newName = prefix + parts[1]
		case len(path) == 1:
			ref.newName = prefix + ref.field
		default:
			ref.newName = prefix + ref.parent + "_" + ref.field
		}
		out = append(out, ref)
	}
	return out, nil
}

// schema is the added field's schema: the envelope field's, made optional;
// nil when the envelope has no such field.
func (f fieldRef) schema(env *data.Schema) *data.Schema {
	var fld *data.Field
	if f.parent != "" {
		if p := env.Field(f.parent); p != nil && p.Schema().Type() == data.TypeStruct {
			fld = p.Schema().Field(f.field)
		}
	} else {
		fld = env.Field(f.field)
	}
	if fld == nil {
		fld = env.Field(f.field) // a field another transformation put at the top
	}
	if fld == nil {
		return nil
	}
	s, err := data.CopyBasics(fld.Schema()).Optional().Build()
	if err != nil {
		return nil
	}
	return s
}

func (f fieldRef) value(env *data.Struct) any {
	parent := env
	if f.parent != "" {
		v, err := env.GetWithoutDefault(f.parent)
		if err != nil {
			parent = nil
		} else {
			parent, _ = v.(*data.Struct)
		}
		if parent == nil {
			return nil // e.g. no transaction block
		}
	}
	if parent.Schema().Field(f.field) != nil {
		v, _ := parent.GetWithoutDefault(f.field)
		return v
	}
	v, _ := env.GetWithoutDefault(f.field)
	return v
}
