package state

import (
	"testing"
)

// Entries handed to a flush or an iterator keep the value they had, even
// when the key is written again meanwhile.
func TestNamedCacheHandedOutEntriesDoNotChange(t *testing.T) {
	c := newNamedCache(NewRecordCache(1 << 20))
	c.put([]byte("k"), []byte("v1"), true, 1)
	snap := c.snapshot(nil, nil, false)
	c.put([]byte("k"), []byte("v2"), true, 2)
	if got := string(snap[0].value); got != "v1" || snap[0].ts != 1 {
		t.Fatalf("snapshot entry = %q@%d after a rewrite, want v1@1", got, snap[0].ts)
	}
	dirty := c.takeDirty()
	if len(dirty) != 1 || string(dirty[0].value) != "v2" {
		t.Fatalf("takeDirty = %v, want the one entry with v2", dirty)
	}
	c.put([]byte("k"), []byte("v3"), true, 3)
	if got := string(dirty[0].value); got != "v2" || dirty[0].ts != 2 {
		t.Fatalf("flushed entry = %q@%d after a rewrite, want v2@2", got, dirty[0].ts)
	}
	if e := c.get([]byte("k")); e == nil || string(e.value) != "v3" || !e.dirty {
		t.Fatalf("get = %+v, want dirty v3", e)
	}
	if c.ndirty != 1 {
		t.Fatalf("%d dirty entries, want 1", c.ndirty)
	}
}

// Rewriting a cached key between flushes keeps one entry and overwrites
// its value in place (no allocation), keeps the size accounting exact and
// moves the key to the end of the dirty order.
func TestNamedCacheRewriteInPlace(t *testing.T) {
	shared := NewRecordCache(1 << 20)
	c := newNamedCache(shared)
	c.put([]byte("a"), []byte("1"), true, 1)
	c.put([]byte("b"), []byte("1"), true, 1)
	key, value := []byte("a"), []byte("12")
	allocs := testing.AllocsPerRun(100, func() {
		c.put(key, value, true, 2)
	})
	if allocs != 0 {
		t.Fatalf("rewriting a cached key allocates %v times, want 0", allocs)
	}
	want := int64(2*cacheEntryOverhead + len("a12") + len("b1"))
	if got := shared.SizeBytes(); got != want {
		t.Fatalf("cache size %d, want %d", got, want)
	}
	var order []string
	for _, e := range c.takeDirty() {
		order = append(order, string(e.key)+"="+string(e.value))
	}
	if len(order) != 2 || order[0] != "b=1" || order[1] != "a=12" {
		t.Fatalf("dirty order %v, want [b=1 a=12]", order)
	}
	c.clear()
	if got := shared.SizeBytes(); got != 0 {
		t.Fatalf("cache size %d after clear, want 0", got)
	}
}
