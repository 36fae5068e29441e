package cdc

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/convert"
)

// benchRows is the number of rows per benchmark iteration
// (RUNNEL_CDC_BENCH_ROWS, default 1,000,000).
func benchRows(b *testing.B) int {
	if s := os.Getenv("RUNNEL_CDC_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("RUNNEL_CDC_BENCH_ROWS=%q", s)
		}
		return n
	}
	return 1_000_000
}

// copyRows loads n rows with COPY in one transaction, the reference for
// how fast PostgreSQL takes the data in.
func copyRows(b *testing.B, h *harness, first, n int) time.Duration {
	b.Helper()
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	rows := make([][]any, n)
	for i := range rows {
		id := int64(first + i)
		rows[i] = []any{id, "customer-" + strconv.FormatInt(id, 10), "12.34", created}
	}
	start := time.Now()
	if _, err := h.db.Pool.CopyFrom(context.Background(), pgx.Identifier{"bench"}, []string{"id", "name", "amount", "created"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatalf("COPY: %v", err)
	}
	return time.Since(start)
}

func benchHarness(b *testing.B) *harness {
	h := newHarnessTB(b, map[string]string{keySnapshotMode: "no_data", keyStatusInterval: "1000", keyMaxBatchSize: "4096", keyMaxQueueSize: "65536"})
	h.db.Exec(b, `CREATE TABLE bench (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), created timestamptz)`)
	if err := h.start(); err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkCDC measures, per iteration, a COPY of RUNNEL_CDC_BENCH_ROWS rows
// in one transaction (copy_s, the reference) and the time from its commit
// until the last change event is produced: returned by Poll (poll) or
// converted with the JsonConverter and acknowledged by the bundled broker
// (kafka). Run with -benchtime=1x.
func BenchmarkCDC(b *testing.B) {
	b.Run("poll", func(b *testing.B) {
		n := benchRows(b)
		h := benchHarness(b)
		var copyTotal, cdcTotal time.Duration
		for i := 0; i < b.N; i++ {
			copyTotal += copyRows(b, h, i*n, n)
			start := time.Now()
			got := 0
			var last connect.SourceRecord
			for got < n {
				recs, err := h.task.Poll(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				got += len(recs)
				if len(recs) > 0 {
					last = recs[len(recs)-1]
				}
			}
			cdcTotal += time.Since(start)
			h.offsets.store(last.SourcePartition, last.SourceOffset)
			if err := h.task.Commit(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		report(b, n, copyTotal, cdcTotal)
	})
	b.Run("kafka", func(b *testing.B) {
		n := benchRows(b)
		h := benchHarness(b)
		br, err := broker.Start(context.Background(), broker.Config{AutoCreateTopics: true, DefaultPartitions: 1})
		if err != nil {
			b.Fatal(err)
		}
		defer br.Close()
		cl, err := kgo.NewClient(kgo.SeedBrokers(br.Addr()), kgo.AllowAutoTopicCreation(), kgo.ProducerLinger(5*time.Millisecond),
			kgo.MaxBufferedRecords(200_000), kgo.ProducerBatchMaxBytes(4<<20))
		if err != nil {
			b.Fatal(err)
		}
		defer cl.Close()
		keys, values := convert.NewJSONConverter(), convert.NewJSONConverter()
		if err := keys.Configure(map[string]string{}, true); err != nil {
			b.Fatal(err)
		}
		if err := values.Configure(map[string]string{}, false); err != nil {
			b.Fatal(err)
		}
		var copyTotal, cdcTotal time.Duration
		for i := 0; i < b.N; i++ {
			copyTotal += copyRows(b, h, i*n, n)
			start := time.Now()
			var acked atomic.Int64
			var failed atomic.Value
			done := make(chan struct{})
			produced := 0
			var last connect.SourceRecord
			for produced < n {
				recs, err := h.task.Poll(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				for j := range recs {
					r := &recs[j]
					k, err := keys.FromConnectData(r.Topic, nil, r.KeySchema, r.Key)
					if err != nil {
						b.Fatal(err)
					}
					v, err := values.FromConnectData(r.Topic, nil, r.ValueSchema, r.Value)
					if err != nil {
						b.Fatal(err)
					}
					cl.Produce(context.Background(), &kgo.Record{Topic: r.Topic, Key: k, Value: v}, func(_ *kgo.Record, err error) {
						if err != nil {
							failed.Store(err)
						}
						if acked.Add(1) == int64(n) {
							close(done)
						}
					})
				}
				produced += len(recs)
				if len(recs) > 0 {
					last = recs[len(recs)-1]
				}
			}
			<-done
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			cdcTotal += time.Since(start)
			h.offsets.store(last.SourcePartition, last.SourceOffset)
			if err := h.task.Commit(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		report(b, n, copyTotal, cdcTotal)
	})
}

func report(b *testing.B, n int, copyTotal, cdcTotal time.Duration) {
	iters := float64(b.N)
	b.ReportMetric(copyTotal.Seconds()/iters, "copy_s")
	b.ReportMetric(cdcTotal.Seconds()/iters, "cdc_s")
	b.ReportMetric(float64(n)*iters/copyTotal.Seconds(), "copy_rows/s")
	b.ReportMetric(float64(n)*iters/cdcTotal.Seconds(), "cdc_rows/s")
}

// BenchmarkRawPgoutput is the floor for CDC: the time from the COPY's
// commit until a bare pgoutput consumer has received every insert message,
// with no decoding beyond the message type.
func BenchmarkRawPgoutput(b *testing.B) {
	n := benchRows(b)
	h := newHarnessTB(b, nil)
	h.db.Exec(b, `CREATE TABLE bench (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), created timestamptz)`)
	cfg, err := parseConfig(h.props)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	meta, err := connectQuery(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer meta.Close(ctx)
	if err := ensurePublication(ctx, meta, cfg, nil, testLogger); err != nil {
		b.Fatal(err)
	}
	repl, err := connectReplication(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer repl.Close(ctx)
	start, _, err := createSlot(ctx, repl, cfg.slotName, false)
	if err != nil {
		b.Fatal(err)
	}
	if err := pglogrepl.StartReplication(ctx, repl, cfg.slotName, pglogrepl.LSN(start), pglogrepl.StartReplicationOptions{
		Mode: pglogrepl.LogicalReplication, PluginArgs: []string{"proto_version '1'", "publication_names " + quoteLiteral(pgx.Identifier{cfg.publication}.Sanitize())}}); err != nil {
		b.Fatal(err)
	}
	var copyTotal, cdcTotal time.Duration
	for i := 0; i < b.N; i++ {
		copyTotal += copyRows(b, h, i*n, n)
		t0 := time.Now()
		got := 0
		for got < n {
			msg, err := repl.ReceiveMessage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if cd, ok := msg.(*pgproto3.CopyData); ok && len(cd.Data) > 25 && cd.Data[0] == 'w' && cd.Data[25] == 'I' {
				got++
			}
		}
		cdcTotal += time.Since(t0)
	}
	report(b, n, copyTotal, cdcTotal)
}
