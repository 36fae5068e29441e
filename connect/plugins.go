package connect

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// PluginType is the kind of a plugin, with the lower-case names Kafka's
// GET /connector-plugins reports.
type PluginType string

// Plugin types.
const (
	PluginSource          PluginType = "source"
	PluginSink            PluginType = "sink"
	PluginConverter       PluginType = "converter"
	PluginHeaderConverter PluginType = "header_converter"
	PluginTransformation  PluginType = "transformation"
	PluginPredicate       PluginType = "predicate"
)

// suffix is the class-name suffix Kafka prunes to form a short alias.
func (t PluginType) suffix() string {
	switch t {
	case PluginSource, PluginSink:
		return "Connector"
	case PluginConverter:
		return "Converter"
	case PluginHeaderConverter:
		return "HeaderConverter"
	case PluginTransformation:
		return "Transformation"
	case PluginPredicate:
		return "Predicate"
	}
	return ""
}

// Plugin describes one plugin a worker can instantiate.
type Plugin struct {
	// Class is the fully qualified Kafka class name users write, e.g.
	// org.apache.kafka.connect.file.FileStreamSourceConnector.
	Class string
	Type  PluginType
	// Version is reported by the REST API; empty is omitted there.
	Version string
	// Aliases are extra names (Runnel short names). The simple class name
	// and the simple name without its type suffix are added automatically
	// unless two plugins would share them.
	Aliases []string
	// TaskClass is the class name reported as task.class in task configs
	// (connectors only).
	TaskClass string
	// New returns a fresh instance: a SourceConnector or SinkConnector for
	// connectors; for other types whatever the owning package defines.
	New func() any
}

// ConfigDef returns the plugin's own configuration definition, if its
// instances declare one through a Config() *ConfigDef method.
func (p *Plugin) ConfigDef() *ConfigDef {
	if c, ok := p.New().(interface{ Config() *ConfigDef }); ok {
		return c.Config()
	}
	return NewConfigDef()
}

// Plugins resolves class names and aliases to plugins. Build one with
// NewPlugins and Add; after that it is read-only and safe for concurrent use.
type Plugins struct {
	list []*Plugin
	// byClass may hold one plugin per type for a class: Kafka lists
	// JsonConverter both as a converter and as a header converter.
	byClass map[string][]*Plugin
	aliases map[string][]*Plugin
}

// NewPlugins returns an empty registry.
func NewPlugins() *Plugins {
	return &Plugins{byClass: map[string][]*Plugin{}, aliases: map[string][]*Plugin{}}
}

// Add registers plugins. A class registered twice with the same type is an
// error.
func (r *Plugins) Add(ps ...Plugin) error {
	for i := range ps {
		p := ps[i]
		if p.Class == "" || p.New == nil || p.Type == "" {
			return fmt.Errorf("connect: plugin %q needs a class, a type and a constructor", p.Class)
		}
		for _, q := range r.byClass[p.Class] {
			if q.Type == p.Type {
				return fmt.Errorf("connect: plugin class %s is registered twice as %s", p.Class, p.Type)
			}
		}
		pp := &p
		r.list = append(r.list, pp)
		r.byClass[p.Class] = append(r.byClass[p.Class], pp)
		for _, a := range pluginAliases(pp) {
			if !slices.Contains(r.aliases[a], pp) {
				r.aliases[a] = append(r.aliases[a], pp)
			}
		}
	}
	return nil
}

func pluginAliases(p *Plugin) []string {
	simple := p.Class[strings.LastIndexAny(p.Class, ".$")+1:]
	out := []string{simple}
	if i := strings.LastIndex(simple, p.Type.suffix()); i > 0 {
		out = append(out, simple[:i])
	}
	return append(out, p.Aliases...)
}

// Lookup resolves a class name or an unambiguous alias. A class registered
// under several types resolves to its first registration.
func (r *Plugins) Lookup(name string) (*Plugin, bool) {
	name = strings.TrimSpace(name)
	if ps := r.byClass[name]; len(ps) > 0 {
		return ps[0], true
	}
	if ps := r.aliases[name]; len(ps) == 1 {
		return ps[0], true
	}
	return nil, false
}

// LookupConnector resolves a connector class or alias; the error text is
// Kafka's, which users and tools recognise.
func (r *Plugins) LookupConnector(name string) (*Plugin, error) {
	if p, ok := r.LookupType(name, PluginSource); ok {
		return p, nil
	}
	if p, ok := r.LookupType(name, PluginSink); ok {
		return p, nil
	}
	var avail []string
	for _, p := range r.Connectors() {
		avail = append(avail, p.Class)
	}
	return nil, fmt.Errorf("Failed to find any class that implements Connector and which name matches %s, available connectors are: %s",
		name, strings.Join(avail, ", "))
}

// LookupType resolves name to a plugin of type t.
func (r *Plugins) LookupType(name string, t PluginType) (*Plugin, bool) {
	for _, p := range r.byClass[strings.TrimSpace(name)] {
		if p.Type == t {
			return p, true
		}
	}
	// An alias may be ambiguous across types but unique within one.
	var found *Plugin
	for _, p := range r.aliases[strings.TrimSpace(name)] {
		if p.Type == t {
			if found != nil {
				return nil, false
			}
			found = p
		}
	}
	return found, found != nil
}

// Connectors lists the connector plugins, sinks first then sources, each
// sorted by class name (the order of Kafka's GET /connector-plugins).
func (r *Plugins) Connectors() []*Plugin {
	return r.filter(func(p *Plugin) bool { return p.Type == PluginSink || p.Type == PluginSource })
}

// All lists every plugin: connectors first (as Connectors), then the other
// types in Kafka's order.
func (r *Plugins) All() []*Plugin { return r.filter(func(*Plugin) bool { return true }) }

var typeOrder = map[PluginType]int{PluginSink: 0, PluginSource: 1, PluginConverter: 2, PluginHeaderConverter: 3, PluginTransformation: 4, PluginPredicate: 5}

func (r *Plugins) filter(keep func(*Plugin) bool) []*Plugin {
	var out []*Plugin
	for _, p := range r.list {
		if keep(p) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if typeOrder[out[i].Type] != typeOrder[out[j].Type] {
			return typeOrder[out[i].Type] < typeOrder[out[j].Type]
		}
		return out[i].Class < out[j].Class
	})
	return out
}
