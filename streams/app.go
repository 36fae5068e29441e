package streams

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// ErrClosed is returned by Run on an App that was closed or already ran.
var ErrClosed = errors.New("streams app is closed or already ran")

// shutdownTimeout bounds the graceful part of a shutdown (final commits,
// leaving the group) once Run's context is cancelled.
const shutdownTimeout = time.Minute

// App runs a topology as a Kafka Streams application instance
// (KafkaStreams). Create it with New, start it with Run, observe it with
// State and SetStateListener.
type App struct {
	cfg    Config
	log    *slog.Logger
	layout *topicLayout
	newEng engineFactory
	// newGlobal starts the global state thread; nil when the topology
	// has no global stores.
	newGlobal func(ctx context.Context, rt *runtime) (*globalThread, error)

	sm *stateMachine

	mu      sync.Mutex
	ueh     UncaughtExceptionHandler
	started bool
	rt      *runtime
	cancel  context.CancelFunc
	done    chan struct{}
}

// engineFactory creates the task engine for one task; th is the thread
// that will run it (its record collector is the task's sink).
type engineFactory func(rt *runtime, id taskKey, th *streamThread) (engine, error)

// newApp is New without the topology: the layout and engine factory are
// given directly (tests use it to drive the runtime with small engines).
func newApp(cfg Config, layout *topicLayout, newEng engineFactory) (*App, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("streams: invalid config: %w", err)
	}
	if len(layout.subtopologies) == 0 {
		return nil, errors.New("streams: the topology has no source topics")
	}
	a := &App{
		cfg:    cfg,
		log:    cfg.Logger.With("application.id", cfg.ApplicationID),
		layout: layout,
		newEng: newEng,
		sm:     newStateMachine(),
		done:   make(chan struct{}),
	}
	return a, nil
}

// State is the App's current state.
func (a *App) State() State { return a.sm.get() }

// SetStateListener registers fn to be called on every state change with
// the old and new state. Calls are serialized; fn must not block for long.
func (a *App) SetStateListener(fn func(old, new State)) { a.sm.setListener(fn) }

// SetUncaughtExceptionHandler decides what happens when a stream thread
// fails; without one the App shuts down (ShutdownClient), as Kafka does.
func (a *App) SetUncaughtExceptionHandler(h UncaughtExceptionHandler) {
	a.mu.Lock()
	a.ueh = h
	a.mu.Unlock()
}

func (a *App) uncaughtResponse(err error) ThreadExceptionResponse {
	a.mu.Lock()
	h := a.ueh
	a.mu.Unlock()
	if h == nil {
		return ShutdownClient
	}
	return h(err)
}

// Run joins the application's consumer group and processes until ctx is
// cancelled or a fatal error occurs. On the way out it commits: every task
// is flushed, its output acknowledged and its offsets committed before the
// instance leaves the group. It returns nil after a clean shutdown and the
// fatal error otherwise. Run can be called once.
func (a *App) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.started {
		a.mu.Unlock()
		return ErrClosed
	}
	a.started = true
	ctx, cancel := context.WithCancel(ctx)
	a.cancel = cancel
	a.mu.Unlock()
	defer close(a.done)
	defer cancel()

	if !a.sm.transition(Rebalancing) {
		return ErrClosed
	}
	a.log.Info("starting streams application", "threads", a.cfg.NumStreamThreads,
		"guarantee", string(a.cfg.ProcessingGuarantee), "commit_interval", a.cfg.CommitInterval)

	rt, err := startRuntime(ctx, a)
	if err != nil {
		a.fail(err)
		return err
	}
	a.mu.Lock()
	a.rt = rt
	a.mu.Unlock()
	err = rt.run(ctx)
	if err != nil {
		a.sm.transition(PendingError)
	} else {
		a.sm.transition(PendingShutdown)
	}
	if serr := rt.shutdown(context.WithoutCancel(ctx)); serr != nil && err == nil {
		err = serr
		a.sm.transition(PendingError)
	}
	if err != nil {
		a.log.Error("streams application stopped with an error", "error", err)
		a.sm.transition(Error)
		return err
	}
	a.sm.transition(NotRunning)
	a.log.Info("streams application stopped")
	return nil
}

func (a *App) fail(err error) {
	a.log.Error("streams application failed", "error", err)
	a.sm.transition(PendingError)
	a.sm.transition(Error)
}

// Close stops a running App and waits for Run to return; on an App that
// never ran it just moves it to NOT_RUNNING. It is safe to call more than
// once and concurrently with Run.
func (a *App) Close() error {
	a.mu.Lock()
	if !a.started {
		a.started = true
		a.mu.Unlock()
		if a.sm.transition(PendingShutdown) {
			a.sm.transition(NotRunning)
		}
		close(a.done)
		return nil
	}
	cancel := a.cancel
	a.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	<-a.done
	return nil
}

// activeTasks lists the tasks this instance runs now, as "0_1" names.
func (a *App) activeTasks() []string {
	a.mu.Lock()
	rt := a.rt
	a.mu.Unlock()
	if rt == nil {
		return nil
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := make([]string, 0, len(rt.tasks))
	for id := range rt.tasks {
		out = append(out, id.String())
	}
	slices.Sort(out)
	return out
}
