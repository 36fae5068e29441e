package assign

import (
	"sort"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupSim plays the group coordinator for a cooperative protocol: members
// join with what they own, the leader balances, and members keep only what
// they are assigned.
type groupSim struct {
	b          *Balancer
	topics     map[string]int32
	owned      map[string]map[string][]int32
	generation int32
}

func (g *groupSim) rebalance(t *testing.T, ids ...string) map[string]map[string][]int32 {
	t.Helper()
	g.generation++
	var members []kmsg.JoinGroupResponseMember
	for _, id := range ids {
		var interests []string
		for topic := range g.topics {
			interests = append(interests, topic)
		}
		sort.Strings(interests)
		members = append(members, kmsg.JoinGroupResponseMember{
			MemberID:         id,
			ProtocolMetadata: g.b.JoinGroupMetadata(interests, g.owned[id], g.generation-1),
		})
	}
	mb, _, err := g.b.MemberBalancer(members)
	if err != nil {
		t.Fatal(err)
	}
	into, err := mb.(kgo.GroupMemberBalancerOrError).BalanceOrError(g.topics)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string][]int32{}
	for _, a := range into.IntoSyncAssignment() {
		m, err := g.b.ParseSyncAssignment(a.MemberAssignment)
		if err != nil {
			t.Fatal(err)
		}
		out[a.MemberID] = m
	}
	g.owned = out
	return out
}

func partitionsOwned(a map[string]map[string][]int32) map[string]string {
	owner := map[string]string{}
	for id, topics := range a {
		for topic, ps := range topics {
			for _, p := range ps {
				owner[topic+"-"+string(rune('0'+p))] = id
			}
		}
	}
	return owner
}

func TestBalancerKeepsCopartitionedTogetherAndIsCooperative(t *testing.T) {
	b := &Balancer{
		TopicSubtopology:  map[string]int{"left": 0, "right": 0, "other": 1},
		CopartitionGroups: [][]string{{"left", "right"}},
		Threads:           1,
	}
	g := &groupSim{b: b, topics: map[string]int32{"left": 4, "right": 4, "other": 2}, owned: map[string]map[string][]int32{}}

	one := g.rebalance(t, "m1")
	if got := len(partitionsOwned(one)); got != 10 {
		t.Fatalf("single member owns %d partitions, want 10", got)
	}

	// m2 joins. Round 1: tasks moving to m2 are withheld from everyone
	// (m1 must revoke them first); nothing is owned twice.
	r1 := g.rebalance(t, "m1", "m2")
	if len(r1["m2"]) != 0 {
		t.Fatalf("cooperative round 1 gave m2 %v before m1 revoked it", r1["m2"])
	}
	// Round 2 (after m1 revoked): m2 gets its share.
	r2 := g.rebalance(t, "m1", "m2")
	owner := partitionsOwned(r2)
	if len(owner) != 10 {
		t.Fatalf("after round 2 %d partitions are owned, want 10: %v", len(owner), r2)
	}
	for p := 0; p < 4; p++ {
		l, r := owner["left-"+string(rune('0'+p))], owner["right-"+string(rune('0'+p))]
		if l != r {
			t.Errorf("left-%d on %s but right-%d on %s: co-partitioned partitions must stay together", p, l, p, r)
		}
	}
	count := map[string]int{}
	for _, id := range owner {
		count[id]++
	}
	// 6 tasks (4 of sub-topology 0, 2 of sub-topology 1) split 3/3.
	tasksOf := func(id string) int {
		n := len(r2[id]["other"])
		n += len(r2[id]["left"])
		return n
	}
	if tasksOf("m1") != 3 || tasksOf("m2") != 3 {
		t.Errorf("tasks split %d/%d, want 3/3: %v", tasksOf("m1"), tasksOf("m2"), r2)
	}

	// m2 leaves: m1 takes everything back in one round (nothing to revoke).
	back := g.rebalance(t, "m1")
	if got := len(partitionsOwned(back)); got != 10 {
		t.Fatalf("after m2 left, m1 owns %d partitions, want 10", got)
	}
}

func TestBalancerRejectsMismatchedCopartitioning(t *testing.T) {
	b := &Balancer{
		TopicSubtopology:  map[string]int{"left": 0, "right": 0},
		CopartitionGroups: [][]string{{"left", "right"}},
	}
	members := []kmsg.JoinGroupResponseMember{{MemberID: "m", ProtocolMetadata: b.JoinGroupMetadata([]string{"left", "right"}, nil, -1)}}
	mb, _, err := b.MemberBalancer(members)
	if err != nil {
		t.Fatal(err)
	}
	_, err = mb.(kgo.GroupMemberBalancerOrError).BalanceOrError(map[string]int32{"left": 3, "right": 4})
	if err == nil || !strings.Contains(err.Error(), "co-partitioned") {
		t.Fatalf("want co-partitioning error, got %v", err)
	}
}
