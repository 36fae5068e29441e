package streams

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
)

// stateDBDir is the directory, under <state.dir>/<application.id>, of the
// instance's one Pebble database (package state, Manager).
const stateDBDir = "pebble"

// openStateManager opens the instance's state database.
func openStateManager(cfg *Config, appDir string) (*state.Manager, error) {
	return state.OpenManager(state.ManagerOptions{
		Dir:             filepath.Join(appDir, stateDBDir),
		MemoryBytes:     cfg.StateMemoryBytes,
		CacheMaxBytes:   max(cfg.StateStoreCacheMaxBytes, 0),
		RestoreListener: cfg.RestoreListener,
		Logger:          cfg.Logger.With("application.id", cfg.ApplicationID),
	})
}

// restoreTask replays the task's changelogs into its stores, each from
// the store's checkpoint, before the task processes.
func (rt *runtime) restoreTask(ctx context.Context, th *streamThread, task *topology.Task) error {
	cps := task.Changelogs()
	if len(cps) == 0 {
		return nil
	}
	logs := make([]state.Changelog, len(cps))
	for i, cp := range cps {
		logs[i] = state.Changelog{Store: cp.Store, Topic: cp.Topic, Partition: cp.Partition, Restore: cp.Restore}
		// Acknowledgements of an earlier incarnation of the task on this
		// thread say nothing about the restored store.
		th.collector.changelogs.forget(cp.Topic, cp.Partition)
	}
	return rt.state.Restore(ctx, rt.cl, task.ID(), logs, state.RestoreOptions{})
}

// checkpointer is an engine whose stores commit their writes, with the
// changelog offsets they reflect, once the thread's produced records are
// acknowledged.
type checkpointer interface {
	Checkpoint(ctx context.Context) error
}

// Checkpoint commits the task's store writes with, for each logged store,
// the offset after its last acknowledged changelog record.
func (e *topologyEngine) Checkpoint(context.Context) error {
	var offsets map[string]int64
	for _, cp := range e.task.Changelogs() {
		if next, ok := e.th.collector.changelogs.next(cp.Topic, cp.Partition); ok {
			if offsets == nil {
				offsets = map[string]int64{}
			}
			offsets[cp.Store] = next
		}
	}
	if err := e.rt.state.Commit(e.task.ID(), offsets); err != nil {
		return fmt.Errorf("committing state: %w", err)
	}
	return nil
}

// checkpointTasks commits the stores of tasks after the thread's output
// was acknowledged, then syncs the state database once for all of them.
func (t *streamThread) checkpointTasks(ctx context.Context, tasks []*streamTask) error {
	for _, task := range tasks {
		if !task.initialized {
			continue
		}
		if c, ok := task.eng.(checkpointer); ok {
			if err := c.Checkpoint(ctx); err != nil {
				return fmt.Errorf("task %s: %w", task.name, err)
			}
		}
	}
	if err := t.rt.state.Sync(); err != nil {
		return fmt.Errorf("committing state: %w", err)
	}
	return nil
}

// changelogAcks tracks, per changelog partition, the offset after the
// last record the broker acknowledged; a store's checkpoint is that
// offset. It is updated from the producer's callbacks.
type changelogAcks struct {
	mu   sync.Mutex
	acks map[changelogPartition]int64
}

type changelogPartition struct {
	topic     string
	partition int32
}

func (a *changelogAcks) ack(topic string, partition int32, offset int64) {
	a.mu.Lock()
	if a.acks == nil {
		a.acks = map[changelogPartition]int64{}
	}
	k := changelogPartition{topic, partition}
	if offset+1 > a.acks[k] {
		a.acks[k] = offset + 1
	}
	a.mu.Unlock()
}

func (a *changelogAcks) next(topic string, partition int32) (int64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, ok := a.acks[changelogPartition{topic, partition}]
	return n, ok
}

func (a *changelogAcks) forget(topic string, partition int32) {
	a.mu.Lock()
	delete(a.acks, changelogPartition{topic, partition})
	a.mu.Unlock()
}

// isChangelog reports whether topic is one of the application's
// changelog topics.
func (rt *runtime) isChangelog(topic string) bool {
	_, ok := rt.app.layout.changelogs[topic]
	return ok
}

// cleanStores deletes, from the state database, the stores of tasks this
// instance does not run and that closed here longer than
// state.cleanup.delay.ms ago.
func (rt *runtime) cleanStores(owned func(name string) bool, now time.Time) {
	removed, err := rt.state.CleanObsolete(func(id state.TaskID) bool { return owned(id.String()) }, rt.cfg.StateCleanupDelay, now)
	if len(removed) > 0 {
		names := make([]string, len(removed))
		for i, id := range removed {
			names[i] = id.String()
		}
		rt.log.Info("removed state stores of tasks no longer assigned here", "tasks", names)
	}
	if err != nil {
		rt.log.Warn("cleaning state stores", "error", err)
	}
}

// releaseState closes the state database and unlocks the state directory.
func (rt *runtime) releaseState() {
	if rt.state != nil {
		if err := rt.state.Close(); err != nil {
			rt.log.Warn("closing state database", "error", err)
		}
		rt.state = nil
	}
	rt.stateDir.release()
}
