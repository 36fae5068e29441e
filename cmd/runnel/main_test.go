package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/broker"
)

// runnelBin is the runnel binary built once for the tests in this file.
var runnelBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runnel-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	runnelBin = filepath.Join(dir, "runnel")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(goTool, "build", "-o", runnelBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building runnel: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type procResult struct {
	stdout, stderr string
	code           int
}

// runBin runs the binary to completion with stdin and a deadline.
func runBin(t *testing.T, stdin string, args ...string) procResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, runnelBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running runnel %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return procResult{stdout: out.String(), stderr: errOut.String(), code: code}
}

func TestBinaryToolsAndExitCodes(t *testing.T) {
	b, err := broker.Start(context.Background(), broker.Config{AutoCreateTopics: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bs := "--bootstrap-server=" + b.Addr()

	if r := runBin(t, "", "topics", bs, "--create", "--topic", "bin", "--partitions", "2"); r.code != 0 || r.stdout != "Created topic bin.\n" {
		t.Fatalf("create: %+v", r)
	}
	if r := runBin(t, "x:1\ny:2\n", "console-producer", "--broker-list", b.Addr(), "--topic", "bin",
		"--property", "parse.key=true", "--property", "key.separator=:"); r.code != 0 {
		t.Fatalf("producer: %+v", r)
	}
	r := runBin(t, "", "console-consumer", bs, "--topic", "bin", "--from-beginning", "--max-messages", "2", "--property", "print.key=true")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	sort.Strings(lines)
	if r.code != 0 || strings.Join(lines, ",") != "x\t1,y\t2" || !strings.Contains(r.stderr, "Processed a total of 2 messages") {
		t.Fatalf("consumer: %+v", r)
	}

	// Usage errors exit 2 and point at --help; failures exit 1.
	r = runBin(t, "", "console-producer", bs)
	if r.code != 2 || !strings.Contains(r.stderr, "Error: --topic is required") || !strings.Contains(r.stderr, "runnel console-producer --help") {
		t.Fatalf("missing --topic: %+v", r)
	}
	r = runBin(t, "", "topics", bs, "--describe", "--topic", "nope")
	if r.code != 1 || !strings.Contains(r.stderr, "topic 'nope' does not exist as expected") {
		t.Fatalf("describe missing topic: %+v", r)
	}
	r = runBin(t, "", "topics", "--bootstrap-server", "127.0.0.1:1", "--list", "--timeout", "2000")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot reach Kafka") {
		t.Fatalf("dead broker: %+v", r)
	}
	for _, sub := range []string{"broker", "topics", "console-producer", "console-consumer", "consumer-groups"} {
		r := runBin(t, "", sub, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%s --help: %+v", sub, r)
		}
		if sub != "broker" && !strings.Contains(r.stdout, "--bootstrap-server") {
			t.Errorf("%s --help does not document --bootstrap-server", sub)
		}
	}
}

// brokerProc is a `runnel broker` child process.
type brokerProc struct {
	cmd     *exec.Cmd
	addr    string
	stderr  *syncBuffer
	exited  chan struct{} // closed once Wait returned
	waitErr error         // valid after exited is closed
}

// syncBuffer is a bytes.Buffer the child's stderr copier and the test can
// use at the same time.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningLine = regexp.MustCompile(`^runnel broker listening on (\S+) `)

func startBrokerProc(t *testing.T, args ...string) *brokerProc {
	t.Helper()
	cmd := exec.Command(runnelBin, append([]string{"broker"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &brokerProc{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	lineCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lineCh <- sc.Text()
		}
		close(lineCh)
		// Drain so that the broker never blocks writing to stdout.
		for sc.Scan() {
			continue
		}
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	select {
	case line, ok := <-lineCh:
		m := listeningLine.FindStringSubmatch(line)
		if !ok || m == nil {
			t.Fatalf("broker did not announce its address; first line %q, stderr:\n%s", line, p.stderr)
		}
		p.addr = m[1]
	case <-time.After(30 * time.Second):
		t.Fatalf("broker did not start within 30s; stderr:\n%s", p.stderr)
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *brokerProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			t.Fatalf("broker exited with %v after SIGTERM; stderr:\n%s", p.waitErr, p.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("broker did not exit within 30s of SIGTERM")
	}
}

func TestBrokerCommandPropertiesFileRestart(t *testing.T) {
	dir := t.TempDir()
	props := filepath.Join(dir, "broker.properties")
	data := filepath.Join(dir, "data")
	err := os.WriteFile(props, []byte(strings.Join([]string{
		"# a Kafka-style broker config",
		"log.dirs=" + data,
		"listeners=PLAINTEXT://127.0.0.1:0",
		"num.partitions=3",
		"auto.create.topics.enable=true",
		"log.retention.hours=168",
		"socket.request.max.bytes=10485760",
	}, "\n")+"\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}

	p := startBrokerProc(t, "--config", props)
	var in strings.Builder
	const n = 500
	for i := range n {
		fmt.Fprintf(&in, "key-%d:value-%d\n", i, i)
	}
	if r := runBin(t, in.String(), "console-producer", "--bootstrap-server", p.addr, "--topic", "durable",
		"--property", "parse.key=true", "--property", "key.separator=:"); r.code != 0 {
		t.Fatalf("producer: %+v", r)
	}
	// num.partitions from the file applies to the auto-created topic.
	if r := runBin(t, "", "topics", "--bootstrap-server", p.addr, "--describe", "--topic", "durable"); !strings.Contains(r.stdout, "PartitionCount: 3\t") {
		t.Fatalf("describe: %+v", r)
	}
	const consumed = 200
	if r := runBin(t, "", "console-consumer", "--bootstrap-server", p.addr, "--topic", "durable", "--group", "g",
		"--from-beginning", "--max-messages", strconv.Itoa(consumed)); r.code != 0 {
		t.Fatalf("group consumer: %+v", r)
	}
	p.stop(t)

	p = startBrokerProc(t, "--config", props)
	r := runBin(t, "", "console-consumer", "--bootstrap-server", p.addr, "--topic", "durable", "--from-beginning",
		"--timeout-ms", "3000", "--property", "print.key=true", "--property", "key.separator=:")
	if r.code != 0 {
		t.Fatalf("consumer after restart: %+v", r)
	}
	got := strings.Split(strings.TrimSpace(r.stdout), "\n")
	seen := map[string]bool{}
	for _, line := range got {
		seen[line] = true
	}
	for i := range n {
		if want := fmt.Sprintf("key-%d:value-%d", i, i); !seen[want] {
			t.Fatalf("record %q lost across restart; got %d records", want, len(got))
		}
	}
	if len(got) != n {
		t.Fatalf("got %d records after restart, want %d", len(got), n)
	}
	// The group's committed offsets survived too.
	r = runBin(t, "", "consumer-groups", "--bootstrap-server", p.addr, "--describe", "--group", "g")
	total := 0
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) == 9 && f[0] == "g" {
			c, err := strconv.Atoi(f[3])
			if err != nil {
				t.Fatalf("row %q: %v", line, err)
			}
			total += c
		}
	}
	if total != consumed {
		t.Fatalf("committed offsets after restart sum to %d, want %d:\n%s", total, consumed, r.stdout)
	}
	p.stop(t)
}
