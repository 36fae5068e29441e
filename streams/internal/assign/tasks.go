// Package assign places stream tasks on the members of an application's
// consumer group. A task is a (sub-topology, partition) pair and owns that
// partition number of every source topic of its sub-topology, so
// co-partitioned partitions always land on the same member. Placement is
// sticky (a task stays where it ran while that keeps the group balanced)
// and proportional to each member's stream thread count.
package assign

import (
	"cmp"
	"slices"
)

// Task identifies a stream task.
type Task struct {
	Subtopology int
	Partition   int32
}

// Compare orders tasks by partition first, then sub-topology, so that
// handing out tasks in order spreads each sub-topology's tasks evenly.
func (t Task) Compare(o Task) int {
	if c := cmp.Compare(t.Partition, o.Partition); c != 0 {
		return c
	}
	return cmp.Compare(t.Subtopology, o.Subtopology)
}

// Member is a group member as the assignor sees it.
type Member struct {
	ID string
	// Capacity is the member's stream thread count (at least 1).
	Capacity int
	// Owned are the tasks the member currently runs.
	Owned []Task
	// Subtopologies the member can run (it subscribed to their topics);
	// nil means all.
	Subtopologies map[int]bool
}

func (m *Member) canRun(t Task) bool {
	return m.Subtopologies == nil || m.Subtopologies[t.Subtopology]
}

// Assign distributes tasks over members. Every task goes to exactly one
// member that can run it (tasks no member can run are left out). Each
// member's share is proportional to its capacity; a task stays with its
// current owner whenever the owner's share has room.
func Assign(tasks []Task, members []Member) map[string][]Task {
	out := make(map[string][]Task, len(members))
	if len(members) == 0 {
		return out
	}
	tasks = slices.Clone(tasks)
	slices.SortFunc(tasks, Task.Compare)
	tasks = slices.Compact(tasks)

	quota := quotas(len(tasks), members)
	load := make([]int, len(members))
	owner := make(map[Task]int, len(tasks))
	for i := range members {
		for _, t := range members[i].Owned {
			if _, taken := owner[t]; !taken {
				owner[t] = i
			}
		}
	}

	assigned := make(map[Task]bool, len(tasks))
	// Pass 1: keep tasks where they are, up to each member's quota.
	for _, t := range tasks {
		i, ok := owner[t]
		if !ok || !members[i].canRun(t) || load[i] >= quota[i] {
			continue
		}
		out[members[i].ID] = append(out[members[i].ID], t)
		load[i]++
		assigned[t] = true
	}
	// Pass 2: hand out the rest, each to the eligible member furthest
	// below its quota (relative to capacity), ties to the earlier member.
	for _, t := range tasks {
		if assigned[t] {
			continue
		}
		best := -1
		for i := range members {
			if !members[i].canRun(t) {
				continue
			}
			if best < 0 || lessLoaded(i, best, load, quota, members) {
				best = i
			}
		}
		if best < 0 {
			continue
		}
		out[members[best].ID] = append(out[members[best].ID], t)
		load[best]++
	}
	for id := range out {
		slices.SortFunc(out[id], Task.Compare)
	}
	return out
}

// lessLoaded reports whether member i should get the next task before j:
// the one with more room left under its quota first, then the one with
// the lower load per capacity.
func lessLoaded(i, j int, load, quota []int, members []Member) bool {
	ri, rj := quota[i]-load[i], quota[j]-load[j]
	if ri != rj {
		return ri > rj
	}
	// load[i]/cap[i] < load[j]/cap[j]
	return load[i]*capOf(members[j]) < load[j]*capOf(members[i])
}

func capOf(m Member) int { return max(m.Capacity, 1) }

// quotas splits n tasks over members in proportion to capacity. Members
// that already own more tasks receive the rounding remainder first, which
// avoids moving a task only to break a tie.
func quotas(n int, members []Member) []int {
	total := 0
	for _, m := range members {
		total += capOf(m)
	}
	q := make([]int, len(members))
	given := 0
	for i, m := range members {
		q[i] = n * capOf(m) / total
		given += q[i]
	}
	order := make([]int, len(members))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		// Larger fractional share first, then more currently owned.
		fa, fb := n*capOf(members[a])%total, n*capOf(members[b])%total
		if fa != fb {
			return cmp.Compare(fb, fa)
		}
		return cmp.Compare(len(members[b].Owned), len(members[a].Owned))
	})
	for k := 0; given < n; k = (k + 1) % len(order) {
		q[order[k]]++
		given++
	}
	return q
}
