package streams

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// collectorFixture is a record collector on its own client against a
// fresh broker, recording what the production exception handler saw.
type collectorFixture struct {
	addr   string
	cl     *kgo.Client
	c      *recordCollector
	mu     sync.Mutex
	failed []*kgo.Record
	errs   []error
}

func newCollectorFixture(t *testing.T, failOnError bool) *collectorFixture {
	t.Helper()
	f := &collectorFixture{addr: startBroker(t)}
	cl, err := kgo.NewClient(kgo.SeedBrokers(f.addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	f.cl = cl
	partitions := func(topic string) (int32, error) {
		d, err := kadm.NewClient(cl).ListTopics(context.Background(), topic)
		if err != nil {
			return 0, err
		}
		return int32(len(d[topic].Partitions)), d[topic].Err
	}
	onError := func(r *kgo.Record, err error) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.failed = append(f.failed, r)
		f.errs = append(f.errs, err)
		if failOnError {
			return err
		}
		return nil
	}
	f.c = newRecordCollector(t.Context(), cl, onError, partitions, func() {})
	return f
}

func (f *collectorFixture) flush(t *testing.T) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return f.c.flush(ctx)
}

// readTopic reads every record of the topic's partitions, in offset order
// per partition.
func readTopic(t *testing.T, addr, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records from %s", len(out), want, topic)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func TestCollectorRecordsReadBackExactly(t *testing.T) {
	f := newCollectorFixture(t, true)
	createTopics(t, f.addr, 3, "out")
	base := time.Now().UnixMilli()

	type sent struct {
		partition  int32
		key, value []byte
		ts         int64
		headers    []kgo.RecordHeader
	}
	var all []sent
	// Explicit partitions, timestamps going backwards inside a batch,
	// tombstones, empty (not null) keys and values, and headers with a
	// null value.
	for i := range 50 {
		s := sent{partition: int32(i % 3), key: fmt.Appendf(nil, "k%d", i), value: fmt.Appendf(nil, "v%d", i), ts: base - int64(i)}
		switch i % 5 {
		case 1:
			s.value = nil
		case 2:
			s.key, s.value = []byte{}, []byte{}
		case 3:
			s.headers = []kgo.RecordHeader{{Key: "h1", Value: []byte("x")}, {Key: "h2"}}
		}
		all = append(all, s)
	}
	// Enough bytes for one partition to need several batches.
	big := make([]byte, 10<<10)
	for i := range 300 {
		rand.Read(big)
		all = append(all, sent{partition: 1, key: fmt.Appendf(nil, "big%d", i), value: bytes.Clone(big), ts: base})
	}
	for _, s := range all {
		f.c.send("out", s.partition, s.key, s.value, s.ts, s.headers)
	}
	if err := f.flush(t); err != nil {
		t.Fatal(err)
	}

	got := readTopic(t, f.addr, "out", len(all))
	if len(got) != len(all) {
		t.Fatalf("read %d records, sent %d", len(got), len(all))
	}
	next := map[int32]int{} // per partition: index into the sent records of that partition
	byPartition := map[int32][]sent{}
	for _, s := range all {
		byPartition[s.partition] = append(byPartition[s.partition], s)
	}
	for _, r := range got {
		i := next[r.Partition]
		next[r.Partition]++
		want := byPartition[r.Partition][i]
		if r.Offset != int64(i) {
			t.Errorf("partition %d: record %d at offset %d", r.Partition, i, r.Offset)
		}
		if !bytes.Equal(r.Key, want.key) || (r.Key == nil) != (want.key == nil) {
			t.Errorf("partition %d offset %d: key %q, want %q", r.Partition, r.Offset, r.Key, want.key)
		}
		if !bytes.Equal(r.Value, want.value) || (r.Value == nil) != (want.value == nil) {
			t.Errorf("partition %d offset %d: value of %d bytes (nil %v), want %d (nil %v)", r.Partition, r.Offset, len(r.Value), r.Value == nil, len(want.value), want.value == nil)
		}
		if r.Timestamp.UnixMilli() != want.ts {
			t.Errorf("partition %d offset %d: timestamp %d, want %d", r.Partition, r.Offset, r.Timestamp.UnixMilli(), want.ts)
		}
		if len(r.Headers) != len(want.headers) {
			t.Errorf("partition %d offset %d: headers %v, want %v", r.Partition, r.Offset, r.Headers, want.headers)
			continue
		}
		for j, h := range r.Headers {
			if h.Key != want.headers[j].Key || !bytes.Equal(h.Value, want.headers[j].Value) || (h.Value == nil) != (want.headers[j].Value == nil) {
				t.Errorf("partition %d offset %d: header %d = %q:%q, want %q:%q", r.Partition, r.Offset, j, h.Key, h.Value, want.headers[j].Key, want.headers[j].Value)
			}
		}
	}
	if len(f.failed) > 0 {
		t.Errorf("handler saw failures: %v", f.errs)
	}
}

// A record without a partition goes where Kafka's default partitioner puts
// it: murmur2 of the key, so Java clients and Runnel agree on co-partitioning.
func TestCollectorDefaultPartitionerMatchesKafka(t *testing.T) {
	f := newCollectorFixture(t, true)
	createTopics(t, f.addr, 5, "keyed")
	keys := []string{"apple", "banana", "cherry", "damson", "elder", "fig", "grape", "hazel", "plum", "blackcurrant", ""}
	for _, k := range keys {
		f.c.send("keyed", -1, []byte(k), []byte(k), 0, nil)
	}
	if err := f.flush(t); err != nil {
		t.Fatal(err)
	}
	// Kafka's murmur2 partition of these keys over 5 partitions, as the
	// Java producer computes it (Utils.toPositive(Utils.murmur2(key)) % 5).
	want := map[string]int32{}
	hasher := kgo.StickyKeyPartitioner(nil).ForTopic("keyed")
	for _, k := range keys {
		want[k] = int32(hasher.Partition(&kgo.Record{Key: []byte(k)}, 5))
	}
	for _, r := range readTopic(t, f.addr, "keyed", len(keys)) {
		if r.Partition != want[string(r.Key)] {
			t.Errorf("key %s in partition %d, want %d", r.Key, r.Partition, want[string(r.Key)])
		}
	}
}

func TestCollectorChangelogOffsetsAcknowledged(t *testing.T) {
	f := newCollectorFixture(t, true)
	createTopics(t, f.addr, 2, "store-changelog")
	for i := range 7 {
		f.c.sendChangelog("store-changelog", 1, []byte("k"), fmt.Appendf(nil, "%d", i), 0)
	}
	f.c.dispatch()
	for i := range 3 {
		f.c.sendChangelog("store-changelog", 1, []byte("k"), fmt.Appendf(nil, "%d", i), 0)
	}
	if err := f.flush(t); err != nil {
		t.Fatal(err)
	}
	next, ok := f.c.changelogs.next("store-changelog", 1)
	if !ok || next != 10 {
		t.Fatalf("changelog next offset = %d, %v; want 10 (ten records acknowledged)", next, ok)
	}
	if _, ok := f.c.changelogs.next("store-changelog", 0); ok {
		t.Error("partition 0 has an acknowledged offset but nothing was written to it")
	}
}

// A batch the broker refuses as too large is split: only the record that
// is too large on its own fails; its neighbours land, in order.
func TestCollectorSplitsBatchTooLarge(t *testing.T) {
	f := newCollectorFixture(t, false)
	resp, err := kadm.NewClient(f.cl).CreateTopic(context.Background(), 1, 1, map[string]*string{"max.message.bytes": kadm.StringPtr("2048")}, "small")
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 4096)
	rand.Read(big)
	f.c.send("small", 0, []byte("a"), []byte("first"), 0, nil)
	f.c.send("small", 0, []byte("b"), big, 0, nil)
	f.c.send("small", 0, []byte("c"), []byte("last"), 0, nil)
	if err := f.flush(t); err != nil {
		t.Fatal(err)
	}
	if len(f.failed) != 1 || string(f.failed[0].Key) != "b" || !bytes.Equal(f.failed[0].Value, big) {
		t.Fatalf("handler saw %d records %v, want only b", len(f.failed), f.failed)
	}
	if !errors.Is(f.errs[0], kerr.MessageTooLarge) {
		t.Errorf("error = %v, want MESSAGE_TOO_LARGE", f.errs[0])
	}
	got := readTopic(t, f.addr, "small", 2)
	if len(got) != 2 || string(got[0].Value) != "first" || string(got[1].Value) != "last" {
		t.Fatalf("topic holds %v, want first, last", got)
	}
}

// A partition that never appears fails its records once the delivery
// timeout passes, and the handler's choice to fail reaches flush.
func TestCollectorGivesUpAfterDeliveryTimeout(t *testing.T) {
	f := newCollectorFixture(t, true)
	createTopics(t, f.addr, 1, "one")
	f.c.deliveryTimeout = 500 * time.Millisecond
	f.c.send("one", 3, []byte("k"), []byte("v"), 0, nil)
	err := f.flush(t)
	if !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("flush = %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
	if len(f.failed) != 1 || string(f.failed[0].Value) != "v" || f.failed[0].Partition != 3 {
		t.Fatalf("handler saw %v", f.failed)
	}
}

func TestMurmur2MatchesKafkaForEveryKeyLength(t *testing.T) {
	hasher := kgo.StickyKeyPartitioner(nil).ForTopic("t")
	key := make([]byte, 64)
	for n := range len(key) {
		for range 20 {
			rand.Read(key[:n])
			want := hasher.Partition(&kgo.Record{Key: key[:n]}, 1009)
			if got := int(murmur2(key[:n])&0x7fffffff) % 1009; got != want {
				t.Fatalf("key %x: partition %d, Kafka's %d", key[:n], got, want)
			}
		}
	}
}
