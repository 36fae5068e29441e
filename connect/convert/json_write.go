package convert

import (
	"encoding/base64"
	"math"
	"unicode/utf8"

	"github.com/runnel-dev/runnel/connect/data"
)

// This file writes JSON text exactly as Jackson does for Kafka's
// JsonConverter: compact, strings escaped with Jackson's rules, doubles and
// floats in Java's Double.toString/Float.toString notation, binary as padded
// standard base64.

const hexUpper = "0123456789ABCDEF"

// appendJSONString appends s as a JSON string. Like Jackson, it escapes only
// '"', '\\' and control characters (with \b \t \n \f \r short forms and
// upper-case \u00XX otherwise); everything else, including non-ASCII, is
// written as UTF-8. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\t':
				b = append(b, '\\', 't')
			case '\n':
				b = append(b, '\\', 'n')
			case '\f':
				b = append(b, '\\', 'f')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendBase64 appends p as a JSON string of padded standard base64, as
// Jackson's default (MIME_NO_LINEFEEDS) variant writes binary nodes.
func appendBase64(b []byte, p []byte) []byte {
	b = append(b, '"')
	n := base64.StdEncoding.EncodedLen(len(p))
	if cap(b)-len(b) < n+1 {
		nb := make([]byte, len(b), len(b)+n+1)
		copy(nb, b)
		b = nb
	}
	base64.StdEncoding.Encode(b[len(b):len(b)+n], p)
	b = b[:len(b)+n]
	return append(b, '"')
}

// appendJavaDouble appends f as Jackson writes a double (Double.toString);
// non-finite values are written as the strings "NaN", "Infinity" and
// "-Infinity" (Jackson's default QUOTE_NON_NUMERIC_NUMBERS).
func appendJavaDouble(b []byte, f float64) []byte { return appendJavaFloat(b, f, 64) }

// appendJavaFloat32 appends f as Jackson writes a float (Float.toString).
func appendJavaFloat32(b []byte, f float32) []byte { return appendJavaFloat(b, float64(f), 32) }

func appendJavaFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return append(b, data.JavaFloatString(f, bits)...)
}
