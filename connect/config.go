package connect

import (
	"fmt"
	"maps"
	"strings"
)

// Config is a parsed configuration: typed values for every key of its
// ConfigDef plus the original strings. Accessors panic when asked for a key
// the definition lacks or with the wrong type: that is a bug in the plugin,
// not bad user input (bad input is rejected by ConfigDef.Parse).
type Config struct {
	def       *ConfigDef
	values    map[string]any
	originals map[string]string
}

func (c *Config) get(name string, t ...ConfigType) any {
	k, ok := c.def.Key(name)
	if !ok {
		panic(fmt.Sprintf("connect: configuration %q is not defined", name))
	}
	if len(t) > 0 && !containsType(t, k.Type) {
		panic(fmt.Sprintf("connect: configuration %q is %s, not %s", name, k.Type, t[0]))
	}
	return c.values[name]
}

func containsType(ts []ConfigType, t ConfigType) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// Get returns the parsed value of name (see ConfigType for the Go types).
func (c *Config) Get(name string) any { return c.get(name) }

// String returns a STRING or CLASS value; null is "".
func (c *Config) String(name string) string {
	s, _ := c.get(name, TypeString, TypeClass).(string)
	return s
}

// IsNull reports whether name's value is null (absent with a null default).
func (c *Config) IsNull(name string) bool { return c.get(name) == nil }

// Int returns an INT or SHORT value; null is 0.
func (c *Config) Int(name string) int {
	n, _ := c.get(name, TypeInt, TypeShort).(int)
	return n
}

// Long returns a LONG value; null is 0.
func (c *Config) Long(name string) int64 {
	n, _ := c.get(name, TypeLong).(int64)
	return n
}

// Double returns a DOUBLE value; null is 0.
func (c *Config) Double(name string) float64 {
	f, _ := c.get(name, TypeDouble).(float64)
	return f
}

// Bool returns a BOOLEAN value; null is false.
func (c *Config) Bool(name string) bool {
	b, _ := c.get(name, TypeBoolean).(bool)
	return b
}

// List returns a LIST value; null is nil.
func (c *Config) List(name string) []string {
	l, _ := c.get(name, TypeList).([]string)
	return l
}

// Password returns a PASSWORD value; null is the empty password.
func (c *Config) Password(name string) Password {
	p, _ := c.get(name, TypePassword).(Password)
	return p
}

// Originals returns a copy of the raw properties the config was parsed from,
// including keys the definition does not know.
func (c *Config) Originals() map[string]string { return maps.Clone(c.originals) }

// OriginalsWithPrefix returns the raw properties whose key starts with
// prefix, with the prefix removed.
func (c *Config) OriginalsWithPrefix(prefix string) map[string]string {
	return WithPrefix(c.originals, prefix)
}

// WithPrefix returns the entries of props whose key starts with prefix, with
// the prefix stripped (Kafka's originalsWithPrefix).
func WithPrefix(props map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range props {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}
