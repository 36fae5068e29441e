package transforms

import (
	"fmt"
	"strings"

	"github.com/runnel-dev/runnel/connect"
)

// Enrich returns a copy of def extended with the keys of the transformations
// and predicates props configures, as Kafka's ConnectorConfig.enrich does
// for validation and the REST validate endpoint: for each alias a required
// "<transforms|predicates>.<alias>.type" key, the implicit "predicate" and
// "negate" keys of transformations, and the plugin's own keys under the
// alias prefix, all in the group "Transforms: <alias>" / "Predicates: <alias>".
// Problems that prevent describing an alias (unknown class, negate without
// predicate) are returned by key; keys whose values are merely invalid are
// left for def.Validate to report.
func (r *Registry) Enrich(def *connect.ConfigDef, props map[string]string) (*connect.ConfigDef, map[string]string) {
	out := def.Clone()
	problems := map[string]string{}
	r.enrichKind(out, problems, props, TransformsConfig, "Transforms", "Transformation", true)
	r.enrichKind(out, problems, props, PredicatesConfig, "Predicates", "Predicate", false)
	return out, problems
}

func (r *Registry) enrichKind(def *connect.ConfigDef, problems, props map[string]string, listKey, group, kind string, isTransform bool) {
	seen := map[string]bool{}
	for _, alias := range connect.SplitList(props[listKey]) {
		if alias == "" || seen[alias] {
			continue
		}
		seen[alias] = true
		prefix := listKey + "." + alias + "."
		g := group + ": " + alias
		order := 0
		next := func() int { order++; return order }
		typeKey := prefix + "type"
		if _, defined := def.Key(typeKey); defined {
			continue
		}
		def.Define(connect.ConfigKey{Name: typeKey, Type: connect.TypeClass, Required: true,
			Importance: connect.ImportanceHigh, Doc: fmt.Sprintf("Class for the '%s' %s.", alias, strings.ToLower(kind)),
			Group: g, OrderInGroup: next(), Width: connect.WidthLong, DisplayName: kind + " type for " + alias})
		var pluginDef *connect.ConfigDef
		class, hasType := props[typeKey]
		if hasType && strings.TrimSpace(class) != "" {
			var err error
			if isTransform {
				var t Transformation
				if t, err = r.NewTransformation(class); err == nil {
					pluginDef = t.Config()
				}
			} else {
				var p Predicate
				if p, err = r.NewPredicate(class); err == nil {
					pluginDef = p.Config()
				}
			}
			if err != nil {
				problems[typeKey] = connect.InvalidValueError(typeKey, class, err.Error()).Error()
			}
		}
		if isTransform {
			def.Define(connect.ConfigKey{Name: prefix + PredicateKey, Type: connect.TypeString, Importance: connect.ImportanceMedium,
				Doc: "The alias of a predicate used to determine whether to apply this transformation.", Group: g, OrderInGroup: next()})
			def.Define(connect.ConfigKey{Name: prefix + NegateKey, Type: connect.TypeBoolean, Default: false, Importance: connect.ImportanceMedium,
				Doc: "Whether the configured predicate should be negated.", Group: g, OrderInGroup: next()})
			if _, neg := props[prefix+NegateKey]; neg {
				if _, pred := props[prefix+PredicateKey]; !pred {
					problems[prefix+NegateKey] = fmt.Sprintf("Config '%s' was provided but there is no config '%s' defining a predicate to be negated.", prefix+NegateKey, prefix+PredicateKey)
				}
			}
		}
		if pluginDef == nil {
			continue
		}
		for _, k := range pluginDef.Keys() {
			if isTransform && (k.Name == PredicateKey || k.Name == NegateKey) {
				continue // the implicit keys mask the plugin's, as in Kafka
			}
			if _, dup := def.Key(prefix + k.Name); dup {
				continue
			}
			k.Name = prefix + k.Name
			k.Group, k.OrderInGroup = g, next()
			deps := make([]string, len(k.Dependents))
			for i, d := range k.Dependents {
				deps[i] = prefix + d
			}
			k.Dependents = deps
			def.Define(k)
		}
	}
}
