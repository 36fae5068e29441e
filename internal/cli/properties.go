package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"
)

// property is one key=value entry from a Java properties file or from a
// repeated key=value flag, with where it came from for error messages.
type property struct {
	Key, Value string
	Source     string // "FILE:LINE" or "--flag"
}

// parseProperties reads the Java .properties format that Kafka's config
// files use: '#' and '!' comments, key and value separated by '=', ':' or
// whitespace, backslash line continuations and escapes (\t, \n, \uXXXX).
// name is used in error messages. Later duplicates win, as in Java.
func parseProperties(name string, data []byte) ([]property, error) {
	var out []property
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		start := lineNo
		line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		// A logical line continues while it ends in an odd number of
		// backslashes; leading whitespace of continuation lines is dropped.
		for endsInContinuation(line) {
			line = line[:len(line)-1]
			if !sc.Scan() {
				break
			}
			lineNo++
			line += strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		}
		key, value, err := splitPropertyLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, start, err)
		}
		out = append(out, property{Key: key, Value: value, Source: fmt.Sprintf("%s:%d", name, start)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
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

func endsInContinuation(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitPropertyLine splits a logical line into its unescaped key and value.
func splitPropertyLine(line string) (string, string, error) {
	i := 0
	for i < len(line) {
		c := line[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		i++
	}
	rawKey := line[:min(i, len(line))]
	rest := ""
	if i < len(line) {
		rest = strings.TrimLeft(line[i:], " \t\f")
		if rest != "" && (rest[0] == '=' || rest[0] == ':') {
			rest = strings.TrimLeft(rest[1:], " \t\f")
		}
	}
	key, err := unescapeProperty(rawKey)
	if err != nil {
		return "", "", err
	}
	value, err := unescapeProperty(rest)
	if err != nil {
		return "", "", err
	}
	return key, value, nil
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf(`malformed \u escape in %q: expected four hex digits`, s)
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf(`malformed \u escape in %q: expected four hex digits`, s)
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
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
