package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/runnel-dev/runnel/internal/pgtest"
)

// The benchmarks move 1,000,000 rows of the shape below; run them with
//
//	go test -run '^$' -bench . -benchtime 1x ./connectors/postgres/
//
// Each reports rows/s. BenchmarkRawCopy is the reference: pgx COPY of the
// same rows with no connector in between.

const benchRows = 1_000_000

var benchKey = data.StructBuilder().Name("key").Field("id", data.Int64Schema).MustBuild()
var benchValue = data.StructBuilder().Name("row").
	Field("id", data.Int64Schema).
	Field("name", data.StringSchema).
	Field("amount", data.Float64Schema).
	Field("qty", data.Int32Schema).
	Field("at", data.TimestampSchema).
	MustBuild()

var benchEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func benchRecords(n int) []connect.SinkRecord {
	recs := make([]connect.SinkRecord, n)
	for i := range recs {
		id := int64(i)
		recs[i] = connect.SinkRecord{Topic: "bench", Offset: id,
			KeySchema: benchKey, Key: data.NewStruct(benchKey).MustPut("id", id),
			ValueSchema: benchValue, Value: data.NewStruct(benchValue).MustPut("id", id).
					MustPut("name", fmt.Sprintf("name-%d", i)).MustPut("amount", float64(i)*0.5).
					MustPut("qty", int32(i%1000)).MustPut("at", benchEpoch.Add(time.Duration(i)*time.Second))}
	}
	return recs
}

const benchDDL = `CREATE TABLE bench (id bigint PRIMARY KEY, name text NOT NULL, amount float8 NOT NULL, qty int NOT NULL, at timestamp NOT NULL)`

// BenchmarkSinkUpsert upserts 1M records through SinkTask.Put in batches
// the size a worker hands over (500 is Kafka's max.poll.records default),
// half of them a second time to exercise the update path.
func BenchmarkSinkUpsert(b *testing.B) {
	recs := benchRecords(benchRows)
	for _, batch := range []int{500, 5000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			for range b.N {
				db := pgtest.New(b)
				db.Exec(b, benchDDL)
				task := startSink(&testing.T{}, &sinkCtx{}, sinkProps(db, "insert.mode", "upsert", "pk.mode", "record_key"))
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < len(recs); i += batch {
					if err := task.Put(context.Background(), recs[i:min(i+batch, len(recs))]); err != nil {
						b.Fatal(err)
					}
				}
				el := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(len(recs))/el.Seconds(), "rows/s")
				if n := count(&testing.T{}, db, "bench"); n != benchRows {
					b.Fatalf("rows = %d", n)
				}
				_ = task.Stop()
			}
		})
	}
}

// BenchmarkUpsertPath compares the upsert statements per batch size:
// multi-row VALUES and INSERT ... SELECT FROM unnest(arrays). It chose
// unnestUpsertFrom.
func BenchmarkUpsertPath(b *testing.B) {
	const total = 100_000
	recs := benchRecords(total)
	for _, batch := range []int{10, 50, 250, 1000, 5000} {
		for _, path := range []string{"values", "unnest"} {
			b.Run(fmt.Sprintf("batch=%d/%s", batch, path), func(b *testing.B) {
				for range b.N {
					db := pgtest.New(b)
					db.Exec(b, benchDDL)
					task := startSink(&testing.T{}, &sinkCtx{}, sinkProps(db, "insert.mode", "upsert", "pk.mode", "record_key", "batch.size", "100000"))
					task.w.unnestFrom = map[string]int{"values": 1 << 30, "unnest": 0}[path]
					start := time.Now()
					for round := 0; round < 2; round++ { // inserts, then updates of the same keys
						for i := 0; i < len(recs); i += batch {
							if err := task.Put(context.Background(), recs[i:min(i+batch, len(recs))]); err != nil {
								b.Fatal(err)
							}
						}
					}
					b.ReportMetric(float64(2*total)/time.Since(start).Seconds(), "rows/s")
					_ = task.Stop()
				}
			})
		}
	}
}

// BenchmarkSinkInsert inserts 1M records with COPY (insert mode).
func BenchmarkSinkInsert(b *testing.B) {
	recs := benchRecords(benchRows)
	for range b.N {
		db := pgtest.New(b)
		db.Exec(b, benchDDL)
		task := startSink(&testing.T{}, &sinkCtx{}, sinkProps(db))
		start := time.Now()
		for i := 0; i < len(recs); i += 5000 {
			if err := task.Put(context.Background(), recs[i:min(i+5000, len(recs))]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(recs))/time.Since(start).Seconds(), "rows/s")
		_ = task.Stop()
	}
}

// BenchmarkRawCopy is the reference: pgx CopyFrom of the same 1M rows.
func BenchmarkRawCopy(b *testing.B) {
	rows := make([][]any, benchRows)
	for i := range rows {
		rows[i] = []any{int64(i), fmt.Sprintf("name-%d", i), float64(i) * 0.5, int32(i % 1000), benchEpoch.Add(time.Duration(i) * time.Second)}
	}
	for range b.N {
		db := pgtest.New(b)
		db.Exec(b, benchDDL)
		start := time.Now()
		for i := 0; i < len(rows); i += 5000 {
			if _, err := db.Pool.CopyFrom(context.Background(), pgx.Identifier{"bench"}, []string{"id", "name", "amount", "qty", "at"},
				pgx.CopyFromRows(rows[i:min(i+5000, len(rows))])); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(rows))/time.Since(start).Seconds(), "rows/s")
	}
}

// BenchmarkSourceBulk reads a 1M-row table with the polling source in bulk
// mode, turning every row into a Connect struct.
func BenchmarkSourceBulk(b *testing.B) {
	for _, batch := range []int{100, 10000} {
		b.Run(fmt.Sprintf("batch.max.rows=%d", batch), func(b *testing.B) {
			for range b.N {
				db := pgtest.New(b)
				db.Exec(b, benchDDL)
				db.Exec(b, `INSERT INTO bench SELECT g, 'name-' || g, g * 0.5, g % 1000, '2024-01-01'::timestamp + g * interval '1 second'
					FROM generate_series(0, 999999) g`)
				db.Exec(b, `VACUUM ANALYZE bench`)
				store := newOffsetStore()
				task := startSource(&testing.T{}, store, sourceProps(db, "mode", "bulk", "batch.max.rows", fmt.Sprint(batch), "poll.interval.ms", "3600000"))
				start := time.Now()
				n := 0
				for n < benchRows {
					recs, err := task.Poll(context.Background())
					if err != nil {
						b.Fatal(err)
					}
					n += len(recs)
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s")
				_ = task.Stop()
			}
		})
	}
}

// BenchmarkRawSelect is the source's reference: pgx reading the same rows
// into Go values with no Connect conversion.
func BenchmarkRawSelect(b *testing.B) {
	for range b.N {
		db := pgtest.New(b)
		db.Exec(b, benchDDL)
		db.Exec(b, `INSERT INTO bench SELECT g, 'name-' || g, g * 0.5, g % 1000, '2024-01-01'::timestamp + g * interval '1 second'
			FROM generate_series(0, 999999) g`)
		db.Exec(b, `VACUUM ANALYZE bench`)
		start := time.Now()
		rows, err := db.Pool.Query(context.Background(), "SELECT * FROM bench")
		if err != nil {
			b.Fatal(err)
		}
		var id int64
		var name string
		var amount float64
		var qty int32
		var at time.Time
		n := 0
		for rows.Next() {
			if err := rows.Scan(&id, &name, &amount, &qty, &at); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if rows.Err() != nil {
			b.Fatal(rows.Err())
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s")
	}
}
