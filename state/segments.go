package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
)

// Window is a time window. Time windows are [Start, End); session windows
// are [Start, End], both ends inclusive, as in Kafka.
type Window struct {
	Start, End int64
}

// Windowed is a key with the window it belongs to (Kafka's Windowed).
type Windowed[K any] struct {
	Key    K
	Window Window
}

// segments is the time bucketing of a segmented store (window and session
// stores), as Kafka's segmented stores: records live in the segment of
// their segment timestamp (window start; session end), and a whole
// segment is dropped, with one range deletion, once stream time has moved
// past it by more than the retention period. Kafka keeps one RocksDB per
// segment; here a segment is a key prefix of one store.
type segments struct {
	retention int64
	interval  int64
	// observed is the largest segment timestamp written, -1 before any
	// (the store's own stream time). It is atomic because interactive
	// queries read it while the task writes.
	observed atomic.Int64
	// cleanedBelow: every segment below it is deleted.
	cleanedBelow int64
}

// segmentInterval is Kafka's default for window and session stores:
// half the retention, at least a minute.
func segmentInterval(retention int64) int64 { return max(retention/2, 60_000) }

func newSegments(retention int64) *segments {
	s := &segments{retention: retention, interval: segmentInterval(retention)}
	s.observed.Store(-1)
	return s
}

func (s *segments) id(ts int64) int64 { return ts / s.interval }

// minLive is the oldest segment still live at the current stream time.
func (s *segments) minLive() int64 {
	return max(s.id(s.observed.Load()-s.retention), 0)
}

// actualFrom is the earliest timestamp a read may return: older records
// are expired even while their segment still exists.
func (s *segments) actualFrom(from int64) int64 {
	return max(from, s.observed.Load()-s.retention+1, 0)
}

// advance moves stream time to ts and reports whether a record with that
// segment timestamp is still live.
func (s *segments) advance(ts int64) bool {
	if ts > s.observed.Load() {
		s.observed.Store(ts)
	}
	return s.id(ts) >= s.minLive()
}

// segmentKey is the 8-byte prefix of a segment.
func segmentKey(id int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 32), uint64(id))
}

// observedKey holds a segmented store's stream time inside its own
// key space, after every segment (segment ids are non-negative, so their
// first byte is below 0x80).
var observedKey = []byte{0xff, 's', 't', 'r', 'e', 'a', 'm', '-', 't', 'i', 'm', 'e'}

// rangeDeleter is implemented by byte stores that delete a key range in
// one operation (Pebble: a range tombstone).
type rangeDeleter interface {
	deleteRange(from, to []byte) error
}

// deleteKeyRange removes keys in [from, to) from s.
func deleteKeyRange(s KeyValueBytesStore, from, to []byte) error {
	if rd, ok := s.(rangeDeleter); ok {
		return rd.deleteRange(from, to)
	}
	it, err := s.Range(from, to)
	if err != nil {
		return err
	}
	var keys [][]byte
	for it.Next() {
		if bytes.Compare(it.Key(), to) < 0 {
			keys = append(keys, bytes.Clone(it.Key()))
		}
	}
	err = errors.Join(it.Err(), it.Close())
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := s.Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// expire drops every segment below the live ones.
func (s *segments) expire(store KeyValueBytesStore) error {
	live := s.minLive()
	if live <= s.cleanedBelow {
		return nil
	}
	if err := deleteKeyRange(store, segmentKey(s.cleanedBelow), segmentKey(live)); err != nil {
		return err
	}
	s.cleanedBelow = live
	return nil
}

// load reads the persisted stream time (after a restart).
func (s *segments) load(store KeyValueBytesStore) error {
	v, err := store.Get(observedKey)
	if err != nil {
		return err
	}
	if len(v) == 8 {
		s.observed.Store(int64(binary.BigEndian.Uint64(v)))
	}
	return nil
}

// save writes the stream time into the store's batch at flush time.
func (s *segments) save(store KeyValueBytesStore) error {
	ts := s.observed.Load()
	if ts < 0 {
		return nil
	}
	return store.Put(observedKey, binary.BigEndian.AppendUint64(nil, uint64(ts)))
}

// Keys inside a segment escape the user key so that it is followed by a
// terminator no key byte can fake: 0x00 becomes 0x00 0xff and the key
// ends with 0x00 0x01. Escaped keys sort exactly as the keys, shorter
// prefixes first, so (key, time) ranges are exact whatever the key bytes.
func appendEscaped(dst, key []byte) []byte {
	for _, b := range key {
		if b == 0 {
			dst = append(dst, 0, 0xff)
		} else {
			dst = append(dst, b)
		}
	}
	return append(dst, 0, 1)
}

// splitEscaped decodes an escaped key and returns it with what follows.
func splitEscaped(b []byte) (key, rest []byte, err error) {
	zero := bytes.IndexByte(b, 0)
	if zero >= 0 && zero+1 < len(b) && b[zero+1] == 1 {
		return b[:zero], b[zero+2:], nil // no escapes: no copy
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != 0 {
			out = append(out, b[i])
			continue
		}
		if i+1 >= len(b) {
			break
		}
		switch b[i+1] {
		case 0xff:
			out = append(out, 0)
			i++
		case 1:
			return out, b[i+2:], nil
		default:
			return nil, nil, fmt.Errorf("corrupt segmented store key %x", b)
		}
	}
	return nil, nil, fmt.Errorf("corrupt segmented store key %x: no terminator", b)
}

func appendInt64(dst []byte, v int64) []byte { return binary.BigEndian.AppendUint64(dst, uint64(v)) }

func readInt64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }
