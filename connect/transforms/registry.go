package transforms

import (
	"fmt"
	"sort"
	"strings"
)

const (
	transformsPackage = "org.apache.kafka.connect.transforms."
	predicatesPackage = "org.apache.kafka.connect.transforms.predicates."
)

// Registry resolves transformation and predicate class names to
// constructors. NewRegistry knows Kafka's built-ins; Register* adds more
// before the registry is shared (lookups are then safe for concurrent use).
// Names resolve by full class name ("org.apache.kafka.connect.transforms.Cast$Value")
// or by the part after the package ("Cast$Value", "TopicNameMatches").
type Registry struct {
	transformations map[string]func() Transformation
	predicates      map[string]func() Predicate
	aliases         map[string]string
}

// NewRegistry returns a registry with Kafka's built-in SMTs and predicates.
func NewRegistry() *Registry {
	r := &Registry{transformations: map[string]func() Transformation{}, predicates: map[string]func() Predicate{}, aliases: map[string]string{}}
	sided := map[string]func(side) Transformation{
		"Cast":               func(s side) Transformation { return &Cast{side: s} },
		"ExtractField":       func(s side) Transformation { return &ExtractField{side: s} },
		"Flatten":            func(s side) Transformation { return &Flatten{side: s} },
		"HeaderFrom":         func(s side) Transformation { return &HeaderFrom{side: s} },
		"HoistField":         func(s side) Transformation { return &HoistField{side: s} },
		"InsertField":        func(s side) Transformation { return &InsertField{side: s} },
		"MaskField":          func(s side) Transformation { return &MaskField{side: s} },
		"ReplaceField":       func(s side) Transformation { return &ReplaceField{side: s} },
		"SetSchemaMetadata":  func(s side) Transformation { return &SetSchemaMetadata{side: s} },
		"TimestampConverter": func(s side) Transformation { return &TimestampConverter{side: s} },
	}
	for name, ctor := range sided {
		r.RegisterTransformation(transformsPackage+name+"$Key", func() Transformation { return ctor(keySide) })
		r.RegisterTransformation(transformsPackage+name+"$Value", func() Transformation { return ctor(valueSide) })
	}
	r.RegisterTransformation(transformsPackage+"DropHeaders", func() Transformation { return &DropHeaders{} })
	r.RegisterTransformation(transformsPackage+"Filter", func() Transformation { return &Filter{} })
	r.RegisterTransformation(transformsPackage+"InsertHeader", func() Transformation { return &InsertHeader{} })
	r.RegisterTransformation(transformsPackage+"RegexRouter", func() Transformation { return &RegexRouter{} })
	r.RegisterTransformation(transformsPackage+"TimestampRouter", func() Transformation { return &TimestampRouter{} })
	r.RegisterTransformation(transformsPackage+"ValueToKey", func() Transformation { return &ValueToKey{} })
	r.RegisterPredicate(predicatesPackage+"TopicNameMatches", func() Predicate { return &TopicNameMatches{} })
	r.RegisterPredicate(predicatesPackage+"HasHeaderKey", func() Predicate { return &HasHeaderKey{} })
	r.RegisterPredicate(predicatesPackage+"RecordIsTombstone", func() Predicate { return &RecordIsTombstone{} })
	return r
}

// RegisterTransformation adds a transformation class.
func (r *Registry) RegisterTransformation(class string, ctor func() Transformation) {
	r.transformations[class] = ctor
	r.alias(class)
}

// RegisterPredicate adds a predicate class.
func (r *Registry) RegisterPredicate(class string, ctor func() Predicate) {
	r.predicates[class] = ctor
	r.alias(class)
}

func (r *Registry) alias(class string) {
	short := class[strings.LastIndexByte(class, '.')+1:]
	if prev, ok := r.aliases[short]; ok && prev != class {
		r.aliases[short] = "" // ambiguous
		return
	}
	r.aliases[short] = class
}

func (r *Registry) resolve(name string) string {
	name = strings.TrimSpace(name)
	if c, ok := r.aliases[name]; ok && c != "" {
		return c
	}
	return name
}

// NewTransformation returns a fresh, unconfigured transformation.
func (r *Registry) NewTransformation(name string) (Transformation, error) {
	if ctor, ok := r.transformations[r.resolve(name)]; ok {
		return ctor(), nil
	}
	if _, ok := r.predicates[r.resolve(name)]; ok {
		return nil, fmt.Errorf("Class %s is a predicate, not a transformation", name)
	}
	return nil, fmt.Errorf("Class %s could not be found.", name)
}

// NewPredicate returns a fresh, unconfigured predicate.
func (r *Registry) NewPredicate(name string) (Predicate, error) {
	if ctor, ok := r.predicates[r.resolve(name)]; ok {
		return ctor(), nil
	}
	if _, ok := r.transformations[r.resolve(name)]; ok {
		return nil, fmt.Errorf("Class %s is a transformation, not a predicate", name)
	}
	return nil, fmt.Errorf("Class %s could not be found.", name)
}

// ClassName resolves an alias to its full class name ("" if unknown).
func (r *Registry) ClassName(name string) string {
	c := r.resolve(name)
	if r.transformations[c] != nil || r.predicates[c] != nil {
		return c
	}
	return ""
}

// TransformationClasses lists the transformation classes, sorted.
func (r *Registry) TransformationClasses() []string { return sortedKeys(r.transformations) }

// PredicateClasses lists the predicate classes, sorted.
func (r *Registry) PredicateClasses() []string { return sortedKeys(r.predicates) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
