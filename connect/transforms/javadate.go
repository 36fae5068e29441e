package transforms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateFormat is the subset of Java's SimpleDateFormat that Kafka's
// TimestampConverter and TimestampRouter users write, always in UTC as those
// transformations configure it. Unsupported pattern letters are rejected at
// configuration time.
type dateFormat struct {
	pattern string
	tokens  []dfToken
}

type dfToken struct {
	letter byte // 0 for literal text
	count  int
	lit    string
}

const supportedLetters = "GyMLdHkKhmsSEuaDzZX"

func compileDateFormat(pattern string) (*dateFormat, error) {
	f := &dateFormat{pattern: pattern}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.tokens = append(f.tokens, dfToken{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c == '\'':
			if i+1 < len(pattern) && pattern[i+1] == '\'' {
				lit.WriteByte('\'')
				i += 2
				continue
			}
			i++
			for {
				if i >= len(pattern) {
					return nil, fmt.Errorf("Unterminated quote in date format pattern %q", pattern)
				}
				if pattern[i] == '\'' {
					if i+1 < len(pattern) && pattern[i+1] == '\'' {
						lit.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				lit.WriteByte(pattern[i])
				i++
			}
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			if !strings.ContainsRune(supportedLetters, rune(c)) {
				return nil, fmt.Errorf("Illegal or unsupported pattern character '%c' in date format pattern %q", c, pattern)
			}
			n := 1
			for i+n < len(pattern) && pattern[i+n] == c {
				n++
			}
			flush()
			letter := c
			if letter == 'L' {
				letter = 'M'
			}
			f.tokens = append(f.tokens, dfToken{letter: letter, count: n})
			i += n
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return f, nil
}

func pad(b *strings.Builder, n, width int) {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b.WriteByte('0')
	}
	b.WriteString(s)
}

// format renders t in UTC.
func (f *dateFormat) format(t time.Time) string {
	t = t.UTC()
	var b strings.Builder
	for _, tk := range f.tokens {
		switch tk.letter {
		case 0:
			b.WriteString(tk.lit)
		case 'G':
			if t.Year() > 0 {
				b.WriteString("AD")
			} else {
				b.WriteString("BC")
			}
		case 'y':
			if tk.count == 2 {
				pad(&b, t.Year()%100, 2)
			} else {
				pad(&b, t.Year(), tk.count)
			}
		case 'M':
			switch {
			case tk.count >= 4:
				b.WriteString(t.Month().String())
			case tk.count == 3:
				b.WriteString(t.Month().String()[:3])
			default:
				pad(&b, int(t.Month()), tk.count)
			}
		case 'd':
			pad(&b, t.Day(), tk.count)
		case 'D':
			pad(&b, t.YearDay(), tk.count)
		case 'H':
			pad(&b, t.Hour(), tk.count)
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			pad(&b, h, tk.count)
		case 'K':
			pad(&b, t.Hour()%12, tk.count)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			pad(&b, h, tk.count)
		case 'm':
			pad(&b, t.Minute(), tk.count)
		case 's':
			pad(&b, t.Second(), tk.count)
		case 'S':
			pad(&b, t.Nanosecond()/1e6, tk.count)
		case 'E':
			if tk.count >= 4 {
				b.WriteString(t.Weekday().String())
			} else {
				b.WriteString(t.Weekday().String()[:3])
			}
		case 'u':
			d := int(t.Weekday())
			if d == 0 {
				d = 7
			}
			pad(&b, d, tk.count)
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'z':
			if tk.count >= 4 {
				b.WriteString("Coordinated Universal Time")
			} else {
				b.WriteString("UTC")
			}
		case 'Z':
			b.WriteString("+0000")
		case 'X':
			b.WriteString("Z")
		}
	}
	return b.String()
}

func isNumericToken(tk dfToken) bool {
	switch tk.letter {
	case 'y', 'd', 'D', 'H', 'k', 'K', 'h', 'm', 's', 'S', 'u':
		return true
	case 'M':
		return tk.count <= 2
	}
	return false
}

// parse reads s as Java's lenient SimpleDateFormat.parse(String) does:
// missing fields default to 1970-01-01T00:00:00.000 UTC, out-of-range values
// roll over, and text after the pattern is ignored.
func (f *dateFormat) parse(s string) (time.Time, error) {
	year, month, day, hour, minute, sec, ms := 1970, 1, 1, 0, 0, 0, 0
	yearDay := -1
	pm, hasAmPm, h12 := false, false, false
	offset := 0
	bc := false
	pos := 0
	fail := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("Unparseable date: %q", s)
	}
	for i, tk := range f.tokens {
		if tk.letter == 0 {
			if !strings.HasPrefix(s[pos:], tk.lit) {
				return fail()
			}
			pos += len(tk.lit)
			continue
		}
		if isNumericToken(tk) {
			width := -1
			if i+1 < len(f.tokens) && isNumericToken(f.tokens[i+1]) {
				width = tk.count
			}
			start := pos
			for pos < len(s) && s[pos] >= '0' && s[pos] <= '9' && (width < 0 || pos-start < width) {
				pos++
			}
			if pos == start {
				return fail()
			}
			n, err := strconv.Atoi(s[start:pos])
			if err != nil {
				return fail()
			}
			switch tk.letter {
			case 'y':
				year = n
				if tk.count <= 2 && pos-start == 2 {
					year = twoDigitYear(n)
				}
			case 'M':
				month = n
			case 'd':
				day = n
			case 'D':
				yearDay = n
			case 'H', 'k':
				hour = n
				if tk.letter == 'k' && n == 24 {
					hour = 0
				}
			case 'K', 'h':
				hour, h12 = n, true
				if tk.letter == 'h' && n == 12 {
					hour = 0
				}
			case 'm':
				minute = n
			case 's':
				sec = n
			case 'S':
				ms = n
			}
			continue
		}
		rest := s[pos:]
		switch tk.letter {
		case 'M':
			m, n := matchName(rest, monthNames())
			if m < 0 {
				return fail()
			}
			month, pos = m+1, pos+n
		case 'E':
			d, n := matchName(rest, dayNames())
			if d < 0 {
				return fail()
			}
			pos += n
		case 'a':
			switch {
			case len(rest) >= 2 && strings.EqualFold(rest[:2], "AM"):
				pm = false
			case len(rest) >= 2 && strings.EqualFold(rest[:2], "PM"):
				pm = true
			default:
				return fail()
			}
			hasAmPm, pos = true, pos+2
		case 'G':
			switch {
			case len(rest) >= 2 && strings.EqualFold(rest[:2], "AD"):
			case len(rest) >= 2 && strings.EqualFold(rest[:2], "BC"):
				bc = true
			default:
				return fail()
			}
			pos += 2
		case 'z', 'Z', 'X':
			off, n, ok := parseZone(rest)
			if !ok {
				return fail()
			}
			offset, pos = off, pos+n
		}
	}
	if bc {
		year = 1 - year
	}
	if hasAmPm && pm && (h12 || hour < 12) {
		hour += 12
	}
	var t time.Time
	if yearDay >= 0 {
		t = time.Date(year, 1, yearDay, hour, minute, sec, ms*1e6, time.UTC)
	} else {
		t = time.Date(year, time.Month(month), day, hour, minute, sec, ms*1e6, time.UTC)
	}
	return t.Add(-time.Duration(offset) * time.Second), nil
}

// twoDigitYear maps yy into the 100-year window starting 80 years ago, as
// SimpleDateFormat does.
func twoDigitYear(n int) int {
	start := time.Now().UTC().Year() - 80
	y := start - start%100 + n
	if y < start {
		y += 100
	}
	return y
}

func monthNames() []string {
	out := make([]string, 12)
	for i := range out {
		out[i] = time.Month(i + 1).String()
	}
	return out
}

func dayNames() []string {
	out := make([]string, 7)
	for i := range out {
		out[i] = time.Weekday(i).String()
	}
	return out
}

// matchName matches a full or three-letter name, case-insensitively.
func matchName(s string, names []string) (idx, n int) {
	for i, name := range names {
		if len(s) >= len(name) && strings.EqualFold(s[:len(name)], name) {
			return i, len(name)
		}
	}
	for i, name := range names {
		if len(s) >= 3 && strings.EqualFold(s[:3], name[:3]) {
			return i, 3
		}
	}
	return -1, 0
}

// parseZone reads Z, UTC, GMT, GMT±hh:mm, ±hh, ±hhmm or ±hh:mm.
func parseZone(s string) (offsetSec, n int, ok bool) {
	switch {
	case strings.HasPrefix(s, "Z"):
		return 0, 1, true
	case strings.HasPrefix(s, "UTC"), strings.HasPrefix(s, "GMT"):
		off, m, ok := parseNumericOffset(s[3:])
		if ok {
			return off, 3 + m, true
		}
		return 0, 3, true
	}
	return parseNumericOffset(s)
}

func parseNumericOffset(s string) (int, int, bool) {
	if len(s) < 3 || (s[0] != '+' && s[0] != '-') {
		return 0, 0, false
	}
	digits := func(x string) bool {
		for _, c := range x {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	if !digits(s[1:3]) {
		return 0, 0, false
	}
	h, _ := strconv.Atoi(s[1:3])
	n, m := 3, 0
	switch {
	case len(s) >= 6 && s[3] == ':' && digits(s[4:6]):
		m, _ = strconv.Atoi(s[4:6])
		n = 6
	case len(s) >= 5 && digits(s[3:5]):
		m, _ = strconv.Atoi(s[3:5])
		n = 5
	}
	return sign * (h*3600 + m*60), n, true
}
