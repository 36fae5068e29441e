package streamstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology"
)

// DefaultApplicationID is the application id of a Driver unless
// WithApplicationID says otherwise; internal topics are prefixed with it.
const DefaultApplicationID = "test-driver-app"

// Option configures a Driver.
type Option func(*Driver)

// WithApplicationID sets the application id.
func WithApplicationID(id string) Option { return func(d *Driver) { d.appID = id } }

// WithInitialWallClock sets the mocked wall clock's start (default: now).
func WithInitialWallClock(t time.Time) Option { return func(d *Driver) { d.wall = t.UnixMilli() } }

// WithStateDir keeps persistent stores under dir (default: a temporary
// directory removed by Close).
func WithStateDir(dir string) Option { return func(d *Driver) { d.stateDir = dir } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(d *Driver) { d.logger = l } }

// Driver runs a topology in-process. It is not safe for concurrent use.
type Driver struct {
	topo     *topology.Topology
	appID    string
	wall     int64
	stateDir string
	tempDir  bool
	logger   *slog.Logger

	task   *topology.Task // every sub-topology; nil if there are none
	global *topology.Task // global stores; nil if there are none

	queue    []queued         // records waiting for the task, in enqueue order
	offsets  map[string]int64 // next offset per input topic
	pending  []produced       // sent by the task since the last capture
	outputs  map[string][]produced
	produced []string // topics written, in first-write order
	closed   bool
}

type queued struct {
	rec topology.RawRecord
}

type produced struct {
	topic      string
	partition  int32
	key, value []byte
	ts         int64
	headers    topology.Headers
}

// New starts a driver for topo: it builds and initialises the task (and the
// global stores' task).
func New(topo *topology.Topology, opts ...Option) (*Driver, error) {
	if topo == nil {
		return nil, errors.New("streamstest: topology is nil")
	}
	d := &Driver{
		topo: topo, appID: DefaultApplicationID, wall: time.Now().UnixMilli(),
		offsets: map[string]int64{}, outputs: map[string][]produced{},
	}
	for _, o := range opts {
		o(d)
	}
	if d.logger == nil {
		d.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.stateDir == "" {
		dir, err := os.MkdirTemp("", "streamstest-")
		if err != nil {
			return nil, fmt.Errorf("streamstest: state dir: %w", err)
		}
		d.stateDir, d.tempDir = dir, true
	}
	env := topology.TaskEnv{
		ApplicationID: d.appID,
		Sink:          (*driverSink)(d),
		StateDir:      d.stateDir,
		Logger:        d.logger,
		WallClock:     func() int64 { return d.wall },
	}
	ctx := context.Background()
	global, err := topology.NewGlobalTask(topo, env)
	if err != nil {
		d.cleanup()
		return nil, err
	}
	if global != nil {
		d.global = global
		if err := global.Init(ctx); err != nil {
			d.cleanup()
			return nil, err
		}
		env.GlobalStore = func(name string) (state.StateStore, bool) {
			s := global.Store(name)
			return s, s != nil
		}
	}
	if len(topo.Subtopologies(d.appID)) > 0 {
		task, err := topology.NewTask(topo, topology.TaskID{Subtopology: topology.AllSubtopologies, Partition: 0}, env)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.task = task
		if err := task.Init(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// driverSink captures what the task writes.
type driverSink Driver

func (s *driverSink) Send(topic string, partition int32, key, value []byte, ts int64, headers topology.Headers) error {
	d := (*Driver)(s)
	d.pending = append(d.pending, produced{topic: topic, partition: partition, key: key, value: value, ts: ts, headers: headers})
	return nil
}

func (s *driverSink) Partitions(string) (int32, error) { return 1, nil }

func (d *Driver) readsTopic(topic string) bool { return d.task != nil && d.task.ReadsTopic(topic) }
func (d *Driver) globalTopic(topic string) bool {
	return d.global != nil && d.global.ReadsTopic(topic)
}

// pipe is the entry point of every input record.
func (d *Driver) pipe(topic string, key, value []byte, ts int64, headers topology.Headers) error {
	if d.closed {
		return errors.New("streamstest: the driver is closed")
	}
	task, global := d.readsTopic(topic), d.globalTopic(topic)
	if !task && !global {
		return fmt.Errorf("streamstest: unknown topic %q: no source of the topology reads it", topic)
	}
	rec := topology.RawRecord{Topic: topic, Key: key, Value: value, TimestampMs: ts, Headers: headers}
	if global {
		if err := d.processGlobal(rec); err != nil {
			return err
		}
	}
	if task {
		d.enqueue(rec)
		return d.completeAllProcessableWork()
	}
	return nil
}

func (d *Driver) enqueue(rec topology.RawRecord) {
	rec.Offset = d.offsets[rec.Topic]
	d.offsets[rec.Topic]++
	d.queue = append(d.queue, queued{rec: rec})
}

func (d *Driver) processGlobal(rec topology.RawRecord) error {
	rec.Offset = d.offsets[rec.Topic]
	d.offsets[rec.Topic]++
	ctx := context.Background()
	if err := d.global.Process(ctx, rec); err != nil {
		return err
	}
	return d.global.Flush(ctx)
}

// next picks the queued record a Kafka task would process next: the head
// of the topic whose head has the smallest timestamp (earliest enqueued on
// ties); within a topic records stay in order.
func (d *Driver) next() topology.RawRecord {
	best := -1
	var heads []string
	for i, q := range d.queue {
		if slices.Contains(heads, q.rec.Topic) {
			continue // behind an earlier record of its topic
		}
		heads = append(heads, q.rec.Topic)
		if best < 0 || q.rec.TimestampMs < d.queue[best].rec.TimestampMs {
			best = i
		}
	}
	rec := d.queue[best].rec
	d.queue = slices.Delete(d.queue, best, best+1)
	return rec
}

// completeAllProcessableWork processes every queued record, committing after
// each one and feeding the topology's output back into its own sources.
func (d *Driver) completeAllProcessableWork() error {
	ctx := context.Background()
	if err := d.capture(); err != nil {
		return err
	}
	for len(d.queue) > 0 {
		rec := d.next()
		if err := d.task.Process(ctx, rec); err != nil {
			d.capture()
			return err
		}
		if err := d.task.Flush(ctx); err != nil {
			return err
		}
		if err := d.capture(); err != nil {
			return err
		}
	}
	return nil
}

// capture moves what the task sent to the output topics and re-enqueues
// records for topics the topology reads.
func (d *Driver) capture() error {
	out := d.pending
	d.pending = nil
	for _, p := range out {
		if _, seen := d.outputs[p.topic]; !seen {
			d.produced = append(d.produced, p.topic)
		}
		d.outputs[p.topic] = append(d.outputs[p.topic], p)
		rec := topology.RawRecord{Topic: p.topic, Key: p.key, Value: p.value, TimestampMs: p.ts, Headers: p.headers}
		if d.globalTopic(p.topic) {
			if err := d.processGlobal(rec); err != nil {
				return err
			}
		}
		if d.readsTopic(p.topic) {
			d.enqueue(rec)
		}
	}
	return nil
}

// AdvanceWallClockTime moves the mocked wall clock forward, runs the
// wall-clock punctuators that became due, commits, and processes what
// they produced.
func (d *Driver) AdvanceWallClockTime(advance time.Duration) error {
	if advance < 0 {
		return fmt.Errorf("streamstest: cannot move the wall clock back (%v)", advance)
	}
	d.wall += advance.Milliseconds()
	if d.task != nil {
		ctx := context.Background()
		if err := d.task.PunctuateWallClock(d.wall); err != nil {
			d.capture()
			return err
		}
		if err := d.task.Flush(ctx); err != nil {
			return err
		}
		return d.completeAllProcessableWork()
	}
	return nil
}

// WallClock is the mocked wall-clock time.
func (d *Driver) WallClock() time.Time { return time.UnixMilli(d.wall) }

// StreamTime is the task's stream time in ms (-1 before the first record).
func (d *Driver) StreamTime() int64 {
	if d.task == nil {
		return -1
	}
	return d.task.StreamTime()
}

// StateStore returns a store of the task or a global store, or nil.
func (d *Driver) StateStore(name string) state.StateStore {
	if d.task != nil {
		if s := d.task.Store(name); s != nil {
			return s
		}
	}
	if d.global != nil {
		return d.global.Store(name)
	}
	return nil
}

// GetKeyValueStore returns a typed key-value store of the topology. The
// test may read and write it.
func GetKeyValueStore[K, V any](d *Driver, name string) (state.KeyValueStore[K, V], error) {
	return state.GetKeyValueStore[K, V](storeGetter{d}, name)
}

type storeGetter struct{ d *Driver }

func (g storeGetter) GetStateStore(name string) (state.StateStore, error) {
	if s := g.d.StateStore(name); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("streamstest: the topology has no state store %q", name)
}

// ProducedTopicNames lists the topics the topology wrote to, in the order
// of their first record.
func (d *Driver) ProducedTopicNames() []string { return slices.Clone(d.produced) }

// Close closes the task and the global task and removes a temporary state
// directory.
func (d *Driver) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	var errs []error
	ctx := context.Background()
	if d.task != nil {
		errs = append(errs, d.task.Close(ctx))
	}
	if d.global != nil {
		errs = append(errs, d.global.Close(ctx))
	}
	d.cleanup()
	return errors.Join(errs...)
}

func (d *Driver) cleanup() {
	if d.tempDir {
		os.RemoveAll(d.stateDir)
		d.tempDir = false
	}
}
