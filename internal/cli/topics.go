package cli

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type topicsOptions struct {
	client  clientFlags
	timeout int64

	create, list, describe, delete, alter bool

	topic             string
	partitions        int32
	replicationFactor int32
	configs           []string
	ifNotExists       bool
	ifExists          bool
	excludeInternal   bool
	withOverrides     bool
}

func newTopicsCommand() *cobra.Command {
	o := &topicsOptions{}
	cmd := &cobra.Command{
		Use:   "topics (--create|--list|--describe|--delete|--alter) [flags]",
		Short: "Create, list, describe, alter and delete topics (like kafka-topics.sh)",
		Long: `Create, list, describe, alter and delete topics, like Kafka's kafka-topics.sh.

Except with --create, --topic is a regular expression matched against the
whole topic name, and a comma separates alternatives, as in Kafka.`,
		Example: `  runnel topics --create --topic orders --partitions 3 --replication-factor 1 --config retention.ms=86400000
  runnel topics --list
  runnel topics --describe --topic orders
  runnel topics --alter --topic orders --partitions 6
  runnel topics --delete --topic orders`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	fs := cmd.Flags()
	o.client.register(fs)
	timeoutFlag(fs, &o.timeout)
	fs.BoolVar(&o.create, "create", false, "Create a new topic")
	fs.BoolVar(&o.list, "list", false, "List all available topics")
	fs.BoolVar(&o.describe, "describe", false, "List details for the given topics (all topics without --topic)")
	fs.BoolVar(&o.delete, "delete", false, "Delete a topic")
	fs.BoolVar(&o.alter, "alter", false, "Alter the number of partitions and the configuration of a topic")
	fs.StringVar(&o.topic, "topic", "", "The `topic` to create, alter, describe or delete (a regular expression except with --create)")
	fs.Int32Var(&o.partitions, "partitions", -1, "The number of partitions for the topic being created or altered; -1 on --create means the broker's num.partitions")
	fs.Int32Var(&o.replicationFactor, "replication-factor", -1, "The replication factor for each partition in the topic being created; -1 means the broker default")
	fs.StringArrayVar(&o.configs, "config", nil, "A topic configuration override `key=value` for the topic being created or altered; repeat for several")
	fs.BoolVar(&o.ifNotExists, "if-not-exists", false, "With --create: only create the topic if it does not already exist")
	fs.BoolVar(&o.ifExists, "if-exists", false, "With --alter, --describe or --delete: only act if the topic exists")
	fs.BoolVar(&o.excludeInternal, "exclude-internal", false, "Exclude internal topics when listing or describing")
	fs.BoolVar(&o.withOverrides, "topics-with-overrides", false, "With --describe: only show topics that have configuration overrides")
	return cmd
}

func (o *topicsOptions) validate(cmd *cobra.Command) error {
	n := 0
	for _, b := range []bool{o.create, o.list, o.describe, o.delete, o.alter} {
		if b {
			n++
		}
	}
	if n != 1 {
		return usageErrorf(cmd, "exactly one of --create, --list, --describe, --delete or --alter is required")
	}
	action := o.action()
	changed := cmd.Flags().Changed
	if (o.create || o.delete || o.alter) && o.topic == "" {
		return usageErrorf(cmd, "--topic is required with --%s", action)
	}
	if changed("partitions") && !o.create && !o.alter {
		return usageErrorf(cmd, "--partitions is only valid with --create or --alter")
	}
	if changed("partitions") && o.partitions < 1 {
		return usageErrorf(cmd, "--partitions: expected a number greater than 0, got %d", o.partitions)
	}
	if changed("replication-factor") {
		if !o.create {
			return usageErrorf(cmd, "--replication-factor is only valid with --create")
		}
		if o.replicationFactor < 1 || o.replicationFactor > 32767 {
			return usageErrorf(cmd, "--replication-factor: expected a number between 1 and 32767, got %d", o.replicationFactor)
		}
	}
	if len(o.configs) > 0 && !o.create && !o.alter {
		return usageErrorf(cmd, "--config is only valid with --create or --alter")
	}
	if o.alter && !changed("partitions") && len(o.configs) == 0 {
		return usageErrorf(cmd, "--alter needs --partitions or --config")
	}
	if o.ifNotExists && !o.create {
		return usageErrorf(cmd, "--if-not-exists is only valid with --create")
	}
	if o.ifExists && !(o.alter || o.describe || o.delete) {
		return usageErrorf(cmd, "--if-exists is only valid with --alter, --describe or --delete")
	}
	if o.withOverrides && !o.describe {
		return usageErrorf(cmd, "--topics-with-overrides is only valid with --describe")
	}
	if o.create {
		if err := validTopicName(o.topic); err != nil {
			return usageErrorf(cmd, "--topic: %v", err)
		}
	}
	return nil
}

func (o *topicsOptions) action() string {
	switch {
	case o.create:
		return "create"
	case o.list:
		return "list"
	case o.describe:
		return "describe"
	case o.delete:
		return "delete"
	}
	return "alter"
}

// validTopicName applies Kafka's topic naming rules up front so that a bad
// name is reported as such, not as a broker error code.
func validTopicName(t string) error {
	switch {
	case t == "." || t == "..":
		return fmt.Errorf("topic name cannot be %q", t)
	case len(t) > 249:
		return fmt.Errorf("topic name is %d characters long; the maximum is 249", len(t))
	}
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("topic name %q contains %q; only ASCII letters, digits, '.', '_' and '-' are allowed", t, r)
		}
	}
	return nil
}

func (o *topicsOptions) run(cmd *cobra.Command) error {
	if err := o.validate(cmd); err != nil {
		return err
	}
	configs, err := parseKeyValueFlags("config", o.configs)
	if err != nil {
		return usageErrorf(cmd, "%v", err)
	}
	timeout, err := timeoutFrom(cmd, o.timeout)
	if err != nil {
		return err
	}
	s, err := openAdmin(cmd, &o.client, timeout)
	if err != nil {
		return err
	}
	defer s.Close()
	out := cmd.OutOrStdout()

	if o.create {
		return o.runCreate(s, out, configs)
	}
	topics, err := o.matchingTopics(cmd, s)
	if err != nil {
		return err
	}
	switch {
	case o.list:
		for _, t := range topics.Names() {
			fmt.Fprintln(out, t)
		}
		return nil
	case o.describe:
		return o.runDescribe(s, out, topics)
	case o.delete:
		return o.runDelete(s, topics.Names())
	}
	return o.runAlter(s, topics.Names(), configs)
}

// matchingTopics lists the topics that --topic selects, failing when a
// named topic is missing unless --if-exists.
func (o *topicsOptions) matchingTopics(cmd *cobra.Command, s *adminSession) (kadm.TopicDetails, error) {
	var match func(string) bool
	if o.topic != "" {
		// Kafka's include lists: a comma separates alternatives and the
		// expression must match the whole name.
		expr := strings.ReplaceAll(strings.TrimSpace(o.topic), ",", "|")
		re, err := regexp.Compile("^(?:" + expr + ")$")
		if err != nil {
			return nil, usageErrorf(cmd, "--topic: %q is not a valid regular expression: %v", o.topic, err)
		}
		match = re.MatchString
	}
	all, err := s.adm.ListTopicsWithInternal(s.ctx)
	if err != nil {
		return nil, s.fail("listing topics", err)
	}
	out := kadm.TopicDetails{}
	for name, d := range all {
		if d.Err != nil {
			continue
		}
		if o.excludeInternal && (d.IsInternal || name == "__consumer_offsets" || name == "__transaction_state") {
			continue
		}
		if match != nil && !match(name) {
			continue
		}
		out[name] = d
	}
	if o.topic != "" && len(out) == 0 && !o.ifExists {
		return nil, fmt.Errorf("topic '%s' does not exist as expected", o.topic)
	}
	return out, nil
}

func (o *topicsOptions) runCreate(s *adminSession, out io.Writer, configs []property) error {
	cfg := make(map[string]*string, len(configs))
	for _, p := range configs {
		v := p.Value
		cfg[p.Key] = &v
	}
	rf := int16(-1)
	if o.replicationFactor > 0 {
		rf = int16(o.replicationFactor)
	}
	resp, err := s.adm.CreateTopic(s.ctx, o.partitions, rf, cfg, o.topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		if errors.Is(err, kerr.TopicAlreadyExists) {
			if o.ifNotExists {
				return nil
			}
			return fmt.Errorf("topic '%s' already exists", o.topic)
		}
		return s.fail("creating topic '"+o.topic+"'", withBrokerMessage(err, resp.ErrMessage))
	}
	fmt.Fprintf(out, "Created topic %s.\n", o.topic)
	return nil
}

func (o *topicsOptions) runDelete(s *adminSession, topics []string) error {
	if len(topics) == 0 {
		return nil
	}
	resps, err := s.adm.DeleteTopics(s.ctx, topics...)
	if err != nil {
		return s.fail("deleting topics", err)
	}
	for _, r := range resps.Sorted() {
		if r.Err != nil {
			return fmt.Errorf("deleting topic '%s': %w", r.Topic, withBrokerMessage(r.Err, r.ErrMessage))
		}
	}
	return nil
}

func (o *topicsOptions) runAlter(s *adminSession, topics []string, configs []property) error {
	if len(topics) == 0 {
		return nil
	}
	if o.partitions > 0 {
		resps, err := s.adm.UpdatePartitions(s.ctx, int(o.partitions), topics...)
		if err != nil {
			return s.fail("altering partitions", err)
		}
		for _, r := range resps.Sorted() {
			if r.Err != nil {
				return fmt.Errorf("altering partitions of topic '%s': %w", r.Topic, withBrokerMessage(r.Err, r.ErrMessage))
			}
		}
	}
	if len(configs) > 0 {
		alters := make([]kadm.AlterConfig, 0, len(configs))
		for _, p := range configs {
			v := p.Value
			alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: p.Key, Value: &v})
		}
		resps, err := s.adm.AlterTopicConfigs(s.ctx, alters, topics...)
		if err != nil {
			return s.fail("altering topic configs", err)
		}
		for _, r := range resps {
			if r.Err != nil {
				return fmt.Errorf("altering configs of topic '%s': %w", r.Name, withBrokerMessage(r.Err, r.ErrMessage))
			}
		}
	}
	return nil
}

func (o *topicsOptions) runDescribe(s *adminSession, out io.Writer, topics kadm.TopicDetails) error {
	names := topics.Names()
	if len(names) == 0 {
		return nil
	}
	rcs, err := s.adm.DescribeTopicConfigs(s.ctx, names...)
	if err != nil {
		return s.fail("describing topic configs", err)
	}
	overrides := make(map[string]string, len(rcs))
	for _, rc := range rcs {
		if rc.Err != nil {
			return fmt.Errorf("describing configs of topic '%s': %w", rc.Name, withBrokerMessage(rc.Err, rc.ErrMessage))
		}
		overrides[rc.Name] = nonDefaultConfigs(rc.Configs)
	}
	for _, name := range names {
		d := topics[name]
		if o.withOverrides && overrides[name] == "" {
			continue
		}
		parts := d.Partitions.Sorted()
		rf := 0
		if len(parts) > 0 {
			rf = len(parts[0].Replicas)
		}
		fmt.Fprintf(out, "Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n",
			name, kafkaUUID(d.ID), len(parts), rf, overrides[name])
		if o.withOverrides {
			continue
		}
		for _, p := range parts {
			leader := "none"
			if p.Leader >= 0 {
				leader = fmt.Sprint(p.Leader)
			}
			fmt.Fprintf(out, "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s\n",
				name, p.Partition, leader, joinInt32s(p.Replicas), joinInt32s(p.ISR))
		}
	}
	return nil
}

// nonDefaultConfigs renders the configs Kafka's describe shows: those not
// at their default, as k=v joined by commas.
func nonDefaultConfigs(cs []kadm.Config) string {
	var kv []string
	for _, c := range cs {
		if c.Source == kmsg.ConfigSourceDefaultConfig {
			continue
		}
		v := "null"
		if c.Value != nil && !c.Sensitive {
			v = *c.Value
		}
		kv = append(kv, c.Key+"="+v)
	}
	slices.Sort(kv)
	return strings.Join(kv, ",")
}

// kafkaUUID prints a topic ID as Kafka does: unpadded URL-safe base64.
func kafkaUUID(id kadm.TopicID) string {
	return base64.RawURLEncoding.EncodeToString(id[:])
}

// withBrokerMessage appends the broker's error message, which often says
// more than the error code ("Topic currently has 3 partitions ...").
func withBrokerMessage(err error, msg string) error {
	if msg == "" || strings.Contains(err.Error(), msg) {
		return err
	}
	return fmt.Errorf("%w: %s", err, msg)
}
