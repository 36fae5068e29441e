package convert

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader is a small pull parser over one JSON document. It accepts
// standard JSON plus leading zeros in numbers (Kafka's JsonDeserializer
// enables ALLOW_LEADING_ZEROS_FOR_NUMBERS). Errors carry the byte offset.
type jsonReader struct {
	b []byte
	i int
}

// nodeKind names JSON node types as Jackson's JsonNodeType does, for messages.
type nodeKind byte

const (
	kindNull nodeKind = iota
	kindBoolean
	kindNumber
	kindString
	kindArray
	kindObject
	kindMissing
)

func (k nodeKind) String() string {
	return [...]string{"NULL", "BOOLEAN", "NUMBER", "STRING", "ARRAY", "OBJECT", "MISSING"}[k]
}

var errSyntax = errors.New("invalid JSON")

func (r *jsonReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, r.i, fmt.Sprintf(format, args...))
}

func (r *jsonReader) skipWS() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the kind of the next value without consuming it.
func (r *jsonReader) peek() (nodeKind, error) {
	r.skipWS()
	if r.i >= len(r.b) {
		return kindMissing, nil
	}
	switch c := r.b[r.i]; {
	case c == '{':
		return kindObject, nil
	case c == '[':
		return kindArray, nil
	case c == '"':
		return kindString, nil
	case c == 't' || c == 'f':
		return kindBoolean, nil
	case c == 'n':
		return kindNull, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return kindNumber, nil
	}
	return 0, r.errorf("unexpected character %q", r.b[r.i])
}

// end fails unless only whitespace remains.
func (r *jsonReader) end() error {
	r.skipWS()
	if r.i != len(r.b) {
		return r.errorf("unexpected trailing data")
	}
	return nil
}

func (r *jsonReader) literal(word string) error {
	if len(r.b)-r.i < len(word) || string(r.b[r.i:r.i+len(word)]) != word {
		return r.errorf("invalid literal")
	}
	r.i += len(word)
	return nil
}

func (r *jsonReader) readNull() error { r.skipWS(); return r.literal("null") }

func (r *jsonReader) readBool() (bool, error) {
	r.skipWS()
	if r.i < len(r.b) && r.b[r.i] == 't' {
		return true, r.literal("true")
	}
	return false, r.literal("false")
}

// readNumber returns the number's text and whether it has a fraction or
// exponent (Jackson calls those floating-point, the rest integral).
func (r *jsonReader) readNumber() (text []byte, isFloat bool, err error) {
	r.skipWS()
	start := r.i
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	digits := r.i
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
	}
	if r.i == digits {
		return nil, false, r.errorf("invalid number")
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		isFloat = true
		r.i++
		fd := r.i
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
		}
		if r.i == fd {
			return nil, false, r.errorf("invalid number")
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		isFloat = true
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		ed := r.i
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
		}
		if r.i == ed {
			return nil, false, r.errorf("invalid number")
		}
	}
	return r.b[start:r.i], isFloat, nil
}

// readStringBytes returns the string's content. When the string has no
// escapes the result aliases the input; callers that keep it must copy
// (string(...) does).
func (r *jsonReader) readStringBytes() ([]byte, error) {
	r.skipWS()
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return nil, r.errorf("expected a string")
	}
	r.i++
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		if c == '"' {
			s := r.b[start:r.i]
			r.i++
			return s, nil
		}
		if c == '\\' {
			return r.readEscaped(start)
		}
		if c < 0x20 {
			return nil, r.errorf("control character in string")
		}
		r.i++
	}
	return nil, r.errorf("unterminated string")
}

func (r *jsonReader) readEscaped(start int) ([]byte, error) {
	out := append([]byte(nil), r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return out, nil
		case c < 0x20:
			return nil, r.errorf("control character in string")
		case c != '\\':
			out = append(out, c)
			r.i++
			continue
		}
		r.i++
		if r.i >= len(r.b) {
			break
		}
		e := r.b[r.i]
		r.i++
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			cp, ok := r.hex4()
			if !ok {
				return nil, r.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(cp) {
				// A surrogate pair spells one code point; a lone surrogate
				// (legal in Java strings) becomes U+FFFD.
				save := r.i
				if r.i+1 < len(r.b) && r.b[r.i] == '\\' && r.b[r.i+1] == 'u' {
					r.i += 2
					if lo, ok := r.hex4(); ok {
						if d := utf16.DecodeRune(cp, lo); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							continue
						}
					}
				}
				r.i = save
				cp = utf8.RuneError
			}
			out = utf8.AppendRune(out, cp)
		default:
			return nil, r.errorf("invalid escape \\%c", e)
		}
	}
	return nil, r.errorf("unterminated string")
}

func (r *jsonReader) hex4() (rune, bool) {
	if r.i+4 > len(r.b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(r.b[r.i:r.i+4]), 16, 16)
	if err != nil {
		return 0, false
	}
	r.i += 4
	return rune(v), true
}

func (r *jsonReader) readString() (string, error) {
	b, err := r.readStringBytes()
	return string(b), err
}

// expect consumes the next non-space byte, which must be c.
func (r *jsonReader) expect(c byte) error {
	r.skipWS()
	if r.i >= len(r.b) || r.b[r.i] != c {
		return r.errorf("expected %q", c)
	}
	r.i++
	return nil
}

// more is called inside an array or object after '[' / '{' or an element:
// it reports whether another element follows, consuming the separator, or
// consumes the closing byte and returns false.
func (r *jsonReader) more(closer byte, first bool) (bool, error) {
	r.skipWS()
	if r.i >= len(r.b) {
		return false, r.errorf("unexpected end of input")
	}
	if r.b[r.i] == closer {
		r.i++
		return false, nil
	}
	if !first {
		if r.b[r.i] != ',' {
			return false, r.errorf("expected ',' or %q", closer)
		}
		r.i++
	}
	return true, nil
}

// objectKey reads a member name and the following ':'.
func (r *jsonReader) objectKey() ([]byte, error) {
	k, err := r.readStringBytes()
	if err != nil {
		return nil, err
	}
	return k, r.expect(':')
}

// skipValue consumes one value and returns its raw text.
func (r *jsonReader) skipValue() ([]byte, error) {
	k, err := r.peek()
	if err != nil {
		return nil, err
	}
	start := r.i
	switch k {
	case kindMissing:
		return nil, r.errorf("unexpected end of input")
	case kindNull:
		err = r.readNull()
	case kindBoolean:
		_, err = r.readBool()
	case kindNumber:
		_, _, err = r.readNumber()
	case kindString:
		_, err = r.readStringBytes()
	case kindArray:
		r.i++
		for first := true; ; first = false {
			ok, e := r.more(']', first)
			if e != nil || !ok {
				err = e
				break
			}
			if _, err = r.skipValue(); err != nil {
				break
			}
		}
	case kindObject:
		r.i++
		for first := true; ; first = false {
			ok, e := r.more('}', first)
			if e != nil || !ok {
				err = e
				break
			}
			if _, err = r.objectKey(); err != nil {
				break
			}
			if _, err = r.skipValue(); err != nil {
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return r.b[start:r.i], nil
}

// skipStructure skips one object or array by bracket depth, jumping over
// strings with IndexByte, without validating tokens. It is only used where
// the skipped text is parsed in full afterwards or is byte-identical to text
// that was (the envelope's cached schema), so it trades no safety for speed.
func (r *jsonReader) skipStructure() ([]byte, error) {
	k, err := r.peek()
	if err != nil {
		return nil, err
	}
	if k != kindObject && k != kindArray {
		return r.skipValue()
	}
	start, depth := r.i, 0
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case '"':
			j := r.i + 1
			for {
				q := bytes.IndexByte(r.b[j:], '"')
				if q < 0 {
					return nil, r.errorf("unterminated string")
				}
				j += q
				backslashes := 0
				for p := j - 1; p > r.i && r.b[p] == '\\'; p-- {
					backslashes++
				}
				if backslashes%2 == 0 {
					break
				}
				j++
			}
			r.i = j + 1
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				r.i++
				return r.b[start:r.i], nil
			}
		}
		r.i++
	}
	return nil, r.errorf("unexpected end of input")
}

// member is one object member with its raw value text.
type member struct {
	key string
	raw []byte
}

// readMembers reads an object into its members, in order. With fast,
// nested objects and arrays are skipped by skipStructure.
func (r *jsonReader) readMembers(fast bool) ([]member, error) {
	if err := r.expect('{'); err != nil {
		return nil, err
	}
	var ms []member
	for first := true; ; first = false {
		ok, err := r.more('}', first)
		if err != nil {
			return nil, err
		}
		if !ok {
			return ms, nil
		}
		k, err := r.objectKey()
		if err != nil {
			return nil, err
		}
		key := string(k)
		var raw []byte
		if fast {
			raw, err = r.skipStructure()
		} else {
			raw, err = r.skipValue()
		}
		if err != nil {
			return nil, err
		}
		// Jackson keeps the last of duplicate names.
		replaced := false
		for i := range ms {
			if ms[i].key == key {
				ms[i].raw, replaced = raw, true
			}
		}
		if !replaced {
			ms = append(ms, member{key: key, raw: raw})
		}
	}
}
