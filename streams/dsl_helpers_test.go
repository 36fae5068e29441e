package streams_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/streams/streamstest"
	"github.com/runnel-dev/runnel/topology/serde"
)

// kvt is an output record as Kafka's tests write them: key, value, time.
type kvt[K, V any] struct {
	K  K
	V  V
	TS int64
}

func (r kvt[K, V]) String() string { return fmt.Sprintf("%v:%v@%d", show(r.K), show(r.V), r.TS) }

// show prints nil pointers as null and pointers by their target.
func show(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "null"
		}
		return fmt.Sprint(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}

// build builds b and starts a driver on it.
func build(t *testing.T, b *streams.Builder) *streamstest.Driver {
	t.Helper()
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := streamstest.New(topo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

func readAll[K, V any](t *testing.T, out *streamstest.TestOutputTopic[K, V]) []kvt[K, V] {
	t.Helper()
	recs, err := out.ReadRecordsToList()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]kvt[K, V], len(recs))
	for i, r := range recs {
		got[i] = kvt[K, V]{r.Key, r.Value, r.TimestampMs()}
	}
	return got
}

// expect compares records by their printed form, so pointer values
// compare by content.
func expect[K, V any](t *testing.T, got []kvt[K, V], want ...kvt[K, V]) {
	t.Helper()
	g, w := fmt.Sprint(got), fmt.Sprint(want)
	if len(want) == 0 {
		w = "[]"
	}
	if g != w {
		t.Fatalf("records\n got %s\nwant %s", g, w)
	}
}

func pipe[K, V any](t *testing.T, in *streamstest.TestInputTopic[K, V], key K, value V, ts int64) {
	t.Helper()
	if err := in.PipeInputAt(key, value, time.UnixMilli(ts)); err != nil {
		t.Fatal(err)
	}
}

func str(s string) *string { return &s }

// nullString is a string serde where nil is Kafka's null.
var nullString = serde.Nullable(serde.String())

// wantBuildError builds b and checks the error mentions every fragment.
func wantBuildError(t *testing.T, b *streams.Builder, fragments ...string) {
	t.Helper()
	_, err := b.Build()
	if err == nil {
		t.Fatalf("Build succeeded; want an error mentioning %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

var strings2 = streams.ConsumedWith(serde.String(), serde.String())
