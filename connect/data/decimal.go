package data

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// DecimalLogicalName is the name of the Decimal logical type (BYTES holding
// the big-endian two's-complement unscaled value; parameter "scale").
const (
	DecimalLogicalName = "org.apache.kafka.connect.data.Decimal"
	DecimalScaleParam  = "scale"
)

// Decimal is an arbitrary-precision decimal: Unscaled × 10^-Scale, the Go
// counterpart of java.math.BigDecimal. Like BigDecimal, equality includes
// the scale (1.0 != 1.00); use Cmp to compare numerically. Decimals are
// immutable.
type Decimal struct {
	unscaled big.Int
	scale    int32
}

// NewDecimal returns unscaled × 10^-scale. unscaled is copied.
func NewDecimal(unscaled *big.Int, scale int32) *Decimal {
	d := &Decimal{scale: scale}
	if unscaled != nil {
		d.unscaled.Set(unscaled)
	}
	return d
}

// NewDecimalFromInt64 returns unscaled × 10^-scale.
func NewDecimalFromInt64(unscaled int64, scale int32) *Decimal {
	d := &Decimal{scale: scale}
	d.unscaled.SetInt64(unscaled)
	return d
}

// ParseDecimal parses decimal text the way BigDecimal(String) does:
// optional sign, digits with an optional point, optional exponent. The scale
// is the number of fraction digits minus the exponent ("1.50" has scale 2,
// "1E+3" has scale -3).
func ParseDecimal(s string) (*Decimal, error) {
	orig := s
	exp := int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(s[i+1:], 10, 32)
		if err != nil {
			return nil, Errorf("invalid decimal %q: bad exponent", orig)
		}
		exp, s = e, s[:i]
	}
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	digits := intPart + frac
	if digits == "" || (hasPoint && strings.Contains(frac, ".")) {
		return nil, Errorf("invalid decimal %q", orig)
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return nil, Errorf("invalid decimal %q", orig)
		}
	}
	scale := int64(len(frac)) - exp
	if scale > math.MaxInt32 || scale < math.MinInt32 {
		return nil, Errorf("invalid decimal %q: scale out of range", orig)
	}
	d := &Decimal{scale: int32(scale)}
	d.unscaled.SetString(digits, 10)
	if neg {
		d.unscaled.Neg(&d.unscaled)
	}
	return d, nil
}

// DecimalFromFloat64 converts f as Java's BigDecimal.valueOf(double) does:
// from the shortest decimal text that round-trips, keeping that text's scale.
func DecimalFromFloat64(f float64) (*Decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, Errorf("cannot convert %v to a decimal", f)
	}
	// Java's Double.toString: plain in [1e-3, 1e7), else scientific, and
	// always at least one fraction digit; BigDecimal keeps that text's scale.
	abs := math.Abs(f)
	var s string
	if abs == 0 || (abs >= 1e-3 && abs < 1e7) {
		s = strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
	} else {
		s = strconv.FormatFloat(f, 'E', -1, 64)
		if mant, exp, _ := strings.Cut(s, "E"); !strings.Contains(mant, ".") {
			s = mant + ".0E" + exp
		}
	}
	return ParseDecimal(s)
}

// Unscaled returns a copy of the unscaled value.
func (d *Decimal) Unscaled() *big.Int { return new(big.Int).Set(&d.unscaled) }

// Scale is the number of digits after the decimal point (may be negative).
func (d *Decimal) Scale() int32 { return d.scale }

// Sign returns -1, 0 or +1.
func (d *Decimal) Sign() int { return d.unscaled.Sign() }

// Rat returns the exact value as a rational.
func (d *Decimal) Rat() *big.Rat {
	r := new(big.Rat).SetInt(&d.unscaled)
	if d.scale > 0 {
		r.Quo(r, new(big.Rat).SetInt(pow10(int64(d.scale))))
	} else if d.scale < 0 {
		r.Mul(r, new(big.Rat).SetInt(pow10(-int64(d.scale))))
	}
	return r
}

// Float64 returns the nearest float64.
func (d *Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// Cmp compares numerically (ignoring scale).
func (d *Decimal) Cmp(o *Decimal) int { return d.Rat().Cmp(o.Rat()) }

// Equal reports equal value and scale, as BigDecimal.equals.
func (d *Decimal) Equal(o *Decimal) bool {
	if d == nil || o == nil {
		return d == o
	}
	return d.scale == o.scale && d.unscaled.Cmp(&o.unscaled) == 0
}

// Rescale returns the same number with another scale; it fails when digits
// would be lost.
func (d *Decimal) Rescale(scale int32) (*Decimal, error) {
	if scale == d.scale {
		return d, nil
	}
	out := &Decimal{scale: scale}
	if scale > d.scale {
		out.unscaled.Mul(&d.unscaled, pow10(int64(scale)-int64(d.scale)))
		return out, nil
	}
	var rem big.Int
	out.unscaled.QuoRem(&d.unscaled, pow10(int64(d.scale)-int64(scale)), &rem)
	if rem.Sign() != 0 {
		return nil, Errorf("Decimal %s cannot be rescaled to scale %d without rounding", d, scale)
	}
	return out, nil
}

// PlainString formats without an exponent (BigDecimal.toPlainString).
func (d *Decimal) PlainString() string {
	digits := d.unscaled.String()
	neg := strings.HasPrefix(digits, "-")
	if neg {
		digits = digits[1:]
	}
	var s string
	switch {
	case d.scale <= 0:
		s = digits
		if d.unscaled.Sign() != 0 {
			s += strings.Repeat("0", int(-d.scale))
		}
	case int(d.scale) >= len(digits):
		s = "0." + strings.Repeat("0", int(d.scale)-len(digits)) + digits
	default:
		s = digits[:len(digits)-int(d.scale)] + "." + digits[len(digits)-int(d.scale):]
	}
	if neg {
		return "-" + s
	}
	return s
}

// String formats as BigDecimal.toString: plain notation unless the scale is
// negative or the adjusted exponent is below -6, then scientific notation.
func (d *Decimal) String() string {
	digits := d.unscaled.String()
	neg := strings.HasPrefix(digits, "-")
	if neg {
		digits = digits[1:]
	}
	adjusted := -int64(d.scale) + int64(len(digits)-1)
	if d.scale >= 0 && adjusted >= -6 {
		return d.PlainString()
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteByte(digits[0])
	if len(digits) > 1 {
		b.WriteByte('.')
		b.WriteString(digits[1:])
	}
	b.WriteByte('E')
	if adjusted >= 0 {
		b.WriteByte('+')
	}
	b.WriteString(strconv.FormatInt(adjusted, 10))
	return b.String()
}

func pow10(n int64) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil)
}

// DecimalBuilder starts a Decimal schema with the given scale (version 1).
func DecimalBuilder(scale int32) *SchemaBuilder {
	return BytesBuilder().Name(DecimalLogicalName).Parameter(DecimalScaleParam, strconv.Itoa(int(scale))).Version(1)
}

// DecimalSchema is the required Decimal schema with the given scale.
func DecimalSchema(scale int32) *Schema { return DecimalBuilder(scale).MustBuild() }

// DecimalScale reads the scale parameter of a Decimal schema.
func DecimalScale(s *Schema) (int32, error) {
	v, ok := s.Parameter(DecimalScaleParam)
	if !ok {
		return 0, Errorf("Invalid Decimal schema: scale parameter not found.")
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, Errorf("Invalid scale parameter found in Decimal schema: %q", v)
	}
	return int32(n), nil
}

// DecimalFromLogical encodes d as the unscaled big-endian two's-complement
// bytes; d's scale must equal the schema's.
func DecimalFromLogical(s *Schema, d *Decimal) ([]byte, error) {
	scale, err := DecimalScale(s)
	if err != nil {
		return nil, err
	}
	if d.scale != scale {
		return nil, Errorf("Decimal value has mismatching scale for given Decimal schema. Schema has scale %d, value has scale %d.", scale, d.scale)
	}
	return TwosComplement(&d.unscaled), nil
}

// DecimalToLogical decodes unscaled big-endian two's-complement bytes.
func DecimalToLogical(s *Schema, b []byte) (*Decimal, error) {
	scale, err := DecimalScale(s)
	if err != nil {
		return nil, err
	}
	d := &Decimal{scale: scale}
	FromTwosComplement(&d.unscaled, b)
	return d, nil
}

// TwosComplement encodes x in the minimal big-endian two's-complement form,
// byte for byte what Java's BigInteger.toByteArray returns (0 is [0x00]).
func TwosComplement(x *big.Int) []byte {
	if x.Sign() >= 0 {
		b := x.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -x - 1 has the complemented bits of x's magnitude in two's complement.
	m := new(big.Int).Neg(x)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

// FromTwosComplement sets z from big-endian two's-complement bytes.
func FromTwosComplement(z *big.Int, b []byte) *big.Int {
	if len(b) == 0 || b[0]&0x80 == 0 {
		return z.SetBytes(b)
	}
	inv := make([]byte, len(b))
	for i := range b {
		inv[i] = ^b[i]
	}
	z.SetBytes(inv)
	z.Add(z, big.NewInt(1))
	return z.Neg(z)
}
