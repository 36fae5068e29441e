package serde

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
)

// String is UTF-8 text (Kafka's StringSerde). nil deserializes to "".
func String() Serde[string] { return stringSerde{} }

type stringSerde struct{}

func (stringSerde) Serialize(_ string, v string) ([]byte, error) { return []byte(v), nil }
func (stringSerde) AppendSerialize(dst []byte, _ string, v string) ([]byte, error) {
	return append(present(dst), v...), nil
}
func (stringSerde) Deserialize(_ string, b []byte) (string, error) {
	return string(b), nil
}
func (stringSerde) String() string { return "String" }

// Bytes passes byte slices through unchanged (Kafka's ByteArraySerde); nil
// stays nil. Deserialize copies, since the caller may reuse its buffer.
func Bytes() Serde[[]byte] { return bytesSerde{} }

type bytesSerde struct{}

func (bytesSerde) Serialize(_ string, v []byte) ([]byte, error) { return v, nil }
func (bytesSerde) AppendSerialize(dst []byte, _ string, v []byte) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return append(present(dst), v...), nil
}
func (bytesSerde) Deserialize(_ string, b []byte) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	return append([]byte(nil), b...), nil
}
func (bytesSerde) String() string { return "Bytes" }

func sizeError(want, got int) error {
	return fmt.Errorf("expected %d bytes, got %d", want, got)
}

// Int16 is a 2-byte big-endian integer (Kafka's ShortSerde).
func Int16() Serde[int16] { return int16Serde{} }

type int16Serde struct{}

func (int16Serde) Serialize(_ string, v int16) ([]byte, error) {
	return binary.BigEndian.AppendUint16(make([]byte, 0, 2), uint16(v)), nil
}
func (int16Serde) AppendSerialize(dst []byte, _ string, v int16) ([]byte, error) {
	return binary.BigEndian.AppendUint16(dst, uint16(v)), nil
}
func (int16Serde) Deserialize(topic string, b []byte) (int16, error) {
	if b == nil {
		return 0, nil
	}
	if len(b) != 2 {
		return 0, deserErr("Int16", topic, sizeError(2, len(b)))
	}
	return int16(binary.BigEndian.Uint16(b)), nil
}
func (int16Serde) String() string { return "Int16" }

// Int32 is a 4-byte big-endian integer (Kafka's IntegerSerde).
func Int32() Serde[int32] { return int32Serde{} }

type int32Serde struct{}

func (int32Serde) Serialize(_ string, v int32) ([]byte, error) {
	return binary.BigEndian.AppendUint32(make([]byte, 0, 4), uint32(v)), nil
}
func (int32Serde) AppendSerialize(dst []byte, _ string, v int32) ([]byte, error) {
	return binary.BigEndian.AppendUint32(dst, uint32(v)), nil
}
func (int32Serde) Deserialize(topic string, b []byte) (int32, error) {
	if b == nil {
		return 0, nil
	}
	if len(b) != 4 {
		return 0, deserErr("Int32", topic, sizeError(4, len(b)))
	}
	return int32(binary.BigEndian.Uint32(b)), nil
}
func (int32Serde) String() string { return "Int32" }

// Int64 is an 8-byte big-endian integer (Kafka's LongSerde).
func Int64() Serde[int64] { return int64Serde{} }

type int64Serde struct{}

func (int64Serde) Serialize(_ string, v int64) ([]byte, error) {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(v)), nil
}
func (int64Serde) AppendSerialize(dst []byte, _ string, v int64) ([]byte, error) {
	return binary.BigEndian.AppendUint64(dst, uint64(v)), nil
}
func (int64Serde) Deserialize(topic string, b []byte) (int64, error) {
	if b == nil {
		return 0, nil
	}
	if len(b) != 8 {
		return 0, deserErr("Int64", topic, sizeError(8, len(b)))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}
func (int64Serde) String() string { return "Int64" }

// Float32 is a 4-byte big-endian IEEE 754 number (Kafka's FloatSerde).
func Float32() Serde[float32] { return float32Serde{} }

type float32Serde struct{}

func (float32Serde) Serialize(_ string, v float32) ([]byte, error) {
	return binary.BigEndian.AppendUint32(make([]byte, 0, 4), math.Float32bits(v)), nil
}
func (float32Serde) AppendSerialize(dst []byte, _ string, v float32) ([]byte, error) {
	return binary.BigEndian.AppendUint32(dst, math.Float32bits(v)), nil
}
func (float32Serde) Deserialize(topic string, b []byte) (float32, error) {
	if b == nil {
		return 0, nil
	}
	if len(b) != 4 {
		return 0, deserErr("Float32", topic, sizeError(4, len(b)))
	}
	return math.Float32frombits(binary.BigEndian.Uint32(b)), nil
}
func (float32Serde) String() string { return "Float32" }

// Float64 is an 8-byte big-endian IEEE 754 number (Kafka's DoubleSerde).
func Float64() Serde[float64] { return float64Serde{} }

type float64Serde struct{}

func (float64Serde) Serialize(_ string, v float64) ([]byte, error) {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), math.Float64bits(v)), nil
}
func (float64Serde) AppendSerialize(dst []byte, _ string, v float64) ([]byte, error) {
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v)), nil
}
func (float64Serde) Deserialize(topic string, b []byte) (float64, error) {
	if b == nil {
		return 0, nil
	}
	if len(b) != 8 {
		return 0, deserErr("Float64", topic, sizeError(8, len(b)))
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
}
func (float64Serde) String() string { return "Float64" }

// Bool is one byte, 0x01 or 0x00 (Kafka's BooleanSerde).
func Bool() Serde[bool] { return boolSerde{} }

type boolSerde struct{}

func (boolSerde) Serialize(_ string, v bool) ([]byte, error) {
	if v {
		return []byte{1}, nil
	}
	return []byte{0}, nil
}
func (boolSerde) AppendSerialize(dst []byte, _ string, v bool) ([]byte, error) {
	if v {
		return append(dst, 1), nil
	}
	return append(dst, 0), nil
}
func (boolSerde) Deserialize(topic string, b []byte) (bool, error) {
	switch {
	case b == nil:
		return false, nil
	case len(b) != 1:
		return false, deserErr("Bool", topic, sizeError(1, len(b)))
	case b[0] == 1:
		return true, nil
	case b[0] == 0:
		return false, nil
	}
	return false, deserErr("Bool", topic, fmt.Errorf("byte 0x%02x is neither 0x00 nor 0x01", b[0]))
}
func (boolSerde) String() string { return "Bool" }

// JSON encodes T with encoding/json. nil deserializes to the zero T (a nil
// pointer when T is a pointer type); a nil pointer, map or slice T
// serializes to nil (null), not to the text "null".
func JSON[T any]() Serde[T] { return jsonSerde[T]{name: "JSON[" + reflect.TypeFor[T]().String() + "]"} }

type jsonSerde[T any] struct{ name string }

func (s jsonSerde[T]) Serialize(topic string, v T) ([]byte, error) {
	if isNil(any(v)) {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, serErr(s.name, topic, err)
	}
	return b, nil
}

func (s jsonSerde[T]) Deserialize(topic string, b []byte) (T, error) {
	var v T
	if b == nil {
		return v, nil
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, deserErr(s.name, topic, err)
	}
	return v, nil
}

func (s jsonSerde[T]) String() string { return s.name }

func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// Nullable maps Kafka's null onto a nil pointer: a nil *T serializes to nil
// bytes and nil bytes deserialize to a nil *T; everything else goes through
// inner.
func Nullable[T any](inner Serde[T]) Serde[*T] { return nullableSerde[T]{inner: inner} }

type nullableSerde[T any] struct{ inner Serde[T] }

func (s nullableSerde[T]) Serialize(topic string, v *T) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := s.inner.Serialize(topic, *v)
	if err == nil && b == nil {
		b = []byte{} // a present value must not turn into null
	}
	return b, err
}

func (s nullableSerde[T]) AppendSerialize(dst []byte, topic string, v *T) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := AppenderOf(s.inner).AppendSerialize(dst, topic, *v)
	if err == nil && b == nil {
		b = present(dst) // a present value must not turn into null
	}
	return b, err
}

func (s nullableSerde[T]) Deserialize(topic string, b []byte) (*T, error) {
	if b == nil {
		return nil, nil
	}
	v, err := s.inner.Deserialize(topic, b)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (s nullableSerde[T]) String() string { return fmt.Sprintf("Nullable(%v)", s.inner) }
