package state

import (
	"bytes"
	"sync"
)

// FlushListener receives what a caching store releases downstream: one
// update per key per flush (commit or eviction). newValue nil is a
// deletion; oldValue is the value the store held before, when the
// listener asked for old values (and always for deletions), else nil.
// timestampMs is the timestamp of the record that made the last update.
type FlushListener func(key, newValue, oldValue []byte, timestampMs int64) error

// cachingKV is Kafka's CachingKeyValueStore: writes stay in the record
// cache, coalesced per key, until the task commits or the cache evicts
// them; then they go to the store below (and its changelog) and to the
// flush listener. Reads see the cache first. Only the owning task writes,
// so only it evicts and flushes; the mutex guards the entries against
// readers on other goroutines.
type cachingKV struct {
	KeyValueBytesStore
	shared   *RecordCache
	mu       sync.Mutex
	cache    *namedCache
	listener FlushListener
	sendOld  bool
	ctx      StateStoreContext
	flushing bool
	flushTs  int64
}

func newCachingKV(inner KeyValueBytesStore) *cachingKV {
	return &cachingKV{KeyValueBytesStore: inner}
}

func (c *cachingKV) innerStore() StateStore           { return c.KeyValueBytesStore }
func (c *cachingKV) bindManager(m *Manager, _ TaskID) { c.shared = m.cache }
func (c *cachingKV) setFlushListener(l FlushListener, sendOld bool) {
	c.listener, c.sendOld = l, sendOld
}

func (c *cachingKV) Init(ctx StateStoreContext, root StateStore) error {
	if c.shared == nil {
		c.shared = NewRecordCache(DefaultCacheMaxBytes)
	}
	c.cache = newNamedCache(c.shared)
	c.ctx = ctx
	if ctx == nil {
		return c.KeyValueBytesStore.Init(nil, root)
	}
	return c.KeyValueBytesStore.Init(&contextWrapper{StateStoreContext: ctx, ts: c.timestamp}, root)
}

// timestamp is what the layers below stamp changes with: the timestamp of
// the update being flushed, or of the record being processed.
func (c *cachingKV) timestamp() int64 {
	if c.flushing {
		return c.flushTs
	}
	return recordTimestamp(c.ctx)
}

func (c *cachingKV) Get(key []byte) ([]byte, error) {
	return c.get(key, true)
}

// lender is a byte store layer that can hand its owning task a value
// without protecting the bytes from the task's next write (see
// UpdatableKeyValueStore.GetForUpdate).
type lender interface {
	getLent(key []byte) ([]byte, error)
}

func (c *cachingKV) getLent(key []byte) ([]byte, error) {
	return c.get(key, false)
}

// get reads through the cache. A cached value handed to anyone but the
// owning task is marked lent, so writes leave its bytes alone.
func (c *cachingKV) get(key []byte, lend bool) ([]byte, error) {
	if !c.IsOpen() {
		return nil, closedError(c.Name())
	}
	c.mu.Lock()
	if e := c.cache.get(key); e != nil {
		v := e.value
		if lend {
			v = e.lend().value
		}
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	return c.KeyValueBytesStore.Get(key)
}

func (c *cachingKV) Put(key, value []byte) error {
	if !c.IsOpen() {
		return closedError(c.Name())
	}
	c.mu.Lock()
	c.cache.put(key, value, true, c.timestamp())
	c.mu.Unlock()
	return c.maybeEvict()
}

func (c *cachingKV) PutIfAbsent(key, value []byte) ([]byte, error) {
	old, err := c.Get(key)
	if err != nil || old != nil {
		return old, err
	}
	return nil, c.Put(key, value)
}

func (c *cachingKV) PutAll(entries []KeyValue[[]byte, []byte]) error {
	for _, e := range entries {
		if err := c.Put(e.Key, e.Value); err != nil {
			return err
		}
	}
	return nil
}

func (c *cachingKV) Delete(key []byte) ([]byte, error) {
	old, err := c.Get(key)
	if err != nil {
		return nil, err
	}
	return old, c.Put(key, nil)
}

// maybeEvict keeps the shared cache within its budget by evicting this
// store's least recently used entries; a dirty one flushes the store's
// dirty entries first (Kafka's NamedCache.evict).
func (c *cachingKV) maybeEvict() error {
	for c.shared.over() {
		c.mu.Lock()
		e := c.cache.tail
		if e == nil {
			c.mu.Unlock()
			return nil
		}
		if e.dirty {
			c.mu.Unlock()
			if c.flushing {
				return nil // the flush in progress writes it
			}
			if err := c.flushCache(); err != nil {
				return err
			}
			continue
		}
		c.cache.remove(e)
		c.mu.Unlock()
	}
	return nil
}

// flushCache writes the dirty entries to the store below and hands them
// to the listener, in the order they became dirty. Updates the listener
// causes on this store are flushed next time.
func (c *cachingKV) flushCache() error {
	if c.flushing {
		return nil
	}
	c.mu.Lock()
	dirty := c.cache.takeDirty()
	c.mu.Unlock()
	if len(dirty) == 0 {
		return nil
	}
	c.flushing = true
	defer func() {
		c.mu.Lock()
		c.cache.endFlush(dirty)
		c.mu.Unlock()
		c.flushing = false
	}()
	inner := c.KeyValueBytesStore
	for _, e := range dirty {
		c.flushTs = e.ts
		var old []byte
		if c.listener != nil && (e.value == nil || c.sendOld) {
			var err error
			if old, err = inner.Get(e.key); err != nil {
				return err
			}
			if e.value == nil && old == nil {
				continue // deleting what never reached the store: nothing to write or forward
			}
		}
		if err := inner.Put(e.key, e.value); err != nil {
			return err
		}
		if c.listener != nil {
			if !c.sendOld {
				old = nil
			}
			if err := c.listener(e.key, e.value, old, e.ts); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *cachingKV) Flush() error {
	if !c.IsOpen() {
		return nil
	}
	if err := c.flushCache(); err != nil {
		return err
	}
	return c.KeyValueBytesStore.Flush()
}

func (c *cachingKV) Close() error {
	c.mu.Lock()
	if c.cache != nil {
		c.cache.clear()
	}
	c.mu.Unlock()
	return c.KeyValueBytesStore.Close()
}

func (c *cachingKV) Range(from, to []byte) (KeyValueIterator[[]byte, []byte], error) {
	if from != nil && to != nil && bytes.Compare(from, to) > 0 {
		return emptyIterator{}, nil
	}
	return c.merged(from, to, false, false, func() (KeyValueIterator[[]byte, []byte], error) {
		return c.KeyValueBytesStore.Range(from, to)
	})
}

func (c *cachingKV) ReverseRange(from, to []byte) (KeyValueIterator[[]byte, []byte], error) {
	if from != nil && to != nil && bytes.Compare(from, to) > 0 {
		return emptyIterator{}, nil
	}
	return c.merged(from, to, true, false, func() (KeyValueIterator[[]byte, []byte], error) {
		return c.KeyValueBytesStore.ReverseRange(from, to)
	})
}

func (c *cachingKV) All() (KeyValueIterator[[]byte, []byte], error) {
	return c.merged(nil, nil, false, false, c.KeyValueBytesStore.All)
}

func (c *cachingKV) ReverseAll() (KeyValueIterator[[]byte, []byte], error) {
	return c.merged(nil, nil, true, false, c.KeyValueBytesStore.ReverseAll)
}

func (c *cachingKV) PrefixScan(prefix []byte) (KeyValueIterator[[]byte, []byte], error) {
	return c.merged(prefix, nil, false, true, func() (KeyValueIterator[[]byte, []byte], error) {
		return c.KeyValueBytesStore.PrefixScan(prefix)
	})
}

func (c *cachingKV) merged(from, to []byte, reverse, prefix bool, open func() (KeyValueIterator[[]byte, []byte], error)) (KeyValueIterator[[]byte, []byte], error) {
	if !c.IsOpen() {
		return nil, closedError(c.Name())
	}
	c.mu.Lock()
	snap := c.cache.snapshot(from, to, prefix)
	c.mu.Unlock()
	store, err := open()
	if err != nil {
		return nil, err
	}
	if reverse {
		for i, j := 0, len(snap)-1; i < j; i, j = i+1, j-1 {
			snap[i], snap[j] = snap[j], snap[i]
		}
	}
	return &mergedIter{cache: snap, store: store, reverse: reverse, pull: true}, nil
}

// mergedIter merges a snapshot of cache entries with the store's
// iterator; the cache wins on equal keys and its deletions hide the
// store's entries (Kafka's MergedSortedCacheKeyValueBytesStoreIterator).
type mergedIter struct {
	cache      []cachedItem
	ci         int
	store      KeyValueIterator[[]byte, []byte]
	storeOK    bool
	pull       bool // the store iterator must advance before its next use
	reverse    bool
	key, value []byte
	done       bool
}

func (m *mergedIter) Next() bool {
	for !m.done {
		if m.pull {
			m.storeOK = m.store.Next()
			m.pull = false
		}
		var ce *cachedItem
		if m.ci < len(m.cache) {
			ce = &m.cache[m.ci]
		}
		switch {
		case ce == nil && !m.storeOK:
			m.done = true
			m.key, m.value = nil, nil
			return false
		case ce == nil:
			m.key, m.value, m.pull = m.store.Key(), m.store.Value(), true
			return true
		case !m.storeOK:
			m.ci++
			if ce.value == nil {
				continue
			}
			m.key, m.value = ce.key, ce.value
			return true
		}
		cmp := bytes.Compare(ce.key, m.store.Key())
		if m.reverse {
			cmp = -cmp
		}
		if cmp > 0 {
			m.key, m.value, m.pull = m.store.Key(), m.store.Value(), true
			return true
		}
		m.ci++
		if cmp == 0 {
			m.pull = true
		}
		if ce.value == nil {
			continue
		}
		m.key, m.value = ce.key, ce.value
		return true
	}
	return false
}

func (m *mergedIter) Key() []byte   { return m.key }
func (m *mergedIter) Value() []byte { return m.value }
func (m *mergedIter) Err() error    { return m.store.Err() }
func (m *mergedIter) Close() error {
	m.done = true
	return m.store.Close()
}
