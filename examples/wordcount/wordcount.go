package main

import (
	"strconv"
	"strings"

	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/topology"
	"github.com/runnel-dev/runnel/topology/serde"
)

// Names of Kafka's WordCountDemo.
const (
	InputTopic    = "streams-plaintext-input"
	OutputTopic   = "streams-wordcount-output"
	ApplicationID = "streams-wordcount"
)

// Options shape the word count. The zero value is Kafka's WordCountDemo:
// lines are lower-cased and split on runs of non-word characters, and
// counts are written as 8-byte big-endian longs.
type Options struct {
	Input, Output string // default InputTopic, OutputTopic
	// Split breaks a line into words; default SplitNonWord of the
	// lower-cased line.
	Split func(line string) []string
	// CountSerde writes the counts; default serde.Int64 (Java's LongSerde).
	CountSerde serde.Serde[int64]
	// Counts configures the count store (name, type, caching, logging);
	// nil is Kafka's count() with a generated store name.
	Counts *streams.Materialized[string, int64]
}

// NewTopology is WordCountDemo in the DSL:
//
//	stream(input).flatMapValues(split).groupBy((k, w) -> w).count().toStream().to(output)
func NewTopology(o Options) (*topology.Topology, error) {
	if o.Input == "" {
		o.Input = InputTopic
	}
	if o.Output == "" {
		o.Output = OutputTopic
	}
	if o.Split == nil {
		o.Split = func(line string) []string { return SplitNonWord(strings.ToLower(line)) }
	}
	if o.CountSerde == nil {
		o.CountSerde = serde.Int64()
	}
	b := streams.NewBuilder()
	lines := streams.Stream(b, []string{o.Input}, streams.ConsumedWith(serde.String(), serde.String()))
	words := streams.FlatMapValues(lines, o.Split)
	byWord := streams.GroupBy(words, func(_, word string) string { return word })
	var counts *streams.KTable[string, int64]
	if o.Counts == nil {
		counts = byWord.Count()
	} else {
		counts = byWord.Count(*o.Counts)
	}
	counts.ToStream().To(o.Output, streams.ProducedWith(serde.String(), o.CountSerde))
	return b.Build()
}

// SplitNonWord is Java's s.split("\\W+"): it splits on runs of characters
// other than [A-Za-z0-9_], keeps a leading empty string when s starts with
// such a run, and drops trailing empty strings (but "" gives [""]).
func SplitNonWord(s string) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	start := 0
	for i := 0; i < len(s); {
		if isWordByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && !isWordByte(s[j]) {
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

func isWordByte(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// SplitSpaces splits a line on single spaces, skipping empty words: the
// benchmark harness's contract.
func SplitSpaces(line string) []string {
	n := strings.Count(line, " ") + 1
	out := make([]string, 0, n)
	for len(line) > 0 {
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			out = append(out, line)
			break
		}
		if i > 0 {
			out = append(out, line[:i])
		}
		line = line[i+1:]
	}
	return out
}

// DecimalCount writes a count as decimal ASCII, as the benchmark harness
// reads it.
func DecimalCount() serde.Serde[int64] {
	return serde.Funcs("DecimalCount",
		func(_ string, n int64) ([]byte, error) { return strconv.AppendInt(nil, n, 10), nil },
		func(_ string, b []byte) (int64, error) { return strconv.ParseInt(string(b), 10, 64) })
}
