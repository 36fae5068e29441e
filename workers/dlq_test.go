package workers_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func headerMap(r *kgo.Record) map[string]string {
	m := map[string]string{}
	for _, h := range r.Headers {
		m[h.Key] = string(h.Value)
	}
	return m
}

func produce(t *testing.T, addr, topic string, values ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, v := range values {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSinkDLQRoutesMalformedRecordAndKeepsRunning(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	produce(t, b.Addr(), "raw", `{"n":1}`, `{"n":2}`, `{not json`, `{"n":4}`)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "rec", "config": map[string]string{
		"connector.class": "recording-sink", "topics": "raw",
		"errors.tolerance": "all", "errors.log.enable": "true",
		"errors.deadletterqueue.topic.name": "dlq", "errors.deadletterqueue.topic.replication.factor": "1",
		"errors.deadletterqueue.context.headers.enable": "true"}}, 201, nil)
	eventually(t, 20*time.Second, "three good records", func() bool { return len(w.recorder.Records()) == 3 })
	dlq := readTopic(t, b.Addr(), "dlq", 1, 20*time.Second)
	if len(dlq) != 1 || string(dlq[0].Value) != `{not json` {
		t.Fatalf("dlq %v", dlq)
	}
	h := headerMap(dlq[0])
	want := map[string]string{
		"__connect.errors.topic": "raw", "__connect.errors.partition": "0", "__connect.errors.offset": "2",
		"__connect.errors.connector.name": "rec", "__connect.errors.task.id": "0", "__connect.errors.stage": "VALUE_CONVERTER",
		"__connect.errors.class.name":           "org.apache.kafka.connect.json.JsonConverter",
		"__connect.errors.exception.class.name": "org.apache.kafka.connect.errors.DataException",
	}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("header %s = %q, want %q", k, h[k], v)
		}
	}
	if h["__connect.errors.exception.message"] == "" || h["__connect.errors.exception.stacktrace"] == "" {
		t.Errorf("missing exception headers: %v", h)
	}
	st := w.status("rec")
	if st.Tasks[0].State != "RUNNING" {
		t.Fatalf("task not running after a tolerated error: %+v", st)
	}
	// The bad record's offset is committed too: nothing is redelivered.
	eventually(t, 10*time.Second, "offset past the bad record", func() bool {
		var offs struct {
			Offsets []struct{ Offset map[string]any } `json:"offsets"`
		}
		w.call("GET", "/connectors/rec/offsets", nil, &offs)
		return len(offs.Offsets) == 1 && fmt.Sprint(offs.Offsets[0].Offset["kafka_offset"]) == "4"
	})
}

func TestSinkToleranceNoneFailsTask(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	produce(t, b.Addr(), "raw", `{"n":1}`, `{not json`)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "rec", "config": map[string]string{
		"connector.class": "recording-sink", "topics": "raw"}}, 201, nil)
	eventually(t, 20*time.Second, "task FAILED", func() bool {
		st := w.status("rec")
		return len(st.Tasks) == 1 && st.Tasks[0].State == "FAILED" && strings.Contains(st.Tasks[0].Trace, "Tolerance exceeded in error handler")
	})
}

func TestSinkErrantRecordReporter(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	produce(t, b.Addr(), "raw", `1`, `2`, `7`, `3`)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "rec", "config": map[string]string{
		"connector.class": "recording-sink", "topics": "raw", "report.value": "7",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq", "errors.deadletterqueue.topic.replication.factor": "1",
		"errors.deadletterqueue.context.headers.enable": "true"}}, 201, nil)
	eventually(t, 20*time.Second, "three kept records", func() bool { return len(w.recorder.Records()) == 3 })
	dlq := readTopic(t, b.Addr(), "dlq", 1, 20*time.Second)
	if len(dlq) != 1 || string(dlq[0].Value) != "7" || headerMap(dlq[0])["__connect.errors.stage"] != "TASK_PUT" || headerMap(dlq[0])["__connect.errors.offset"] != "2" {
		t.Fatalf("dlq %v %v", dlq, headerMap(dlq[0]))
	}
}

func TestSourceDLQRoutesUnconvertibleRecord(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b, withProps("value.converter.schemas.enable", "true"))
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "seq", "config": map[string]string{
		"connector.class": "sequence-source", "topic": "nums", "count": "10", "malformed.at": "5",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "src-dlq", "errors.deadletterqueue.topic.replication.factor": "1",
		"errors.deadletterqueue.context.headers.enable": "true"}}, 201, nil)
	recs := readTopic(t, b.Addr(), "nums", 9, 20*time.Second)
	if len(recs) != 9 {
		t.Fatalf("got %d records, want 9", len(recs))
	}
	for _, r := range recs {
		if strings.Contains(string(r.Value), "malformed") {
			t.Fatalf("malformed record reached the topic: %s", r.Value)
		}
	}
	dlq := readTopic(t, b.Addr(), "src-dlq", 1, 20*time.Second)
	if len(dlq) != 1 || string(dlq[0].Value) != "malformed-5" {
		t.Fatalf("source dlq %v", dlq)
	}
	h := headerMap(dlq[0])
	if h["__connect.errors.stage"] != "VALUE_CONVERTER" || h["__connect.errors.topic"] != "nums" || h["__connect.errors.source.offset"] != `{"seq":5}` {
		t.Fatalf("source dlq headers %v", h)
	}
	w.waitRunning("seq", 1)
	// The skipped record's offset is committed: a restart does not retry it.
	eventually(t, 10*time.Second, "offset of the last record", func() bool {
		var offs struct {
			Offsets []struct{ Offset map[string]any } `json:"offsets"`
		}
		w.call("GET", "/connectors/seq/offsets", nil, &offs)
		return len(offs.Offsets) == 1 && fmt.Sprint(offs.Offsets[0].Offset["seq"]) == "9"
	})
}

func TestFailedTaskRestartsAutomatically(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b, withProps("runnel.task.restart.enable", "true", "runnel.task.restart.backoff.initial.ms", "100"))
	marker := filepath.Join(w.dir, "failed-once")
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "seq", "config": map[string]string{
		"connector.class": "sequence-source", "topic": "nums", "count": "30", "fail.at": "12", "fail.once.file": marker, "batch.size": "5"}}, 201, nil)
	recs := readTopic(t, b.Addr(), "nums", 30, 20*time.Second)
	if len(recs) < 30 {
		t.Fatalf("got %d records after the automatic restart, want 30", len(recs))
	}
	w.waitRunning("seq", 1)
}

func TestFailedTaskStaysFailedWithoutAutoRestart(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	marker := filepath.Join(w.dir, "failed-once")
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "seq", "config": map[string]string{
		"connector.class": "sequence-source", "topic": "nums", "count": "30", "fail.at": "12", "fail.once.file": marker}}, 201, nil)
	eventually(t, 20*time.Second, "task FAILED with trace", func() bool {
		st := w.status("seq")
		return len(st.Tasks) == 1 && st.Tasks[0].State == "FAILED" && strings.Contains(st.Tasks[0].Trace, "told to fail at 12")
	})
	time.Sleep(500 * time.Millisecond)
	if st := w.status("seq"); st.Tasks[0].State != "FAILED" {
		t.Fatalf("task left FAILED without a restart request: %+v", st)
	}
	// A REST restart brings it back (the marker makes the failure one-off).
	var plan struct{}
	expectCode(t, w, "POST", "/connectors/seq/restart?includeTasks=true&onlyFailed=true", nil, 202, &plan)
	w.waitRunning("seq", 1)
	if recs := readTopic(t, b.Addr(), "nums", 30, 20*time.Second); len(recs) < 30 {
		t.Fatalf("got %d records after restart", len(recs))
	}
}

func TestSinkRetriableErrorRedeliversBatch(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "seq", "config": map[string]string{"connector.class": "sequence-source", "topic": "nums", "count": "100"}}, 201, nil)
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "rec", "config": map[string]string{"connector.class": "recording-sink", "topics": "nums", "retriable.at": "50"}}, 201, nil)
	eventually(t, 20*time.Second, "100 records", func() bool { return len(w.recorder.Records()) >= 100 })
	time.Sleep(300 * time.Millisecond)
	recs := w.recorder.Records()
	seen := map[int64]int{}
	for _, r := range recs {
		seen[r.Value.(int64)]++
	}
	for i := int64(0); i < 100; i++ {
		if seen[i] != 1 {
			t.Fatalf("record %d delivered %d times", i, seen[i])
		}
	}
	w.waitRunning("rec", 1)
}

func TestCloseWithPendingAutomaticRestart(t *testing.T) {
	b := startBroker(t)
	w := startWorker(t, b, withProps("runnel.task.restart.enable", "true", "runnel.task.restart.backoff.initial.ms", "60000"))
	expectCode(t, w, "POST", "/connectors", map[string]any{"name": "seq", "config": map[string]string{
		"connector.class": "sequence-source", "topic": "nums", "fail.at": "0"}}, 201, nil)
	eventually(t, 20*time.Second, "task FAILED", func() bool {
		st := w.status("seq")
		return len(st.Tasks) == 1 && st.Tasks[0].State == "FAILED"
	})
	done := make(chan struct{})
	go func() { w.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("worker close hangs while an automatic restart is scheduled")
	}
}
