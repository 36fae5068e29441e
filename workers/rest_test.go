package workers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/workers"
	"github.com/runnel-dev/runnel/workers/rest"
)

type errBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// expectError checks status and Kafka's error body, and that the message
// contains each of want.
func expectError(t *testing.T, w *worker, method, path string, body any, status int, want ...string) {
	t.Helper()
	var e errBody
	code, hdr, raw := w.call(method, path, body, &e)
	if code != status || e.ErrorCode != status {
		t.Fatalf("%s %s: got %d %s, want %d", method, path, code, raw, status)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	for _, s := range want {
		if !strings.Contains(e.Message, s) {
			t.Errorf("%s %s: message %q lacks %q", method, path, e.Message, s)
		}
	}
}

func expectCode(t *testing.T, w *worker, method, path string, body any, status int, out any) []byte {
	t.Helper()
	code, _, raw := w.call(method, path, body, out)
	if code != status {
		t.Fatalf("%s %s: got %d %s, want %d", method, path, code, raw, status)
	}
	return raw
}

func TestRESTRootHealthAndErrors(t *testing.T) {
	w := startWorker(t, startBroker(t))
	var info workers.ServerInfo
	expectCode(t, w, "GET", "/", nil, 200, &info)
	if info.Version == "" || info.Commit == "" || info.KafkaClusterID == "" {
		t.Fatalf("server info %+v", info)
	}
	var health map[string]string
	expectCode(t, w, "GET", "/health", nil, 200, &health)
	if health["status"] != "healthy" || !strings.Contains(health["message"], "ready") {
		t.Fatalf("health %v", health)
	}
	expectError(t, w, "GET", "/no/such/path", nil, 404, "Not Found")
	expectError(t, w, "DELETE", "/connectors", nil, 405, "Method Not Allowed")
	var names []string
	if raw := expectCode(t, w, "GET", "/connectors", nil, 200, &names); string(raw) != "[]" {
		t.Fatalf("empty list is %s", raw)
	}
}

func TestRESTCreateValidationErrors(t *testing.T) {
	w := startWorker(t, startBroker(t))
	in := filepath.Join(w.dir, "in.txt")
	expectError(t, w, "POST", "/connectors", `{"name": "x", "config": `, 400, "Cannot parse request body")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"file": in}}, 400, "contains no connector type")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "NoSuchConnector"}}, 500,
		"Failed to find any class that implements Connector and which name matches NoSuchConnector")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSource", "topic": "t", "tasks.max": "0"}}, 400,
		"Connector configuration is invalid and contains the following 1 error(s):", "Invalid value 0 for configuration tasks.max: Value must be at least 1",
		"/connector-plugins/{connectorType}/config/validate")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSource", "file": in}}, 400,
		`Missing required configuration "topic" which has no default value.`)
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSource", "topic": "t", "batch.size": "lots"}}, 400,
		"Invalid value lots for configuration batch.size: Not a number of type INT")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSink", "topics": "a", "topics.regex": "b.*"}}, 400,
		"topics and topics.regex are mutually exclusive options, but both are set.")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSink"}}, 400,
		"Must configure one of topics or topics.regex")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSink", "topics": "a,dlq", "errors.deadletterqueue.topic.name": "dlq"}}, 400,
		"The DLQ topic 'dlq' may not be included in the list of topics")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSource", "topic": "t", "errors.tolerance": "some"}}, 400,
		"Invalid value some for configuration errors.tolerance: String must be one of: none, all")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSource", "topic": "t", "name": "y"}}, 400,
		"Connector name configuration (y) doesn't match connector name in the URL (x)")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "", "config": map[string]string{"connector.class": "FileStreamSource", "topic": "t"}}, 400,
		"Invalid value  for configuration name: String may not be empty")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSource", "topic": "t", "transforms": "a", "transforms.a.type": "NoSuchSMT"}}, 400,
		"transforms.a.type")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSource", "topic": "t", "value.converter": "NoSuchConverter"}}, 400,
		"value.converter")
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "x", "config": map[string]string{"connector.class": "FileStreamSource", "topic": "t"}, "initial_state": "SLEEPING"}, 400,
		"initial_state")
	var names []string
	expectCode(t, w, "GET", "/connectors", nil, 200, &names)
	if len(names) != 0 {
		t.Fatalf("rejected connectors were created: %v", names)
	}
}

func TestRESTConnectorLifecycle(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	in := filepath.Join(w.dir, "in.txt")
	writeLines(t, in, 0, 10)
	cfg := map[string]string{"connector.class": "FileStreamSource", "file": in, "topic": "life", "tasks.max": "3"}

	var info workers.ConnectorInfo
	code, hdr, raw := w.call("POST", "/connectors", map[string]any{"name": " src ", "config": cfg}, &info)
	if code != 201 || hdr.Get("Location") != "/connectors/src" {
		t.Fatalf("create: %d %v %s", code, hdr, raw)
	}
	if info.Name != "src" || info.Type != "source" || info.Config["name"] != "src" || len(info.Tasks) != 1 || info.Tasks[0] != (workers.ConnectorTaskID{Connector: "src", Task: 0}) {
		t.Fatalf("created info %+v", info)
	}
	expectError(t, w, "POST", "/connectors", map[string]any{"name": "src", "config": cfg}, 409, "Connector src already exists")
	w.waitRunning("src", 1)

	expectCode(t, w, "GET", "/connectors/src", nil, 200, &info)
	if info.Name != "src" || info.Config["file"] != in {
		t.Fatalf("get %+v", info)
	}
	expectError(t, w, "GET", "/connectors/nope", nil, 404, "Connector nope not found")
	expectError(t, w, "GET", "/connectors/nope/config", nil, 404, "Connector nope not found")
	expectError(t, w, "GET", "/connectors/nope/status", nil, 404, "No status found for connector nope")
	expectError(t, w, "GET", "/connectors/nope/tasks", nil, 404, "Connector nope not found")
	expectError(t, w, "GET", "/connectors/src/tasks/7/status", nil, 404, "No status found for task src-7")
	expectError(t, w, "DELETE", "/connectors/nope", nil, 404, "Connector nope not found")
	expectError(t, w, "PATCH", "/connectors/nope/config", map[string]string{"a": "b"}, 404, "Connector nope not found")
	expectError(t, w, "PUT", "/connectors/nope/pause", nil, 404, "nope")
	expectError(t, w, "PUT", "/connectors/nope/resume", nil, 404, "nope")
	expectError(t, w, "PUT", "/connectors/nope/stop", nil, 404, "nope")
	expectError(t, w, "POST", "/connectors/nope/restart", nil, 404, "nope")
	expectError(t, w, "POST", "/connectors/nope/restart?includeTasks=true", nil, 404, "nope")
	expectError(t, w, "POST", "/connectors/nope/tasks/0/restart", nil, 404, "nope")
	expectError(t, w, "POST", "/connectors/src/tasks/5/restart", nil, 404, "Task src-5 not found")
	expectError(t, w, "GET", "/connectors/nope/offsets", nil, 404, "nope")
	expectError(t, w, "GET", "/connectors/nope/topics", nil, 404, "nope")

	var expanded map[string]map[string]json.RawMessage
	expectCode(t, w, "GET", "/connectors?expand=status&expand=info&expand=bogus", nil, 200, &expanded)
	if len(expanded["src"]) != 2 || expanded["src"]["status"] == nil || expanded["src"]["info"] == nil {
		t.Fatalf("expanded %v", expanded)
	}
	var st workers.ConnectorStateInfo
	raw = expectCode(t, w, "GET", "/connectors/src/status", nil, 200, &st)
	if st.Name != "src" || st.Type != "source" || st.Connector.WorkerID == "" || strings.Contains(string(raw), "trace") {
		t.Fatalf("status %s", raw)
	}
	var ts workers.TaskState
	expectCode(t, w, "GET", "/connectors/src/tasks/0/status", nil, 200, &ts)
	if ts.ID != 0 || ts.State != "RUNNING" || ts.WorkerID == "" {
		t.Fatalf("task status %+v", ts)
	}
	var tasks []workers.TaskInfo
	expectCode(t, w, "GET", "/connectors/src/tasks", nil, 200, &tasks)
	if len(tasks) != 1 || tasks[0].ID.Connector != "src" || tasks[0].Config["task.class"] != "org.apache.kafka.connect.file.FileStreamSourceTask" || tasks[0].Config["topic"] != "life" {
		t.Fatalf("tasks %+v", tasks)
	}
	var tasksConfig map[string]map[string]string
	expectCode(t, w, "GET", "/connectors/src/tasks-config", nil, 200, &tasksConfig)
	if tasksConfig["src-0"]["task.class"] == "" {
		t.Fatalf("tasks-config %v", tasksConfig)
	}

	// Topic tracking.
	eventually(t, 10*time.Second, "active topics", func() bool {
		var topics map[string]map[string][]string
		w.call("GET", "/connectors/src/topics", nil, &topics)
		return slices.Equal(topics["src"]["topics"], []string{"life"})
	})
	expectCode(t, w, "PUT", "/connectors/src/topics/reset", nil, 202, nil)
	var topics map[string]map[string][]string
	expectCode(t, w, "GET", "/connectors/src/topics", nil, 200, &topics)
	if t0 := topics["src"]["topics"]; t0 == nil || len(t0) != 0 {
		t.Fatalf("topics after reset %v", topics)
	}

	// Config updates.
	var cfgOut map[string]string
	expectCode(t, w, "GET", "/connectors/src/config", nil, 200, &cfgOut)
	if cfgOut["topic"] != "life" || cfgOut["name"] != "src" {
		t.Fatalf("config %v", cfgOut)
	}
	expectError(t, w, "PUT", "/connectors/src/config", map[string]string{"connector.class": "FileStreamSource", "topic": "t", "name": "other"}, 400, "doesn't match")
	expectError(t, w, "PUT", "/connectors/src/config", map[string]string{"connector.class": "FileStreamSource"}, 400, "topic")
	upd := map[string]string{"connector.class": "FileStreamSource", "file": in, "topic": "life2"}
	code, hdr, raw = w.call("PUT", "/connectors/src/config", upd, &info)
	if code != 200 || hdr.Get("Location") != "" || info.Config["topic"] != "life2" {
		t.Fatalf("update: %d %s", code, raw)
	}
	code, hdr, raw = w.call("PUT", "/connectors/src2/config", upd, &info)
	if code != 201 || hdr.Get("Location") != "/connectors/src2" || info.Config["name"] != "src2" {
		t.Fatalf("create via PUT: %d %v %s", code, hdr, raw)
	}
	var patched workers.ConnectorInfo
	expectCode(t, w, "PATCH", "/connectors/src/config", map[string]any{"batch.size": "10", "tasks.max": nil}, 200, &patched)
	if patched.Config["batch.size"] != "10" || patched.Config["topic"] != "life2" {
		t.Fatalf("patched %+v", patched)
	}
	if _, ok := patched.Config["tasks.max"]; ok {
		t.Fatalf("null did not remove tasks.max: %v", patched.Config)
	}
	expectError(t, w, "PATCH", "/connectors/src/config", map[string]any{"batch.size": "x"}, 400, "batch.size")

	// Restarts.
	w.waitRunning("src", 1)
	expectCode(t, w, "POST", "/connectors/src/restart", nil, 204, nil)
	expectCode(t, w, "POST", "/connectors/src/restart?includeTasks=false&onlyFailed=false", nil, 204, nil)
	w.waitRunning("src", 1)
	var plan workers.ConnectorStateInfo
	expectCode(t, w, "POST", "/connectors/src/restart?includeTasks=true&onlyFailed=true", nil, 202, &plan)
	if plan.Connector.State == "RESTARTING" || len(plan.Tasks) != 1 || plan.Tasks[0].State == "RESTARTING" {
		t.Fatalf("onlyFailed with nothing failed restarted something: %+v", plan)
	}
	expectCode(t, w, "POST", "/connectors/src/restart?includeTasks=true", nil, 202, &plan)
	if plan.Connector.State != "RESTARTING" || plan.Tasks[0].State != "RESTARTING" {
		t.Fatalf("restart plan %+v", plan)
	}
	w.waitRunning("src", 1)
	expectCode(t, w, "POST", "/connectors/src/tasks/0/restart", nil, 204, nil)
	w.waitRunning("src", 1)

	// Pause, resume, stop.
	expectCode(t, w, "PUT", "/connectors/src/pause", nil, 202, nil)
	expectCode(t, w, "PUT", "/connectors/src/pause", nil, 202, nil)
	eventually(t, 10*time.Second, "PAUSED", func() bool {
		st := w.status("src")
		return st.Connector.State == "PAUSED" && len(st.Tasks) == 1 && st.Tasks[0].State == "PAUSED"
	})
	expectCode(t, w, "PUT", "/connectors/src/resume", nil, 202, nil)
	w.waitRunning("src", 1)
	expectCode(t, w, "PUT", "/connectors/src/stop", nil, 204, nil)
	expectCode(t, w, "PUT", "/connectors/src/stop", nil, 204, nil)
	st = w.status("src")
	if st.Connector.State != "STOPPED" || len(st.Tasks) != 0 {
		t.Fatalf("stopped status %+v", st)
	}
	expectCode(t, w, "GET", "/connectors/src", nil, 200, &info)
	if len(info.Tasks) != 0 {
		t.Fatalf("stopped connector has tasks %+v", info)
	}
	expectCode(t, w, "GET", "/connectors/src/tasks", nil, 200, &tasks)
	if len(tasks) != 0 {
		t.Fatalf("stopped connector lists tasks %+v", tasks)
	}
	expectCode(t, w, "PUT", "/connectors/src/resume", nil, 202, nil)
	w.waitRunning("src", 1)

	// Delete.
	expectCode(t, w, "DELETE", "/connectors/src", nil, 204, nil)
	expectError(t, w, "GET", "/connectors/src", nil, 404, "not found")
	var names []string
	expectCode(t, w, "GET", "/connectors", nil, 200, &names)
	if !slices.Equal(names, []string{"src2"}) {
		t.Fatalf("names %v", names)
	}
}

func TestRESTInitialStateAndPasswords(t *testing.T) {
	w := startWorker(t, startBroker(t))
	cfg := map[string]string{"connector.class": "dev.runnel.test.SecretSourceConnector", "db.password": "hunter2", "topic": "x"}
	var info workers.ConnectorInfo
	code, _, raw := w.call("POST", "/connectors", map[string]any{"name": "sec", "config": cfg, "initial_state": "paused"}, &info)
	if code != 201 {
		t.Fatalf("create %d %s", code, raw)
	}
	if strings.Contains(string(raw), "hunter2") || info.Config["db.password"] != connect.HiddenPassword {
		t.Fatalf("password echoed: %s", raw)
	}
	st := w.status("sec")
	if st.Connector.State != "PAUSED" || len(st.Tasks) != 0 {
		t.Fatalf("paused at creation: %+v", st)
	}
	for _, path := range []string{"/connectors/sec", "/connectors/sec/config", "/connectors/sec/tasks", "/connectors?expand=info"} {
		if _, _, raw := w.call("GET", path, nil, nil); strings.Contains(string(raw), "hunter2") {
			t.Fatalf("%s leaks the password: %s", path, raw)
		}
	}
	expectCode(t, w, "PUT", "/connectors/sec/resume", nil, 202, nil)
	w.waitRunning("sec", 1)
	var tasks []workers.TaskInfo
	raw = expectCode(t, w, "GET", "/connectors/sec/tasks", nil, 200, &tasks)
	if strings.Contains(string(raw), "hunter2") || len(tasks) != 1 {
		t.Fatalf("tasks %s", raw)
	}
	// A GET-edit-PUT round trip keeps the stored secret.
	var got map[string]string
	expectCode(t, w, "GET", "/connectors/sec/config", nil, 200, &got)
	got["mode"] = "incrementing"
	expectCode(t, w, "PUT", "/connectors/sec/config", got, 200, nil)
	var infos connect.ConfigInfos
	expectCode(t, w, "PUT", "/connector-plugins/dev.runnel.test.SecretSourceConnector/config/validate",
		map[string]string{"connector.class": "dev.runnel.test.SecretSourceConnector", "db.password": "hunter2", "mode": "x"}, 200, &infos)
	if b, _ := json.Marshal(infos); strings.Contains(string(b), "hunter2") || infos.ErrorCount != 2 {
		t.Fatalf("validate: %d errors, %s", infos.ErrorCount, b)
	}
	// The connector received the real secret (not [hidden]) after the round trip.
	var cfgNow map[string]string
	expectCode(t, w, "GET", "/connectors/sec/config", nil, 200, &cfgNow)
	if cfgNow["mode"] != "incrementing" || cfgNow["db.password"] != connect.HiddenPassword {
		t.Fatalf("config after round trip %v", cfgNow)
	}
}

func TestRESTPlugins(t *testing.T) {
	w := startWorker(t, startBroker(t))
	var plugins []workers.PluginInfo
	expectCode(t, w, "GET", "/connector-plugins", nil, 200, &plugins)
	idx := func(class string) int {
		return slices.IndexFunc(plugins, func(p workers.PluginInfo) bool { return p.Class == class })
	}
	sink, src := idx("org.apache.kafka.connect.file.FileStreamSinkConnector"), idx("org.apache.kafka.connect.file.FileStreamSourceConnector")
	if sink < 0 || src < 0 || sink > src || plugins[sink].Type != "sink" || plugins[src].Type != "source" || plugins[src].Version == "" {
		t.Fatalf("plugins %+v", plugins)
	}
	for _, p := range plugins {
		if p.Type != "sink" && p.Type != "source" {
			t.Fatalf("connectorsOnly default lists %+v", p)
		}
	}
	expectCode(t, w, "GET", "/connector-plugins?connectorsOnly=false", nil, 200, &plugins)
	types := map[string]bool{}
	for _, p := range plugins {
		types[p.Type] = true
	}
	for _, ty := range []string{"sink", "source", "converter", "header_converter", "transformation", "predicate"} {
		if !types[ty] {
			t.Errorf("connectorsOnly=false lacks %s: %v", ty, types)
		}
	}

	var keys []connect.ConfigKeyInfo
	expectCode(t, w, "GET", "/connector-plugins/FileStreamSource/config", nil, 200, &keys)
	names := map[string]connect.ConfigKeyInfo{}
	for _, k := range keys {
		names[k.Name] = k
	}
	if names["batch.size"].DefaultValue == nil || *names["batch.size"].DefaultValue != "2000" || !names["topic"].Required || names["tasks.max"].Type != "INT" {
		t.Fatalf("plugin config %+v", keys)
	}
	expectCode(t, w, "GET", "/connector-plugins/org.apache.kafka.connect.json.JsonConverter/config", nil, 200, &keys)
	expectError(t, w, "GET", "/connector-plugins/NoSuchPlugin/config", nil, 404, "Unknown plugin NoSuchPlugin.")

	// Validate: the key set Kafka's connect_rest_test.py asserts, for sinks
	// exactly, for sources plus Runnel's source DLQ keys.
	var infos connect.ConfigInfos
	expectCode(t, w, "PUT", "/connector-plugins/FileStreamSinkConnector/config/validate",
		map[string]string{"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "topics": "t", "file": "/tmp/x"}, 200, &infos)
	wantSink := "name, connector.class, tasks.max, key.converter, value.converter, header.converter, topics, file, transforms, topics.regex, config.action.reload, errors.retry.timeout, errors.retry.delay.max.ms, errors.tolerance, errors.log.enable, errors.log.include.messages, errors.deadletterqueue.topic.name, errors.deadletterqueue.topic.replication.factor, errors.deadletterqueue.context.headers.enable, predicates, tasks.max.enforce"
	if got := configNames(infos); got != sortedList(wantSink) {
		t.Fatalf("sink validate keys\n got %s\nwant %s", got, sortedList(wantSink))
	}
	if infos.Name != "org.apache.kafka.connect.file.FileStreamSinkConnector" || infos.ErrorCount != 1 || !slices.Contains(infos.Groups, "Common") {
		t.Fatalf("sink validate: %+v", infos)
	}
	expectCode(t, w, "PUT", "/connector-plugins/FileStreamSource/config/validate",
		map[string]string{"connector.class": "FileStreamSource", "topic": "t", "tasks.max": "-1"}, 200, &infos)
	wantSource := "name, connector.class, tasks.max, key.converter, value.converter, header.converter, batch.size, topic, file, transforms, config.action.reload, errors.retry.timeout, errors.retry.delay.max.ms, errors.tolerance, errors.log.enable, errors.log.include.messages, predicates, topic.creation.groups, exactly.once.support, transaction.boundary, transaction.boundary.interval.ms, offsets.storage.topic, tasks.max.enforce, errors.deadletterqueue.topic.name, errors.deadletterqueue.topic.replication.factor, errors.deadletterqueue.context.headers.enable"
	if got := configNames(infos); got != sortedList(wantSource) {
		t.Fatalf("source validate keys\n got %s\nwant %s", got, sortedList(wantSource))
	}
	if infos.ErrorCount != 2 { // name missing, tasks.max < 1
		b, _ := json.Marshal(infos)
		t.Fatalf("source validate errors %d: %s", infos.ErrorCount, b)
	}
	expectError(t, w, "PUT", "/connector-plugins/FileStreamSink/config/validate", map[string]string{"connector.class": "FileStreamSource"}, 400,
		"Included connector type FileStreamSource does not match request type FileStreamSink")
	expectError(t, w, "PUT", "/connector-plugins/FileStreamSink/config/validate", map[string]string{"topics": "t"}, 400, "contains no connector type")
	// Transformations are described with their own keys.
	expectCode(t, w, "PUT", "/connector-plugins/FileStreamSource/config/validate", map[string]string{"connector.class": "FileStreamSource", "name": "n", "topic": "t",
		"transforms": "route", "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter", "transforms.route.regex": "(.*)", "transforms.route.replacement": "x-$1"}, 200, &infos)
	if !strings.Contains(configNames(infos), "transforms.route.regex") || infos.ErrorCount != 0 {
		b, _ := json.Marshal(infos)
		t.Fatalf("transform keys: %s", b)
	}
}

func configNames(infos connect.ConfigInfos) string {
	var out []string
	for _, c := range infos.Configs {
		if c.Definition != nil {
			out = append(out, c.Definition.Name)
		} else if c.Value != nil {
			out = append(out, c.Value.Name)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func sortedList(s string) string {
	parts := strings.Split(s, ", ")
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func TestRESTLoggers(t *testing.T) {
	w := startWorker(t, startBroker(t))
	var levels map[string]workers.LoggerLevel
	expectCode(t, w, "GET", "/admin/loggers", nil, 200, &levels)
	if _, ok := levels["root"]; !ok {
		t.Fatalf("no root logger: %v", levels)
	}
	var affected []string
	expectCode(t, w, "PUT", "/admin/loggers/runnel.workers", map[string]string{"level": "debug"}, 200, &affected)
	if !slices.Contains(affected, "runnel.workers.Worker") || !slices.Contains(affected, "runnel.workers") {
		t.Fatalf("affected %v", affected)
	}
	var lv workers.LoggerLevel
	expectCode(t, w, "GET", "/admin/loggers/runnel.workers.Worker", nil, 200, &lv)
	if lv.Level != "DEBUG" || lv.LastModified == nil {
		t.Fatalf("level %+v", lv)
	}
	expectError(t, w, "PUT", "/admin/loggers/x", map[string]string{"level": "LOUD"}, 404, "invalid log level 'LOUD'.")
	expectError(t, w, "PUT", "/admin/loggers/x", map[string]string{}, 400, "Desired 'level' parameter was not specified in request.")
	expectError(t, w, "GET", "/admin/loggers/never.seen", nil, 404, "Logger never.seen not found.")
	expectCode(t, w, "PUT", "/admin/loggers/root?scope=cluster", map[string]string{"level": "WARN"}, 204, nil)
	expectCode(t, w, "GET", "/admin/loggers/root", nil, 200, &lv)
	if lv.Level != "WARN" {
		t.Fatalf("root %+v", lv)
	}
}

func TestRESTSourceOffsets(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	in := filepath.Join(w.dir, "in.txt")
	writeLines(t, in, 0, 100)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "src", "config": map[string]string{"connector.class": "FileStreamSource", "file": in, "topic": "offs"}}, 201, nil)
	var offs workers.ConnectorOffsets
	eventually(t, 20*time.Second, "committed offsets", func() bool {
		w.call("GET", "/connectors/src/offsets", nil, &offs)
		return len(offs.Offsets) == 1 && fmt.Sprint(offs.Offsets[0].Offset["position"]) == "790" // 10*len("line 0\n") + 90*len("line 10\n")
	})
	if offs.Offsets[0].Partition["filename"] != in {
		t.Fatalf("offsets %+v", offs)
	}
	expectError(t, w, "PATCH", "/connectors/src/offsets", map[string]any{"offsets": []any{map[string]any{"partition": map[string]any{"filename": in}, "offset": map[string]any{"position": 0}}}}, 400,
		"Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/src/stop' endpoint")
	expectError(t, w, "DELETE", "/connectors/src/offsets", nil, 400, "STOPPED")
	expectCode(t, w, "PUT", "/connectors/src/stop", nil, 204, nil)
	expectError(t, w, "PATCH", "/connectors/src/offsets", map[string]any{"offsets": []any{}}, 400, "Partitions / offsets need to be provided for an alter offsets request")
	expectError(t, w, "PATCH", "/connectors/src/offsets", map[string]any{"offsets": []any{map[string]any{"partition": map[string]any{"filename": in}, "offset": map[string]any{"pos": 1}}}}, 500,
		"Offset objects should either be null or contain the key 'position'")
	var msg map[string]string
	expectCode(t, w, "PATCH", "/connectors/src/offsets", map[string]any{"offsets": []any{map[string]any{"partition": map[string]any{"filename": in}, "offset": map[string]any{"position": 445}}}}, 200, &msg)
	if msg["message"] != "The offsets for this connector have been altered successfully" {
		t.Fatalf("alter message %v", msg)
	}
	expectCode(t, w, "GET", "/connectors/src/offsets", nil, 200, &offs)
	if len(offs.Offsets) != 1 || fmt.Sprint(offs.Offsets[0].Offset["position"]) != "445" {
		t.Fatalf("altered offsets %+v", offs)
	}
	expectCode(t, w, "DELETE", "/connectors/src/offsets", nil, 200, &msg)
	if msg["message"] != "The offsets for this connector have been reset successfully" {
		t.Fatalf("reset message %v", msg)
	}
	raw := expectCode(t, w, "GET", "/connectors/src/offsets", nil, 200, &offs)
	if string(raw) != `{"offsets":[]}` {
		t.Fatalf("after reset %s", raw)
	}
}

func TestRESTSinkOffsets(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "seq", "config": map[string]string{"connector.class": "sequence-source", "topic": "nums", "count": "50"}}, 201, nil)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "rec", "config": map[string]string{"connector.class": "recording-sink", "topics": "nums"}}, 201, nil)
	var offs workers.ConnectorOffsets
	eventually(t, 20*time.Second, "sink offsets", func() bool {
		w.call("GET", "/connectors/rec/offsets", nil, &offs)
		return len(offs.Offsets) == 1 && fmt.Sprint(offs.Offsets[0].Offset["kafka_offset"]) == "50"
	})
	if p := offs.Offsets[0].Partition; p["kafka_topic"] != "nums" || fmt.Sprint(p["kafka_partition"]) != "0" {
		t.Fatalf("sink offsets %+v", offs)
	}
	expectCode(t, w, "PUT", "/connectors/rec/stop", nil, 204, nil)
	bad := func(partition map[string]any, offset any, want string) {
		t.Helper()
		expectError(t, w, "PATCH", "/connectors/rec/offsets", map[string]any{"offsets": []any{map[string]any{"partition": partition, "offset": offset}}}, 400, want)
	}
	bad(nil, map[string]any{"kafka_offset": 1}, "The partition for a sink connector offset cannot be null or missing")
	bad(map[string]any{"kafka_topic": "nums"}, map[string]any{"kafka_offset": 1}, "must contain the keys 'kafka_topic' and 'kafka_partition'")
	bad(map[string]any{"kafka_topic": "nums", "kafka_partition": "zero"}, map[string]any{"kafka_offset": 1}, "Partition values for sink connectors need to be integers.")
	bad(map[string]any{"kafka_topic": "nums", "kafka_partition": 0}, map[string]any{"offset": 1}, "The offset for a sink connector should either be null or contain the key 'kafka_offset'")
	bad(map[string]any{"kafka_topic": "nums", "kafka_partition": 0}, map[string]any{"kafka_offset": "ten"}, "Offset values for sink connectors need to be integers.")
	var msg map[string]string
	eventually(t, 20*time.Second, "offsets altered once the group is empty", func() bool {
		code, _, _ := w.call("PATCH", "/connectors/rec/offsets", map[string]any{"offsets": []any{map[string]any{
			"partition": map[string]any{"kafka_topic": "nums", "kafka_partition": "0"}, "offset": map[string]any{"kafka_offset": "20"}}}}, &msg)
		return code == 200
	})
	expectCode(t, w, "GET", "/connectors/rec/offsets", nil, 200, &offs)
	if len(offs.Offsets) != 1 || fmt.Sprint(offs.Offsets[0].Offset["kafka_offset"]) != "20" {
		t.Fatalf("altered sink offsets %+v", offs)
	}
	before := len(w.recorder.Records())
	expectCode(t, w, "PUT", "/connectors/rec/resume", nil, 202, nil)
	eventually(t, 20*time.Second, "records 20..49 redelivered", func() bool { return len(w.recorder.Records()) == before+30 })
	expectCode(t, w, "PUT", "/connectors/rec/stop", nil, 204, nil)
	eventually(t, 20*time.Second, "sink offsets reset", func() bool {
		code, _, _ := w.call("DELETE", "/connectors/rec/offsets", nil, &msg)
		return code == 200
	})
	raw := expectCode(t, w, "GET", "/connectors/rec/offsets", nil, 200, &offs)
	if string(raw) != `{"offsets":[]}` {
		t.Fatalf("after reset %s", raw)
	}
}

func TestRESTAdminListeners(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b, withProps("admin.listeners", "http://127.0.0.1:0"))
	expectError(t, w, "GET", "/admin/loggers", nil, 404, "Not Found")
	admin := *w
	admin.url = "http://" + w.srv.AdminAddrs()[0]
	expectCode(t, &admin, "GET", "/admin/loggers", nil, 200, nil)
	expectError(t, &admin, "GET", "/connectors", nil, 404, "Not Found")

	off := startWorker(t, b, withProps("admin.listeners", ""))
	expectError(t, off, "GET", "/admin/loggers", nil, 404, "Not Found")
	if len(off.srv.AdminAddrs()) != 0 {
		t.Fatal("empty admin.listeners bound a listener")
	}
}

func TestRESTCORSAndResponseHeaders(t *testing.T) {
	w := startWorker(t, startBroker(t), withProps("access.control.allow.origin", "http://ui.example",
		"access.control.allow.methods", "GET,PUT", "response.http.headers.config", "add X-Frame-Options: DENY, set Cache-Control: no-store"))
	req, _ := http.NewRequest("OPTIONS", w.url+"/connectors", nil)
	req.Header.Set("Origin", "http://ui.example")
	req.Header.Set("Access-Control-Request-Method", "PUT")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "http://ui.example" || resp.Header.Get("Access-Control-Allow-Methods") != "GET,PUT" {
		t.Fatalf("preflight %d %v", resp.StatusCode, resp.Header)
	}
	_, hdr, _ := w.call("GET", "/connectors", nil, nil)
	if hdr.Get("X-Frame-Options") != "DENY" || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("response headers %v", hdr)
	}
	if _, err := rest.ParseHeaderDirectives("shout X-A: b"); err == nil {
		t.Fatal("bad action accepted")
	}
}
