package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// OffsetStore holds source offsets as Kafka Connect does: keys are the
// schemaless-JSON bytes of ["<connector>", {<source partition>}] and values
// the JSON of the offset map (nil deletes). The encoding matches Kafka's
// connect-offsets topic, so offsets can move between Runnel and Kafka.
type OffsetStore interface {
	// Get returns the stored values for keys (absent keys are missing from
	// the result).
	Get(ctx context.Context, keys []string) (map[string][]byte, error)
	// Set stores values; a nil value deletes the key. It returns only once
	// the change is durable.
	Set(ctx context.Context, values map[string][]byte) error
	// Connector returns every stored key and value of one connector.
	Connector(ctx context.Context, name string) (map[string][]byte, error)
	Close() error
}

// offsetKey encodes the storage key for a connector's source partition.
func offsetKey(connector string, partition map[string]any) (string, error) {
	b, err := json.Marshal([]any{connector, partition})
	if err != nil {
		return "", fmt.Errorf("encoding source partition %v: %w", partition, err)
	}
	return string(b), nil
}

// parseOffsetKey decodes a storage key into its connector and partition.
func parseOffsetKey(key string) (string, map[string]any, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal([]byte(key), &parts); err != nil || len(parts) != 2 {
		return "", nil, fmt.Errorf("offset key %s is not [connector, partition]", key)
	}
	var name string
	if err := json.Unmarshal(parts[0], &name); err != nil {
		return "", nil, fmt.Errorf("offset key %s: connector name is not a string", key)
	}
	partition, err := decodeJSONMap(parts[1])
	if err != nil {
		return "", nil, fmt.Errorf("offset key %s: %w", key, err)
	}
	return name, partition, nil
}

// decodeJSONMap decodes a JSON object keeping integers as int64 (Kafka's
// offsets are Longs; float64 would lose precision beyond 2^53).
func decodeJSONMap(b []byte) (map[string]any, error) {
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	for k, v := range m {
		m[k] = fromJSONNumber(v)
	}
	return m, nil
}

func fromJSONNumber(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = fromJSONNumber(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fromJSONNumber(e)
		}
	}
	return v
}

// validateOffsetMap checks Kafka's rule that partitions and offsets contain
// only primitive values under string keys (OffsetUtils.validateFormat).
func validateOffsetMap(what string, m map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch m[k].(type) {
		case nil, string, bool, int, int8, int16, int32, int64, float32, float64, json.Number:
		default:
			return fmt.Errorf("%s values must be primitive types, but the value for key %q is a %T", what, k, m[k])
		}
	}
	return nil
}
