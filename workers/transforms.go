package workers

import (
	"context"
	"errors"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/transforms"
)

// recordTransforms is a connector's transformation chain. A nil record
// result means the record was filtered out. On error, class names the
// transformation that failed.
type recordTransforms interface {
	source(ctx context.Context, rec *connect.SourceRecord) (out *connect.SourceRecord, class string, err error)
	sink(ctx context.Context, rec *connect.SinkRecord) (out *connect.SinkRecord, class string, err error)
	empty() bool
	close() error
}

// chain adapts a transforms.Chain.
type chain struct{ c *transforms.Chain }

func (c chain) source(_ context.Context, r *connect.SourceRecord) (*connect.SourceRecord, string, error) {
	out, err := c.c.ApplySource(r)
	return out, failedClass(err), err
}

func (c chain) sink(_ context.Context, r *connect.SinkRecord) (*connect.SinkRecord, string, error) {
	out, err := c.c.ApplySink(r)
	return out, failedClass(err), err
}

func (c chain) empty() bool  { return c.c.Len() == 0 }
func (c chain) close() error { return c.c.Close() }

func failedClass(err error) string {
	var te *transforms.TransformError
	if errors.As(err, &te) {
		return te.Class
	}
	return ""
}

// buildTransforms builds the chain named by the connector's transforms key;
// every task gets its own instances.
func buildTransforms(reg *transforms.Registry, config map[string]string) (recordTransforms, error) {
	c, err := reg.BuildChain(config)
	if err != nil {
		return nil, err
	}
	return chain{c}, nil
}
