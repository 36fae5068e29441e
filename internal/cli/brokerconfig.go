package cli

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/viper"

	"github.com/runnel-dev/runnel/broker"
)

// propertiesCodec teaches viper Java's .properties format, which Kafka's
// config/*.properties files use.
type propertiesCodec struct{ name string }

func (c propertiesCodec) Decode(b []byte, v map[string]any) error {
	ps, err := parseProperties(c.name, b)
	if err != nil {
		return err
	}
	for _, p := range ps {
		v[p.Key] = p.Value
	}
	return nil
}

func (c propertiesCodec) Encode(v map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%v\n", k, v[k])
	}
	return b.Bytes(), nil
}

// readBrokerProperties reads a Kafka broker.properties style file through
// viper. Keys keep their dots: the key delimiter is set to something Kafka
// keys never contain so that log.dirs is a key, not a path.
func readBrokerProperties(path string) ([]property, error) {
	reg := viper.NewCodecRegistry()
	if err := reg.RegisterCodec("properties", propertiesCodec{name: path}); err != nil {
		return nil, err
	}
	v := viper.NewWithOptions(viper.KeyDelimiter("::"), viper.WithCodecRegistry(reg))
	v.SetConfigFile(path)
	v.SetConfigType("properties")
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("reading broker config %s: %w", path, err)
	}
	keys := v.AllKeys()
	sortStrings(keys)
	out := make([]property, 0, len(keys))
	for _, k := range keys {
		out = append(out, property{Key: k, Value: v.GetString(k), Source: path})
	}
	return out, nil
}

// applyBrokerProperties maps Kafka broker properties onto cfg. The keys
// Runnel's broker has a setting for are consumed; every other key is passed
// to the broker as a broker-level config (log.retention.ms,
// log.cleanup.policy, ...).
func applyBrokerProperties(pm *propertyMap, cfg *broker.Config) error {
	if err := applyListeners(pm, cfg); err != nil {
		return err
	}
	for _, key := range []string{"log.dir", "log.dirs"} { // log.dirs wins, as in Kafka
		v, src, ok := pm.take(key)
		if !ok {
			continue
		}
		dirs := splitList(v)
		if len(dirs) != 1 {
			return fmt.Errorf("%s: %s: expected one directory, got %q (the runnel broker keeps its log in a single directory)", src, key, v)
		}
		cfg.DataDir = dirs[0]
	}
	if v, src, ok := pm.take("num.partitions"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return fmt.Errorf("%s: num.partitions: expected an integer >= 1, got %q", src, v)
		}
		cfg.DefaultPartitions = n
	}
	if v, src, ok := pm.take("auto.create.topics.enable"); ok {
		b, valid := parseBoolProperty(v)
		if !valid {
			return fmt.Errorf("%s: auto.create.topics.enable: expected true or false, got %q", src, v)
		}
		cfg.AutoCreateTopics = b
	}
	if v, src, ok := pm.take("socket.request.max.bytes"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return fmt.Errorf("%s: socket.request.max.bytes: expected an integer >= 1, got %q", src, v)
		}
		cfg.MaxRequestBytes = n
	}
	if v, src, ok := pm.take("log.flush.interval.messages"); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 1 {
			return fmt.Errorf("%s: log.flush.interval.messages: expected an integer >= 1, got %q", src, v)
		}
		// Only "flush every message" maps onto the broker; larger
		// intervals are the default page-cache behaviour.
		cfg.SyncWrites = n == 1
	}
	if err := deriveMillis(pm, "log.retention.ms", "log.retention.minutes", 60_000, "log.retention.hours", 3_600_000); err != nil {
		return err
	}
	if err := deriveMillis(pm, "log.roll.ms", "", 0, "log.roll.hours", 3_600_000); err != nil {
		return err
	}
	for _, k := range pm.keys() {
		v, _, _ := pm.take(k)
		if cfg.BrokerConfigs == nil {
			cfg.BrokerConfigs = map[string]string{}
		}
		cfg.BrokerConfigs[k] = v
	}
	return nil
}

// deriveMillis fills msKey from the coarser Kafka spellings (minutes,
// hours) when it is not set, with Kafka's precedence: ms, then minutes,
// then hours. The coarser keys are kept and passed on as well.
func deriveMillis(pm *propertyMap, msKey, minKey string, minFactor int64, hourKey string, hourFactor int64) error {
	if _, ok := pm.get(msKey); ok {
		return nil
	}
	for _, c := range []struct {
		key    string
		factor int64
	}{{minKey, minFactor}, {hourKey, hourFactor}} {
		if c.key == "" {
			continue
		}
		v, ok := pm.get(c.key)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %s: expected an integer, got %q", pm.sources[c.key], c.key, v)
		}
		ms := n * c.factor
		if n < 0 {
			ms = -1
		}
		pm.values[msKey] = strconv.FormatInt(ms, 10)
		pm.sources[msKey] = pm.sources[c.key]
		return nil
	}
	return nil
}

// applyListeners maps listeners / advertised.listeners (NAME://host:port
// lists) onto Listen and Advertise. Controller listeners are skipped: the
// runnel broker has no separate controller.
func applyListeners(pm *propertyMap, cfg *broker.Config) error {
	controllers := map[string]bool{}
	if v, _, ok := pm.take("controller.listener.names"); ok {
		for _, n := range splitList(v) {
			controllers[strings.ToUpper(n)] = true
		}
	}
	protocols := map[string]string{}
	if v, src, ok := pm.take("listener.security.protocol.map"); ok {
		for _, e := range splitList(v) {
			name, proto, found := strings.Cut(e, ":")
			if !found {
				return fmt.Errorf("%s: listener.security.protocol.map: expected NAME:PROTOCOL entries, got %q", src, e)
			}
			protocols[strings.ToUpper(strings.TrimSpace(name))] = strings.ToUpper(strings.TrimSpace(proto))
		}
	}
	pm.take("inter.broker.listener.name")

	var chosen string
	if v, src, ok := pm.take("listeners"); ok {
		ls, err := parseListeners("listeners", src, v)
		if err != nil {
			return err
		}
		var names []string
		for _, l := range ls {
			if controllers[l.name] {
				continue
			}
			proto := protocols[l.name]
			if proto == "" {
				proto = l.name
			}
			if proto != "PLAINTEXT" {
				return fmt.Errorf("%s: listeners: listener %s uses %s; a broker configured from a properties file serves PLAINTEXT only", src, l.name, proto)
			}
			names = append(names, l.name)
			chosen = l.name
			cfg.Listen = l.addr
		}
		if len(names) != 1 {
			return fmt.Errorf("%s: listeners: expected exactly one non-controller listener, got %d in %q", src, len(names), v)
		}
	}
	if v, src, ok := pm.take("advertised.listeners"); ok {
		ls, err := parseListeners("advertised.listeners", src, v)
		if err != nil {
			return err
		}
		var pick *listener
		for i, l := range ls {
			if controllers[l.name] {
				continue
			}
			if chosen == "" || l.name == chosen {
				pick = &ls[i]
				break
			}
		}
		if pick == nil {
			return fmt.Errorf("%s: advertised.listeners: no entry for listener %s in %q", src, chosen, v)
		}
		host, _, _ := net.SplitHostPort(pick.addr)
		if host == "" {
			return fmt.Errorf("%s: advertised.listeners: %q has no host; clients need a host name to connect to", src, pick.addr)
		}
		cfg.Advertise = pick.addr
	}
	return nil
}

type listener struct{ name, addr string }

func parseListeners(key, src, v string) ([]listener, error) {
	var out []listener
	for _, e := range splitList(v) {
		name, addr, ok := strings.Cut(e, "://")
		if !ok || name == "" {
			return nil, fmt.Errorf("%s: %s: expected NAME://host:port, got %q", src, key, e)
		}
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
			return nil, fmt.Errorf("%s: %s: expected NAME://host:port, got %q", src, key, e)
		}
		out = append(out, listener{name: strings.ToUpper(name), addr: addr})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %s: expected NAME://host:port, got %q", src, key, v)
	}
	return out, nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
