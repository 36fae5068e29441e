package streams

import (
	"fmt"
	"maps"

	"github.com/runnel-dev/runnel/topology"
)

// layoutOf extracts the topics a topology reads, writes and keeps state
// in, with internal names for applicationID.
func layoutOf(top *topology.Topology, applicationID string) (*topicLayout, error) {
	l := &topicLayout{
		repartition: map[string]int32{},
		repConfigs:  map[string]map[string]string{},
		changelogs:  map[string]changelogTopic{},
		copartition: top.CopartitionGroups(applicationID),
		reset:       map[string]string{},
	}
	for _, it := range top.InternalTopics(applicationID) {
		l.repartition[it.Name] = it.Partitions
		if len(it.Configs) > 0 {
			l.repConfigs[it.Name] = maps.Clone(it.Configs)
		}
	}
	seen := map[string]int{}
	for _, s := range top.Subtopologies(applicationID) {
		for _, src := range s.Sources {
			if src.Pattern != nil {
				reset := ""
				if src.OffsetReset != topology.ResetDefault {
					reset = src.OffsetReset.String()
				}
				ps, err := newPatternSource(s.ID, src.Node, src.Pattern, reset)
				if err != nil {
					return nil, err
				}
				l.patterns = append(l.patterns, ps)
				continue
			}
			if src.OffsetReset != topology.ResetDefault {
				for _, t := range src.Topics {
					l.reset[t] = src.OffsetReset.String()
				}
			}
		}
		st := subtopologyTopics{id: s.ID, sources: s.SourceTopics, sinks: s.RepartitionSinkTopics}
		for _, t := range s.SourceTopics {
			if other, dup := seen[t]; dup && other != s.ID {
				return nil, fmt.Errorf("topic %s is read by sub-topologies %d and %d; a topic can feed only one sub-topology", t, other, s.ID)
			}
			seen[t] = s.ID
		}
		for _, store := range s.Stores {
			if store.ChangelogTopic != "" {
				l.changelogs[store.ChangelogTopic] = changelogTopic{subtopology: s.ID, configs: maps.Clone(store.LogConfig)}
			}
		}
		if len(s.SourceTopics) > 0 || hasPattern(s) {
			l.subtopologies = append(l.subtopologies, st)
		}
	}
	return l, nil
}

func hasPattern(s topology.SubtopologyInfo) bool {
	for _, src := range s.Sources {
		if src.Pattern != nil {
			return true
		}
	}
	return false
}
