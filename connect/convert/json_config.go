package convert

import (
	"strings"

	"github.com/runnel-dev/runnel/connect"
)

// JsonConverter configuration keys (Kafka's JsonConverterConfig).
const (
	JSONSchemasEnableConfig          = "schemas.enable"
	JSONSchemasCacheSizeConfig       = "schemas.cache.size"
	JSONDecimalFormatConfig          = "decimal.format"
	JSONReplaceNullWithDefaultConfig = "replace.null.with.default"
	// JSONSchemaContentConfig (KIP-1054) gives one schema, as the JSON of an
	// envelope's "schema", for every message read: messages are then the bare
	// payload (an envelope, if present, still wins).
	JSONSchemaContentConfig = "schema.content"
)

// DecimalFormat is how the JsonConverter writes Decimal values.
type DecimalFormat string

// Decimal formats.
const (
	DecimalBase64  DecimalFormat = "BASE64"  // base64 of the unscaled two's-complement bytes
	DecimalNumeric DecimalFormat = "NUMERIC" // a JSON number
)

func converterTypeKey() connect.ConfigKey {
	return connect.ConfigKey{
		Name: TypeConfig, Type: connect.TypeString, Required: true,
		Validator:  connect.CaseInsensitiveValidString("key", "value", "header"),
		Importance: connect.ImportanceLow, Doc: "How this converter will be used.",
	}
}

// JSONConverterConfigDef returns the JsonConverter's configuration definition.
func JSONConverterConfigDef() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(converterTypeKey()).
		Define(connect.ConfigKey{Name: JSONSchemasEnableConfig, Type: connect.TypeBoolean, Default: true,
			Importance: connect.ImportanceHigh, Doc: "Include schemas within each of the serialized values and keys.",
			Group: "Schemas", OrderInGroup: 0, Width: connect.WidthMedium, DisplayName: "Enable Schemas"}).
		Define(connect.ConfigKey{Name: JSONSchemasCacheSizeConfig, Type: connect.TypeInt, Default: 1000,
			Importance: connect.ImportanceHigh, Doc: "The maximum number of schemas that can be cached in this converter instance.",
			Group: "Schemas", OrderInGroup: 1, Width: connect.WidthMedium, DisplayName: "Schema Cache Size"}).
		Define(connect.ConfigKey{Name: JSONSchemaContentConfig, Type: connect.TypeString, Default: nil,
			Importance: connect.ImportanceHigh, Doc: "When set, this is used as the schema for all messages. Otherwise, the schema will be included in the content of each message.",
			Group: "Schemas", OrderInGroup: 2, Width: connect.WidthMedium, DisplayName: "Schema Content"}).
		Define(connect.ConfigKey{Name: JSONDecimalFormatConfig, Type: connect.TypeString, Default: string(DecimalBase64),
			Validator:  connect.CaseInsensitiveValidString(string(DecimalBase64), string(DecimalNumeric)),
			Importance: connect.ImportanceLow, Doc: "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
			Group: "Serialization", OrderInGroup: 0, Width: connect.WidthMedium, DisplayName: "Decimal Format"}).
		Define(connect.ConfigKey{Name: JSONReplaceNullWithDefaultConfig, Type: connect.TypeBoolean, Default: true,
			Importance: connect.ImportanceLow, Doc: "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
			Group: "Serialization", OrderInGroup: 1, Width: connect.WidthMedium, DisplayName: "Replace null with default"})
}

// withType copies configs and sets converter.type.
func withType(configs map[string]string, typ string) map[string]string {
	out := make(map[string]string, len(configs)+1)
	for k, v := range configs {
		out[k] = v
	}
	out[TypeConfig] = typ
	return out
}

func keyOrValue(isKey bool) string {
	if isKey {
		return "key"
	}
	return "value"
}

func upper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
