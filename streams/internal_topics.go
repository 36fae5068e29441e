package streams

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// ErrMissingSourceTopic is returned by Run when a user source topic does
// not exist (Kafka's MissingSourceTopicException).
var ErrMissingSourceTopic = errors.New("missing source topic")

// topicLayout is what the runtime needs to know about a topology's topics,
// with internal topic names already prefixed by the application id.
type topicLayout struct {
	subtopologies []subtopologyTopics
	// repartition maps each repartition topic to its fixed partition
	// count, or 0 when the count follows from the topics feeding it.
	repartition map[string]int32
	// repConfigs are per-topic configs of repartition topics.
	repConfigs map[string]map[string]string
	// changelogs maps each changelog topic to the sub-topology whose
	// tasks own the store, and its topic configs.
	changelogs map[string]changelogTopic
	// copartition lists groups of topics (user or repartition) that must
	// have equal partition counts.
	copartition [][]string
	// reset holds sources' own auto.offset.reset ("earliest" or
	// "latest"); topics not in it follow the config.
	reset map[string]string
	// patterns are pattern subscriptions, resolved to topics at Run.
	patterns []patternSource
}

// startsAtEnd reports whether a partition of topic without a committed
// offset starts at the end of the log. Repartition topics always start at
// the beginning, as in Kafka Streams, so nothing written to them is lost.
func (l *topicLayout) startsAtEnd(topic, configured string) bool {
	if _, internal := l.repartition[topic]; internal {
		return false
	}
	if r, ok := l.reset[topic]; ok {
		return r == "latest"
	}
	return configured == "latest"
}

type subtopologyTopics struct {
	id      int
	sources []string // user and repartition topics it reads
	sinks   []string // repartition topics it writes
}

type changelogTopic struct {
	subtopology int
	configs     map[string]string
}

// topicSubtopology maps every source topic to its sub-topology.
func (l *topicLayout) topicSubtopology() map[string]int {
	out := map[string]int{}
	for _, s := range l.subtopologies {
		for _, t := range s.sources {
			out[t] = s.id
		}
	}
	return out
}

// sourceCount is the number of topics a sub-topology reads.
func (l *topicLayout) sourceCount(subtopology int) int { return len(l.sources(subtopology)) }

func (l *topicLayout) sources(subtopology int) []string {
	for _, s := range l.subtopologies {
		if s.id == subtopology {
			return s.sources
		}
	}
	return nil
}

func (l *topicLayout) userSources() []string {
	var out []string
	for _, s := range l.subtopologies {
		for _, t := range s.sources {
			if _, internal := l.repartition[t]; !internal {
				out = append(out, t)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// resolvePartitions decides the partition count of every internal topic
// from the existing user topics, as Kafka Streams'
// RepartitionTopics/CopartitionedTopicsEnforcer do: a repartition topic
// without a fixed count gets the largest count among the source topics of
// the sub-topologies writing to it (following chains of repartition
// topics); co-partitioned topics must agree, and unfixed repartition
// topics in a co-partition group take the group's count. A changelog has
// one partition per task of its sub-topology.
func (l *topicLayout) resolvePartitions(user map[string]int32) (map[string]int32, error) {
	counts := maps.Clone(user)
	if counts == nil {
		counts = map[string]int32{}
	}
	for t, n := range l.repartition {
		if n > 0 {
			counts[t] = n
		}
	}
	for changed := true; changed; {
		changed = false
		for _, s := range l.subtopologies {
			var in int32
			for _, src := range s.sources {
				in = max(in, counts[src])
			}
			if in == 0 {
				continue
			}
			for _, sink := range s.sinks {
				if l.repartition[sink] == 0 && counts[sink] < in {
					counts[sink] = in
					changed = true
				}
			}
		}
	}

	for _, group := range l.copartition {
		var fixed, fixedFrom string
		var want int32
		for _, t := range group {
			if _, isRep := l.repartition[t]; isRep && l.repartition[t] == 0 {
				continue
			}
			n := counts[t]
			if fixedFrom == "" {
				fixedFrom, want = t, n
				continue
			}
			if n != want {
				fixed = t
				break
			}
		}
		if fixed != "" {
			return nil, fmt.Errorf("topics %s (%d partitions) and %s (%d partitions) are joined and must be co-partitioned: give them the same partition count",
				fixedFrom, want, fixed, counts[fixed])
		}
		if fixedFrom == "" {
			for _, t := range group {
				want = max(want, counts[t])
			}
		}
		for _, t := range group {
			if n, isRep := l.repartition[t]; isRep && n == 0 {
				counts[t] = want
			}
		}
	}

	for _, s := range l.subtopologies {
		for _, sink := range s.sinks {
			if counts[sink] == 0 {
				return nil, fmt.Errorf("cannot derive the partition count of repartition topic %s", sink)
			}
		}
	}
	for name, c := range l.changelogs {
		counts[name] = l.taskCount(c.subtopology, counts)
	}
	return counts, nil
}

func (l *topicLayout) taskCount(subtopology int, counts map[string]int32) int32 {
	var n int32
	for _, s := range l.subtopologies {
		if s.id == subtopology {
			for _, src := range s.sources {
				n = max(n, counts[src])
			}
		}
	}
	return n
}

// internalTopicConfigs returns the configs an internal topic is created
// with: Kafka's defaults for its kind, then the user's topic.* overrides.
func (cfg *Config) internalTopicConfigs(kind map[string]string) map[string]*string {
	out := map[string]*string{"message.timestamp.type": kadm.StringPtr("CreateTime")}
	for k, v := range kind {
		out[k] = kadm.StringPtr(v)
	}
	for k, v := range cfg.TopicConfigs {
		out[k] = kadm.StringPtr(v)
	}
	return out
}

var (
	repartitionTopicConfigs = map[string]string{
		"cleanup.policy": "delete",
		"segment.bytes":  strconv.Itoa(DefaultRepartitionSegmentLen),
		"retention.ms":   "-1",
	}
	changelogTopicConfigs = map[string]string{
		"cleanup.policy": "compact",
	}
)

// ensureTopics checks that the user's source topics exist, derives the
// internal topics' partition counts and creates the internal topics that
// are missing. Existing internal topics must have the expected count.
// It returns the partition count of every topic in the layout.
func ensureTopics(ctx context.Context, adm *kadm.Client, cfg *Config, l *topicLayout) (map[string]int32, error) {
	sources := l.userSources()
	internal := slices.Sorted(maps.Keys(l.repartition))
	internal = append(internal, slices.Sorted(maps.Keys(l.changelogs))...)
	all := append(slices.Clone(sources), internal...)
	if len(all) == 0 {
		return map[string]int32{}, nil
	}
	details, err := adm.ListTopics(ctx, all...)
	if err != nil {
		return nil, fmt.Errorf("describing topics: %w", err)
	}
	user := map[string]int32{}
	var missing []string
	for _, t := range sources {
		d, ok := details[t]
		if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			missing = append(missing, t)
			continue
		}
		if d.Err != nil {
			return nil, fmt.Errorf("describing source topic %s: %w", t, d.Err)
		}
		user[t] = int32(len(d.Partitions))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s does not exist; create it before starting application %s",
			ErrMissingSourceTopic, strings.Join(missing, ", "), cfg.ApplicationID)
	}
	counts, err := l.resolvePartitions(user)
	if err != nil {
		return nil, err
	}

	for _, t := range internal {
		want := counts[t]
		if d, ok := details[t]; ok && d.Err == nil {
			if got := int32(len(d.Partitions)); got != want {
				return nil, fmt.Errorf("internal topic %s has %d partitions, expected %d; delete it (or reset the application) so it can be recreated",
					t, got, want)
			}
			continue
		}
		kind := maps.Clone(repartitionTopicConfigs)
		maps.Copy(kind, l.repConfigs[t])
		if cl, ok := l.changelogs[t]; ok {
			kind = maps.Clone(changelogTopicConfigs)
			maps.Copy(kind, cl.configs)
		}
		resp, err := adm.CreateTopic(ctx, want, int16(cfg.ReplicationFactor), cfg.internalTopicConfigs(kind), t)
		if err == nil {
			err = resp.Err
		}
		if errors.Is(err, kerr.TopicAlreadyExists) {
			continue // another instance created it concurrently
		}
		if err != nil {
			return nil, fmt.Errorf("creating internal topic %s: %w %s", t, err, resp.ErrMessage)
		}
		cfg.Logger.Info("created internal topic", "topic", t, "partitions", want)
	}
	return counts, nil
}
