package state_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

// benchStore opens a typed Pebble store of task 0_0 in a fresh Manager.
func benchStore(b *testing.B, dir string) (*state.Manager, state.KeyValueStore[string, []byte], state.TaskID) {
	b.Helper()
	m, err := state.OpenManager(state.ManagerOptions{Dir: dir, Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := &testCtx{dir: b.TempDir(), recordTs: -1, restores: map[string]state.RestoreCallback{}}
	st, err := m.BuildStore(ctx.task, state.KeyValueStoreBuilder(state.PersistentKeyValueStore("s"), serde.String(), serde.Bytes()).WithLoggingDisabled())
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Init(ctx, st); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close(); m.Close() })
	return m, st.(state.KeyValueStore[string, []byte]), ctx.task
}

// BenchmarkPebblePut: typed point writes (string key, 100-byte value)
// into the task batch, committed every 10,000 writes as the runtime's
// commits would.
func BenchmarkPebblePut(b *testing.B) {
	m, kv, task := benchStore(b, filepath.Join(b.TempDir(), "db"))
	value := bytes.Repeat([]byte("v"), 100)
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%016x", rand.Uint64())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := kv.Put(keys[i&(len(keys)-1)]+strconv.Itoa(i>>16), value); err != nil {
			b.Fatal(err)
		}
		if i%10_000 == 9_999 {
			if err := m.Commit(task, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := m.Commit(task, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}

// BenchmarkPebbleGet: typed point reads of random present keys from a
// committed store; 100k entries (~12 MB) fit the block cache of the
// default 64 MiB budget, 1M entries (~120 MB) do not, so most of those
// reads decode blocks from the OS page cache.
func BenchmarkPebbleGet(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			m, kv, task := benchStore(b, filepath.Join(b.TempDir(), "db"))
			value := bytes.Repeat([]byte("v"), 100)
			key := func(i int) string { return fmt.Sprintf("key-%08d", i) }
			for i := range n {
				if err := kv.Put(key(i), value); err != nil {
					b.Fatal(err)
				}
				if i%10_000 == 9_999 {
					if err := m.Commit(task, nil); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := m.Commit(task, nil); err != nil {
				b.Fatal(err)
			}
			keys := make([]string, 1<<16)
			for i := range keys {
				keys[i] = key(rand.IntN(n))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok, err := kv.Get(keys[i&(len(keys)-1)]); err != nil || !ok {
					b.Fatalf("get: %v, %v", ok, err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		})
	}
}

// BenchmarkRestore1M: restoration of a Pebble store from a changelog of
// 1,000,000 records (16-byte keys, 100-byte values, 100,000 distinct keys)
// on the bundled broker, from an empty store each time.
func BenchmarkRestore1M(b *testing.B) {
	const records, keys = 1_000_000, 100_000
	br, err := broker.Start(context.Background(), broker.Config{DefaultPartitions: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(br.Addr()), kgo.ProducerBatchMaxBytes(1<<20), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(context.Background(), 1, 1, nil, "bench-changelog"); err != nil {
		b.Fatal(err)
	}
	value := bytes.Repeat([]byte("v"), 100)
	var payload int64
	for i := 0; i < records; i += 10_000 {
		recs := make([]*kgo.Record, 0, 10_000)
		for j := i; j < i+10_000; j++ {
			k := fmt.Appendf(nil, "key-%012d", j%keys)
			payload += int64(len(k) + len(value))
			recs = append(recs, &kgo.Record{Topic: "bench-changelog", Key: k, Value: value})
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "db")
		m, err := state.OpenManager(state.ManagerOptions{Dir: dir, Logger: discard()})
		if err != nil {
			b.Fatal(err)
		}
		ctx := &testCtx{dir: b.TempDir(), logging: true, recordTs: -1, restores: map[string]state.RestoreCallback{}}
		st, err := m.BuildStore(ctx.task, state.KeyValueStoreBuilder(state.PersistentKeyValueStore("s"), serde.Bytes(), serde.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Init(ctx, st); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		err = m.Restore(context.Background(), cl, ctx.task, []state.Changelog{{Store: "s", Topic: "bench-changelog", Partition: 0, Restore: ctx.restores["s"]}}, state.RestoreOptions{})
		took := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := st.(state.KeyValueStore[[]byte, []byte]).ApproximateNumEntries(); n != keys {
			b.Fatalf("restored %d keys, want %d", n, keys)
		}
		b.ReportMetric(float64(records)/took.Seconds(), "records/s")
		b.ReportMetric(float64(payload)/took.Seconds()/(1<<20), "MB/s")
		st.Close()
		m.Close()
		b.StartTimer()
	}
}

// TestFillHelper is not a test: BenchmarkResumeAfterKill1GB runs it in a
// child process that writes about 1 GB into four task stores, committing
// with checkpoints as the runtime does, and keeps writing until killed.
func TestFillHelper(t *testing.T) {
	dir := os.Getenv("RUNNEL_FILL_DIR")
	if dir == "" {
		t.Skip("helper process for BenchmarkResumeAfterKill1GB")
	}
	target, _ := strconv.ParseInt(os.Getenv("RUNNEL_FILL_BYTES"), 10, 64)
	m, err := state.OpenManager(state.ManagerOptions{Dir: dir, Logger: discard()})
	must(t, err)
	var stores []state.KeyValueBytesStore
	var tasks []state.TaskID
	for p := range 4 {
		ctx := newTestCtx(t, false)
		ctx.task = state.TaskID{Partition: int32(p)}
		st, err := m.BuildStore(ctx.task, state.KeyValueStoreBuilder(state.PersistentKeyValueStore("s"), serde.Bytes(), serde.Bytes()))
		must(t, err)
		must(t, st.Init(ctx, st))
		stores = append(stores, st.(state.KeyValueStore[[]byte, []byte]).Bytes())
		tasks = append(tasks, ctx.task)
	}
	// Incompressible values, so 1 GB of state is 1 GB on disk too.
	random := make([]byte, 1<<20)
	for i := range random {
		random[i] = byte(rand.Uint32())
	}
	key := make([]byte, 16)
	var written int64
	offsets := make([]int64, 4)
	for i := 0; ; i++ {
		p := i % 4
		binary.BigEndian.PutUint64(key, uint64(i))
		binary.BigEndian.PutUint64(key[8:], rand.Uint64())
		off := (i * 241) % (len(random) - 240)
		value := random[off : off+240]
		must(t, stores[p].Put(key, value))
		offsets[p]++
		written += int64(len(key) + len(value))
		if i%40_000 == 39_999 {
			for q := range tasks {
				must(t, m.Commit(tasks[q], map[string]int64{"s": offsets[q]}))
			}
			must(t, m.Sync())
			if written >= target {
				fmt.Printf("FILLED %d\n", written)
				target = 1 << 62 // keep writing until killed
			}
		}
	}
}

// BenchmarkResumeAfterKill1GB: a process holding 1 GB of state in four
// task stores is killed with SIGKILL while it writes; the benchmark times
// what a restarted instance does before it can restore the changelog
// tail: open the database (replaying its write-ahead log), open the
// stores and read their checkpoints. Run with -benchtime=1x.
func BenchmarkResumeAfterKill1GB(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "db")
		cmd := exec.Command(os.Args[0], "-test.run=^TestFillHelper$")
		cmd.Env = append(os.Environ(), "RUNNEL_FILL_DIR="+dir, "RUNNEL_FILL_BYTES="+strconv.Itoa(1<<30))
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 4096)
		var seen []byte
		for !bytes.Contains(seen, []byte("FILLED")) {
			n, err := out.Read(buf)
			if err != nil {
				b.Fatalf("helper ended before filling: %v: %s", err, seen)
			}
			seen = append(seen, buf[:n]...)
		}
		time.Sleep(300 * time.Millisecond) // killed mid-write, with uncommitted work
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		b.StartTimer()
		start := time.Now()
		m, err := state.OpenManager(state.ManagerOptions{Dir: dir, Logger: discard()})
		if err != nil {
			b.Fatal(err)
		}
		var resumed int
		for p := range 4 {
			ctx := &testCtx{dir: b.TempDir(), recordTs: -1, restores: map[string]state.RestoreCallback{}}
			ctx.task = state.TaskID{Partition: int32(p)}
			st, err := m.BuildStore(ctx.task, state.KeyValueStoreBuilder(state.PersistentKeyValueStore("s"), serde.Bytes(), serde.Bytes()))
			if err != nil {
				b.Fatal(err)
			}
			if err := st.Init(ctx, st); err != nil {
				b.Fatal(err)
			}
			if _, ok := m.Checkpoint(ctx.task, "s"); ok {
				resumed++
			}
			defer st.Close()
		}
		took := time.Since(start)
		b.StopTimer()
		if resumed != 4 {
			b.Fatalf("%d of 4 stores have a checkpoint after the kill", resumed)
		}
		b.ReportMetric(float64(took.Milliseconds()), "ms-to-resume")
		b.ReportMetric(float64(dirSize(dir))/(1<<30), "GiB-on-disk")
		m.Close()
		b.StartTimer()
	}
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
