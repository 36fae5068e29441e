package streams

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/runnel-dev/runnel/internal/props"
	"github.com/runnel-dev/runnel/state"
)

// EnvPrefix prefixes the environment variables that override properties:
// application.id is overridden by RUNNEL_APPLICATION_ID.
const EnvPrefix = "RUNNEL"

// EnvName is the environment variable that overrides a property key.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// propertyKind is how a property's text is parsed.
type propertyKind int

const (
	kindString propertyKind = iota
	kindList
	kindInt
	kindMillis
	kindBytes
)

// property is one Kafka Streams setting LoadConfig understands.
type property struct {
	key   string
	kind  propertyKind
	apply func(cfg *Config, s string, n int64) error
}

// properties lists every key LoadConfig accepts. Keys Kafka Streams renamed
// are accepted under both names.
var properties = []property{
	{"application.id", kindString, func(c *Config, s string, _ int64) error { c.ApplicationID = s; return nil }},
	{"bootstrap.servers", kindList, func(c *Config, s string, _ int64) error { c.BootstrapServers = splitList(s); return nil }},
	{"client.id", kindString, func(c *Config, s string, _ int64) error { c.ClientID = s; return nil }},
	{"num.stream.threads", kindInt, func(c *Config, _ string, n int64) error { c.NumStreamThreads = int(n); return nil }},
	{"processing.guarantee", kindString, func(c *Config, s string, _ int64) error {
		c.ProcessingGuarantee = ProcessingGuarantee(s)
		return nil
	}},
	{"commit.interval.ms", kindMillis, func(c *Config, _ string, n int64) error {
		if n == 0 {
			n = 1 // 0 means "commit as often as possible"; the zero Duration means "default".
		}
		c.CommitInterval = time.Duration(n) * time.Millisecond
		return nil
	}},
	{"poll.ms", kindMillis, func(c *Config, _ string, n int64) error {
		c.PollInterval = time.Duration(n) * time.Millisecond
		return nil
	}},
	{"max.task.idle.ms", kindMillis, func(c *Config, _ string, n int64) error {
		c.MaxTaskIdle = time.Duration(n) * time.Millisecond
		return nil
	}},
	{"max.poll.records", kindInt, func(c *Config, _ string, n int64) error { c.MaxPollRecords = int(n); return nil }},
	{"auto.offset.reset", kindString, func(c *Config, s string, _ int64) error { c.AutoOffsetReset = s; return nil }},
	{"state.dir", kindString, func(c *Config, s string, _ int64) error { c.StateDir = s; return nil }},
	{"state.cleanup.delay.ms", kindMillis, func(c *Config, _ string, n int64) error {
		c.StateCleanupDelay = time.Duration(n) * time.Millisecond
		return nil
	}},
	{"statestore.cache.max.bytes", kindBytes, setCacheBytes},
	{state.MemoryBytesConfig, kindBytes, func(c *Config, _ string, n int64) error {
		if n <= 0 {
			return errors.New("expected a positive number of bytes")
		}
		c.StateMemoryBytes = n
		return nil
	}},
	{"cache.max.bytes.buffering", kindBytes, setCacheBytes},
	{"default.key.serde", kindString, func(c *Config, s string, _ int64) error { c.DefaultKeySerde = s; return nil }},
	{"default.value.serde", kindString, func(c *Config, s string, _ int64) error { c.DefaultValueSerde = s; return nil }},
	{"deserialization.exception.handler", kindString, setDeserializationHandler},
	{"default.deserialization.exception.handler", kindString, setDeserializationHandler},
	{"production.exception.handler", kindString, setProductionHandler},
	{"default.production.exception.handler", kindString, setProductionHandler},
	{"errors.deadletterqueue.topic.name", kindString, func(c *Config, s string, _ int64) error { c.DeadLetterQueueTopic = s; return nil }},
	{"replication.factor", kindInt, func(c *Config, _ string, n int64) error {
		if n == 0 {
			return errors.New("expected -1 (broker default) or a positive number")
		}
		c.ReplicationFactor = int(n)
		return nil
	}},
	{"num.standby.replicas", kindInt, func(c *Config, _ string, n int64) error { c.NumStandbyReplicas = int(n); return nil }},
}

func setCacheBytes(c *Config, _ string, n int64) error {
	if n == 0 {
		n = -1 // an explicit 0 disables caching; the zero field means "default".
	}
	c.StateStoreCacheMaxBytes = n
	return nil
}

func setDeserializationHandler(c *Config, s string, _ int64) error {
	h, ok := deserializationHandlerByName(s)
	if !ok {
		return errors.New("expected LogAndContinueExceptionHandler or LogAndFailExceptionHandler")
	}
	c.DeserializationExceptionHandler = h
	return nil
}

func setProductionHandler(c *Config, s string, _ int64) error {
	h, ok := productionHandlerByName(s)
	if !ok {
		return errors.New("expected DefaultProductionExceptionHandler (fail) or continue")
	}
	c.ProductionExceptionHandler = h
	return nil
}

// topicConfigPrefix marks properties passed to internal topics.
const topicConfigPrefix = "topic."

// LoadConfig reads a Kafka Streams .properties file through viper and
// applies environment overrides: every key can be overridden by
// RUNNEL_<KEY> with dots as underscores (RUNNEL_APPLICATION_ID). An empty
// path reads the environment only. Unknown keys and malformed values are
// errors naming the file (or variable) and the key. The result is not yet
// defaulted; New applies defaults and validates.
func LoadConfig(path string) (Config, error) {
	entries := map[string]props.Entry{}
	v := viper.NewWithOptions(
		viper.KeyDelimiter("\x00"), // property keys are flat; dots are not nesting
		viper.WithDecoderRegistry(propertiesRegistry{}),
	)
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
		parsed, err := props.Parse(data)
		if err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
		for _, e := range parsed {
			entries[strings.ToLower(e.Key)] = e
		}
		v.SetConfigType("properties")
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
	}

	known := make(map[string]property, len(properties))
	for _, p := range properties {
		known[p.key] = p
		if err := v.BindEnv(p.key, EnvName(p.key)); err != nil {
			return Config{}, fmt.Errorf("binding %s: %w", EnvName(p.key), err)
		}
	}

	var cfg Config
	var unknown []string
	for key, e := range entries {
		if _, ok := known[key]; ok {
			continue
		}
		if strings.HasPrefix(key, topicConfigPrefix) && len(key) > len(topicConfigPrefix) {
			if cfg.TopicConfigs == nil {
				cfg.TopicConfigs = map[string]string{}
			}
			cfg.TopicConfigs[strings.TrimPrefix(key, topicConfigPrefix)] = e.Value
			continue
		}
		unknown = append(unknown, fmt.Sprintf("%q (line %d)", e.Key, e.Line))
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Config{}, fmt.Errorf("config file %s: unknown key %s", path, strings.Join(unknown, ", "))
	}

	for _, p := range properties {
		if !v.IsSet(p.key) {
			continue
		}
		raw := strings.TrimSpace(v.GetString(p.key))
		where := describeSource(path, p.key, entries)
		var n int64
		switch p.kind {
		case kindInt, kindMillis, kindBytes:
			parsed, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				return Config{}, fmt.Errorf("%s: expected %s, got %q", where, kindDescription(p.kind), raw)
			}
			n = parsed
		}
		if err := p.apply(&cfg, raw, n); err != nil {
			return Config{}, fmt.Errorf("%s: %q: %w", where, raw, err)
		}
	}
	return cfg, nil
}

// describeSource names where a key's value came from for error messages.
func describeSource(path, key string, entries map[string]props.Entry) string {
	if _, ok := os.LookupEnv(EnvName(key)); ok {
		return fmt.Sprintf("environment variable %s (overrides %s)", EnvName(key), key)
	}
	if e, ok := entries[key]; ok {
		return fmt.Sprintf("config file %s: line %d: key %s", path, e.Line, key)
	}
	return "key " + key
}

func kindDescription(k propertyKind) string {
	switch k {
	case kindMillis:
		return "an integer number of milliseconds"
	case kindBytes:
		return "an integer number of bytes"
	default:
		return "an integer"
	}
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// propertiesRegistry gives viper a decoder for .properties files (viper
// itself no longer ships one).
type propertiesRegistry struct{}

func (propertiesRegistry) Decoder(format string) (viper.Decoder, error) {
	if strings.EqualFold(format, "properties") {
		return propertiesDecoder{}, nil
	}
	return nil, fmt.Errorf("unsupported config format %q", format)
}

type propertiesDecoder struct{}

func (propertiesDecoder) Decode(b []byte, into map[string]any) error {
	entries, err := props.Parse(b)
	if err != nil {
		return err
	}
	for _, e := range entries {
		into[strings.ToLower(e.Key)] = e.Value
	}
	return nil
}
