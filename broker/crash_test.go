package broker

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// TestMain lets the test binary double as a broker process, so the crash
// test can SIGKILL a real process rather than simulate one.
func TestMain(m *testing.M) {
	if dir := os.Getenv("RUNNEL_TEST_BROKER_DIR"); dir != "" {
		os.Exit(runChildBroker(dir))
	}
	os.Exit(m.Run())
}

func runChildBroker(dir string) int {
	began := time.Now()
	b, err := Start(context.Background(), Config{DataDir: dir, AutoCreateTopics: true, DefaultPartitions: 2})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ADDR", b.Addr(), time.Since(began).Microseconds())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	b.Close()
	return 0
}

func startChildBroker(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "RUNNEL_TEST_BROKER_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("child broker did not start: %v", err)
	}
	fields := strings.Fields(line)
	if len(fields) < 2 {
		t.Fatalf("child broker printed %q", line)
	}
	return cmd, fields[1]
}

// TestSIGKILLKeepsAcknowledgedRecords kills the broker process without a
// clean shutdown (no snapshot written) and checks that every record whose
// produce was acknowledged and every committed group offset survives.
func TestSIGKILLKeepsAcknowledgedRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	dir := t.TempDir()
	cmd, addr := startChildBroker(t, dir)
	const n = 3000
	produceN(t, newClient(t, addr), "crashy", n)
	consumeAll(t, addr, "crashy", "crash-group", n)

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// The kernel released the flock with the process, so a new broker
	// starts on the same directory at once.
	_, addr2 := startChildBroker(t, dir)
	got := consumeAll(t, addr2, "crashy", "", n)
	if len(got) != n {
		t.Fatalf("after SIGKILL: %d records, want %d", len(got), n)
	}
	offs, err := kadm.NewClient(newClient(t, addr2)).FetchOffsets(context.Background(), "crash-group")
	if err != nil {
		t.Fatal(err)
	}
	var committed int64
	offs.Each(func(o kadm.OffsetResponse) { committed += o.At })
	if committed != n {
		t.Fatalf("committed offsets after SIGKILL sum to %d, want %d", committed, n)
	}
}
