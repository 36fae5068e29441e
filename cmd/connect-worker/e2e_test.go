package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/broker"
)

// buildBinary compiles connect-worker once per test run.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "connect-worker-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "connect-worker")
	out, err := exec.Command("go", "build", "-race", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process exited; err is then set
	err  error
	log  *os.File
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startProc(t *testing.T, bin, logPath string, args ...string) *proc {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{}), log: logf}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		logf.Close()
	})
	return p
}

func waitHealthy(t *testing.T, port int, logPath string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	logs, _ := os.ReadFile(logPath)
	t.Fatalf("worker not healthy after 60s; log:\n%s", logs)
}

// countLines counts each distinct line of path.
func countLines(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return map[string]int{}
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out[sc.Text()]++
	}
	return out
}

// appendLines writes lines [from, to) to path, slowly enough that a copy
// in progress can be interrupted.
func appendLines(t *testing.T, path string, from, to, perWrite int, pause time.Duration) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	for i := from; i < to; i++ {
		fmt.Fprintf(w, "line-%07d\n", i)
		if (i+1-from)%perWrite == 0 {
			w.Flush()
			time.Sleep(pause)
		}
	}
	w.Flush()
}

func TestStandaloneCopySurvivesKillAndCleanRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the worker binary")
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	b, err := broker.Start(ctx, broker.Config{AutoCreateTopics: true, DefaultPartitions: 1})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	dir := t.TempDir()
	in, out, logPath := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt"), filepath.Join(dir, "worker.log")
	port := freePort(t)
	worker := filepath.Join(dir, "worker.properties")
	os.WriteFile(worker, []byte(strings.Join([]string{
		"bootstrap.servers=" + b.Addr(),
		"key.converter=org.apache.kafka.connect.storage.StringConverter",
		"value.converter=org.apache.kafka.connect.storage.StringConverter",
		"offset.storage.file.filename=" + filepath.Join(dir, "connect.offsets"),
		"offset.flush.interval.ms=300",
		"listeners=http://127.0.0.1:" + strconv.Itoa(port),
	}, "\n")), 0o644)
	source := filepath.Join(dir, "source.properties")
	os.WriteFile(source, []byte("name=local-file-source\nconnector.class=FileStreamSource\ntasks.max=1\nfile="+in+"\ntopic=connect-test\nbatch.size=500\n"), 0o644)
	sink := filepath.Join(dir, "sink.json")
	os.WriteFile(sink, []byte(`{"name":"local-file-sink","config":{"connector.class":"org.apache.kafka.connect.file.FileStreamSinkConnector","tasks.max":"1","file":"`+out+`","topics":"connect-test"}}`), 0o644)
	args := []string{"standalone", worker, source, sink}

	const phaseA, phaseB = 60_000, 120_000
	waitFor := func(what string, n int) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			if len(countLines(t, out)) >= n {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		logs, _ := os.ReadFile(logPath)
		t.Fatalf("%s: output has %d distinct lines, want %d; log:\n%s", what, len(countLines(t, out)), n, logs)
	}

	// Phase A: kill -9 while the file grows and is being copied.
	p := startProc(t, bin, logPath, args...)
	waitHealthy(t, port, logPath)
	writerDone := make(chan struct{})
	go func() { defer close(writerDone); appendLines(t, in, 0, phaseA, 2000, 50*time.Millisecond) }()
	waitFor("before kill", 10_000)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	copied := len(countLines(t, out))
	if copied >= phaseA {
		t.Fatalf("the copy finished before the kill (%d lines); the test needs a slower writer", copied)
	}
	<-writerDone
	p = startProc(t, bin, logPath, args...)
	waitHealthy(t, port, logPath)
	waitFor("after kill -9 and restart", phaseA)
	counts := countLines(t, out)
	for i := 0; i < phaseA; i++ {
		if counts[fmt.Sprintf("line-%07d", i)] == 0 {
			t.Fatalf("line %d lost after kill -9", i)
		}
	}
	t.Logf("kill -9 at %d lines copied; after restart every line is present (%d duplicates, allowed by at-least-once)", copied, totalLines(counts)-phaseA)

	// Phase B: clean stop (SIGTERM) mid-copy, restart: no duplicates.
	go func() { appendLines(t, in, phaseA, phaseB, 2000, 50*time.Millisecond) }()
	waitFor("phase B started", phaseA+10_000)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			logs, _ := os.ReadFile(logPath)
			t.Fatalf("clean stop exited with %v; log:\n%s", p.err, logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop within 30s of SIGTERM")
	}
	p = startProc(t, bin, logPath, args...)
	waitHealthy(t, port, logPath)
	waitFor("after clean restart", phaseB)
	counts = countLines(t, out)
	for i := phaseA; i < phaseB; i++ {
		if c := counts[fmt.Sprintf("line-%07d", i)]; c != 1 {
			t.Fatalf("line %d appears %d times after a clean stop and restart", i, c)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if p.err != nil {
		t.Fatalf("final clean stop: %v", p.err)
	}
}

func totalLines(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}
