package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// Names of Kafka's WordCountProcessorDemo.
const (
	InputTopic  = "streams-plaintext-input"
	OutputTopic = "streams-wordcount-processor-output"
	CountsStore = "Counts"
)

// NewTopology is the Processor API word count: "Source" reads lines,
// "Process" counts words in the "Counts" store and, every second of stream
// time, forwards every (word, count) in key order to "Sink".
func NewTopology(input, output string) (*topology.Topology, error) {
	return topology.NewBuilder().
		AddSource("Source", topology.Source[string, string]{
			Topics: []string{input}, KeySerde: serde.String(), ValueSerde: serde.String(),
		}).
		AddProcessor("Process", topology.Supply(newWordCountProcessor), "Source").
		AddStateStore(state.KeyValueStoreBuilder(state.InMemoryKeyValueStore(CountsStore), serde.String(), serde.Int32()), "Process").
		AddSink("Sink", topology.Sink[string, string]{
			Topic: output, KeySerde: serde.String(), ValueSerde: serde.String(),
		}, "Process").
		Build()
}

type wordCountProcessor struct {
	ctx    topology.ProcessorContext[string, string]
	counts state.KeyValueStore[string, int32]
}

func newWordCountProcessor() topology.Processor[string, string, string, string] {
	return &wordCountProcessor{}
}

func (p *wordCountProcessor) Init(ctx topology.ProcessorContext[string, string]) error {
	p.ctx = ctx
	counts, err := state.GetKeyValueStore[string, int32](ctx, CountsStore)
	if err != nil {
		return err
	}
	p.counts = counts
	_, err = ctx.Schedule(time.Second, topology.StreamTime, p.forwardAll)
	return err
}

// forwardAll sends every count, in key order, stamped with the punctuation time.
func (p *wordCountProcessor) forwardAll(timestamp int64) error {
	it, err := p.counts.All()
	if err != nil {
		return err
	}
	defer it.Close()
	for it.Next() {
		rec := topology.Record[string, string]{Key: it.Key(), Value: strconv.Itoa(int(it.Value())), Timestamp: timestamp}
		if err := p.ctx.Forward(rec); err != nil {
			return err
		}
	}
	return it.Err()
}

func (p *wordCountProcessor) Process(rec topology.Record[string, string]) error {
	for _, word := range splitNonWord(strings.ToLower(rec.Value)) {
		old, _, err := p.counts.Get(word)
		if err != nil {
			return err
		}
		if err := p.counts.Put(word, old+1); err != nil {
			return err
		}
	}
	return nil
}

func (p *wordCountProcessor) Close() error { return nil }

// splitNonWord is Java's s.split("\\W+"): it splits on runs of characters
// other than [A-Za-z0-9_], keeps a leading empty string when s starts with
// such a run, and drops trailing empty strings (but "" gives [""]).
func splitNonWord(s string) []string {
	if s == "" {
		return []string{""}
	}
	isWord := func(c byte) bool {
		return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
	}
	var out []string
	start := 0
	for i := 0; i < len(s); {
		if isWord(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && !isWord(s[j]) {
			j++
		}
		out = append(out, s[start:i])
		start, i = j, j
	}
	out = append(out, s[start:])
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
