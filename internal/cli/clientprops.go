package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// propHandler turns one Kafka client property value into franz-go options.
type propHandler func(v string) ([]kgo.Opt, error)

// clientPropTable is the set of Kafka client properties a tool accepts,
// with how each maps onto franz-go.
type clientPropTable map[string]propHandler

// commonClientProps apply to every client: admin, producer and consumer.
var commonClientProps = clientPropTable{
	"client.id":               func(v string) ([]kgo.Opt, error) { return []kgo.Opt{kgo.ClientID(v)}, nil },
	"metadata.max.age.ms":     msOpt(func(d time.Duration) kgo.Opt { return kgo.MetadataMaxAge(d) }),
	"connections.max.idle.ms": msOpt(func(d time.Duration) kgo.Opt { return kgo.ConnIdleTimeout(d) }),
	"socket.connection.setup.timeout.ms": msOpt(func(d time.Duration) kgo.Opt {
		return kgo.DialTimeout(d)
	}),
	"retry.backoff.ms": msOpt(func(d time.Duration) kgo.Opt {
		return kgo.RetryBackoffFn(func(int) time.Duration { return d })
	}),
	"request.timeout.ms": msOpt(func(d time.Duration) kgo.Opt { return kgo.RequestTimeoutOverhead(d) }),
}

// autoCreateProp is Kafka's allow.auto.create.topics: producers and
// consumers ask the broker to create a missing topic unless told not to.
func autoCreateProp(v string) ([]kgo.Opt, error) {
	b, ok := parseBoolProperty(v)
	if !ok {
		return nil, fmt.Errorf("expected true or false")
	}
	if b {
		return []kgo.Opt{kgo.AllowAutoTopicCreation()}, nil
	}
	return nil, nil
}

var producerClientProps = clientPropTable{
	"allow.auto.create.topics": autoCreateProp,
	// For a producer, Kafka's request.timeout.ms bounds the wait for
	// produce acknowledgements.
	"request.timeout.ms": msOpt(func(d time.Duration) kgo.Opt { return kgo.ProduceRequestTimeout(d) }),
	"acks": func(v string) ([]kgo.Opt, error) {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "all", "-1":
			return []kgo.Opt{kgo.RequiredAcks(kgo.AllISRAcks())}, nil
		case "1":
			return []kgo.Opt{kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()}, nil
		case "0":
			return []kgo.Opt{kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite()}, nil
		}
		return nil, fmt.Errorf("expected all, -1, 1 or 0")
	},
	"enable.idempotence": func(v string) ([]kgo.Opt, error) {
		b, ok := parseBoolProperty(v)
		if !ok {
			return nil, fmt.Errorf("expected true or false")
		}
		if !b {
			return []kgo.Opt{kgo.DisableIdempotentWrite()}, nil
		}
		return nil, nil
	},
	"compression.type": func(v string) ([]kgo.Opt, error) {
		c, err := compressionCodec(v)
		if err != nil {
			return nil, err
		}
		return []kgo.Opt{kgo.ProducerBatchCompression(c)}, nil
	},
	"linger.ms":           msOpt(func(d time.Duration) kgo.Opt { return kgo.ProducerLinger(d) }),
	"delivery.timeout.ms": msOpt(func(d time.Duration) kgo.Opt { return kgo.RecordDeliveryTimeout(d) }),
	"batch.size": intOpt(1, func(n int) kgo.Opt {
		return kgo.ProducerBatchMaxBytes(int32(min(n, 1<<30)))
	}),
	"max.request.size": intOpt(1, func(n int) kgo.Opt { return kgo.BrokerMaxWriteBytes(int32(min(n, 1<<30))) }),
	"buffer.memory":    intOpt(1, func(n int) kgo.Opt { return kgo.MaxBufferedBytes(n) }),
	"retries":          intOpt(0, func(n int) kgo.Opt { return kgo.RecordRetries(n) }),
	"max.in.flight.requests.per.connection": intOpt(1, func(n int) kgo.Opt {
		return kgo.MaxProduceRequestsInflightPerBroker(n)
	}),
}

var consumerClientProps = clientPropTable{
	"allow.auto.create.topics": autoCreateProp,
	"isolation.level": func(v string) ([]kgo.Opt, error) {
		switch strings.ToLower(v) {
		case "read_uncommitted":
			return []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadUncommitted())}, nil
		case "read_committed":
			return []kgo.Opt{kgo.FetchIsolationLevel(kgo.ReadCommitted())}, nil
		}
		return nil, fmt.Errorf("expected read_uncommitted or read_committed")
	},
	"fetch.max.bytes":           intOpt(1, func(n int) kgo.Opt { return kgo.FetchMaxBytes(int32(min(n, 1<<30))) }),
	"max.partition.fetch.bytes": intOpt(1, func(n int) kgo.Opt { return kgo.FetchMaxPartitionBytes(int32(min(n, 1<<30))) }),
	"fetch.min.bytes":           intOpt(1, func(n int) kgo.Opt { return kgo.FetchMinBytes(int32(min(n, 1<<30))) }),
	"fetch.max.wait.ms":         msOpt(func(d time.Duration) kgo.Opt { return kgo.FetchMaxWait(d) }),
	"session.timeout.ms":        msOpt(func(d time.Duration) kgo.Opt { return kgo.SessionTimeout(d) }),
	"heartbeat.interval.ms":     msOpt(func(d time.Duration) kgo.Opt { return kgo.HeartbeatInterval(d) }),
	"max.poll.interval.ms":      msOpt(func(d time.Duration) kgo.Opt { return kgo.RebalanceTimeout(d) }),
	"auto.commit.interval.ms":   msOpt(func(d time.Duration) kgo.Opt { return kgo.AutoCommitInterval(d) }),
	"group.instance.id":         func(v string) ([]kgo.Opt, error) { return []kgo.Opt{kgo.InstanceID(v)}, nil },
	"partition.assignment.strategy": func(v string) ([]kgo.Opt, error) {
		var bs []kgo.GroupBalancer
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			// Kafka names assignors by Java class; accept the class name
			// or its short form.
			short := strings.ToLower(name[strings.LastIndex(name, ".")+1:])
			switch short {
			case "rangeassignor", "range":
				bs = append(bs, kgo.RangeBalancer())
			case "roundrobinassignor", "roundrobin":
				bs = append(bs, kgo.RoundRobinBalancer())
			case "stickyassignor", "sticky":
				bs = append(bs, kgo.StickyBalancer())
			case "cooperativestickyassignor", "cooperative-sticky":
				bs = append(bs, kgo.CooperativeStickyBalancer())
			default:
				return nil, fmt.Errorf("unknown assignor %q: expected RangeAssignor, RoundRobinAssignor, StickyAssignor or CooperativeStickyAssignor", name)
			}
		}
		return []kgo.Opt{kgo.Balancers(bs...)}, nil
	},
}

func compressionCodec(v string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "none", "":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("expected none, gzip, snappy, lz4 or zstd, got %q", v)
}

func msOpt(f func(time.Duration) kgo.Opt) propHandler {
	return func(v string) ([]kgo.Opt, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("expected a non-negative number of milliseconds, got %q", v)
		}
		return []kgo.Opt{f(time.Duration(n) * time.Millisecond)}, nil
	}
}

func intOpt(minimum int, f func(int) kgo.Opt) propHandler {
	return func(v string) ([]kgo.Opt, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < minimum {
			return nil, fmt.Errorf("expected an integer >= %d, got %q", minimum, v)
		}
		return []kgo.Opt{f(n)}, nil
	}
}

// applyClientProps consumes every key of m found in one of the tables (or
// in the security settings) and returns the franz-go options. A key no
// table knows is an error: silently ignoring a misspelled property is
// worse than refusing it.
func applyClientProps(kind string, m *propertyMap, tables ...clientPropTable) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	sec, err := takeSecurityProps(m)
	if err != nil {
		return nil, err
	}
	opts = append(opts, sec...)
	// The tool's own tables come first so that they can give a common
	// key a tool-specific meaning.
	all := append(slices.Clone(tables), commonClientProps)
	for _, k := range m.keys() {
		for _, t := range all {
			h, ok := t[k]
			if !ok {
				continue
			}
			v, src, _ := m.take(k)
			o, err := h(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", src, k, err)
			}
			opts = append(opts, o...)
			break
		}
	}
	if rest := m.keys(); len(rest) > 0 {
		k := rest[0]
		var known []string
		for _, t := range all {
			for name := range t {
				known = append(known, name)
			}
		}
		known = append(known, securityPropNames...)
		sortStrings(known)
		known = slices.Compact(known)
		return nil, fmt.Errorf("%s: unknown %s property %q; supported: %s", m.sources[k], kind, k, strings.Join(known, ", "))
	}
	return opts, nil
}
