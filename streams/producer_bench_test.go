package streams

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCollectorSend measures the stream thread's cost per produced
// record: partitioning by key and encoding into the partition's batch,
// as for the word count's repartition records. Sealed batches are thrown
// away instead of sent. Run:
// go test -run '^$' -bench CollectorSend -benchmem ./streams/
func BenchmarkCollectorSend(b *testing.B) {
	c := newRecordCollector(context.Background(), nil, nil, func(string) (int32, error) { return 4, nil }, func() {})
	c.now = func() time.Time { return time.Time{} }
	words := [][]byte{[]byte("alpha"), []byte("beta"), []byte("gamma"), []byte("delta"), []byte("epsilon"), []byte("zeta"), []byte("eta"), []byte("theta")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := words[i%len(words)]
		c.send("repartition", -1, w, w, 1700000000000, nil)
		if c.openRecs == 4096 {
			// Reuse the open batches as the sender would after sealing.
			for _, batch := range c.openOrder {
				batch.buf = batch.buf[:batchHeaderLen]
				batch.n = 0
			}
			c.openRecs = 0
		}
	}
}
