package streams

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestCrashHelperProcess is not a test: TestKillNineLosesNothing runs the
// test binary again with RUNNEL_CRASH_BROKER set, and this runs a
// pass-through app in that child until it is killed.
func TestCrashHelperProcess(t *testing.T) {
	addr := os.Getenv("RUNNEL_CRASH_BROKER")
	if addr == "" {
		t.Skip("helper process for TestKillNineLosesNothing")
	}
	cfg := Config{
		ApplicationID:    "crash",
		BootstrapServers: []string{addr},
		StateDir:         os.Getenv("RUNNEL_CRASH_STATE"),
		CommitInterval:   50 * time.Millisecond,
		ClientOpts:       []kgo.Opt{kgo.SessionTimeout(6 * time.Second), kgo.HeartbeatInterval(500 * time.Millisecond)},
	}
	app, err := New(passThroughB(t, "crash-in", "crash-out"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

func startCrashChild(t *testing.T, addr, stateDir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$")
	cmd.Env = append(os.Environ(), "RUNNEL_CRASH_BROKER="+addr, "RUNNEL_CRASH_STATE="+stateDir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// TestKillNineLosesNothing kills an instance with SIGKILL while it
// processes and checks that a restarted instance writes every input record
// to the output at least once: nothing acknowledged is lost.
func TestKillNineLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two processes")
	}
	addr := startBroker(t)
	createTopics(t, addr, 2, "crash-in", "crash-out")
	stateDir := t.TempDir()

	first := startCrashChild(t, addr, stateDir)
	in := values(3000, "r")
	produced := make(chan error, 1)
	go func() { produced <- produceSlowly(addr, "crash-in", in) }()
	// Kill it once it is demonstrably midway: some output and some commits.
	waitFor(t, "the first instance to process and commit", 60*time.Second, func() bool {
		return committedTotal(t, addr, "crash", "crash-in") > 300
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	atKill := committedTotal(t, addr, "crash", "crash-in")
	outAtKill := len(consumeUntil(t, addr, "crash-out", 1<<30, time.Second))
	t.Logf("killed the first instance with %d input records committed and %d output records written", atKill, outAtKill)

	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	startCrashChild(t, addr, stateDir)
	got := consumeUntil(t, addr, "crash-out", len(in), 90*time.Second)
	seen := map[string]bool{}
	for _, r := range got {
		seen[string(r.Value)] = true
	}
	var missing []string
	for _, v := range in {
		if !seen[v] {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d inputs missing after kill -9 and restart, e.g. %v", len(missing), len(in), missing[:min(5, len(missing))])
	}
	t.Logf("%d output records for %d inputs (%d duplicates from reprocessing after the crash)", len(got), len(in), len(got)-len(in))

}

// produceSlowly writes values in small acknowledged batches so that the
// input keeps arriving while the first instance runs.
func produceSlowly(addr, topic string, values []string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	for i := 0; i < len(values); i += 50 {
		var recs []*kgo.Record
		for _, v := range values[i:min(i+50, len(values))] {
			recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(v), Value: []byte(v)})
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}
