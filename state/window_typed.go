package state

import (
	"fmt"
	"maps"
	"strconv"

	"github.com/runnel-dev/runnel/topology/serde"
)

// WindowStore is the typed window store processors use (Kafka's
// WindowStore). Times are epoch milliseconds of window starts.
type WindowStore[K, V any] interface {
	StateStore
	// Put stores value for key in the window starting at windowStart.
	Put(key K, value V, windowStart int64) error
	// Delete removes key's window starting at windowStart.
	Delete(key K, windowStart int64) error
	// FetchWindow returns the value of key's window starting at windowStart.
	FetchWindow(key K, windowStart int64) (V, bool, error)
	// Fetch iterates key's windows starting in [timeFrom, timeTo], in
	// start order; the iterator's keys are the window starts.
	Fetch(key K, timeFrom, timeTo int64) (KeyValueIterator[int64, V], error)
	BackwardFetch(key K, timeFrom, timeTo int64) (KeyValueIterator[int64, V], error)
	// FetchKeyRange iterates windows of keys in [keyFrom, keyTo] (byte order).
	FetchKeyRange(keyFrom, keyTo K, timeFrom, timeTo int64) (KeyValueIterator[Windowed[K], V], error)
	BackwardFetchKeyRange(keyFrom, keyTo K, timeFrom, timeTo int64) (KeyValueIterator[Windowed[K], V], error)
	FetchAll(timeFrom, timeTo int64) (KeyValueIterator[Windowed[K], V], error)
	BackwardFetchAll(timeFrom, timeTo int64) (KeyValueIterator[Windowed[K], V], error)
	All() (KeyValueIterator[Windowed[K], V], error)
	BackwardAll() (KeyValueIterator[Windowed[K], V], error)
	Bytes() WindowBytesStore
}

// SessionStore is the typed session store processors use (Kafka's
// SessionStore): aggregates per key and session window [Start, End].
type SessionStore[K, V any] interface {
	StateStore
	Put(session Windowed[K], aggregate V) error
	Remove(session Windowed[K]) error
	FetchSession(key K, start, end int64) (V, bool, error)
	// FindSessions iterates key's sessions ending at or after
	// earliestSessionEndTime and starting at or before
	// latestSessionStartTime.
	FindSessions(key K, earliestSessionEndTime, latestSessionStartTime int64) (KeyValueIterator[Windowed[K], V], error)
	BackwardFindSessions(key K, earliestSessionEndTime, latestSessionStartTime int64) (KeyValueIterator[Windowed[K], V], error)
	FindSessionsKeyRange(keyFrom, keyTo K, earliestSessionEndTime, latestSessionStartTime int64) (KeyValueIterator[Windowed[K], V], error)
	BackwardFindSessionsKeyRange(keyFrom, keyTo K, earliestSessionEndTime, latestSessionStartTime int64) (KeyValueIterator[Windowed[K], V], error)
	// Fetch iterates every session of key.
	Fetch(key K) (KeyValueIterator[Windowed[K], V], error)
	Bytes() SessionBytesStore
}

// WindowStoreAdditionalRetention is Kafka's
// windowstore.changelog.additional.retention.ms default: a windowed
// changelog keeps records this much longer than the store does.
const WindowStoreAdditionalRetention = 24 * 60 * 60 * 1000

// windowedLogConfig is the changelog config of windowed stores, as
// Kafka: compacted and deleted after retention plus a day; the user's
// settings win.
func windowedLogConfig(retention int64, user map[string]string) map[string]string {
	out := map[string]string{
		"cleanup.policy": "compact,delete",
		"retention.ms":   strconv.FormatInt(retention+WindowStoreAdditionalRetention, 10),
	}
	maps.Copy(out, user)
	return out
}

// WindowBuilder builds typed window stores (Kafka's
// Stores.windowStoreBuilder). Logging is on by default.
type WindowBuilder[K, V any] struct {
	supplier   WindowBytesStoreSupplier
	keySerde   serde.Serde[K]
	valueSerde serde.Serde[V]
	storeSwitches
}

// WindowStoreBuilder declares a typed window store, e.g.
//
//	state.WindowStoreBuilder(state.PersistentWindowStore("w", time.Hour, time.Minute, false), serde.String(), serde.Int64())
func WindowStoreBuilder[K, V any](supplier WindowBytesStoreSupplier, keySerde serde.Serde[K], valueSerde serde.Serde[V]) *WindowBuilder[K, V] {
	return &WindowBuilder[K, V]{supplier: supplier, keySerde: keySerde, valueSerde: valueSerde, storeSwitches: storeSwitches{logging: true}}
}

// WithLoggingEnabled turns the changelog on, with extra topic configs.
func (b *WindowBuilder[K, V]) WithLoggingEnabled(config map[string]string) *WindowBuilder[K, V] {
	b.enableLogging(config)
	return b
}

// WithLoggingDisabled turns the changelog off.
func (b *WindowBuilder[K, V]) WithLoggingDisabled() *WindowBuilder[K, V] {
	b.disableLogging()
	return b
}

func (b *WindowBuilder[K, V]) Name() string {
	if b.supplier == nil {
		return ""
	}
	return b.supplier.Name()
}

// LogConfig is compact,delete with the store's retention plus a day.
func (b *WindowBuilder[K, V]) LogConfig() map[string]string {
	if b.supplier == nil || !b.logging {
		return nil
	}
	return windowedLogConfig(b.supplier.RetentionPeriod(), b.logConfig)
}

// WithCachingEnabled puts a record cache in front of the store (not for
// stores that retain duplicates, as in Kafka).
func (b *WindowBuilder[K, V]) WithCachingEnabled() *WindowBuilder[K, V] {
	b.caching = true
	return b
}

// WithCachingDisabled removes the record cache.
func (b *WindowBuilder[K, V]) WithCachingDisabled() *WindowBuilder[K, V] {
	b.caching = false
	return b
}

func (b *WindowBuilder[K, V]) CachingEnabled() bool {
	return b.caching && b.supplier != nil && !b.supplier.RetainDuplicates()
}

func (b *WindowBuilder[K, V]) Build() (StateStore, error) {
	switch {
	case b.supplier == nil:
		return nil, fmt.Errorf("window store builder: supplier is nil")
	case b.keySerde == nil:
		return nil, fmt.Errorf("window store %q: key serde is nil", b.supplier.Name())
	case b.valueSerde == nil:
		return nil, fmt.Errorf("window store %q: value serde is nil", b.supplier.Name())
	}
	inner, err := b.supplier.Get()
	if err != nil {
		return nil, err
	}
	if b.CachingEnabled() {
		if c, ok := inner.(interface{ enableCaching() }); ok {
			c.enableCaching()
		}
	}
	return &typedWindow[K, V]{inner: inner, keys: b.keySerde, values: b.valueSerde}, nil
}

// SessionBuilder builds typed session stores (Kafka's
// Stores.sessionStoreBuilder). Logging is on by default.
type SessionBuilder[K, V any] struct {
	supplier   SessionBytesStoreSupplier
	keySerde   serde.Serde[K]
	valueSerde serde.Serde[V]
	storeSwitches
}

// SessionStoreBuilder declares a typed session store.
func SessionStoreBuilder[K, V any](supplier SessionBytesStoreSupplier, keySerde serde.Serde[K], valueSerde serde.Serde[V]) *SessionBuilder[K, V] {
	return &SessionBuilder[K, V]{supplier: supplier, keySerde: keySerde, valueSerde: valueSerde, storeSwitches: storeSwitches{logging: true}}
}

// WithLoggingEnabled turns the changelog on, with extra topic configs.
func (b *SessionBuilder[K, V]) WithLoggingEnabled(config map[string]string) *SessionBuilder[K, V] {
	b.enableLogging(config)
	return b
}

// WithLoggingDisabled turns the changelog off.
func (b *SessionBuilder[K, V]) WithLoggingDisabled() *SessionBuilder[K, V] {
	b.disableLogging()
	return b
}

func (b *SessionBuilder[K, V]) Name() string {
	if b.supplier == nil {
		return ""
	}
	return b.supplier.Name()
}

// LogConfig is compact,delete with the store's retention plus a day.
func (b *SessionBuilder[K, V]) LogConfig() map[string]string {
	if b.supplier == nil || !b.logging {
		return nil
	}
	return windowedLogConfig(b.supplier.RetentionPeriod(), b.logConfig)
}

// WithCachingEnabled puts a record cache in front of the store.
func (b *SessionBuilder[K, V]) WithCachingEnabled() *SessionBuilder[K, V] {
	b.caching = true
	return b
}

// WithCachingDisabled removes the record cache.
func (b *SessionBuilder[K, V]) WithCachingDisabled() *SessionBuilder[K, V] {
	b.caching = false
	return b
}

func (b *SessionBuilder[K, V]) CachingEnabled() bool { return b.caching }

func (b *SessionBuilder[K, V]) Build() (StateStore, error) {
	switch {
	case b.supplier == nil:
		return nil, fmt.Errorf("session store builder: supplier is nil")
	case b.keySerde == nil:
		return nil, fmt.Errorf("session store %q: key serde is nil", b.supplier.Name())
	case b.valueSerde == nil:
		return nil, fmt.Errorf("session store %q: value serde is nil", b.supplier.Name())
	}
	inner, err := b.supplier.Get()
	if err != nil {
		return nil, err
	}
	if b.caching {
		if c, ok := inner.(interface{ enableCaching() }); ok {
			c.enableCaching()
		}
	}
	return &typedSession[K, V]{inner: inner, keys: b.keySerde, values: b.valueSerde}, nil
}

// GetWindowStore looks up a typed window store by name.
func GetWindowStore[K, V any](g StoreGetter, name string) (WindowStore[K, V], error) {
	s, err := g.GetStateStore(name)
	if err != nil {
		return nil, err
	}
	w, ok := s.(WindowStore[K, V])
	if !ok {
		var k K
		var v V
		return nil, fmt.Errorf("store %q is a %T, not a WindowStore[%T, %T]", name, s, any(k), any(v))
	}
	return w, nil
}

// GetSessionStore looks up a typed session store by name.
func GetSessionStore[K, V any](g StoreGetter, name string) (SessionStore[K, V], error) {
	s, err := g.GetStateStore(name)
	if err != nil {
		return nil, err
	}
	w, ok := s.(SessionStore[K, V])
	if !ok {
		var k K
		var v V
		return nil, fmt.Errorf("store %q is a %T, not a SessionStore[%T, %T]", name, s, any(k), any(v))
	}
	return w, nil
}

// serdes is the serde pair of a typed windowed store.
type serdes[K, V any] struct {
	name   string
	keys   serde.Serde[K]
	values serde.Serde[V]
	topic  string
}

func (s *serdes[K, V]) key(k K) ([]byte, error) {
	b, err := s.keys.Serialize(s.topic, k)
	if err != nil {
		return nil, fmt.Errorf("store %q: key: %w", s.name, err)
	}
	return b, nil
}

func (s *serdes[K, V]) value(v V) ([]byte, error) {
	b, err := s.values.Serialize(s.topic, v)
	if err != nil {
		return nil, fmt.Errorf("store %q: value: %w", s.name, err)
	}
	return b, nil
}

func (s *serdes[K, V]) decodeKey(b []byte) (K, error) {
	k, err := s.keys.Deserialize(s.topic, b)
	if err != nil {
		return k, fmt.Errorf("store %q: key: %w", s.name, err)
	}
	return k, nil
}

func (s *serdes[K, V]) decodeValue(b []byte) (V, error) {
	v, err := s.values.Deserialize(s.topic, b)
	if err != nil {
		return v, fmt.Errorf("store %q: value: %w", s.name, err)
	}
	return v, nil
}

// windowedIter decodes a byte iterator of windowed entries.
type windowedIter[K, V any] struct {
	s   *serdes[K, V]
	it  KeyValueIterator[Windowed[[]byte], []byte]
	key Windowed[K]
	val V
	err error
}

func (w *windowedIter[K, V]) Next() bool {
	if w.err != nil || !w.it.Next() {
		return false
	}
	raw := w.it.Key()
	k, err := w.s.decodeKey(raw.Key)
	if err == nil {
		w.val, err = w.s.decodeValue(w.it.Value())
	}
	if err != nil {
		w.err = err
		return false
	}
	w.key = Windowed[K]{Key: k, Window: raw.Window}
	return true
}

func (w *windowedIter[K, V]) Key() Windowed[K] { return w.key }
func (w *windowedIter[K, V]) Value() V         { return w.val }
func (w *windowedIter[K, V]) Err() error {
	if w.err != nil {
		return w.err
	}
	return w.it.Err()
}
func (w *windowedIter[K, V]) Close() error { return w.it.Close() }

// startIter is a windowed iterator keyed by window start (one key).
type startIter[K, V any] struct{ *windowedIter[K, V] }

func (s startIter[K, V]) Key() int64 { return s.windowedIter.key.Window.Start }

func (s *serdes[K, V]) wrap(it KeyValueIterator[Windowed[[]byte], []byte], err error) (KeyValueIterator[Windowed[K], V], error) {
	if err != nil {
		return nil, err
	}
	return &windowedIter[K, V]{s: s, it: it}, nil
}

type typedWindow[K, V any] struct {
	inner  WindowBytesStore
	keys   serde.Serde[K]
	values serde.Serde[V]
	s      serdes[K, V]
}

func (w *typedWindow[K, V]) Name() string            { return w.inner.Name() }
func (w *typedWindow[K, V]) Persistent() bool        { return w.inner.Persistent() }
func (w *typedWindow[K, V]) IsOpen() bool            { return w.inner.IsOpen() }
func (w *typedWindow[K, V]) Flush() error            { return w.inner.Flush() }
func (w *typedWindow[K, V]) Close() error            { return w.inner.Close() }
func (w *typedWindow[K, V]) Bytes() WindowBytesStore { return w.inner }
func (w *typedWindow[K, V]) innerStore() StateStore  { return w.inner }
func (w *typedWindow[K, V]) Init(ctx StateStoreContext, root StateStore) error {
	w.s = serdes[K, V]{name: w.inner.Name(), keys: w.keys, values: w.values}
	if ctx != nil {
		w.s.topic = ctx.ChangelogTopic(w.inner.Name())
	}
	return w.inner.Init(ctx, root)
}

func (w *typedWindow[K, V]) Put(key K, value V, windowStart int64) error {
	kb, err := w.s.key(key)
	if err != nil {
		return err
	}
	vb, err := w.s.value(value)
	if err != nil {
		return err
	}
	return w.inner.Put(kb, vb, windowStart)
}

func (w *typedWindow[K, V]) Delete(key K, windowStart int64) error {
	kb, err := w.s.key(key)
	if err != nil {
		return err
	}
	return w.inner.Put(kb, nil, windowStart)
}

func (w *typedWindow[K, V]) FetchWindow(key K, windowStart int64) (V, bool, error) {
	var zero V
	kb, err := w.s.key(key)
	if err != nil {
		return zero, false, err
	}
	vb, err := w.inner.FetchWindow(kb, windowStart)
	if err != nil || vb == nil {
		return zero, false, err
	}
	v, err := w.s.decodeValue(vb)
	return v, err == nil, err
}

func (w *typedWindow[K, V]) fetchOne(key K, from, to int64, backward bool) (KeyValueIterator[int64, V], error) {
	kb, err := w.s.key(key)
	if err != nil {
		return nil, err
	}
	var it KeyValueIterator[Windowed[[]byte], []byte]
	if backward {
		it, err = w.inner.BackwardFetch(kb, from, to)
	} else {
		it, err = w.inner.Fetch(kb, from, to)
	}
	if err != nil {
		return nil, err
	}
	return startIter[K, V]{&windowedIter[K, V]{s: &w.s, it: it}}, nil
}

func (w *typedWindow[K, V]) Fetch(key K, timeFrom, timeTo int64) (KeyValueIterator[int64, V], error) {
	return w.fetchOne(key, timeFrom, timeTo, false)
}

func (w *typedWindow[K, V]) BackwardFetch(key K, timeFrom, timeTo int64) (KeyValueIterator[int64, V], error) {
	return w.fetchOne(key, timeFrom, timeTo, true)
}

func (w *typedWindow[K, V]) keyRange(keyFrom, keyTo K) ([]byte, []byte, error) {
	fb, err := w.s.key(keyFrom)
	if err != nil {
		return nil, nil, err
	}
	tb, err := w.s.key(keyTo)
	return fb, tb, err
}

func (w *typedWindow[K, V]) FetchKeyRange(keyFrom, keyTo K, timeFrom, timeTo int64) (KeyValueIterator[Windowed[K], V], error) {
	fb, tb, err := w.keyRange(keyFrom, keyTo)
	if err != nil {
		return nil, err
	}
	return w.s.wrap(w.inner.FetchKeyRange(fb, tb, timeFrom, timeTo))
}

func (w *typedWindow[K, V]) BackwardFetchKeyRange(keyFrom, keyTo K, timeFrom, timeTo int64) (KeyValueIterator[Windowed[K], V], error) {
	fb, tb, err := w.keyRange(keyFrom, keyTo)
	if err != nil {
		return nil, err
	}
	return w.s.wrap(w.inner.BackwardFetchKeyRange(fb, tb, timeFrom, timeTo))
}

func (w *typedWindow[K, V]) FetchAll(timeFrom, timeTo int64) (KeyValueIterator[Windowed[K], V], error) {
	return w.s.wrap(w.inner.FetchAll(timeFrom, timeTo))
}

func (w *typedWindow[K, V]) BackwardFetchAll(timeFrom, timeTo int64) (KeyValueIterator[Windowed[K], V], error) {
	return w.s.wrap(w.inner.BackwardFetchAll(timeFrom, timeTo))
}

func (w *typedWindow[K, V]) All() (KeyValueIterator[Windowed[K], V], error) {
	return w.s.wrap(w.inner.All())
}

func (w *typedWindow[K, V]) BackwardAll() (KeyValueIterator[Windowed[K], V], error) {
	return w.s.wrap(w.inner.BackwardAll())
}

type typedSession[K, V any] struct {
	inner  SessionBytesStore
	keys   serde.Serde[K]
	values serde.Serde[V]
	s      serdes[K, V]
}

func (w *typedSession[K, V]) Name() string             { return w.inner.Name() }
func (w *typedSession[K, V]) Persistent() bool         { return w.inner.Persistent() }
func (w *typedSession[K, V]) IsOpen() bool             { return w.inner.IsOpen() }
func (w *typedSession[K, V]) Flush() error             { return w.inner.Flush() }
func (w *typedSession[K, V]) Close() error             { return w.inner.Close() }
func (w *typedSession[K, V]) Bytes() SessionBytesStore { return w.inner }
func (w *typedSession[K, V]) innerStore() StateStore   { return w.inner }
func (w *typedSession[K, V]) Init(ctx StateStoreContext, root StateStore) error {
	w.s = serdes[K, V]{name: w.inner.Name(), keys: w.keys, values: w.values}
	if ctx != nil {
		w.s.topic = ctx.ChangelogTopic(w.inner.Name())
	}
	return w.inner.Init(ctx, root)
}

func (w *typedSession[K, V]) sessionKey(s Windowed[K]) (Windowed[[]byte], error) {
	kb, err := w.s.key(s.Key)
	return Windowed[[]byte]{Key: kb, Window: s.Window}, err
}

func (w *typedSession[K, V]) Put(session Windowed[K], aggregate V) error {
	sk, err := w.sessionKey(session)
	if err != nil {
		return err
	}
	vb, err := w.s.value(aggregate)
	if err != nil {
		return err
	}
	return w.inner.Put(sk, vb)
}

func (w *typedSession[K, V]) Remove(session Windowed[K]) error {
	sk, err := w.sessionKey(session)
	if err != nil {
		return err
	}
	return w.inner.Remove(sk)
}

func (w *typedSession[K, V]) FetchSession(key K, start, end int64) (V, bool, error) {
	var zero V
	kb, err := w.s.key(key)
	if err != nil {
		return zero, false, err
	}
	vb, err := w.inner.FetchSession(kb, start, end)
	if err != nil || vb == nil {
		return zero, false, err
	}
	v, err := w.s.decodeValue(vb)
	return v, err == nil, err
}

func (w *typedSession[K, V]) FindSessions(key K, earliestEnd, latestStart int64) (KeyValueIterator[Windowed[K], V], error) {
	kb, err := w.s.key(key)
	if err != nil {
		return nil, err
	}
	return w.s.wrap(w.inner.FindSessions(kb, earliestEnd, latestStart))
}

func (w *typedSession[K, V]) BackwardFindSessions(key K, earliestEnd, latestStart int64) (KeyValueIterator[Windowed[K], V], error) {
	kb, err := w.s.key(key)
	if err != nil {
		return nil, err
	}
	return w.s.wrap(w.inner.BackwardFindSessions(kb, earliestEnd, latestStart))
}

func (w *typedSession[K, V]) FindSessionsKeyRange(keyFrom, keyTo K, earliestEnd, latestStart int64) (KeyValueIterator[Windowed[K], V], error) {
	fb, err := w.s.key(keyFrom)
	if err != nil {
		return nil, err
	}
	tb, err := w.s.key(keyTo)
	if err != nil {
		return nil, err
	}
	return w.s.wrap(w.inner.FindSessionsKeyRange(fb, tb, earliestEnd, latestStart))
}

func (w *typedSession[K, V]) BackwardFindSessionsKeyRange(keyFrom, keyTo K, earliestEnd, latestStart int64) (KeyValueIterator[Windowed[K], V], error) {
	fb, err := w.s.key(keyFrom)
	if err != nil {
		return nil, err
	}
	tb, err := w.s.key(keyTo)
	if err != nil {
		return nil, err
	}
	return w.s.wrap(w.inner.BackwardFindSessionsKeyRange(fb, tb, earliestEnd, latestStart))
}

func (w *typedSession[K, V]) Fetch(key K) (KeyValueIterator[Windowed[K], V], error) {
	kb, err := w.s.key(key)
	if err != nil {
		return nil, err
	}
	return w.s.wrap(w.inner.Fetch(kb))
}

// WindowedCacheFlush is one update a caching window or session store
// releases downstream when it flushes (at commit) or evicts: the latest
// value of a window since the previous flush, and the value the store held
// before when old values were asked for. HasNew false is a deletion.
type WindowedCacheFlush[K, V any] struct {
	Key            Windowed[K]
	NewValue       V
	OldValue       V
	HasNew, HasOld bool
	TimestampMs    int64
}

// setWindowedFlushListener adapts a typed listener to the record cache of
// a segmented store; decode turns a store key into a windowed key.
func setWindowedFlushListener[K, V any](s *serdes[K, V], top StateStore, decode func(storeKey []byte) (Windowed[[]byte], error),
	fn func(WindowedCacheFlush[K, V]) error, sendOldValues bool) bool {
	c := findLayer[*cachingKV](top)
	if c == nil {
		return false
	}
	c.setFlushListener(func(key, newValue, oldValue []byte, ts int64) error {
		if len(key) == 0 || key[0] >= 0x80 {
			return nil // the store's stream-time entry
		}
		wk, err := decode(key)
		if err != nil {
			return err
		}
		f := WindowedCacheFlush[K, V]{TimestampMs: ts, Key: Windowed[K]{Window: wk.Window}}
		if f.Key.Key, err = s.decodeKey(wk.Key); err != nil {
			return err
		}
		if newValue != nil {
			if f.NewValue, err = s.decodeValue(newValue); err != nil {
				return err
			}
			f.HasNew = true
		}
		if oldValue != nil {
			if f.OldValue, err = s.decodeValue(oldValue); err != nil {
				return err
			}
			f.HasOld = true
		}
		return fn(f)
	}, sendOldValues)
	return true
}

// SetFlushListener makes the window store's record cache hand its flushed
// updates to fn (Kafka's setFlushListener). It returns false when the
// store has no cache; the caller then forwards every update itself. Call
// it after Init.
func (w *typedWindow[K, V]) SetFlushListener(fn func(WindowedCacheFlush[K, V]) error, sendOldValues bool) bool {
	size := w.inner.WindowSize()
	return setWindowedFlushListener(&w.s, w.inner, func(k []byte) (Windowed[[]byte], error) {
		key, rest, err := splitEscaped(k[8:])
		if err != nil || len(rest) != 12 {
			return Windowed[[]byte]{}, errCorruptKey(k)
		}
		start := readInt64(rest)
		return Windowed[[]byte]{Key: key, Window: Window{Start: start, End: windowEnd(start, size)}}, nil
	}, fn, sendOldValues)
}

// SetFlushListener is the session store's; see typedWindow.SetFlushListener.
func (w *typedSession[K, V]) SetFlushListener(fn func(WindowedCacheFlush[K, V]) error, sendOldValues bool) bool {
	return setWindowedFlushListener(&w.s, w.inner, func(k []byte) (Windowed[[]byte], error) {
		key, rest, err := splitEscaped(k[8:])
		if err != nil || len(rest) != 16 {
			return Windowed[[]byte]{}, errCorruptKey(k)
		}
		return Windowed[[]byte]{Key: key, Window: Window{Start: readInt64(rest[8:]), End: readInt64(rest)}}, nil
	}, fn, sendOldValues)
}

// SetWindowedFlushListener sets a flush listener on a typed window or
// session store built by this package.
func SetWindowedFlushListener[K, V any](s StateStore, sendOldValues bool, fn func(WindowedCacheFlush[K, V]) error) bool {
	l, ok := s.(interface {
		SetFlushListener(func(WindowedCacheFlush[K, V]) error, bool) bool
	})
	return ok && l.SetFlushListener(fn, sendOldValues)
}
