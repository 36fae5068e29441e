package topology

import (
	"maps"
	"regexp"
	"slices"
)

// Topology is a validated, immutable processing graph. Build tasks from it
// with NewTask; one Topology serves every task of an application.
type Topology struct {
	nodes         []*nodeDef
	byName        map[string]*nodeDef
	stores        []*storeDef
	storeIdx      map[string]*storeDef
	internal      map[string]InternalTopicConfig
	internalOrder []string
	groups        []*group
}

// group is a sub-topology, or the source and processor of a global store.
type group struct {
	id     int
	nodes  []*nodeDef // insertion order
	global bool
	stores []*storeDef // stores its processors use, in store insertion order
}

// makeGroups splits nodes into sub-topologies as Kafka does: nodes joined by
// an edge, or by sharing a store, belong together; ids follow the order in
// which each group's first node was added.
func makeGroups(nodes []*nodeDef, stores []*storeDef) []*group {
	parent := make(map[string]string, len(nodes))
	var find func(string) string
	find = func(x string) string {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[ra] = rb
		}
	}
	for _, n := range nodes {
		parent[n.name] = n.name
	}
	for _, n := range nodes {
		for _, p := range n.parents {
			union(n.name, p)
		}
	}
	for _, s := range stores {
		for _, u := range s.users[min(1, len(s.users)):] {
			union(s.users[0], u)
		}
	}
	var groups []*group
	byRoot := map[string]*group{}
	for _, n := range nodes {
		r := find(n.name)
		g := byRoot[r]
		if g == nil {
			g = &group{id: len(groups)}
			byRoot[r] = g
			groups = append(groups, g)
		}
		g.nodes = append(g.nodes, n)
		n.group = g.id
		if n.globalStore != "" {
			g.global = true
		}
	}
	for _, s := range stores {
		if len(s.users) > 0 {
			g := groups[byRoot[find(s.users[0])].id]
			g.stores = append(g.stores, s)
		}
	}
	return groups
}

// InternalTopicName is the full name of an internal topic.
func InternalTopicName(applicationID, topic string) string {
	return applicationID + "-" + topic
}

// ChangelogTopicName is the name of a store's changelog topic.
func ChangelogTopicName(applicationID, store string) string {
	return applicationID + "-" + store + "-changelog"
}

func (t *Topology) fullTopic(appID, topic string) string {
	if _, ok := t.internal[topic]; ok {
		return InternalTopicName(appID, topic)
	}
	return topic
}

// IsInternalTopic reports whether topic (short name) was added with
// AddInternalTopic.
func (t *Topology) IsInternalTopic(topic string) bool {
	_, ok := t.internal[topic]
	return ok
}

// SubtopologyInfo is what the runtime needs to know about one
// sub-topology. Topic names are full names (internal ones prefixed).
type SubtopologyInfo struct {
	ID      int
	Sources []SourceInfo
	// SourceTopics are all named topics the sub-topology reads (user and
	// repartition), in the order the sources declare them.
	SourceTopics []string
	// RepartitionSourceTopics is the subset of SourceTopics that are
	// internal topics.
	RepartitionSourceTopics []string
	// SinkTopics are the named topics its sinks write (dynamic topics from
	// TopicNameExtractors are not known in advance).
	SinkTopics []string
	// RepartitionSinkTopics is the subset of SinkTopics that are internal.
	RepartitionSinkTopics []string
	Stores                []StoreInfo
}

// SourceInfo is one source node.
type SourceInfo struct {
	Node        string
	Topics      []string
	Pattern     *regexp.Regexp
	OffsetReset OffsetReset
}

// StoreInfo describes one store of a sub-topology.
type StoreInfo struct {
	Name string
	// ChangelogTopic is "" when logging is disabled.
	ChangelogTopic string
	LogConfig      map[string]string
	Caching        bool
}

// InternalTopicInfo is an internal (repartition) topic to create.
type InternalTopicInfo struct {
	Name       string
	Partitions int32 // 0: derive from the writing sub-topologies
	Configs    map[string]string
}

// GlobalStoreInfo describes a global store and the topic feeding it.
type GlobalStoreInfo struct {
	ID            int // the id its group takes in Describe
	Store         string
	SourceNode    string
	Topic         string
	ProcessorNode string
	OffsetReset   OffsetReset
}

// Subtopologies lists the sub-topologies (not the global stores) in id
// order, with topic names for applicationID.
func (t *Topology) Subtopologies(applicationID string) []SubtopologyInfo {
	var out []SubtopologyInfo
	for _, g := range t.groups {
		if g.global {
			continue
		}
		info := SubtopologyInfo{ID: g.id}
		for _, n := range g.nodes {
			switch n.kind {
			case kindSource:
				si := SourceInfo{Node: n.name, Pattern: n.pattern, OffsetReset: n.reset}
				for _, tp := range n.topics {
					full := t.fullTopic(applicationID, tp)
					si.Topics = append(si.Topics, full)
					info.SourceTopics = append(info.SourceTopics, full)
					if t.IsInternalTopic(tp) {
						info.RepartitionSourceTopics = append(info.RepartitionSourceTopics, full)
					}
				}
				info.Sources = append(info.Sources, si)
			case kindSink:
				if n.topic == "" {
					continue
				}
				full := t.fullTopic(applicationID, n.topic)
				if slices.Contains(info.SinkTopics, full) {
					continue
				}
				info.SinkTopics = append(info.SinkTopics, full)
				if t.IsInternalTopic(n.topic) {
					info.RepartitionSinkTopics = append(info.RepartitionSinkTopics, full)
				}
			}
		}
		for _, s := range g.stores {
			si := StoreInfo{Name: s.name, Caching: s.builder.CachingEnabled()}
			if s.builder.LoggingEnabled() {
				si.ChangelogTopic = ChangelogTopicName(applicationID, s.name)
				si.LogConfig = s.builder.LogConfig()
			}
			info.Stores = append(info.Stores, si)
		}
		out = append(out, info)
	}
	return out
}

// InternalTopics lists the internal topics in the order they were added.
func (t *Topology) InternalTopics(applicationID string) []InternalTopicInfo {
	out := make([]InternalTopicInfo, 0, len(t.internalOrder))
	for _, name := range t.internalOrder {
		cfg := t.internal[name]
		out = append(out, InternalTopicInfo{Name: InternalTopicName(applicationID, name), Partitions: cfg.Partitions, Configs: maps.Clone(cfg.Configs)})
	}
	return out
}

// GlobalStores lists the global stores.
func (t *Topology) GlobalStores() []GlobalStoreInfo {
	var out []GlobalStoreInfo
	for _, g := range t.groups {
		if !g.global {
			continue
		}
		gi := GlobalStoreInfo{ID: g.id}
		for _, n := range g.nodes {
			if n.kind == kindSource {
				gi.SourceNode, gi.Topic, gi.OffsetReset, gi.Store = n.name, n.topics[0], n.reset, n.globalStore
			} else {
				gi.ProcessorNode = n.name
			}
		}
		out = append(out, gi)
	}
	return out
}

// CopartitionGroups lists, per sub-topology reading more than one named
// topic, the topics that must have the same number of partitions so that
// task N reads partition N of each.
func (t *Topology) CopartitionGroups(applicationID string) [][]string {
	var out [][]string
	for _, s := range t.Subtopologies(applicationID) {
		if len(s.SourceTopics) > 1 {
			out = append(out, slices.Clone(s.SourceTopics))
		}
	}
	return out
}

// NodeNames lists every node in the order it was added.
func (t *Topology) NodeNames() []string {
	out := make([]string, len(t.nodes))
	for i, n := range t.nodes {
		out[i] = n.name
	}
	return out
}

// StoreNames lists every store (global ones included) in the order added.
func (t *Topology) StoreNames() []string {
	out := make([]string, len(t.stores))
	for i, s := range t.stores {
		out[i] = s.name
	}
	return out
}
