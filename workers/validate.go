package workers

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/runnel-dev/runnel/connect"
)

// ValidateConnectorConfig implements Herder: the body of
// PUT /connector-plugins/{plugin}/config/validate.
func (h *Standalone) ValidateConnectorConfig(ctx context.Context, config map[string]string) (connect.ConfigInfos, error) {
	infos, _, err := h.validate(ctx, config)
	return infos, err
}

// validate checks a connector configuration as Kafka's
// AbstractHerder.validateConnectorConfig: framework keys, sink topic rules,
// the connector's own keys, and the converters. It returns every problem
// (not just the first) and the connector's kind.
func (h *Standalone) validate(_ context.Context, raw map[string]string) (connect.ConfigInfos, connect.PluginType, error) {
	config, err := h.worker.configs.transform(raw)
	if err != nil {
		return connect.ConfigInfos{}, "", badRequest("%v", err)
	}
	class, ok := config[ConnectorClassConfig]
	if !ok {
		keys := slices.Sorted(maps.Keys(config))
		return connect.ConfigInfos{}, "", badRequest("Connector config {%s} contains no connector type", strings.Join(keys, ", "))
	}
	p, err := h.plugins.LookupConnector(class)
	if err != nil {
		return connect.ConfigInfos{}, "", err
	}
	conn, ok := p.New().(connect.Connector)
	if !ok {
		return connect.ConfigInfos{}, "", badRequest("%s is not a connector", class)
	}
	base := SourceConnectorConfigDef()
	if p.Type == connect.PluginSink {
		base = SinkConnectorConfigDef()
	}
	if p.Type == connect.PluginSource && h.cfg.TopicCreation {
		base = enrichTopicCreation(base, config)
	}
	enriched, enrichErrs := h.xforms.Enrich(base, config)
	values := enriched.Validate(config)
	index := map[string]int{}
	for i, v := range values {
		index[v.Name] = i
	}
	addErr := func(key, msg string) {
		i, ok := index[key]
		if !ok {
			values = append(values, connect.ConfigValue{Name: key, Value: config[key], Visible: true, RecommendedValues: []any{}})
			i = len(values) - 1
			index[key] = i
		}
		values[i].Errors = append(values[i].Errors, msg)
	}
	for key, msg := range enrichErrs {
		addErr(key, msg)
	}
	switch p.Type {
	case connect.PluginSink:
		validateSinkTopics(config, addErr)
	case connect.PluginSource:
		if strings.EqualFold(strings.TrimSpace(config[ExactlyOnceSupportConfig]), "required") {
			addErr(ExactlyOnceSupportConfig, "Runnel standalone workers cannot provide exactly-once semantics for source connectors")
		}
	}
	h.validateConverters(config, addErr)

	def := conn.Config()
	if def == nil {
		def = connect.NewConfigDef()
	}
	var connValues []connect.ConfigValue
	if v, ok := conn.(connect.ConfigValidator); ok {
		connValues = v.Validate(maps.Clone(config))
	} else {
		connValues = def.Validate(config)
	}
	for _, cv := range connValues {
		if i, ok := index[cv.Name]; ok {
			// The connector's definition wins; keep both sets of errors.
			cv.Errors = append(append([]string(nil), values[i].Errors...), cv.Errors...)
			values[i] = cv
			continue
		}
		index[cv.Name] = len(values)
		values = append(values, cv)
	}
	allKeys := enriched.Merge(def)
	return connect.BuildConfigInfos(class, allKeys.Keys(), values, allKeys.Groups()), p.Type, nil
}

// validateConverters instantiates and configures converters the
// connector overrides, reporting failures on the converter key.
func (h *Standalone) validateConverters(config map[string]string, addErr func(key, msg string)) {
	for _, key := range []string{KeyConverterConfig, ValueConverterConfig} {
		class := strings.TrimSpace(config[key])
		if class == "" {
			continue
		}
		c, err := h.convs.NewConverter(class)
		if err != nil {
			addErr(key, connect.InvalidValueError(key, class, "Class "+class+" could not be found.").Error())
			continue
		}
		if err := c.Configure(connect.WithPrefix(config, key+"."), key == KeyConverterConfig); err != nil {
			addErr(key, err.Error())
		}
	}
	if class := strings.TrimSpace(config[HeaderConverterConfig]); class != "" {
		c, err := h.convs.NewHeaderConverter(class)
		if err != nil {
			addErr(HeaderConverterConfig, connect.InvalidValueError(HeaderConverterConfig, class, "Class "+class+" could not be found.").Error())
		} else if err := c.Configure(connect.WithPrefix(config, HeaderConverterConfig+".")); err != nil {
			addErr(HeaderConverterConfig, err.Error())
		}
	}
}
