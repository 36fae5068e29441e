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
// never written after they are stored. An entry handed out by takeDirty
// or snapshot is pinned: it is replaced, never changed, so a flush or
// iterator in progress sees the entry as it was; an unpinned entry is
// updated in place, which spares the allocation on the common path (a
// key rewritten between commits). Its value bytes are overwritten in
// place too, unless Get lent them to a reader (lent): then the next write
// stores a fresh copy and the reader's slice stays valid.
type cacheEntry struct {
	key, value []byte
	ts         int64
	dirty      bool
	pinned     bool
	lent       bool
	size       int64

	prev, next   *cacheEntry // LRU list; head is the most recently used
	dprev, dnext *cacheEntry // dirty list, in the order entries became dirty
}

// setValue stores a copy of value (nil: a deletion).
func (e *cacheEntry) setValue(value []byte) {
	switch {
	case value == nil:
		e.value = nil
	case e.value != nil && !e.lent && cap(e.value) >= len(value):
		e.value = append(e.value[:0], value...)
	default:
		e.value, e.lent = bytes.Clone(value), false
	}
}

// namedCache is one store instance's entries: hashed for point reads and
// writes, sorted for range reads, in LRU order for eviction, and in dirty
// order for flushing.
//
// Both indexes hold a cacheSlot per key, so rewriting a cached key (the
// common case: a count updated again before the next commit) is one hash
// lookup and never touches the tree, whose byte comparisons dominated the
// cost of an update. The slot of the last key looked up is remembered:
// an aggregation reads a key and then writes it, and the write finds the
// slot without hashing again.
type namedCache struct {
	shared       *RecordCache
	index        map[string]*cacheSlot
	tree         *btreemap.BTreeMap[[]byte, *cacheSlot]
	head, tail   *cacheEntry
	dhead, dtail *cacheEntry
	ndirty       int
	last         *cacheSlot // nil, or the slot of the last lookup
}

// cacheSlot is where a key's current entry lives.
type cacheSlot struct{ e *cacheEntry }

func newNamedCache(shared *RecordCache) *namedCache {
	return &namedCache{
		shared: shared,
		index:  map[string]*cacheSlot{},
		tree:   btreemap.New[[]byte, *cacheSlot](32, bytes.Compare),
	}
}

func (c *namedCache) len() int { return len(c.index) }

// lookup returns key's slot, or nil.
func (c *namedCache) lookup(key []byte) *cacheSlot {
	if s := c.last; s != nil && string(s.e.key) == string(key) {
		return s
	}
	s := c.index[string(key)]
	if s != nil {
		c.last = s
	}
	return s
}

func (c *namedCache) get(key []byte) *cacheEntry {
	slot := c.lookup(key)
	if slot == nil {
		return nil
	}
	c.touch(slot.e)
	return slot.e
}

// put stores a copy of key and value: the caller may reuse its slices.
func (c *namedCache) put(key, value []byte, dirty bool, ts int64) {
	if slot := c.lookup(key); slot != nil {
		old := slot.e
		if old.dirty && !dirty {
			c.touch(old) // a clean read never replaces a pending write
			return
		}
		// A rewritten key moves to the end of the dirty order, as in
		// Kafka: the flush follows the arrival order of the updates.
		c.unlink(old)
		c.shared.size.Add(-old.size)
		e := old
		if old.pinned {
			// Keys are never modified, so the new entry shares the old one's.
			e = &cacheEntry{key: old.key}
			slot.e = e
		}
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
	slot := &cacheSlot{e: e}
	c.index[string(e.key)] = slot
	c.tree.ReplaceOrInsert(e.key, slot)
	c.last = slot
	c.shared.size.Add(e.size)
	c.link(e)
}

// remove drops an entry (after it was flushed, or when evicted).
func (c *namedCache) remove(e *cacheEntry) {
	if slot, ok := c.index[string(e.key)]; ok && slot.e == e {
		delete(c.index, string(e.key))
		c.tree.Delete(e.key)
		if c.last == slot {
			c.last = nil
		}
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

// takeDirty returns the dirty entries in the order they became dirty and
// marks them clean; deletions leave the cache (the store now has them).
func (c *namedCache) takeDirty() []*cacheEntry {
	if c.ndirty == 0 {
		return nil
	}
	out := make([]*cacheEntry, 0, c.ndirty)
	for e := c.dhead; e != nil; {
		next := e.dnext
		e.pinned = true
		out = append(out, e)
		c.undirty(e)
		e.dirty = false
		if e.value == nil {
			c.remove(e)
		}
		e = next
	}
	return out
}

// snapshot lists the entries in [from, to] (nil bounds are open; prefix
// mode: keys starting with from), ascending.
func (c *namedCache) snapshot(from, to []byte, prefix bool) []*cacheEntry {
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
	var out []*cacheEntry
	c.tree.AscendFunc(lower, upper, func(_ []byte, slot *cacheSlot) bool {
		slot.e.pinned = true
		out = append(out, slot.e)
		return true
	})
	return out
}

func (c *namedCache) clear() {
	for e := c.head; e != nil; e = e.next {
		c.shared.size.Add(-e.size)
	}
	c.tree.Clear(false)
	clear(c.index)
	c.head, c.tail, c.dhead, c.dtail, c.ndirty, c.last = nil, nil, nil, nil, 0, nil
}
