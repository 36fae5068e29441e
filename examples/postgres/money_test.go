package main

import "testing"

func TestCents(t *testing.T) {
	for in, want := range map[string]Cents{"12.50": 1250, "12.5": 1250, "7": 700, "0.01": 1, "-3.10": -310, "9999999999.99": 999999999999, "0": 0} {
		got, err := ParseCents(in)
		if err != nil || got != want {
			t.Errorf("ParseCents(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.234", "1e3", "abc", ".5", "-", "1,5", "+1"} {
		if got, err := ParseCents(bad); err == nil {
			t.Errorf("ParseCents(%q) = %d, want an error", bad, got)
		}
	}
	for c, want := range map[Cents]string{1250: "12.50", 5: "0.05", -5: "-0.05", -310: "-3.10", 0: "0.00"} {
		if got := c.String(); got != want {
			t.Errorf("Cents(%d).String() = %q, want %q", int64(c), got, want)
		}
	}
	var c Cents
	if err := c.UnmarshalJSON([]byte(`"4.20"`)); err != nil || c != 420 {
		t.Errorf("string form: %d, %v", c, err)
	}
}
