package state

import (
	"bytes"
	"fmt"
	"math"
	"time"
)

// SessionBytesStore is the byte-level session store that typed session
// stores wrap (Kafka's SessionStore<Bytes, byte[]>). A session is a key
// with an inclusive window [Start, End]. Iterators return sessions ordered
// by segment (end time buckets), then key bytes, then end, then start.
type SessionBytesStore interface {
	StateStore
	// Put stores the aggregate of a session; a nil value removes it.
	// Sessions that ended before stream time minus the retention are
	// dropped.
	Put(session Windowed[[]byte], value []byte) error
	Remove(session Windowed[[]byte]) error
	// FetchSession returns the aggregate of exactly this session, or nil.
	FetchSession(key []byte, start, end int64) ([]byte, error)
	// FindSessions iterates key's sessions that end at or after
	// earliestSessionEndTime and start at or before latestSessionStartTime:
	// the sessions a record could merge with.
	FindSessions(key []byte, earliestSessionEndTime, latestSessionStartTime int64) (KeyValueIterator[Windowed[[]byte], []byte], error)
	BackwardFindSessions(key []byte, earliestSessionEndTime, latestSessionStartTime int64) (KeyValueIterator[Windowed[[]byte], []byte], error)
	// FindSessionsKeyRange is FindSessions for keys in [keyFrom, keyTo]
	// (nil bounds are open).
	FindSessionsKeyRange(keyFrom, keyTo []byte, earliestSessionEndTime, latestSessionStartTime int64) (KeyValueIterator[Windowed[[]byte], []byte], error)
	BackwardFindSessionsKeyRange(keyFrom, keyTo []byte, earliestSessionEndTime, latestSessionStartTime int64) (KeyValueIterator[Windowed[[]byte], []byte], error)
	// Fetch iterates every session of key.
	Fetch(key []byte) (KeyValueIterator[Windowed[[]byte], []byte], error)
	RetentionPeriod() int64
}

// SessionBytesStoreSupplier makes byte-level session stores, one per task.
type SessionBytesStoreSupplier interface {
	Name() string
	Get() (SessionBytesStore, error)
	RetentionPeriod() int64
}

// PersistentSessionStore returns a supplier of Pebble-backed session
// stores keeping sessions for retention after they end (Kafka's
// Stores.persistentSessionStore).
func PersistentSessionStore(name string, retention time.Duration) SessionBytesStoreSupplier {
	return sessionSupplier{name: name, retention: retention.Milliseconds(), inner: func() KeyValueBytesStore { return newPebbleKV(name) }}
}

// InMemorySessionStore is PersistentSessionStore kept in memory.
func InMemorySessionStore(name string, retention time.Duration) SessionBytesStoreSupplier {
	return sessionSupplier{name: name, retention: retention.Milliseconds(), inner: func() KeyValueBytesStore { return NewInMemoryKeyValueBytesStore(name) }}
}

type sessionSupplier struct {
	name      string
	retention int64
	inner     func() KeyValueBytesStore
}

func (s sessionSupplier) Name() string           { return s.name }
func (s sessionSupplier) RetentionPeriod() int64 { return s.retention }

func (s sessionSupplier) Get() (SessionBytesStore, error) {
	switch {
	case s.name == "":
		return nil, fmt.Errorf("session store: name is empty")
	case s.retention < 0:
		return nil, fmt.Errorf("session store %q: retention must not be negative, got %dms", s.name, s.retention)
	}
	engine := s.inner()
	return &segmentedSessionStore{name: s.name, engine: engine, inner: &segmentLogger{KeyValueBytesStore: engine, changelogKey: sessionChangelogKey},
		seg: newSegments(s.retention)}, nil
}

// segmentedSessionStore keeps sessions in a byte store under
// segment(end)(8) | escaped key | end(8) | start(8).
// Its changelog uses Kafka's session key layout, key | end(8) | start(8).
// The byte stack under it is the window store's: record cache (optional),
// changelog logger, engine.
type segmentedSessionStore struct {
	name   string
	inner  KeyValueBytesStore // top of the byte stack
	engine KeyValueBytesStore // bottom: restoration writes here
	seg    *segments
}

// enableCaching puts a record cache in front of the changelog logger.
func (s *segmentedSessionStore) enableCaching() { s.inner = newCachingKV(s.inner) }

func (s *segmentedSessionStore) Name() string           { return s.name }
func (s *segmentedSessionStore) Persistent() bool       { return s.inner.Persistent() }
func (s *segmentedSessionStore) IsOpen() bool           { return s.inner.IsOpen() }
func (s *segmentedSessionStore) RetentionPeriod() int64 { return s.seg.retention }
func (s *segmentedSessionStore) innerStore() StateStore { return s.inner }

func (s *segmentedSessionStore) Init(ctx StateStoreContext, root StateStore) error {
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

func (s *segmentedSessionStore) storeKey(key []byte, start, end int64) []byte {
	b := appendEscaped(segmentKey(s.seg.id(end)), key)
	return appendInt64(appendInt64(b, end), start)
}

func (s *segmentedSessionStore) restore(batch []ChangelogRecord) error {
	for _, r := range batch {
		if len(r.Key) < 16 {
			return fmt.Errorf("session store %q: changelog key at offset %d has %d bytes, expected key + 16", s.name, r.Offset, len(r.Key))
		}
		s.seg.advance(readInt64(r.Key[len(r.Key)-16:]))
	}
	for _, r := range batch {
		n := len(r.Key) - 16
		end, start := readInt64(r.Key[n:]), readInt64(r.Key[n+8:])
		if end < 0 || s.seg.id(end) < s.seg.minLive() {
			continue
		}
		if err := s.engine.Put(s.storeKey(r.Key[:n], start, end), r.Value); err != nil {
			return err
		}
	}
	return s.seg.expire(s.engine)
}

func (s *segmentedSessionStore) Put(session Windowed[[]byte], value []byte) error {
	if !s.inner.IsOpen() {
		return closedError(s.name)
	}
	w := session.Window
	if w.Start < 0 || w.End < w.Start {
		return fmt.Errorf("session store %q: invalid session [%d, %d]", s.name, w.Start, w.End)
	}
	if !s.seg.advance(w.End) {
		return nil // expired: dropped, as Kafka does
	}
	if err := s.seg.expire(s.inner); err != nil {
		return err
	}
	return s.inner.Put(s.storeKey(session.Key, w.Start, w.End), value)
}

func (s *segmentedSessionStore) Remove(session Windowed[[]byte]) error { return s.Put(session, nil) }

func (s *segmentedSessionStore) FetchSession(key []byte, start, end int64) ([]byte, error) {
	if !s.inner.IsOpen() {
		return nil, closedError(s.name)
	}
	if start < 0 || end < start || end < s.seg.actualFrom(0) {
		return nil, nil
	}
	return s.inner.Get(s.storeKey(key, start, end))
}

func (s *segmentedSessionStore) FindSessions(key []byte, earliestEnd, latestStart int64) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.find(key, key, true, earliestEnd, latestStart, false)
}

func (s *segmentedSessionStore) BackwardFindSessions(key []byte, earliestEnd, latestStart int64) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.find(key, key, true, earliestEnd, latestStart, true)
}

func (s *segmentedSessionStore) FindSessionsKeyRange(keyFrom, keyTo []byte, earliestEnd, latestStart int64) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.find(keyFrom, keyTo, false, earliestEnd, latestStart, false)
}

func (s *segmentedSessionStore) BackwardFindSessionsKeyRange(keyFrom, keyTo []byte, earliestEnd, latestStart int64) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.find(keyFrom, keyTo, false, earliestEnd, latestStart, true)
}

func (s *segmentedSessionStore) Fetch(key []byte) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	return s.find(key, key, true, 0, math.MaxInt64, false)
}

// find searches every segment from the one of earliestEnd on: a session
// ending later can still start early enough.
func (s *segmentedSessionStore) find(keyFrom, keyTo []byte, single bool, earliestEnd, latestStart int64, backward bool) (KeyValueIterator[Windowed[[]byte], []byte], error) {
	if !s.inner.IsOpen() {
		return nil, closedError(s.name)
	}
	if keyFrom != nil && keyTo != nil && bytes.Compare(keyFrom, keyTo) > 0 {
		return emptyWindowIterator{}, nil
	}
	from := s.seg.actualFrom(earliestEnd)
	last := s.seg.observed.Load()
	if last < 0 || from > last || latestStart < 0 {
		return emptyWindowIterator{}, nil
	}
	return &segmentIterator{
		inner: s.inner, backward: backward, first: s.seg.id(from), last: s.seg.id(last),
		bounds: func(seg int64) (lo, hi []byte) {
			p := segmentKey(seg)
			switch {
			case single:
				lo = appendInt64(appendEscaped(bytes.Clone(p), keyFrom), from)
				hi = append(appendEscaped(bytes.Clone(p), keyFrom), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
				return lo, hi
			case keyFrom != nil:
				lo = appendEscaped(bytes.Clone(p), keyFrom)
			default:
				lo = p
			}
			if keyTo != nil {
				hi = append(appendEscaped(bytes.Clone(p), keyTo), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
			} else {
				hi = segmentKey(seg + 1)
			}
			return lo, hi
		},
		decode: func(k []byte) (Windowed[[]byte], bool, error) {
			key, rest, err := splitEscaped(k[8:])
			if err != nil || len(rest) != 16 {
				return Windowed[[]byte]{}, false, fmt.Errorf("session store %q: corrupt key %x", s.name, k)
			}
			end, start := readInt64(rest), readInt64(rest[8:])
			if end < from || start > latestStart {
				return Windowed[[]byte]{}, false, nil
			}
			return Windowed[[]byte]{Key: key, Window: Window{Start: start, End: end}}, true, nil
		},
	}, nil
}

func (s *segmentedSessionStore) Flush() error {
	if !s.inner.IsOpen() {
		return nil
	}
	if err := s.seg.save(s.inner); err != nil {
		return err
	}
	return s.inner.Flush()
}

func (s *segmentedSessionStore) Close() error { return s.inner.Close() }
