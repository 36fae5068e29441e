package workers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/runnel-dev/runnel/internal/props"
)

// ParseProperties reads the Java .properties format Kafka's config files
// use (see package props) into a map. Keys keep their case (transform
// aliases are case-sensitive); later duplicates win. name is used in error
// messages, as "name:line: ...".
func ParseProperties(name string, data []byte) (map[string]string, error) {
	entries, err := props.Parse(data)
	var syntax *props.SyntaxError
	if errors.As(err, &syntax) {
		return nil, fmt.Errorf("%s:%d: %w", name, syntax.Line, syntax.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		out[e.Key] = e.Value
	}
	return out, nil
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
