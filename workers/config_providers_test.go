package workers_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigProvidersResolveAtStartAndStayHidden(t *testing.T) {
	b := startBroker(t)
	secrets := t.TempDir()
	os.WriteFile(filepath.Join(secrets, "conn.properties"), []byte("topic=resolved-topic\n"), 0o600)
	in := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(in, []byte("a\nb\n"), 0o644)
	os.WriteFile(filepath.Join(secrets, "input"), []byte(in), 0o600)
	t.Setenv("RUNNEL_TEST_BATCH", "7")
	w := startWorker(t, b, withProps(
		"config.providers", "file,env,dir",
		"config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider",
		"config.providers.file.param.allowed.paths", secrets,
		"config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
		"config.providers.dir.class", "org.apache.kafka.common.config.provider.DirectoryConfigProvider"))
	cfg := map[string]string{"connector.class": "FileStreamSource",
		"topic":      "${file:" + filepath.Join(secrets, "conn.properties") + ":topic}",
		"file":       "${dir:" + secrets + ":input}",
		"batch.size": "${env:RUNNEL_TEST_BATCH}"}
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "src", "config": cfg}, 201, nil)
	if got := readTopic(t, b.Addr(), "resolved-topic", 2, 20*time.Second); len(got) != 2 {
		t.Fatalf("resolved topic has %d records", len(got))
	}
	for _, path := range []string{"/connectors/src/config", "/connectors/src/tasks", "/connectors/src"} {
		_, _, raw := w.call("GET", path, nil, nil)
		if strings.Contains(string(raw), "resolved-topic") || !strings.Contains(string(raw), "${file:") {
			t.Errorf("%s shows resolved values: %s", path, raw)
		}
	}
	// Outside allowed.paths a placeholder fails the connector start.
	cfg["topic"] = "${file:/etc/hostname:x}"
	code, _, body := w.call("POST", "/connectors", map[string]any{"name": "bad", "config": cfg}, nil)
	if code != 400 || !strings.Contains(string(body), "allowed.paths") {
		t.Fatalf("disallowed path: %d %s", code, body)
	}
}
