package streams

import (
	"context"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

func startBrokerB(tb testing.TB) string {
	b, err := broker.Start(context.Background(), broker.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	return b.Addr()
}

func createTopicsB(tb testing.TB, addr string, partitions int32, topics ...string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopics(context.Background(), partitions, 1, nil, topics...)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		tb.Fatal(err)
	}
}

func passThroughB(tb testing.TB, in, out string) *topology.Topology {
	top, err := topology.NewBuilder().
		AddSource("Source", topology.Source[[]byte, []byte]{Topics: []string{in}, KeySerde: serde.Bytes(), ValueSerde: serde.Bytes()}).
		AddSink("Sink", topology.Sink[[]byte, []byte]{Topic: out, KeySerde: serde.Bytes(), ValueSerde: serde.Bytes()}, "Source").
		Build()
	if err != nil {
		tb.Fatal(err)
	}
	return top
}

func committedTotal(tb testing.TB, addr, group, topic string) int64 {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		tb.Fatal(err)
	}
	defer cl.Close()
	offs, err := kadm.NewClient(cl).FetchOffsets(context.Background(), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return 0
	}
	if err != nil {
		tb.Fatal(err)
	}
	var total int64
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic {
			total += o.At
		}
	})
	return total
}
