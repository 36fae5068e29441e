package cli

import (
	"regexp"
	"strings"
	"testing"
)

func TestTopicsLifecycle(t *testing.T) {
	addr := startBroker(t)
	bs := []string{"--bootstrap-server", addr}
	topics := func(args ...string) cliResult {
		return runCLI(t, "", append(append([]string{"topics"}, bs...), args...)...)
	}

	r := topics("--create", "--topic", "orders", "--partitions", "2", "--replication-factor", "1", "--config", "retention.ms=3600000")
	if r.err != nil || r.stdout != "Created topic orders.\n" {
		t.Fatalf("create: err=%v stdout=%q", r.err, r.stdout)
	}
	if r := topics("--create", "--topic", "orders", "--partitions", "2"); r.err == nil || !strings.Contains(r.err.Error(), "'orders' already exists") {
		t.Fatalf("second create: want an already-exists error, got %v", r.err)
	}
	if r := topics("--create", "--topic", "orders", "--if-not-exists"); r.err != nil || r.stdout != "" {
		t.Fatalf("create --if-not-exists on existing topic: err=%v stdout=%q", r.err, r.stdout)
	}
	if r := topics("--create", "--topic", "payments"); r.err != nil {
		t.Fatalf("create with broker defaults: %v", r.err)
	}

	r = topics("--list")
	if r.err != nil || r.stdout != "orders\npayments\n" {
		t.Fatalf("list: err=%v stdout=%q", r.err, r.stdout)
	}

	r = topics("--describe", "--topic", "orders")
	want := regexp.MustCompile(`^Topic: orders\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention.ms=3600000\n` +
		`\tTopic: orders\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\n` +
		`\tTopic: orders\tPartition: 1\tLeader: 0\tReplicas: 0\tIsr: 0\n$`)
	if r.err != nil || !want.MatchString(r.stdout) {
		t.Fatalf("describe: err=%v stdout=\n%s", r.err, r.stdout)
	}
	// --topic is a regular expression outside --create, like Kafka's.
	r = topics("--describe", "--topic", "pay.*")
	if r.err != nil || !strings.HasPrefix(r.stdout, "Topic: payments\t") || strings.Contains(r.stdout, "orders") {
		t.Fatalf("describe by regex: err=%v stdout=\n%s", r.err, r.stdout)
	}
	if r := topics("--describe", "--topic", "missing"); r.err == nil || !strings.Contains(r.err.Error(), "topic 'missing' does not exist as expected") {
		t.Fatalf("describe missing topic: got %v", r.err)
	}
	if r := topics("--describe", "--topic", "missing", "--if-exists"); r.err != nil || r.stdout != "" {
		t.Fatalf("describe missing topic --if-exists: err=%v stdout=%q", r.err, r.stdout)
	}

	if r := topics("--alter", "--topic", "orders", "--partitions", "4"); r.err != nil {
		t.Fatalf("alter partitions: %v", r.err)
	}
	if r := topics("--alter", "--topic", "orders", "--config", "retention.ms=60000"); r.err != nil {
		t.Fatalf("alter config: %v", r.err)
	}
	r = topics("--describe", "--topic", "orders")
	if !strings.Contains(r.stdout, "PartitionCount: 4\t") || !strings.Contains(r.stdout, "Configs: retention.ms=60000\n") ||
		!strings.Contains(r.stdout, "\tPartition: 3\t") {
		t.Fatalf("describe after alter: %v\n%s", r.err, r.stdout)
	}
	if r := topics("--alter", "--topic", "orders", "--partitions", "2"); r.err == nil {
		t.Fatal("shrinking partitions succeeded; Kafka refuses it")
	}

	if r := topics("--delete", "--topic", "orders"); r.err != nil {
		t.Fatalf("delete: %v", r.err)
	}
	if r := topics("--list"); r.stdout != "payments\n" {
		t.Fatalf("list after delete: %q", r.stdout)
	}
	if r := topics("--delete", "--topic", "orders"); r.err == nil || !strings.Contains(r.err.Error(), "does not exist") {
		t.Fatalf("deleting a missing topic: got %v", r.err)
	}
	if r := topics("--delete", "--topic", "orders", "--if-exists"); r.err != nil {
		t.Fatalf("delete --if-exists of a missing topic: %v", r.err)
	}
}

func TestTopicsUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"topics"}, "exactly one of --create, --list, --describe, --delete or --alter"},
		{[]string{"topics", "--create", "--list"}, "exactly one of"},
		{[]string{"topics", "--create"}, "--topic is required with --create"},
		{[]string{"topics", "--delete"}, "--topic is required with --delete"},
		{[]string{"topics", "--create", "--topic", "t", "--partitions", "0"}, "--partitions: expected a number greater than 0"},
		{[]string{"topics", "--create", "--topic", "t", "--replication-factor", "0"}, "--replication-factor: expected a number between 1 and 32767"},
		{[]string{"topics", "--create", "--topic", "bad topic"}, `--topic: topic name "bad topic" contains ' '`},
		{[]string{"topics", "--alter", "--topic", "t"}, "--alter needs --partitions or --config"},
		{[]string{"topics", "--list", "--if-not-exists"}, "--if-not-exists is only valid with --create"},
		{[]string{"topics", "--create", "--topic", "t", "--config", "retention.ms"}, "--config: expected key=value"},
		{[]string{"topics", "--list", "--bootstrap-server", "nohostport"}, "--bootstrap-server: expected host:port"},
		{[]string{"topics", "--list", "--no-such-flag"}, "unknown flag: --no-such-flag"},
	} {
		r := runCLI(t, "", tc.args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("runnel %v: want error containing %q, got %v", tc.args, tc.want, r.err)
			continue
		}
		if code := ExitCode(r.err); code != ExitUsage {
			t.Errorf("runnel %v: exit code %d, want %d", tc.args, code, ExitUsage)
		}
	}
}
