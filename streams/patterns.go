package streams

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
)

// patternSource is a source node that subscribes to a topic pattern.
type patternSource struct {
	subtopology int
	node        string
	// re matches a whole topic name, as Java's Pattern.matcher().matches()
	// does for Kafka Streams' pattern subscriptions.
	re    *regexp.Regexp
	reset string // "earliest", "latest" or "" (the config's)
}

func newPatternSource(subtopology int, node string, re *regexp.Regexp, reset string) (patternSource, error) {
	full, err := regexp.Compile(`^(?:` + re.String() + `)$`)
	if err != nil {
		return patternSource{}, fmt.Errorf("source %q: pattern %q: %w", node, re, err)
	}
	return patternSource{subtopology: subtopology, node: node, re: full, reset: reset}, nil
}

// resolvePatterns adds the existing topics that match each pattern source
// to its sub-topology's sources. Patterns are resolved once, when Run
// starts: a topic created later that matches is read after the next
// restart (Kafka Streams re-evaluates on metadata refresh; Runnel does not
// yet, see DESIGN.md). A pattern that matches nothing is an error, since
// its sub-topology would have no tasks to run.
func (l *topicLayout) resolvePatterns(ctx context.Context, adm *kadm.Client) error {
	if len(l.patterns) == 0 {
		return nil
	}
	listed, err := adm.ListTopics(ctx)
	if err != nil {
		return fmt.Errorf("listing topics for pattern subscriptions: %w", err)
	}
	taken := l.topicSubtopology()
	for _, p := range l.patterns {
		var matched []string
		for _, topic := range listed.Names() {
			if _, internal := l.repartition[topic]; internal || !p.re.MatchString(topic) {
				continue
			}
			if _, changelog := l.changelogs[topic]; changelog {
				continue
			}
			if other, dup := taken[topic]; dup && other != p.subtopology {
				return fmt.Errorf("topic %s matches the pattern of source %q (sub-topology %d) but is already read by sub-topology %d", topic, p.node, p.subtopology, other)
			}
			matched = append(matched, topic)
		}
		if len(matched) == 0 {
			return fmt.Errorf("%w: no topic matches the pattern %s of source %q", ErrMissingSourceTopic, p.re, p.node)
		}
		slices.Sort(matched)
		for i := range l.subtopologies {
			st := &l.subtopologies[i]
			if st.id != p.subtopology {
				continue
			}
			for _, topic := range matched {
				if !slices.Contains(st.sources, topic) {
					st.sources = append(st.sources, topic)
				}
				taken[topic] = p.subtopology
				if p.reset != "" {
					l.reset[topic] = p.reset
				}
			}
		}
	}
	return nil
}
