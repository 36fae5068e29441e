package serde_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/topology/serde"
)

func roundTrip[T comparable](t *testing.T, s serde.Serde[T], v T, wire []byte) {
	t.Helper()
	b, err := s.Serialize("t", v)
	if err != nil {
		t.Fatalf("serialize %v: %v", v, err)
	}
	if wire != nil && !bytes.Equal(b, wire) {
		t.Errorf("serialize %v = % x, want % x (Kafka's format)", v, b, wire)
	}
	got, err := s.Deserialize("t", b)
	if err != nil {
		t.Fatalf("deserialize % x: %v", b, err)
	}
	if got != v {
		t.Errorf("round trip of %v gave %v", v, got)
	}
}

func TestBuiltinsMatchKafkaWireFormat(t *testing.T) {
	roundTrip(t, serde.String(), "héllo", []byte("héllo"))
	roundTrip(t, serde.Int16(), int16(-2), []byte{0xff, 0xfe})
	roundTrip(t, serde.Int32(), int32(1), []byte{0, 0, 0, 1})
	roundTrip(t, serde.Int32(), int32(-1), []byte{0xff, 0xff, 0xff, 0xff})
	roundTrip(t, serde.Int64(), int64(258), []byte{0, 0, 0, 0, 0, 0, 1, 2})
	roundTrip(t, serde.Int64(), int64(math.MinInt64), []byte{0x80, 0, 0, 0, 0, 0, 0, 0})
	roundTrip(t, serde.Float64(), 1.5, []byte{0x3f, 0xf8, 0, 0, 0, 0, 0, 0})
	roundTrip(t, serde.Float32(), float32(-2), []byte{0xc0, 0, 0, 0})
	roundTrip(t, serde.Bool(), true, []byte{1})
	roundTrip(t, serde.Bool(), false, []byte{0})
}

func TestNullHandling(t *testing.T) {
	if v, err := serde.Int64().Deserialize("t", nil); v != 0 || err != nil {
		t.Errorf("Int64 of null = %v, %v", v, err)
	}
	if v, err := serde.String().Deserialize("t", nil); v != "" || err != nil {
		t.Errorf("String of null = %q, %v", v, err)
	}
	b, _ := serde.Bytes().Serialize("t", nil)
	if b != nil {
		t.Error("Bytes must keep nil as null")
	}
	n := serde.Nullable(serde.String())
	if b, _ := n.Serialize("t", nil); b != nil {
		t.Errorf("Nullable nil = %v", b)
	}
	empty := ""
	if b, _ := n.Serialize("t", &empty); b == nil || len(b) != 0 {
		t.Errorf("Nullable of \"\" must be an empty, non-null value: %#v", b)
	}
	if v, _ := n.Deserialize("t", nil); v != nil {
		t.Errorf("Nullable of null = %v", *v)
	}
	if v, _ := n.Deserialize("t", []byte("x")); v == nil || *v != "x" {
		t.Errorf("Nullable of x = %v", v)
	}
}

func TestBytesCopiesOnDeserialize(t *testing.T) {
	buf := []byte("abc")
	got, _ := serde.Bytes().Deserialize("t", buf)
	buf[0] = 'X'
	if string(got) != "abc" {
		t.Errorf("Deserialize kept the caller's buffer: %q", got)
	}
}

func TestErrorsNameTopicAndSerde(t *testing.T) {
	_, err := serde.Int32().Deserialize("orders", []byte{1, 2})
	var se *serde.Error
	if !errors.As(err, &se) || se.Topic != "orders" || se.Op != "deserialize" || se.Serde != "Int32" {
		t.Fatalf("got %v", err)
	}
	if want := `Int32 deserialize for topic "orders": expected 4 bytes, got 2`; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	if _, err := serde.Bool().Deserialize("flags", []byte{7}); err == nil || !strings.Contains(err.Error(), "0x07") {
		t.Errorf("Bool of 0x07: %v", err)
	}
}

type order struct {
	ID    int      `json:"id"`
	Items []string `json:"items"`
}

func TestJSON(t *testing.T) {
	s := serde.JSON[order]()
	b, err := s.Serialize("t", order{ID: 7, Items: []string{"a"}})
	if err != nil || string(b) != `{"id":7,"items":["a"]}` {
		t.Fatalf("%s, %v", b, err)
	}
	got, err := s.Deserialize("t", b)
	if err != nil || got.ID != 7 || got.Items[0] != "a" {
		t.Fatalf("%+v, %v", got, err)
	}
	_, err = s.Deserialize("events", []byte("{nope"))
	if err == nil || !strings.Contains(err.Error(), `JSON[serde_test.order] deserialize for topic "events"`) {
		t.Errorf("bad JSON error: %v", err)
	}
	ptr := serde.JSON[*order]()
	if b, _ := ptr.Serialize("t", nil); b != nil {
		t.Errorf("nil pointer must serialize to null, got %q", b)
	}
	if v, _ := ptr.Deserialize("t", nil); v != nil {
		t.Errorf("null must deserialize to a nil pointer")
	}
}

func TestFuncs(t *testing.T) {
	s := serde.Funcs("Upper", func(_ string, v string) ([]byte, error) {
		if v == "" {
			return nil, errors.New("empty")
		}
		return []byte(strings.ToUpper(v)), nil
	}, func(_ string, b []byte) (string, error) { return strings.ToLower(string(b)), nil })
	roundTrip(t, s, "abc", []byte("ABC"))
	if _, err := s.Serialize("out", ""); err == nil || err.Error() != `Upper serialize for topic "out": empty` {
		t.Errorf("got %v", err)
	}
}
