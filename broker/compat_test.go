package broker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
)

// TestSaramaCompatibility drives the bundled broker with IBM's sarama, a
// client Runnel did not write: it produces, consumes in a consumer group,
// commits, and the commits are then read back through franz-go's kadm.
func TestSaramaCompatibility(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := broker.Start(ctx, broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	const (
		topic      = "sarama-compat"
		group      = "sarama-group"
		partitions = 3
		records    = 300
	)
	kcl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer kcl.Close()
	adm := kadm.NewClient(kcl)
	if _, err := adm.CreateTopic(ctx, partitions, 1, nil, topic); err != nil {
		t.Fatalf("creating topic: %v", err)
	}

	for _, version := range []sarama.KafkaVersion{sarama.V2_8_0_0, sarama.V3_6_0_0} {
		t.Run(version.String(), func(t *testing.T) {
			cfg := sarama.NewConfig()
			cfg.Version = version
			cfg.ClientID = "runnel-compat"
			cfg.Producer.RequiredAcks = sarama.WaitForAll
			cfg.Producer.Return.Successes = true
			cfg.Producer.Partitioner = sarama.NewHashPartitioner
			cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
			cfg.Consumer.Offsets.AutoCommit.Enable = false
			cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
			if version == sarama.V3_6_0_0 {
				cfg.Producer.Idempotent = true
				cfg.Net.MaxOpenRequests = 1
			}
			runSaramaRoundTrip(t, ctx, b.Addr(), cfg, adm, topic, group+"-"+version.String(), records)
		})
	}
}

func runSaramaRoundTrip(t *testing.T, ctx context.Context, addr string, cfg *sarama.Config, adm *kadm.Client, topic, group string, records int) {
	startOffsets, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	producer, err := sarama.NewSyncProducer([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("sarama producer: %v", err)
	}
	msgs := make([]*sarama.ProducerMessage, records)
	want := map[string]string{}
	for i := range msgs {
		k, v := fmt.Sprintf("%s-key-%d", group, i), fmt.Sprintf("value-%d", i)
		want[k] = v
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(k), Value: sarama.StringEncoder(v)}
	}
	if err := producer.SendMessages(msgs); err != nil {
		t.Fatalf("sarama produce: %v", err)
	}
	if err := producer.Close(); err != nil {
		t.Fatal(err)
	}

	cg, err := sarama.NewConsumerGroup([]string{addr}, group, cfg)
	if err != nil {
		t.Fatalf("sarama consumer group: %v", err)
	}
	defer cg.Close()
	h := &collectHandler{want: want, done: make(chan struct{}), got: map[string]string{}}
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	consumeErr := make(chan error, 1)
	go func() {
		for cctx.Err() == nil {
			if err := cg.Consume(cctx, []string{topic}, h); err != nil {
				consumeErr <- err
				return
			}
		}
		consumeErr <- nil
	}()
	select {
	case <-h.done:
	case err := <-consumeErr:
		t.Fatalf("sarama consume ended early: %v", err)
	case <-ctx.Done():
		t.Fatalf("sarama consumed %d of %d records before the deadline", h.count(), records)
	}
	stop()
	if err := <-consumeErr; err != nil {
		t.Fatalf("sarama consume: %v", err)
	}

	h.mu.Lock()
	for k, v := range want {
		if h.got[k] != v {
			t.Errorf("record %s: got %q, want %q", k, h.got[k], v)
		}
	}
	h.mu.Unlock()

	// The commits sarama made are what kadm reads back: every partition
	// committed up to its end offset.
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("kadm fetch offsets: %v", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	ends.Each(func(e kadm.ListedOffset) {
		c, ok := committed.Lookup(topic, e.Partition)
		if !ok || c.Err != nil {
			t.Errorf("partition %d: no committed offset (%v)", e.Partition, c.Err)
			return
		}
		if c.At != e.Offset {
			t.Errorf("partition %d: committed %d, end offset %d", e.Partition, c.At, e.Offset)
		}
		start, _ := startOffsets.Lookup(topic, e.Partition)
		total += c.At - start.Offset
	})
	if total != int64(records) {
		t.Errorf("committed offsets cover %d records, want %d", total, records)
	}
	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	if d := described[group]; d.Err != nil || d.ProtocolType != "consumer" {
		t.Errorf("group as kadm describes it: %+v", d)
	}
}

// collectHandler records every message, marks it, and commits once all
// expected records have been seen. Earlier records of the topic (from
// another round) are marked but not counted.
type collectHandler struct {
	want map[string]string
	done chan struct{}
	once sync.Once

	mu  sync.Mutex
	got map[string]string
	n   int
}

func (h *collectHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func (h *collectHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *collectHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *collectHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			sess.MarkMessage(m, "")
			h.mu.Lock()
			if _, wanted := h.want[string(m.Key)]; wanted {
				if _, dup := h.got[string(m.Key)]; !dup {
					h.n++
				}
				h.got[string(m.Key)] = string(m.Value)
			}
			all := h.n >= len(h.want)
			h.mu.Unlock()
			if all {
				sess.Commit()
				h.once.Do(func() { close(h.done) })
			}
		case <-sess.Context().Done():
			return nil
		}
	}
}
