package streams

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/runnel-dev/runnel/topology/serde"
)

// Kafka's null in a typed Go DSL: a key or value is null when its type can
// be nil (pointer, slice, map, interface, channel, function) and it is
// nil. Other types (string, int64, structs) are never null, so a stream of
// string values cannot carry a tombstone; use *T (serde.Nullable) or
// []byte values where nulls matter. Table sources are the exception: a
// record with a null value (nil bytes) deletes its key whatever V is.

// nullCheck returns a function reporting whether a T is nil, or nil when
// T can never be nil.
func nullCheck[T any]() func(T) bool {
	switch reflect.TypeFor[T]().Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return isNilWord[T]
	}
	return nil
}

// isNilWord reports whether v's first machine word is nil. For every kind
// nullCheck accepts that word is the pointer (or, for an interface, the
// type word) that is nil exactly when v is nil; a non-nil empty slice has
// a non-nil data pointer. Reading it this way avoids boxing v.
func isNilWord[T any](v T) bool {
	return *(*unsafe.Pointer)(unsafe.Pointer(&v)) == nil
}

// tableChange is what KTable processors forward to each other (Kafka's
// Change): the new value and, when the downstream asked for it, the old
// one. A missing value is null: a delete (new) or an insert (old).
type tableChange[V any] struct {
	newV, oldV     V
	hasNew, hasOld bool
	isLatest       bool
}

// tableValue is a table source's value: absent for a tombstone.
type tableValue[V any] struct {
	v  V
	ok bool
}

// tableValueSerde reads a table topic: nil bytes are a tombstone, whatever
// the value serde would make of them.
type tableValueSerde[V any] struct{ inner serde.Serde[V] }

func (s tableValueSerde[V]) Serialize(topic string, v tableValue[V]) ([]byte, error) {
	if !v.ok {
		return nil, nil
	}
	return s.inner.Serialize(topic, v.v)
}

func (s tableValueSerde[V]) Deserialize(topic string, b []byte) (tableValue[V], error) {
	if b == nil {
		return tableValue[V]{}, nil
	}
	v, err := s.inner.Deserialize(topic, b)
	return tableValue[V]{v: v, ok: err == nil}, err
}

// changeSerde writes a change to a repartition topic in Kafka's
// ChangedSerializer format, so Java and Go instances can share the topic:
//
//	{old}{0x00} | {new}{0x01} | {varint len(new)}{new}{old}{0x02}
//
// and reads the variants with an isLatest byte (flags 3-5) as well.
type changeSerde[V any] struct{ inner serde.Serde[V] }

func (s changeSerde[V]) Serialize(topic string, c tableChange[V]) ([]byte, error) {
	var newB, oldB []byte
	var err error
	if c.hasNew {
		if newB, err = s.inner.Serialize(topic, c.newV); err != nil {
			return nil, err
		}
	}
	if c.hasOld {
		if oldB, err = s.inner.Serialize(topic, c.oldV); err != nil {
			return nil, err
		}
	}
	switch {
	case c.hasNew && c.hasOld:
		out := binary.AppendVarint(make([]byte, 0, binary.MaxVarintLen32+len(newB)+len(oldB)+1), int64(len(newB)))
		out = append(out, newB...)
		out = append(out, oldB...)
		return append(out, 2), nil
	case c.hasNew:
		return append(append(make([]byte, 0, len(newB)+1), newB...), 1), nil
	case c.hasOld:
		return append(append(make([]byte, 0, len(oldB)+1), oldB...), 0), nil
	}
	return nil, errors.New("a change with neither a new nor an old value cannot be serialized")
}

func (s changeSerde[V]) Deserialize(topic string, b []byte) (tableChange[V], error) {
	var c tableChange[V]
	if len(b) == 0 {
		return c, fmt.Errorf("change record is empty")
	}
	flag := b[len(b)-1]
	body := b[:len(b)-1]
	c.isLatest = true
	if flag >= 3 && flag <= 5 {
		if len(body) == 0 {
			return c, fmt.Errorf("change record with flag %d has no isLatest byte", flag)
		}
		switch body[len(body)-1] {
		case 0:
			c.isLatest = false
		case 1:
		default:
			return c, fmt.Errorf("change record has isLatest byte %d, expected 0 or 1", body[len(body)-1])
		}
		body = body[:len(body)-1]
		flag -= 3
	}
	var newB, oldB []byte
	switch flag {
	case 0:
		oldB, c.hasOld = body, true
	case 1:
		newB, c.hasNew = body, true
	case 2:
		n, k := binary.Varint(body)
		if k <= 0 || n < 0 || int64(len(body)-k) < n {
			return c, fmt.Errorf("change record has a bad new-value length")
		}
		newB, oldB = body[k:k+int(n)], body[k+int(n):]
		c.hasNew, c.hasOld = true, true
	default:
		return c, fmt.Errorf("change record has unknown encoding flag %d", flag)
	}
	var err error
	if c.hasNew {
		if c.newV, err = s.inner.Deserialize(topic, newB); err != nil {
			return c, err
		}
	}
	if c.hasOld {
		if c.oldV, err = s.inner.Deserialize(topic, oldB); err != nil {
			return c, err
		}
	}
	return c, nil
}
