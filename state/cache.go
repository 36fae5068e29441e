package state

import (
	"bytes"
	"sync/atomic"

	"github.com/RaduBerinde/btreemap"
)

// DefaultCacheMaxBytes is Kafka's statestore.cache.max.bytes default.
const DefaultCacheMaxBytes = 10 << 20

// cacheEntryOverhead approximates what an entry costs beyond its key and
// value bytes (the entry struct and its share of the tree).
const cacheEntryOverhead = 96

// RecordCache is the record cache budget (statestore.cache.max.bytes)
// shared by every caching store of an instance, as Kafka's ThreadCache.
// Each store keeps its own entries; when the total goes over the budget,
// the store being written evicts its least recently used entries, and
// evicting a dirty entry flushes all of that store's dirty entries
// downstream first, as Kafka's NamedCache does.
type RecordCache struct {
	max  int64
	size atomic.Int64
}

// NewRecordCache returns a cache budget of maxBytes; 0 or less means
// every write is evicted (and so forwarded) at once.
func NewRecordCache(maxBytes int64) *RecordCache {
	return &RecordCache{max: max(maxBytes, 0)}
}

// MaxBytes is the budget.
func (c *RecordCache) MaxBytes() int64 { return c.max }

// SizeBytes is what the caches hold now.
func (c *RecordCache) SizeBytes() int64 { return c.size.Load() }

func (c *RecordCache) over() bool { return c.size.Load() > c.max }

// cacheEntry is one cached key. value nil is a deletion. Key slices are
// never written after they are stored, and an entry stays the key's entry
// until it leaves the cache, so rewriting a cached key (the common case:
// a count updated again before the next commit) allocates nothing. Its
// value bytes are overwritten in place too, unless they were lent out:
// to a reader by Get or to an iterator's snapshot (lent), or to the flush
// in progress (flushing, cleared when it ends: the layers below and the
// listener copy what they keep). Then the next write stores a fresh copy,
// and whoever holds the old bytes sees them as they were.
type cacheEntry struct {
	key, value []byte
	ts         int64
	dirty      bool
	lent       bool
	flushing   bool
	size       int64

	prev, next   *cacheEntry // LRU list; head is the most recently used
	dprev, dnext *cacheEntry // dirty list, in the order entries became dirty
}

// setValue stores a copy of value (nil: a deletion).
func (e *cacheEntry) setValue(value []byte) {
	switch {
	case value == nil:
		e.value = nil
	case e.value != nil && !e.lent && !e.flushing && cap(e.value) >= len(value):
		e.value = append(e.value[:0], value...)
	default:
		e.value, e.lent, e.flushing = bytes.Clone(value), false, false
	}
}

// lend hands out the entry's current value bytes: they are not written
// again.
func (e *cacheEntry) lend() cachedItem {
	if e.value != nil {
		e.lent = true
	}
	return cachedItem{key: e.key, value: e.value, ts: e.ts}
}

// cachedItem is an entry as it was when a flush or iterator took it.
type cachedItem struct {
	key, value []byte
	ts         int64
	e          *cacheEntry // set by takeDirty
}

// namedCache is one store instance's entries: hashed for point reads and
// writes, sorted for range reads, in LRU order for eviction, and in dirty
// order for flushing.
//
// A rewrite of a cached key is one hash lookup and never touches the
// tree, whose byte comparisons dominated the cost of an update. The last
// entry looked up is remembered: an aggregation reads a key and then
// writes it, and the write finds the entry without hashing again.
type namedCache struct {
	shared       *RecordCache
	index        map[string]*cacheEntry
	tree         *btreemap.BTreeMap[[]byte, *cacheEntry]
	head, tail   *cacheEntry
	dhead, dtail *cacheEntry
	ndirty       int
	last         *cacheEntry  // nil, or the entry of the last lookup
	dirtyBuf     []cachedItem // takeDirty's result, reused
}

func newNamedCache(shared *RecordCache) *namedCache {
	return &namedCache{
		shared: shared,
		index:  map[string]*cacheEntry{},
		tree:   btreemap.New[[]byte, *cacheEntry](32, bytes.Compare),
	}
}

func (c *namedCache) len() int { return len(c.index) }

// lookup returns key's entry, or nil.
func (c *namedCache) lookup(key []byte) *cacheEntry {
	if e := c.last; e != nil && string(e.key) == string(key) {
		return e
	}
	e := c.index[string(key)]
	if e != nil {
		c.last = e
	}
	return e
}

func (c *namedCache) get(key []byte) *cacheEntry {
	e := c.lookup(key)
	if e != nil {
		c.touch(e)
	}
	return e
}

// put stores a copy of key and value: the caller may reuse its slices.
func (c *namedCache) put(key, value []byte, dirty bool, ts int64) {
	if e := c.lookup(key); e != nil {
		if e.dirty && !dirty {
			c.touch(e) // a clean read never replaces a pending write
			return
		}
		// A rewritten key moves to the end of the dirty order, as in
		// Kafka: the flush follows the arrival order of the updates.
		c.unlink(e)
		c.shared.size.Add(-e.size)
		e.setValue(value)
		e.ts, e.dirty = ts, dirty
		e.size = int64(len(e.key)+len(e.value)) + cacheEntryOverhead
		c.shared.size.Add(e.size)
		c.link(e)
		return
	}
	e := &cacheEntry{key: bytes.Clone(key), ts: ts, dirty: dirty}
	e.setValue(value)
	e.size = int64(len(e.key)+len(e.value)) + cacheEntryOverhead
	c.index[string(e.key)] = e
	c.tree.ReplaceOrInsert(e.key, e)
	c.last = e
	c.shared.size.Add(e.size)
	c.link(e)
}

// remove drops an entry (after it was flushed, or when evicted).
func (c *namedCache) remove(e *cacheEntry) {
	delete(c.index, string(e.key))
	c.tree.Delete(e.key)
	if c.last == e {
		c.last = nil
	}
	c.unlink(e)
	c.shared.size.Add(-e.size)
}

func (c *namedCache) link(e *cacheEntry) {
	e.prev, e.next = nil, c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
	if e.dirty {
		e.dprev, e.dnext = c.dtail, nil
		if c.dtail != nil {
			c.dtail.dnext = e
		}
		c.dtail = e
		if c.dhead == nil {
			c.dhead = e
		}
		c.ndirty++
	}
}

func (c *namedCache) unlink(e *cacheEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else if c.head == e {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else if c.tail == e {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
	if e.dirty {
		c.undirty(e)
	}
}

func (c *namedCache) undirty(e *cacheEntry) {
	if e.dprev != nil {
		e.dprev.dnext = e.dnext
	} else if c.dhead == e {
		c.dhead = e.dnext
	}
	if e.dnext != nil {
		e.dnext.dprev = e.dprev
	} else if c.dtail == e {
		c.dtail = e.dprev
	}
	e.dprev, e.dnext = nil, nil
	c.ndirty--
}

func (c *namedCache) touch(e *cacheEntry) {
	if c.head == e {
		return
	}
	// Move to the front of the LRU list only; dirty order is kept.
	if e.prev != nil {
		e.prev.next = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else if c.tail == e {
		c.tail = e.prev
	}
	e.prev, e.next = nil, c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
}

// takeDirty returns the dirty entries, as they are now, in the order they
// became dirty, and marks them clean; deletions leave the cache (the
// store now has them). The result is valid until the next takeDirty.
func (c *namedCache) takeDirty() []cachedItem {
	if c.ndirty == 0 {
		return nil
	}
	clear(c.dirtyBuf) // let go of the previous flush's values
	out := c.dirtyBuf[:0]
	for e := c.dhead; e != nil; {
		next := e.dnext
		if e.value != nil {
			e.flushing = true
		}
		out = append(out, cachedItem{key: e.key, value: e.value, ts: e.ts, e: e})
		c.undirty(e)
		e.dirty = false
		if e.value == nil {
			c.remove(e)
		}
		e = next
	}
	c.dirtyBuf = out
	return out
}

// endFlush gives the values lent to a flush back to their entries.
func (c *namedCache) endFlush(items []cachedItem) {
	for _, it := range items {
		it.e.flushing = false
	}
}

// snapshot lists the entries in [from, to] (nil bounds are open; prefix
// mode: keys starting with from), ascending, as they are now.
func (c *namedCache) snapshot(from, to []byte, prefix bool) []cachedItem {
	var out []cachedItem
	c.ascend(from, to, prefix, func(e *cacheEntry) { out = append(out, e.lend()) })
	return out
}

// removeRange drops the entries in [from, to), dirty ones included.
func (c *namedCache) removeRange(from, to []byte) {
	var doomed []*cacheEntry
	c.ascend(from, to, false, func(e *cacheEntry) {
		if bytes.Compare(e.key, to) < 0 {
			doomed = append(doomed, e)
		}
	})
	for _, e := range doomed {
		c.remove(e)
	}
}

// ascend calls fn with the entries in [from, to] (see snapshot).
func (c *namedCache) ascend(from, to []byte, prefix bool, fn func(*cacheEntry)) {
	lower := btreemap.Min[[]byte]()
	upper := btreemap.Max[[]byte]()
	if from != nil {
		lower = btreemap.GE(from)
	}
	if prefix {
		if end := PrefixEnd(from); end != nil {
			upper = btreemap.LT(end)
		}
	} else if to != nil {
		upper = btreemap.LE(to)
	}
	c.tree.AscendFunc(lower, upper, func(_ []byte, e *cacheEntry) bool {
		fn(e)
		return true
	})
}

func (c *namedCache) clear() {
	for e := c.head; e != nil; e = e.next {
		c.shared.size.Add(-e.size)
	}
	c.tree.Clear(false)
	clear(c.index)
	c.head, c.tail, c.dhead, c.dtail, c.ndirty, c.last, c.dirtyBuf = nil, nil, nil, nil, 0, nil, nil
}
