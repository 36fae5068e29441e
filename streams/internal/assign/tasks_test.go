package assign

import (
	"fmt"
	"testing"
)

func allTasks(subs, parts int) []Task {
	var out []Task
	for s := 0; s < subs; s++ {
		for p := 0; p < parts; p++ {
			out = append(out, Task{s, int32(p)})
		}
	}
	return out
}

func checkComplete(t *testing.T, tasks []Task, got map[string][]Task) {
	t.Helper()
	seen := map[Task]string{}
	for id, ts := range got {
		for _, task := range ts {
			if prev, dup := seen[task]; dup {
				t.Fatalf("task %v on both %s and %s", task, prev, id)
			}
			seen[task] = id
		}
	}
	for _, task := range tasks {
		if _, ok := seen[task]; !ok {
			t.Fatalf("task %v unassigned: %v", task, got)
		}
	}
}

func TestAssignBalancesEvenly(t *testing.T) {
	tasks := allTasks(2, 4)
	got := Assign(tasks, []Member{{ID: "a", Capacity: 1}, {ID: "b", Capacity: 1}, {ID: "c", Capacity: 1}})
	checkComplete(t, tasks, got)
	for id, ts := range got {
		if len(ts) < 2 || len(ts) > 3 {
			t.Errorf("member %s has %d tasks, want 2 or 3: %v", id, len(ts), got)
		}
	}
}

func TestAssignWeighsCapacity(t *testing.T) {
	tasks := allTasks(1, 6)
	got := Assign(tasks, []Member{{ID: "a", Capacity: 2}, {ID: "b", Capacity: 1}})
	checkComplete(t, tasks, got)
	if len(got["a"]) != 4 || len(got["b"]) != 2 {
		t.Fatalf("want 4/2 split by threads, got %v", got)
	}
}

func TestAssignIsSticky(t *testing.T) {
	tasks := allTasks(2, 4)
	first := Assign(tasks, []Member{{ID: "a", Capacity: 1}, {ID: "b", Capacity: 1}})
	// A third member joins: only the moved tasks may change owner, and
	// nothing moves between a and b.
	second := Assign(tasks, []Member{
		{ID: "a", Capacity: 1, Owned: first["a"]},
		{ID: "b", Capacity: 1, Owned: first["b"]},
		{ID: "c", Capacity: 1},
	})
	checkComplete(t, tasks, second)
	owner := map[Task]string{}
	for id, ts := range first {
		for _, task := range ts {
			owner[task] = id
		}
	}
	moved := 0
	for id, ts := range second {
		for _, task := range ts {
			if owner[task] != id {
				moved++
				if id != "c" {
					t.Errorf("task %v moved from %s to %s; only moves to the new member are needed", task, owner[task], id)
				}
			}
		}
	}
	if moved != len(second["c"]) || len(second["c"]) < 2 {
		t.Errorf("moved %d tasks, c has %v", moved, second["c"])
	}
	// The member leaves again: its tasks go back, nothing else moves.
	third := Assign(tasks, []Member{
		{ID: "a", Capacity: 1, Owned: second["a"]},
		{ID: "b", Capacity: 1, Owned: second["b"]},
	})
	checkComplete(t, tasks, third)
	for _, id := range []string{"a", "b"} {
		kept := map[Task]bool{}
		for _, task := range third[id] {
			kept[task] = true
		}
		for _, task := range second[id] {
			if !kept[task] {
				t.Errorf("%s lost %v although only c left", id, task)
			}
		}
	}
}

func TestAssignRespectsSubscriptions(t *testing.T) {
	tasks := allTasks(2, 2)
	got := Assign(tasks, []Member{
		{ID: "a", Capacity: 1, Subtopologies: map[int]bool{0: true}},
		{ID: "b", Capacity: 1, Subtopologies: map[int]bool{0: true, 1: true}},
	})
	checkComplete(t, tasks, got)
	for _, task := range got["a"] {
		if task.Subtopology != 0 {
			t.Fatalf("a got %v but only runs sub-topology 0", task)
		}
	}
}

func TestAssignManyMembersDeterministic(t *testing.T) {
	tasks := allTasks(3, 7)
	var ms []Member
	for i := 0; i < 5; i++ {
		ms = append(ms, Member{ID: fmt.Sprint("m", i), Capacity: 1 + i%2})
	}
	a := Assign(tasks, ms)
	b := Assign(tasks, ms)
	checkComplete(t, tasks, a)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("assignment is not deterministic")
	}
}
