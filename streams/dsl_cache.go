package streams

import (
	"bytes"
	"slices"
	"sync"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
)

// recordCache is the record cache in front of a DSL store (Kafka's
// CachingKeyValueStore over its NamedCache): writes stay in memory, typed,
// until the task commits (Flush) or the cache outgrows its budget; then
// each key's latest value is written to the store, and so to its
// changelog, and forwarded downstream once. Repeated updates of a key
// between commits thus cost one store write, one changelog record and one
// downstream record. Reads see the cache first.
//
// The owning task's goroutine is the only writer. Interactive queries may
// read from other goroutines, so mutations hold mu and foreign reads take
// it shared; the owner reads without it.
type recordCache[K, V any] struct {
	mu       sync.RWMutex
	entries  map[string]*cacheEntry[K, V]
	dirty    []string // keys in the order they were last written
	bytes    int64    // estimated size of entries
	maxBytes int64
}

type cacheEntry[K, V any] struct {
	kstr    string // the map key, reused for the dirty list
	key     K
	value   V
	present bool // false: a pending delete
	ts      int64
	headers topology.Headers
	dirty   bool
	seq     int // index of the key's latest position in dirty
}

// cacheEntryOverhead approximates an entry's memory besides its key.
const cacheEntryOverhead = 96

func newRecordCache[K, V any](maxBytes int64) *recordCache[K, V] {
	return &recordCache[K, V]{entries: map[string]*cacheEntry[K, V]{}, maxBytes: maxBytes}
}

// get returns the cached entry for kb (owner goroutine).
func (c *recordCache[K, V]) get(kb []byte) (*cacheEntry[K, V], bool) {
	e, ok := c.entries[string(kb)]
	return e, ok
}

// getShared is get for other goroutines.
func (c *recordCache[K, V]) getShared(kb []byte) (V, bool, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[string(kb)]
	if !ok {
		var zero V
		return zero, false, false
	}
	return e.value, e.present, true
}

// put records a write and reports whether the cache is over its budget.
func (c *recordCache[K, V]) put(kb []byte, k K, v V, present bool, ts int64, headers topology.Headers) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(kb)]
	if !ok {
		key := string(kb)
		e = &cacheEntry[K, V]{kstr: key}
		c.entries[key] = e
		c.bytes += int64(len(key)) + cacheEntryOverhead
	}
	c.dirty = append(c.dirty, e.kstr)
	e.key, e.value, e.present, e.ts, e.headers, e.dirty = k, v, present, ts, headers, true
	e.seq = len(c.dirty) - 1
	return c.bytes > c.maxBytes
}

// drainDirty returns the dirty entries in write order, marked clean.
func (c *recordCache[K, V]) drainDirty() (keys []string, entries []cacheEntry[K, V]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range c.dirty {
		e := c.entries[k]
		if e == nil || !e.dirty || e.seq != i {
			continue
		}
		e.dirty = false
		keys = append(keys, k)
		entries = append(entries, *e)
	}
	c.dirty = c.dirty[:0]
	return keys, entries
}

// dropClean forgets the clean entries (after an over-budget flush).
func (c *recordCache[K, V]) dropClean() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if !e.dirty {
			delete(c.entries, k)
			c.bytes -= int64(len(k)) + cacheEntryOverhead
		}
	}
}

// forgetDeletes drops entries of keys now deleted in the store, so the
// cache does not fill up with tombstones.
func (c *recordCache[K, V]) forgetDeleted(keys []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if e := c.entries[k]; e != nil && !e.dirty && !e.present {
			delete(c.entries, k)
			c.bytes -= int64(len(k)) + cacheEntryOverhead
		}
	}
}

func (c *recordCache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.dirty, c.bytes = c.dirty[:0], 0
}

// snapshot copies the entries whose keys are in [from, to] (nil: open),
// sorted by key bytes, descending when reverse.
func (c *recordCache[K, V]) snapshot(from, to []byte, prefix []byte, reverse bool) []cachedKV[V] {
	c.mu.RLock()
	out := make([]cachedKV[V], 0, len(c.entries))
	for k, e := range c.entries {
		kb := []byte(k)
		if (from != nil && bytes.Compare(kb, from) < 0) || (to != nil && bytes.Compare(kb, to) > 0) ||
			(prefix != nil && !bytes.HasPrefix(kb, prefix)) {
			continue
		}
		out = append(out, cachedKV[V]{key: kb, value: e.value, present: e.present})
	}
	c.mu.RUnlock()
	slices.SortFunc(out, func(a, b cachedKV[V]) int {
		if reverse {
			return bytes.Compare(b.key, a.key)
		}
		return bytes.Compare(a.key, b.key)
	})
	return out
}

type cachedKV[V any] struct {
	key     []byte
	value   V
	present bool
}

// mergedIterator walks a cache snapshot and the store together in key
// order; the cache wins on equal keys and its deletes hide store rows
// (Kafka's MergedSortedCacheKeyValueBytesStoreIterator).
type mergedIterator[K, V any] struct {
	s       *timestampedKV[K, V]
	cache   []cachedKV[V]
	store   state.KeyValueIterator[[]byte, []byte]
	reverse bool

	storeOK  bool // store is positioned on a row not yet consumed
	storeKey []byte

	key K
	val V
	err error
}

func newMergedIterator[K, V any](s *timestampedKV[K, V], cache []cachedKV[V], store state.KeyValueIterator[[]byte, []byte], reverse bool) *mergedIterator[K, V] {
	it := &mergedIterator[K, V]{s: s, cache: cache, store: store, reverse: reverse}
	it.advanceStore()
	return it
}

func (it *mergedIterator[K, V]) advanceStore() {
	it.storeOK = it.store.Next()
	if it.storeOK {
		it.storeKey = it.store.Key()
	}
}

// before reports whether a comes before b in the walk's order.
func (it *mergedIterator[K, V]) before(a, b []byte) bool {
	if it.reverse {
		return bytes.Compare(a, b) > 0
	}
	return bytes.Compare(a, b) < 0
}

func (it *mergedIterator[K, V]) Next() bool {
	for it.err == nil {
		switch {
		case len(it.cache) == 0 && !it.storeOK:
			return false
		case len(it.cache) > 0 && (!it.storeOK || !it.before(it.storeKey, it.cache[0].key)):
			c := it.cache[0]
			it.cache = it.cache[1:]
			if it.storeOK && bytes.Equal(it.storeKey, c.key) {
				it.advanceStore() // the cache's value replaces the store's
			}
			if !c.present {
				continue
			}
			k, err := it.s.keys.Deserialize(it.s.topic, c.key)
			if err != nil {
				it.err = err
				return false
			}
			it.key, it.val = k, c.value
			return true
		default:
			kb, raw := it.storeKey, it.store.Value()
			k, err := it.s.keys.Deserialize(it.s.topic, kb)
			if err != nil {
				it.err = err
				return false
			}
			_, vb, err := splitTimestamped(raw)
			if err != nil {
				it.err = err
				return false
			}
			v, err := it.s.values.Deserialize(it.s.topic, vb)
			if err != nil {
				it.err = err
				return false
			}
			it.key, it.val = k, v
			it.advanceStore()
			return true
		}
	}
	return false
}

func (it *mergedIterator[K, V]) Key() K   { return it.key }
func (it *mergedIterator[K, V]) Value() V { return it.val }
func (it *mergedIterator[K, V]) Err() error {
	if it.err != nil {
		return it.err
	}
	return it.store.Err()
}
func (it *mergedIterator[K, V]) Close() error { return it.store.Close() }
