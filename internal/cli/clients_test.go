package cli

import (
	"context"
	"io"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// describeRow finds the --describe row of topic/partition and returns its
// columns.
func describeRow(t *testing.T, out, topic, partition string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 9 && f[1] == topic && f[2] == partition {
			return f
		}
	}
	t.Fatalf("no row for %s/%s in:\n%s", topic, partition, out)
	return nil
}

func TestProduceConsumeAndGroupOffsets(t *testing.T) {
	addr := startBroker(t)
	bs := []string{"--bootstrap-server", addr}
	with := func(args ...string) []string { return append(args, bs...) }

	mustRun(t, "", with("topics", "--create", "--topic", "events", "--partitions", "1", "--replication-factor", "1")...)
	input := "k1:v1\nk2:v2\nk3:v:3\nk4:\nk5:v5" // no newline after the last line; a value may contain the separator
	r := mustRun(t, input, with("console-producer", "--topic", "events", "--property", "parse.key=true", "--property", "key.separator=:")...)
	if r.stdout != "" || r.stderr != "" {
		t.Fatalf("producer printed stdout=%q stderr=%q", r.stdout, r.stderr)
	}

	// A group consumer that stops after two records commits exactly those.
	r = mustRun(t, "", with("console-consumer", "--topic", "events", "--from-beginning", "--group", "billing",
		"--max-messages", "2", "--property", "print.key=true")...)
	if r.stdout != "k1\tv1\nk2\tv2\n" {
		t.Fatalf("consumer stdout = %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "Processed a total of 2 messages\n") {
		t.Fatalf("consumer stderr = %q", r.stderr)
	}

	r = mustRun(t, "", with("consumer-groups", "--list")...)
	if r.stdout != "billing\n" {
		t.Fatalf("groups --list = %q", r.stdout)
	}
	r = mustRun(t, "", with("consumer-groups", "--describe", "--group", "billing")...)
	header := regexp.MustCompile(`(?m)^GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID$`)
	if !header.MatchString(r.stdout) {
		t.Fatalf("describe has no Kafka header:\n%s", r.stdout)
	}
	if got := describeRow(t, r.stdout, "events", "0"); strings.Join(got[3:], " ") != "2 5 3 - - -" {
		t.Fatalf("describe row = %v, want offsets 2, end 5, lag 3", got)
	}
	if !strings.Contains(r.stderr, "Consumer group 'billing' has no active members.") {
		t.Fatalf("describe stderr = %q", r.stderr)
	}

	// The group resumes where it stopped.
	r = mustRun(t, "", with("console-consumer", "--topic", "events", "--group", "billing", "--timeout-ms", "1500",
		"--property", "print.key=true", "--property", "key.separator==")...)
	if r.stdout != "k3=v:3\nk4=\nk5=v5\n" {
		t.Fatalf("resumed consumer stdout = %q", r.stdout)
	}
	r = mustRun(t, "", with("consumer-groups", "--describe", "--group", "billing")...)
	if got := describeRow(t, r.stdout, "events", "0"); strings.Join(got[3:6], " ") != "5 5 0" {
		t.Fatalf("after full consume row = %v", got)
	}

	// Reset: dry run by default, then executed.
	r = mustRun(t, "", with("consumer-groups", "--reset-offsets", "--group", "billing", "--topic", "events", "--to-earliest")...)
	if !regexp.MustCompile(`(?m)^billing\s+events\s+0\s+0\s*$`).MatchString(r.stdout) || !strings.Contains(r.stderr, "Dry run") {
		t.Fatalf("dry run: stdout=%q stderr=%q", r.stdout, r.stderr)
	}
	r = mustRun(t, "", with("consumer-groups", "--describe", "--group", "billing")...)
	if got := describeRow(t, r.stdout, "events", "0"); got[3] != "5" {
		t.Fatalf("dry run changed the offset: %v", got)
	}
	mustRun(t, "", with("consumer-groups", "--reset-offsets", "--group", "billing", "--topic", "events", "--to-earliest", "--execute")...)
	r = mustRun(t, "", with("consumer-groups", "--describe", "--group", "billing")...)
	if got := describeRow(t, r.stdout, "events", "0"); strings.Join(got[3:6], " ") != "0 5 5" {
		t.Fatalf("after --to-earliest row = %v", got)
	}
	mustRun(t, "", with("consumer-groups", "--reset-offsets", "--group", "billing", "--topic", "events:0", "--to-offset", "3", "--execute")...)
	mustRun(t, "", with("consumer-groups", "--reset-offsets", "--group", "billing", "--all-topics", "--shift-by", "-1", "--execute")...)
	r = mustRun(t, "", with("consumer-groups", "--describe", "--group", "billing")...)
	if got := describeRow(t, r.stdout, "events", "0"); strings.Join(got[3:6], " ") != "2 5 3" {
		t.Fatalf("after --to-offset 3 and --shift-by -1 row = %v", got)
	}
	// Out of range offsets are clamped, as Kafka does.
	r = mustRun(t, "", with("consumer-groups", "--reset-offsets", "--group", "billing", "--topic", "events", "--to-offset", "99", "--export", "--dry-run")...)
	if r.stdout != "events,0,5\n" {
		t.Fatalf("--export = %q", r.stdout)
	}
	// The consumer sees the reset.
	r = mustRun(t, "", with("console-consumer", "--topic", "events", "--group", "billing", "--timeout-ms", "1500")...)
	if r.stdout != "v:3\n\nv5\n" {
		t.Fatalf("consumer after reset stdout = %q", r.stdout)
	}

	r = mustRun(t, "", with("consumer-groups", "--delete", "--group", "billing")...)
	if r.stdout != "Deletion of requested consumer groups ('billing') was successful.\n" {
		t.Fatalf("delete stdout = %q", r.stdout)
	}
	if r := mustRun(t, "", with("consumer-groups", "--list")...); r.stdout != "" {
		t.Fatalf("list after delete = %q", r.stdout)
	}
	r = runCLI(t, "", with("consumer-groups", "--describe", "--group", "billing")...)
	if r.err == nil || !strings.Contains(r.err.Error(), "consumer group 'billing' does not exist") {
		t.Fatalf("describe deleted group: %v", r.err)
	}
	if r := runCLI(t, "", with("consumer-groups", "--delete", "--group", "billing")...); r.err == nil || ExitCode(r.err) != ExitFailure {
		t.Fatalf("deleting a missing group: %v", r.err)
	}
}

func TestResetOffsetsRefusesActiveGroup(t *testing.T) {
	addr := startBroker(t)
	bs := []string{"--bootstrap-server", addr}
	mustRun(t, "a\nb\n", append([]string{"console-producer", "--topic", "live"}, bs...)...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		cmd := NewRootCommand()
		cmd.SetArgs(append([]string{"console-consumer", "--topic", "live", "--group", "active", "--from-beginning"}, bs...))
		cmd.SetIn(strings.NewReader(""))
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		done <- cmd.ExecuteContext(ctx)
	}()
	// Wait until the consumer is a Stable member and has printed both.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := runCLI(t, "", append([]string{"consumer-groups", "--describe", "--group", "active", "--state"}, bs...)...)
		if r.err == nil && strings.Contains(r.stdout, "Stable") && out.String() == "a\nb\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group never became Stable with both records printed: %v %s / %q", r.err, r.stdout, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := runCLI(t, "", append([]string{"consumer-groups", "--reset-offsets", "--group", "active", "--all-topics", "--to-earliest", "--execute"}, bs...)...)
	if r.err == nil || !strings.Contains(r.err.Error(), "group 'active' is inactive, but the current state is Stable") {
		t.Fatalf("reset of an active group: %v", r.err)
	}
	r = mustRun(t, "", append([]string{"consumer-groups", "--describe", "--group", "active", "--members", "--verbose"}, bs...)...)
	if !strings.Contains(r.stdout, "console-consumer") || !strings.Contains(r.stdout, "live(0)") {
		t.Fatalf("--members --verbose:\n%s", r.stdout)
	}

	cancel() // like Ctrl-C: a clean exit that commits what was printed
	if err := <-done; err != nil || out.String() != "a\nb\n" || !strings.Contains(errOut.String(), "Processed a total of 2 messages") {
		t.Fatalf("interrupted consumer: err=%v stdout=%q stderr=%q", err, out.String(), errOut.String())
	}
	r = mustRun(t, "", append([]string{"consumer-groups", "--describe", "--group", "active"}, bs...)...)
	if got := describeRow(t, r.stdout, "live", "0"); strings.Join(got[3:6], " ") != "2 2 0" {
		t.Fatalf("offsets after interrupt: %v", got)
	}
}

func TestConsumerFormatterAndPartitionOffset(t *testing.T) {
	addr := startBroker(t)
	bs := []string{"--bootstrap-server", addr}
	mustRun(t, "", append([]string{"topics", "--create", "--topic", "fmt", "--partitions", "1"}, bs...)...)
	in := "h1:x,h2:NULL\tk1\tone\n\tk2\ttwo\nNULL\tk3\tNULL\n"
	mustRun(t, in, append([]string{"console-producer", "--topic", "fmt", "--property", "parse.headers=true",
		"--property", "parse.key=true", "--property", "null.marker=NULL"}, bs...)...)

	before := time.Now().Add(-time.Minute).UnixMilli()
	r := mustRun(t, "", append([]string{"console-consumer", "--topic", "fmt", "--partition", "0", "--offset", "earliest",
		"--max-messages", "3", "--property", "print.timestamp=true", "--property", "print.partition=true",
		"--property", "print.offset=true", "--property", "print.headers=true", "--property", "print.key=true",
		"--property", "key.separator=|"}, bs...)...)
	re := regexp.MustCompile(`^CreateTime:(\d+)\|Partition:0\|Offset:0\|h1:x,h2:null\|k1\|one\n` +
		`CreateTime:\d+\|Partition:0\|Offset:1\|NO_HEADERS\|k2\|two\n` +
		`CreateTime:\d+\|Partition:0\|Offset:2\|NO_HEADERS\|k3\|null\n$`)
	m := re.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("formatted output:\n%s", r.stdout)
	}
	if ts := m[1]; len(ts) < 13 || ts < "1" || mustAtoi(t, ts) < before {
		t.Fatalf("timestamp %s is not a recent epoch millisecond", ts)
	}

	r = mustRun(t, "", append([]string{"console-consumer", "--topic", "fmt", "--partition", "0", "--offset", "2",
		"--timeout-ms", "1000", "--property", "print.value=false", "--property", "print.key=true"}, bs...)...)
	if r.stdout != "k3\n" || !strings.Contains(r.stderr, "Processed a total of 1 messages") {
		t.Fatalf("--offset 2: stdout=%q stderr=%q", r.stdout, r.stderr)
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n
}

func TestProducerMalformedLineKeepsEarlierRecords(t *testing.T) {
	addr := startBroker(t)
	bs := []string{"--bootstrap-server", addr}
	r := runCLI(t, "a:1\nb:2\nno separator here\nc:3\n", append([]string{"console-producer", "--topic", "partial",
		"--property", "parse.key=true", "--property", "key.separator=:"}, bs...)...)
	if r.err == nil || !strings.Contains(r.err.Error(), `no key separator ":" found on line 3`) ||
		!strings.Contains(r.err.Error(), "2 records before it acknowledged") {
		t.Fatalf("producer error = %v", r.err)
	}
	if ExitCode(r.err) != ExitFailure {
		t.Fatalf("exit code %d", ExitCode(r.err))
	}
	r = mustRun(t, "", append([]string{"console-consumer", "--topic", "partial", "--from-beginning", "--timeout-ms", "1000"}, bs...)...)
	if r.stdout != "1\n2\n" {
		t.Fatalf("records delivered before the bad line: %q", r.stdout)
	}
	// ignore.error produces the malformed line whole, as Kafka does.
	mustRun(t, "no separator\n", append([]string{"console-producer", "--topic", "partial",
		"--property", "parse.key=true", "--property", "ignore.error=true"}, bs...)...)
}

func TestClientErrors(t *testing.T) {
	dead := closedPort(t)
	start := time.Now()
	for _, args := range [][]string{
		{"topics", "--list", "--bootstrap-server", dead, "--timeout", "3000"},
		{"consumer-groups", "--list", "--bootstrap-server", dead, "--timeout", "3000"},
		{"console-consumer", "--topic", "t", "--bootstrap-server", dead, "--timeout-ms", "1000"},
	} {
		r := runCLI(t, "", args...)
		if r.err == nil || !strings.Contains(r.err.Error(), "cannot reach Kafka at --bootstrap-server "+dead) {
			t.Errorf("runnel %v: want a cannot-reach error, got %v", args, r.err)
		}
	}
	r := runCLI(t, "x\n", "console-producer", "--topic", "t", "--bootstrap-server", dead, "--producer-property", "delivery.timeout.ms=1000")
	if r.err == nil || !strings.Contains(r.err.Error(), "1 of 1 records were not acknowledged") {
		t.Errorf("producer to a dead broker: %v", r.err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("errors took %v; a dead broker must fail fast with a short timeout", d)
	}

	addr := startBroker(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"console-producer"}, "--topic is required"},
		{[]string{"console-producer", "--topic", "t", "--property", "parse.kye=true"}, `unknown line reader property "parse.kye"`},
		{[]string{"console-producer", "--topic", "t", "--producer-property", "acks=2"}, "acks: expected all, -1, 1 or 0"},
		{[]string{"console-producer", "--topic", "t", "--producer-property", "no.such=1"}, `unknown producer property "no.such"`},
		{[]string{"console-consumer"}, "exactly one of --topic or --include is required"},
		{[]string{"console-consumer", "--topic", "t", "--offset", "5"}, "--offset needs --partition"},
		{[]string{"console-consumer", "--topic", "t", "--partition", "0", "--group", "g"}, "--group and --partition cannot be used together"},
		{[]string{"console-consumer", "--topic", "t", "--partition", "0", "--offset", "first"}, "--offset: expected earliest, latest or a non-negative offset"},
		{[]string{"console-consumer", "--topic", "t", "--property", "print.keys=true"}, `unknown formatter property "print.keys"`},
		{[]string{"consumer-groups", "--describe"}, "--describe needs --group GROUP or --all-groups"},
		{[]string{"consumer-groups", "--reset-offsets", "--group", "g", "--topic", "t"}, "needs exactly one of --to-earliest"},
		{[]string{"consumer-groups", "--reset-offsets", "--group", "g", "--to-latest"}, "needs exactly one scope"},
		{[]string{"consumer-groups", "--reset-offsets", "--group", "g", "--all-topics", "--to-latest", "--execute", "--dry-run"}, "--execute and --dry-run cannot be used together"},
		{[]string{"consumer-groups", "--reset-offsets", "--group", "g", "--all-topics", "--by-duration", "1h"}, "--by-duration: expected an ISO-8601 duration"},
	} {
		r := runCLI(t, "", append(tc.args, "--bootstrap-server", addr)...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("runnel %v: want error containing %q, got %v", tc.args, tc.want, r.err)
		} else if ExitCode(r.err) != ExitUsage {
			t.Errorf("runnel %v: exit code %d, want %d", tc.args, ExitCode(r.err), ExitUsage)
		}
	}
}

func TestProducerInterruptDeliversWhatWasRead(t *testing.T) {
	addr := startBroker(t)
	bs := []string{"--bootstrap-server", addr}
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		cmd := NewRootCommand()
		cmd.SetArgs(append([]string{"console-producer", "--topic", "interrupted"}, bs...))
		cmd.SetIn(pr)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		done <- cmd.ExecuteContext(ctx)
	}()
	if _, err := io.WriteString(pw, "one\ntwo\n"); err != nil {
		t.Fatal(err)
	}
	// Wait until both lines are on the broker, then interrupt while the
	// producer waits for more input.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := runCLI(t, "", append([]string{"console-consumer", "--topic", "interrupted", "--from-beginning", "--timeout-ms", "300"}, bs...)...)
		if r.stdout == "one\ntwo\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("records never arrived: %q %v", r.stdout, r.err)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("interrupted producer: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("producer did not exit after interruption")
	}
	pw.Close() // lets the reader goroutine, blocked on input, end
}

func TestConsumerInclude(t *testing.T) {
	addr := startBroker(t)
	bs := []string{"--bootstrap-server", addr}
	mustRun(t, "a\n", append([]string{"console-producer", "--topic", "inc-1"}, bs...)...)
	mustRun(t, "b\n", append([]string{"console-producer", "--topic", "inc-2"}, bs...)...)
	mustRun(t, "c\n", append([]string{"console-producer", "--topic", "other"}, bs...)...)
	r := mustRun(t, "", append([]string{"console-consumer", "--include", "inc-.*", "--from-beginning", "--timeout-ms", "1500"}, bs...)...)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	sort.Strings(lines)
	if strings.Join(lines, ",") != "a,b" {
		t.Fatalf("--include output %q", r.stdout)
	}
}

func TestEmptyLineIsEmptyNotNull(t *testing.T) {
	addr := startBroker(t)
	bs := []string{"--bootstrap-server", addr}
	// The very first line empty: an empty value, which Kafka tells apart
	// from a null one.
	mustRun(t, "\nx\n", append([]string{"console-producer", "--topic", "empty"}, bs...)...)
	r := mustRun(t, "", append([]string{"console-consumer", "--topic", "empty", "--from-beginning", "--max-messages", "2",
		"--property", "print.key=true", "--property", "key.separator=|"}, bs...)...)
	if r.stdout != "null|\nnull|x\n" {
		t.Fatalf("got %q", r.stdout)
	}
}
