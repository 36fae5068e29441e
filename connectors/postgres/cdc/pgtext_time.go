package cdc

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// PostgreSQL writes temporal values as text in the session's DateStyle; the
// connections this package opens use DateStyle=ISO, TimeZone=UTC and
// IntervalStyle=iso_8601, so the parsers below only read those forms. They
// work on the proleptic Gregorian calendar for every year PostgreSQL stores
// (4713 BC to 294276 AD), which time.Time's layouts cannot parse.

const (
	microsPerSecond = int64(1_000_000)
	microsPerDay    = 86_400 * microsPerSecond

	// Debezium's encoding of timestamp 'infinity' and '-infinity'
	// (PgStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY).
	timestampPosInfinity = int64(9223372036825200000)
	timestampNegInfinity = int64(-9223372036832400000)
)

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (year 0 = 1 BC).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// textCursor walks a value's text.
type textCursor struct {
	s   []byte
	pos int
}

func (c *textCursor) digits(min, max int) (int64, bool) {
	start := c.pos
	var n int64
	for c.pos < len(c.s) && c.pos-start < max && c.s[c.pos] >= '0' && c.s[c.pos] <= '9' {
		n = n*10 + int64(c.s[c.pos]-'0')
		c.pos++
	}
	return n, c.pos-start >= min
}

func (c *textCursor) expect(b byte) bool {
	if c.pos < len(c.s) && c.s[c.pos] == b {
		c.pos++
		return true
	}
	return false
}

func (c *textCursor) done() bool { return c.pos >= len(c.s) }

// fraction reads an optional ".ffffff" and returns it in microseconds.
func (c *textCursor) fraction() int64 {
	if !c.expect('.') {
		return 0
	}
	var us int64
	n := 0
	for c.pos < len(c.s) && c.s[c.pos] >= '0' && c.s[c.pos] <= '9' {
		if n < 6 {
			us = us*10 + int64(c.s[c.pos]-'0')
		}
		n++
		c.pos++
	}
	for ; n < 6; n++ {
		us *= 10
	}
	return us
}

// date reads "YYYY-MM-DD" (the year may have more digits) and returns days
// since the epoch; a trailing " BC" is read by the caller through bc().
func (c *textCursor) date() (int64, int64, int64, bool) {
	y, ok1 := c.digits(4, 9)
	ok2 := c.expect('-')
	m, ok3 := c.digits(2, 2)
	ok4 := c.expect('-')
	d, ok5 := c.digits(2, 2)
	return y, m, d, ok1 && ok2 && ok3 && ok4 && ok5
}

// clock reads "HH:MM:SS[.ffffff]" and returns microseconds since midnight.
func (c *textCursor) clock() (int64, bool) {
	h, ok1 := c.digits(2, 2)
	ok2 := c.expect(':')
	mi, ok3 := c.digits(2, 2)
	ok4 := c.expect(':')
	s, ok5 := c.digits(2, 2)
	us := c.fraction()
	return ((h*60+mi)*60+s)*microsPerSecond + us, ok1 && ok2 && ok3 && ok4 && ok5
}

// zone reads "+HH[:MM[:SS]]" and returns the offset in seconds east of UTC.
func (c *textCursor) zone() (int64, bool) {
	if c.done() {
		return 0, false
	}
	sign := int64(1)
	switch c.s[c.pos] {
	case '+':
	case '-':
		sign = -1
	default:
		return 0, false
	}
	c.pos++
	h, ok := c.digits(2, 2)
	if !ok {
		return 0, false
	}
	off := h * 3600
	if c.expect(':') {
		m, ok := c.digits(2, 2)
		if !ok {
			return 0, false
		}
		off += m * 60
		if c.expect(':') {
			s, ok := c.digits(2, 2)
			if !ok {
				return 0, false
			}
			off += s
		}
	}
	return sign * off, true
}

// bc consumes a trailing " BC" and reports whether it was there.
func (c *textCursor) bc() bool {
	if len(c.s)-c.pos == 3 && string(c.s[c.pos:]) == " BC" {
		c.pos += 3
		return true
	}
	return false
}

func civilYear(y int64, bc bool) int64 {
	if bc {
		return 1 - y
	}
	return y
}

// parseDate reads a DATE and returns days since the epoch.
func parseDate(b []byte) (int64, error) {
	switch string(b) {
	case "infinity":
		return math.MaxInt32, nil
	case "-infinity":
		return math.MinInt32, nil
	}
	c := textCursor{s: b}
	y, m, d, ok := c.date()
	bc := c.bc()
	if !ok || !c.done() {
		return 0, fmt.Errorf("cannot parse date %q", b)
	}
	return daysFromCivil(civilYear(y, bc), m, d), nil
}

// parseTime reads a TIME and returns microseconds since midnight.
func parseTime(b []byte) (int64, error) {
	c := textCursor{s: b}
	us, ok := c.clock()
	if !ok || !c.done() {
		return 0, fmt.Errorf("cannot parse time %q", b)
	}
	return us, nil
}

// parseTimestamp reads a TIMESTAMP (without time zone) or, with zoned, a
// TIMESTAMPTZ, and returns microseconds since the epoch in UTC.
// infinite is +1 or -1 for 'infinity' and '-infinity'.
func parseTimestamp(b []byte, zoned bool) (us int64, infinite int, err error) {
	switch string(b) {
	case "infinity":
		return 0, 1, nil
	case "-infinity":
		return 0, -1, nil
	}
	c := textCursor{s: b}
	y, m, d, ok := c.date()
	ok = ok && (c.expect(' ') || c.expect('T'))
	clock, ok2 := c.clock()
	var off int64
	ok3 := true
	if zoned {
		off, ok3 = c.zone()
	}
	bc := c.bc()
	if !ok || !ok2 || !ok3 || !c.done() {
		return 0, 0, fmt.Errorf("cannot parse timestamp %q", b)
	}
	days := daysFromCivil(civilYear(y, bc), m, d)
	return days*microsPerDay + clock - off*microsPerSecond, 0, nil
}

// parseTimeTZ reads a TIMETZ and returns the time of day in UTC, in
// microseconds, wrapped into [0, 24h).
func parseTimeTZ(b []byte) (int64, error) {
	c := textCursor{s: b}
	us, ok := c.clock()
	off, ok2 := c.zone()
	if !ok || !ok2 || !c.done() {
		return 0, fmt.Errorf("cannot parse time with time zone %q", b)
	}
	us -= off * microsPerSecond
	us %= microsPerDay
	if us < 0 {
		us += microsPerDay
	}
	return us, nil
}

// formatISOTimestamp writes an instant as Java's ISO_OFFSET_DATE_TIME does
// in UTC ("2016-11-04T11:51:30.123456Z", years past 9999 with a sign).
// digits < 0 prints the fraction with as few digits as needed (none when
// zero); otherwise exactly digits digits.
func formatISOTimestamp(us int64, digits int) string {
	days := floorDiv(us, microsPerDay)
	rem := us - days*microsPerDay
	y, m, d := civilFromDays(days)
	var b strings.Builder
	b.Grow(32)
	switch {
	case y > 9999:
		b.WriteByte('+')
		b.WriteString(strconv.FormatInt(y, 10))
	case y < 0:
		b.WriteByte('-')
		pad(&b, -y, 4)
	default:
		pad(&b, y, 4)
	}
	b.WriteByte('-')
	pad(&b, m, 2)
	b.WriteByte('-')
	pad(&b, d, 2)
	b.WriteByte('T')
	writeClock(&b, rem, digits)
	b.WriteByte('Z')
	return b.String()
}

// formatISOTime writes a time of day as Java's ISO_OFFSET_TIME in UTC.
func formatISOTime(us int64, digits int) string {
	var b strings.Builder
	writeClock(&b, us, digits)
	b.WriteByte('Z')
	return b.String()
}

func writeClock(b *strings.Builder, us int64, digits int) {
	secs := us / microsPerSecond
	frac := us % microsPerSecond
	pad(b, secs/3600, 2)
	b.WriteByte(':')
	pad(b, secs/60%60, 2)
	b.WriteByte(':')
	pad(b, secs%60, 2)
	var f [6]byte
	for i := 5; i >= 0; i-- {
		f[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := digits
	if digits < 0 {
		n = 6
		for n > 0 && f[n-1] == '0' {
			n--
		}
	}
	if n > 0 {
		b.WriteByte('.')
		if n <= 6 {
			b.Write(f[:n])
		} else {
			b.Write(f[:])
			for i := 6; i < n; i++ {
				b.WriteByte('0')
			}
		}
	}
}

func pad(b *strings.Builder, n int64, width int) {
	s := strconv.FormatInt(n, 10)
	for i := len(s); i < width; i++ {
		b.WriteByte('0')
	}
	b.WriteString(s)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// intervalParts is an INTERVAL read from IntervalStyle=iso_8601 text.
type intervalParts struct {
	years, months, days, hours, minutes int64
	seconds, micros                     int64
}

// parseISOInterval reads "P1Y2M3DT4H5M6.78S" (components may be negative).
func parseISOInterval(b []byte) (intervalParts, error) {
	var p intervalParts
	s := string(b)
	if !strings.HasPrefix(s, "P") {
		return p, fmt.Errorf("cannot parse interval %q", b)
	}
	s = s[1:]
	inTime := false
	for s != "" {
		if s[0] == 'T' {
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && (s[i] == '-' || s[i] == '+' || s[i] == '.' || (s[i] >= '0' && s[i] <= '9')) {
			i++
		}
		if i == 0 || i >= len(s) {
			return p, fmt.Errorf("cannot parse interval %q", b)
		}
		num, unit := s[:i], s[i]
		s = s[i+1:]
		if unit == 'S' && inTime {
			whole, frac, _ := strings.Cut(num, ".")
			neg := strings.HasPrefix(whole, "-")
			n, err := strconv.ParseInt(whole, 10, 64)
			if err != nil {
				return p, fmt.Errorf("cannot parse interval %q", b)
			}
			fc := textCursor{s: []byte("." + frac)}
			us := fc.fraction()
			if neg {
				us = -us
			}
			p.seconds, p.micros = n, us
			continue
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return p, fmt.Errorf("cannot parse interval %q", b)
		}
		switch {
		case unit == 'Y' && !inTime:
			p.years = n
		case unit == 'M' && !inTime:
			p.months = n
		case unit == 'W' && !inTime:
			p.days += 7 * n
		case unit == 'D' && !inTime:
			p.days += n
		case unit == 'H' && inTime:
			p.hours = n
		case unit == 'M' && inTime:
			p.minutes = n
		default:
			return p, fmt.Errorf("cannot parse interval %q", b)
		}
	}
	return p, nil
}

// micros approximates the interval in microseconds as Debezium's
// MicroDuration does: a month is 365.25/12 days.
func (p intervalParts) totalMicros() int64 {
	const daysPerMonth = 365.25 / 12.0
	days := float64(p.years*12+p.months)*daysPerMonth + float64(p.days)
	secs := ((days*24+float64(p.hours))*60+float64(p.minutes))*60 + float64(p.seconds)
	return int64(secs*1e6 + float64(p.micros))
}
