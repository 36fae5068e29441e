package convert

import (
	"strconv"

	"github.com/runnel-dev/runnel/connect/data"
)

// JSON type names of Connect schema types (Kafka's JsonSchema).
var jsonTypeNames = map[data.Type]string{
	data.TypeBoolean: "boolean", data.TypeInt8: "int8", data.TypeInt16: "int16",
	data.TypeInt32: "int32", data.TypeInt64: "int64", data.TypeFloat32: "float",
	data.TypeFloat64: "double", data.TypeBytes: "bytes", data.TypeString: "string",
	data.TypeArray: "array", data.TypeMap: "map", data.TypeStruct: "struct",
}

// appendSchema appends the JSON form of s ("null" for nil), cached per schema.
func (c *JSONConverter) appendSchema(b []byte, s *data.Schema) ([]byte, error) {
	if s == nil {
		return append(b, "null"...), nil
	}
	js, err := c.schemaJSON(s)
	if err != nil {
		return nil, err
	}
	return append(b, js...), nil
}

// schemaJSON returns the cached JSON of s. Member order is Jackson's
// insertion order in JsonConverter.asJsonSchema: type, items | keys, values |
// fields, optional, name, version, doc, parameters, default; a struct field
// is its schema's object with "field" appended.
func (c *JSONConverter) schemaJSON(s *data.Schema) ([]byte, error) {
	if js, ok := c.toJSONCache.get(s); ok {
		return js, nil
	}
	name, ok := jsonTypeNames[s.Type()]
	if !ok {
		return nil, data.Errorf("Couldn't translate unsupported schema type %s.", s)
	}
	b := make([]byte, 0, 64)
	b = append(b, `{"type":"`...)
	b = append(b, name...)
	b = append(b, '"')
	var err error
	switch s.Type() {
	case data.TypeArray:
		b = append(b, `,"items":`...)
		if b, err = c.appendSchema(b, s.ValueSchema()); err != nil {
			return nil, err
		}
	case data.TypeMap:
		b = append(b, `,"keys":`...)
		if b, err = c.appendSchema(b, s.KeySchema()); err != nil {
			return nil, err
		}
		b = append(b, `,"values":`...)
		if b, err = c.appendSchema(b, s.ValueSchema()); err != nil {
			return nil, err
		}
	case data.TypeStruct:
		b = append(b, `,"fields":[`...)
		for i, f := range s.Fields() {
			if i > 0 {
				b = append(b, ',')
			}
			fs, err := c.schemaJSON(f.Schema())
			if err != nil {
				return nil, err
			}
			b = append(b, fs[:len(fs)-1]...)
			b = append(b, `,"field":`...)
			b = appendJSONString(b, f.Name())
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"optional":`...)
	b = strconv.AppendBool(b, s.Optional())
	if s.Name() != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, s.Name())
	}
	if v, ok := s.Version(); ok {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(v), 10)
	}
	if s.Doc() != "" {
		b = append(b, `,"doc":`...)
		b = appendJSONString(b, s.Doc())
	}
	if ps := s.Parameters(); len(ps) > 0 {
		b = append(b, `,"parameters":{`...)
		for i, p := range ps {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, p.Key)
			b = append(b, ':')
			b = appendJSONString(b, p.Value)
		}
		b = append(b, '}')
	}
	if s.HasDefault() {
		b = append(b, `,"default":`...)
		if b, err = c.appendValue(b, s, s.Default()); err != nil {
			return nil, err
		}
	}
	b = append(b, '}')
	c.toJSONCache.put(s, b)
	return b, nil
}

// parseSchema turns schema JSON into a schema, cached per exact text.
func (c *JSONConverter) parseSchema(raw []byte) (*data.Schema, error) {
	if s, ok := c.toSchemaCache.get(string(raw)); ok {
		return s, nil
	}
	r := &jsonReader{b: raw}
	k, err := r.peek()
	if err != nil {
		return nil, err
	}
	if k == kindNull {
		return nil, nil
	}
	s, err := c.schemaFromJSON(r)
	if err != nil {
		return nil, err
	}
	c.toSchemaCache.put(string(raw), s)
	return s, nil
}

func (c *JSONConverter) schemaFromJSON(r *jsonReader) (*data.Schema, error) {
	if k, err := r.peek(); err != nil {
		return nil, err
	} else if k != kindObject {
		return nil, data.Errorf("Schema must be a JSON object, found %s", k)
	}
	ms, err := r.readMembers(false)
	if err != nil {
		return nil, err
	}
	get := func(key string) []byte {
		for _, m := range ms {
			if m.key == key {
				return m.raw
			}
		}
		return nil
	}
	sub := func(key string) (*data.Schema, error) {
		raw := get(key)
		if raw == nil {
			return nil, nil
		}
		sr := &jsonReader{b: raw}
		if k, _ := sr.peek(); k == kindNull {
			return nil, nil
		}
		return c.schemaFromJSON(sr)
	}
	typeRaw := get("type")
	typeName, ok := jsonText(typeRaw)
	if !ok {
		return nil, data.Errorf("Schema must contain 'type' field")
	}
	var b *data.SchemaBuilder
	switch typeName {
	case "boolean":
		b = data.BooleanBuilder()
	case "int8":
		b = data.Int8Builder()
	case "int16":
		b = data.Int16Builder()
	case "int32":
		b = data.Int32Builder()
	case "int64":
		b = data.Int64Builder()
	case "float":
		b = data.Float32Builder()
	case "double":
		b = data.Float64Builder()
	case "bytes":
		b = data.BytesBuilder()
	case "string":
		b = data.StringBuilder()
	case "array":
		elem, err := sub("items")
		if err != nil {
			return nil, err
		}
		if elem == nil {
			return nil, data.Errorf("Array schema did not specify the element type")
		}
		b = data.ArrayBuilder(elem)
	case "map":
		if get("keys") == nil {
			return nil, data.Errorf("Map schema did not specify the key type")
		}
		if get("values") == nil {
			return nil, data.Errorf("Map schema did not specify the value type")
		}
		ks, err := sub("keys")
		if err != nil {
			return nil, err
		}
		vs, err := sub("values")
		if err != nil {
			return nil, err
		}
		b = data.MapBuilder(ks, vs)
	case "struct":
		b = data.StructBuilder()
		fr := &jsonReader{b: get("fields")}
		if k, _ := fr.peek(); get("fields") == nil || k != kindArray {
			return nil, data.Errorf(`Struct schema's "fields" argument is not an array.`)
		}
		fr.i++
		for first := true; ; first = false {
			more, err := fr.more(']', first)
			if err != nil {
				return nil, err
			}
			if !more {
				break
			}
			raw, err := fr.skipValue()
			if err != nil {
				return nil, err
			}
			fieldName, ok := memberText(raw, "field")
			if !ok {
				return nil, data.Errorf("Struct schema's field name not specified properly")
			}
			fs, err := c.schemaFromJSON(&jsonReader{b: raw})
			if err != nil {
				return nil, err
			}
			b.Field(fieldName, fs)
		}
	default:
		return nil, data.Errorf("Unknown schema type: %s", typeName)
	}
	if raw := get("optional"); raw != nil && string(trimWS(raw)) == "true" {
		b.Optional()
	}
	if name, ok := jsonText(get("name")); ok {
		b.Name(name)
	}
	if raw := get("version"); raw != nil {
		if v, err := strconv.ParseInt(string(trimWS(raw)), 10, 32); err == nil {
			b.Version(int32(v))
		}
	}
	if doc, ok := jsonText(get("doc")); ok {
		b.Doc(doc)
	}
	if raw := get("parameters"); raw != nil {
		pr := &jsonReader{b: raw}
		if k, _ := pr.peek(); k == kindObject {
			params, err := pr.readMembers(false)
			if err != nil {
				return nil, err
			}
			for _, p := range params {
				v, ok := jsonText(p.raw)
				if !ok {
					return nil, data.Errorf("Schema parameters must have string values.")
				}
				b.Parameter(p.key, v)
			}
		}
	}
	if raw := get("default"); raw != nil {
		partial, err := b.Build()
		if err != nil {
			return nil, err
		}
		dr := &jsonReader{b: raw}
		if k, _ := dr.peek(); k != kindNull {
			def, err := c.readValue(dr, partial)
			if err != nil {
				return nil, data.Errorf("Invalid default value in schema: %w", err)
			}
			b.Default(def)
		}
	}
	return b.Build()
}

// jsonText decodes raw as a JSON string; ok is false for anything else.
func jsonText(raw []byte) (string, bool) {
	if raw == nil {
		return "", false
	}
	r := &jsonReader{b: raw}
	if k, _ := r.peek(); k != kindString {
		return "", false
	}
	s, err := r.readString()
	return s, err == nil
}

// memberText returns the string member key of the object in raw.
func memberText(raw []byte, key string) (string, bool) {
	r := &jsonReader{b: raw}
	if k, _ := r.peek(); k != kindObject {
		return "", false
	}
	ms, err := r.readMembers(false)
	if err != nil {
		return "", false
	}
	for _, m := range ms {
		if m.key == key {
			return jsonText(m.raw)
		}
	}
	return "", false
}

func trimWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
