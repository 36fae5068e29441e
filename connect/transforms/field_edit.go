package transforms

import (
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// ReplaceField filters and renames fields (Kafka's ReplaceField$Key /
// $Value). The 3.x names blacklist/whitelist are accepted for exclude/include.
type ReplaceField struct {
	side           side
	exclude        map[string]bool
	include        map[string]bool
	renames        map[string]string
	reverseRenames map[string]string
	withDefault    bool
	cache          *schemaCache
}

func (*ReplaceField) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "exclude", Type: connect.TypeList, Default: []string{}, Importance: connect.ImportanceMedium,
			Doc: "Fields to exclude. This takes precedence over the fields to include."}).
		Define(connect.ConfigKey{Name: "include", Type: connect.TypeList, Default: []string{}, Importance: connect.ImportanceMedium,
			Doc: "Fields to include. If specified, only these fields will be used."}).
		Define(connect.ConfigKey{Name: "renames", Type: connect.TypeList, Default: []string{},
			Validator: connect.ValidatorFunc("list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>", func(name string, v any) error {
				l, _ := v.([]string)
				_, err := parseRenames(l)
				return err
			}),
			Importance: connect.ImportanceMedium, Doc: "Field rename mappings."}).
		Define(connect.ConfigKey{Name: "blacklist", Type: connect.TypeList, Importance: connect.ImportanceLow,
			Doc: "Deprecated. Use exclude instead."}).
		Define(connect.ConfigKey{Name: "whitelist", Type: connect.TypeList, Importance: connect.ImportanceLow,
			Doc: "Deprecated. Use include instead."}).
		Define(replaceNullKey())
}

func parseRenames(mappings []string) (map[string]string, error) {
	m := make(map[string]string, len(mappings))
	for _, mapping := range mappings {
		parts := strings.Split(mapping, ":")
		if len(parts) != 2 {
			return nil, connect.InvalidValueError("renames", mappings, "Invalid rename mapping: "+mapping)
		}
		m[parts[0]] = parts[1]
	}
	return m, nil
}

func (t *ReplaceField) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	toSet := func(l []string) map[string]bool {
		s := make(map[string]bool, len(l))
		for _, x := range l {
			s[x] = true
		}
		return s
	}
	exclude, include := cfg.List("exclude"), cfg.List("include")
	if _, set := props["exclude"]; !set && !cfg.IsNull("blacklist") {
		exclude = cfg.List("blacklist")
	}
	if _, set := props["include"]; !set && !cfg.IsNull("whitelist") {
		include = cfg.List("whitelist")
	}
	t.exclude, t.include = toSet(exclude), toSet(include)
	if t.renames, err = parseRenames(cfg.List("renames")); err != nil {
		return err
	}
	t.reverseRenames = make(map[string]string, len(t.renames))
	for k, v := range t.renames {
		t.reverseRenames[v] = k
	}
	t.withDefault, t.cache = cfg.Bool(replaceNullWithDefaultConfig), newSchemaCache()
	return nil
}

func (t *ReplaceField) keep(name string) bool {
	return !t.exclude[name] && (len(t.include) == 0 || t.include[name])
}

func (t *ReplaceField) renamed(name string) string {
	if n, ok := t.renames[name]; ok {
		return n
	}
	return name
}

func (t *ReplaceField) Apply(r *Record) (*Record, error) {
	schema, value := t.side.get(r)
	if value == nil {
		return r, nil
	}
	const purpose = "field replacement"
	if schema == nil {
		m, err := requireMap(value, purpose)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m))
		for k, v := range m {
			if t.keep(k) {
				out[t.renamed(k)] = v
			}
		}
		return t.side.with(r, nil, out), nil
	}
	st, err := requireStruct(value, purpose)
	if err != nil {
		return nil, err
	}
	updated, err := t.cache.get(st.Schema(), func(s *data.Schema) (*data.Schema, error) {
		b := data.CopyBasics(s)
		for _, f := range s.Fields() {
			if t.keep(f.Name()) {
				b.Field(t.renamed(f.Name()), f.Schema())
			}
		}
		return b.Build()
	})
	if err != nil {
		return nil, err
	}
	out := data.NewStruct(updated)
	for _, f := range updated.Fields() {
		orig := f.Name()
		if n, ok := t.reverseRenames[orig]; ok {
			orig = n
		}
		if err := out.PutField(f, fieldValue(st, st.Schema().Field(orig), t.withDefault)); err != nil {
			return nil, err
		}
	}
	return t.side.with(r, updated, out), nil
}

// MaskField replaces field values with a type-appropriate empty value or a
// configured replacement (Kafka's MaskField$Key / $Value).
type MaskField struct {
	side           side
	fields         []string
	fieldSet       map[string]bool
	replacement    string
	hasReplacement bool
	withDefault    bool
}

func (*MaskField) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "fields", Type: connect.TypeList, Required: true, Validator: nonEmptyList(),
			Importance: connect.ImportanceHigh, Doc: "Names of fields to mask."}).
		Define(connect.ConfigKey{Name: "replacement", Type: connect.TypeString, Validator: connect.OrNull(connect.NonEmptyString()),
			Importance: connect.ImportanceLow, Doc: "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty string values only)."}).
		Define(replaceNullKey())
}

func (t *MaskField) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.fields = cfg.List("fields")
	t.fieldSet = make(map[string]bool, len(t.fields))
	for _, f := range t.fields {
		t.fieldSet[f] = true
	}
	t.hasReplacement = !cfg.IsNull("replacement")
	if t.hasReplacement {
		t.replacement = cfg.String("replacement")
	}
	t.withDefault = cfg.Bool(replaceNullWithDefaultConfig)
	return nil
}

func (t *MaskField) Apply(r *Record) (*Record, error) {
	schema, value := t.side.get(r)
	const purpose = "mask fields"
	if schema == nil {
		m, err := requireMap(value, purpose)
		if err != nil {
			return nil, err
		}
		out := copyMap(m, len(t.fields))
		for _, f := range t.fields {
			mv, err := t.mask(m[f])
			if err != nil {
				return nil, err
			}
			out[f] = mv
		}
		return t.side.with(r, schema, out), nil
	}
	st, err := requireStruct(value, purpose)
	if err != nil {
		return nil, err
	}
	out := data.NewStruct(st.Schema())
	for _, f := range st.Schema().Fields() {
		v := fieldValue(st, f, t.withDefault)
		if t.fieldSet[f.Name()] {
			if v, err = t.mask(v); err != nil {
				return nil, err
			}
		}
		if err := out.PutField(f, v); err != nil {
			return nil, err
		}
	}
	return t.side.with(r, schema, out), nil
}

func (t *MaskField) mask(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if t.hasReplacement {
		return maskWithReplacement(v, t.replacement)
	}
	switch x := v.(type) {
	case bool:
		return false, nil
	case int8:
		return int8(0), nil
	case int16:
		return int16(0), nil
	case int32:
		return int32(0), nil
	case int64:
		return int64(0), nil
	case float32:
		return float32(0), nil
	case float64:
		return float64(0), nil
	case *data.Decimal:
		// Kafka uses BigDecimal.ZERO; keeping the scale keeps the value
		// writable with its Decimal schema.
		return data.NewDecimalFromInt64(0, x.Scale()), nil
	case time.Time:
		return time.UnixMilli(0).UTC(), nil
	case string:
		return "", nil
	case []any:
		return []any{}, nil
	case map[string]any:
		return map[string]any{}, nil
	case map[any]any:
		return map[any]any{}, nil
	}
	return nil, data.Errorf("Cannot mask value of type: %T", v)
}

func maskWithReplacement(v any, repl string) (any, error) {
	numErr := func() error {
		return data.Errorf("Unable to convert %s (string) to number", repl)
	}
	switch v.(type) {
	case string:
		return repl, nil
	case int8, int16, int32, int64:
		sv := data.ParseString(repl)
		n, ok := integral(sv.Value)
		if !ok {
			return nil, numErr()
		}
		switch v.(type) {
		case int8:
			return int8(n), nil
		case int16:
			return int16(n), nil
		case int32:
			return int32(n), nil
		}
		return n, nil
	case float32:
		f, err := strconv.ParseFloat(strings.TrimSpace(repl), 32)
		if err != nil {
			return nil, numErr()
		}
		return float32(f), nil
	case float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(repl), 64)
		if err != nil {
			return nil, numErr()
		}
		return f, nil
	case *data.Decimal:
		d, err := data.ParseDecimal(repl)
		if err != nil {
			return nil, numErr()
		}
		return d, nil
	}
	return nil, data.Errorf("Cannot mask value of type %T with custom replacement.", v)
}

// integral reads a parsed number as int64 (Values.convertToLong semantics:
// fractions truncate).
func integral(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case float32:
		return javaF2L(float64(x)), true
	case float64:
		return javaF2L(x), true
	case *data.Decimal:
		q := new(big.Int).Quo(x.Rat().Num(), x.Rat().Denom())
		return q.Int64(), true
	}
	return 0, false
}
