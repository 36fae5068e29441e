package connect

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// ConfigKey defines one configuration key: its type, default, validation
// and the documentation shown by the REST API.
type ConfigKey struct {
	Name string
	Type ConfigType
	// Required keys have no default; a config without them is invalid.
	Required bool
	// Default is used when the key is absent and not Required. It may be
	// written in parsed form (1, true, []string{"a"}) or as the string a
	// user would write ("1"); Define normalises it. nil means null.
	Default    any
	Validator  Validator
	Importance Importance
	Doc        string
	Group      string
	// OrderInGroup is the key's position within its group (1-based).
	OrderInGroup int
	Width        Width
	// DisplayName defaults to Name.
	DisplayName string
	// Dependents names keys whose recommendations depend on this one.
	Dependents  []string
	Recommender Recommender
	// Internal keys are accepted but not documented.
	Internal bool
}

// ConfigDef is an ordered set of ConfigKeys. Build one with NewConfigDef and
// Define; it is immutable in practice once built and safe to share between
// goroutines for reading.
type ConfigDef struct {
	keys   []ConfigKey
	index  map[string]int
	groups []string
}

// NewConfigDef returns an empty definition.
func NewConfigDef() *ConfigDef { return &ConfigDef{index: map[string]int{}} }

// Define adds a key and returns d for chaining. Defining a key twice, or a
// default that does not parse as the key's type, is a programming error and
// panics, as in Kafka.
func (d *ConfigDef) Define(k ConfigKey) *ConfigDef {
	if _, dup := d.index[k.Name]; dup {
		panic(fmt.Sprintf("connect: configuration %q is defined twice", k.Name))
	}
	if k.Type == 0 {
		panic(fmt.Sprintf("connect: configuration %q has no type", k.Name))
	}
	if k.Required {
		k.Default = nil
	} else if k.Default != nil {
		v, err := parseType(k.Name, k.Default, k.Type)
		if err != nil {
			panic(fmt.Sprintf("connect: bad default for %q: %v", k.Name, err))
		}
		k.Default = v
	}
	if k.DisplayName == "" {
		k.DisplayName = k.Name
	}
	if k.OrderInGroup == 0 {
		k.OrderInGroup = -1
	}
	if k.Group != "" && !containsString(d.groups, k.Group) {
		d.groups = append(d.groups, k.Group)
	}
	d.index[k.Name] = len(d.keys)
	d.keys = append(d.keys, k)
	return d
}

// Clone returns an independent copy that can be extended.
func (d *ConfigDef) Clone() *ConfigDef {
	return &ConfigDef{keys: append([]ConfigKey(nil), d.keys...), index: maps.Clone(d.index), groups: append([]string(nil), d.groups...)}
}

// Merge returns a copy of d extended with other's keys; keys other defines
// again replace d's, keeping d's position.
func (d *ConfigDef) Merge(other *ConfigDef) *ConfigDef {
	out := d.Clone()
	if other == nil {
		return out
	}
	for _, k := range other.keys {
		if i, ok := out.index[k.Name]; ok {
			out.keys[i] = k
			continue
		}
		out.index[k.Name] = len(out.keys)
		out.keys = append(out.keys, k)
	}
	for _, g := range other.groups {
		if !containsString(out.groups, g) {
			out.groups = append(out.groups, g)
		}
	}
	return out
}

// Keys returns the keys in definition order.
func (d *ConfigDef) Keys() []ConfigKey { return append([]ConfigKey(nil), d.keys...) }

// Key looks a key up by name.
func (d *ConfigDef) Key(name string) (ConfigKey, bool) {
	i, ok := d.index[name]
	if !ok {
		return ConfigKey{}, false
	}
	return d.keys[i], true
}

// Names returns the key names in definition order.
func (d *ConfigDef) Names() []string {
	out := make([]string, len(d.keys))
	for i, k := range d.keys {
		out[i] = k.Name
	}
	return out
}

// Groups returns the groups in the order they first appeared.
func (d *ConfigDef) Groups() []string { return append([]string(nil), d.groups...) }

// Parse parses and validates props. It fails on the first bad key (in
// definition order) with a *ConfigError naming it. Keys props has but d
// does not define are kept as originals only.
func (d *ConfigDef) Parse(props map[string]string) (*Config, error) {
	values := make(map[string]any, len(d.keys))
	for _, k := range d.keys {
		raw, set := props[k.Name]
		var v any
		switch {
		case set:
			p, err := parseType(k.Name, raw, k.Type)
			if err != nil {
				return nil, err
			}
			v = p
		case k.Required:
			return nil, MissingConfigError(k.Name)
		default:
			v = k.Default
		}
		if k.Validator != nil {
			if err := k.Validator.Validate(k.Name, v); err != nil {
				return nil, err
			}
		}
		values[k.Name] = v
	}
	return &Config{def: d, values: values, originals: maps.Clone(props)}, nil
}

// ConfigValue is the validation result for one key: the parsed value, the
// recommended values, whether the key is relevant, and any errors.
type ConfigValue struct {
	Name              string
	Value             any
	RecommendedValues []any
	Errors            []string
	Visible           bool
}

// Validate checks every key of d against props and returns one result per
// key, in definition order, collecting all problems rather than stopping at
// the first (this is what the validate endpoint shows).
func (d *ConfigDef) Validate(props map[string]string) []ConfigValue {
	results := make([]ConfigValue, len(d.keys))
	parsed := make(map[string]any, len(d.keys))
	for i, k := range d.keys {
		cv := ConfigValue{Name: k.Name, Visible: true, RecommendedValues: []any{}}
		var v any
		if raw, set := props[k.Name]; set {
			p, err := parseType(k.Name, raw, k.Type)
			if err != nil {
				cv.Errors = append(cv.Errors, err.Error())
			} else {
				v = p
			}
		} else if k.Required {
			cv.Errors = append(cv.Errors, MissingConfigError(k.Name).Error())
		} else {
			v = k.Default
		}
		if k.Validator != nil && len(cv.Errors) == 0 {
			if err := k.Validator.Validate(k.Name, v); err != nil {
				cv.Errors = append(cv.Errors, err.Error())
			}
		}
		cv.Value = v
		parsed[k.Name] = v
		results[i] = cv
	}
	for i, k := range d.keys {
		if k.Recommender == nil {
			continue
		}
		results[i].RecommendedValues = k.Recommender.ValidValues(k.Name, parsed)
		results[i].Visible = k.Recommender.Visible(k.Name, parsed)
	}
	return results
}

// parseType converts raw (a string, or an already-typed value) to the Go
// type of t, with Kafka's rules: strings are trimmed, booleans are
// case-insensitive, lists are comma separated with surrounding spaces
// dropped and "" meaning the empty list.
func parseType(name string, raw any, t ConfigType) (any, error) {
	if raw == nil {
		return nil, nil
	}
	s, isString := raw.(string)
	trimmed := strings.TrimSpace(s)
	switch t {
	case TypeBoolean:
		if b, ok := raw.(bool); ok {
			return b, nil
		}
		switch {
		case isString && strings.EqualFold(trimmed, "true"):
			return true, nil
		case isString && strings.EqualFold(trimmed, "false"):
			return false, nil
		}
		return nil, InvalidValueError(name, raw, "Expected value to be either true or false")
	case TypeString, TypeClass:
		if isString {
			return trimmed, nil
		}
		return nil, InvalidValueError(name, raw, fmt.Sprintf("Expected value to be a string, but it was a %T", raw))
	case TypePassword:
		if p, ok := raw.(Password); ok {
			return p, nil
		}
		if isString {
			return NewPassword(trimmed), nil
		}
		return nil, InvalidValueError(name, raw, fmt.Sprintf("Expected value to be a string, but it was a %T", raw))
	case TypeInt, TypeShort:
		lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
		if t == TypeShort {
			lo, hi = math.MinInt16, math.MaxInt16
		}
		n, ok := parseInteger(raw, lo, hi)
		if !ok {
			return nil, InvalidValueError(name, raw, "Not a number of type "+t.String())
		}
		return int(n), nil
	case TypeLong:
		n, ok := parseInteger(raw, math.MinInt64, math.MaxInt64)
		if !ok {
			return nil, InvalidValueError(name, raw, "Not a number of type LONG")
		}
		return n, nil
	case TypeDouble:
		if f, ok := asFloat(raw); ok {
			return f, nil
		}
		if isString {
			if f, err := strconv.ParseFloat(trimmed, 64); err == nil {
				return f, nil
			}
		}
		return nil, InvalidValueError(name, raw, "Not a number of type DOUBLE")
	case TypeList:
		if l, ok := raw.([]string); ok {
			return l, nil
		}
		if !isString {
			return nil, InvalidValueError(name, raw, "Expected a comma separated list.")
		}
		return SplitList(trimmed), nil
	}
	return nil, InvalidValueError(name, raw, "unknown configuration type "+t.String())
}

func parseInteger(raw any, lo, hi int64) (int64, bool) {
	var n int64
	switch x := raw.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case string:
		v, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, false
		}
		n = v
	default:
		return 0, false
	}
	return n, n >= lo && n <= hi
}

var commaWithSpace = regexp.MustCompile(`\s*,\s*`)

// SplitList splits a comma separated list the way Kafka does: whitespace
// around commas is dropped and the empty string is the empty list.
func SplitList(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return []string{}
	}
	return commaWithSpace.Split(s, -1)
}

// ValueString renders a parsed value as Kafka's ConfigDef.convertToString:
// lists joined by commas, passwords hidden, nil as a JSON null (nil return).
func ValueString(v any, t ConfigType) *string {
	if v == nil {
		return nil
	}
	var s string
	switch x := v.(type) {
	case []string:
		s = strings.Join(x, ",")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = FormatValue(e)
		}
		s = strings.Join(parts, ",")
	case Password:
		s = HiddenPassword
	case float64:
		s = formatDouble(x)
	default:
		if t == TypePassword {
			s = HiddenPassword
		} else {
			s = FormatValue(x)
		}
	}
	return &s
}

// formatDouble prints a double the way Java's Double.toString does for the
// values configs use (always with a fraction: 1.0, 0.5).
func formatDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0"
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
