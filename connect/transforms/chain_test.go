package transforms

import (
	"errors"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

func TestBuildChainAppliesInOrderWithPredicates(t *testing.T) {
	props := map[string]string{
		"name":                           "c",
		"transforms":                     "hoist, route, dropTomb, insert",
		"transforms.hoist.type":          "org.apache.kafka.connect.transforms.HoistField$Value",
		"transforms.hoist.field":         "line",
		"transforms.hoist.predicate":     "isTomb",
		"transforms.hoist.negate":        "true",
		"transforms.route.type":          "RegexRouter",
		"transforms.route.regex":         "raw-(.*)",
		"transforms.route.replacement":   "clean-$1",
		"transforms.route.predicate":     "isRaw",
		"transforms.dropTomb.type":       "Filter",
		"transforms.dropTomb.predicate":  "isTomb",
		"transforms.insert.type":         "InsertField$Value",
		"transforms.insert.static.field": "src",
		"transforms.insert.static.value": "runnel",
		"predicates":                     "isTomb,isRaw",
		"predicates.isTomb.type":         "RecordIsTombstone",
		"predicates.isRaw.type":          "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		"predicates.isRaw.pattern":       "raw-.*",
	}
	chain, err := reg.BuildChain(props)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(chain.Aliases(), ","); got != "hoist,route,dropTomb,insert" {
		t.Fatalf("aliases = %s", got)
	}
	in := NewRecord("raw-events", 0, nil, nil, data.StringSchema, "hello", 5, nil)
	out, err := chain.Apply(in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Topic != "clean-events" {
		t.Fatalf("topic = %s", out.Topic)
	}
	eq(t, get(t, out.Value, "line"), "hello")
	eq(t, get(t, out.Value, "src"), "runnel")
	if in.Topic != "raw-events" || in.Value != "hello" {
		t.Fatal("input record modified")
	}
	// A tombstone skips hoist (negated predicate) and is dropped by Filter.
	out, err = chain.Apply(NewRecord("raw-events", 0, nil, nil, nil, nil, 5, nil))
	if err != nil || out != nil {
		t.Fatalf("tombstone: %v %v", out, err)
	}
	// Topics not matching isRaw are not routed.
	out, _ = chain.Apply(NewRecord("other", 0, nil, nil, data.StringSchema, "x", 5, nil))
	if out.Topic != "other" {
		t.Fatal(out.Topic)
	}
}

func TestBuildChainEmpty(t *testing.T) {
	chain, err := reg.BuildChain(map[string]string{"transforms": ""})
	if err != nil || chain.Len() != 0 {
		t.Fatal(chain, err)
	}
	r := valueRecord(nil, "x")
	if out, _ := chain.Apply(r); out != r {
		t.Fatal("empty chain must return the record")
	}
}

func TestBuildChainErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		props map[string]string
		key   string
		msg   string
	}{
		{map[string]string{"transforms": "a,a", "transforms.a.type": "Filter"}, "transforms", "Duplicate alias provided."},
		{map[string]string{"transforms": "a"}, "transforms.a.type", `Missing required configuration "transforms.a.type" which has no default value.`},
		{map[string]string{"transforms": "a", "transforms.a.type": "com.acme.Nope"}, "transforms.a.type", "Invalid value com.acme.Nope for configuration transforms.a.type: Class com.acme.Nope could not be found."},
		{map[string]string{"transforms": "a", "transforms.a.type": "TopicNameMatches"}, "transforms.a.type", "is a predicate, not a transformation"},
		{map[string]string{"transforms": "a", "transforms.a.type": "Cast$Value", "transforms.a.spec": "x:blob"}, "transforms.a.spec", "for configuration transforms.a.spec: Invalid type found in casting spec: blob"},
		{map[string]string{"transforms": "a", "transforms.a.type": "Cast$Value"}, "transforms.a.spec", `Missing required configuration "transforms.a.spec"`},
		{map[string]string{"transforms": "a", "transforms.a.type": "InsertField$Value"}, "transforms.a.topic.field", "transforms.a.topic.field"},
		{map[string]string{"transforms": "a", "transforms.a.type": "Filter", "transforms.a.negate": "true"}, "transforms.a.negate",
			"Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate' defining a predicate to be negated."},
		{map[string]string{"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p"}, "transforms.a.predicate", `no predicate with alias "p"`},
		{map[string]string{"transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "p", "transforms.a.negate": "yes",
			"predicates": "p", "predicates.p.type": "RecordIsTombstone"}, "transforms.a.negate", "Expected value to be either true or false"},
		{map[string]string{"predicates": "p"}, "predicates.p.type", `Missing required configuration "predicates.p.type"`},
		{map[string]string{"predicates": "p", "predicates.p.type": "TopicNameMatches"}, "predicates.p.pattern", `"predicates.p.pattern"`},
		{map[string]string{"predicates": "p", "predicates.p.type": "TopicNameMatches", "predicates.p.pattern": "(?!x)"}, "predicates.p.pattern", "Invalid value (?!x) for configuration predicates.p.pattern"},
		{map[string]string{"predicates": "p", "predicates.p.type": "Filter"}, "predicates.p.type", "is a transformation, not a predicate"},
	}
	for _, c := range cases {
		_, err := reg.BuildChain(c.props)
		var ce *connect.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%v: want *connect.ConfigError, got %T %v", c.props, err, err)
			continue
		}
		if ce.Name != c.key || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v:\n got key %q msg %q\nwant key %q msg containing %q", c.props, ce.Name, err.Error(), c.key, c.msg)
		}
	}
}

type panicky struct{ Filter }

func (panicky) Apply(*Record) (*Record, error) { panic("boom") }

func TestChainReturnsTransformErrors(t *testing.T) {
	r := NewRegistry()
	r.RegisterTransformation("com.acme.Panicky", func() Transformation { return &panicky{} })
	chain, err := r.BuildChain(map[string]string{"transforms": "p,c", "transforms.p.type": "Panicky",
		"transforms.p.predicate": "never", "transforms.c.type": "Cast$Value", "transforms.c.spec": "int8",
		"predicates": "never", "predicates.never.type": "TopicNameMatches", "predicates.never.pattern": "^$"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = chain.Apply(valueRecord(nil, "not a number"))
	var te *TransformError
	if !errors.As(err, &te) || te.Alias != "c" || te.Class != "org.apache.kafka.connect.transforms.Cast$Value" || !errors.Is(err, data.ErrData) {
		t.Fatalf("err = %#v", err)
	}
	chain2, _ := r.BuildChain(map[string]string{"transforms": "p", "transforms.p.type": "com.acme.Panicky"})
	_, err = chain2.Apply(valueRecord(nil, "x"))
	if !errors.As(err, &te) || te.Alias != "p" || !strings.Contains(err.Error(), "panic: boom") {
		t.Fatalf("panic must become an error, got %v", err)
	}
}

func TestRegistryAliases(t *testing.T) {
	for _, name := range []string{"org.apache.kafka.connect.transforms.InsertField$Value", "InsertField$Value", " Cast$Key", "RegexRouter", "Filter"} {
		if _, err := reg.NewTransformation(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	if len(reg.TransformationClasses()) != 26 || len(reg.PredicateClasses()) != 3 {
		t.Fatalf("classes: %d transformations, %d predicates", len(reg.TransformationClasses()), len(reg.PredicateClasses()))
	}
	for _, class := range reg.TransformationClasses() {
		tr, _ := reg.NewTransformation(class)
		if tr.Config() == nil {
			t.Errorf("%s has no ConfigDef", class)
		}
	}
}

func BenchmarkChainInsertFieldCast(b *testing.B) {
	chain, err := reg.BuildChain(map[string]string{"transforms": "ins,cast",
		"transforms.ins.type": "InsertField$Value", "transforms.ins.topic.field": "topic",
		"transforms.cast.type": "Cast$Value", "transforms.cast.spec": "age:string"})
	if err != nil {
		b.Fatal(err)
	}
	r := valueRecord(personSchema, person(1, "ann"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := chain.Apply(r); err != nil {
			b.Fatal(err)
		}
	}
}
