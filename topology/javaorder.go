package topology

import (
	"sort"
	"unicode/utf16"
)

// Kafka's describe() text depends on the iteration order of java.util
// HashMap/HashSet and on TreeSets whose comparator reads sizes that change
// while the sets are being filled. To print the same text, the few
// behaviours involved are reproduced here from their specification.

// javaStringHash is java.lang.String#hashCode: s[0]*31^(n-1) + ... over
// UTF-16 code units, in 32-bit arithmetic.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			h = 31*h + int32(hi)
			h = 31*h + int32(lo)
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// javaCompareStrings is java.lang.String#compareTo (UTF-16 code unit order).
func javaCompareStrings(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return int(ua[i]) - int(ub[i])
		}
	}
	return len(ua) - len(ub)
}

// javaTableSizeFor is HashMap.tableSizeFor: the next power of two.
func javaTableSizeFor(c int) int {
	n := 1
	for n < c {
		n <<= 1
	}
	return n
}

// javaHashOrder returns keys (distinct, in insertion order) in the
// iteration order of a java.util.HashMap whose table starts with initialCap
// buckets. An entry stays behind the entries inserted before it in its
// bucket through resizes, so the order is (final bucket, insertion order).
// Tree bins (8+ colliding keys in a table of 64+) are not modelled.
func javaHashOrder(keys []string, initialCap int) []string {
	capacity := initialCap
	bins := map[int]int{}
	for i := range keys {
		size := i + 1
		h := javaStringHash(keys[i])
		idx := int(uint32(h)^(uint32(h)>>16)) & (capacity - 1)
		bins[idx]++
		// putVal resizes when a list grows past 8 in a small table, and
		// when size exceeds 0.75 * capacity.
		longBin := bins[idx] > 8 && capacity < 64
		if size > capacity*3/4 || longBin {
			capacity *= 2
			bins = map[int]int{}
			for _, k := range keys[:size] {
				h := javaStringHash(k)
				bins[int(uint32(h)^(uint32(h)>>16))&(capacity-1)]++
			}
		}
	}
	type entry struct {
		key    string
		bucket int
		seq    int
	}
	es := make([]entry, len(keys))
	for i, k := range keys {
		h := javaStringHash(k)
		es[i] = entry{k, int(uint32(h)^(uint32(h)>>16)) & (capacity - 1), i}
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].bucket < es[j].bucket })
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.key
	}
	return out
}

// javaNewHashSetOrder is the order of new HashSet<>(c), c iterating keys in
// the given order (JDK 17: capacity max(n/0.75+1, 16)).
func javaNewHashSetOrder(keys []string) []string {
	c := int(float32(len(keys))/0.75) + 1
	return javaHashOrder(keys, javaTableSizeFor(max(c, 16)))
}

// javaHashSetOrder is the order of a default HashSet filled in key order.
func javaHashSetOrder(keys []string) []string { return javaHashOrder(keys, 16) }

// treeSet is a java.util.TreeSet: a red-black tree (CLR insertion, as
// TreeMap) ordered by a comparator evaluated at insertion time.
type treeSet[T any] struct {
	root *rbNode[T]
	cmp  func(a, b T) int
	n    int
}

type rbNode[T any] struct {
	v                   T
	left, right, parent *rbNode[T]
	black               bool
}

func (s *treeSet[T]) add(v T) {
	if s.root == nil {
		s.root = &rbNode[T]{v: v, black: true}
		s.n = 1
		return
	}
	t := s.root
	var parent *rbNode[T]
	c := 0
	for t != nil {
		parent = t
		c = s.cmp(v, t.v)
		switch {
		case c < 0:
			t = t.left
		case c > 0:
			t = t.right
		default:
			return
		}
	}
	x := &rbNode[T]{v: v, parent: parent}
	if c < 0 {
		parent.left = x
	} else {
		parent.right = x
	}
	s.n++
	s.fixAfterInsertion(x)
}

func isBlack[T any](n *rbNode[T]) bool { return n == nil || n.black }
func parentOf[T any](n *rbNode[T]) *rbNode[T] {
	if n == nil {
		return nil
	}
	return n.parent
}
func leftOf[T any](n *rbNode[T]) *rbNode[T] {
	if n == nil {
		return nil
	}
	return n.left
}
func rightOf[T any](n *rbNode[T]) *rbNode[T] {
	if n == nil {
		return nil
	}
	return n.right
}
func setBlack[T any](n *rbNode[T], black bool) {
	if n != nil {
		n.black = black
	}
}

func (s *treeSet[T]) rotateLeft(p *rbNode[T]) {
	if p == nil {
		return
	}
	r := p.right
	p.right = r.left
	if r.left != nil {
		r.left.parent = p
	}
	r.parent = p.parent
	switch {
	case p.parent == nil:
		s.root = r
	case p.parent.left == p:
		p.parent.left = r
	default:
		p.parent.right = r
	}
	r.left = p
	p.parent = r
}

func (s *treeSet[T]) rotateRight(p *rbNode[T]) {
	if p == nil {
		return
	}
	l := p.left
	p.left = l.right
	if l.right != nil {
		l.right.parent = p
	}
	l.parent = p.parent
	switch {
	case p.parent == nil:
		s.root = l
	case p.parent.right == p:
		p.parent.right = l
	default:
		p.parent.left = l
	}
	l.right = p
	p.parent = l
}

func (s *treeSet[T]) fixAfterInsertion(x *rbNode[T]) {
	x.black = false
	for x != nil && x != s.root && !x.parent.black {
		if parentOf(x) == leftOf(parentOf(parentOf(x))) {
			y := rightOf(parentOf(parentOf(x)))
			if !isBlack(y) {
				setBlack(parentOf(x), true)
				setBlack(y, true)
				setBlack(parentOf(parentOf(x)), false)
				x = parentOf(parentOf(x))
			} else {
				if x == rightOf(parentOf(x)) {
					x = parentOf(x)
					s.rotateLeft(x)
				}
				setBlack(parentOf(x), true)
				setBlack(parentOf(parentOf(x)), false)
				s.rotateRight(parentOf(parentOf(x)))
			}
		} else {
			y := leftOf(parentOf(parentOf(x)))
			if !isBlack(y) {
				setBlack(parentOf(x), true)
				setBlack(y, true)
				setBlack(parentOf(parentOf(x)), false)
				x = parentOf(parentOf(x))
			} else {
				if x == leftOf(parentOf(x)) {
					x = parentOf(x)
					s.rotateRight(x)
				}
				setBlack(parentOf(x), true)
				setBlack(parentOf(parentOf(x)), false)
				s.rotateLeft(parentOf(parentOf(x)))
			}
		}
	}
	s.root.black = true
}

// items returns the elements in tree (in-order) order.
func (s *treeSet[T]) items() []T {
	out := make([]T, 0, s.n)
	var walk func(n *rbNode[T])
	walk = func(n *rbNode[T]) {
		if n == nil {
			return
		}
		walk(n.left)
		out = append(out, n.v)
		walk(n.right)
	}
	walk(s.root)
	return out
}

func (s *treeSet[T]) each(fn func(T)) {
	for _, v := range s.items() {
		fn(v)
	}
}
