package streams

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeProps(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.properties")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigFileAndEnvOverride(t *testing.T) {
	path := writeProps(t, `
# word count
application.id=word-count
bootstrap.servers=a:9092, b:9092
num.stream.threads=2
commit.interval.ms=500
state.dir=/tmp/wc
default.deserialization.exception.handler=org.apache.kafka.streams.errors.LogAndContinueExceptionHandler
errors.deadletterqueue.topic.name=wc-dlq
statestore.cache.max.bytes=0
topic.min.insync.replicas=2
`)
	t.Setenv("RUNNEL_APPLICATION_ID", "word-count-prod")
	t.Setenv("RUNNEL_NUM_STREAM_THREADS", "4")

	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ApplicationID != "word-count-prod" {
		t.Errorf("application.id = %q, want the environment override", cfg.ApplicationID)
	}
	if cfg.NumStreamThreads != 4 {
		t.Errorf("num.stream.threads = %d, want 4 from the environment", cfg.NumStreamThreads)
	}
	if got := strings.Join(cfg.BootstrapServers, ","); got != "a:9092,b:9092" {
		t.Errorf("bootstrap.servers = %q", got)
	}
	if cfg.CommitInterval != 500*time.Millisecond {
		t.Errorf("commit.interval.ms = %v", cfg.CommitInterval)
	}
	if cfg.DeserializationExceptionHandler != LogAndContinue {
		t.Errorf("deserialization handler not LogAndContinue")
	}
	if cfg.DeadLetterQueueTopic != "wc-dlq" {
		t.Errorf("dlq = %q", cfg.DeadLetterQueueTopic)
	}
	if cfg.TopicConfigs["min.insync.replicas"] != "2" {
		t.Errorf("topic configs = %v", cfg.TopicConfigs)
	}
	full, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	// New applies the defaults, and newApp applies them again: caching
	// must stay off through both.
	again, err := full.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if full.StateStoreCacheMaxBytes > 0 || again.StateStoreCacheMaxBytes > 0 {
		t.Errorf("explicit statestore.cache.max.bytes=0 must disable caching, got %d then %d", full.StateStoreCacheMaxBytes, again.StateStoreCacheMaxBytes)
	}
	if full.ProcessingGuarantee != AtLeastOnce || full.ReplicationFactor != -1 || full.MaxPollRecords != 1000 {
		t.Errorf("defaults not applied: %+v", full)
	}
}

func TestLoadConfigEnvOnly(t *testing.T) {
	t.Setenv("RUNNEL_APPLICATION_ID", "env-app")
	t.Setenv("RUNNEL_BOOTSTRAP_SERVERS", "k:9092")
	cfg, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ApplicationID != "env-app" || len(cfg.BootstrapServers) != 1 {
		t.Fatalf("got %+v", cfg)
	}
}

func TestLoadConfigErrorsNameFileAndKey(t *testing.T) {
	cases := []struct {
		body string
		env  [2]string
		want []string
	}{
		{body: "application.id=x\ncommit.interval.ms=soon\n", want: []string{"app.properties", "line 2", "commit.interval.ms", "milliseconds", `"soon"`}},
		{body: "application.id=x\ncomit.interval.ms=5\n", want: []string{"app.properties", "unknown key", "comit.interval.ms", "line 2"}},
		{body: "deserialization.exception.handler=Nope\n", want: []string{"line 1", "deserialization.exception.handler", "LogAndContinueExceptionHandler"}},
		{body: "num.stream.threads=2\n", env: [2]string{"RUNNEL_NUM_STREAM_THREADS", "two"}, want: []string{"RUNNEL_NUM_STREAM_THREADS", "num.stream.threads", "integer"}},
		{body: "a=\\u12\n", want: []string{"app.properties", "line 1"}},
	}
	for _, c := range cases {
		path := writeProps(t, c.body)
		if c.env[0] != "" {
			t.Setenv(c.env[0], c.env[1])
		}
		_, err := LoadConfig(path)
		if err == nil {
			t.Errorf("%q: expected an error", c.body)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not mention %q", c.body, err, w)
			}
		}
		if c.env[0] != "" {
			os.Unsetenv(c.env[0])
		}
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.properties")); err == nil || !strings.Contains(err.Error(), "missing.properties") {
		t.Errorf("missing file error = %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	base := Config{ApplicationID: "a", BootstrapServers: []string{"x:1"}}
	bad := []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.ApplicationID = "" }, "application.id is required"},
		{func(c *Config) { c.ApplicationID = "a b" }, "application.id"},
		{func(c *Config) { c.BootstrapServers = nil }, "bootstrap.servers"},
		{func(c *Config) { c.ProcessingGuarantee = "exactly_once" }, "processing.guarantee"},
		{func(c *Config) { c.ProcessingGuarantee = ExactlyOnceV2 }, "not supported yet"},
		{func(c *Config) { c.NumStandbyReplicas = 1 }, "num.standby.replicas"},
		{func(c *Config) { c.AutoOffsetReset = "none" }, "auto.offset.reset"},
		{func(c *Config) { c.NumStreamThreads = -1 }, "num.stream.threads"},
	}
	for _, b := range bad {
		c := base
		b.mut(&c)
		if _, err := c.withDefaults(); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("want error containing %q, got %v", b.want, err)
		}
	}
	c, err := base.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.CommitInterval != 30*time.Second || c.NumStreamThreads != 1 || c.DeserializationExceptionHandler != LogAndFail {
		t.Errorf("defaults: %+v", c)
	}
}
