package broker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

func startTestBroker(t *testing.T, cfg Config) *Broker {
	t.Helper()
	b, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func newClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produceN(t *testing.T, cl *kgo.Client, topic string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recs := make([]*kgo.Record, 0, n)
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprintf("value-%d", i))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// consumeAll reads every record of topic from the start in group (or
// directly when group is empty) until it has want records or times out.
func consumeAll(t *testing.T, addr, topic, group string, want int) []*kgo.Record {
	t.Helper()
	opts := []kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
	if group != "" {
		opts = append(opts, kgo.ConsumerGroup(group), kgo.DisableAutoCommit())
	}
	cl := newClient(t, addr, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before timeout", len(out), want)
		}
		if err := fs.Err0(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("fetch: %v", err)
		}
		out = append(out, fs.Records()...)
	}
	if group != "" {
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	return out
}

func TestRestartKeepsRecordsAndGroupOffsets(t *testing.T) {
	dir := t.TempDir()
	const n = 5000
	cfg := Config{DataDir: dir, DefaultPartitions: 3, AutoCreateTopics: true}

	b := startTestBroker(t, cfg)
	adm := kadm.NewClient(newClient(t, b.Addr()))
	if _, err := adm.CreateTopic(context.Background(), 3, 1, nil, "events"); err != nil {
		t.Fatal(err)
	}
	produceN(t, newClient(t, b.Addr()), "events", n)
	// A group consumes and commits the first pass.
	consumeAll(t, b.Addr(), "events", "g1", n)
	b.Close()

	b2 := startTestBroker(t, cfg)
	got := consumeAll(t, b2.Addr(), "events", "", n)
	seen := make(map[string]bool, n)
	for _, r := range got {
		if seen[string(r.Key)] {
			t.Fatalf("duplicate key %s after restart", r.Key)
		}
		seen[string(r.Key)] = true
		if want := "value-" + string(r.Key); string(r.Value) != want {
			t.Fatalf("key %s: value %q, want %q", r.Key, r.Value, want)
		}
	}
	if len(seen) != n {
		t.Fatalf("got %d distinct records after restart, want %d", len(seen), n)
	}

	adm2 := kadm.NewClient(newClient(t, b2.Addr()))
	offs, err := adm2.FetchOffsets(context.Background(), "g1")
	if err != nil {
		t.Fatal(err)
	}
	var committed int64
	offs.Each(func(o kadm.OffsetResponse) { committed += o.At })
	if committed != n {
		t.Fatalf("committed offsets after restart sum to %d, want %d", committed, n)
	}
}

func TestLockRefusesSecondBroker(t *testing.T) {
	dir := t.TempDir()
	startTestBroker(t, Config{DataDir: dir})
	_, err := Start(context.Background(), Config{DataDir: dir})
	if !errors.Is(err, ErrDataDirLocked) {
		t.Fatalf("second broker on %s: err = %v, want ErrDataDirLocked", dir, err)
	}
}

func TestLockReleasedOnClose(t *testing.T) {
	dir := t.TempDir()
	b, err := Start(context.Background(), Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	b2, err := Start(context.Background(), Config{DataDir: dir})
	if err != nil {
		t.Fatalf("restart after Close: %v", err)
	}
	b2.Close()
}

func TestOversizedFrameClosesOnlyThatConnection(t *testing.T) {
	b := startTestBroker(t, Config{MaxRequestBytes: 1 << 20, AutoCreateTopics: true})

	// A healthy client connected before the bad one.
	good := newClient(t, b.Addr())
	produceN(t, good, "healthy", 10)

	bad, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], 2<<30) // claims a 2 GiB request
	if _, err := bad.Write(hdr[:]); err != nil {
		t.Fatal(err)
	}
	_ = bad.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bad.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("broker kept the connection with an oversized frame open")
		}
	}

	produceN(t, good, "healthy", 10)
	if got := consumeAll(t, b.Addr(), "healthy", "", 20); len(got) != 20 {
		t.Fatalf("got %d records, want 20", len(got))
	}
}

func TestAdvertisedAddress(t *testing.T) {
	b := startTestBroker(t, Config{Listen: "127.0.0.1:0", Advertise: "broker.example:19092"})
	if b.Addr() != "broker.example:19092" {
		t.Fatalf("Addr = %q", b.Addr())
	}
	// Bootstrapping through the real port must return the advertised
	// address in metadata.
	_, port, _ := net.SplitHostPort(b.ListenAddr())
	adm := kadm.NewClient(newClient(t, "127.0.0.1:"+port))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	md, err := adm.BrokerMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Brokers) != 1 {
		t.Fatalf("brokers = %d, want exactly one", len(md.Brokers))
	}
	if h := md.Brokers[0]; h.Host != "broker.example" || h.Port != 19092 {
		t.Fatalf("metadata advertises %s:%d", h.Host, h.Port)
	}
}

func TestBadConfigRejected(t *testing.T) {
	_, err := Start(context.Background(), Config{SASLUsers: []SASLUser{{Mechanism: "GSSAPI", User: "u"}}})
	if err == nil {
		t.Fatal("GSSAPI accepted")
	}
	_, err = Start(context.Background(), Config{Advertise: "nohostport"})
	if err == nil {
		t.Fatal("advertise without port accepted")
	}
}

func TestSASLPlain(t *testing.T) {
	b := startTestBroker(t, Config{AutoCreateTopics: true, SASLUsers: []SASLUser{{Mechanism: "PLAIN", User: "alice", Password: "s3cret"}}})
	ok := newClient(t, b.Addr(), kgo.SASL(plain.Auth{User: "alice", Pass: "s3cret"}.AsMechanism()))
	produceN(t, ok, "secured", 3)

	wrong := newClient(t, b.Addr(), kgo.SASL(plain.Auth{User: "alice", Pass: "nope"}.AsMechanism()), kgo.RequestRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := wrong.Ping(ctx); err == nil {
		t.Fatal("wrong password authenticated")
	}
}
