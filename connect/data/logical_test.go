package data

import (
	"bytes"
	"math/big"
	"testing"
	"time"
)

func TestTwosComplementMatchesJavaBigInteger(t *testing.T) {
	cases := map[int64][]byte{
		0: {0x00}, 1: {0x01}, 127: {0x7f}, 128: {0x00, 0x80}, 255: {0x00, 0xff}, 256: {0x01, 0x00},
		-1: {0xff}, -128: {0x80}, -129: {0xff, 0x7f}, -256: {0xff, 0x00}, -32768: {0x80, 0x00},
		156: {0x00, 0x9c}, -156: {0xff, 0x64},
	}
	for v, want := range cases {
		got := TwosComplement(big.NewInt(v))
		if !bytes.Equal(got, want) {
			t.Errorf("TwosComplement(%d) = %x, want %x", v, got, want)
		}
		if back := FromTwosComplement(new(big.Int), got); back.Int64() != v {
			t.Errorf("FromTwosComplement(%x) = %s, want %d", got, back, v)
		}
	}
}

func TestDecimalLogical(t *testing.T) {
	s := DecimalSchema(2)
	d, err := ParseDecimal("1.56")
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecimalFromLogical(s, d)
	if err != nil || !bytes.Equal(b, []byte{0x00, 0x9c}) {
		t.Fatalf("FromLogical = %x %v", b, err)
	}
	back, err := DecimalToLogical(s, b)
	if err != nil || !back.Equal(d) {
		t.Fatalf("ToLogical = %v %v", back, err)
	}
	if _, err := DecimalFromLogical(s, NewDecimalFromInt64(1, 3)); err == nil {
		t.Fatal("scale mismatch must fail")
	}
	if _, err := DecimalScale(Int32Schema); err == nil {
		t.Fatal("schema without scale must fail")
	}
}

func TestDecimalText(t *testing.T) {
	cases := []struct {
		in, str, plain string
		scale          int32
	}{
		{"1.56", "1.56", "1.56", 2},
		{"-0.001", "-0.001", "-0.001", 3},
		{"1E+3", "1E+3", "1000", -3},
		{"0.00000001", "1E-8", "0.00000001", 8},
		{"12345", "12345", "12345", 0},
		{"1.", "1", "1", 0},
		{".5", "0.5", "0.5", 1},
	}
	for _, c := range cases {
		d, err := ParseDecimal(c.in)
		if err != nil {
			t.Fatalf("ParseDecimal(%q): %v", c.in, err)
		}
		if d.String() != c.str || d.PlainString() != c.plain || d.Scale() != c.scale {
			t.Errorf("%q: String=%s Plain=%s scale=%d", c.in, d, d.PlainString(), d.Scale())
		}
	}
	for _, bad := range []string{"", "-", "1.2.3", "abc", "1e", "1,5"} {
		if _, err := ParseDecimal(bad); err == nil {
			t.Errorf("ParseDecimal(%q) should fail", bad)
		}
	}
	if a, b := NewDecimalFromInt64(10, 1), NewDecimalFromInt64(100, 2); a.Equal(b) || a.Cmp(b) != 0 {
		t.Fatal("1.0 vs 1.00: Equal must include scale, Cmp must not")
	}
	if r, err := NewDecimalFromInt64(150, 2).Rescale(1); err != nil || r.String() != "1.5" {
		t.Fatalf("Rescale = %v %v", r, err)
	}
	if _, err := NewDecimalFromInt64(155, 2).Rescale(1); err == nil {
		t.Fatal("lossy rescale must fail")
	}
	for f, want := range map[float64]string{1: "1.0", 0.1: "0.1", 1e10: "1.0E+10", 1.5e-5: "0.000015"} {
		d, err := DecimalFromFloat64(f)
		if err != nil || d.String() != want {
			t.Errorf("DecimalFromFloat64(%v) = %v %v, want %s", f, d, err, want)
		}
	}
}

func TestTemporalLogical(t *testing.T) {
	day := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	n, err := DateFromLogical(DateSchema, day)
	if err != nil || n != 19782 {
		t.Fatalf("DateFromLogical = %d %v", n, err)
	}
	if back, _ := DateToLogical(DateSchema, n); !back.Equal(day) {
		t.Fatalf("DateToLogical = %v", back)
	}
	if _, err := DateFromLogical(DateSchema, day.Add(time.Hour)); err == nil {
		t.Fatal("date with time part must fail")
	}
	if _, err := DateFromLogical(TimeSchema, day); err == nil {
		t.Fatal("wrong schema must fail")
	}
	tod := time.UnixMilli(13*3600_000 + 5).UTC()
	ms, err := TimeFromLogical(TimeSchema, tod)
	if err != nil || ms != 13*3600_000+5 {
		t.Fatalf("TimeFromLogical = %d %v", ms, err)
	}
	if _, err := TimeFromLogical(TimeSchema, day); err == nil {
		t.Fatal("time with a date part must fail")
	}
	if _, err := TimeToLogical(TimeSchema, -1); err == nil {
		t.Fatal("negative time must fail")
	}
	ts := time.UnixMilli(1700000000123).UTC()
	if v, _ := TimestampFromLogical(TimestampSchema, ts); v != 1700000000123 {
		t.Fatalf("TimestampFromLogical = %d", v)
	}
	if back, _ := TimestampToLogical(TimestampSchema, 1700000000123); !back.Equal(ts) {
		t.Fatal("timestamp round trip")
	}
}

func TestHeaders(t *testing.T) {
	var h Headers
	h.AddString("a", "1")
	if err := h.Add("b", Int32Schema, int32(2)); err != nil {
		t.Fatal(err)
	}
	h.AddString("a", "3")
	if err := h.Add("bad", Int32Schema, "x"); err == nil {
		t.Fatal("invalid header value must fail")
	}
	if last, ok := h.Last("a"); !ok || last.Value.Value != "3" {
		t.Fatalf("Last(a) = %v", last)
	}
	if len(h.All("a")) != 2 || !h.Has("b") || h.Has("c") {
		t.Fatal("All/Has wrong")
	}
	orig := h
	c := h.Clone()
	c.Remove("a")
	if len(c) != 1 || len(orig) != 3 || orig[0].Key != "a" {
		t.Fatalf("Remove leaked into the original: %v / %v", c, orig)
	}
	h.RetainLatest()
	if len(h) != 2 || h[0].Key != "b" || h[1].Value.Value != "3" {
		t.Fatalf("RetainLatest = %v", h)
	}
}
