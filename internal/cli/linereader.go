package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kgo"
)

// lineFormat is how console-producer splits a line into headers, key and
// value: Kafka's LineMessageReader properties.
type lineFormat struct {
	parseKey            bool
	keySeparator        []byte
	parseHeaders        bool
	headersDelimiter    []byte
	headersSeparator    []byte
	headersKeySeparator []byte
	ignoreError         bool
	nullMarker          []byte // nil: no marker
}

var lineFormatProps = []string{
	"parse.key", "key.separator", "parse.headers", "headers.delimiter",
	"headers.separator", "headers.key.separator", "ignore.error", "null.marker",
}

func newLineFormat(pm *propertyMap) (*lineFormat, error) {
	f := &lineFormat{
		keySeparator:        []byte("\t"),
		headersDelimiter:    []byte("\t"),
		headersSeparator:    []byte(","),
		headersKeySeparator: []byte(":"),
	}
	boolProp := func(key string, dst *bool) error {
		v, src, ok := pm.take(key)
		if !ok {
			return nil
		}
		b, valid := parseBoolProperty(v)
		if !valid {
			return fmt.Errorf("%s: %s: expected true or false, got %q", src, key, v)
		}
		*dst = b
		return nil
	}
	strProp := func(key string, dst *[]byte) error {
		v, src, ok := pm.take(key)
		if !ok {
			return nil
		}
		if v == "" {
			return fmt.Errorf("%s: %s: expected a non-empty separator", src, key)
		}
		*dst = []byte(v)
		return nil
	}
	for _, err := range []error{
		boolProp("parse.key", &f.parseKey),
		boolProp("parse.headers", &f.parseHeaders),
		boolProp("ignore.error", &f.ignoreError),
		strProp("key.separator", &f.keySeparator),
		strProp("headers.delimiter", &f.headersDelimiter),
		strProp("headers.separator", &f.headersSeparator),
		strProp("headers.key.separator", &f.headersKeySeparator),
	} {
		if err != nil {
			return nil, err
		}
	}
	if v, _, ok := pm.take("null.marker"); ok {
		f.nullMarker = []byte(v)
	}
	for _, pair := range []struct {
		a, b   []byte
		na, nb string
	}{
		{f.headersDelimiter, f.headersSeparator, "headers.delimiter", "headers.separator"},
		{f.headersDelimiter, f.headersKeySeparator, "headers.delimiter", "headers.key.separator"},
		{f.headersSeparator, f.headersKeySeparator, "headers.separator", "headers.key.separator"},
		{f.nullMarker, f.keySeparator, "null.marker", "key.separator"},
		{f.nullMarker, f.headersSeparator, "null.marker", "headers.separator"},
		{f.nullMarker, f.headersDelimiter, "null.marker", "headers.delimiter"},
		{f.nullMarker, f.headersKeySeparator, "null.marker", "headers.key.separator"},
	} {
		if pair.a != nil && bytes.Equal(pair.a, pair.b) {
			return nil, fmt.Errorf("--property: %s and %s may not be equal", pair.na, pair.nb)
		}
	}
	if rest := pm.keys(); len(rest) > 0 {
		return nil, fmt.Errorf("%s: unknown line reader property %q; supported: %v", pm.sources[rest[0]], rest[0], lineFormatProps)
	}
	return f, nil
}

// errLineFormat is a line that does not match the configured format.
var errLineFormat = errors.New("malformed input line")

// parse splits line into r's headers, key and value. Key and value alias
// line; the caller owns copying them.
func (f *lineFormat) parse(line []byte, lineNo int64, r *kgo.Record) error {
	rest := line
	if f.parseHeaders {
		i := bytes.Index(rest, f.headersDelimiter)
		switch {
		case i >= 0:
			hs := rest[:i]
			rest = rest[i+len(f.headersDelimiter):]
			// An empty header section means no headers (Kafka would
			// reject it as a header without a key separator).
			if len(hs) > 0 && !f.isNull(hs) {
				if err := f.parseHeaderList(hs, lineNo, r); err != nil {
					return err
				}
			}
		case !f.ignoreError:
			return fmt.Errorf("%w: no headers delimiter %q found on line %d: %q", errLineFormat, f.headersDelimiter, lineNo, line)
		}
	}
	r.Key = nil
	if f.parseKey {
		i := bytes.Index(rest, f.keySeparator)
		switch {
		case i >= 0:
			if k := rest[:i]; !f.isNull(k) {
				r.Key = k
			}
			rest = rest[i+len(f.keySeparator):]
		case !f.ignoreError:
			return fmt.Errorf("%w: no key separator %q found on line %d: %q", errLineFormat, f.keySeparator, lineNo, line)
		}
	}
	r.Value = rest
	if f.isNull(rest) {
		r.Value = nil
	}
	return nil
}

func (f *lineFormat) isNull(b []byte) bool {
	return f.nullMarker != nil && bytes.Equal(b, f.nullMarker)
}

func (f *lineFormat) parseHeaderList(hs []byte, lineNo int64, r *kgo.Record) error {
	for _, pair := range bytes.Split(hs, f.headersSeparator) {
		i := bytes.Index(pair, f.headersKeySeparator)
		if i < 0 {
			if f.ignoreError {
				r.Headers = append(r.Headers, kgo.RecordHeader{Key: string(pair)})
				continue
			}
			return fmt.Errorf("%w: no header key separator %q in %q on line %d", errLineFormat, f.headersKeySeparator, pair, lineNo)
		}
		k := pair[:i]
		if f.isNull(k) {
			return fmt.Errorf("%w: header key on line %d equals the null marker %q; header keys cannot be null", errLineFormat, lineNo, f.nullMarker)
		}
		h := kgo.RecordHeader{Key: string(k)}
		if v := pair[i+len(f.headersKeySeparator):]; !f.isNull(v) {
			h.Value = bytes.Clone(v)
		}
		r.Headers = append(r.Headers, h)
	}
	return nil
}

// lineScanner reads lines ending in "\n" or "\r\n"; a last line without
// an end still counts, as with Java's BufferedReader.readLine. It does not
// cap line length: the broker's message.max.bytes does.
type lineScanner struct {
	r    *bufio.Reader
	long []byte
}

func newLineScanner(r io.Reader) *lineScanner {
	return &lineScanner{r: bufio.NewReaderSize(r, 256<<10)}
}

// next returns the next line without its end; the slice is valid until the
// following call. It returns io.EOF after the last line.
func (s *lineScanner) next() ([]byte, error) {
	s.long = s.long[:0]
	for {
		chunk, err := s.r.ReadSlice('\n')
		switch {
		case err == nil:
			line := chunk[:len(chunk)-1]
			if len(s.long) > 0 {
				s.long = append(s.long, line...)
				line = s.long
			}
			return bytes.TrimSuffix(line, []byte{'\r'}), nil
		case errors.Is(err, bufio.ErrBufferFull):
			s.long = append(s.long, chunk...)
		case errors.Is(err, io.EOF):
			s.long = append(s.long, chunk...)
			if len(s.long) == 0 {
				return nil, io.EOF
			}
			return s.long, nil
		default:
			return nil, err
		}
	}
}
