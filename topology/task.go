package topology

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/runnel-dev/runnel/state"
)

// AllSubtopologies as TaskID.Subtopology builds one task running every
// sub-topology (the test driver's single task).
const AllSubtopologies = -1

// RecordSink is where a task's sinks and store changelogs write.
type RecordSink interface {
	// Send queues one record. partition -1 lets the producer's default
	// partitioner choose (murmur2 of the key bytes, as Kafka). Send owns
	// key, value and headers after the call. A nil value is a tombstone.
	Send(topic string, partition int32, key, value []byte, timestampMs int64, headers Headers) error
	// Partitions returns the partition count of topic; it is only asked
	// for sinks that have a StreamPartitioner.
	Partitions(topic string) (int32, error)
}

// CopyingRecordSink is a RecordSink whose Send is done with key and value
// when it returns (it copies them into its own buffers), rather than
// owning them. Sink nodes writing to one serialize every record into the
// same two buffers instead of allocating new ones per record.
type CopyingRecordSink interface {
	RecordSink
	// SendCopies marks the sink; it does nothing.
	SendCopies()
}

// TaskEnv is what the runtime (or test driver) gives a task.
type TaskEnv struct {
	ApplicationID string
	Sink          RecordSink
	// StateDir is the application's state root; the task's directory is
	// StateDir/ApplicationID/<task id>.
	StateDir string
	Logger   *slog.Logger // nil: slog.Default()
	// WallClock returns the wall-clock time in ms; nil: time.Now.
	WallClock func() int64
	// BuildStore creates a store of the task; nil: b.Build(). The runtime
	// can use it to pick or wrap store implementations.
	BuildStore func(id TaskID, b state.StoreBuilder) (state.StateStore, error)
	// GlobalStore returns a global store by name, for GetStateStore; nil:
	// the task has no global stores.
	GlobalStore func(name string) (state.StateStore, bool)
}

// ChangelogPartition is a store's changelog partition and how to restore it.
type ChangelogPartition struct {
	Store     string
	Topic     string
	Partition int32
	Restore   state.RestoreCallback
}

type sourceEntry struct {
	topic         string // full topic name
	src           sourceInstance
	partitionTime int64
}

type taskStore struct {
	name      string
	store     state.StateStore
	changelog string // "" when logging is disabled
	restore   state.RestoreCallback
	inited    bool
}

// Task runs one sub-topology for one partition. It is driven by a single
// goroutine and is not safe for concurrent use (its stores may be read
// concurrently).
type Task struct {
	id       TaskID
	topo     *Topology
	env      TaskEnv
	logger   *slog.Logger
	stateDir string

	nodes    []instance // declaration order
	sources  []sourceEntry
	patterns []sourceInstance
	stores   []taskStore

	// the record being processed
	raw      RawRecord
	hasMeta  bool
	recordTs int64

	streamTime int64
	streamQ    punctuationQueue
	wallQ      punctuationQueue
	schedSeq   uint64

	commitRequested bool
	commitNeeded    bool
	dropped         int64
	storesReady     bool
	procsReady      bool
	closed          bool
}

// GlobalSubtopology is the Subtopology of the id of the task NewGlobalTask
// builds (its Partition is -1).
const GlobalSubtopology = -2

// NewTask builds the task id of t: fresh processor and store instances for
// the sub-topology id.Subtopology (AllSubtopologies for every one).
func NewTask(t *Topology, id TaskID, env TaskEnv) (*Task, error) {
	if t == nil {
		return nil, errors.New("NewTask: topology is nil")
	}
	return newTask(t, id, env, func(g *group) bool {
		return !g.global && (id.Subtopology == AllSubtopologies || g.id == id.Subtopology)
	})
}

// NewGlobalTask builds the task that keeps the global stores: it processes
// the records of every global store's topic (any partition) with the
// global processors. Its stores are what regular tasks get through
// TaskEnv.GlobalStore. It returns nil, nil when t has no global stores.
func NewGlobalTask(t *Topology, env TaskEnv) (*Task, error) {
	if t == nil {
		return nil, errors.New("NewGlobalTask: topology is nil")
	}
	if len(t.GlobalStores()) == 0 {
		return nil, nil
	}
	return newTask(t, TaskID{Subtopology: GlobalSubtopology, Partition: -1}, env, func(g *group) bool { return g.global })
}

func newTask(t *Topology, id TaskID, env TaskEnv, include func(*group) bool) (*Task, error) {
	if env.Sink == nil {
		return nil, fmt.Errorf("task %s: TaskEnv.Sink is nil", id)
	}
	task := &Task{id: id, topo: t, env: env, streamTime: -1, recordTs: -1, logger: env.Logger}
	if task.logger == nil {
		task.logger = slog.Default()
	}
	task.logger = task.logger.With("task", id.String())
	if env.StateDir != "" {
		task.stateDir = filepath.Join(env.StateDir, env.ApplicationID, id.String())
	}

	var groups []*group
	for _, g := range t.groups {
		if include(g) {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("task %s: the topology has no sub-topology %d", id, id.Subtopology)
	}

	for _, g := range groups {
		for _, sd := range g.stores {
			var s state.StateStore
			var err error
			if env.BuildStore != nil {
				s, err = env.BuildStore(id, sd.builder)
			} else {
				s, err = sd.builder.Build()
			}
			if err != nil {
				return nil, fmt.Errorf("task %s: building store %q: %w", id, sd.name, err)
			}
			if s == nil || s.Name() != sd.name {
				return nil, fmt.Errorf("task %s: building store %q returned %v", id, sd.name, s)
			}
			ts := taskStore{name: sd.name, store: s}
			if sd.builder.LoggingEnabled() {
				ts.changelog = ChangelogTopicName(env.ApplicationID, sd.name)
			}
			task.stores = append(task.stores, ts)
		}
	}

	byDef := map[*nodeDef]instance{}
	for _, g := range groups {
		for _, d := range g.nodes {
			inst := d.newNode(d)
			if err := inst.bind(task); err != nil {
				return nil, fmt.Errorf("task %s: %w", id, err)
			}
			byDef[d] = inst
			task.nodes = append(task.nodes, inst)
		}
	}
	for _, inst := range task.nodes {
		d := inst.def()
		for _, c := range d.children {
			if err := inst.link(byDef[c]); err != nil {
				return nil, fmt.Errorf("task %s: %w", id, err)
			}
		}
		if d.kind == kindSource {
			src := inst.(sourceInstance)
			for _, tp := range d.topics {
				task.sources = append(task.sources, sourceEntry{topic: t.fullTopic(env.ApplicationID, tp), src: src, partitionTime: -1})
			}
			if d.pattern != nil {
				task.patterns = append(task.patterns, src)
			}
		}
	}
	return task, nil
}

// ID is the task's id.
func (t *Task) ID() TaskID { return t.id }

// SourceTopics lists the full names of the named topics the task reads
// (pattern subscriptions are added as their topics show up).
func (t *Task) SourceTopics() []string {
	out := make([]string, len(t.sources))
	for i, s := range t.sources {
		out[i] = s.topic
	}
	return out
}

// Init opens the stores and initialises the processors. A runtime that
// restores changelogs calls InitStores, restores Changelogs(), then
// InitProcessors instead.
func (t *Task) Init(ctx context.Context) error {
	if err := t.InitStores(ctx); err != nil {
		return err
	}
	return t.InitProcessors(ctx)
}

// InitStores opens every store of the task; stores register their restore
// callbacks, listed by Changelogs.
func (t *Task) InitStores(ctx context.Context) error {
	if t.storesReady {
		return nil
	}
	sc := storeContext{t}
	for i := range t.stores {
		s := &t.stores[i]
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.store.Init(sc, s.store); err != nil {
			return fmt.Errorf("task %s: init store %q: %w", t.id, s.name, err)
		}
		s.inited = true
	}
	t.storesReady = true
	return nil
}

// Changelogs lists the task's logged stores with their changelog partition
// (the task's partition) and restore callback. Valid after InitStores.
func (t *Task) Changelogs() []ChangelogPartition {
	var out []ChangelogPartition
	for _, s := range t.stores {
		if s.changelog != "" {
			out = append(out, ChangelogPartition{Store: s.name, Topic: s.changelog, Partition: t.id.Partition, Restore: s.restore})
		}
	}
	return out
}

// InitProcessors runs every processor's Init, in declaration order.
func (t *Task) InitProcessors(ctx context.Context) error {
	if t.procsReady {
		return nil
	}
	if !t.storesReady {
		if err := t.InitStores(ctx); err != nil {
			return err
		}
	}
	t.hasMeta = false
	for _, n := range t.nodes {
		if err := n.initNode(); err != nil {
			return fmt.Errorf("task %s: %w", t.id, err)
		}
	}
	t.procsReady = true
	return nil
}

// ReadsTopic reports whether a source of the task reads topic (a full
// topic name; pattern sources match it against their pattern).
func (t *Task) ReadsTopic(topic string) bool { return t.sourceFor(topic) != nil }

func (t *Task) sourceFor(topic string) *sourceEntry {
	for i := range t.sources {
		if t.sources[i].topic == topic {
			return &t.sources[i]
		}
	}
	for _, p := range t.patterns {
		if p.def().pattern.MatchString(topic) {
			t.sources = append(t.sources, sourceEntry{topic: topic, src: p, partitionTime: -1})
			return &t.sources[len(t.sources)-1]
		}
	}
	return nil
}

// Process runs one consumed record through the task: deserialize with the
// source's serdes, advance stream time, forward through the graph, then run
// the stream-time punctuators that became due. A *DeserializationError
// leaves the task unchanged; any other error (usually a *ProcessingError)
// means the task's state is uncertain and it should be closed.
func (t *Task) Process(ctx context.Context, rec RawRecord) error {
	if !t.procsReady || t.closed {
		return fmt.Errorf("task %s: Process on a task that is not initialised or is closed", t.id)
	}
	e := t.sourceFor(rec.Topic)
	if e == nil {
		return fmt.Errorf("task %s: no source reads topic %q", t.id, rec.Topic)
	}
	t.raw = rec
	err := e.src.process(e)
	if err != nil {
		t.hasMeta = false
		var pe *ProcessingError
		if errors.As(err, &pe) && pe.Punctuation == 0 && pe.Topic == "" {
			pe.Topic, pe.Partition, pe.Offset = rec.Topic, rec.Partition, rec.Offset
		}
		return err
	}
	t.commitNeeded = true
	return t.punctuate(&t.streamQ, t.streamTime, StreamTime)
}

// PunctuateWallClock runs the wall-clock punctuators due at nowMs.
func (t *Task) PunctuateWallClock(nowMs int64) error {
	if !t.procsReady || t.closed {
		return nil
	}
	return t.punctuate(&t.wallQ, nowMs, WallClockTime)
}

// StreamTime is the largest record timestamp processed, -1 before any.
func (t *Task) StreamTime() int64 { return t.streamTime }

// CommitRequested reports whether a processor called Commit since the
// last Flush.
func (t *Task) CommitRequested() bool { return t.commitRequested }

// CommitNeeded reports whether the task processed records or punctuated
// since the last Flush.
func (t *Task) CommitNeeded() bool { return t.commitNeeded }

// DroppedRecords counts records skipped for negative timestamps.
func (t *Task) DroppedRecords() int64 { return t.dropped }

// Flush flushes every store; the runtime then commits the offsets of the
// records processed so far. It clears CommitRequested and CommitNeeded.
func (t *Task) Flush(ctx context.Context) error {
	var errs []error
	for _, s := range t.stores {
		if !s.inited {
			continue
		}
		if err := s.store.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("task %s: flush store %q: %w", t.id, s.name, err))
		}
	}
	if len(errs) == 0 {
		t.commitRequested, t.commitNeeded = false, false
	}
	return errors.Join(errs...)
}

// Close closes the processors (in declaration order) and then flushes and
// closes the stores. The task cannot be used afterwards.
func (t *Task) Close(ctx context.Context) error {
	if t.closed {
		return nil
	}
	t.closed = true
	var errs []error
	if t.procsReady {
		for _, n := range t.nodes {
			if err := n.closeNode(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	t.streamQ.clear()
	t.wallQ.clear()
	for _, s := range t.stores {
		if !s.inited {
			continue
		}
		if err := s.store.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("flush store %q: %w", s.name, err))
		}
		if err := s.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store %q: %w", s.name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("task %s: close: %w", t.id, err)
	}
	return nil
}

// Store returns one of the task's stores (for interactive queries and the
// test driver), or nil.
func (t *Task) Store(name string) state.StateStore { return t.storeByName(name) }

func (t *Task) storeByName(name string) state.StateStore {
	for _, s := range t.stores {
		if s.name == name {
			return s.store
		}
	}
	return nil
}

func (t *Task) lookupUnconnected(processor, name string) (state.StateStore, error) {
	if t.env.GlobalStore != nil {
		if s, ok := t.env.GlobalStore(name); ok {
			return s, nil
		}
	}
	if sd, ok := t.topo.storeIdx[name]; ok {
		if sd.global {
			return nil, fmt.Errorf("processor %q: global store %q is not available in this task's environment", processor, name)
		}
		return nil, fmt.Errorf("processor %q has no access to state store %q: it is not connected to it; "+
			"connect them with Builder.AddStateStore(builder, %q) or Builder.ConnectProcessorAndStateStores(%q, %q)",
			processor, name, processor, processor, name)
	}
	return nil, fmt.Errorf("processor %q: there is no state store %q in the topology", processor, name)
}

func (t *Task) now() int64 {
	if t.env.WallClock != nil {
		return t.env.WallClock()
	}
	return time.Now().UnixMilli()
}

func (t *Task) dropRecord(reason string, ts int64) {
	t.dropped++
	t.logger.Warn("dropping record", "reason", reason, "timestamp", ts,
		"topic", t.raw.Topic, "partition", t.raw.Partition, "offset", t.raw.Offset)
}

// storeContext is the state.StateStoreContext the task gives its stores.
type storeContext struct{ t *Task }

func (c storeContext) ApplicationID() string { return c.t.env.ApplicationID }
func (c storeContext) TaskID() state.TaskID  { return c.t.id }
func (c storeContext) StateDir() string      { return c.t.stateDir }
func (c storeContext) Logger() *slog.Logger  { return c.t.logger }

func (c storeContext) Register(store state.StateStore, restore state.RestoreCallback) error {
	for i := range c.t.stores {
		s := &c.t.stores[i]
		if s.name == store.Name() {
			if s.restore != nil {
				return fmt.Errorf("store %q registered twice", s.name)
			}
			s.restore = restore
			return nil
		}
	}
	return fmt.Errorf("store %q is not a store of task %s", store.Name(), c.t.id)
}

func (c storeContext) ChangelogTopic(storeName string) string {
	for _, s := range c.t.stores {
		if s.name == storeName {
			return s.changelog
		}
	}
	return ""
}

// ChangeLogCopies: with a CopyingRecordSink, logging a change copies the
// key and value (state.CopyingChangeLogger).
func (c storeContext) ChangeLogCopies() bool {
	_, ok := c.t.env.Sink.(CopyingRecordSink)
	return ok
}

func (c storeContext) LogChange(storeName string, key, value []byte) error {
	return c.LogChangeAt(storeName, key, value, c.t.recordTs)
}

// LogChangeAt logs a change stamped with ts (the wall clock when ts < 0);
// timestamped stores log their values' own timestamps
// (state.TimestampedChangeLogger).
func (c storeContext) LogChangeAt(storeName string, key, value []byte, ts int64) error {
	topic := c.ChangelogTopic(storeName)
	if topic == "" {
		return fmt.Errorf("store %q has no changelog", storeName)
	}
	if ts < 0 {
		ts = c.t.now()
	}
	return c.t.env.Sink.Send(topic, c.t.id.Partition, key, value, ts, nil)
}

// RecordTimestamp is the timestamp of the record being processed (the
// punctuation time while punctuating), -1 otherwise (state.RecordContext).
func (c storeContext) RecordTimestamp() int64 { return c.t.recordTs }
