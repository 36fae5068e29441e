package file

import (
	"context"
	"fmt"
	"maps"

	"github.com/runnel-dev/runnel/connect"
)

// SourceConfigDef is FileStreamSource's configuration.
func SourceConfigDef() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: FileConfig, Type: connect.TypeString, Default: nil, Importance: connect.ImportanceHigh,
			Doc: "Source filename. If not specified, the standard input will be used"}).
		Define(connect.ConfigKey{Name: TopicConfig, Type: connect.TypeString, Required: true, Validator: connect.NonEmptyString(), Importance: connect.ImportanceHigh,
			Doc: "The topic to publish data to"}).
		Define(connect.ConfigKey{Name: BatchSizeConfig, Type: connect.TypeInt, Default: DefaultBatchSize, Validator: connect.AtLeast(1), Importance: connect.ImportanceLow,
			Doc: "The maximum number of records the source task can read from the file each time it is polled"})
}

// SourceConnector reads lines from a file (or stdin) into a topic. It always
// runs one task, whatever tasks.max says.
type SourceConnector struct {
	config map[string]string
}

// NewSourceConnector returns an unstarted connector.
func NewSourceConnector() *SourceConnector { return &SourceConnector{} }

func (c *SourceConnector) Version() string             { return Version }
func (c *SourceConnector) Config() *connect.ConfigDef  { return SourceConfigDef() }
func (c *SourceConnector) NewTask() connect.SourceTask { return NewSourceTask() }

func (c *SourceConnector) Start(_ context.Context, _ connect.ConnectorContext, config map[string]string) error {
	if _, err := SourceConfigDef().Parse(config); err != nil {
		return err
	}
	c.config = maps.Clone(config)
	return nil
}

func (c *SourceConnector) TaskConfigs(int) ([]map[string]string, error) {
	return []map[string]string{maps.Clone(c.config)}, nil
}

func (c *SourceConnector) Stop() error { return nil }

// AlterOffsets checks offsets changed through the REST API (Kafka's rules).
func (c *SourceConnector) AlterOffsets(config map[string]string, offsets []connect.SourceOffset) (bool, error) {
	if config[FileConfig] == "" {
		return false, fmt.Errorf("Offsets cannot be modified if the '%s' configuration is unspecified. This is because stdin is used for input and offsets are not tracked.", FileConfig)
	}
	for _, o := range offsets {
		if o.Offset == nil {
			continue
		}
		pos, ok := o.Offset[PositionField]
		if !ok {
			return false, fmt.Errorf("Offset objects should either be null or contain the key '%s'", PositionField)
		}
		n, ok := pos.(int64)
		if !ok {
			return false, fmt.Errorf("The value for the '%s' key in the offset is expected to be a Long value", PositionField)
		}
		if n < 0 {
			return false, fmt.Errorf("The value for the '%s' key in the offset should be a non-negative value", PositionField)
		}
		if o.Partition == nil {
			return false, fmt.Errorf("Partition objects cannot be null")
		}
		if _, ok := o.Partition[FilenameField]; !ok {
			return false, fmt.Errorf("Partition objects should contain the key '%s'", FilenameField)
		}
	}
	return true, nil
}
