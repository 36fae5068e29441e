package workers

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// clientRole selects which prefixed worker keys apply to a Kafka client:
// "producer.", "consumer." or "admin." (Kafka's Worker.baseProducerConfigs
// and friends), followed by the connector's "<role>.override." keys.
type clientRole string

const (
	roleProducer clientRole = "producer"
	roleConsumer clientRole = "consumer"
	roleAdmin    clientRole = "admin"
)

// clientProps merges, in increasing priority: unprefixed worker keys that
// every client inherits (bootstrap.servers, security settings), the
// worker's <role>.* keys and the connector's <role>.override.* keys.
func clientProps(worker map[string]string, role clientRole, connector map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range worker {
		if k == BootstrapServersConfig || strings.HasPrefix(k, "security.") || strings.HasPrefix(k, "sasl.") || strings.HasPrefix(k, "ssl.") || k == ClientIDConfig {
			out[k] = v
		}
	}
	for k, v := range connect.WithPrefix(worker, string(role)+".") {
		out[k] = v
	}
	for k, v := range connect.WithPrefix(connector, string(role)+".override.") {
		out[k] = v
	}
	return out
}

// kafkaOpts translates the Kafka client settings Runnel understands into
// franz-go options. Settings that only make sense for the Java client are
// ignored; a malformed value is an error naming the key.
func kafkaOpts(props map[string]string, role clientRole) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	bad := func(key, want string) error {
		return connect.InvalidValueError(string(role)+"."+key, props[key], want)
	}
	if v := props[BootstrapServersConfig]; strings.TrimSpace(v) != "" {
		opts = append(opts, kgo.SeedBrokers(connect.SplitList(v)...))
	}
	if v := props[ClientIDConfig]; v != "" {
		opts = append(opts, kgo.ClientID(v))
	}
	sec, err := securityOpts(props)
	if err != nil {
		return nil, err
	}
	opts = append(opts, sec...)
	ms := func(key string, apply func(time.Duration) kgo.Opt) error {
		v, ok := props[key]
		if !ok {
			return nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return bad(key, "expected a non-negative number of milliseconds")
		}
		opts = append(opts, apply(time.Duration(n)*time.Millisecond))
		return nil
	}
	bytesOpt := func(key string, apply func(int32) kgo.Opt) error {
		v, ok := props[key]
		if !ok {
			return nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || n <= 0 {
			return bad(key, "expected a positive number of bytes")
		}
		opts = append(opts, apply(int32(n)))
		return nil
	}
	switch role {
	case roleProducer:
		if err := ms("linger.ms", func(d time.Duration) kgo.Opt { return kgo.ProducerLinger(d) }); err != nil {
			return nil, err
		}
		if err := bytesOpt("batch.size", func(n int32) kgo.Opt { return kgo.ProducerBatchMaxBytes(n) }); err != nil {
			return nil, err
		}
		if err := bytesOpt("max.request.size", func(n int32) kgo.Opt { return kgo.ProducerBatchMaxBytes(n) }); err != nil {
			return nil, err
		}
		if v, ok := props["compression.type"]; ok {
			codec, ok := compressionCodecs[strings.ToLower(strings.TrimSpace(v))]
			if !ok {
				return nil, bad("compression.type", "expected one of none, gzip, snappy, lz4, zstd")
			}
			opts = append(opts, kgo.ProducerBatchCompression(codec))
		}
		if v, ok := props["acks"]; ok {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "all", "-1":
				opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
			case "1":
				opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
			case "0":
				opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
			default:
				return nil, bad("acks", "expected all, -1, 1 or 0")
			}
		}
	case roleConsumer:
		if err := bytesOpt("fetch.max.bytes", func(n int32) kgo.Opt { return kgo.FetchMaxBytes(n) }); err != nil {
			return nil, err
		}
		if err := bytesOpt("fetch.min.bytes", func(n int32) kgo.Opt { return kgo.FetchMinBytes(n) }); err != nil {
			return nil, err
		}
		if err := bytesOpt("max.partition.fetch.bytes", func(n int32) kgo.Opt { return kgo.FetchMaxPartitionBytes(n) }); err != nil {
			return nil, err
		}
		if err := ms("fetch.max.wait.ms", func(d time.Duration) kgo.Opt { return kgo.FetchMaxWait(d) }); err != nil {
			return nil, err
		}
		if err := ms("session.timeout.ms", func(d time.Duration) kgo.Opt { return kgo.SessionTimeout(d) }); err != nil {
			return nil, err
		}
		if err := ms("heartbeat.interval.ms", func(d time.Duration) kgo.Opt { return kgo.HeartbeatInterval(d) }); err != nil {
			return nil, err
		}
		if v, ok := props["isolation.level"]; ok {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "read_committed":
				opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
			case "read_uncommitted":
				opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
			default:
				return nil, bad("isolation.level", "expected read_committed or read_uncommitted")
			}
		}
		if v, ok := props["auto.offset.reset"]; ok {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "earliest":
				opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
			case "latest":
				opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
			default:
				return nil, bad("auto.offset.reset", "expected earliest or latest")
			}
		}
	}
	return opts, nil
}

var compressionCodecs = map[string]kgo.CompressionCodec{
	"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
	"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
}

var jaasOption = regexp.MustCompile(`(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"`)

// securityOpts handles security.protocol, sasl.mechanism with
// sasl.jaas.config (PLAIN and SCRAM) and TLS trust (system roots, or a PEM
// file in ssl.truststore.location with ssl.truststore.type=PEM).
func securityOpts(props map[string]string) ([]kgo.Opt, error) {
	proto := strings.ToUpper(strings.TrimSpace(props["security.protocol"]))
	var opts []kgo.Opt
	switch proto {
	case "", "PLAINTEXT", "SASL_PLAINTEXT":
	case "SSL", "SASL_SSL":
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if loc := strings.TrimSpace(props["ssl.truststore.location"]); loc != "" {
			if t := strings.ToUpper(strings.TrimSpace(props["ssl.truststore.type"])); t != "PEM" {
				return nil, connect.InvalidValueError("ssl.truststore.type", props["ssl.truststore.type"], "only PEM trust stores are supported")
			}
			pem, err := os.ReadFile(loc)
			if err != nil {
				return nil, connect.InvalidValueError("ssl.truststore.location", loc, err.Error())
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, connect.InvalidValueError("ssl.truststore.location", loc, "no PEM certificates found")
			}
			tc.RootCAs = pool
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	default:
		return nil, connect.InvalidValueError("security.protocol", props["security.protocol"], "expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
	}
	if !strings.HasPrefix(proto, "SASL_") {
		return opts, nil
	}
	fields := map[string]string{}
	for _, m := range jaasOption.FindAllStringSubmatch(props["sasl.jaas.config"], -1) {
		fields[m[1]] = strings.ReplaceAll(m[2], `\"`, `"`)
	}
	user, pass := fields["username"], fields["password"]
	switch mech := strings.ToUpper(strings.TrimSpace(props["sasl.mechanism"])); mech {
	case "", "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
	default:
		return nil, fmt.Errorf("sasl.mechanism %s is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 are)", mech)
	}
	return opts, nil
}
