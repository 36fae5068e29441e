package transforms

import (
	"errors"
	"fmt"
	"strings"

	"github.com/runnel-dev/runnel/connect"
)

// Connector config keys that define a chain (Kafka's ConnectorConfig).
const (
	TransformsConfig = "transforms"
	PredicatesConfig = "predicates"
	// Per-transformation keys every SMT accepts implicitly.
	PredicateKey = "predicate"
	NegateKey    = "negate"
)

// Chain is a connector's ordered list of transformations, each optionally
// guarded by a predicate.
type Chain struct {
	stages []stage
}

type stage struct {
	alias     string
	class     string
	t         Transformation
	predAlias string
	pred      Predicate
	negate    bool
}

// TransformError reports a failure of one stage of a chain. The worker uses
// it for error reporting and dead letter queue headers.
type TransformError struct {
	Alias string // the alias in "transforms"
	Class string // the transformation (or predicate) class
	// Predicate is true when the stage's predicate failed rather than the
	// transformation.
	Predicate bool
	Err       error
}

func (e *TransformError) Error() string {
	what := "transformation"
	if e.Predicate {
		what = "predicate of transformation"
	}
	return fmt.Sprintf("%s %q (%s) failed: %v", what, e.Alias, e.Class, e.Err)
}

func (e *TransformError) Unwrap() error { return e.Err }

// Len is the number of stages.
func (c *Chain) Len() int { return len(c.stages) }

// Aliases lists the stage aliases in order.
func (c *Chain) Aliases() []string {
	out := make([]string, len(c.stages))
	for i, s := range c.stages {
		out[i] = s.alias
	}
	return out
}

// Apply runs the record through every stage. It returns nil when a stage
// drops the record. Errors, including panics inside a transformation, come
// back as *TransformError; r itself is never modified.
func (c *Chain) Apply(r *Record) (*Record, error) {
	for i := range c.stages {
		s := &c.stages[i]
		if s.pred != nil {
			ok, err := safeTest(s.pred, r)
			if err != nil {
				return nil, &TransformError{Alias: s.alias, Class: s.class, Predicate: true, Err: err}
			}
			if ok == s.negate {
				continue
			}
		}
		out, err := safeApply(s.t, r)
		if err != nil {
			return nil, &TransformError{Alias: s.alias, Class: s.class, Err: err}
		}
		if out == nil {
			return nil, nil
		}
		r = out
	}
	return r, nil
}

func safeApply(t Transformation, r *Record) (out *Record, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return t.Apply(r)
}

func safeTest(p Predicate, r *Record) (ok bool, err error) {
	defer func() {
		if x := recover(); x != nil {
			ok, err = false, fmt.Errorf("panic: %v", x)
		}
	}()
	return p.Test(r)
}

// Close closes every stage that implements Closer and returns the errors joined.
func (c *Chain) Close() error {
	var errs []error
	for _, s := range c.stages {
		if cl, ok := s.t.(Closer); ok {
			errs = append(errs, cl.Close())
		}
		if cl, ok := s.pred.(Closer); ok {
			errs = append(errs, cl.Close())
		}
	}
	return errors.Join(errs...)
}

// BuildChain builds the chain a connector configuration describes:
//
//	transforms=a,b
//	transforms.a.type=<class or alias>   transforms.a.<key>=...
//	transforms.a.predicate=p             transforms.a.negate=true
//	predicates=p
//	predicates.p.type=<class or alias>   predicates.p.<key>=...
//
// Every transformation and predicate instance is new and configured.
// Errors are *connect.ConfigError naming the full offending key.
func (r *Registry) BuildChain(props map[string]string) (*Chain, error) {
	transforms, err := aliasList(props, TransformsConfig, "transformation")
	if err != nil {
		return nil, err
	}
	predicates, err := aliasList(props, PredicatesConfig, "predicate")
	if err != nil {
		return nil, err
	}
	definedPreds := map[string]bool{}
	for _, p := range predicates {
		definedPreds[p] = true
		// Validate every declared predicate, even unused ones, as Kafka does.
		if _, _, err := r.buildPredicate(props, p); err != nil {
			return nil, err
		}
	}
	chain := &Chain{}
	for _, alias := range transforms {
		prefix := TransformsConfig + "." + alias + "."
		typeKey := prefix + "type"
		class, ok := props[typeKey]
		if !ok || strings.TrimSpace(class) == "" {
			return nil, connect.MissingConfigError(typeKey)
		}
		t, err := r.NewTransformation(class)
		if err != nil {
			return nil, connect.InvalidValueError(typeKey, class, err.Error())
		}
		sub := connect.WithPrefix(props, prefix)
		predAlias, hasPred := sub[PredicateKey]
		negateText, hasNegate := sub[NegateKey]
		delete(sub, PredicateKey)
		delete(sub, NegateKey)
		if err := t.Configure(sub); err != nil {
			return nil, prefixConfigError(prefix, err)
		}
		st := stage{alias: alias, class: r.displayClass(class), t: t}
		if hasNegate && !hasPred {
			return nil, connect.NewConfigError(prefix+NegateKey, fmt.Sprintf("Config '%s' was provided but there is no config '%s' defining a predicate to be negated.", prefix+NegateKey, prefix+PredicateKey))
		}
		if hasNegate {
			if !isJavaBool(negateText) {
				return nil, connect.InvalidValueError(prefix+NegateKey, negateText, "Expected value to be either true or false")
			}
			st.negate = strings.EqualFold(strings.TrimSpace(negateText), "true")
		}
		if hasPred {
			predAlias = strings.TrimSpace(predAlias)
			if !definedPreds[predAlias] {
				return nil, connect.InvalidValueError(prefix+PredicateKey, predAlias,
					fmt.Sprintf("no predicate with alias %q is listed in %q", predAlias, PredicatesConfig))
			}
			p, _, err := r.buildPredicate(props, predAlias)
			if err != nil {
				return nil, err
			}
			st.predAlias, st.pred = predAlias, p
		}
		chain.stages = append(chain.stages, st)
	}
	return chain, nil
}

func isJavaBool(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "true" || s == "false"
}

func (r *Registry) displayClass(name string) string {
	if c := r.ClassName(name); c != "" {
		return c
	}
	return strings.TrimSpace(name)
}

func (r *Registry) buildPredicate(props map[string]string, alias string) (Predicate, string, error) {
	prefix := PredicatesConfig + "." + alias + "."
	typeKey := prefix + "type"
	class, ok := props[typeKey]
	if !ok || strings.TrimSpace(class) == "" {
		return nil, "", connect.MissingConfigError(typeKey)
	}
	p, err := r.NewPredicate(class)
	if err != nil {
		return nil, "", connect.InvalidValueError(typeKey, class, err.Error())
	}
	if err := p.Configure(connect.WithPrefix(props, prefix)); err != nil {
		return nil, "", prefixConfigError(prefix, err)
	}
	return p, r.displayClass(class), nil
}

// aliasList parses "transforms" or "predicates": a comma-separated list of
// unique aliases.
func aliasList(props map[string]string, key, kind string) ([]string, error) {
	raw, ok := props[key]
	if !ok {
		return nil, nil
	}
	list := connect.SplitList(raw)
	seen := map[string]bool{}
	for _, a := range list {
		if a == "" {
			return nil, connect.InvalidValueError(key, list, "empty "+kind+" alias")
		}
		if seen[a] {
			return nil, connect.InvalidValueError(key, list, "Duplicate alias provided.")
		}
		seen[a] = true
	}
	return list, nil
}

// prefixConfigError re-labels a plugin's config error with the connector-level
// key ("spec" becomes "transforms.cast.spec").
func prefixConfigError(prefix string, err error) error {
	var ce *connect.ConfigError
	if errors.As(err, &ce) && ce.Name != "" {
		full := prefix + ce.Name
		msg := strings.Replace(ce.Error(), "configuration "+ce.Name, "configuration "+full, 1)
		msg = strings.Replace(msg, `"`+ce.Name+`"`, `"`+full+`"`, 1)
		if !strings.Contains(msg, full) {
			msg = full + ": " + msg
		}
		return connect.NewConfigError(full, msg)
	}
	name := strings.TrimSuffix(prefix, ".")
	return connect.NewConfigError(name+".type", name+": "+err.Error())
}
