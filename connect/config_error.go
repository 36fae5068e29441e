package connect

import (
	"fmt"
	"strings"
)

// ConfigError reports a configuration key with a bad or missing value. Its
// message matches Kafka's ConfigException text, which users grep for:
// "Invalid value X for configuration K: reason" or
// "Missing required configuration "K" which has no default value.".
type ConfigError struct {
	// Name is the configuration key at fault.
	Name string
	msg  string
}

// Error returns the Kafka-style message.
func (e *ConfigError) Error() string { return e.msg }

// InvalidValueError builds the error for a value that failed parsing or
// validation. Passwords in value print as [hidden].
func InvalidValueError(name string, value any, reason string) *ConfigError {
	msg := "Invalid value " + FormatValue(value) + " for configuration " + name
	if reason != "" {
		msg += ": " + reason
	}
	return &ConfigError{Name: name, msg: msg}
}

// MissingConfigError builds the error for a required key that is absent.
func MissingConfigError(name string) *ConfigError {
	return &ConfigError{Name: name, msg: fmt.Sprintf("Missing required configuration %q which has no default value.", name)}
}

// NewConfigError builds an error about key name with a free-form message.
func NewConfigError(name, msg string) *ConfigError { return &ConfigError{Name: name, msg: msg} }

// FormatValue renders a parsed configuration value the way Java's toString
// does in Kafka's messages: lists as [a, b], nil as null, passwords hidden.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case []string:
		return "[" + strings.Join(x, ", ") + "]"
	case Password:
		return HiddenPassword
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}
