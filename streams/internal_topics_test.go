package streams

import (
	"strings"
	"testing"
)

func TestResolvePartitionsFollowsRepartitionChains(t *testing.T) {
	// 0: reads "in" (6 partitions), writes app-a-repartition
	// 1: reads app-a-repartition, writes app-b-repartition
	// 2: reads app-b-repartition and "table" (joined), store changelog
	l := &topicLayout{
		subtopologies: []subtopologyTopics{
			{id: 0, sources: []string{"in"}, sinks: []string{"app-a-repartition"}},
			{id: 1, sources: []string{"app-a-repartition"}, sinks: []string{"app-b-repartition"}},
			{id: 2, sources: []string{"app-b-repartition", "table"}},
		},
		repartition: map[string]int32{"app-a-repartition": 0, "app-b-repartition": 0},
		changelogs:  map[string]changelogTopic{"app-store-changelog": {subtopology: 2}},
		copartition: [][]string{{"app-b-repartition", "table"}},
	}
	counts, err := l.resolvePartitions(map[string]int32{"in": 6, "table": 3})
	if err != nil {
		t.Fatal(err)
	}
	if counts["app-a-repartition"] != 6 {
		t.Errorf("a-repartition = %d, want 6 (from its input)", counts["app-a-repartition"])
	}
	if counts["app-b-repartition"] != 3 {
		t.Errorf("b-repartition = %d, want 3 (co-partitioned with table)", counts["app-b-repartition"])
	}
	if counts["app-store-changelog"] != 3 {
		t.Errorf("changelog = %d, want 3 (one per task)", counts["app-store-changelog"])
	}
}

func TestResolvePartitionsRejectsMismatchedJoinInputs(t *testing.T) {
	l := &topicLayout{
		subtopologies: []subtopologyTopics{{id: 0, sources: []string{"left", "right"}}},
		copartition:   [][]string{{"left", "right"}},
	}
	_, err := l.resolvePartitions(map[string]int32{"left": 4, "right": 2})
	if err == nil || !strings.Contains(err.Error(), "co-partitioned") || !strings.Contains(err.Error(), "left") {
		t.Fatalf("want co-partitioning error naming the topics, got %v", err)
	}
}

func TestResolvePartitionsFixedCount(t *testing.T) {
	l := &topicLayout{
		subtopologies: []subtopologyTopics{
			{id: 0, sources: []string{"in"}, sinks: []string{"app-r-repartition"}},
			{id: 1, sources: []string{"app-r-repartition"}},
		},
		repartition: map[string]int32{"app-r-repartition": 10},
	}
	counts, err := l.resolvePartitions(map[string]int32{"in": 2})
	if err != nil {
		t.Fatal(err)
	}
	if counts["app-r-repartition"] != 10 {
		t.Fatalf("fixed count not kept: %d", counts["app-r-repartition"])
	}
}
