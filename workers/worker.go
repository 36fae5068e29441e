package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/convert"
	"github.com/runnel-dev/runnel/connect/transforms"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// workerListener receives events from running connectors and tasks; the
// herder implements it.
type workerListener interface {
	// requestTaskReconfiguration is called when a connector asks for new
	// task configurations.
	requestTaskReconfiguration(connector string)
	// connectorFailed is called when a connector raised an error.
	connectorFailed(connector string, err error)
	// taskFailed is called when a task stopped with an error.
	taskFailed(id ConnectorTaskID, err error)
}

// WorkerOptions are the dependencies of a Worker.
type WorkerOptions struct {
	Config     *WorkerConfig
	Plugins    *connect.Plugins
	Converters *convert.Registry
	Transforms *transforms.Registry
	Offsets    OffsetStore
	// WorkerID is reported in statuses (advertised host:port).
	WorkerID string
	Loggers  *Loggers
}

// Worker runs connector and task instances. It owns one Kafka producer
// shared by all source tasks (and dead letter queues); every sink task has
// its own consumer in the group connect-<connector>.
type Worker struct {
	cfg      *WorkerConfig
	plugins  *connect.Plugins
	convs    *convert.Registry
	xforms   *transforms.Registry
	offsets  OffsetStore
	status   *statusStore
	loggers  *Loggers
	log      *slog.Logger
	workerID string
	listener workerListener

	producer *kgo.Client
	admin    *kadm.Client
	// configs resolves ${provider:path:key} placeholders (config.providers).
	configs *configTransformer

	mu         sync.Mutex
	connectors map[string]*runningConnector
	tasks      map[ConnectorTaskID]*runningTask
}

// newWorker connects the shared producer.
func newWorker(opts WorkerOptions, status *statusStore, listener workerListener) (*Worker, error) {
	var err error
	w := &Worker{
		cfg:        opts.Config,
		plugins:    opts.Plugins,
		convs:      opts.Converters,
		xforms:     opts.Transforms,
		offsets:    opts.Offsets,
		status:     status,
		loggers:    opts.Loggers,
		log:        opts.Loggers.Logger("runnel.workers.Worker"),
		workerID:   opts.WorkerID,
		listener:   listener,
		connectors: map[string]*runningConnector{},
		tasks:      map[ConnectorTaskID]*runningTask{},
	}
	if w.configs, err = newConfigTransformer(w.cfg.Props); err != nil {
		return nil, err
	}
	kopts, err := kafkaOpts(clientProps(w.cfg.Props, roleProducer, nil), roleProducer)
	if err != nil {
		return nil, err
	}
	base := []kgo.Opt{
		kgo.RecordPartitioner(newRecordPartitioner()),
		kgo.MaxBufferedRecords(100_000),
		kgo.ProducerBatchMaxBytes(1 << 20),
		kgo.ClientID(w.clientID("producer")),
		kgo.AllowAutoTopicCreation(), // as Kafka's producer: the broker decides
	}
	cl, err := kgo.NewClient(append(base, kopts...)...)
	if err != nil {
		return nil, fmt.Errorf("creating the worker's Kafka producer: %w", err)
	}
	w.producer = cl
	w.admin = kadm.NewClient(cl)
	return w, nil
}

func (w *Worker) clientID(suffix string) string {
	if w.cfg.ClientID != "" {
		return w.cfg.ClientID + "-" + suffix
	}
	return "connect-" + suffix
}

// clusterID asks Kafka for its cluster id.
func (w *Worker) clusterID(ctx context.Context) (string, error) {
	md, err := w.admin.BrokerMetadata(ctx)
	if err != nil {
		return "", err
	}
	return md.Cluster, nil
}

// close stops everything still running and closes the producer.
func (w *Worker) close(ctx context.Context) {
	w.mu.Lock()
	var ids []ConnectorTaskID
	for id := range w.tasks {
		ids = append(ids, id)
	}
	var conns []string
	for n := range w.connectors {
		conns = append(conns, n)
	}
	w.mu.Unlock()
	w.stopTasks(ids)
	for _, n := range conns {
		w.stopConnector(n)
	}
	flushCtx, cancel := context.WithTimeout(ctx, w.cfg.OffsetFlushTimeout)
	defer cancel()
	_ = w.producer.Flush(flushCtx)
	w.producer.Close()
}

// runningConnector is a live connector instance.
type runningConnector struct {
	name    string
	plugin  *connect.Plugin
	conn    connect.Connector
	config  map[string]string
	ctx     context.Context
	cancel  context.CancelFunc
	started bool
	log     *slog.Logger
}

// connectorContext is the ConnectorContext given to a connector.
type connectorContext struct {
	w    *Worker
	name string
	log  *slog.Logger
}

func (c *connectorContext) RequestTaskReconfiguration() {
	go c.w.listener.requestTaskReconfiguration(c.name)
}

func (c *connectorContext) RaiseError(err error) {
	c.w.status.putConnector(c.name, StateFailed, errorChain(err))
	c.log.Error("connector raised an error", "err", err)
	go c.w.listener.connectorFailed(c.name, err)
}

func (c *connectorContext) Logger() *slog.Logger { return c.log }

// connectorKind returns "source" or "sink".
func connectorKind(p *connect.Plugin) string { return string(p.Type) }

// startConnector creates the connector instance and, if target is
// STARTED, starts it. Its status is recorded either way.
func (w *Worker) startConnector(name string, config map[string]string, target TargetState) error {
	p, err := w.plugins.LookupConnector(config[ConnectorClassConfig])
	if err != nil {
		w.status.putConnector(name, StateFailed, err.Error())
		return err
	}
	conn, ok := p.New().(connect.Connector)
	if !ok {
		err := fmt.Errorf("plugin %s does not implement a connector", p.Class)
		w.status.putConnector(name, StateFailed, err.Error())
		return err
	}
	log := w.loggers.Logger("runnel.connector." + name)
	rc := &runningConnector{name: name, plugin: p, conn: conn, config: maps.Clone(config), log: log}
	w.mu.Lock()
	if old := w.connectors[name]; old != nil {
		w.mu.Unlock()
		return fmt.Errorf("connector %s is already running on this worker", name)
	}
	w.connectors[name] = rc
	w.mu.Unlock()
	switch target {
	case TargetPaused:
		w.status.putConnector(name, StatePaused, "")
		return nil
	case TargetStopped:
		w.status.putConnector(name, StateStopped, "")
		return nil
	}
	return w.runConnector(rc)
}

func (w *Worker) runConnector(rc *runningConnector) error {
	rc.ctx, rc.cancel = context.WithCancel(context.Background())
	cctx := &connectorContext{w: w, name: rc.name, log: rc.log}
	resolved, err := w.configs.transform(rc.config)
	if err != nil {
		rc.cancel()
		w.status.putConnector(rc.name, StateFailed, errorChain(err))
		return err
	}
	if err := callSafely(func() error { return rc.conn.Start(rc.ctx, cctx, maps.Clone(resolved)) }); err != nil {
		rc.cancel()
		err = fmt.Errorf("starting connector %s: %w", rc.name, err)
		w.status.putConnector(rc.name, StateFailed, errorChain(err))
		rc.log.Error("connector failed to start", "err", err)
		return err
	}
	rc.started = true
	w.status.putConnector(rc.name, StateRunning, "")
	return nil
}

// callSafely runs a plugin callback and turns a panic into an error, so a
// buggy connector fails itself rather than the worker.
func callSafely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

// connectorTaskConfigs asks a running connector for task configs, adding
// task.class and enforcing tasks.max as Kafka does.
func (w *Worker) connectorTaskConfigs(name string, maxTasks int, enforce bool) ([]map[string]string, error) {
	w.mu.Lock()
	rc := w.connectors[name]
	w.mu.Unlock()
	if rc == nil || !rc.started {
		return nil, fmt.Errorf("connector %s is not running", name)
	}
	var cfgs []map[string]string
	err := callSafely(func() error {
		var err error
		cfgs, err = rc.conn.TaskConfigs(maxTasks)
		return err
	})
	if err != nil {
		err = fmt.Errorf("connector %s failed to generate task configurations: %w", name, err)
		w.status.putConnector(name, StateFailed, errorChain(err))
		return nil, err
	}
	if enforce && len(cfgs) > maxTasks {
		err := fmt.Errorf("The connector %s has generated %d tasks, which is greater than %d, the maximum number of tasks it is configured to create. ", name, len(cfgs), maxTasks)
		w.status.putConnector(name, StateFailed, err.Error())
		return nil, err
	}
	out := make([]map[string]string, len(cfgs))
	for i, c := range cfgs {
		m := maps.Clone(c)
		if m == nil {
			m = map[string]string{}
		}
		if rc.plugin.TaskClass != "" {
			m[TaskClassConfig] = rc.plugin.TaskClass
		}
		out[i] = m
	}
	return out, nil
}

// pauseConnector stops the connector instance but keeps it registered, as
// Kafka does for PAUSED and STOPPED connectors.
func (w *Worker) suspendConnector(name string, state string) {
	w.mu.Lock()
	rc := w.connectors[name]
	w.mu.Unlock()
	if rc == nil {
		return
	}
	w.shutdownConnectorInstance(rc)
	w.status.putConnector(name, state, "")
}

// resumeConnector restarts a suspended connector instance.
func (w *Worker) resumeConnector(name string) error {
	w.mu.Lock()
	rc := w.connectors[name]
	w.mu.Unlock()
	if rc == nil {
		return fmt.Errorf("connector %s is not known to this worker", name)
	}
	if rc.started {
		w.status.putConnector(name, StateRunning, "")
		return nil
	}
	return w.runConnector(rc)
}

func (w *Worker) shutdownConnectorInstance(rc *runningConnector) {
	if !rc.started {
		return
	}
	rc.cancel()
	if err := callSafely(rc.conn.Stop); err != nil {
		rc.log.Warn("error stopping connector", "err", err)
	}
	rc.started = false
}

// stopConnector stops and forgets a connector instance.
func (w *Worker) stopConnector(name string) {
	w.mu.Lock()
	rc := w.connectors[name]
	delete(w.connectors, name)
	w.mu.Unlock()
	if rc != nil {
		w.shutdownConnectorInstance(rc)
	}
}

// isConnectorRunning reports whether the connector instance is started.
func (w *Worker) isConnectorRunning(name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	rc := w.connectors[name]
	return rc != nil && rc.started
}

// runningTask is a live task: one goroutine running its loop.
type runningTask struct {
	id     ConnectorTaskID
	cancel context.CancelFunc
	done   chan struct{}
	target *targetState
}

// targetState lets the herder pause and resume a running task.
type targetState struct {
	mu      sync.Mutex
	state   TargetState
	changed chan struct{}
}

func newTargetState(s TargetState) *targetState {
	return &targetState{state: s, changed: make(chan struct{})}
}

func (t *targetState) get() (TargetState, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state, t.changed
}

func (t *targetState) set(s TargetState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == s {
		return
	}
	t.state = s
	close(t.changed)
	t.changed = make(chan struct{})
}

// startTask starts one task of a connector.
func (w *Worker) startTask(id ConnectorTaskID, connConfig, taskConfig map[string]string, target TargetState) error {
	w.mu.Lock()
	if w.tasks[id] != nil {
		w.mu.Unlock()
		return fmt.Errorf("task %s-%d is already running on this worker", id.Connector, id.Task)
	}
	w.mu.Unlock()
	fail := func(err error) error {
		w.status.putTask(id, StateFailed, errorChain(err))
		w.log.Error("failed to start task", "task", taskName(id), "err", err)
		return err
	}
	p, err := w.plugins.LookupConnector(connConfig[ConnectorClassConfig])
	if err != nil {
		return fail(err)
	}
	if connConfig, err = w.configs.transform(connConfig); err != nil {
		return fail(err)
	}
	if taskConfig, err = w.configs.transform(taskConfig); err != nil {
		return fail(err)
	}
	base, err := w.newTaskBase(id, p, connConfig, taskConfig)
	if err != nil {
		return fail(err)
	}
	var loop func(ctx context.Context) error
	switch c := p.New().(type) {
	case connect.SourceConnector:
		st := &sourceTask{taskBase: base, task: c.NewTask()}
		loop = st.run
	case connect.SinkConnector:
		st, err := newSinkTask(base, c.NewTask())
		if err != nil {
			return fail(err)
		}
		loop = st.run
	default:
		return fail(fmt.Errorf("failed to start task %s-%d since it is not a recognizable type (source or sink)", id.Connector, id.Task))
	}
	ctx, cancel := context.WithCancel(context.Background())
	rt := &runningTask{id: id, cancel: cancel, done: make(chan struct{}), target: newTargetState(target)}
	base.target = rt.target
	base.owner = rt
	w.mu.Lock()
	w.tasks[id] = rt
	w.mu.Unlock()
	go func() {
		defer close(rt.done)
		defer cancel()
		defer func() {
			if err := base.xforms.close(); err != nil {
				base.log.Warn("closing transformations", "err", err)
			}
		}()
		err := callSafely(func() error { return loop(ctx) })
		if err != nil && ctx.Err() == nil {
			if w.isCurrentTask(rt) {
				w.status.putTask(id, StateFailed, errorChain(err))
				base.log.Error("task failed; it will not recover until restarted", "err", err)
				w.listener.taskFailed(id, err)
			}
			return
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			base.log.Warn("task stopped with an error", "err", err)
		}
	}()
	return nil
}

// isCurrentTask reports whether rt is still the worker's task for its id:
// an old generation that ends late must not overwrite the new one's status.
func (w *Worker) isCurrentTask(rt *runningTask) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tasks[rt.id] == rt
}

// setStatusIfCurrent records a task state unless the task was replaced.
func (w *Worker) setStatusIfCurrent(rt *runningTask, state string) {
	if rt == nil || w.isCurrentTask(rt) {
		w.status.putTask(rt.id, state, "")
	}
}

// setTaskTarget pauses or resumes a running task.
func (w *Worker) setTaskTarget(id ConnectorTaskID, s TargetState) {
	w.mu.Lock()
	rt := w.tasks[id]
	w.mu.Unlock()
	if rt != nil {
		rt.target.set(s)
	}
}

// stopTasks stops tasks and waits for them, up to the worker's
// task.shutdown.graceful.timeout.ms in total. Tasks that do not stop in
// time are abandoned (their goroutines end when the plugin returns).
func (w *Worker) stopTasks(ids []ConnectorTaskID) {
	var stopping []*runningTask
	w.mu.Lock()
	for _, id := range ids {
		if rt := w.tasks[id]; rt != nil {
			delete(w.tasks, id)
			stopping = append(stopping, rt)
		}
	}
	w.mu.Unlock()
	for _, rt := range stopping {
		rt.cancel()
	}
	deadline := time.NewTimer(w.cfg.TaskShutdownTimeout)
	defer deadline.Stop()
	for i, rt := range stopping {
		select {
		case <-rt.done:
		case <-deadline.C:
			for _, late := range stopping[i:] {
				select {
				case <-late.done:
				default:
					w.log.Error("graceful stop of task failed", "task", taskName(late.id), "timeout", w.cfg.TaskShutdownTimeout)
				}
			}
			return
		}
	}
}

// connectorTaskIDs lists the running tasks of a connector.
func (w *Worker) connectorTaskIDs(name string) []ConnectorTaskID {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []ConnectorTaskID
	for id := range w.tasks {
		if id.Connector == name {
			out = append(out, id)
		}
	}
	return out
}

func taskName(id ConnectorTaskID) string { return id.Connector + "-" + strconv.Itoa(id.Task) }
