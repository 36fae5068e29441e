package testconn

import (
	"context"
	"fmt"
	"maps"
	"os"
	"sync"
	"time"

	"github.com/runnel-dev/runnel/connect"
)

// Sink configuration keys.
const (
	OutputFileConfig   = "output.file"
	SinkFailAtConfig   = "fail.after"
	RetriableAtConfig  = "retriable.at"
	ReportValueConfig  = "report.value"
	FlushFailureConfig = "fail.flush"
)

// SinkConfigDef declares RecordingSink's keys.
func SinkConfigDef() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: OutputFileConfig, Type: connect.TypeString, Default: "", Importance: connect.ImportanceMedium, Doc: "Append each value (one per line) to this file on flush."}).
		Define(connect.ConfigKey{Name: SinkFailAtConfig, Type: connect.TypeLong, Default: -1, Importance: connect.ImportanceLow, Doc: "Fail Put once this many records were received in total; -1 never."}).
		Define(connect.ConfigKey{Name: RetriableAtConfig, Type: connect.TypeLong, Default: -1, Importance: connect.ImportanceLow, Doc: "Return a retriable error, once, from the Put that would reach this many records."}).
		Define(connect.ConfigKey{Name: ReportValueConfig, Type: connect.TypeString, Default: "", Importance: connect.ImportanceLow, Doc: "Send records whose value prints as this string to the ErrantRecordReporter instead of keeping them."}).
		Define(connect.ConfigKey{Name: FlushFailureConfig, Type: connect.TypeBoolean, Default: false, Importance: connect.ImportanceLow, Doc: "Make every Flush fail."})
}

// Recorder collects what RecordingSink tasks received. Tests create one
// and bind it to the plugin with Plugins.
type Recorder struct {
	mu      sync.Mutex
	records []connect.SinkRecord
	flushes int
}

// Records returns a copy of everything received so far.
func (r *Recorder) Records() []connect.SinkRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]connect.SinkRecord(nil), r.records...)
}

// Flushes counts successful flushes.
func (r *Recorder) Flushes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushes
}

// RecordingSink is the connector.
type RecordingSink struct {
	config   map[string]string
	recorder *Recorder
}

func (c *RecordingSink) Version() string            { return Version }
func (c *RecordingSink) Config() *connect.ConfigDef { return SinkConfigDef() }
func (c *RecordingSink) NewTask() connect.SinkTask  { return &RecordingTask{recorder: c.recorder} }
func (c *RecordingSink) Stop() error                { return nil }

func (c *RecordingSink) Start(_ context.Context, _ connect.ConnectorContext, config map[string]string) error {
	if _, err := SinkConfigDef().Parse(config); err != nil {
		return err
	}
	c.config = maps.Clone(config)
	return nil
}

func (c *RecordingSink) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = maps.Clone(c.config)
	}
	return out, nil
}

// RecordingTask is the sink task.
type RecordingTask struct {
	recorder    *Recorder
	tctx        connect.SinkTaskContext
	file        string
	failAfter   int64
	retriableAt int64
	retried     bool
	reportValue string
	failFlush   bool
	received    int64
	pending     []byte
}

func (t *RecordingTask) Version() string { return Version }

func (t *RecordingTask) Start(_ context.Context, tctx connect.SinkTaskContext, config map[string]string) error {
	cfg, err := SinkConfigDef().Parse(config)
	if err != nil {
		return err
	}
	t.tctx = tctx
	t.file, t.failAfter, t.retriableAt = cfg.String(OutputFileConfig), cfg.Long(SinkFailAtConfig), cfg.Long(RetriableAtConfig)
	t.reportValue, t.failFlush = cfg.String(ReportValueConfig), cfg.Bool(FlushFailureConfig)
	return nil
}

func (t *RecordingTask) Put(ctx context.Context, records []connect.SinkRecord) error {
	if t.retriableAt >= 0 && !t.retried && t.received+int64(len(records)) >= t.retriableAt {
		t.retried = true
		t.tctx.Timeout(10 * time.Millisecond)
		return connect.Retriable(fmt.Errorf("testconn: told to ask for redelivery at %d", t.retriableAt))
	}
	for i := range records {
		r := &records[i]
		if t.failAfter >= 0 && t.received >= t.failAfter {
			return fmt.Errorf("testconn: told to fail after %d records", t.failAfter)
		}
		t.received++
		if t.reportValue != "" && fmt.Sprint(r.Value) == t.reportValue {
			rep := t.tctx.ErrantRecordReporter()
			if rep == nil {
				return fmt.Errorf("testconn: record %v should be reported but no reporter is configured", r.Value)
			}
			if err := rep.Report(ctx, r, fmt.Errorf("testconn: rejected value %v", r.Value)); err != nil {
				return err
			}
			continue
		}
		if t.recorder != nil {
			t.recorder.mu.Lock()
			t.recorder.records = append(t.recorder.records, *r)
			t.recorder.mu.Unlock()
		}
		if t.file != "" {
			t.pending = append(t.pending, fmt.Sprint(r.Value)...)
			t.pending = append(t.pending, '\n')
		}
	}
	return nil
}

func (t *RecordingTask) Flush(context.Context, map[connect.TopicPartition]connect.OffsetAndMetadata) error {
	if t.failFlush {
		return fmt.Errorf("testconn: told to fail flushes")
	}
	if t.file != "" && len(t.pending) > 0 {
		f, err := os.OpenFile(t.file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		_, werr := f.Write(t.pending)
		serr := f.Sync()
		cerr := f.Close()
		if werr != nil || serr != nil || cerr != nil {
			return fmt.Errorf("testconn: writing %s: %v %v %v", t.file, werr, serr, cerr)
		}
		t.pending = t.pending[:0]
	}
	if t.recorder != nil {
		t.recorder.mu.Lock()
		t.recorder.flushes++
		t.recorder.mu.Unlock()
	}
	return nil
}

func (t *RecordingTask) Stop() error { return nil }

// Plugins describes both connectors; the sink records into rec (may be nil).
func Plugins(rec *Recorder) []connect.Plugin {
	return []connect.Plugin{
		{Class: SourceClass, Type: connect.PluginSource, Version: Version, TaskClass: SourceTaskClass, Aliases: []string{"sequence-source"},
			New: func() any { return &SequenceSource{} }},
		{Class: SinkClass, Type: connect.PluginSink, Version: Version, TaskClass: SinkTaskClass, Aliases: []string{"recording-sink"},
			New: func() any { return &RecordingSink{recorder: rec} }},
	}
}
