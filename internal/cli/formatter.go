package cli

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// messageFormatter prints records the way Kafka's DefaultMessageFormatter
// does: optional CreateTime:<ms>, Partition:<p>, Offset:<o>, headers and
// key, each followed by key.separator, then the value and line.separator.
type messageFormatter struct {
	printTimestamp, printPartition, printOffset, printHeaders bool
	printKey, printValue                                      bool

	keySeparator, lineSeparator, headersSeparator, nullLiteral []byte

	keyDecoder, valueDecoder, headerDecoder decoder
}

// decoder renders a serialized field; nil prints the bytes as they are.
type decoder func(b []byte) ([]byte, error)

var formatterProps = []string{
	"print.timestamp", "print.key", "print.value", "print.partition", "print.offset", "print.headers",
	"key.separator", "line.separator", "headers.separator", "null.literal",
	"key.deserializer", "value.deserializer", "headers.deserializer",
}

func newMessageFormatter(pm *propertyMap) (*messageFormatter, error) {
	f := &messageFormatter{
		printValue:       true,
		keySeparator:     []byte("\t"),
		lineSeparator:    []byte("\n"),
		headersSeparator: []byte(","),
		nullLiteral:      []byte("null"),
	}
	for key, dst := range map[string]*bool{
		"print.timestamp": &f.printTimestamp, "print.key": &f.printKey, "print.value": &f.printValue,
		"print.partition": &f.printPartition, "print.offset": &f.printOffset, "print.headers": &f.printHeaders,
	} {
		if v, src, ok := pm.take(key); ok {
			b, valid := parseBoolProperty(v)
			if !valid {
				return nil, fmt.Errorf("%s: %s: expected true or false, got %q", src, key, v)
			}
			*dst = b
		}
	}
	for key, dst := range map[string]*[]byte{
		"key.separator": &f.keySeparator, "line.separator": &f.lineSeparator,
		"headers.separator": &f.headersSeparator, "null.literal": &f.nullLiteral,
	} {
		if v, _, ok := pm.take(key); ok {
			*dst = []byte(v)
		}
	}
	for key, dst := range map[string]*decoder{
		"key.deserializer": &f.keyDecoder, "value.deserializer": &f.valueDecoder, "headers.deserializer": &f.headerDecoder,
	} {
		if v, src, ok := pm.take(key); ok {
			d, err := deserializerByName(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", src, key, err)
			}
			*dst = d
		}
	}
	if rest := pm.keys(); len(rest) > 0 {
		return nil, fmt.Errorf("%s: unknown formatter property %q; supported: %s", pm.sources[rest[0]], rest[0], strings.Join(formatterProps, ", "))
	}
	return f, nil
}

// deserializerByName maps Kafka's standard deserializer classes (full or
// simple name) to decoders.
func deserializerByName(name string) (decoder, error) {
	simple := name[strings.LastIndex(name, ".")+1:]
	fixed := func(size int, render func([]byte) string) decoder {
		return func(b []byte) ([]byte, error) {
			if len(b) != size {
				return nil, fmt.Errorf("%s: expected %d bytes, got %d", simple, size, len(b))
			}
			return []byte(render(b)), nil
		}
	}
	switch simple {
	case "StringDeserializer", "ByteArrayDeserializer", "BytesDeserializer", "ByteBufferDeserializer":
		return nil, nil
	case "LongDeserializer":
		return fixed(8, func(b []byte) string { return strconv.FormatInt(int64(binary.BigEndian.Uint64(b)), 10) }), nil
	case "IntegerDeserializer":
		return fixed(4, func(b []byte) string { return strconv.FormatInt(int64(int32(binary.BigEndian.Uint32(b))), 10) }), nil
	case "ShortDeserializer":
		return fixed(2, func(b []byte) string { return strconv.FormatInt(int64(int16(binary.BigEndian.Uint16(b))), 10) }), nil
	case "DoubleDeserializer":
		return fixed(8, func(b []byte) string {
			return strconv.FormatFloat(math.Float64frombits(binary.BigEndian.Uint64(b)), 'G', -1, 64)
		}), nil
	case "FloatDeserializer":
		return fixed(4, func(b []byte) string {
			return strconv.FormatFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(b))), 'G', -1, 32)
		}), nil
	}
	return nil, fmt.Errorf("unsupported deserializer %q: expected String, ByteArray, Bytes, Long, Integer, Short, Double or Float Deserializer", name)
}

func (f *messageFormatter) field(w *bytes.Buffer, d decoder, b []byte) error {
	if b == nil {
		w.Write(f.nullLiteral)
		return nil
	}
	if d != nil {
		out, err := d(b)
		if err != nil {
			return err
		}
		b = out
	}
	w.Write(b)
	return nil
}

// write formats r into w; on error w holds a partial line to discard.
func (f *messageFormatter) write(w *bytes.Buffer, r *kgo.Record) error {
	// Each column is followed by key.separator when another column
	// follows, as in Kafka.
	sep := func(more bool) {
		if more {
			w.Write(f.keySeparator)
		} else {
			w.Write(f.lineSeparator)
		}
	}
	if f.printTimestamp {
		switch r.Attrs.TimestampType() {
		case 0:
			w.WriteString("CreateTime:")
			w.WriteString(strconv.FormatInt(r.Timestamp.UnixMilli(), 10))
		case 1:
			w.WriteString("LogAppendTime:")
			w.WriteString(strconv.FormatInt(r.Timestamp.UnixMilli(), 10))
		default:
			w.WriteString("NO_TIMESTAMP")
		}
		sep(f.printPartition || f.printOffset || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printPartition {
		w.WriteString("Partition:")
		w.WriteString(strconv.FormatInt(int64(r.Partition), 10))
		sep(f.printOffset || f.printHeaders || f.printKey || f.printValue)
	}
	if f.printOffset {
		w.WriteString("Offset:")
		w.WriteString(strconv.FormatInt(r.Offset, 10))
		sep(f.printHeaders || f.printKey || f.printValue)
	}
	if f.printHeaders {
		if len(r.Headers) == 0 {
			w.WriteString("NO_HEADERS")
		}
		for i, h := range r.Headers {
			if i > 0 {
				w.Write(f.headersSeparator)
			}
			w.WriteString(h.Key)
			w.WriteByte(':')
			if err := f.field(w, f.headerDecoder, h.Value); err != nil {
				return fmt.Errorf("header %q: %w", h.Key, err)
			}
		}
		sep(f.printKey || f.printValue)
	}
	if f.printKey {
		if err := f.field(w, f.keyDecoder, r.Key); err != nil {
			return fmt.Errorf("key: %w", err)
		}
		sep(f.printValue)
	}
	if f.printValue {
		if err := f.field(w, f.valueDecoder, r.Value); err != nil {
			return fmt.Errorf("value: %w", err)
		}
		w.Write(f.lineSeparator)
	}
	return nil
}
