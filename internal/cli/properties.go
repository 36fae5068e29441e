package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/runnel-dev/runnel/internal/props"
)

// property is one key=value entry from a Java properties file or from a
// repeated key=value flag, with where it came from for error messages.
type property struct {
	Key, Value string
	Source     string // "FILE:LINE" or "--flag"
}

// parseProperties reads the Java .properties format that Kafka's config
// files use (see package props). name is used in error messages. Later
// duplicates win, as in Java.
func parseProperties(name string, data []byte) ([]property, error) {
	entries, err := props.Parse(data)
	var syntax *props.SyntaxError
	if errors.As(err, &syntax) {
		return nil, fmt.Errorf("%s:%d: %w", name, syntax.Line, syntax.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make([]property, len(entries))
	for i, e := range entries {
		out[i] = property{Key: e.Key, Value: e.Value, Source: fmt.Sprintf("%s:%d", name, e.Line)}
	}
	return out, nil
}

// readPropertiesFile parses a properties file from disk.
func readPropertiesFile(path string) ([]property, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading properties file: %w", err)
	}
	return parseProperties(path, data)
}

// parseKeyValueFlags parses repeated key=value flag values (Kafka's
// --property, --config, --override ...). The value may itself contain '='.
func parseKeyValueFlags(flag string, args []string) ([]property, error) {
	out := make([]property, 0, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s: expected key=value, got %q", flag, a)
		}
		out = append(out, property{Key: k, Value: v, Source: "--" + flag})
	}
	return out, nil
}

// propertyMap folds properties into a map where later entries win, and
// remembers each key's source.
type propertyMap struct {
	values  map[string]string
	sources map[string]string
}

func newPropertyMap(lists ...[]property) *propertyMap {
	m := &propertyMap{values: map[string]string{}, sources: map[string]string{}}
	for _, l := range lists {
		for _, p := range l {
			m.values[p.Key] = p.Value
			m.sources[p.Key] = p.Source
		}
	}
	return m
}

func (m *propertyMap) get(key string) (string, bool) {
	v, ok := m.values[key]
	return v, ok
}

// take returns and removes key, so that what remains afterwards is the
// set of keys nobody consumed.
func (m *propertyMap) take(key string) (string, string, bool) {
	v, ok := m.values[key]
	src := m.sources[key]
	delete(m.values, key)
	delete(m.sources, key)
	return v, src, ok
}

func (m *propertyMap) keys() []string {
	ks := make([]string, 0, len(m.values))
	for k := range m.values {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}
