package topology

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"

	"github.com/runnel-dev/runnel/state"
)

type nodeKind uint8

const (
	kindSource nodeKind = iota + 1
	kindProcessor
	kindSink
)

func (k nodeKind) String() string {
	switch k {
	case kindSource:
		return "source"
	case kindProcessor:
		return "processor"
	case kindSink:
		return "sink"
	}
	return "node"
}

// nodeDef is one node as declared in the builder.
type nodeDef struct {
	name    string
	kind    nodeKind
	seq     int
	parents []string
	stores  []string // connected store names, in connection order

	topics  []string       // source
	pattern *regexp.Regexp // source
	reset   OffsetReset    // source

	topic     string // sink: static topic
	extractor string // sink: description of a dynamic topic extractor

	globalStore string // set on the source and processor of a global store

	inK, inV, outK, outV reflect.Type
	newNode              func(def *nodeDef) instance

	// filled by Build
	children []*nodeDef
	group    int
}

type storeDef struct {
	builder state.StoreBuilder
	name    string
	users   []string // processors connected to it, in connection order
	global  bool
	seq     int
}

// InternalTopicConfig configures a topic the application manages itself
// (a repartition topic). Partitions 0 means "as many as the source topics
// of the sub-topologies that write to it".
type InternalTopicConfig struct {
	Partitions int32
	Configs    map[string]string
}

// Builder assembles a topology with the Processor API. Methods record
// mistakes instead of panicking; Build reports them all.
type Builder struct {
	nodes    []*nodeDef
	byName   map[string]*nodeDef
	stores   []*storeDef
	storeIdx map[string]*storeDef
	internal map[string]InternalTopicConfig
	internOr []string
	errs     []error
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{
		byName:   map[string]*nodeDef{},
		storeIdx: map[string]*storeDef{},
		internal: map[string]InternalTopicConfig{},
	}
}

func (b *Builder) fail(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf(format, args...))
}

func (b *Builder) addNode(def *nodeDef) bool {
	if def.name == "" {
		b.fail("%s: the node name is empty", def.kind)
		return false
	}
	if old, dup := b.byName[def.name]; dup {
		b.fail("%s %q: the name is already used by %s %q", def.kind, def.name, old.kind, old.name)
		return false
	}
	def.seq = len(b.nodes)
	b.nodes = append(b.nodes, def)
	b.byName[def.name] = def
	return true
}

// AddSource adds a source node reading src's topics or pattern.
func (b *Builder) AddSource(name string, src SourceSpec) *Builder {
	def := &nodeDef{name: name, kind: kindSource}
	if src == nil {
		b.fail("source %q: the Source is nil", name)
		return b
	}
	if err := src.sourceDef(def); err != nil {
		b.fail("source %q: %w", name, err)
		return b
	}
	if !b.checkSourceTopics(def) {
		return b
	}
	b.addNode(def)
	return b
}

// checkSourceTopics enforces Kafka's rule that a topic feeds one source only.
func (b *Builder) checkSourceTopics(def *nodeDef) bool {
	ok := true
	for _, other := range b.nodes {
		if other.kind != kindSource {
			continue
		}
		for _, t := range def.topics {
			for _, o := range other.topics {
				if t == o {
					b.fail("source %q: topic %q is already read by source %q", def.name, t, other.name)
					ok = false
				}
			}
			if other.pattern != nil && other.pattern.MatchString(t) {
				b.fail("source %q: topic %q matches the pattern %s of source %q", def.name, t, other.pattern, other.name)
				ok = false
			}
		}
		if def.pattern != nil {
			for _, o := range other.topics {
				if def.pattern.MatchString(o) {
					b.fail("source %q: pattern %s matches topic %q, already read by source %q", def.name, def.pattern, o, other.name)
					ok = false
				}
			}
		}
	}
	return ok
}

// AddProcessor adds a processor node fed by parents (sources or processors).
func (b *Builder) AddProcessor(name string, supplier ProcessorSupplier, parents ...string) *Builder {
	def := &nodeDef{name: name, kind: kindProcessor, parents: append([]string(nil), parents...)}
	if supplier == nil {
		b.fail("processor %q: the supplier is nil", name)
		return b
	}
	info := supplier.supplier()
	if info.newNode == nil {
		b.fail("processor %q: the supplier's constructor is nil", name)
		return b
	}
	def.inK, def.inV, def.outK, def.outV = info.inK, info.inV, info.outK, info.outV
	def.newNode = info.newNode
	if len(parents) == 0 {
		b.fail("processor %q: needs at least one parent", name)
		return b
	}
	if !b.addNode(def) {
		return b
	}
	for _, sb := range info.stores {
		b.AddStateStore(sb, name)
	}
	return b
}

// AddSink adds a sink node fed by parents.
func (b *Builder) AddSink(name string, sink SinkSpec, parents ...string) *Builder {
	def := &nodeDef{name: name, kind: kindSink, parents: append([]string(nil), parents...)}
	if sink == nil {
		b.fail("sink %q: the Sink is nil", name)
		return b
	}
	if err := sink.sinkDef(def); err != nil {
		b.fail("sink %q: %w", name, err)
		return b
	}
	if len(parents) == 0 {
		b.fail("sink %q: needs at least one parent", name)
		return b
	}
	b.addNode(def)
	return b
}

// AddStateStore adds a store and connects it to the named processors. The
// same builder may be added again (to connect more processors); a
// different builder under a used name is an error.
func (b *Builder) AddStateStore(sb state.StoreBuilder, processors ...string) *Builder {
	if sb == nil {
		b.fail("state store: the builder is nil")
		return b
	}
	name := sb.Name()
	if name == "" {
		b.fail("state store: the builder's store name is empty")
		return b
	}
	if old, ok := b.storeIdx[name]; ok {
		if old.builder != sb {
			b.fail("state store %q: a different store with this name was already added", name)
			return b
		}
	} else {
		sd := &storeDef{builder: sb, name: name, seq: len(b.stores)}
		b.stores = append(b.stores, sd)
		b.storeIdx[name] = sd
	}
	for _, p := range processors {
		b.connect(p, name)
	}
	return b
}

// ConnectProcessorAndStateStores gives processor access to stores already
// added.
func (b *Builder) ConnectProcessorAndStateStores(processor string, stores ...string) *Builder {
	for _, s := range stores {
		b.connect(processor, s)
	}
	return b
}

func (b *Builder) connect(processor, store string) {
	sd, ok := b.storeIdx[store]
	if !ok {
		b.fail("processor %q: state store %q has not been added", processor, store)
		return
	}
	if sd.global {
		b.fail("processor %q: %q is a global store; every processor can read it without connecting", processor, store)
		return
	}
	def, ok := b.byName[processor]
	if !ok {
		b.fail("state store %q: processor %q has not been added", store, processor)
		return
	}
	if def.kind != kindProcessor || def.globalStore != "" {
		b.fail("state store %q: cannot connect it to %s %q, only to processors", store, def.kind, processor)
		return
	}
	for _, s := range def.stores {
		if s == store {
			return
		}
	}
	def.stores = append(def.stores, store)
	sd.users = append(sd.users, processor)
}

// AddInternalTopic marks topic as managed by the application (a
// repartition topic): it is created by the runtime and its full name gets
// the "<application.id>-" prefix. Sources and sinks use the short name.
func (b *Builder) AddInternalTopic(topic string, cfg InternalTopicConfig) *Builder {
	if topic == "" {
		b.fail("internal topic: the name is empty")
		return b
	}
	if _, ok := b.internal[topic]; !ok {
		b.internOr = append(b.internOr, topic)
	}
	cfg.Configs = maps.Clone(cfg.Configs)
	b.internal[topic] = cfg
	return b
}

// AddGlobalStore adds a global store: every instance of the application
// keeps a full copy, fed from topic by the global processor (which should
// only update the store). Global stores must not have a changelog; the
// topic is their changelog.
func (b *Builder) AddGlobalStore(sb state.StoreBuilder, sourceName string, src SourceSpec, processorName string, supplier ProcessorSupplier) *Builder {
	if sb == nil {
		b.fail("global store: the builder is nil")
		return b
	}
	name := sb.Name()
	if sb.LoggingEnabled() {
		b.fail("global store %q: logging must be disabled (the source topic is its changelog)", name)
		return b
	}
	if sourceName == processorName {
		b.fail("global store %q: the source and processor names must differ, both are %q", name, sourceName)
		return b
	}
	if _, dup := b.storeIdx[name]; dup {
		b.fail("global store %q: a store with this name was already added", name)
		return b
	}
	sdef := &nodeDef{name: sourceName, kind: kindSource, globalStore: name}
	if src == nil {
		b.fail("global store %q: source %q: the Source is nil", name, sourceName)
		return b
	}
	if err := src.sourceDef(sdef); err != nil {
		b.fail("global store %q: source %q: %w", name, sourceName, err)
		return b
	}
	if len(sdef.topics) != 1 {
		b.fail("global store %q: source %q must read exactly one topic", name, sourceName)
		return b
	}
	if supplier == nil || supplier.supplier().newNode == nil {
		b.fail("global store %q: processor %q: the supplier is nil", name, processorName)
		return b
	}
	info := supplier.supplier()
	pdef := &nodeDef{name: processorName, kind: kindProcessor, parents: []string{sourceName}, globalStore: name, stores: []string{name}}
	pdef.inK, pdef.inV, pdef.outK, pdef.outV = info.inK, info.inV, info.outK, info.outV
	pdef.newNode = info.newNode
	if !b.checkSourceTopics(sdef) || !b.addNode(sdef) || !b.addNode(pdef) {
		return b
	}
	sd := &storeDef{builder: sb, name: name, seq: len(b.stores), global: true, users: []string{processorName}}
	b.stores = append(b.stores, sd)
	b.storeIdx[name] = sd
	return b
}

// Build validates the topology and freezes it. The builder can keep being
// used; later changes do not affect the returned Topology.
func (b *Builder) Build() (*Topology, error) {
	errs := append([]error(nil), b.errs...)

	nodes := make([]*nodeDef, len(b.nodes))
	byName := make(map[string]*nodeDef, len(b.nodes))
	for i, n := range b.nodes {
		c := *n
		c.parents = append([]string(nil), n.parents...)
		c.stores = append([]string(nil), n.stores...)
		c.children = nil
		nodes[i] = &c
		byName[c.name] = &c
	}
	stores := make([]*storeDef, len(b.stores))
	storeIdx := make(map[string]*storeDef, len(b.stores))
	for i, s := range b.stores {
		c := *s
		c.users = append([]string(nil), s.users...)
		stores[i] = &c
		storeIdx[c.name] = &c
	}

	for _, n := range nodes {
		for _, p := range n.parents {
			parent, ok := byName[p]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s %q: parent %q is not defined", n.kind, n.name, p))
				continue
			case parent.kind == kindSink:
				errs = append(errs, fmt.Errorf("%s %q: parent %q is a sink; sinks cannot have children", n.kind, n.name, p))
				continue
			case parent == n:
				errs = append(errs, fmt.Errorf("%s %q: is its own parent", n.kind, n.name))
				continue
			case parent.globalStore != "" && n.globalStore == "":
				errs = append(errs, fmt.Errorf("%s %q: parent %q belongs to global store %q and cannot have other children", n.kind, n.name, p, parent.globalStore))
				continue
			}
			if slicesContains(parent.children, n) {
				errs = append(errs, fmt.Errorf("%s %q: parent %q is listed twice", n.kind, n.name, p))
				continue
			}
			parent.children = append(parent.children, n)
			if err := checkEdgeTypes(parent, n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if cyc := findCycle(nodes); cyc != nil {
		errs = append(errs, fmt.Errorf("the topology has a cycle: %s", joinArrow(cyc)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid topology: %w", err)
	}
	internal := maps.Clone(b.internal)
	t := &Topology{
		nodes: nodes, byName: byName, stores: stores, storeIdx: storeIdx,
		internal: internal, internalOrder: append([]string(nil), b.internOr...),
	}
	t.groups = makeGroups(nodes, stores)
	return t, nil
}

func slicesContains(s []*nodeDef, n *nodeDef) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}

// checkEdgeTypes checks that what parent forwards is what child accepts.
// Interface types are checked per record instead.
func checkEdgeTypes(parent, child *nodeDef) error {
	ok := func(out, in reflect.Type) bool {
		return out == in || out.Kind() == reflect.Interface || (in.Kind() == reflect.Interface && out.Implements(in))
	}
	if ok(parent.outK, child.inK) && ok(parent.outV, child.inV) {
		return nil
	}
	return fmt.Errorf("%s %q takes records of (%v, %v) but parent %q forwards (%v, %v)",
		child.kind, child.name, child.inK, child.inV, parent.name, parent.outK, parent.outV)
}

// findCycle returns the nodes of one cycle, first node repeated at the end.
func findCycle(nodes []*nodeDef) []string {
	const (
		white = iota
		grey
		black
	)
	color := make(map[*nodeDef]int, len(nodes))
	var stack []*nodeDef
	var found []string
	var visit func(n *nodeDef) bool
	visit = func(n *nodeDef) bool {
		color[n] = grey
		stack = append(stack, n)
		for _, c := range n.children {
			switch color[c] {
			case grey:
				for i, s := range stack {
					if s == c {
						for _, x := range stack[i:] {
							found = append(found, x.name)
						}
						found = append(found, c.name)
						return true
					}
				}
			case white:
				if visit(c) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return false
	}
	for _, n := range nodes {
		if color[n] == white && visit(n) {
			return found
		}
	}
	return nil
}

func joinArrow(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += " -> "
		}
		out += fmt.Sprintf("%q", n)
	}
	return out
}
