package main

import (
	"fmt"
	"strconv"
	"strings"
)

// Cents is an amount of money in hundredths, the unit of the orders
// table's numeric(12,2) column. Sums of Cents are exact, as PostgreSQL's
// sum(amount) is; float64 would drift.
type Cents int64

// ParseCents reads a decimal such as "12.50", "-3.1" or "7" (the text
// PostgreSQL and the JSON converter's decimal.format=NUMERIC write). More
// than two fraction digits, exponents and anything else are errors: they
// would lose cents.
func ParseCents(s string) (Cents, error) {
	text := s
	neg := strings.HasPrefix(text, "-")
	text = strings.TrimPrefix(text, "-")
	whole, frac, _ := strings.Cut(text, ".")
	if whole == "" || len(frac) > 2 || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("amount %q is not a decimal with at most two fraction digits", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	if neg {
		n = -n
	}
	return Cents(n), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String writes the amount with exactly two fraction digits ("12.50").
func (c Cents) String() string {
	n := int64(c)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

// MarshalJSON writes the amount as a JSON number with two fraction digits.
func (c Cents) MarshalJSON() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalJSON reads a JSON number (or a string holding one, as Debezium's
// decimal.handling.mode=string writes).
func (c *Cents) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := ParseCents(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}
