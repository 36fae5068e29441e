package workers

import (
	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/convert"
	"github.com/runnel-dev/runnel/connect/transforms"
	"github.com/runnel-dev/runnel/connectors/file"
	"github.com/runnel-dev/runnel/connectors/postgres"
	"github.com/runnel-dev/runnel/connectors/postgres/cdc/unwrap"
	"github.com/runnel-dev/runnel/connectors/testconn"
)

// BuiltinTransforms returns the transformation registry bundled with
// Runnel: Kafka's SMTs and predicates plus Debezium's
// ExtractNewRecordState, which lives beside the CDC connector.
func BuiltinTransforms() *transforms.Registry {
	r := transforms.NewRegistry()
	unwrap.Register(r)
	return r
}

// BuiltinPlugins returns a registry of the plugins bundled with Runnel:
// the file, PostgreSQL (sink, polling source) and test connectors, and the converters,
// transformations and predicates of convs and xforms (listed by
// GET /connector-plugins?connectorsOnly=false). extra plugins are added
// after them.
//
// The CDC connector (connectors/postgres/cdc) is not listed here: its
// tests run real workers, so it cannot be imported by this package; the
// connect-worker command passes cdc.Plugin() as an extra plugin.
func BuiltinPlugins(convs *convert.Registry, xforms *transforms.Registry, extra ...connect.Plugin) (*connect.Plugins, error) {
	r := connect.NewPlugins()
	if err := r.Add(file.Plugins()...); err != nil {
		return nil, err
	}
	if err := r.Add(testconn.Plugins(nil)...); err != nil {
		return nil, err
	}
	if err := r.Add(postgres.Plugins()...); err != nil {
		return nil, err
	}
	if convs != nil {
		for _, c := range convs.ConverterClasses() {
			class := c
			if err := r.Add(connect.Plugin{Class: class, Type: connect.PluginConverter, Version: Version, New: func() any {
				cv, _ := convs.NewConverter(class)
				return cv
			}}); err != nil {
				return nil, err
			}
		}
		for _, c := range convs.HeaderConverterClasses() {
			class := c
			if err := r.Add(connect.Plugin{Class: class, Type: connect.PluginHeaderConverter, Version: Version, New: func() any {
				hc, _ := convs.NewHeaderConverter(class)
				return hc
			}}); err != nil {
				return nil, err
			}
		}
	}
	if xforms != nil {
		for _, c := range xforms.TransformationClasses() {
			class := c
			if err := r.Add(connect.Plugin{Class: class, Type: connect.PluginTransformation, Version: Version, New: func() any {
				t, _ := xforms.NewTransformation(class)
				return t
			}}); err != nil {
				return nil, err
			}
		}
		for _, c := range xforms.PredicateClasses() {
			class := c
			if err := r.Add(connect.Plugin{Class: class, Type: connect.PluginPredicate, Version: Version, New: func() any {
				p, _ := xforms.NewPredicate(class)
				return p
			}}); err != nil {
				return nil, err
			}
		}
	}
	if err := r.Add(extra...); err != nil {
		return nil, err
	}
	return r, nil
}
