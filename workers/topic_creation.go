package workers

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/twmb/franz-go/pkg/kadm"
)

// Topic creation for source connectors (KIP-158): when a source connector
// sets topic.creation.default.replication.factor and .partitions, topics it
// writes to that do not exist are created with the settings of the first
// group in topic.creation.groups whose include patterns match the topic
// and whose exclude patterns do not, else of the default group. Other
// topic.creation.<group>.* keys become topic configs (cleanup.policy...).
const (
	topicCreationPrefix = "topic.creation."
	defaultGroup        = "default"
	includeKey          = "include"
	excludeKey          = "exclude"
	rfKey               = "replication.factor"
	partitionsKey       = "partitions"
)

// usesTopicCreation is Kafka's SourceConnectorConfig.usesTopicCreation.
func usesTopicCreation(props map[string]string) bool {
	for k := range props {
		if strings.HasPrefix(k, topicCreationPrefix) {
			return true
		}
	}
	return false
}

func regexListValidator() connect.Validator {
	return connect.ValidatorFunc("list of regular expressions", func(name string, v any) error {
		list, _ := v.([]string)
		for _, re := range list {
			if _, err := regexp.Compile(re); err != nil {
				return connect.InvalidValueError(name, v, "Syntax error in regular expression: "+err.Error())
			}
		}
		return nil
	})
}

var (
	partitionsValidator = connect.ValidatorFunc("Positive number, or -1 to use the broker's default", func(name string, v any) error {
		if n, _ := v.(int); n != -1 && n < 1 {
			return connect.InvalidValueError(name, v, "Number of partitions must be positive, or -1 to use the broker's default")
		}
		return nil
	})
	rfValidator = connect.ValidatorFunc("Positive number not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default", func(name string, v any) error {
		if n, _ := v.(int); n != -1 && n < 1 {
			return connect.InvalidValueError(name, v, "Replication factor must be positive and not larger than the number of brokers in the Kafka cluster, or -1 to use the broker's default")
		}
		return nil
	})
)

// enrichTopicCreation adds the topic.creation.<group>.* keys to a source
// connector's definition (Kafka's SourceConnectorConfig.enrich).
func enrichTopicCreation(def *connect.ConfigDef, props map[string]string) *connect.ConfigDef {
	if !usesTopicCreation(props) {
		return def
	}
	out := def.Clone()
	add := func(group string, required bool) {
		p := topicCreationPrefix + group + "."
		g := "Topic Creation: " + group
		includeDefault := any("")
		if group == defaultGroup {
			includeDefault = ".*"
		}
		keys := []connect.ConfigKey{
			{Name: p + includeKey, Type: connect.TypeList, Default: includeDefault, Validator: regexListValidator(), Importance: connect.ImportanceLow, Group: g, OrderInGroup: 1, Width: connect.WidthLong,
				Doc: "A list of regular expression literals used to match the topic names used by the source connector. This list is used to include topics that should be created using the topic settings defined by this group."},
			{Name: p + excludeKey, Type: connect.TypeList, Default: "", Validator: regexListValidator(), Importance: connect.ImportanceLow, Group: g, OrderInGroup: 2, Width: connect.WidthLong,
				Doc: "A list of regular expression literals used to match the topic names used by the source connector. This list is used to exclude topics from being created with the topic settings defined by this group."},
			{Name: p + rfKey, Type: connect.TypeShort, Required: required, Validator: rfValidator, Importance: connect.ImportanceLow, Group: g, OrderInGroup: 3, Width: connect.WidthLong,
				Doc: "The replication factor for new topics created by the connector, or -1 to use the broker's default."},
			{Name: p + partitionsKey, Type: connect.TypeInt, Required: required, Validator: partitionsValidator, Importance: connect.ImportanceLow, Group: g, OrderInGroup: 4, Width: connect.WidthLong,
				Doc: "The number of partitions new topics created by the connector have, or -1 to use the broker's default."},
		}
		if !required {
			keys[2].Default, keys[3].Default = nil, nil
			keys[2].Validator, keys[3].Validator = connect.OrNull(rfValidator), connect.OrNull(partitionsValidator)
		}
		for _, k := range keys {
			if _, dup := out.Key(k.Name); !dup {
				out.Define(k)
			}
		}
	}
	add(defaultGroup, true)
	for _, g := range connect.SplitList(props[TopicCreationGroupsConfig]) {
		if g != defaultGroup {
			add(g, false)
		}
	}
	return out
}

type topicGroup struct {
	name             string
	include, exclude []*regexp.Regexp
	partitions       int32
	rf               int16
	configs          map[string]*string
}

// topicCreator creates missing topics for one source task.
type topicCreator struct {
	admin   *kadm.Client
	groups  []topicGroup // listed groups in order, then the default group
	mu      sync.Mutex
	checked map[string]bool
}

// newTopicCreator returns nil when the connector does not use topic
// creation or the worker disabled it.
func newTopicCreator(workerEnabled bool, props map[string]string, admin *kadm.Client) (*topicCreator, error) {
	if !workerEnabled || !usesTopicCreation(props) {
		return nil, nil
	}
	def := enrichTopicCreation(connect.NewConfigDef(), props)
	cfg, err := def.Parse(props)
	if err != nil {
		return nil, err
	}
	compile := func(key string) ([]*regexp.Regexp, error) {
		var out []*regexp.Regexp
		for _, s := range cfg.List(key) {
			re, err := regexp.Compile(`^(?:` + s + `)$`)
			if err != nil {
				return nil, connect.InvalidValueError(key, s, err.Error())
			}
			out = append(out, re)
		}
		return out, nil
	}
	defPrefix := topicCreationPrefix + defaultGroup + "."
	defRF, defParts := cfg.Int(defPrefix+rfKey), cfg.Int(defPrefix+partitionsKey)
	names := slices.DeleteFunc(connect.SplitList(props[TopicCreationGroupsConfig]), func(g string) bool { return g == defaultGroup })
	names = append(names, defaultGroup)
	tc := &topicCreator{admin: admin, checked: map[string]bool{}}
	for _, name := range names {
		p := topicCreationPrefix + name + "."
		g := topicGroup{name: name, rf: int16(defRF), partitions: int32(defParts), configs: map[string]*string{}}
		if g.include, err = compile(p + includeKey); err != nil {
			return nil, err
		}
		if g.exclude, err = compile(p + excludeKey); err != nil {
			return nil, err
		}
		if !cfg.IsNull(p + rfKey) {
			g.rf = int16(cfg.Int(p + rfKey))
		}
		if !cfg.IsNull(p + partitionsKey) {
			g.partitions = int32(cfg.Int(p + partitionsKey))
		}
		for k, v := range connect.WithPrefix(props, p) {
			switch k {
			case includeKey, excludeKey, rfKey, partitionsKey:
			default:
				v := v
				g.configs[k] = &v
			}
		}
		tc.groups = append(tc.groups, g)
	}
	return tc, nil
}

func (g *topicGroup) matches(topic string) bool {
	for _, re := range g.exclude {
		if re.MatchString(topic) {
			return false
		}
	}
	for _, re := range g.include {
		if re.MatchString(topic) {
			return true
		}
	}
	return false
}

// ensure creates topic if it does not exist yet (once per task and topic).
func (c *topicCreator) ensure(ctx context.Context, topic string) error {
	c.mu.Lock()
	done := c.checked[topic]
	c.mu.Unlock()
	if done {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	listed, err := c.admin.ListTopics(ctx, topic)
	if err != nil {
		return fmt.Errorf("checking whether topic %s exists: %w", topic, err)
	}
	if !listed.Has(topic) {
		for i := range c.groups {
			g := &c.groups[i]
			if !g.matches(topic) {
				continue
			}
			resp, err := c.admin.CreateTopic(ctx, g.partitions, g.rf, g.configs, topic)
			if err == nil {
				err = resp.Err
			}
			if err != nil && !isTopicExists(err) {
				return fmt.Errorf("creating topic %s (topic creation group %s): %w", topic, g.name, err)
			}
			break
		}
	}
	c.mu.Lock()
	c.checked[topic] = true
	c.mu.Unlock()
	return nil
}
