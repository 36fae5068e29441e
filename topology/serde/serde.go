package serde

import (
	"fmt"
)

// Serde serializes and deserializes values of type T for a topic.
// Implementations must be safe for concurrent use: one serde value is shared
// by every task of an application.
type Serde[T any] interface {
	// Serialize encodes v. A nil result means "null" (a tombstone as a value).
	Serialize(topic string, v T) ([]byte, error)
	// Deserialize decodes b; b is nil for a null key or value. The serde
	// must not keep b after returning: the caller may reuse it.
	Deserialize(topic string, b []byte) (T, error)
}

// Error is a serialization or deserialization failure.
type Error struct {
	Op    string // "serialize" or "deserialize"
	Serde string // e.g. "Int64"
	Topic string
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s for topic %q: %v", e.Serde, e.Op, e.Topic, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

func serErr(serde, topic string, err error) error {
	return &Error{Op: "serialize", Serde: serde, Topic: topic, Err: err}
}

func deserErr(serde, topic string, err error) error {
	return &Error{Op: "deserialize", Serde: serde, Topic: topic, Err: err}
}

// Funcs builds a Serde from two functions; name is used in error messages.
func Funcs[T any](name string, ser func(topic string, v T) ([]byte, error), deser func(topic string, b []byte) (T, error)) Serde[T] {
	return funcSerde[T]{name: name, ser: ser, deser: deser}
}

type funcSerde[T any] struct {
	name  string
	ser   func(string, T) ([]byte, error)
	deser func(string, []byte) (T, error)
}

func (f funcSerde[T]) Serialize(topic string, v T) ([]byte, error) {
	b, err := f.ser(topic, v)
	if err != nil {
		return nil, serErr(f.name, topic, err)
	}
	return b, nil
}

func (f funcSerde[T]) Deserialize(topic string, b []byte) (T, error) {
	v, err := f.deser(topic, b)
	if err != nil {
		var zero T
		return zero, deserErr(f.name, topic, err)
	}
	return v, nil
}

func (f funcSerde[T]) String() string { return f.name }

// Appender is a serde that can write an encoding onto the end of a
// caller's buffer, as strconv.AppendInt does, so a caller that reuses its
// buffer serializes without allocating. The built-in serdes have it.
type Appender[T any] interface {
	// AppendSerialize appends what Serialize(topic, v) returns to dst and
	// returns the extended buffer, or nil for null. A present value never
	// gives nil, even when its encoding is empty.
	AppendSerialize(dst []byte, topic string, v T) ([]byte, error)
}

// AppenderOf returns s itself when it is an Appender, else an Appender
// that copies what s.Serialize returns onto the end of dst. Resolve it
// once, not per record.
func AppenderOf[T any](s Serde[T]) Appender[T] {
	if a, ok := s.(Appender[T]); ok {
		return a
	}
	return copyAppender[T]{s}
}

type copyAppender[T any] struct{ s Serde[T] }

func (c copyAppender[T]) AppendSerialize(dst []byte, topic string, v T) ([]byte, error) {
	b, err := c.s.Serialize(topic, v)
	if err != nil || b == nil {
		return nil, err
	}
	return append(present(dst), b...), nil
}

// present is dst, or an empty non-nil slice for nil: appending an empty
// encoding to it must still say "present", not null.
func present(dst []byte) []byte {
	if dst == nil {
		return []byte{}
	}
	return dst
}
