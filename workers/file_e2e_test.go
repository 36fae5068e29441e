package workers_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeLines(t testing.TB, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
}

func TestFileSourceToFileSinkCopiesExactly(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b, withProps("value.converter", "org.apache.kafka.connect.storage.StringConverter"))
	in := filepath.Join(w.dir, "in.txt")
	out := filepath.Join(w.dir, "out.txt")
	writeLines(t, in, 0, 5000)

	code, _, body := w.call("POST", "/connectors", map[string]any{"name": "src", "config": map[string]string{
		"connector.class": "FileStreamSource", "file": in, "topic": "lines"}}, nil)
	if code != 201 {
		t.Fatalf("create source: %d %s", code, body)
	}
	code, _, body = w.call("POST", "/connectors", map[string]any{"name": "sink", "config": map[string]string{
		"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "file": out, "topics": "lines"}}, nil)
	if code != 201 {
		t.Fatalf("create sink: %d %s", code, body)
	}
	w.waitRunning("src", 1)
	w.waitRunning("sink", 1)
	writeLines(t, in, 5000, 6000) // the source follows the growing file
	want, _ := os.ReadFile(in)
	var got []byte
	defer func() {
		if t.Failed() {
			t.Logf("output has %d bytes, input %d; status %+v", len(got), len(want), w.status("sink"))
			recs := readTopic(t, b.Addr(), "lines", 6000, 5*time.Second)
			t.Logf("topic has %d records", len(recs))
		}
	}()
	eventually(t, 30*time.Second, "output to match input", func() bool {
		got, _ = os.ReadFile(out)
		return string(got) == string(want)
	})
}
