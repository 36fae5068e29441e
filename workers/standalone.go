package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/convert"
	"github.com/runnel-dev/runnel/connect/transforms"
)

// Version and Commit are reported by GET /. Commit may be set at link time.
var (
	Version = "3.9.0"
	Commit  = "runnel"
)

// StandaloneOptions configures a standalone herder.
type StandaloneOptions struct {
	Config     *WorkerConfig
	Plugins    *connect.Plugins
	Converters *convert.Registry
	// Transforms defaults to the built-in SMTs and predicates.
	Transforms *transforms.Registry
	// Offsets defaults to the file in offset.storage.file.filename.
	Offsets OffsetStore
	Loggers *Loggers
	// WorkerID is the advertised host:port shown in statuses.
	WorkerID string
}

// Standalone is a single-worker herder (Kafka's StandaloneHerder):
// connector configurations live in memory (the command line re-creates
// them at start), source offsets in a local file.
//
// Operations that change connectors are serialised; each waits for its
// turn until its context ends, so a connector that blocks in Start or Stop
// delays other changes but never the read-only endpoints.
type Standalone struct {
	cfg     *WorkerConfig
	plugins *connect.Plugins
	convs   *convert.Registry
	xforms  *transforms.Registry
	offsets OffsetStore
	loggers *Loggers
	log     *slog.Logger
	status  *statusStore
	worker  *Worker

	ops chan struct{} // one token: the right to change connectors

	mu        sync.RWMutex
	conns     map[string]*connState
	clusterID string
	started   bool
	closed    bool

	bg       sync.WaitGroup
	bgCtx    context.Context
	bgCancel context.CancelFunc
	restarts map[ConnectorTaskID]*restartState
}

// connState is what the herder knows about one connector.
type connState struct {
	config map[string]string
	target TargetState
	kind   connect.PluginType
	tasks  []map[string]string
}

// restartState tracks automatic restarts of one task.
type restartState struct {
	attempts    int
	lastRestart time.Time
	timer       *time.Timer
}

// NewStandalone builds the herder and connects the worker's producer.
func NewStandalone(opts StandaloneOptions) (*Standalone, error) {
	if opts.Loggers == nil {
		opts.Loggers = NewLoggers(slog.DiscardHandler, slog.LevelInfo)
	}
	if opts.Converters == nil {
		opts.Converters = convert.NewRegistry()
	}
	if opts.Transforms == nil {
		opts.Transforms = BuiltinTransforms()
	}
	if opts.Offsets == nil {
		if opts.Config.OffsetFile == "" {
			return nil, connect.MissingConfigError(OffsetStorageFileConfig)
		}
		st, err := OpenFileOffsetStore(opts.Config.OffsetFile)
		if err != nil {
			return nil, err
		}
		opts.Offsets = st
	}
	h := &Standalone{
		cfg: opts.Config, plugins: opts.Plugins, convs: opts.Converters, xforms: opts.Transforms, offsets: opts.Offsets,
		loggers: opts.Loggers, log: opts.Loggers.Logger("runnel.workers.Standalone"),
		status: newStatusStore(opts.WorkerID),
		ops:    make(chan struct{}, 1), conns: map[string]*connState{},
		restarts: map[ConnectorTaskID]*restartState{},
	}
	h.bgCtx, h.bgCancel = context.WithCancel(context.Background())
	w, err := newWorker(WorkerOptions{Config: opts.Config, Plugins: opts.Plugins, Converters: opts.Converters, Transforms: opts.Transforms,
		Offsets: opts.Offsets, WorkerID: opts.WorkerID, Loggers: opts.Loggers}, h.status, h)
	if err != nil {
		return nil, err
	}
	h.worker = w
	return h, nil
}

// Start checks that Kafka is reachable (learning its cluster id) and marks
// the worker ready.
func (h *Standalone) Start(ctx context.Context) error {
	id, err := h.worker.clusterID(ctx)
	if err != nil {
		return fmt.Errorf("cannot reach Kafka at %v: %w", h.cfg.BootstrapServers, err)
	}
	h.mu.Lock()
	h.clusterID, h.started = id, true
	h.mu.Unlock()
	return nil
}

// Close stops every connector and task (committing offsets), then the
// producer.
func (h *Standalone) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	h.bgCancel()
	if err := h.lock(ctx); err != nil {
		return err
	}
	defer h.unlock()
	h.mu.Lock()
	for _, r := range h.restarts {
		if r.timer != nil {
			h.cancelRestart(r)
		}
	}
	h.mu.Unlock()
	h.bg.Wait()
	h.worker.close(ctx)
	return h.offsets.Close()
}

// lock takes the operation token, giving up when ctx ends.
func (h *Standalone) lock(ctx context.Context) error {
	select {
	case h.ops <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("Request timed out. The worker is busy with another connector operation: %w", ctx.Err())
	}
}

func (h *Standalone) unlock() { <-h.ops }

func (h *Standalone) get(name string) (*connState, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	c, ok := h.conns[name]
	return c, ok
}

// startConnectorLocked starts the connector instance and, when it runs,
// its tasks. The op token must be held.
func (h *Standalone) startConnectorLocked(name string) error {
	c, ok := h.get(name)
	if !ok {
		return connectorNotFound(name)
	}
	if err := h.worker.startConnector(name, c.config, c.target); err != nil {
		return err
	}
	if c.target == TargetStarted {
		h.updateTasksLocked(name)
	}
	return nil
}

// updateTasksLocked regenerates task configurations and restarts the tasks
// if they changed (Kafka's updateConnectorTasks).
func (h *Standalone) updateTasksLocked(name string) {
	c, ok := h.get(name)
	if !ok || !h.worker.isConnectorRunning(name) {
		return
	}
	cfg, err := h.frameworkConfig(c)
	if err != nil {
		h.status.putConnector(name, StateFailed, err.Error())
		return
	}
	newTasks, err := h.worker.connectorTaskConfigs(name, cfg.Int(TasksMaxConfig), cfg.Bool(TasksMaxEnforceConfig))
	if err != nil {
		h.log.Error("could not generate task configurations", "connector", name, "err", err)
		return
	}
	if slices.EqualFunc(newTasks, c.tasks, maps.Equal) && len(h.worker.connectorTaskIDs(name)) == len(newTasks) {
		return
	}
	h.stopTasksLocked(name)
	h.mu.Lock()
	c.tasks = newTasks
	h.mu.Unlock()
	h.status.removeTasks(name, len(newTasks))
	h.startTasksLocked(name, nil)
}

// startTasksLocked starts the connector's tasks (only those in ids if
// non-nil).
func (h *Standalone) startTasksLocked(name string, ids []int) {
	c, ok := h.get(name)
	if !ok {
		return
	}
	h.mu.RLock()
	tasks, config, target := c.tasks, c.config, c.target
	h.mu.RUnlock()
	for i, tc := range tasks {
		if ids != nil && !slices.Contains(ids, i) {
			continue
		}
		id := ConnectorTaskID{Connector: name, Task: i}
		h.status.putTask(id, StateUnassigned, "")
		_ = h.worker.startTask(id, config, tc, target)
	}
}

func (h *Standalone) stopTasksLocked(name string) {
	h.worker.stopTasks(h.worker.connectorTaskIDs(name))
}

// frameworkConfig parses the framework keys of a connector's config.
func (h *Standalone) frameworkConfig(c *connState) (*connect.Config, error) {
	def := SourceConnectorConfigDef()
	if c.kind == connect.PluginSink {
		def = SinkConnectorConfigDef()
	}
	return def.Parse(c.config)
}

// requestTaskReconfiguration implements workerListener.
func (h *Standalone) requestTaskReconfiguration(name string) {
	h.background(func(ctx context.Context) {
		if err := h.lock(ctx); err != nil {
			return
		}
		defer h.unlock()
		h.updateTasksLocked(name)
	})
}

// connectorFailed implements workerListener; the status already says FAILED.
func (h *Standalone) connectorFailed(string, error) {}

// taskFailed implements workerListener: with runnel.task.restart.enable
// the task is restarted after an exponential backoff.
func (h *Standalone) taskFailed(id ConnectorTaskID, err error) {
	if !h.cfg.TaskRestart {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	r := h.restarts[id]
	if r == nil {
		r = &restartState{}
		h.restarts[id] = r
	}
	// A task that ran without failing for the maximum backoff starts over.
	if !r.lastRestart.IsZero() && time.Since(r.lastRestart) > h.cfg.TaskRestartBackoffMax+h.cfg.TaskRestartBackoff {
		r.attempts = 0
	}
	delay := h.cfg.TaskRestartBackoff << min(r.attempts, 30)
	if delay > h.cfg.TaskRestartBackoffMax || delay < 0 {
		delay = h.cfg.TaskRestartBackoffMax
	}
	r.attempts++
	h.log.Warn("task failed; restarting it automatically", "task", taskName(id), "in", delay, "attempt", r.attempts, "err", err)
	if r.timer != nil {
		h.cancelRestart(r)
	}
	h.bg.Add(1)
	r.timer = time.AfterFunc(delay, func() {
		defer h.bg.Done()
		ctx := h.bgCtx
		if ctx.Err() != nil || h.lock(ctx) != nil {
			return
		}
		defer h.unlock()
		st, ok := h.status.task(id)
		c, exists := h.get(id.Connector)
		if !ok || !exists || st.State != StateFailed || c.target == TargetStopped || id.Task >= len(c.tasks) {
			return
		}
		h.mu.Lock()
		r.lastRestart = time.Now()
		h.mu.Unlock()
		h.worker.stopTasks([]ConnectorTaskID{id})
		h.startTasksLocked(id.Connector, []int{id.Task})
	})
}

// cancelRestart stops a scheduled automatic restart. A timer stopped before
// it fired never runs its function, so its wait-group slot is released here.
func (h *Standalone) cancelRestart(r *restartState) {
	if r.timer != nil && r.timer.Stop() {
		h.bg.Done()
	}
	r.timer = nil
}

// background runs fn in a goroutine that ends with the herder.
func (h *Standalone) background(fn func(ctx context.Context)) {
	h.mu.RLock()
	closed := h.closed
	h.mu.RUnlock()
	if closed {
		return
	}
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		fn(h.bgCtx)
	}()
}

// connectorInfoLocked builds ConnectorInfo (passwords hidden).
func (h *Standalone) connectorInfo(name string) (ConnectorInfo, error) {
	c, ok := h.get(name)
	if !ok {
		return ConnectorInfo{}, connectorNotFound(name)
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	info := ConnectorInfo{Name: name, Config: h.maskConfig(c.config), Tasks: []ConnectorTaskID{}, Type: string(c.kind)}
	for i := range c.tasks {
		info.Tasks = append(info.Tasks, ConnectorTaskID{Connector: name, Task: i})
	}
	return info, nil
}

// maskConfig hides the values of PASSWORD keys (framework or connector
// defined), except config-provider placeholders, which are not secrets.
func (h *Standalone) maskConfig(config map[string]string) map[string]string {
	out := maps.Clone(config)
	for k, v := range out {
		if h.isPassword(config, k) && !isPlaceholder(v) {
			out[k] = connect.HiddenPassword
		}
	}
	return out
}

func (h *Standalone) isPassword(config map[string]string, key string) bool {
	p, err := h.plugins.LookupConnector(config[ConnectorClassConfig])
	if err != nil {
		return false
	}
	if k, ok := p.ConfigDef().Key(key); ok && k.Type == connect.TypePassword {
		return true
	}
	return false
}

func isPlaceholder(v string) bool {
	return len(v) > 3 && v[0] == '$' && v[1] == '{' && v[len(v)-1] == '}'
}

// unmaskConfig keeps the stored secret when a client sends back the
// [hidden] placeholder it got from GET (a GET-edit-PUT round trip).
func (h *Standalone) unmaskConfig(config, old map[string]string) {
	for k, v := range config {
		if v == connect.HiddenPassword && h.isPassword(config, k) {
			if prev, ok := old[k]; ok {
				config[k] = prev
			}
		}
	}
}

func sortedNames(m map[string]*connState) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var errClosed = errors.New("the worker is shutting down")
