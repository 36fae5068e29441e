package workers

import (
	"github.com/runnel-dev/runnel/connect"
	"github.com/twmb/franz-go/pkg/kgo"
)

// recordPartitioner honours an explicit SourceRecord partition and
// otherwise partitions like Kafka's default partitioner: murmur2 of the key
// for keyed records, sticky batches for records without a key (the
// sticky-key partitioner, which implements plain Partition).
type recordPartitioner struct{ def kgo.Partitioner }

func newRecordPartitioner() kgo.Partitioner {
	return recordPartitioner{def: kgo.StickyKeyPartitioner(nil)}
}

func (p recordPartitioner) ForTopic(topic string) kgo.TopicPartitioner {
	return &topicPartitioner{def: p.def.ForTopic(topic)}
}

type topicPartitioner struct{ def kgo.TopicPartitioner }

func (t *topicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return r.Partition != connect.NoPartition || t.def.RequiresConsistency(r)
}

func (t *topicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Partition != connect.NoPartition {
		return int(r.Partition)
	}
	return t.def.Partition(r, n)
}

func (t *topicPartitioner) OnNewBatch() {
	if nb, ok := t.def.(kgo.TopicPartitionerOnNewBatch); ok {
		nb.OnNewBatch()
	}
}
