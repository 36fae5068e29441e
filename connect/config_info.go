package connect

// The types below are the JSON shapes of Kafka Connect's validate and
// plugin-config endpoints (Kafka's rest/entities ConfigInfos, ConfigInfo,
// ConfigKeyInfo and ConfigValueInfo), field for field.

// ConfigInfos is the body of PUT /connector-plugins/{plugin}/config/validate.
type ConfigInfos struct {
	Name       string       `json:"name"`
	ErrorCount int          `json:"error_count"`
	Groups     []string     `json:"groups"`
	Configs    []ConfigInfo `json:"configs"`
}

// ConfigInfo pairs a key's definition with its validated value; either may
// be null (a value with no definition, or a definition with no value).
type ConfigInfo struct {
	Definition *ConfigKeyInfo   `json:"definition"`
	Value      *ConfigValueInfo `json:"value"`
}

// ConfigKeyInfo describes one key; GET /connector-plugins/{p}/config lists them.
type ConfigKeyInfo struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation string   `json:"documentation"`
	Group         *string  `json:"group"`
	Order         int      `json:"order"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
}

// ConfigValueInfo is one key's validation result. Password values show as
// [hidden].
type ConfigValueInfo struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

// KeyInfo converts a key definition to its REST form.
func KeyInfo(k ConfigKey) ConfigKeyInfo {
	info := ConfigKeyInfo{
		Name:          k.Name,
		Type:          k.Type.String(),
		Required:      k.Required,
		Importance:    k.Importance.String(),
		Documentation: k.Doc,
		Order:         k.OrderInGroup,
		Width:         k.Width.String(),
		DisplayName:   k.DisplayName,
		Dependents:    append([]string{}, k.Dependents...),
	}
	if k.Importance == 0 {
		info.Importance = ImportanceMedium.String()
	}
	if !k.Required {
		info.DefaultValue = ValueString(k.Default, k.Type)
	}
	if k.Group != "" {
		g := k.Group
		info.Group = &g
	}
	return info
}

// ValueInfo converts a validation result to its REST form; t is the key's
// type, or 0 for a value without a definition.
func ValueInfo(v ConfigValue, t ConfigType) ConfigValueInfo {
	info := ConfigValueInfo{
		Name:              v.Name,
		Value:             ValueString(v.Value, t),
		RecommendedValues: make([]string, 0, len(v.RecommendedValues)),
		Errors:            append([]string{}, v.Errors...),
		Visible:           v.Visible,
	}
	rt := t
	if t == TypeList {
		rt = TypeString
	}
	for _, r := range v.RecommendedValues {
		if s := ValueString(r, rt); s != nil {
			info.RecommendedValues = append(info.RecommendedValues, *s)
		}
	}
	return info
}

// BuildConfigInfos assembles a validate response the way Kafka's
// AbstractHerder.generateResult does: values without a definition first,
// then every defined key in order with its value (if validated), and
// error_count summing every error message.
func BuildConfigInfos(name string, keys []ConfigKey, values []ConfigValue, groups []string) ConfigInfos {
	defined := make(map[string]ConfigType, len(keys))
	for _, k := range keys {
		defined[k.Name] = k.Type
	}
	byName := make(map[string]ConfigValue, len(values))
	out := ConfigInfos{Name: name, Groups: append([]string{}, groups...), Configs: []ConfigInfo{}}
	for _, v := range values {
		byName[v.Name] = v
		if _, ok := defined[v.Name]; !ok {
			vi := ValueInfo(v, 0)
			out.Configs = append(out.Configs, ConfigInfo{Value: &vi})
			out.ErrorCount += len(v.Errors)
		}
	}
	for _, k := range keys {
		ki := KeyInfo(k)
		ci := ConfigInfo{Definition: &ki}
		if v, ok := byName[k.Name]; ok {
			vi := ValueInfo(v, k.Type)
			ci.Value = &vi
			out.ErrorCount += len(v.Errors)
		}
		out.Configs = append(out.Configs, ci)
	}
	return out
}
