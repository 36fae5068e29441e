package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// WindowBytesStore is the byte-level window store that typed window
// stores wrap (Kafka's WindowStore<Bytes, byte[]>). Iterators return
// windows ordered by segment, then key bytes, then window start: for a
// single key that is window-start order. Timestamps are milliseconds.
type WindowBytesStore interface {
	StateStore
	// Put stores value for key in the window starting at windowStart; a
	// nil value deletes the window (ignored when duplicates are retained).
	// Records whose window expired (older than stream time minus the
	// retention) are dropped.
	Put(key, value []byte, windowStart int64) error
	// FetchWindow returns the value of key's window starting at
	// windowStart, nil if none.
	FetchWindow(key []byte, windowStart int64) ([]byte, error)
	// Fetch iterates key's windows starting in [timeFrom, timeTo].
	Fetch(key []byte, timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error)
	BackwardFetch(key []byte, timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error)
	// FetchKeyRange iterates the windows of keys in [keyFrom, keyTo]
	// (nil bounds are open) starting in [timeFrom, timeTo].
	FetchKeyRange(keyFrom, keyTo []byte, timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error)
	BackwardFetchKeyRange(keyFrom, keyTo []byte, timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error)
	// FetchAll iterates every window starting in [timeFrom, timeTo].
	FetchAll(timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error)
	BackwardFetchAll(timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error)
	// All iterates every window that has not expired.
	All() (KeyValueIterator[Windowed[[]byte], []byte], error)
	BackwardAll() (KeyValueIterator[Windowed[[]byte], []byte], error)
	WindowSize() int64
	RetentionPeriod() int64
	RetainDuplicates() bool
}

// WindowBytesStoreSupplier makes byte-level window stores, one per task.
type WindowBytesStoreSupplier interface {
	Name() string
	Get() (WindowBytesStore, error)
	WindowSize() int64
	RetentionPeriod() int64
	RetainDuplicates() bool
}

// PersistentWindowStore returns a supplier of Pebble-backed window stores
// (Kafka's Stores.persistentWindowStore): windows of windowSize kept for
// retention (at least windowSize); retainDuplicates keeps every put under
// the same key and window (joins) instead of overwriting.
func PersistentWindowStore(name string, retention, windowSize time.Duration, retainDuplicates bool) WindowBytesStoreSupplier {
	return windowSupplier{name: name, retention: retention.Milliseconds(), size: windowSize.Milliseconds(), dups: retainDuplicates,
		inner: func() KeyValueBytesStore { return newPebbleKV(name) }}
}

// InMemoryWindowStore is PersistentWindowStore kept in memory: the same
// layout and behaviour, restored from its changelog after a restart.
func InMemoryWindowStore(name string, retention, windowSize time.Duration, retainDuplicates bool) WindowBytesStoreSupplier {
	return windowSupplier{name: name, retention: retention.Milliseconds(), size: windowSize.Milliseconds(), dups: retainDuplicates,
		inner: func() KeyValueBytesStore { return NewInMemoryKeyValueBytesStore(name) }}
}

type windowSupplier struct {
	name            string
	retention, size int64
	dups            bool
	inner           func() KeyValueBytesStore
}

func (s windowSupplier) Name() string           { return s.name }
func (s windowSupplier) WindowSize() int64      { return s.size }
func (s windowSupplier) RetentionPeriod() int64 { return s.retention }
func (s windowSupplier) RetainDuplicates() bool { return s.dups }

func (s windowSupplier) Get() (WindowBytesStore, error) {
	switch {
	case s.name == "":
		return nil, fmt.Errorf("window store: name is empty")
	case s.size <= 0:
		return nil, fmt.Errorf("window store %q: window size must be positive, got %dms", s.name, s.size)
	case s.retention < s.size:
		return nil, fmt.Errorf("window store %q: the retention period (%dms) must be no smaller than the window size (%dms)", s.name, s.retention, s.size)
	}
	engine := s.inner()
	return &segmentedWindowStore{name: s.name, engine: engine, inner: &segmentLogger{KeyValueBytesStore: engine, changelogKey: windowChangelogKey},
		seg: newSegments(s.retention), size: s.size, dups: s.dups}, nil
}

// segmentedWindowStore keeps windows in a byte store under
// segment(8) | escaped key | window start(8) | sequence(4).
// Its changelog uses Kafka's window key layout, key | start(8) | seq(4).
// The byte stack under it: record cache (optional), then the changelog
// logger, then the engine (Pebble or memory).
type segmentedWindowStore struct {
	name   string
	inner  KeyValueBytesStore // top of the byte stack
	engine KeyValueBytesStore // bottom: restoration writes here
	seg    *segments
	size   int64
	dups   bool
	seq    uint32
}

// enableCaching puts a record cache in front of the changelog logger;
// stores that keep duplicates are never cached, as in Kafka.
func (s *segmentedWindowStore) enableCaching() {
	if !s.dups {
		s.inner = newCachingKV(s.inner)
	}
}

func (s *segmentedWindowStore) Name() string           { return s.name }
func (s *segmentedWindowStore) Persistent() bool       { return s.inner.Persistent() }
func (s *segmentedWindowStore) IsOpen() bool           { return s.inner.IsOpen() }
func (s *segmentedWindowStore) WindowSize() int64      { return s.size }
func (s *segmentedWindowStore) RetentionPeriod() int64 { return s.seg.retention }
func (s *segmentedWindowStore) RetainDuplicates() bool { return s.dups }
func (s *segmentedWindowStore) innerStore() StateStore { return s.inner }

func (s *segmentedWindowStore) Init(ctx StateStoreContext, root StateStore) error {
	var inner StateStoreContext
	if ctx != nil {
		inner = &contextWrapper{StateStoreContext: ctx, register: func(_ StateStore, _ RestoreCallback) error {
			return ctx.Register(root, s.restore)
		}}
	}
	if err := s.inner.Init(inner, root); err != nil {
		return err
	}
	return s.seg.load(s.inner)
}

// restore applies changelog records: stream time first moves to the
// batch's latest window, then records of expired segments are skipped.
func (s *segmentedWindowStore) restore(batch []ChangelogRecord) error {
	for _, r := range batch {
		if len(r.Key) < 12 {
			return fmt.Errorf("window store %q: changelog key at offset %d has %d bytes, expected key + 12", s.name, r.Offset, len(r.Key))
		}
		s.seg.advance(readInt64(r.Key[len(r.Key)-12:]))
	}
	for _, r := range batch {
		n := len(r.Key) - 12
		start := readInt64(r.Key[n:])
		if start < 0 || s.seg.id(start) < s.seg.minLive() {
			continue
		}
		k := s.storeKey(r.Key[:n], start, binary.BigEndian.Uint32(r.Key[n+8:]))
		if err := s.engine.Put(k, r.Value); err != nil {
			return err
		}
	}
	return s.seg.expire(s.engine)
}

func (s *segmentedWindowStore) storeKey(key []byte, start int64, seq uint32) []byte {
	b := appendEscaped(segmentKey(s.seg.id(start)), key)
	b = appendInt64(b, start)
	return binary.BigEndian.AppendUint32(b, seq)
}

func (s *segmentedWindowStore) Put(key, value []byte, windowStart int64) error {
	if !s.inner.IsOpen() {
		return closedError(s.name)
	}
	if windowStart < 0 {
		return fmt.Errorf("window store %q: window start %d is negative", s.name, windowStart)
	}
	if s.dups {
		if value == nil {
			return nil // Kafka ignores deletes when duplicates are kept
		}
		s.seq++
	}
	if !s.seg.advance(windowStart) {
		return nil // expired: Kafka drops it (and counts a dropped record)
	}
	if err := s.seg.expire(s.inner); err != nil {
		return err
	}
	return s.inner.Put(s.storeKey(key, windowStart, s.seq), value)
}

func (s *segmentedWindowStore) FetchWindow(key []byte, windowStart int64) ([]byte, error) {
	if !s.inner.IsOpen() {
		return nil, closedError(s.name)
	}
	if windowStart < s.seg.actualFrom(0) || windowStart < 0 {
		return nil, nil
	}
	return s.inner.Get(s.storeKey(key, windowStart, 0))
}

func (s *segmentedWindowStore) Fetch(key []byte, timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.fetch(key, key, true, timeFrom, timeTo, false)
}

func (s *segmentedWindowStore) BackwardFetch(key []byte, timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.fetch(key, key, true, timeFrom, timeTo, true)
}

func (s *segmentedWindowStore) FetchKeyRange(keyFrom, keyTo []byte, timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.fetch(keyFrom, keyTo, false, timeFrom, timeTo, false)
}

func (s *segmentedWindowStore) BackwardFetchKeyRange(keyFrom, keyTo []byte, timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.fetch(keyFrom, keyTo, false, timeFrom, timeTo, true)
}

func (s *segmentedWindowStore) FetchAll(timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.fetch(nil, nil, false, timeFrom, timeTo, false)
}

func (s *segmentedWindowStore) BackwardFetchAll(timeFrom, timeTo int64) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.fetch(nil, nil, false, timeFrom, timeTo, true)
}

func (s *segmentedWindowStore) All() (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.fetch(nil, nil, false, 0, math.MaxInt64, false)
}

func (s *segmentedWindowStore) BackwardAll() (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.fetch(nil, nil, false, 0, math.MaxInt64, true)
}

// fetch iterates the segments that can hold windows starting in
// [timeFrom, timeTo], each over the key range, filtering by time.
func (s *segmentedWindowStore) fetch(keyFrom, keyTo []byte, single bool, timeFrom, timeTo int64, backward bool) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	if !s.inner.IsOpen() {
		return nil, closedError(s.name)
	}
	if keyFrom != nil && keyTo != nil && bytes.Compare(keyFrom, keyTo) > 0 {
		return emptyWindowIterator{}, nil
	}
	from := s.seg.actualFrom(timeFrom)
	last := s.seg.observed.Load()
	to := min(timeTo, last)
	if to < from || last < 0 {
		return emptyWindowIterator{}, nil
	}
	it := &segmentIterator{
		inner: s.inner, backward: backward, first: s.seg.id(from), last: s.seg.id(to),
		bounds: func(seg int64) (lo, hi []byte) {
			p := segmentKey(seg)
			switch {
			case single:
				lo = appendInt64(appendEscaped(bytes.Clone(p), keyFrom), from)
				lo = append(lo, 0, 0, 0, 0)
				hi = appendInt64(appendEscaped(bytes.Clone(p), keyFrom), to)
				hi = append(hi, 0xff, 0xff, 0xff, 0xff)
				return lo, hi
			case keyFrom != nil:
				lo = appendEscaped(bytes.Clone(p), keyFrom)
			default:
				lo = p
			}
			if keyTo != nil {
				hi = append(appendEscaped(bytes.Clone(p), keyTo), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
			} else {
				hi = segmentKey(seg + 1) // no key is exactly 8 bytes: inclusive is fine
			}
			return lo, hi
		},
		decode: func(k []byte) (Windowed[[]byte], bool, error) {
			key, rest, err := splitEscaped(k[8:])
			if err != nil || len(rest) != 12 {
				return Windowed[[]byte]{}, false, fmt.Errorf("window store %q: corrupt key %x", s.name, k)
			}
			start := readInt64(rest)
			if start < from || start > to {
				return Windowed[[]byte]{}, false, nil
			}
			return Windowed[[]byte]{Key: key, Window: Window{Start: start, End: windowEnd(start, s.size)}}, true, nil
		},
	}
	return it, nil
}

// windowEnd is start+size, saturating (Kafka's TimeWindow end).
func windowEnd(start, size int64) int64 {
	if start > math.MaxInt64-size {
		return math.MaxInt64
	}
	return start + size
}

func (s *segmentedWindowStore) Flush() error {
	if !s.inner.IsOpen() {
		return nil
	}
	if err := s.seg.save(s.inner); err != nil {
		return err
	}
	return s.inner.Flush()
}

func (s *segmentedWindowStore) Close() error { return s.inner.Close() }

// segmentIterator walks segments first..last (or back) and, in each, a
// key range of the inner store, keeping the entries decode accepts.
type segmentIterator struct {
	inner       KeyValueBytesStore
	backward    bool
	first, last int64
	bounds      func(seg int64) (lo, hi []byte)
	decode      func(k []byte) (Windowed[[]byte], bool, error)

	cur     KeyValueIterator[[]byte, []byte]
	next    int64
	started bool
	key     Windowed[[]byte]
	value   []byte
	err     error
	done    bool
}

func (it *segmentIterator) Next() bool {
	if it.done {
		return false
	}
	if !it.started {
		it.started = true
		it.next = it.first
		if it.backward {
			it.next = it.last
		}
	}
	for {
		if it.cur == nil {
			if (!it.backward && it.next > it.last) || (it.backward && it.next < it.first) {
				it.done = true
				return false
			}
			lo, hi := it.bounds(it.next)
			var err error
			if it.backward {
				it.cur, err = it.inner.ReverseRange(lo, hi)
				it.next--
			} else {
				it.cur, err = it.inner.Range(lo, hi)
				it.next++
			}
			if err != nil {
				it.err, it.done = err, true
				return false
			}
		}
		if !it.cur.Next() {
			err := it.cur.Err()
			it.cur.Close()
			it.cur = nil
			if err != nil {
				it.err, it.done = err, true
				return false
			}
			continue
		}
		k, ok, err := it.decode(it.cur.Key())
		if err != nil {
			it.err, it.done = err, true
			it.cur.Close()
			it.cur = nil
			return false
		}
		if ok {
			it.key, it.value = k, it.cur.Value()
			return true
		}
	}
}

func (it *segmentIterator) Key() Windowed[[]byte] { return it.key }
func (it *segmentIterator) Value() []byte         { return it.value }
func (it *segmentIterator) Err() error            { return it.err }
func (it *segmentIterator) Close() error {
	it.done = true
	if it.cur != nil {
		err := it.cur.Close()
		it.cur = nil
		return err
	}
	return nil
}

type emptyWindowIterator struct{}

func (emptyWindowIterator) Next() bool            { return false }
func (emptyWindowIterator) Key() Windowed[[]byte] { return Windowed[[]byte]{} }
func (emptyWindowIterator) Value() []byte         { return nil }
func (emptyWindowIterator) Err() error            { return nil }
func (emptyWindowIterator) Close() error          { return nil }
