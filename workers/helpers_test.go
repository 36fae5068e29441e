package workers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/broker"
	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/convert"
	"github.com/runnel-dev/runnel/connect/transforms"
	"github.com/runnel-dev/runnel/connectors/testconn"
	"github.com/runnel-dev/runnel/workers"
	"github.com/runnel-dev/runnel/workers/rest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// startBroker starts an in-memory broker on a free port.
func startBroker(t testing.TB) *broker.Broker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := broker.Start(ctx, broker.Config{AutoCreateTopics: true, DefaultPartitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// worker is one standalone worker with its REST API on 127.0.0.1:0.
type worker struct {
	t        testing.TB
	herder   *workers.Standalone
	srv      *rest.Server
	url      string
	recorder *testconn.Recorder
	dir      string
}

type workerOpt func(props map[string]string)

// extraPlugins are added to every test worker's registry.
var extraPlugins = []connect.Plugin{
	{Class: "dev.runnel.test.SecretSourceConnector", Type: connect.PluginSource, TaskClass: "dev.runnel.test.SecretSourceTask",
		New: func() any { return &secretSource{} }},
}

func withProps(kv ...string) workerOpt {
	return func(p map[string]string) {
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i]] = kv[i+1]
		}
	}
}

func startWorker(t testing.TB, b *broker.Broker, opts ...workerOpt) *worker {
	t.Helper()
	dir := t.TempDir()
	props := map[string]string{
		"bootstrap.servers":              b.Addr(),
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter.schemas.enable": "false",
		"offset.storage.file.filename":   filepath.Join(dir, "connect.offsets"),
		"offset.flush.interval.ms":       "200",
		"listeners":                      "http://127.0.0.1:0",
	}
	for _, o := range opts {
		o(props)
	}
	cfg, err := workers.ParseWorkerConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	level := slog.LevelWarn
	if os.Getenv("RUNNEL_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	loggers := workers.NewLoggers(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug - 4}), level)
	convs := convert.NewRegistry()
	rec := &testconn.Recorder{}
	plugins := connect.NewPlugins()
	xforms := transforms.NewRegistry()
	base, err := workers.BuiltinPlugins(convs, xforms)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range base.All() {
		if p.Class == testconn.SinkClass || p.Class == testconn.SourceClass {
			continue
		}
		if err := plugins.Add(*p); err != nil {
			t.Fatal(err)
		}
	}
	if err := plugins.Add(extraPlugins...); err != nil {
		t.Fatal(err)
	}
	if err := plugins.Add(testconn.Plugins(rec)...); err != nil {
		t.Fatal(err)
	}
	headers, err := rest.ParseHeaderDirectives(cfg.ResponseHeaders)
	if err != nil {
		t.Fatal(err)
	}
	srv := rest.New(rest.Options{AllowOrigin: cfg.AllowOrigin, AllowMethods: cfg.AllowMethods, ResponseHeaders: headers, Listeners: cfg.Listeners, AdminListeners: cfg.AdminListeners, TopicTracking: cfg.TopicTracking,
		TopicTrackingReset: cfg.TopicTrackingAllowReset, Loggers: loggers})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	h, err := workers.NewStandalone(workers.StandaloneOptions{Config: cfg, Plugins: plugins, Converters: convs, Transforms: xforms, Loggers: loggers, WorkerID: srv.Addrs()[0]})
	if err != nil {
		t.Fatal(err)
	}
	srv.Serve(h)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	w := &worker{t: t, herder: h, srv: srv, url: "http://" + srv.Addrs()[0], recorder: rec, dir: dir}
	t.Cleanup(w.close)
	return w
}

func (w *worker) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = w.srv.Close(ctx)
	_ = w.herder.Close(ctx)
}

// testWriter sends logs to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// call makes a REST call and decodes the JSON answer into out (if non-nil).
func (w *worker) call(method, path string, body any, out any) (int, http.Header, []byte) {
	w.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, w.url+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			w.t.Fatalf("%s %s: decoding %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, resp.Header, raw
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// status returns the connector status via REST.
func (w *worker) status(name string) workers.ConnectorStateInfo {
	var st workers.ConnectorStateInfo
	if code, _, body := w.call("GET", "/connectors/"+name+"/status", nil, &st); code != 200 {
		w.t.Logf("status of %s: %d %s", name, code, body)
	}
	return st
}

func (w *worker) waitRunning(name string, tasks int) {
	w.t.Helper()
	var st workers.ConnectorStateInfo
	defer func() {
		if w.t.Failed() {
			w.t.Logf("last status of %s: %+v", name, st)
		}
	}()
	eventually(w.t, 20*time.Second, name+" RUNNING with tasks", func() bool {
		st = w.status(name)
		if st.Connector.State != workers.StateRunning || len(st.Tasks) != tasks {
			return false
		}
		for _, ts := range st.Tasks {
			if ts.State != workers.StateRunning {
				return false
			}
		}
		return true
	})
}

// readTopic consumes topic from the start until want records arrived or
// the timeout passed, and returns what it got.
func readTopic(t testing.TB, addr, topic string, want int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

// secretSource is a source connector with a PASSWORD key, whose tasks
// produce nothing.
type secretSource struct{ cfg map[string]string }

func (c *secretSource) Version() string { return "1" }
func (c *secretSource) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "db.password", Type: connect.TypePassword, Required: true, Importance: connect.ImportanceHigh}).
		Define(connect.ConfigKey{Name: "mode", Type: connect.TypeString, Default: "bulk", Validator: connect.ValidString("bulk", "incrementing"), Importance: connect.ImportanceHigh})
}
func (c *secretSource) Start(_ context.Context, _ connect.ConnectorContext, cfg map[string]string) error {
	c.cfg = cfg
	return nil
}
func (c *secretSource) TaskConfigs(n int) ([]map[string]string, error) {
	return []map[string]string{c.cfg}, nil
}
func (c *secretSource) Stop() error                 { return nil }
func (c *secretSource) NewTask() connect.SourceTask { return idleTask{} }

type idleTask struct{}

func (idleTask) Version() string { return "1" }
func (idleTask) Start(context.Context, connect.SourceTaskContext, map[string]string) error {
	return nil
}
func (idleTask) Poll(ctx context.Context) ([]connect.SourceRecord, error) {
	select {
	case <-ctx.Done():
	case <-time.After(100 * time.Millisecond):
	}
	return nil, nil
}
func (idleTask) Stop() error { return nil }
