package workers

import (
	"context"
	"strings"

	"github.com/runnel-dev/runnel/connect"
)

// recordTransforms is a connector's transformation chain. A nil record
// result means the record was filtered out. On error, class names the
// transformation that failed.
type recordTransforms interface {
	source(ctx context.Context, rec *connect.SourceRecord) (out *connect.SourceRecord, class string, err error)
	sink(ctx context.Context, rec *connect.SinkRecord) (out *connect.SinkRecord, class string, err error)
	empty() bool
}

type noTransforms struct{}

func (noTransforms) source(_ context.Context, r *connect.SourceRecord) (*connect.SourceRecord, string, error) {
	return r, "", nil
}
func (noTransforms) sink(_ context.Context, r *connect.SinkRecord) (*connect.SinkRecord, string, error) {
	return r, "", nil
}
func (noTransforms) empty() bool { return true }

// buildTransforms builds the chain named by the connector's transforms key.
func buildTransforms(_ *connect.Plugins, _ connect.PluginType, config map[string]string) (recordTransforms, error) {
	if strings.TrimSpace(config[TransformsConfig]) == "" {
		return noTransforms{}, nil
	}
	return nil, connect.InvalidValueError(TransformsConfig, config[TransformsConfig], "transformations are not available in this build")
}

// enrichTransforms adds the keys of the configured transformations and
// predicates to def (Kafka's ConnectorConfig.enrich), and returns problems
// found on the way (unknown types) by key.
func enrichTransforms(_ *connect.Plugins, def *connect.ConfigDef, config map[string]string) (*connect.ConfigDef, map[string]string) {
	errs := map[string]string{}
	if strings.TrimSpace(config[TransformsConfig]) != "" {
		errs[TransformsConfig] = connect.InvalidValueError(TransformsConfig, config[TransformsConfig], "transformations are not available in this build").Error()
	}
	return def, errs
}
