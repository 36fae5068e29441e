package streams

import (
	"math/bits"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// recordSlabs lends kgo the slabs it decodes fetched records into
// (kgo.PoolRecords). Without it every fetched batch allocates a fresh
// []kgo.Record of ~170 bytes per record, a third of what the word count
// allocates. A stream thread recycles each record once it has processed it;
// kgo returns a slab here when all its records are recycled. A record that
// is never recycled (a task revoked with records queued) only costs its
// slab to the garbage collector.
type recordSlabs struct {
	// classes[i] holds slabs with capacity 1<<i.
	classes [maxSlabClass + 1]sync.Pool
}

// maxSlabClass bounds pooled slabs at 64Ki records; larger batches (rare:
// a batch is at most 1 MiB) are allocated and left to the collector.
const maxSlabClass = 16

func slabClass(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

// GetRecords implements kgo.PoolRecords.
func (p *recordSlabs) GetRecords(n int) []kgo.Record {
	c := slabClass(n)
	if c > maxSlabClass {
		return make([]kgo.Record, 0, n)
	}
	if s, ok := p.classes[c].Get().(*[]kgo.Record); ok {
		return (*s)[:0]
	}
	return make([]kgo.Record, 0, 1<<c)
}

// PutRecords implements kgo.PoolRecords. kgo hands back a slab once every
// record in it was recycled, and Recycle zeroes each record.
func (p *recordSlabs) PutRecords(s []kgo.Record) {
	c := slabClass(cap(s))
	if c > maxSlabClass || cap(s) != 1<<c {
		return
	}
	s = s[:0]
	p.classes[c].Put(&s)
}
