package streams

import (
	"container/heap"
	"errors"
	"fmt"
	"reflect"
	"regexp"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// Builder assembles a topology with the DSL, as Kafka's StreamsBuilder:
//
//	b := streams.NewBuilder()
//	lines := streams.Stream(b, []string{"text"}, streams.ConsumedWith(serde.String(), serde.String()))
//	words := streams.FlatMapValues(lines, strings.Fields)
//	counts := streams.GroupBy(words, func(_, w string) string { return w }).Count()
//	counts.ToStream().To("counts")
//	topo, err := b.Build()
//
// Operations never fail on the spot: mistakes (a nil function, a serde
// that cannot be found, a bad name, ...) are recorded with the operation
// that made them and Build reports them all. Nodes, stores and
// repartition topics get the names Kafka Streams generates for the same
// program, so Describe prints the same text.
//
// Types that change the key or value type are package functions (Map,
// MapValues, GroupBy, Aggregate, Join, ...) because Go methods cannot add
// type parameters; the others are methods.
type Builder struct {
	index    int // Kafka's InternalStreamsBuilder index: one counter for node and store names
	priority int // build priority of the next graph node
	nodes    []*gnode
	errs     []error
	serdes   map[reflect.Type]any // default serdes by type (serde.Serde[T] values)
	stores   []state.StoreBuilder // added with AddStateStore
	copart   []copartitionGroup   // inputs of joins
	built    bool
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{serdes: map[reflect.Type]any{}}
}

// DefaultSerde makes s the serde of every key or value of type T for which
// an operation was given no serde (Kafka's default.key.serde and
// default.value.serde, by type). Without one, the built-in serdes of
// package serde are used for string, []byte, int16, int32, int64,
// float32, float64 and bool; any other type needs a serde.
func DefaultSerde[T any](b *Builder, s serde.Serde[T]) {
	if s == nil {
		b.fail("DefaultSerde[%v]: the serde is nil", reflect.TypeFor[T]())
		return
	}
	b.serdes[reflect.TypeFor[T]()] = s
}

// AddStateStore adds a store that Process nodes can connect to by name
// (Kafka's StreamsBuilder#addStateStore).
func (b *Builder) AddStateStore(sb state.StoreBuilder) *Builder {
	if sb == nil {
		b.fail("AddStateStore: the store builder is nil")
		return b
	}
	b.stores = append(b.stores, sb)
	b.addNode(sb.Name(), nil, func(w *graphWriter) error {
		w.tb.AddStateStore(sb)
		return nil
	})
	return b
}

func (b *Builder) fail(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf(format, args...))
}

// newProcessorName is Kafka's InternalStreamsBuilder#newProcessorName.
func (b *Builder) newProcessorName(prefix string) string {
	name := fmt.Sprintf("%s%010d", prefix, b.index)
	b.index++
	return name
}

// newStoreName is Kafka's InternalStreamsBuilder#newStoreName.
func (b *Builder) newStoreName(prefix string) string {
	name := fmt.Sprintf("%sSTATE-STORE-%010d", prefix, b.index)
	b.index++
	return name
}

// orElseGenerate is Kafka's NamedInternal#orElseGenerateWithPrefix: the
// given name, or a generated one. A given name still burns an index so
// that naming one operation does not rename the ones after it.
func (b *Builder) orElseGenerate(name, prefix string) string {
	generated := b.newProcessorName(prefix)
	if name != "" {
		return name
	}
	return generated
}

// suffixOrElseGenerate is NamedInternal#suffixWithOrElseGet(suffix,
// provider, prefix).
func (b *Builder) suffixOrElseGenerate(name, suffix, prefix string) string {
	generated := b.newProcessorName(prefix)
	if name != "" {
		return name + suffix
	}
	return generated
}

var legalName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// checkName applies Kafka's Named#validate to a user-given name.
func (b *Builder) checkName(op, what, name string) {
	if name == "" {
		return
	}
	switch {
	case len(name) > 249:
		b.fail("%s: %s %q is longer than 249 characters", op, what, name)
	case !legalName.MatchString(name):
		b.fail("%s: %s %q contains a character other than ASCII letters, digits, '.', '_' and '-'", op, what, name)
	}
}

// gnode is a node of the DSL's logical graph (Kafka's GraphNode). The
// graph is written to a topology.Builder only in Build, because later
// operations change earlier nodes: a downstream join materializes an
// upstream table, an aggregation over a table makes it send old values.
type gnode struct {
	name     string
	parents  []*gnode
	children []*gnode
	priority int
	written  bool

	// write adds the node's topology nodes, stores and internal topics.
	write func(w *graphWriter) error

	repartition        *repartitionNode
	relaxedNullKeyJoin bool // Kafka's NULL_KEY_RELAXED_JOIN label

	source any      // *streamSource[K, V] on stream source nodes
	topics []string // topics of a stream source
}

func (n *gnode) parentNames() []string {
	out := make([]string, len(n.parents))
	for i, p := range n.parents {
		out[i] = p.name
	}
	return out
}

// addNode adds a graph node under parents (none: a root node).
func (b *Builder) addNode(name string, parents []*gnode, write func(w *graphWriter) error) *gnode {
	n := &gnode{name: name, write: write}
	b.nodes = append(b.nodes, n)
	b.link(n, parents...)
	if len(parents) == 0 {
		n.priority = b.priority
		b.priority++
	}
	return n
}

// link adds parents to n; like Kafka's addGraphNode, every call gives n a
// new build priority.
func (b *Builder) link(n *gnode, parents ...*gnode) {
	for _, p := range parents {
		if !containsNode(p.children, n) {
			p.children = append(p.children, n)
		}
		if !containsNode(n.parents, p) {
			n.parents = append(n.parents, p)
		}
		n.priority = b.priority
		b.priority++
	}
}

func containsNode(s []*gnode, n *gnode) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}

// graphWriter carries what nodes need while the graph is written.
type graphWriter struct {
	b  *Builder
	tb *topology.Builder
}

// Build writes the graph to a topology and validates it. It reports every
// mistake recorded by the operations, each naming its operation. A
// builder can be built once.
func (b *Builder) Build() (*topology.Topology, error) {
	if b.built {
		return nil, errors.New("streams: Builder.Build was already called; use a new Builder")
	}
	b.built = true
	errs := append([]error(nil), b.errs...)
	b.markNullKeyFilters()
	w := &graphWriter{b: b, tb: topology.NewBuilder()}
	for _, n := range b.writeOrder() {
		if err := n.write(w); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("streams: invalid DSL topology: %w", err)
	}
	if err := b.checkCopartitioning(); err != nil {
		return nil, err
	}
	return w.tb.Build()
}

// writeOrder is the order in which Kafka's buildAndOptimizeTopology
// writes nodes: a priority queue by build priority, starting at the
// roots, where a node is written once all its parents are.
func (b *Builder) writeOrder() []*gnode {
	var order []*gnode
	q := &nodeQueue{}
	for _, n := range b.nodes {
		if len(n.parents) == 0 {
			heap.Push(q, n)
		}
	}
	for q.Len() > 0 {
		n := heap.Pop(q).(*gnode)
		if n.written || !allWritten(n.parents) {
			continue
		}
		n.written = true
		order = append(order, n)
		for _, c := range n.children {
			heap.Push(q, c)
		}
	}
	return order
}

func allWritten(nodes []*gnode) bool {
	for _, n := range nodes {
		if !n.written {
			return false
		}
	}
	return true
}

type nodeQueue []*gnode

func (q nodeQueue) Len() int           { return len(q) }
func (q nodeQueue) Less(i, j int) bool { return q[i].priority < q[j].priority }
func (q nodeQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *nodeQueue) Push(x any)        { *q = append(*q, x.(*gnode)) }
func (q *nodeQueue) Pop() any {
	old := *q
	n := old[len(old)-1]
	*q = old[:len(old)-1]
	return n
}

// markNullKeyFilters is Kafka's rewriteRepartitionNodes: the filter in
// front of a repartition topic drops null keys, unless a join that keeps
// null keys (a left join with a table) is downstream of it.
func (b *Builder) markNullKeyFilters() {
	memo := map[*gnode]bool{}
	var relaxedBelow func(n *gnode) bool
	relaxedBelow = func(n *gnode) bool {
		if v, ok := memo[n]; ok {
			return v
		}
		memo[n] = false
		found := false
		for _, c := range n.children {
			if c.relaxedNullKeyJoin || relaxedBelow(c) {
				found = true
			}
		}
		memo[n] = found
		return found
	}
	for _, n := range b.nodes {
		if n.repartition != nil {
			n.repartition.dropNullKeys = !relaxedBelow(n)
		}
	}
}
