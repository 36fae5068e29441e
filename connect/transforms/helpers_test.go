package transforms

import (
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/connect/data"
)

var reg = NewRegistry()

// newT builds and configures a transformation by class alias.
func newT(t *testing.T, class string, props map[string]string) Transformation {
	t.Helper()
	tr, err := reg.NewTransformation(class)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Configure(props); err != nil {
		t.Fatalf("Configure(%s, %v): %v", class, props, err)
	}
	return tr
}

func configErr(t *testing.T, class string, props map[string]string, want string) {
	t.Helper()
	tr, err := reg.NewTransformation(class)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Configure(props)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Configure(%s, %v): want error containing %q, got %v", class, props, want, err)
	}
}

func apply(t *testing.T, tr Transformation, r *Record) *Record {
	t.Helper()
	out, err := tr.Apply(r)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return out
}

func applyErr(t *testing.T, tr Transformation, r *Record, want string) {
	t.Helper()
	_, err := tr.Apply(r)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Apply: want error containing %q, got %v", want, err)
	}
}

func valueRecord(schema *data.Schema, value any) *Record {
	return NewRecord("test", 0, nil, nil, schema, value, 1700000000000, nil)
}

func keyRecord(schema *data.Schema, key any) *Record {
	return NewRecord("test", 0, schema, key, nil, nil, 1700000000000, nil)
}

func get(t *testing.T, s any, field string) any {
	t.Helper()
	st, ok := s.(*data.Struct)
	if !ok {
		t.Fatalf("not a struct: %#v", s)
	}
	v, err := st.Get(field)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func eq(t *testing.T, got, want any) {
	t.Helper()
	if !data.ValuesEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}
