package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect"
)

// Keys shared by the sink and the polling source, named as Confluent's.
const (
	cfgConnectionURL       = "connection.url"
	cfgConnectionUser      = "connection.user"
	cfgConnectionPassword  = "connection.password"
	cfgConnectionAttempts  = "connection.attempts"
	cfgConnectionBackoff   = "connection.backoff.ms"
	cfgDialectName         = "dialect.name"
	cfgDBTimezone          = "db.timezone"
	cfgQuoteSQLIdentifiers = "quote.sql.identifiers"
	cfgTableTypes          = "table.types"
)

// enumValidator accepts the values in lower or upper case and rejects
// others with the message of Confluent's EnumValidator.
func enumValidator(values ...string) connect.Validator {
	return connect.ValidatorFunc("["+strings.Join(values, ", ")+"]", func(name string, v any) error {
		s, _ := v.(string)
		for _, ok := range values {
			if s == ok || s == strings.ToUpper(ok) {
				return nil
			}
		}
		return connect.InvalidValueError(name, v, "Invalid enumerator")
	})
}

// timezoneValidator accepts IANA zone names ("UTC", "Europe/Paris").
var timezoneValidator = connect.ValidatorFunc("Any valid JDK time zone", func(name string, v any) error {
	s, _ := v.(string)
	if _, err := time.LoadLocation(s); err != nil || s == "" || s == "Local" {
		return connect.InvalidValueError(name, v, "Invalid time zone identifier")
	}
	return nil
})

// dialectValidator accepts only the PostgreSQL dialect (or auto-detect).
var dialectValidator = connect.ValidatorFunc("PostgreSqlDatabaseDialect", func(name string, v any) error {
	s, _ := v.(string)
	if s != "" && s != "PostgreSqlDatabaseDialect" {
		return connect.InvalidValueError(name, v, "this connector only speaks PostgreSQL; use PostgreSqlDatabaseDialect or leave it empty")
	}
	return nil
})

// urlValidator checks connection.url parses, without connecting.
var urlValidator = connect.ValidatorFunc("jdbc:postgresql://host:port/db or postgres://user@host:port/db", func(name string, v any) error {
	s, _ := v.(string)
	if strings.TrimSpace(s) == "" {
		return connect.InvalidValueError(name, redactURL(s), "must not be empty")
	}
	if _, err := (connSettings{url: s}).poolConfig(nil); err != nil {
		return connect.InvalidValueError(name, redactURL(s), err.Error())
	}
	return nil
})

func defineConnectionKeys(d *connect.ConfigDef, group string) {
	d.Define(connect.ConfigKey{Name: cfgConnectionURL, Type: connect.TypeString, Required: true, Validator: urlValidator,
		Importance: connect.ImportanceHigh, Group: group, OrderInGroup: 1, Width: connect.WidthLong, DisplayName: "JDBC URL",
		Doc: "PostgreSQL connection URL: jdbc:postgresql://host:5432/db?user=..., or postgres://user@host:5432/db. " +
			"JDBC-only parameters are translated (ssl, currentSchema, ApplicationName, connectTimeout) or ignored.",
		Dependents: []string{"table.whitelist", "table.blacklist"}}).
		Define(connect.ConfigKey{Name: cfgConnectionUser, Type: connect.TypeString, Importance: connect.ImportanceHigh,
			Group: group, OrderInGroup: 2, Width: connect.WidthMedium, DisplayName: "JDBC User",
			Doc: "Database user; overrides a user given in connection.url."}).
		Define(connect.ConfigKey{Name: cfgConnectionPassword, Type: connect.TypePassword, Importance: connect.ImportanceHigh,
			Group: group, OrderInGroup: 3, Width: connect.WidthMedium, DisplayName: "JDBC Password",
			Doc: "Database password; overrides a password given in connection.url. Never logged."}).
		Define(connect.ConfigKey{Name: cfgDialectName, Type: connect.TypeString, Default: "", Validator: dialectValidator,
			Importance: connect.ImportanceLow, Group: group, OrderInGroup: 4, Width: connect.WidthLong, DisplayName: "Database Dialect",
			Doc: "Accepted for compatibility; only PostgreSqlDatabaseDialect (or empty) is valid."}).
		Define(connect.ConfigKey{Name: cfgConnectionAttempts, Type: connect.TypeInt, Default: 3, Validator: connect.AtLeast(1),
			Importance: connect.ImportanceLow, Group: group, OrderInGroup: 5, Width: connect.WidthShort, DisplayName: "JDBC connection attempts",
			Doc: "Maximum number of attempts to open a connection. Must be a positive integer."}).
		Define(connect.ConfigKey{Name: cfgConnectionBackoff, Type: connect.TypeLong, Default: int64(10000), Validator: connect.AtLeast(0),
			Importance: connect.ImportanceLow, Group: group, OrderInGroup: 6, Width: connect.WidthShort, DisplayName: "JDBC connection backoff in milliseconds",
			Doc: "Backoff time in milliseconds between connection attempts."})
}

func connSettingsFrom(c *connect.Config) (connSettings, error) {
	loc, err := time.LoadLocation(c.String(cfgDBTimezone))
	if err != nil {
		return connSettings{}, connect.InvalidValueError(cfgDBTimezone, c.String(cfgDBTimezone), err.Error())
	}
	return connSettings{
		url:      c.String(cfgConnectionURL),
		user:     c.String(cfgConnectionUser),
		password: c.Password(cfgConnectionPassword).Value(),
		attempts: c.Int(cfgConnectionAttempts),
		backoff:  time.Duration(c.Long(cfgConnectionBackoff)) * time.Millisecond,
		location: loc,
	}, nil
}

// configErrors collects the first error of each key from validation
// results into one error naming every bad key.
func configErrors(values []connect.ConfigValue) error {
	var msgs []string
	for _, v := range values {
		msgs = append(msgs, v.Errors...)
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration: %s", strings.Join(msgs, "; "))
}

// setError adds msg to the result for key (appending a result if the key
// has none).
func setError(values []connect.ConfigValue, key, msg string) []connect.ConfigValue {
	for i := range values {
		if values[i].Name == key {
			values[i].Errors = append(values[i].Errors, msg)
			return values
		}
	}
	return append(values, connect.ConfigValue{Name: key, Errors: []string{msg}, Visible: true, RecommendedValues: []any{}})
}

func valueOf(values []connect.ConfigValue, key string) (any, bool) {
	for _, v := range values {
		if v.Name == key {
			return v.Value, len(v.Errors) == 0
		}
	}
	return nil, false
}
