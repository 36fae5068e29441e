package transforms

import (
	"fmt"
	"strings"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// fieldSyntaxVersionConfig selects how field paths are read (KIP-821): V1 is
// a plain top-level name; V2 is a dotted path with `backticks` around names
// that contain dots.
const fieldSyntaxVersionConfig = "field.syntax.version"

func fieldSyntaxKey() connect.ConfigKey {
	return connect.ConfigKey{Name: fieldSyntaxVersionConfig, Type: connect.TypeString, Default: "V1",
		Validator:  connect.CaseInsensitiveValidString("V1", "V2"),
		Importance: connect.ImportanceHigh,
		Doc: "Defines the version of the syntax to access fields. If set to `V1`, then the field paths are limited to access the elements at the root level of the struct or map. " +
			"If set to `V2`, the syntax will support accessing nested elements. To access nested elements, dotted notation is used. " +
			"If dots are already included in the field name, then backtick pairs can be used to wrap field names containing dots."}
}

// fieldPath is Kafka's SingleFieldPath.
type fieldPath struct{ steps []string }

func newFieldPath(text, version string) (fieldPath, error) {
	if !strings.EqualFold(version, "V2") {
		return fieldPath{steps: []string{text}}, nil
	}
	var steps []string
	idx := 0
	for idx < len(text) && idx >= 0 {
		if text[idx] != '`' {
			start := idx
			dot := strings.IndexByte(text[idx:], '.')
			if dot >= 0 {
				steps = append(steps, text[start:idx+dot])
				idx += dot + 1
			} else {
				steps = append(steps, text[start:])
				idx = len(text)
			}
			continue
		}
		backtickAt := idx
		idx++
		var field strings.Builder
		start := idx
		for {
			next := strings.IndexByte(text[idx:], '`')
			if next < 0 {
				return fieldPath{}, incompleteBacktick(text, backtickAt)
			}
			idx += next
			escaped := text[idx-1] == '\\'
			if idx >= len(text)-1 {
				if escaped {
					return fieldPath{}, incompleteBacktick(text, backtickAt)
				}
				field.WriteString(text[start:idx])
				steps = append(steps, field.String())
				idx++
				break
			}
			if text[idx+1] != '.' {
				idx++
				continue
			}
			if escaped {
				field.WriteString(text[start : idx-1])
				field.WriteByte('`')
				idx++
				start = idx
				continue
			}
			field.WriteString(text[start:idx])
			steps = append(steps, field.String())
			idx += 2
			break
		}
	}
	if text != "" && text[len(text)-1] == '.' {
		steps = append(steps, "")
	}
	if len(steps) == 0 {
		steps = []string{""}
	}
	return fieldPath{steps: steps}, nil
}

func incompleteBacktick(path string, at int) error {
	return fmt.Errorf("Incomplete backtick pair in path: [%s], consider adding a backslash before backtick at position %d to escape it", path, at)
}

func (p fieldPath) String() string { return strings.Join(p.steps, ".") }

// fieldFrom finds the field the path names in a struct schema, or nil.
func (p fieldPath) fieldFrom(s *data.Schema) *data.Field {
	cur := s
	for _, step := range p.steps[:len(p.steps)-1] {
		if cur == nil || cur.Type() != data.TypeStruct {
			return nil
		}
		f := cur.Field(step)
		if f == nil {
			return nil
		}
		cur = f.Schema()
	}
	if cur == nil || cur.Type() != data.TypeStruct {
		return nil
	}
	return cur.Field(p.steps[len(p.steps)-1])
}

// valueFromStruct reads the path's value; missing steps give nil.
func (p fieldPath) valueFromStruct(s *data.Struct, withDefault bool) (any, error) {
	cur := s
	for _, step := range p.steps[:len(p.steps)-1] {
		f := cur.Schema().Field(step)
		if f == nil {
			return nil, nil
		}
		next, err := requireStructOrNil(cur.GetField(f), "nested field access")
		if err != nil || next == nil {
			return nil, err
		}
		cur = next
	}
	f := cur.Schema().Field(p.steps[len(p.steps)-1])
	if f == nil {
		return nil, nil
	}
	return fieldValue(cur, f, withDefault), nil
}

// valueFromMap reads the path's value from nested maps.
func (p fieldPath) valueFromMap(m map[string]any) (any, error) {
	cur := m
	for _, step := range p.steps[:len(p.steps)-1] {
		next, err := requireMapOrNil(cur[step], "nested field access")
		if err != nil || next == nil {
			return nil, err
		}
		cur = next
	}
	return cur[p.steps[len(p.steps)-1]], nil
}
