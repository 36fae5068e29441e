package topology

import (
	"fmt"
	"strings"
)

// Description is a topology's structure; String prints it exactly as Kafka's
// Topology#describe() does, so the text can be compared with Java apps.
type Description struct {
	Subtopologies []SubtopologyDescription
	GlobalStores  []GlobalStoreDescription
}

// SubtopologyDescription lists a sub-topology's nodes in Kafka's order:
// larger downstream sub-graphs first, then by name.
type SubtopologyDescription struct {
	ID    int
	Nodes []NodeDescription
}

// GlobalStoreDescription is a global store's source and processor.
type GlobalStoreDescription struct {
	ID        int
	Source    NodeDescription
	Processor NodeDescription
}

// NodeDescription is one node. Kind is "Source", "Processor" or "Sink".
type NodeDescription struct {
	Kind         string
	Name         string
	Topics       []string // Source reading named topics
	Pattern      string   // Source reading a pattern
	Stores       []string // Processor
	Topic        string   // Sink with a static topic
	Extractor    string   // Sink with a TopicNameExtractor
	Successors   []string
	Predecessors []string
}

func nodeNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (n NodeDescription) String() string {
	switch n.Kind {
	case "Source":
		topics := n.Pattern
		if n.Topics != nil {
			topics = "[" + strings.Join(n.Topics, ", ") + "]"
		}
		return "Source: " + n.Name + " (topics: " + topics + ")\n      --> " + nodeNames(n.Successors)
	case "Processor":
		return "Processor: " + n.Name + " (stores: [" + strings.Join(n.Stores, ", ") + "])\n      --> " +
			nodeNames(n.Successors) + "\n      <-- " + nodeNames(n.Predecessors)
	default:
		if n.Extractor != "" {
			return "Sink: " + n.Name + " (extractor class: " + n.Extractor + ")\n      <-- " + nodeNames(n.Predecessors)
		}
		return "Sink: " + n.Name + " (topic: " + n.Topic + ")\n      <-- " + nodeNames(n.Predecessors)
	}
}

func (s SubtopologyDescription) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Sub-topology: %d\n", s.ID)
	for _, n := range s.Nodes {
		sb.WriteString("    ")
		sb.WriteString(n.String())
		sb.WriteByte('\n')
	}
	sb.WriteByte('\n')
	return sb.String()
}

func (g GlobalStoreDescription) String() string {
	return fmt.Sprintf("Sub-topology: %d for global store (will not generate tasks)\n    %s\n    %s\n", g.ID, g.Source, g.Processor)
}

func (d *Description) String() string {
	var sb strings.Builder
	sb.WriteString("Topologies:\n ")
	i, j := 0, 0
	for i < len(d.Subtopologies) || j < len(d.GlobalStores) {
		sb.WriteString("  ")
		if j >= len(d.GlobalStores) || (i < len(d.Subtopologies) && d.Subtopologies[i].ID < d.GlobalStores[j].ID) {
			sb.WriteString(d.Subtopologies[i].String())
			i++
		} else {
			sb.WriteString(d.GlobalStores[j].String())
			j++
		}
	}
	return sb.String()
}

// descNode mirrors Kafka's AbstractNode while the description is built:
// size is the node count of the sub-graph below it, and it changes while
// nodes are linked, which is what orders the successor/predecessor sets.
type descNode struct {
	def          *nodeDef
	size         int
	preds, succs *treeSet[*descNode]
}

func compareDescNodes(a, b *descNode) int {
	if a == b {
		return 0
	}
	if a.size != b.size {
		return b.size - a.size
	}
	return javaCompareStrings(a.def.name, b.def.name)
}

func updateSize(n *descNode, delta int) {
	n.size += delta
	n.preds.each(func(p *descNode) { updateSize(p, delta) })
}

// Describe returns the topology's description.
func (t *Topology) Describe() *Description {
	d := &Description{}
	for _, g := range t.groups {
		if g.global {
			d.GlobalStores = append(d.GlobalStores, t.describeGlobal(g))
		} else {
			d.Subtopologies = append(d.Subtopologies, t.describeGroup(g))
		}
	}
	return d
}

func (t *Topology) describeGlobal(g *group) GlobalStoreDescription {
	out := GlobalStoreDescription{ID: g.id}
	for _, n := range g.nodes {
		if n.kind == kindSource {
			out.Source = NodeDescription{Kind: "Source", Name: n.name, Topics: []string{n.topics[0]}}
		} else {
			out.Processor = NodeDescription{Kind: "Processor", Name: n.name, Stores: []string{n.globalStore}}
		}
	}
	out.Source.Successors = []string{out.Processor.Name}
	out.Processor.Predecessors = []string{out.Source.Name}
	return out
}

func (t *Topology) describeGroup(g *group) SubtopologyDescription {
	names := make([]string, len(g.nodes))
	for i, n := range g.nodes {
		names[i] = n.name
	}
	// Kafka collects the group's names in a HashSet, copies them into a
	// HashMap and links the nodes in that map's iteration order.
	order := javaHashOrder(javaHashSetOrder(names), 16)
	nodes := make(map[string]*descNode, len(names))
	for _, n := range g.nodes {
		nodes[n.name] = &descNode{
			def: n, size: 1,
			preds: &treeSet[*descNode]{cmp: compareDescNodes},
			succs: &treeSet[*descNode]{cmp: compareDescNodes},
		}
	}
	for _, name := range order {
		node := nodes[name]
		for _, p := range node.def.parents {
			pred := nodes[p]
			node.preds.add(pred)
			pred.succs.add(node)
			updateSize(pred, node.size)
		}
	}
	all := &treeSet[*descNode]{cmp: compareDescNodes}
	for _, name := range order {
		all.add(nodes[name])
	}
	out := SubtopologyDescription{ID: g.id}
	for _, n := range all.items() {
		out.Nodes = append(out.Nodes, describeNode(n))
	}
	return out
}

func describeNode(n *descNode) NodeDescription {
	d := n.def
	nd := NodeDescription{Name: d.name}
	n.succs.each(func(s *descNode) { nd.Successors = append(nd.Successors, s.def.name) })
	n.preds.each(func(p *descNode) { nd.Predecessors = append(nd.Predecessors, p.def.name) })
	switch d.kind {
	case kindSource:
		nd.Kind = "Source"
		if d.pattern != nil {
			nd.Pattern = d.pattern.String()
		} else {
			nd.Topics = javaNewHashSetOrder(d.topics)
		}
	case kindProcessor:
		nd.Kind = "Processor"
		nd.Stores = javaNewHashSetOrder(javaHashSetOrder(d.stores))
		if nd.Stores == nil {
			nd.Stores = []string{}
		}
	case kindSink:
		nd.Kind = "Sink"
		nd.Topic, nd.Extractor = d.topic, d.extractor
	}
	return nd
}
