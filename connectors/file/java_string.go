package file

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect/data"
)

// appendJavaString appends v formatted as Java's String.valueOf prints the
// corresponding Connect value, which is what Kafka's FileStreamSink writes:
// null, {k=v, k2=v2}, [a, b], Struct{f=v,g=w}, 1.0. Byte arrays are written
// raw (Java would print an object id, which helps nobody).
func appendJavaString(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return append(b, x...)
	case []byte:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float32:
		return append(b, javaDouble(float64(x), 32)...)
	case float64:
		return append(b, javaDouble(x, 64)...)
	case *data.Struct:
		return appendStruct(b, x)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJavaString(b, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, k...)
			b = append(b, '=')
			b = appendJavaString(b, x[k])
		}
		return append(b, '}')
	case map[any]any:
		parts := make([]string, 0, len(x))
		for k, e := range x {
			parts = append(parts, string(appendJavaString(nil, k))+"="+string(appendJavaString(nil, e)))
		}
		slices.Sort(parts)
		return append(append(append(b, '{'), strings.Join(parts, ", ")...), '}')
	case time.Time:
		return append(b, x.UTC().Format("Mon Jan 02 15:04:05 UTC 2006")...)
	case interface{ String() string }:
		return append(b, x.String()...)
	}
	return append(b, "?"...)
}

func appendStruct(b []byte, s *data.Struct) []byte {
	b = append(b, "Struct{"...)
	first := true
	for _, f := range s.Schema().Fields() {
		v := s.GetFieldWithoutDefault(f)
		if v == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.Name()...)
		b = append(b, '=')
		b = appendJavaString(b, v)
	}
	return append(b, '}')
}

// javaDouble formats like Java's Double.toString: plain with at least one
// fractional digit in [1e-3, 1e7), scientific (1.0E7) outside.
func javaDouble(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, bits)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}
