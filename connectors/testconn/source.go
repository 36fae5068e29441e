package testconn

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"strconv"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// Class names.
const (
	SourceClass     = "dev.runnel.connect.testconn.SequenceSourceConnector"
	SourceTaskClass = "dev.runnel.connect.testconn.SequenceSourceTask"
	SinkClass       = "dev.runnel.connect.testconn.RecordingSinkConnector"
	SinkTaskClass   = "dev.runnel.connect.testconn.RecordingSinkTask"
	Version         = "1.0.0"
)

// Source configuration keys.
const (
	TopicConfig       = "topic"
	CountConfig       = "count"
	RateConfig        = "rate"
	BatchConfig       = "batch.size"
	FailAtConfig      = "fail.at"
	FailOnceFile      = "fail.once.file"
	MalformedAtConfig = "malformed.at"
	taskIDConfig      = "task.id"
)

// SourceConfigDef declares SequenceSource's keys.
func SourceConfigDef() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: TopicConfig, Type: connect.TypeString, Required: true, Validator: connect.NonEmptyString(), Importance: connect.ImportanceHigh, Doc: "Topic to write the sequence to."}).
		Define(connect.ConfigKey{Name: CountConfig, Type: connect.TypeLong, Default: -1, Importance: connect.ImportanceMedium, Doc: "How many numbers each task emits; -1 for no end."}).
		Define(connect.ConfigKey{Name: RateConfig, Type: connect.TypeDouble, Default: 0, Validator: connect.AtLeast(0), Importance: connect.ImportanceMedium, Doc: "Records per second per task; 0 for as fast as possible."}).
		Define(connect.ConfigKey{Name: BatchConfig, Type: connect.TypeInt, Default: 100, Validator: connect.AtLeast(1), Importance: connect.ImportanceLow, Doc: "Records per poll."}).
		Define(connect.ConfigKey{Name: FailAtConfig, Type: connect.TypeLong, Default: -1, Importance: connect.ImportanceLow, Doc: "Fail the task when it is about to emit this number; -1 never."}).
		Define(connect.ConfigKey{Name: FailOnceFile, Type: connect.TypeString, Default: "", Importance: connect.ImportanceLow, Doc: "If set, fail.at fails only when this file does not exist, and creates it: the failure happens once."}).
		Define(connect.ConfigKey{Name: MalformedAtConfig, Type: connect.TypeLong, Default: -1, Importance: connect.ImportanceLow, Doc: "Emit this number as a malformed record: an INT64 schema with a string value."})
}

// SequenceSource is the connector.
type SequenceSource struct{ config map[string]string }

func (c *SequenceSource) Version() string             { return Version }
func (c *SequenceSource) Config() *connect.ConfigDef  { return SourceConfigDef() }
func (c *SequenceSource) NewTask() connect.SourceTask { return &SequenceTask{} }
func (c *SequenceSource) Stop() error                 { return nil }

func (c *SequenceSource) Start(_ context.Context, _ connect.ConnectorContext, config map[string]string) error {
	if _, err := SourceConfigDef().Parse(config); err != nil {
		return err
	}
	c.config = maps.Clone(config)
	return nil
}

func (c *SequenceSource) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = maps.Clone(c.config)
		out[i][taskIDConfig] = strconv.Itoa(i)
	}
	return out, nil
}

// SequenceTask emits one sequence.
type SequenceTask struct {
	topic       string
	count       int64
	interval    time.Duration
	batch       int
	failAt      int64
	failOnce    string
	malformedAt int64
	next        int64
	partition   map[string]any
	lastEmit    time.Time
}

func (t *SequenceTask) Version() string { return Version }

func (t *SequenceTask) Start(ctx context.Context, tctx connect.SourceTaskContext, config map[string]string) error {
	cfg, err := SourceConfigDef().Parse(config)
	if err != nil {
		return err
	}
	t.topic, t.count, t.batch = cfg.String(TopicConfig), cfg.Long(CountConfig), cfg.Int(BatchConfig)
	t.failAt, t.failOnce, t.malformedAt = cfg.Long(FailAtConfig), cfg.String(FailOnceFile), cfg.Long(MalformedAtConfig)
	if r := cfg.Double(RateConfig); r > 0 {
		t.interval = time.Duration(float64(time.Second) / r)
	}
	t.partition = map[string]any{"task": config[taskIDConfig]}
	off, err := tctx.OffsetStorageReader().Offset(ctx, t.partition)
	if err != nil {
		return err
	}
	if off != nil {
		n, ok := off["seq"].(int64)
		if !ok {
			return fmt.Errorf("stored offset %v has no integer seq", off)
		}
		t.next = n + 1
	}
	return nil
}

func (t *SequenceTask) Poll(ctx context.Context) ([]connect.SourceRecord, error) {
	if t.count >= 0 && t.next >= t.count {
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
		return nil, nil
	}
	var out []connect.SourceRecord
	for len(out) < t.batch && (t.count < 0 || t.next < t.count) {
		if t.interval > 0 {
			wait := time.Until(t.lastEmit.Add(t.interval))
			if wait > 0 {
				if len(out) > 0 {
					return out, nil
				}
				select {
				case <-ctx.Done():
					return nil, nil
				case <-time.After(wait):
				}
			}
			t.lastEmit = time.Now()
		}
		n := t.next
		if n == t.failAt && t.shouldFail() {
			return out, fmt.Errorf("testconn: told to fail at %d", n)
		}
		rec := connect.SourceRecord{
			SourcePartition: t.partition, SourceOffset: map[string]any{"seq": n},
			Topic: t.topic, Partition: connect.NoPartition,
			KeySchema: data.Int64Schema, Key: n, ValueSchema: data.Int64Schema, Value: n,
		}
		if n == t.malformedAt {
			rec.Value = "malformed-" + strconv.FormatInt(n, 10)
		}
		out = append(out, rec)
		t.next++
	}
	return out, nil
}

// shouldFail applies fail.once.file.
func (t *SequenceTask) shouldFail() bool {
	if t.failOnce == "" {
		return true
	}
	if _, err := os.Stat(t.failOnce); err == nil {
		return false
	} else if !errors.Is(err, fs.ErrNotExist) {
		return true
	}
	_ = os.WriteFile(t.failOnce, []byte("failed\n"), 0o644)
	return true
}

func (t *SequenceTask) Stop() error { return nil }
