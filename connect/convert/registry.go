package convert

import (
	"fmt"
	"sort"
	"strings"

	"github.com/runnel-dev/runnel/connect/data"
)

// Kafka class names of the built-in converters.
const (
	JSONConverterClass         = "org.apache.kafka.connect.json.JsonConverter"
	StringConverterClass       = "org.apache.kafka.connect.storage.StringConverter"
	ByteArrayConverterClass    = "org.apache.kafka.connect.converters.ByteArrayConverter"
	SimpleHeaderConverterClass = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
	ShortConverterClass        = "org.apache.kafka.connect.converters.ShortConverter"
	IntegerConverterClass      = "org.apache.kafka.connect.converters.IntegerConverter"
	LongConverterClass         = "org.apache.kafka.connect.converters.LongConverter"
	FloatConverterClass        = "org.apache.kafka.connect.converters.FloatConverter"
	DoubleConverterClass       = "org.apache.kafka.connect.converters.DoubleConverter"
	BooleanConverterClass      = "org.apache.kafka.connect.converters.BooleanConverter"
)

// Registry resolves converter class names and aliases to constructors. Build
// one with NewRegistry (which knows the built-ins) and add more with
// Register before sharing it; lookups are then safe for concurrent use.
type Registry struct {
	converters       map[string]func() Converter
	headerConverters map[string]func() HeaderConverter
	aliases          map[string][]string // alias -> classes
	classes          []string
}

// NewRegistry returns a registry holding Kafka's built-in converters.
func NewRegistry() *Registry {
	r := &Registry{
		converters:       map[string]func() Converter{},
		headerConverters: map[string]func() HeaderConverter{},
		aliases:          map[string][]string{},
	}
	r.Register(JSONConverterClass, func() Converter { return NewJSONConverter() },
		func() HeaderConverter { return NewJSONHeaderConverter() })
	r.Register(StringConverterClass, func() Converter { return NewStringConverter() },
		func() HeaderConverter { return NewStringHeaderConverter() })
	r.Register(ByteArrayConverterClass, func() Converter { return NewByteArrayConverter() },
		func() HeaderConverter { return ByteArrayHeaderConverter{} })
	r.Register(SimpleHeaderConverterClass, nil, func() HeaderConverter { return NewSimpleHeaderConverter() })
	numbers := map[string]func() *NumberConverter{
		ShortConverterClass: NewShortConverter, IntegerConverterClass: NewIntegerConverter,
		LongConverterClass: NewLongConverter, FloatConverterClass: NewFloatConverter,
		DoubleConverterClass: NewDoubleConverter, BooleanConverterClass: NewBooleanConverter,
	}
	for class, ctor := range numbers {
		r.Register(class, func() Converter { return ctor() },
			func() HeaderConverter { return AsHeaderConverter(ctor()) })
	}
	return r
}

// Register adds a class; either constructor may be nil. Aliases are the
// simple class name and, when it ends in "Converter", the name without it
// (Kafka's plugin aliases: "JsonConverter", "Json").
func (r *Registry) Register(class string, conv func() Converter, header func() HeaderConverter) {
	if conv != nil {
		r.converters[class] = conv
	}
	if header != nil {
		r.headerConverters[class] = header
	}
	r.classes = append(r.classes, class)
	simple := class[strings.LastIndexAny(class, ".$")+1:]
	names := []string{simple}
	if s, ok := strings.CutSuffix(simple, "HeaderConverter"); ok && s != "" {
		names = append(names, s)
	} else if s, ok := strings.CutSuffix(simple, "Converter"); ok && s != "" {
		names = append(names, s)
	}
	for _, a := range names {
		r.aliases[a] = append(r.aliases[a], class)
	}
}

// Classes lists the registered class names, sorted.
func (r *Registry) Classes() []string {
	out := append([]string(nil), r.classes...)
	sort.Strings(out)
	return out
}

func (r *Registry) resolve(name string, has func(string) bool) (string, bool) {
	name = strings.TrimSpace(name)
	if has(name) {
		return name, true
	}
	var found string
	for _, c := range r.aliases[name] {
		if has(c) {
			if found != "" && found != c {
				return "", false // ambiguous
			}
			found = c
		}
	}
	return found, found != ""
}

// NewConverter returns a fresh, unconfigured converter for a class name or alias.
func (r *Registry) NewConverter(name string) (Converter, error) {
	class, ok := r.resolve(name, func(c string) bool { return r.converters[c] != nil })
	if !ok {
		return nil, fmt.Errorf("Failed to find any class that implements Converter and which name matches %s", name)
	}
	return r.converters[class](), nil
}

// NewHeaderConverter returns a fresh, unconfigured header converter.
func (r *Registry) NewHeaderConverter(name string) (HeaderConverter, error) {
	class, ok := r.resolve(name, func(c string) bool { return r.headerConverters[c] != nil })
	if !ok {
		return nil, fmt.Errorf("Failed to find any class that implements HeaderConverter and which name matches %s", name)
	}
	return r.headerConverters[class](), nil
}

// ConverterClasses lists the classes usable as key/value converters.
func (r *Registry) ConverterClasses() []string {
	var out []string
	for c := range r.converters {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// HeaderConverterClasses lists the classes usable as header converters.
func (r *Registry) HeaderConverterClasses() []string {
	var out []string
	for c := range r.headerConverters {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// AsHeaderConverter adapts a Converter to HeaderConverter (configured as a
// value converter with converter.type=header).
func AsHeaderConverter(c Converter) HeaderConverter { return headerAdapter{c} }

type headerAdapter struct{ c Converter }

func (h headerAdapter) Configure(configs map[string]string) error {
	return h.c.Configure(withType(configs, "header"), false)
}

func (h headerAdapter) FromConnectHeader(topic, _ string, schema *data.Schema, value any) ([]byte, error) {
	return h.c.FromConnectData(topic, nil, schema, value)
}

func (h headerAdapter) ToConnectHeader(topic, _ string, value []byte) (data.SchemaAndValue, error) {
	return h.c.ToConnectData(topic, nil, value)
}
