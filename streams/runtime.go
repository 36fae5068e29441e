package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/streams/internal/assign"
)

type taskKey = state.TaskID

// runtime is one Run of an App: the group client, the stream threads, and
// the routing of fetched partitions to tasks.
type runtime struct {
	app *App
	cfg *Config
	log *slog.Logger
	cl  *kgo.Client

	stateDir   *stateDirectory
	state      *state.Manager // the instance's state database (statestores.go)
	global     *globalThread  // nil without global stores
	topicSub   map[string]int
	counts     map[string]int32
	sinkCounts sync.Map // topic -> int32, for sinks with a StreamPartitioner

	// threadCtx outlives Run's context so that the final commits can
	// run; shutdown cancels it last.
	threadCtx    context.Context
	cancelThread context.CancelFunc
	threadWG     sync.WaitGroup

	// failures collects failed threads and fatal errors for the polling
	// goroutine; failed signals that there is something to collect.
	failMu   sync.Mutex
	failures []threadFailure
	failed   chan struct{}

	// mu guards the maps below; they change only in group callbacks and
	// in thread replacement, which never run while a poll is routed.
	mu       sync.Mutex
	threads  []*streamThread
	nextID   int
	tasks    map[taskKey]*streamTask
	routes   map[string][]*streamTask // topic -> partition -> task
	replaced []*streamThread          // dead threads whose tasks must be restarted

	closing atomic.Bool

	backlog    atomic.Int64
	maxBacklog int64
	room       chan struct{}

	pollMu     sync.Mutex
	pollCancel context.CancelFunc
}

type threadFailure struct {
	t   *streamThread
	err error
}

// startRuntime prepares topics, creates the group client and starts the
// stream threads.
func startRuntime(ctx context.Context, a *App) (*runtime, error) {
	cfg := &a.cfg
	rt := &runtime{
		app:    a,
		cfg:    cfg,
		log:    a.log,
		tasks:  map[taskKey]*streamTask{},
		routes: map[string][]*streamTask{},
		failed: make(chan struct{}, 1),
		// Routed, unprocessed records; see the poll in run.
		maxBacklog: int64(16 * cfg.MaxPollRecords * cfg.NumStreamThreads),
		room:       make(chan struct{}, 1),
	}

	sd, err := openStateDirectory(cfg.StateDir, cfg.ApplicationID)
	if err != nil {
		return nil, err
	}
	rt.stateDir = sd
	if rt.state, err = openStateManager(cfg, sd.path); err != nil {
		rt.releaseState()
		return nil, err
	}
	admCl, err := kgo.NewClient(rt.baseOpts("admin")...)
	if err != nil {
		rt.releaseState()
		return nil, fmt.Errorf("creating admin client: %w", err)
	}
	if err := a.layout.resolvePatterns(ctx, kadm.NewClient(admCl)); err != nil {
		admCl.Close()
		rt.releaseState()
		return nil, err
	}
	rt.topicSub = a.layout.topicSubtopology()
	counts, err := ensureTopics(ctx, kadm.NewClient(admCl), cfg, a.layout)
	admCl.Close()
	if err != nil {
		rt.releaseState()
		return nil, err
	}
	rt.counts = counts

	// Global stores are complete before the group client exists, so no
	// task can be assigned, let alone process, before they are.
	if a.newGlobal != nil {
		g, err := a.newGlobal(ctx, rt)
		if err != nil {
			rt.releaseState()
			return nil, err
		}
		rt.global = g
	}

	opts := append(rt.baseOpts(""),
		kgo.ConsumerGroup(cfg.ApplicationID),
		kgo.ConsumeTopics(slices.Sorted(maps.Keys(rt.topicSub))...),
		kgo.Balancers(&assign.Balancer{
			TopicSubtopology:  rt.topicSub,
			CopartitionGroups: a.layout.copartition,
			Threads:           cfg.NumStreamThreads,
			Log:               rt.log,
		}),
		// Partitions without a commit start at the beginning unless their
		// topic's reset policy is "latest"; see adjustStartOffsets.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// 256 KiB per partition and fetch, not Kafka's 1 MiB: kgo hands
		// out a buffered fetch partition by partition, so with large
		// chunks one thread's partitions fill the backlog while the
		// other thread idles; smaller chunks interleave the threads'
		// partitions (and halve the word count's memory). A ClientOpts
		// entry overrides it.
		kgo.FetchMaxPartitionBytes(256<<10),
		kgo.AdjustFetchOffsetsFn(rt.adjustStartOffsets),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(rt.onAssigned),
		kgo.OnPartitionsRevoked(rt.onRevoked),
		kgo.OnPartitionsLost(rt.onLost),
		kgo.WithPools(&recordSlabs{}),
	)
	opts = append(opts, cfg.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		rt.global.stop(ctx)
		rt.releaseState()
		return nil, fmt.Errorf("creating client: %w", err)
	}
	rt.cl = cl

	rt.threadCtx, rt.cancelThread = context.WithCancel(context.WithoutCancel(ctx))
	rt.mu.Lock()
	for range cfg.NumStreamThreads {
		rt.startThreadLocked()
	}
	rt.mu.Unlock()
	rt.threadWG.Add(1)
	go rt.cleanStateDirectories()
	return rt, nil
}

// cleanStateDirectories runs the state cleaner every state.cleanup.delay.ms
// until shutdown.
func (rt *runtime) cleanStateDirectories() {
	defer rt.threadWG.Done()
	tick := time.NewTicker(rt.cfg.StateCleanupDelay)
	defer tick.Stop()
	owned := func(name string) bool {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		for id := range rt.tasks {
			if id.String() == name {
				return true
			}
		}
		return false
	}
	for {
		select {
		case <-rt.threadCtx.Done():
			return
		case now := <-tick.C:
			removed, err := rt.stateDir.cleanObsolete(owned, rt.cfg.StateCleanupDelay, now)
			if len(removed) > 0 {
				rt.log.Info("removed state of tasks no longer assigned here", "tasks", removed)
			}
			if err != nil {
				rt.log.Warn("cleaning state directories", "error", err)
			}
			rt.cleanStores(owned, now)
		}
	}
}

// adjustStartOffsets applies per-topic auto.offset.reset: kgo gives every
// partition without a commit the AtStart sentinel (-2); those whose topic
// resets to "latest" start at the end instead.
func (rt *runtime) adjustStartOffsets(_ context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	for topic, parts := range offsets {
		if !rt.app.layout.startsAtEnd(topic, rt.cfg.AutoOffsetReset) {
			continue
		}
		for p, o := range parts {
			if o.EpochOffset().Offset == -2 {
				parts[p] = kgo.NewOffset().AtEnd()
			}
		}
	}
	return offsets, nil
}

func (rt *runtime) baseOpts(suffix string) []kgo.Opt {
	id := rt.cfg.ClientID
	if suffix != "" {
		id += "-" + suffix
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(rt.cfg.BootstrapServers...),
		kgo.ClientID(id),
		kgo.WithLogger(kgoLogger{rt.log}),
	}
	if suffix != "" {
		opts = append(opts, rt.cfg.ClientOpts...)
	}
	return opts
}

func (rt *runtime) startThreadLocked() *streamThread {
	t := newStreamThread(rt, rt.nextID+1)
	rt.nextID++
	rt.threads = append(rt.threads, t)
	rt.threadWG.Add(1)
	go func() {
		defer rt.threadWG.Done()
		if err := t.run(rt.threadCtx); err != nil && rt.threadCtx.Err() == nil {
			rt.reportFailure(threadFailure{t, err})
		}
	}()
	return t
}

// run polls and routes records until ctx is cancelled (nil) or the App
// must stop because of a failure (the error).
func (rt *runtime) run(ctx context.Context) error {
	for {
		for rt.backlog.Load() >= rt.maxBacklog {
			select {
			case <-rt.room:
			case <-rt.failed:
				if err := rt.handleFailures(); err != nil {
					return err
				}
			case <-ctx.Done():
				return nil
			}
		}
		if err := rt.handleFailures(); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		rt.restartReplacedTasks()

		pollCtx, cancel := context.WithCancel(ctx)
		rt.pollMu.Lock()
		rt.pollCancel = cancel
		rt.pollMu.Unlock()
		// Take as much as the backlog has room for, not just
		// max.poll.records: kgo fetches again only once its buffered
		// fetch is drained, and it hands a fetch out partition by
		// partition, so small polls feed one thread's partitions while
		// the other thread waits for the next fetch.
		fetches := rt.cl.PollRecords(pollCtx, int(max(rt.maxBacklog-rt.backlog.Load(), int64(rt.cfg.MaxPollRecords))))
		cancel()
		if fetches.IsClientClosed() {
			return errors.New("client closed unexpectedly")
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return
			}
			rt.log.Warn("fetch error", "topic", topic, "partition", p, "error", err)
		})
		rt.route(fetches)
		rt.cl.AllowRebalance()
	}
}

// reportFailure hands a failure to the polling goroutine and wakes it.
// A failure with a nil thread is fatal for the App.
func (rt *runtime) reportFailure(f threadFailure) {
	rt.failMu.Lock()
	rt.failures = append(rt.failures, f)
	rt.failMu.Unlock()
	select {
	case rt.failed <- struct{}{}:
	default:
	}
	rt.interruptPoll()
}

func (rt *runtime) takeFailures() []threadFailure {
	rt.failMu.Lock()
	defer rt.failMu.Unlock()
	fs := rt.failures
	rt.failures = nil
	return fs
}

// handleFailures applies the uncaught exception handler to every failure
// reported so far and returns the error that stops the App, if any.
func (rt *runtime) handleFailures() error {
	for _, f := range rt.takeFailures() {
		if err := rt.onThreadFailure(f); err != nil {
			return err
		}
	}
	return nil
}

func (rt *runtime) interruptPoll() {
	rt.pollMu.Lock()
	if rt.pollCancel != nil {
		rt.pollCancel()
	}
	rt.pollMu.Unlock()
}

// route hands each fetched partition batch to the thread running its task.
func (rt *runtime) route(fetches kgo.Fetches) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		n := len(p.Records)
		if n == 0 {
			return
		}
		var task *streamTask
		if parts := rt.routes[p.Topic]; int(p.Partition) < len(parts) {
			task = parts[p.Partition]
		}
		if task == nil {
			return // not ours any more; the owner reads it from its commit
		}
		rt.backlog.Add(int64(n))
		if !task.thread.enqueue(work{kind: workRecords, task: task, recs: p.Records, hwm: p.HighWatermark}) {
			rt.consumed(n)
		}
	})
}

// consumed releases backlog after a thread handled (or dropped) records.
func (rt *runtime) consumed(n int) {
	if rt.backlog.Add(-int64(n)) < rt.maxBacklog {
		select {
		case rt.room <- struct{}{}:
		default:
		}
	}
}

// onAssigned creates tasks for newly assigned partitions. It runs while
// polling is blocked, so routes and the add work are in place before any
// record of these partitions is routed.
func (rt *runtime) onAssigned(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
	defer rt.app.sm.transition(Running)
	if rt.closing.Load() {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var created []*streamTask
	for topic, parts := range assigned {
		sub, ok := rt.topicSub[topic]
		if !ok {
			continue
		}
		for _, p := range parts {
			id := taskKey{Subtopology: sub, Partition: p}
			task := rt.tasks[id]
			if task == nil {
				th := rt.leastLoadedThreadLocked()
				if th == nil {
					continue
				}
				var err error
				task, err = rt.newTaskLocked(id, th)
				if err != nil {
					rt.reportFailure(threadFailure{err: fmt.Errorf("creating task %s: %w", id, err)})
					continue
				}
				created = append(created, task)
			}
			rt.setRouteLocked(topic, p, task)
		}
	}
	for _, task := range created {
		task.thread.enqueue(work{kind: workAdd, task: task})
	}
	if len(created) > 0 {
		rt.log.Info("assigned tasks", "tasks", taskNames(created))
	}
}

func (rt *runtime) newTaskLocked(id taskKey, th *streamThread) (*streamTask, error) {
	eng, err := rt.app.newEng(rt, id, th)
	if err != nil {
		return nil, err
	}
	task := newStreamTask(id, eng)
	task.thread = th
	task.multiInput = rt.app.layout.sourceCount(id.Subtopology) > 1
	if task.multiInput {
		// Know every input partition up front, so that the merge waits
		// for partitions nothing was fetched from yet.
		for _, topic := range rt.app.layout.sources(id.Subtopology) {
			if id.Partition < rt.counts[topic] {
				task.addInput(topic, id.Partition)
			}
		}
	}
	rt.tasks[id] = task
	return task, nil
}

func (rt *runtime) setRouteLocked(topic string, p int32, task *streamTask) {
	parts := rt.routes[topic]
	if int(p) >= len(parts) {
		parts = append(parts, make([]*streamTask, int(p)+1-len(parts))...)
		rt.routes[topic] = parts
	}
	parts[p] = task
}

func (rt *runtime) leastLoadedThreadLocked() *streamThread {
	load := map[*streamThread]int{}
	for _, task := range rt.tasks {
		load[task.thread]++
	}
	var best *streamThread
	for _, t := range rt.threads {
		if t.isDead() {
			continue
		}
		if best == nil || load[t] < load[best] {
			best = t
		}
	}
	return best
}

func (rt *runtime) onRevoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	rt.app.sm.transition(Rebalancing)
	rt.closeAssigned(ctx, revoked, true)
}

func (rt *runtime) onLost(ctx context.Context, _ *kgo.Client, lost map[string][]int32) {
	rt.app.sm.transition(Rebalancing)
	rt.closeAssigned(ctx, lost, false)
}

// closeAssigned closes every task owning one of the partitions, waiting
// until each is closed: cleanly (flushed, output acknowledged, offsets
// committed) before its partitions are given up, or dirty when they are
// already lost.
func (rt *runtime) closeAssigned(ctx context.Context, parts map[string][]int32, clean bool) {
	if len(parts) == 0 {
		return
	}
	rt.mu.Lock()
	byThread := map[*streamThread][]*streamTask{}
	for topic, ps := range parts {
		for _, p := range ps {
			var task *streamTask
			if routes := rt.routes[topic]; int(p) < len(routes) {
				task = routes[p]
			}
			if task == nil || rt.tasks[task.id] != task {
				continue
			}
			delete(rt.tasks, task.id)
			rt.removeRoutesLocked(task)
			byThread[task.thread] = append(byThread[task.thread], task)
		}
	}
	rt.mu.Unlock()

	var waits []chan struct{}
	var names []string
	for th, tasks := range byThread {
		done := make(chan struct{})
		if th.enqueue(work{kind: workClose, tasks: tasks, clean: clean, done: done}) {
			waits = append(waits, done)
			names = append(names, taskNames(tasks)...)
		}
	}
	for _, done := range waits {
		select {
		case <-done:
		case <-ctx.Done():
			return
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		if clean {
			rt.log.Info("closed revoked tasks", "tasks", names)
		} else {
			rt.log.Warn("closed lost tasks without committing", "tasks", names)
		}
	}
}

func (rt *runtime) removeRoutesLocked(task *streamTask) {
	for topic, parts := range rt.routes {
		for p, t := range parts {
			if t == task {
				parts[p] = nil
			}
		}
		_ = topic
	}
}

// onThreadFailure applies the uncaught exception handler. It returns the
// error when the App must shut down.
func (rt *runtime) onThreadFailure(f threadFailure) error {
	if f.t == nil {
		return f.err
	}
	if rt.app.uncaughtResponse(f.err) != ReplaceThread {
		return fmt.Errorf("stream thread %s: %w", f.t.name, f.err)
	}
	rt.log.Warn("replacing failed stream thread", "thread", f.t.name, "error", f.err)
	rt.mu.Lock()
	rt.replaced = append(rt.replaced, f.t)
	rt.mu.Unlock()
	return nil
}

// restartReplacedTasks replaces dead threads: their tasks restart on a new
// thread from the last committed offsets. It runs on the polling
// goroutine before a poll; SetOffsets drops whatever kgo buffered for the
// rewound partitions, and rt.mu keeps group callbacks out meanwhile.
func (rt *runtime) restartReplacedTasks() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.replaced) == 0 {
		return
	}
	dead := map[*streamThread]bool{}
	for _, t := range rt.replaced {
		dead[t] = true
	}
	rt.replaced = nil
	alive := rt.threads[:0]
	for _, t := range rt.threads {
		if !dead[t] {
			alive = append(alive, t)
		}
	}
	rt.threads = alive
	for range dead {
		rt.startThreadLocked()
	}

	committed := rt.cl.CommittedOffsets()
	reset := map[string]map[int32]kgo.EpochOffset{}
	var restarted []*streamTask
	for topic, parts := range rt.routes {
		for p, old := range parts {
			if old == nil || !dead[old.thread] {
				continue
			}
			task := rt.tasks[old.id]
			if task == old {
				th := rt.leastLoadedThreadLocked()
				delete(rt.tasks, old.id)
				nt, err := rt.newTaskLocked(old.id, th)
				if err != nil {
					rt.log.Error("recreating task", "task", old.name, "error", err)
					parts[p] = nil
					continue
				}
				restarted = append(restarted, nt)
				task = nt
			}
			parts[p] = task
			if reset[topic] == nil {
				reset[topic] = map[int32]kgo.EpochOffset{}
			}
			if eo, ok := committed[topic][int32(p)]; ok && eo.Offset >= 0 {
				reset[topic][int32(p)] = eo
			} else {
				reset[topic][int32(p)] = kgo.EpochOffset{Epoch: -1, Offset: rt.startOffset(topic, int32(p))}
			}
		}
	}
	rt.cl.SetOffsets(reset)
	for _, task := range restarted {
		task.thread.enqueue(work{kind: workAdd, task: task})
	}
	rt.log.Info("restarted tasks of failed thread from their last commit", "tasks", taskNames(restarted))
}

// startOffset is where a partition without a commit starts, following
// auto.offset.reset.
func (rt *runtime) startOffset(topic string, p int32) int64 {
	adm := kadm.NewClient(rt.cl)
	ctx, cancel := context.WithTimeout(rt.threadCtx, rt.cfg.CommitInterval+shutdownTimeout)
	defer cancel()
	var offsets kadm.ListedOffsets
	var err error
	if rt.app.layout.startsAtEnd(topic, rt.cfg.AutoOffsetReset) {
		offsets, err = adm.ListEndOffsets(ctx, topic)
	} else {
		offsets, err = adm.ListStartOffsets(ctx, topic)
	}
	if err == nil {
		if o, ok := offsets.Lookup(topic, p); ok && o.Err == nil {
			return o.Offset
		}
	}
	rt.log.Warn("cannot look up start offset; starting from 0", "topic", topic, "partition", p, "error", err)
	return 0
}

// shutdown commits and closes every task by leaving the group (kgo
// revokes all partitions first, which closes the tasks cleanly), then
// stops the threads and the client.
func (rt *runtime) shutdown(ctx context.Context) error {
	rt.closing.Store(true)
	ctx, cancel := context.WithTimeout(ctx, shutdownTimeout)
	defer cancel()
	if err := rt.cl.LeaveGroupContext(ctx); err != nil {
		rt.log.Warn("leaving the consumer group", "error", err)
	}
	rt.mu.Lock()
	threads := slices.Clone(rt.threads)
	rt.mu.Unlock()
	var waits []chan struct{}
	for _, t := range threads {
		done := make(chan struct{})
		if t.enqueue(work{kind: workStop, done: done}) {
			waits = append(waits, done)
		}
	}
	for _, done := range waits {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	rt.cancelThread()
	rt.threadWG.Wait()
	rt.global.stop(ctx)
	rt.cl.Close()
	rt.releaseState()
	for _, f := range rt.takeFailures() {
		if f.t == nil {
			return f.err
		}
		return fmt.Errorf("stream thread %s: %w", f.t.name, f.err)
	}
	return nil
}

func taskNames(tasks []*streamTask) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.name
	}
	slices.Sort(out)
	return out
}
