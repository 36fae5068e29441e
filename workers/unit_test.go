package workers

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	props, err := ParseProperties("x.properties", []byte(`# comment
! another
name = local-file-source
connector.class:FileStreamSource
transforms.MyRoute.type  org.apache.kafka.connect.transforms.RegexRouter
long.value = first \
    second
escaped\ key=tab\there\u0041
empty=
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"name": "local-file-source", "connector.class": "FileStreamSource",
		"transforms.MyRoute.type": "org.apache.kafka.connect.transforms.RegexRouter",
		"long.value":              "first second", "escaped key": "tab\thereA", "empty": "",
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("%q = %q, want %q", k, props[k], v)
		}
	}
	if _, err := ParseProperties("bad.properties", []byte("k=\\u12")); err == nil || !strings.Contains(err.Error(), "bad.properties:1") {
		t.Errorf("bad escape: %v", err)
	}
}

func TestReadConnectorFileForms(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flat, err := ReadConnectorFile(write("flat.json", `{"name":"a","connector.class":"FileStreamSource","topic":"t"}`))
	if err != nil || flat.Name != "a" || flat.Config["topic"] != "t" {
		t.Fatalf("flat: %+v %v", flat, err)
	}
	req, err := ReadConnectorFile(write("req.json", `{"name":"b","config":{"connector.class":"FileStreamSink","topics":"t"},"initial_state":"PAUSED","extra":1}`))
	if err != nil || req.Name != "b" || req.Config["name"] != "b" || req.InitialState != "PAUSED" {
		t.Fatalf("request: %+v %v", req, err)
	}
	if _, err := ReadConnectorFile(write("mismatch.json", `{"name":"b","config":{"name":"c"}}`)); err == nil || !strings.Contains(err.Error(), "doesn't match") {
		t.Fatalf("mismatch: %v", err)
	}
	props, err := ReadConnectorFile(write("c.properties", "name=c\nconnector.class=FileStreamSource\n"))
	if err != nil || props.Name != "c" || props.Config["connector.class"] != "FileStreamSource" {
		t.Fatalf("properties: %+v %v", props, err)
	}
	if _, err := ReadConnectorFile(write("noname.properties", "connector.class=FileStreamSource\n")); err == nil || !strings.Contains(err.Error(), "missing the mandatory 'name'") {
		t.Fatalf("no name: %v", err)
	}
	if _, err := ReadConnectorFile(write("broken.json", `{"name": `)); err == nil || !strings.Contains(err.Error(), "does not parse") {
		t.Fatalf("broken json: %v", err)
	}
}

func TestFileOffsetStoreRoundTripAndAtomicity(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "connect.offsets")
	s, err := OpenFileOffsetStore(path)
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := offsetKey("src", map[string]any{"filename": "/a"})
	k2, _ := offsetKey("src", map[string]any{"filename": "/b"})
	k3, _ := offsetKey("other", map[string]any{"filename": "/a"})
	ctx := context.Background()
	if err := s.Set(ctx, map[string][]byte{k1: []byte(`{"position":9007199254740993}`), k2: []byte(`{"position":2}`), k3: []byte(`{"x":1}`)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, map[string][]byte{k2: nil}); err != nil {
		t.Fatal(err)
	}
	re, err := OpenFileOffsetStore(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := re.Connector(ctx, "src")
	if len(got) != 1 || string(got[k1]) != `{"position":9007199254740993}` {
		t.Fatalf("reloaded %v", got)
	}
	r := &offsetReader{store: re, connector: "src"}
	off, err := r.Offset(ctx, map[string]any{"filename": "/a"})
	if err != nil || off["position"] != int64(9007199254740993) {
		t.Fatalf("offset %v %v (large longs must not go through float64)", off, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if err := os.WriteFile(path, []byte("\xac\xed\x00\x05sr\x00java.util.HashMap"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFileOffsetStore(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("a Java offsets file must be refused with its path: %v", err)
	}
}

func TestSubmittedRecordsCommitOnlyAcknowledgedPrefix(t *testing.T) {
	s := newSubmittedRecords("c")
	p := map[string]any{"file": "x"}
	var acks []pendingAck
	for i := int64(1); i <= 5; i++ {
		a, err := s.submit(p, map[string]any{"pos": i})
		if err != nil {
			t.Fatal(err)
		}
		acks = append(acks, a)
	}
	s.ack(acks[1])
	s.ack(acks[2])
	if c, _ := s.committable(); len(c) != 0 {
		t.Fatalf("committable before the first ack: %v", c)
	}
	s.ack(acks[0])
	c, _ := s.committable()
	key, _ := offsetKey("c", p)
	if string(c[key]) != `{"pos":3}` {
		t.Fatalf("committable %q", c[key])
	}
	s.ack(acks[4])
	if c, _ := s.committable(); len(c) != 0 {
		t.Fatalf("gap at 4 ignored: %v", c)
	}
	s.ack(acks[3])
	c, _ = s.committable()
	if string(c[key]) != `{"pos":5}` {
		t.Fatalf("committable %q", c[key])
	}
	if !s.awaitIdle(context.Background()) {
		t.Fatal("not idle after all acks")
	}
}

func TestWorkerConfigListeners(t *testing.T) {
	base := map[string]string{"key.converter": "JsonConverter", "value.converter": "JsonConverter"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	c, err := ParseWorkerConfig(with())
	if err != nil || !slices.Equal(c.Listeners, []string{":8083"}) || c.AdminListeners != nil || c.OffsetFlushInterval.Milliseconds() != 60000 {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = ParseWorkerConfig(with("rest.host.name", "127.0.0.1", "rest.port", "9000"))
	if err != nil || !slices.Equal(c.Listeners, []string{"127.0.0.1:9000"}) {
		t.Fatalf("rest.port: %+v %v", c, err)
	}
	c, err = ParseWorkerConfig(with("listeners", "http://a:1,http://b:2", "rest.port", "9000", "admin.listeners", ""))
	if err != nil || !slices.Equal(c.Listeners, []string{"a:1", "b:2"}) || c.AdminListeners == nil || len(c.AdminListeners) != 0 {
		t.Fatalf("listeners win over rest.port; empty admin.listeners disables: %+v %v", c, err)
	}
	for _, bad := range []map[string]string{
		with("listeners", "https://a:1"), with("listeners", "nonsense"), with("rest.port", "70000"), {},
	} {
		if _, err := ParseWorkerConfig(bad); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
}
