package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/broker"
)

// kafkaBrokerProperties is shaped like Apache Kafka's config/broker.properties.
const kafkaBrokerProperties = `
process.roles=broker
node.id=2
controller.quorum.bootstrap.servers=localhost:9093
listeners=PLAINTEXT://localhost:19092,CONTROLLER://localhost:19093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://kafka.example:19092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL
log.dirs=/tmp/kraft-broker-logs
num.partitions=6
socket.request.max.bytes=1048576
log.retention.hours=168
log.cleanup.policy=compact
log.flush.interval.messages=1
auto.create.topics.enable=false
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// brokerConfigFor resolves the broker command's configuration for args
// without starting a broker.
func brokerConfigFor(t *testing.T, args ...string) (broker.Config, error) {
	t.Helper()
	o := &brokerOptions{}
	cmd := newBrokerCommandFor(o)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	return o.config(cmd)
}

func TestBrokerConfigFromKafkaProperties(t *testing.T) {
	path := writeFile(t, "broker.properties", kafkaBrokerProperties)
	cfg, err := brokerConfigFor(t, "--config", path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/tmp/kraft-broker-logs" || cfg.Listen != "localhost:19092" || cfg.Advertise != "kafka.example:19092" ||
		cfg.DefaultPartitions != 6 || cfg.MaxRequestBytes != 1048576 || !cfg.SyncWrites || cfg.AutoCreateTopics {
		t.Fatalf("mapped config: %+v", cfg)
	}
	want := map[string]string{
		"process.roles":                       "broker",
		"node.id":                             "2",
		"controller.quorum.bootstrap.servers": "localhost:9093",
		"log.retention.hours":                 "168",
		"log.retention.ms":                    "604800000",
		"log.cleanup.policy":                  "compact",
	}
	if !reflect.DeepEqual(cfg.BrokerConfigs, want) {
		t.Fatalf("passed-through broker configs:\n got %v\nwant %v", cfg.BrokerConfigs, want)
	}
}

func TestBrokerConfigPrecedence(t *testing.T) {
	path := writeFile(t, "b.properties", "log.dirs=/from/file\nnum.partitions=2\nlisteners=PLAINTEXT://127.0.0.1:1234\nadvertised.listeners=PLAINTEXT://adv:1234\nlog.retention.ms=1000\n")

	// Defaults without a file.
	cfg, err := brokerConfigFor(t)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != defaultDataDir || cfg.Listen != defaultListen || !cfg.AutoCreateTopics || cfg.DefaultPartitions != 1 {
		t.Fatalf("defaults: %+v", cfg)
	}

	// --override beats the file; flags beat both.
	cfg, err = brokerConfigFor(t, "--config", path, "--override", "num.partitions=5", "--override", "log.retention.ms=2000",
		"--data-dir", "/from/flag")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/from/flag" || cfg.DefaultPartitions != 5 || cfg.BrokerConfigs["log.retention.ms"] != "2000" ||
		cfg.Listen != "127.0.0.1:1234" || cfg.Advertise != "adv:1234" {
		t.Fatalf("precedence: %+v", cfg)
	}
	cfg, err = brokerConfigFor(t, "--config", path, "--override", "num.partitions=5", "--partitions", "7", "--listen", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A new listener drops the file's advertised address, which belonged
	// to the file's listener.
	if cfg.DefaultPartitions != 7 || cfg.Listen != "127.0.0.1:0" || cfg.Advertise != "" {
		t.Fatalf("flags over file: %+v", cfg)
	}
	cfg, err = brokerConfigFor(t, "--in-memory")
	if err != nil || cfg.DataDir != "" {
		t.Fatalf("--in-memory: %+v %v", cfg, err)
	}
}

func TestBrokerConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		props, want string
	}{
		{"num.partitions=zero", `num.partitions: expected an integer >= 1, got "zero"`},
		{"auto.create.topics.enable=yes", `auto.create.topics.enable: expected true or false, got "yes"`},
		{"log.dirs=/a,/b", "log.dirs: expected one directory"},
		{"listeners=localhost:9092", "listeners: expected NAME://host:port"},
		{"listeners=SSL://:9093", "listener SSL uses SSL"},
		{"listeners=PLAINTEXT://:9092,OTHER://:9094\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT", "expected exactly one non-controller listener"},
		{"advertised.listeners=PLAINTEXT://:9092", "has no host"},
		{"socket.request.max.bytes=-1", "socket.request.max.bytes: expected an integer >= 1"},
		{"log.retention.hours=a week", `log.retention.hours: expected an integer, got "a week"`},
	} {
		path := writeFile(t, "bad.properties", tc.props+"\n")
		_, err := brokerConfigFor(t, "--config", path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: want error naming %s and containing %q, got %v", tc.props, path, tc.want, err)
		}
	}
	if _, err := brokerConfigFor(t, "--config", filepath.Join(t.TempDir(), "missing.properties")); err == nil {
		t.Error("a missing --config file was accepted")
	}
	if _, err := brokerConfigFor(t, "--override", "nokey"); err == nil || !strings.Contains(err.Error(), "--override: expected key=value") {
		t.Errorf("bad --override: %v", err)
	}
}
