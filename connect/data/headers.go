package data

// SchemaAndValue pairs a value with its schema (nil for schemaless values).
type SchemaAndValue struct {
	Schema *Schema
	Value  any
}

// NullSchemaAndValue is the absent value with no schema.
var NullSchemaAndValue = SchemaAndValue{}

// Header is one record header: a key and a Connect value.
type Header struct {
	Key   string
	Value SchemaAndValue
}

// Headers is an ordered list of headers; keys may repeat. Methods that
// change the list have pointer receivers and never write into a backing
// array another copy of the slice may share (they always allocate), so a
// record copied by value can have headers added or removed without touching
// the original's.
type Headers []Header

// Clone returns an independent copy (nil stays nil).
func (h Headers) Clone() Headers {
	if h == nil {
		return nil
	}
	return append(Headers(make([]Header, 0, len(h))), h...)
}

// Add appends a header; it validates value against schema.
func (h *Headers) Add(key string, schema *Schema, value any) error {
	if err := validateValue(schema, value, &location{field: key, header: true}); err != nil {
		return err
	}
	*h = appendCopy(*h, Header{Key: key, Value: SchemaAndValue{Schema: schema, Value: value}})
	return nil
}

// appendCopy appends without ever writing into spare capacity that another
// copy of the slice header could share: when there is room, it still copies.
func appendCopy(h Headers, x Header) Headers {
	return append(h[:len(h):len(h)], x)
}

// AddString appends a header with the required STRING schema.
func (h *Headers) AddString(key, value string) {
	*h = appendCopy(*h, Header{Key: key, Value: SchemaAndValue{Schema: StringSchema, Value: value}})
}

// Last returns the last header with the key.
func (h Headers) Last(key string) (Header, bool) {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Key == key {
			return h[i], true
		}
	}
	return Header{}, false
}

// All returns every header with the key, in order.
func (h Headers) All(key string) []Header {
	var out []Header
	for _, x := range h {
		if x.Key == key {
			out = append(out, x)
		}
	}
	return out
}

// Has reports whether any header has the key.
func (h Headers) Has(key string) bool {
	for _, x := range h {
		if x.Key == key {
			return true
		}
	}
	return false
}

// Remove deletes every header with the key. It builds a new backing array,
// so copies of the old slice are unaffected.
func (h *Headers) Remove(key string) {
	if !h.Has(key) {
		return
	}
	out := make(Headers, 0, len(*h))
	for _, x := range *h {
		if x.Key != key {
			out = append(out, x)
		}
	}
	*h = out
}

// RetainLatest keeps only the last header for each key, in their original
// relative order.
func (h *Headers) RetainLatest() {
	seen := make(map[string]bool, len(*h))
	keep := make([]bool, len(*h))
	for i := len(*h) - 1; i >= 0; i-- {
		k := (*h)[i].Key
		if !seen[k] {
			seen[k], keep[i] = true, true
		}
	}
	out := make(Headers, 0, len(seen))
	for i, x := range *h {
		if keep[i] {
			out = append(out, x)
		}
	}
	*h = out
}
