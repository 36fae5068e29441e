package broker

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Run with: make bench-broker (or go test -run '^$' -bench . -benchtime 1x ./broker)

const benchRecordBytes = 100

// produceBench writes n records of benchRecordBytes to topic through one
// batching, acks=all producer and waits for every acknowledgement.
func produceBench(b *testing.B, addr, topic string, n int) time.Duration {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(200_000), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	value := []byte(strings.Repeat("x", benchRecordBytes))
	ctx := context.Background()
	errs := make(chan error, 1)
	start := time.Now()
	for i := 0; i < n; i++ {
		cl.Produce(ctx, &kgo.Record{Topic: topic, Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	select {
	case err := <-errs:
		b.Fatalf("produce: %v", err)
	default:
	}
	return time.Since(start)
}

func consumeBench(b *testing.B, addr, topic string, n int) time.Duration {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxBytes(64<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	got := 0
	for got < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			b.Fatalf("consumed %d of %d: %v", got, n, err)
		}
		got += fs.NumRecords()
	}
	return time.Since(start)
}

func createBenchTopic(b *testing.B, addr, topic string, partitions int32) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(context.Background(), partitions, 1, nil, topic); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkThroughput1M produces then consumes 1,000,000 records of 100
// bytes on a persistent broker (4 partitions).
func BenchmarkThroughput1M(b *testing.B) {
	const n = 1_000_000
	for i := 0; i < b.N; i++ {
		br, err := Start(context.Background(), Config{DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		createBenchTopic(b, br.Addr(), "bench", 4)
		pd := produceBench(b, br.Addr(), "bench", n)
		cd := consumeBench(b, br.Addr(), "bench", n)
		br.Close()
		mb := float64(n*benchRecordBytes) / (1 << 20)
		b.ReportMetric(float64(n)/pd.Seconds(), "produce-rec/s")
		b.ReportMetric(mb/pd.Seconds(), "produce-MiB/s")
		b.ReportMetric(float64(n)/cd.Seconds(), "consume-rec/s")
		b.ReportMetric(mb/cd.Seconds(), "consume-MiB/s")
	}
}

// BenchmarkRestart1GB fills a data directory with about 1 GiB of records
// (1 KiB each) through a broker process, stops it cleanly, and measures how
// long a new broker process takes to start on that directory and its
// resident memory once started and after serving the whole log once.
func BenchmarkRestart1GB(b *testing.B) {
	if os.Getenv("RUNNEL_BENCH_1GB") == "" {
		b.Skip("set RUNNEL_BENCH_1GB=1 (writes 1 GiB to the temp dir)")
	}
	const recBytes = 1024
	const n = 1 << 20
	dir := b.TempDir()
	cmd, addr := startChildBrokerB(b, dir)
	createBenchTopic(b, addr, "big", 4)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		b.Fatal(err)
	}
	// Random values: kgo compresses batches, and repeated bytes would
	// shrink 1 GiB to a few megabytes on disk.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		value := make([]byte, recBytes)
		for j := 0; j < recBytes; j += 8 {
			binary.LittleEndian.PutUint64(value[j:], rng.Uint64())
		}
		cl.Produce(context.Background(), &kgo.Record{Topic: "big", Value: value}, nil)
	}
	if err := cl.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	cl.Close()
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()

	dataMiB := float64(dirBytes(b, dir)) / (1 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		began := time.Now()
		cmd, addr := startChildBrokerB(b, dir)
		ready := time.Since(began)
		rssStart := rssMiB(cmd.Process.Pid)
		cd := consumeBench(b, addr, "big", n)
		rssServed := rssMiB(cmd.Process.Pid)
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		b.ReportMetric(dataMiB, "data-dir-MiB")
		b.ReportMetric(ready.Seconds(), "restart-s")
		b.ReportMetric(rssStart, "rss-after-start-MiB")
		b.ReportMetric(rssServed, "rss-after-read-MiB")
		b.ReportMetric(float64(n*recBytes)/(1<<20)/cd.Seconds(), "read-MiB/s")
	}
}

func startChildBrokerB(b *testing.B, dir string) (*exec.Cmd, string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "RUNNEL_TEST_BROKER_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("child broker did not start: %v", err)
	}
	return cmd, strings.Fields(line)[1]
}

func dirBytes(b *testing.B, dir string) int64 {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			total += info.Size()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}

// rssMiB reads a process's resident set size from /proc.
func rssMiB(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return -1
}
