package serde_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/runnel-dev/runnel/topology/serde"
)

// appendsLikeSerialize checks that AppenderOf(s) writes exactly what
// Serialize returns after what dst holds, keeps null as nil and a present
// empty encoding as non-nil, into a nil buffer as into a used one.
func appendsLikeSerialize[T any](t *testing.T, s serde.Serde[T], values ...T) {
	t.Helper()
	a := serde.AppenderOf(s)
	for _, v := range values {
		want, err := s.Serialize("t", v)
		if err != nil {
			t.Fatalf("%v: serialize %v: %v", s, v, err)
		}
		for _, dst := range [][]byte{nil, {}, []byte("prefix")} {
			prefix := bytes.Clone(dst)
			got, err := a.AppendSerialize(dst, "t", v)
			if err != nil {
				t.Fatalf("%v: append %v: %v", s, v, err)
			}
			switch {
			case want == nil && got != nil:
				t.Errorf("%v: append %v after %q = %q, want null (nil)", s, v, prefix, got)
			case want != nil && got == nil:
				t.Errorf("%v: append %v after %q = nil (null), want %q", s, v, prefix, want)
			case want != nil && !bytes.Equal(got, append(prefix, want...)):
				t.Errorf("%v: append %v after %q = %q, want %q", s, v, prefix, got, append(prefix, want...))
			}
		}
	}
}

func TestAppendSerializeMatchesSerialize(t *testing.T) {
	appendsLikeSerialize(t, serde.String(), "", "héllo")
	appendsLikeSerialize(t, serde.Bytes(), nil, []byte{}, []byte("abc"))
	appendsLikeSerialize(t, serde.Int16(), 0, -2)
	appendsLikeSerialize(t, serde.Int32(), 1, -1)
	appendsLikeSerialize(t, serde.Int64(), 258, -9)
	appendsLikeSerialize(t, serde.Float32(), -2, 0.5)
	appendsLikeSerialize(t, serde.Float64(), 1.5, -0.25)
	appendsLikeSerialize(t, serde.Bool(), true, false)
	empty, word := "", "word"
	appendsLikeSerialize(t, serde.Nullable(serde.String()), nil, &empty, &word)
	appendsLikeSerialize(t, serde.JSON[*order](), nil, &order{ID: 1})
	upper := serde.Funcs("Upper", func(_ string, v string) ([]byte, error) {
		if v == "null" {
			return nil, nil
		}
		return []byte(v + "!"), nil
	}, func(_ string, b []byte) (string, error) { return string(b), nil })
	appendsLikeSerialize(t, upper, "null", "x")
}

func TestAppendSerializeReportsErrors(t *testing.T) {
	failing := serde.Funcs("Failing", func(string, int) ([]byte, error) { return nil, errors.New("boom") },
		func(string, []byte) (int, error) { return 0, nil })
	b, err := serde.AppenderOf(failing).AppendSerialize([]byte("x"), "out", 1)
	var se *serde.Error
	if b != nil || !errors.As(err, &se) || se.Topic != "out" {
		t.Errorf("got %q, %v; want nil and the serde's error", b, err)
	}
}

// The built-ins append into a buffer with room without allocating.
func TestAppendSerializeDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 64)
	s, n := serde.AppenderOf(serde.String()), serde.AppenderOf(serde.Int64())
	allocs := testing.AllocsPerRun(100, func() {
		b, _ := s.AppendSerialize(buf[:0], "t", "word")
		b, _ = n.AppendSerialize(b, "t", 42)
		buf = b
	})
	if allocs != 0 {
		t.Errorf("%v allocations per String+Int64 append, want 0", allocs)
	}
}

// serialized keeps the benchmarks' results alive.
var serialized []byte

func BenchmarkStringSerialize(b *testing.B) {
	s := serde.String()
	b.ReportAllocs()
	for b.Loop() {
		out, err := s.Serialize("t", "some-word")
		if err != nil {
			b.Fatal(err)
		}
		serialized = out
	}
}

func BenchmarkStringAppendSerialize(b *testing.B) {
	a := serde.AppenderOf(serde.String())
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		out, err := a.AppendSerialize(buf[:0], "t", "some-word")
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
	serialized = buf
}
