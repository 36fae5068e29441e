package transforms

import (
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

func TestChainOnWorkerRecords(t *testing.T) {
	chain, err := reg.BuildChain(map[string]string{"transforms": "hoist,route",
		"transforms.hoist.type": "HoistField$Value", "transforms.hoist.field": "line",
		"transforms.route.type": "TimestampRouter", "transforms.route.timestamp.format": "yyyy"})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2022, 5, 6, 7, 8, 9, 123456789, time.UTC)
	src := &connect.SourceRecord{SourcePartition: map[string]any{"filename": "f"}, SourceOffset: map[string]any{"position": int64(9)},
		Topic: "logs", Partition: connect.NoPartition, ValueSchema: data.StringSchema, Value: "x", Timestamp: ts}
	out, err := chain.ApplySource(src)
	if err != nil {
		t.Fatal(err)
	}
	if out.Topic != "logs-2022" || out.SourceOffset["position"] != int64(9) || out.SourcePartition["filename"] != "f" || !out.Timestamp.Equal(ts) || out.Partition != connect.NoPartition {
		t.Fatalf("source out = %+v", out)
	}
	eq(t, get(t, out.Value, "line"), "x")
	if src.Value != "x" || src.Topic != "logs" {
		t.Fatal("input modified")
	}

	sink := &connect.SinkRecord{Topic: "in", Partition: 3, Offset: 42, Value: "v", ValueSchema: data.StringSchema, Timestamp: ts,
		TimestampType: "CreateTime", OriginalTopic: "in", OriginalPartition: 3, OriginalOffset: 42}
	off, err := reg.BuildChain(map[string]string{"transforms": "i", "transforms.i.type": "InsertField$Value", "transforms.i.offset.field": "o",
		"transforms.i.topic.field": "t"})
	if err != nil {
		t.Fatal(err)
	}
	// The value is a bare string, so InsertField needs a map or struct: hoist first.
	_, err = off.ApplySink(sink)
	if err == nil || !strings.Contains(err.Error(), "Only Struct objects supported") {
		t.Fatalf("err = %v", err)
	}
	sink.ValueSchema, sink.Value = nil, map[string]any{"a": int64(1)}
	so, err := off.ApplySink(sink)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, so.Value, map[string]any{"a": int64(1), "o": int64(42), "t": "in"})
	if so.OriginalOffset != 42 || so.TimestampType != "CreateTime" || !so.Timestamp.Equal(ts) {
		t.Fatalf("sink out = %+v", so)
	}
	empty, _ := reg.BuildChain(nil)
	if got, _ := empty.ApplySink(sink); got != sink {
		t.Fatal("empty chain must return the same record")
	}
}

func TestEnrich(t *testing.T) {
	base := connect.NewConfigDef().Define(connect.ConfigKey{Name: "name", Type: connect.TypeString, Required: true})
	props := map[string]string{"name": "c", "transforms": "cast,bad", "transforms.cast.type": "Cast$Value",
		"transforms.bad.type": "com.acme.Missing", "transforms.bad.negate": "true",
		"predicates": "p", "predicates.p.type": "TopicNameMatches"}
	def, problems := reg.Enrich(base, props)
	for _, k := range []string{"transforms.cast.type", "transforms.cast.spec", "transforms.cast.predicate", "transforms.cast.negate",
		"transforms.cast.replace.null.with.default", "transforms.bad.type", "predicates.p.type", "predicates.p.pattern"} {
		key, ok := def.Key(k)
		if !ok {
			t.Errorf("missing key %s", k)
			continue
		}
		if strings.HasPrefix(k, "transforms.cast.") && key.Group != "Transforms: cast" {
			t.Errorf("%s group = %q", k, key.Group)
		}
	}
	if _, ok := base.Key("transforms.cast.type"); ok {
		t.Fatal("Enrich must not modify the base definition")
	}
	if !strings.Contains(problems["transforms.bad.type"], "Class com.acme.Missing could not be found.") {
		t.Fatalf("problems = %v", problems)
	}
	if !strings.Contains(problems["transforms.bad.negate"], "no config 'transforms.bad.predicate'") {
		t.Fatalf("problems = %v", problems)
	}
	// Validation through the enriched definition reports the transformation's own key.
	var specErr string
	for _, v := range def.Validate(props) {
		if v.Name == "transforms.cast.spec" && len(v.Errors) > 0 {
			specErr = v.Errors[0]
		}
	}
	if !strings.Contains(specErr, `"transforms.cast.spec"`) {
		t.Fatalf("spec error = %q", specErr)
	}
}
