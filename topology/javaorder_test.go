package topology

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The testdata files were printed by a small Java 17 program (random key
// sets; random TreeSet insertions interleaved with changes to the keys the
// comparator reads). They pin the Java collection behaviour Describe needs.

func TestJavaHashSetOrder(t *testing.T) {
	f, err := os.Open("testdata/java_hashset_order.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "|")
		keys := strings.Split(parts[0], ",")
		if got := strings.Join(javaHashSetOrder(keys), ","); got != parts[1] {
			t.Errorf("HashSet.add order of %v:\n got %s\nwant %s", keys, got, parts[1])
		}
		if got := strings.Join(javaNewHashSetOrder(keys), ","); got != parts[2] {
			t.Errorf("new HashSet(list) order of %v:\n got %s\nwant %s", keys, got, parts[2])
		}
		n++
	}
	if n != 300 {
		t.Fatalf("read %d cases", n)
	}
}

func TestJavaTreeSetWithChangingKeys(t *testing.T) {
	type node struct {
		name string
		size int
	}
	f, err := os.Open("testdata/java_treeset_order.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "|")
		names, sizes := strings.Split(parts[1], ","), strings.Split(parts[2], ",")
		nodes := make([]*node, len(names))
		for i := range names {
			s, _ := strconv.Atoi(sizes[i])
			nodes[i] = &node{name: names[i], size: s}
		}
		set := &treeSet[*node]{cmp: func(a, b *node) int {
			if a == b {
				return 0
			}
			if a.size != b.size {
				return b.size - a.size
			}
			return javaCompareStrings(a.name, b.name)
		}}
		for _, op := range strings.Fields(parts[3]) {
			if op[0] == 'a' {
				i, _ := strconv.Atoi(op[1:])
				set.add(nodes[i])
				continue
			}
			i, _ := strconv.Atoi(op[1:strings.IndexByte(op, ':')])
			d, _ := strconv.Atoi(op[strings.IndexByte(op, ':')+1:])
			nodes[i].size += d
		}
		var got []string
		for _, x := range set.items() {
			for i, y := range nodes {
				if x == y {
					got = append(got, x.name+"#"+strconv.Itoa(i))
				}
			}
		}
		if g := strings.Join(got, ","); g != parts[4] {
			t.Errorf("case %s:\n got %s\nwant %s", parts[0], g, parts[4])
		}
		n++
	}
	if n != 300 {
		t.Fatalf("read %d cases", n)
	}
}

func TestJavaStringHash(t *testing.T) {
	// Values of "...".hashCode() in Java.
	for s, want := range map[string]int32{"": 0, "a": 97, "hello": 99162322} {
		if got := javaStringHash(s); got != want {
			t.Errorf("hash(%q) = %d, want %d", s, got, want)
		}
	}
	if javaStringHash("polygenelubricants") != -2147483648 {
		t.Errorf("overflowing hash wrong: %d", javaStringHash("polygenelubricants"))
	}
}
