package workers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseProperties reads the Java .properties format Kafka's config files
// use: '#' and '!' comments, key and value separated by '=', ':' or
// whitespace, backslash continuations and escapes (\t, \n, \uXXXX). Keys
// keep their case (transform aliases are case-sensitive). Later
// duplicates win. name is used in error messages.
func ParseProperties(name string, data []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		start := lineNo
		line := strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continues(line) {
			line = line[:len(line)-1]
			if !sc.Scan() {
				break
			}
			lineNo++
			line += strings.TrimLeftFunc(sc.Text(), unicode.IsSpace)
		}
		key, value, err := splitProperty(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, start, err)
		}
		out[key] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return out, nil
}

func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits a logical line at the first unescaped separator.
func splitProperty(line string) (string, string, error) {
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
	i = min(i, len(line))
	key, rest := line[:i], line[i:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	k, err := unescape(key)
	if err != nil {
		return "", "", err
	}
	v, err := unescape(rest)
	if err != nil {
		return "", "", err
	}
	return k, v, nil
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
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
			if i+4 >= len(s) {
				return "", fmt.Errorf("malformed \\uXXXX escape")
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
			if err != nil {
				return "", fmt.Errorf("malformed \\uXXXX escape %q", s[i-1:i+5])
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	if !utf8.ValidString(b.String()) {
		return "", fmt.Errorf("invalid UTF-8")
	}
	return b.String(), nil
}

// ReadConnectorFile reads a connector configuration the way Kafka's
// connect-standalone does, trying in order: a flat JSON object of strings
// (with "name"), a JSON {"name", "config", "initial_state"} request, and a
// .properties file (with "name").
func ReadConnectorFile(path string) (CreateConnectorRequest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return CreateConnectorRequest{}, fmt.Errorf("reading connector configuration: %w", err)
	}
	missingName := fmt.Errorf("Connector configuration at '%s' is missing the mandatory 'name' configuration", path)
	var flat map[string]string
	if err := json.Unmarshal(data, &flat); err == nil && flat != nil {
		if _, ok := flat[NameConfig]; !ok {
			return CreateConnectorRequest{}, missingName
		}
		return CreateConnectorRequest{Name: flat[NameConfig], Config: flat}, nil
	}
	var req CreateConnectorRequest
	if err := json.Unmarshal(data, &req); err == nil && (req.Name != "" || req.Config != nil) {
		if req.Config == nil {
			req.Config = map[string]string{}
		}
		if n, ok := req.Config[NameConfig]; ok {
			if n != req.Name {
				return CreateConnectorRequest{}, fmt.Errorf("Connector name configuration in 'config' doesn't match the one specified in 'name' at '%s'", path)
			}
		} else {
			req.Config[NameConfig] = req.Name
		}
		return req, nil
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		var any any
		if err := json.Unmarshal(data, &any); err != nil {
			return CreateConnectorRequest{}, fmt.Errorf("connector configuration %s looks like JSON but does not parse: %w", path, err)
		}
		return CreateConnectorRequest{}, fmt.Errorf("connector configuration %s is JSON but neither an object of strings nor {\"name\": ..., \"config\": {...}}", path)
	}
	props, err := ParseProperties(path, data)
	if err != nil {
		return CreateConnectorRequest{}, err
	}
	if _, ok := props[NameConfig]; !ok {
		return CreateConnectorRequest{}, missingName
	}
	return CreateConnectorRequest{Name: props[NameConfig], Config: props}, nil
}
