package assign

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ProtocolName is the group protocol every member of a Runnel streams
// application announces.
const ProtocolName = "runnel-streams"

// userDataVersion is the first byte of the subscription user data.
const userDataVersion = 1

// Balancer is a cooperative kgo.GroupBalancer that assigns whole tasks.
//
// The subscription carries the member's stream thread count in its user
// data and, as KIP-429 asks, the partitions it owns. The leader maps the
// owned partitions back to tasks, runs Assign, and then withholds every
// task that changes owner for one round (kgo's AdjustCooperative): the
// old owner first closes it and revokes its partitions, which triggers the
// follow-up rebalance that hands it to the new owner. Tasks that do not
// move keep running throughout.
type Balancer struct {
	// TopicSubtopology maps each source topic to its sub-topology.
	TopicSubtopology map[string]int
	// CopartitionGroups are sets of topics that must have the same
	// partition count (join inputs).
	CopartitionGroups [][]string
	// Threads is this member's stream thread count.
	Threads int
	// Log receives balancing decisions at debug level and problems at warn.
	Log *slog.Logger
}

var _ kgo.GroupBalancer = (*Balancer)(nil)

// ProtocolName implements kgo.GroupBalancer.
func (b *Balancer) ProtocolName() string { return ProtocolName }

// IsCooperative implements kgo.GroupBalancer.
func (b *Balancer) IsCooperative() bool { return true }

// JoinGroupMetadata implements kgo.GroupBalancer.
func (b *Balancer) JoinGroupMetadata(topics []string, owned map[string][]int32, generation int32) []byte {
	meta := kmsg.NewConsumerMemberMetadata()
	meta.Version = 3
	meta.Topics = topics
	meta.Generation = generation
	meta.UserData = binary.BigEndian.AppendUint32([]byte{userDataVersion}, uint32(max(b.Threads, 1)))
	names := make([]string, 0, len(owned))
	for t := range owned {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		op := kmsg.NewConsumerMemberMetadataOwnedPartition()
		op.Topic = t
		op.Partitions = owned[t]
		meta.OwnedPartitions = append(meta.OwnedPartitions, op)
	}
	return meta.AppendTo(nil)
}

// ParseSyncAssignment implements kgo.GroupBalancer.
func (b *Balancer) ParseSyncAssignment(assignment []byte) (map[string][]int32, error) {
	return kgo.ParseConsumerSyncAssignment(assignment)
}

// MemberBalancer implements kgo.GroupBalancer.
func (b *Balancer) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	cb, err := kgo.NewConsumerBalancer(b, members)
	if err != nil {
		return nil, nil, err
	}
	return cb, cb.MemberTopics(), nil
}

// Balance implements kgo.ConsumerBalancerBalance; it runs on the leader.
func (b *Balancer) Balance(cb *kgo.ConsumerBalancer, topics map[string]int32) kgo.IntoSyncAssignment {
	for _, group := range b.CopartitionGroups {
		if err := checkCopartitioned(group, topics); err != nil {
			cb.SetError(err)
			return nil
		}
	}
	tasks := b.tasks(topics)

	// Only a claim at the highest generation proves current ownership
	// (KIP-792); older claims come from members that missed a rebalance.
	newest := map[Task]int32{}
	cb.EachMember(func(_ *kmsg.JoinGroupResponseMember, meta *kmsg.ConsumerMemberMetadata) {
		for _, t := range b.ownedTasks(meta) {
			if g, ok := newest[t]; !ok || meta.Generation > g {
				newest[t] = meta.Generation
			}
		}
	})
	var members []Member
	cb.EachMember(func(m *kmsg.JoinGroupResponseMember, meta *kmsg.ConsumerMemberMetadata) {
		mem := Member{ID: m.MemberID, Capacity: threadsFromUserData(meta.UserData), Subtopologies: map[int]bool{}}
		for _, t := range meta.Topics {
			if s, ok := b.TopicSubtopology[t]; ok {
				mem.Subtopologies[s] = true
			}
		}
		for _, t := range b.ownedTasks(meta) {
			if meta.Generation >= newest[t] {
				mem.Owned = append(mem.Owned, t)
			}
		}
		members = append(members, mem)
	})

	placed := Assign(tasks, members)
	plan := cb.NewPlan()
	cb.EachMember(func(m *kmsg.JoinGroupResponseMember, _ *kmsg.ConsumerMemberMetadata) {
		for _, t := range placed[m.MemberID] {
			for topic, s := range b.TopicSubtopology {
				if s == t.Subtopology && t.Partition < topics[topic] {
					plan.AddPartition(m, topic, t.Partition)
				}
			}
		}
	})
	plan.AdjustCooperative(cb)
	if b.Log != nil {
		b.Log.Debug("balanced stream tasks", "members", len(members), "tasks", len(tasks), "plan", plan.String())
	}
	return plan
}

// tasks lists one task per partition number of each sub-topology, up to the
// largest partition count among its source topics (as Kafka Streams).
func (b *Balancer) tasks(topics map[string]int32) []Task {
	parts := map[int]int32{}
	for topic, s := range b.TopicSubtopology {
		if n, ok := topics[topic]; ok && n > parts[s] {
			parts[s] = n
		}
	}
	var out []Task
	for s, n := range parts {
		for p := int32(0); p < n; p++ {
			out = append(out, Task{Subtopology: s, Partition: p})
		}
	}
	slices.SortFunc(out, Task.Compare)
	return out
}

func (b *Balancer) ownedTasks(meta *kmsg.ConsumerMemberMetadata) []Task {
	var out []Task
	for _, op := range meta.OwnedPartitions {
		s, ok := b.TopicSubtopology[op.Topic]
		if !ok {
			continue
		}
		for _, p := range op.Partitions {
			out = append(out, Task{Subtopology: s, Partition: p})
		}
	}
	slices.SortFunc(out, Task.Compare)
	return slices.Compact(out)
}

func threadsFromUserData(ud []byte) int {
	if len(ud) < 5 || ud[0] != userDataVersion {
		return 1
	}
	n := int(binary.BigEndian.Uint32(ud[1:5]))
	if n < 1 || n > 1<<16 {
		return 1
	}
	return n
}

// CheckCopartitioned reports topics of a co-partition group whose
// partition counts differ.
func checkCopartitioned(group []string, topics map[string]int32) error {
	var first string
	for _, t := range group {
		n, ok := topics[t]
		if !ok {
			continue
		}
		if first == "" {
			first = t
			continue
		}
		if n != topics[first] {
			return fmt.Errorf("topics %s (%d partitions) and %s (%d partitions) must be co-partitioned: their partition counts must match",
				first, topics[first], t, n)
		}
	}
	return nil
}
