package file

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"

	"github.com/runnel-dev/runnel/connect"
)

// SinkConfigDef is FileStreamSink's configuration (topics and topics.regex
// are framework keys).
func SinkConfigDef() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: FileConfig, Type: connect.TypeString, Default: nil, Importance: connect.ImportanceHigh,
			Doc: "Destination filename. If not specified, the standard output will be used"})
}

// SinkConnector writes record values to a file (or stdout), one per line.
type SinkConnector struct {
	config map[string]string
}

// NewSinkConnector returns an unstarted connector.
func NewSinkConnector() *SinkConnector { return &SinkConnector{} }

func (c *SinkConnector) Version() string            { return Version }
func (c *SinkConnector) Config() *connect.ConfigDef { return SinkConfigDef() }
func (c *SinkConnector) NewTask() connect.SinkTask  { return NewSinkTask() }

func (c *SinkConnector) Start(_ context.Context, _ connect.ConnectorContext, config map[string]string) error {
	if _, err := SinkConfigDef().Parse(config); err != nil {
		return err
	}
	c.config = maps.Clone(config)
	return nil
}

// TaskConfigs returns maxTasks identical configurations, as Kafka's.
func (c *SinkConnector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	out := make([]map[string]string, maxTasks)
	for i := range out {
		out[i] = maps.Clone(c.config)
	}
	return out, nil
}

func (c *SinkConnector) Stop() error { return nil }

// AlterOffsets accepts any change: the sink keeps no offsets of its own.
func (c *SinkConnector) AlterOffsets(map[string]string, map[connect.TopicPartition]*int64) (bool, error) {
	return true, nil
}

// SinkTask appends values to the file.
type SinkTask struct {
	filename string
	f        *os.File
	w        *bufio.Writer
	scratch  []byte
}

// NewSinkTask returns an unstarted task.
func NewSinkTask() *SinkTask { return &SinkTask{} }

func (t *SinkTask) Version() string { return Version }

func (t *SinkTask) Start(_ context.Context, _ connect.SinkTaskContext, config map[string]string) error {
	cfg, err := SinkConfigDef().Parse(config)
	if err != nil {
		return err
	}
	t.filename = cfg.String(FileConfig)
	if t.filename == "" {
		t.w = bufio.NewWriterSize(os.Stdout, 64<<10)
		return nil
	}
	f, err := os.OpenFile(t.filename, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("Couldn't find or create file '%s' for FileStreamSinkTask: %w", t.filename, err)
	}
	t.f = f
	t.w = bufio.NewWriterSize(f, 1<<20)
	return nil
}

func (t *SinkTask) Put(_ context.Context, records []connect.SinkRecord) error {
	for i := range records {
		t.scratch = appendJavaString(t.scratch[:0], records[i].Value)
		t.scratch = append(t.scratch, '\n')
		if _, err := t.w.Write(t.scratch); err != nil {
			return fmt.Errorf("writing to %s: %w", t.describe(), err)
		}
	}
	return nil
}

// Flush writes buffered lines and fsyncs the file, so that the offsets
// committed afterwards never cover lines a crash could lose.
func (t *SinkTask) Flush(context.Context, map[connect.TopicPartition]connect.OffsetAndMetadata) error {
	if err := t.w.Flush(); err != nil {
		return fmt.Errorf("flushing %s: %w", t.describe(), err)
	}
	if t.f != nil {
		if err := t.f.Sync(); err != nil {
			return fmt.Errorf("syncing %s: %w", t.describe(), err)
		}
	}
	return nil
}

func (t *SinkTask) Stop() error {
	if t.w == nil {
		return nil
	}
	err := t.w.Flush()
	if t.f != nil {
		if cerr := t.f.Close(); err == nil {
			err = cerr
		}
		t.f = nil
	}
	return err
}

func (t *SinkTask) describe() string {
	if t.filename == "" {
		return "stdout"
	}
	return t.filename
}
