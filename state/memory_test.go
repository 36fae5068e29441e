package state_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

// rssKiB reads a field (VmRSS, VmHWM) of /proc/self/status in KiB.
func rssKiB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return -1
}

// TestMemoryHelper is not a test: TestMemoryBoundedAcrossTasks runs it in
// a child process, which writes and reads many stores through one Manager
// the way the runtime does and prints its baseline and peak RSS.
func TestMemoryHelper(t *testing.T) {
	dir := os.Getenv("RUNNEL_MEM_DIR")
	if dir == "" {
		t.Skip("helper process for TestMemoryBoundedAcrossTasks")
	}
	tasks, _ := strconv.Atoi(os.Getenv("RUNNEL_MEM_TASKS"))
	budget, _ := strconv.ParseInt(os.Getenv("RUNNEL_MEM_BUDGET"), 10, 64)
	perTask, _ := strconv.Atoi(os.Getenv("RUNNEL_MEM_RECORDS"))
	baseline := rssKiB("VmRSS")

	m, err := state.OpenManager(state.ManagerOptions{Dir: dir, MemoryBytes: budget, Logger: discard()})
	must(t, err)
	defer m.Close()
	stores := make([]state.KeyValueBytesStore, tasks)
	ctxs := make([]*testCtx, tasks)
	for i := range tasks {
		ctx := newTestCtx(t, false)
		ctx.task = state.TaskID{Subtopology: 0, Partition: int32(i)}
		st, err := m.BuildStore(ctx.task, state.KeyValueStoreBuilder(state.PersistentKeyValueStore("s"), serde.Bytes(), serde.Bytes()))
		must(t, err)
		must(t, st.Init(ctx, st))
		stores[i], ctxs[i] = st.(state.KeyValueStore[[]byte, []byte]).Bytes(), ctx
	}
	value := bytes.Repeat([]byte("v"), 256)
	key := make([]byte, 8)
	commit := func(i int) {
		must(t, m.Commit(ctxs[i].task, nil))
	}
	// Writes interleave across tasks, as threads do; each task commits
	// every 2000 records or when its batch outgrows its share, as the
	// runtime's commit interval and early commits would.
	for n := range perTask {
		for i, s := range stores {
			binary.BigEndian.PutUint64(key, rand.Uint64())
			must(t, s.Put(key, value))
			if n%2000 == 1999 || m.CommitNeeded(ctxs[i].task) {
				commit(i)
			}
		}
	}
	for i := range stores {
		commit(i)
	}
	must(t, m.Sync())
	// Reads spread over every store pull data, index and filter blocks
	// into the block cache.
	for range 200_000 {
		binary.BigEndian.PutUint64(key, rand.Uint64())
		if _, err := stores[rand.IntN(tasks)].Get(key); err != nil {
			t.Fatal(err)
		}
	}
	for i := range stores {
		it, err := stores[i].Range(key[:1], nil)
		must(t, err)
		for j := 0; j < 5000 && it.Next(); j++ {
		}
		it.Close()
	}
	if p := os.Getenv("RUNNEL_MEM_PROFILE"); p != "" {
		f, _ := os.Create(p)
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("Go heap: inuse %d MiB, sys %d MiB, total sys %d MiB, gc %d\n", ms.HeapInuse>>20, ms.HeapSys>>20, ms.Sys>>20, ms.NumGC)
	fmt.Printf("RSS baseline=%d peak=%d now=%d\n", baseline, rssKiB("VmHWM"), rssKiB("VmRSS"))
}

// TestMemoryBoundedAcrossTasks: 16 tasks with one Pebble store each,
// written well past the memory budget and then read, stay within the
// budget plus a fixed overhead (Go runtime, heap slack, Pebble's own
// bookkeeping), measured as the peak RSS of a child process.
func TestMemoryBoundedAcrossTasks(t *testing.T) {
	if testing.Short() {
		t.Skip("writes hundreds of MB")
	}
	if raceEnabled {
		t.Skip("RSS under the race detector includes its shadow memory; run without -race")
	}
	const (
		budget   = 64 << 20
		overhead = 48 << 20
	)
	for _, tasks := range []int{16, 64} {
		perTask := 1_000_000 / tasks // ~280 MB of data whatever the task count
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryHelper$", "-test.v")
		cmd.Env = append(os.Environ(), "RUNNEL_MEM_DIR="+filepath.Join(t.TempDir(), "db"),
			fmt.Sprintf("RUNNEL_MEM_TASKS=%d", tasks), fmt.Sprintf("RUNNEL_MEM_BUDGET=%d", budget),
			fmt.Sprintf("RUNNEL_MEM_RECORDS=%d", perTask))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper failed: %v\n%s", err, out)
		}
		var baseline, peak, now int64
		i := bytes.Index(out, []byte("RSS baseline="))
		if i < 0 {
			t.Fatalf("helper printed no RSS line:\n%s", out)
		}
		if _, err := fmt.Sscanf(string(out[i:]), "RSS baseline=%d peak=%d now=%d", &baseline, &peak, &now); err != nil {
			t.Fatal(err)
		}
		if j := bytes.Index(out, []byte("Go heap:")); j >= 0 {
			t.Logf("%s", bytes.SplitN(out[j:], []byte("\n"), 2)[0])
		}
		t.Logf("%d tasks: baseline RSS %d MiB, peak %d MiB, at the end %d MiB (budget %d MiB + overhead %d MiB)",
			tasks, baseline>>10, peak>>10, now>>10, budget>>20, overhead>>20)
		if limit := baseline + (budget+overhead)>>10; peak > limit {
			t.Errorf("%d tasks: peak RSS %d MiB exceeds baseline + budget + overhead = %d MiB", tasks, peak>>10, limit>>10)
		}
	}
}
