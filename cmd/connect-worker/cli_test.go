package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String() + errOut.String()
}

func TestUsageAndModes(t *testing.T) {
	for _, args := range [][]string{nil, {"--help"}, {"standalone"}, {"standalone", "--help"}, {"bogus"}} {
		code, out := runCLI(t, args...)
		if code != exitUsage || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
	code, out := runCLI(t, "distributed", "worker.properties")
	if code != exitUsage || !strings.Contains(out, "distributed mode is not available yet") {
		t.Errorf("distributed: exit %d, %q", code, out)
	}
}

func TestBadWorkerConfigExits2(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.properties")
	if code, out := runCLI(t, "standalone", missing); code != exitConfigError || !strings.Contains(out, "Stopping due to error") {
		t.Errorf("missing file: exit %d %q", code, out)
	}
	bad := filepath.Join(dir, "worker.properties")
	os.WriteFile(bad, []byte("bootstrap.servers=127.0.0.1:1\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\noffset.storage.file.filename="+filepath.Join(dir, "o")+"\n"), 0o644)
	code, out := runCLI(t, "standalone", bad)
	if code != exitConfigError || !strings.Contains(out, `key.converter`) {
		t.Errorf("missing key.converter: exit %d %q", code, out)
	}
	os.WriteFile(bad, []byte("key.converter=JsonConverter\nvalue.converter=JsonConverter\noffset.storage.file.filename="+filepath.Join(dir, "o")+"\noffset.flush.interval.ms=soon\n"), 0o644)
	if code, out := runCLI(t, "standalone", bad); code != exitConfigError || !strings.Contains(out, "offset.flush.interval.ms") {
		t.Errorf("bad interval: exit %d %q", code, out)
	}
	os.WriteFile(bad, []byte("key.converter=JsonConverter\nvalue.converter=JsonConverter\n"), 0o644)
	if code, out := runCLI(t, "standalone", bad); code != exitConfigError || !strings.Contains(out, "offset.storage.file.filename") {
		t.Errorf("no offsets file: exit %d %q", code, out)
	}
}

func TestBadConnectorFileExits3(t *testing.T) {
	dir := t.TempDir()
	worker := filepath.Join(dir, "worker.properties")
	os.WriteFile(worker, []byte("key.converter=JsonConverter\nvalue.converter=JsonConverter\noffset.storage.file.filename="+filepath.Join(dir, "o")+"\n"), 0o644)
	conn := filepath.Join(dir, "c.properties")
	os.WriteFile(conn, []byte("connector.class=FileStreamSource\ntopic=t\n"), 0o644)
	code, out := runCLI(t, "standalone", worker, conn)
	if code != exitStartError || !strings.Contains(out, "missing the mandatory 'name' configuration") {
		t.Errorf("exit %d %q", code, out)
	}
}
