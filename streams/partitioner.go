package streams

import (
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// outputPartitioner places output records as Kafka's producer does for
// Kafka Streams: an explicit partition (chosen by a StreamPartitioner or
// the task engine) wins; otherwise a keyed record goes to
// murmur2(key) % partitions, so repartitioned data lands in the same
// partitions as Java clients would put it; an unkeyed record round-robins.
func outputPartitioner() kgo.Partitioner {
	return kgo.BasicConsistentPartitioner(func(topic string) func(*kgo.Record, int) int {
		hashed := kgo.StickyKeyPartitioner(nil).ForTopic(topic)
		var next atomic.Uint32
		return func(r *kgo.Record, n int) int {
			switch {
			case r.Partition >= 0:
				return int(r.Partition)
			case r.Key != nil:
				return hashed.Partition(r, n)
			default:
				return int(next.Add(1) % uint32(n))
			}
		}
	})
}
