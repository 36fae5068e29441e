package workers_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// benchLines is the size of the file the throughput benchmarks move.
const benchLines = 1_000_000

func writeBenchFile(b *testing.B, path string) int64 {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < benchLines; i++ {
		fmt.Fprintf(w, "%07d some text to make the line typical %d\n", i, i*7)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	return st.Size()
}

func endOffset(b *testing.B, adm *kadm.Client, topic string) int64 {
	// Short timeout: until the topic exists the request is retried, and a
	// long wait here would be counted as transfer time.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	offs, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0
	}
	var n int64
	offs.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			n += o.Offset
		}
	})
	return n
}

// BenchmarkFileSourceToTopic measures FileStreamSource throughput: a
// 1,000,000-line file into a topic (StringConverter), from connector
// creation until the topic holds every line.
//
//	go test -run '^$' -bench FileSourceToTopic -benchtime 1x ./workers/
func BenchmarkFileSourceToTopic(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		br := startBroker(b)
		w := startWorker(b, br, withProps("key.converter", "org.apache.kafka.connect.storage.StringConverter",
			"value.converter", "org.apache.kafka.connect.storage.StringConverter", "offset.flush.interval.ms", "10000"))
		in := filepath.Join(w.dir, "in.txt")
		writeBenchFile(b, in)
		cl, err := kgo.NewClient(kgo.SeedBrokers(br.Addr()))
		if err != nil {
			b.Fatal(err)
		}
		adm := kadm.NewClient(cl)
		// Create the topic up front: the admin client would otherwise cache
		// "unknown topic" for its metadata age and under-report progress.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := adm.CreateTopic(ctx, 1, 1, nil, "bench"); err != nil {
			b.Fatal(err)
		}
		cancel()
		b.StartTimer()
		start := time.Now()
		w.call("POST", "/connectors", map[string]any{"name": "src", "config": map[string]string{
			"connector.class": "FileStreamSource", "file": in, "topic": "bench"}}, nil)
		for n := endOffset(b, adm, "bench"); n < benchLines; n = endOffset(b, adm, "bench") {
			if os.Getenv("BENCH_DEBUG") != "" {
				b.Logf("%v %d", time.Since(start), n)
			}
			time.Sleep(20 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(benchLines)/elapsed.Seconds(), "lines/s")
		cl.Close()
		w.close()
	}
}

// BenchmarkTopicToFileSink measures FileStreamSink throughput: 1,000,000
// records already in a topic written to a file, from connector creation
// until the file holds every line.
//
//	go test -run '^$' -bench TopicToFileSink -benchtime 1x ./workers/
func BenchmarkTopicToFileSink(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		br := startBroker(b)
		// The sink writes through a buffer made durable on each offset
		// flush; a 100ms interval bounds the measurement error.
		w := startWorker(b, br, withProps("key.converter", "org.apache.kafka.connect.storage.StringConverter",
			"value.converter", "org.apache.kafka.connect.storage.StringConverter", "offset.flush.interval.ms", "100"))
		cl, err := kgo.NewClient(kgo.SeedBrokers(br.Addr()), kgo.AllowAutoTopicCreation(), kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(200_000))
		if err != nil {
			b.Fatal(err)
		}
		var size int64
		ctx := context.Background()
		for j := 0; j < benchLines; j++ {
			v := []byte(fmt.Sprintf("%07d some text to make the line typical %d", j, j*7))
			size += int64(len(v)) + 1
			cl.Produce(ctx, &kgo.Record{Topic: "bench", Value: v}, func(_ *kgo.Record, err error) {
				if err != nil {
					b.Error(err)
				}
			})
		}
		if err := cl.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		cl.Close()
		out := filepath.Join(w.dir, "out.txt")
		b.StartTimer()
		start := time.Now()
		w.call("POST", "/connectors", map[string]any{"name": "sink", "config": map[string]string{
			"connector.class": "FileStreamSink", "file": out, "topics": "bench"}}, nil)
		for {
			st, err := os.Stat(out)
			if err == nil && st.Size() >= size {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(benchLines)/elapsed.Seconds(), "lines/s")
		w.close()
	}
}
