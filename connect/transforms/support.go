package transforms

import (
	"container/list"
	"fmt"
	"sync"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// schemaCache maps input schemas to derived schemas (Kafka uses a
// synchronized LRU of 16 entries per transformation, keyed by schema
// equality). Lookups try the pointer first (converters and connectors reuse
// schema instances) and then equality.
type schemaCache struct {
	mu    sync.Mutex
	ll    *list.List
	items map[*data.Schema]*list.Element
}

type cacheEntry struct{ k, v *data.Schema }

const schemaCacheSize = 16

func newSchemaCache() *schemaCache {
	return &schemaCache{ll: list.New(), items: make(map[*data.Schema]*list.Element)}
}

// get returns the cached schema derived from k, building it with build on a miss.
func (c *schemaCache) get(k *data.Schema, build func(*data.Schema) (*data.Schema, error)) (*data.Schema, error) {
	c.mu.Lock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		v := e.Value.(*cacheEntry).v
		c.mu.Unlock()
		return v, nil
	}
	// An equal schema in another instance (a connector that builds a new
	// schema per record) maps to the same derived schema, keeping the
	// converters' per-schema caches warm downstream.
	for e := c.ll.Front(); e != nil; e = e.Next() {
		if ce := e.Value.(*cacheEntry); ce.k.Equal(k) {
			v := ce.v
			c.mu.Unlock()
			return v, nil
		}
	}
	c.mu.Unlock()
	v, err := build(k)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; !ok {
		c.items[k] = c.ll.PushFront(&cacheEntry{k, v})
		if c.ll.Len() > schemaCacheSize {
			last := c.ll.Back()
			c.ll.Remove(last)
			delete(c.items, last.Value.(*cacheEntry).k)
		}
	}
	return v, nil
}

// Errors with Kafka's wording (Requirements.java).

func typeName(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// requireMap returns a schemaless map value with string keys.
func requireMap(v any, purpose string) (map[string]any, error) {
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, x := range m {
			ks, ok := k.(string)
			if !ok {
				return nil, data.Errorf("Only Map objects with string keys supported in absence of schema for [%s], found key of type %T", purpose, k)
			}
			out[ks] = x
		}
		return out, nil
	}
	return nil, data.Errorf("Only Map objects supported in absence of schema for [%s], found: %s", purpose, typeName(v))
}

func requireMapOrNil(v any, purpose string) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	return requireMap(v, purpose)
}

func requireStruct(v any, purpose string) (*data.Struct, error) {
	if s, ok := v.(*data.Struct); ok && s != nil {
		return s, nil
	}
	return nil, data.Errorf("Only Struct objects supported for [%s], found: %s", purpose, typeName(v))
}

func requireStructOrNil(v any, purpose string) (*data.Struct, error) {
	if v == nil {
		return nil, nil
	}
	return requireStruct(v, purpose)
}

func requireSchema(s *data.Schema, purpose string) error {
	if s == nil {
		return data.Errorf("Schema required for [%s]", purpose)
	}
	return nil
}

func copyMap(m map[string]any, extra int) map[string]any {
	out := make(map[string]any, len(m)+extra)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fieldValue reads a struct field with or without its default, as the
// replace.null.with.default option of many SMTs chooses.
func fieldValue(s *data.Struct, f *data.Field, withDefault bool) any {
	if withDefault {
		return s.GetField(f)
	}
	return s.GetFieldWithoutDefault(f)
}

// Shared config keys.

const replaceNullWithDefaultConfig = "replace.null.with.default"

func replaceNullKey() connect.ConfigKey {
	return connect.ConfigKey{Name: replaceNullWithDefaultConfig, Type: connect.TypeBoolean, Default: true,
		Importance: connect.ImportanceMedium,
		Doc:        "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used."}
}

// nonEmptyList is Kafka's NonEmptyListValidator ("Empty list").
func nonEmptyList() connect.Validator {
	return connect.ValidatorFunc("non-empty list", func(name string, v any) error {
		if l, ok := v.([]string); !ok || len(l) == 0 {
			return connect.InvalidValueError(name, v, "Empty list")
		}
		return nil
	})
}

// mustStruct builds a struct and puts values, turning validation failures into errors.
func newStructWith(schema *data.Schema, put func(s *data.Struct) error) (*data.Struct, error) {
	s := data.NewStruct(schema)
	if err := put(s); err != nil {
		return nil, err
	}
	return s, nil
}
