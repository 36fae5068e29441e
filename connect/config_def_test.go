package connect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func testDef() *ConfigDef {
	return NewConfigDef().
		Define(ConfigKey{Name: "name", Type: TypeString, Required: true, Validator: NonEmptyStringWithoutControlChars(), Importance: ImportanceHigh, Group: "Common", OrderInGroup: 1}).
		Define(ConfigKey{Name: "tasks.max", Type: TypeInt, Default: 1, Validator: AtLeast(1), Importance: ImportanceHigh, Group: "Common", OrderInGroup: 2, Width: WidthShort, DisplayName: "Tasks max"}).
		Define(ConfigKey{Name: "retry", Type: TypeLong, Default: "0", Importance: ImportanceMedium, Group: "Error Handling"}).
		Define(ConfigKey{Name: "tolerance", Type: TypeString, Default: "none", Validator: ValidString("none", "all")}).
		Define(ConfigKey{Name: "topics", Type: TypeList, Default: ""}).
		Define(ConfigKey{Name: "ratio", Type: TypeDouble, Default: 1}).
		Define(ConfigKey{Name: "log", Type: TypeBoolean, Default: false}).
		Define(ConfigKey{Name: "secret", Type: TypePassword, Default: nil})
}

func TestParseTypesAndDefaults(t *testing.T) {
	c, err := testDef().Parse(map[string]string{"name": " x ", "tasks.max": " 3", "topics": "a , b,c", "log": "TRUE", "secret": "s3cr3t", "extra": "kept"})
	if err != nil {
		t.Fatal(err)
	}
	if c.String("name") != "x" || c.Int("tasks.max") != 3 || c.Long("retry") != 0 || c.String("tolerance") != "none" {
		t.Fatalf("bad values: %v", c.values)
	}
	if got := c.List("topics"); strings.Join(got, "|") != "a|b|c" {
		t.Fatalf("topics = %q", got)
	}
	if !c.Bool("log") || c.Double("ratio") != 1 {
		t.Fatal("bool/double wrong")
	}
	if c.Password("secret").Value() != "s3cr3t" {
		t.Fatal("password value lost")
	}
	if c.Originals()["extra"] != "kept" {
		t.Fatal("originals lost")
	}
}

func TestParseErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		props map[string]string
		key   string
		msg   string
	}{
		{map[string]string{}, "name", `Missing required configuration "name" which has no default value.`},
		{map[string]string{"name": "x", "tasks.max": "zero"}, "tasks.max", "Invalid value zero for configuration tasks.max: Not a number of type INT"},
		{map[string]string{"name": "x", "tasks.max": "0"}, "tasks.max", "Invalid value 0 for configuration tasks.max: Value must be at least 1"},
		{map[string]string{"name": "x", "tasks.max": "3000000000"}, "tasks.max", "Not a number of type INT"},
		{map[string]string{"name": "x", "tolerance": "some"}, "tolerance", "String must be one of: none, all"},
		{map[string]string{"name": "x", "log": "yes"}, "log", "Expected value to be either true or false"},
		{map[string]string{"name": "a\tb"}, "name", "control sequences but had the following ASCII chars: 9"},
		{map[string]string{"name": ""}, "name", "String may not be empty"},
	}
	for _, tc := range cases {
		_, err := testDef().Parse(tc.props)
		ce, ok := err.(*ConfigError)
		if !ok {
			t.Fatalf("%v: want *ConfigError, got %v", tc.props, err)
		}
		if ce.Name != tc.key || !strings.Contains(ce.Error(), tc.msg) {
			t.Errorf("%v: got %q (key %s), want key %s and %q", tc.props, ce.Error(), ce.Name, tc.key, tc.msg)
		}
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	p := NewPassword("hunter2")
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "pw", p)
	j, _ := json.Marshal(map[string]any{"pw": p})
	outs := []string{fmt.Sprint(p), fmt.Sprintf("%v %s %q %#v %+v", p, p, p, p, p), buf.String(), string(j),
		InvalidValueError("secret", p, "bad").Error()}
	for _, o := range outs {
		if strings.Contains(o, "hunter2") {
			t.Fatalf("secret leaked in %q", o)
		}
	}
	infos := BuildConfigInfos("c", testDef().Keys(), testDef().Validate(map[string]string{"name": "x", "secret": "hunter2"}), nil)
	j, _ = json.Marshal(infos)
	if strings.Contains(string(j), "hunter2") || !strings.Contains(string(j), HiddenPassword) {
		t.Fatalf("validate output leaks or lacks [hidden]: %s", j)
	}
}

func TestValidateCollectsAllErrors(t *testing.T) {
	vals := testDef().Validate(map[string]string{"tasks.max": "-1", "tolerance": "x", "unknown": "1"})
	errs := map[string]int{}
	for _, v := range vals {
		errs[v.Name] = len(v.Errors)
	}
	if errs["name"] != 1 || errs["tasks.max"] != 1 || errs["tolerance"] != 1 || errs["retry"] != 0 {
		t.Fatalf("errors per key: %v", errs)
	}
	infos := BuildConfigInfos("org.example.C", testDef().Keys(), vals, testDef().Groups())
	if infos.ErrorCount != 3 {
		t.Fatalf("error_count %d", infos.ErrorCount)
	}
	j, _ := json.Marshal(infos.Configs[1])
	want := `{"definition":{"name":"tasks.max","type":"INT","required":false,"default_value":"1","importance":"HIGH","documentation":"","group":"Common","order":2,"width":"SHORT","display_name":"Tasks max","dependents":[]},"value":{"name":"tasks.max","value":"-1","recommended_values":[],"errors":["Invalid value -1 for configuration tasks.max: Value must be at least 1"],"visible":true}}`
	if string(j) != want {
		t.Fatalf("got  %s\nwant %s", j, want)
	}
	if g := strings.Join(infos.Groups, ","); g != "Common,Error Handling" {
		t.Fatalf("groups %q", g)
	}
}

func TestDefineRejectsBadDefault(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("expected panic")
		}
	}()
	NewConfigDef().Define(ConfigKey{Name: "n", Type: TypeInt, Default: "abc"})
}

type modeRecommender struct{}

func (modeRecommender) ValidValues(_ string, parsed map[string]any) []any {
	if parsed["kind"] == "db" {
		return []any{"bulk", "incrementing"}
	}
	return []any{"bulk"}
}
func (modeRecommender) Visible(_ string, parsed map[string]any) bool { return parsed["kind"] == "db" }

func TestRecommenderAndDependents(t *testing.T) {
	def := NewConfigDef().
		Define(ConfigKey{Name: "kind", Type: TypeString, Default: "file", Dependents: []string{"mode"}}).
		Define(ConfigKey{Name: "mode", Type: TypeString, Default: "bulk", Recommender: modeRecommender{}})
	vals := def.Validate(map[string]string{"kind": "db"})
	infos := BuildConfigInfos("x", def.Keys(), vals, def.Groups())
	mode := infos.Configs[1]
	if !mode.Value.Visible || len(mode.Value.RecommendedValues) != 2 || mode.Value.RecommendedValues[1] != "incrementing" || mode.Definition.Dependents != nil && len(mode.Definition.Dependents) != 0 {
		t.Fatalf("mode %+v %+v", mode.Value, mode.Definition)
	}
	if d := infos.Configs[0].Definition.Dependents; len(d) != 1 || d[0] != "mode" {
		t.Fatalf("dependents %v", d)
	}
	vals = def.Validate(map[string]string{})
	if vals[1].Visible {
		t.Fatal("mode visible for kind=file")
	}
}
