package streams

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// repartitionNode is a repartition topic with the nodes around it: a
// filter and a sink in the writing sub-topology, a source in the reading
// one (Kafka's BaseRepartitionNode).
type repartitionNode struct {
	topic      string // short name; the runtime prefixes the application id
	sinkName   string
	filterName string // "" for a table repartition, which has no filter
	sourceName string
	partitions int32 // 0: as many as the topics feeding it
	// dropNullKeys is set by Build: the filter drops null keys unless a
	// left join downstream keeps them.
	dropNullKeys bool
}

var generatedPrefix = regexp.MustCompile(`^KSTREAM.*-[0-9]{10}$`)

// newRepartition is Kafka's KStreamImpl#createRepartitionedSource: it
// names the topic "<prefix>-repartition" and its nodes, burning three
// indexes whatever names it picks.
func (b *Builder) newRepartition(prefix string) *repartitionNode {
	topic := prefix
	if !strings.HasSuffix(topic, repartitionSuffix) {
		topic += repartitionSuffix
	}
	r := &repartitionNode{
		topic:      topic,
		sinkName:   b.newProcessorName(sinkName),
		filterName: b.newProcessorName(filterName),
		sourceName: b.newProcessorName(sourceName),
	}
	if !generatedPrefix.MatchString(prefix) {
		r.sinkName, r.sourceName, r.filterName = topic+"-sink", topic+"-source", topic+"-filter"
	}
	return r
}

// repartitionGraphNode makes the graph node of r (not yet linked to a
// parent). Records go through a filter, then the topic, and come out of
// the source, which names the node.
func repartitionGraphNode[K, V any](b *Builder, op string, r *repartitionNode, keySerde serde.Serde[K], valueSerde serde.Serde[V], partitioner topology.StreamPartitioner[K, V]) *gnode {
	n := &gnode{name: r.sourceName, repartition: r}
	n.write = func(w *graphWriter) error {
		ks, err := resolveSerde(w.b, op, "repartition key", keySerde)
		if err != nil {
			return err
		}
		vs, err := resolveSerde(w.b, op, "repartition value", valueSerde)
		if err != nil {
			return err
		}
		w.tb.AddInternalTopic(r.topic, topology.InternalTopicConfig{Partitions: r.partitions})
		isNull := nullCheck[K]()
		drop := r.dropNullKeys && isNull != nil
		w.tb.AddProcessor(r.filterName, topology.ProcessFunc(func(ctx topology.ProcessorContext[K, V], rec topology.Record[K, V]) error {
			if drop && isNull(rec.Key) {
				return nil
			}
			return ctx.Forward(rec)
		}), namesOf(n.parents)...)
		w.tb.AddSink(r.sinkName, topology.Sink[K, V]{Topic: r.topic, KeySerde: ks, ValueSerde: vs, Partitioner: partitioner}, r.filterName)
		w.tb.AddSource(r.sourceName, topology.Source[K, V]{Topics: []string{r.topic}, KeySerde: ks, ValueSerde: vs})
		return nil
	}
	b.nodes = append(b.nodes, n)
	return n
}

// Repartition writes the stream through a new repartition topic and reads
// it back (KStream#repartition), named "<Name>-repartition" or
// "KSTREAM-REPARTITION-<n>-repartition". Options: Repartitioned[K, V].
func (s *KStream[K, V]) Repartition(opts ...Option) *KStream[K, V] {
	mustStream("Repartition", s)
	o := s.b.options("repartition", opts)
	rp, _ := take[Repartitioned[K, V]](o)
	o.done(optName[Repartitioned[K, V]]())
	s.b.checkName("repartition", "name", rp.Name)
	if rp.NumPartitions < 0 {
		s.b.fail("repartition: NumPartitions is %d; it must be positive (or 0 for the upstream count)", rp.NumPartitions)
	}
	name := rp.Name
	if name == "" {
		name = s.b.newProcessorName(repartitionName)
	}
	keySerde, valueSerde := firstSerde(rp.KeySerde, s.keySerde), firstSerde(rp.ValueSerde, s.valueSerde)
	r := s.b.newRepartition(name)
	r.partitions = rp.NumPartitions
	node := repartitionGraphNode(s.b, "repartition", r, keySerde, valueSerde, rp.Partitioner)
	s.b.link(node, s.node)
	out := s.derive(node, keySerde, valueSerde, false)
	out.sources = []*gnode{node}
	return out
}

// repartitionForJoin is KStreamImpl#repartitionForJoin: a join after a
// key change repartitions the stream first, reusing one repartition topic
// for every join of this stream that gets a generated name.
func (s *KStream[K, V]) repartitionForJoin(op, prefix string, keySerde serde.Serde[K], valueSerde serde.Serde[V]) *KStream[K, V] {
	keySerde, valueSerde = firstSerde(keySerde, s.keySerde), firstSerde(valueSerde, s.valueSerde)
	r := s.b.newRepartition(prefix)
	if s.joinRepartition == nil || s.name != prefix {
		s.joinRepartition = repartitionGraphNode[K, V](s.b, op, r, keySerde, valueSerde, nil)
		s.b.link(s.joinRepartition, s.node)
	}
	out := s.derive(s.joinRepartition, keySerde, valueSerde, false)
	out.name = r.sourceName
	out.sources = []*gnode{s.joinRepartition}
	return out
}

func firstSerde[T any](candidates ...serde.Serde[T]) serde.Serde[T] {
	for _, c := range candidates {
		if c != nil {
			return c
		}
	}
	return nil
}

// BranchedKStream splits a stream into branches (Kafka's BranchedKStream):
// each record goes to the first branch whose predicate it matches, or to
// the default branch.
type BranchedKStream[K, V any] struct {
	s          *KStream[K, V]
	name       string
	node       *gnode
	predicates []func(K, V) bool
	children   []string
	branches   map[string]*KStream[K, V]
	ended      bool
}

// Split starts splitting the stream (KStream#split); the splitter is named
// "<Named>" or "KSTREAM-BRANCH-<n>". Options: Named.
func (s *KStream[K, V]) Split(opts ...Option) *BranchedKStream[K, V] {
	mustStream("Split", s)
	o := s.b.options("split", opts)
	br := &BranchedKStream[K, V]{s: s, branches: map[string]*KStream[K, V]{}}
	br.name = s.b.orElseGenerate(o.name(), branchName)
	o.done("Named")
	br.node = processorNode(s.b, br.name, []*gnode{s.node}, func() topology.ProcessorSupplier {
		predicates, children := br.predicates, br.children
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[K, V], rec topology.Record[K, V]) error {
			for i, p := range predicates {
				if p(rec.Key, rec.Value) {
					return ctx.ForwardTo(rec, children[i])
				}
			}
			if len(children) > len(predicates) {
				return ctx.ForwardTo(rec, children[len(predicates)])
			}
			return nil
		})
	})
	return br
}

// Branch adds a branch for the records pred matches and no earlier branch
// did. Options: Branched[K, V].
func (br *BranchedKStream[K, V]) Branch(pred func(K, V) bool, opts ...Option) *BranchedKStream[K, V] {
	if br.ended {
		br.s.b.fail("split %q: Branch after DefaultBranch or NoDefaultBranch", br.name)
		return br
	}
	checkFunc(br.s.b, "split "+br.name+": branch", pred)
	br.predicates = append(br.predicates, pred)
	br.add(len(br.predicates), opts)
	return br
}

// DefaultBranch adds the branch for records no predicate matched and
// returns the branches by name. Options: Branched[K, V].
func (br *BranchedKStream[K, V]) DefaultBranch(opts ...Option) map[string]*KStream[K, V] {
	if !br.ended {
		br.add(0, opts)
		br.ended = true
	}
	return br.branches
}

// NoDefaultBranch drops the records no predicate matched and returns the
// branches by name.
func (br *BranchedKStream[K, V]) NoDefaultBranch() map[string]*KStream[K, V] {
	br.ended = true
	return br.branches
}

func (br *BranchedKStream[K, V]) add(index int, opts []Option) {
	b := br.s.b
	o := b.options("split "+br.name+": branch", opts)
	branched, _ := take[Branched[K, V]](o)
	o.done(optName[Branched[K, V]]())
	child := br.name + strconv.Itoa(index)
	if branched.Name != "" {
		child = br.name + branched.Name
		b.checkName("split", "branch name", child)
	}
	br.children = append(br.children, child)
	b.newProcessorName(child) // Kafka burns an index per branch
	node := processorNode(b, child, []*gnode{br.node}, func() topology.ProcessorSupplier {
		return topology.ProcessFunc(func(ctx topology.ProcessorContext[K, V], rec topology.Record[K, V]) error {
			return ctx.Forward(rec)
		})
	})
	branch := br.s.derive(node, br.s.keySerde, br.s.valueSerde, br.s.repartitionRequired)
	if branched.Chain != nil {
		if out := branched.Chain(branch); out != nil {
			br.branches[child] = out
		}
		return
	}
	br.branches[child] = branch
}
