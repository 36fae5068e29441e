package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/runnel-dev/runnel/connect/convert"
	"github.com/runnel-dev/runnel/connectors/postgres/cdc"
	"github.com/runnel-dev/runnel/workers"
	"github.com/runnel-dev/runnel/workers/rest"
)

// connectWorker is a standalone Kafka Connect worker run in-process, wired
// as cmd/connect-worker wires it: the built-in plugins plus the CDC
// connector, the standalone herder and the REST API.
type connectWorker struct {
	herder   *workers.Standalone
	srv      *rest.Server
	url      string // the REST API's base URL
	fellBack bool   // the configured listener was taken; a free port is used
	log      *slog.Logger
}

// startWorker starts the worker with props (the worker file's keys with
// bootstrap.servers and the offsets file set). If the REST listener's port
// is taken it serves on a free port instead.
func startWorker(ctx context.Context, props map[string]string, logger *slog.Logger) (*connectWorker, error) {
	cfg, err := workers.ParseWorkerConfig(props)
	if err != nil {
		return nil, fmt.Errorf("connect-standalone.properties: %w", err)
	}
	loggers := workers.NewLoggers(logger.Handler(), slog.LevelWarn)
	convs := convert.NewRegistry()
	xforms := workers.BuiltinTransforms()
	plugins, err := workers.BuiltinPlugins(convs, xforms, cdc.Plugin())
	if err != nil {
		return nil, err
	}
	w := &connectWorker{log: logger}
	opts := rest.Options{Listeners: cfg.Listeners, Loggers: loggers, Logger: loggers.Logger("runnel.rest.RestServer"),
		TopicTracking: cfg.TopicTracking, TopicTrackingReset: cfg.TopicTrackingAllowReset}
	w.srv = rest.New(opts)
	if err := w.srv.Listen(); err != nil {
		opts.Listeners = []string{"127.0.0.1:0"}
		w.srv, w.fellBack = rest.New(opts), true
		if err := w.srv.Listen(); err != nil {
			return nil, err
		}
	}
	addr := w.srv.Addrs()[0]
	w.url = "http://" + addr
	w.herder, err = workers.NewStandalone(workers.StandaloneOptions{
		Config: cfg, Plugins: plugins, Converters: convs, Transforms: xforms, Loggers: loggers, WorkerID: addr,
	})
	if err != nil {
		w.srv.Close(context.Background())
		return nil, err
	}
	w.srv.Serve(w.herder)
	if err := w.herder.Start(ctx); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// create adds a connector as connect-standalone does for each file. A
// connector whose configuration or server check fails (PostgreSQL down,
// wal_level not logical, no REPLICATION attribute...) is refused here
// with the connector's own message.
func (w *connectWorker) create(ctx context.Context, req workers.CreateConnectorRequest) error {
	ctx, cancel := context.WithTimeout(ctx, rest.DefaultRequestTimeout)
	defer cancel()
	if _, _, err := w.herder.PutConnectorConfig(ctx, req.Name, maps.Clone(req.Config), false, ""); err != nil {
		return fmt.Errorf("connector %s: %w", req.Name, err)
	}
	return nil
}

// waitRunning waits until the connector and all its tasks run.
func (w *connectWorker) waitRunning(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		st, err := w.herder.ConnectorStatus(ctx, name)
		if err != nil {
			return err
		}
		if err := failure(st); err != nil {
			return err
		}
		if st.Connector.State == workers.StateRunning && len(st.Tasks) > 0 && allRunning(st.Tasks) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("connector %s is not running after a minute (connector %s, tasks %v)", name, st.Connector.State, st.Tasks)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func allRunning(tasks []workers.TaskState) bool {
	for _, t := range tasks {
		if t.State != workers.StateRunning {
			return false
		}
	}
	return true
}

// failed returns the first FAILED connector or task with its trace.
func (w *connectWorker) failed(ctx context.Context) error {
	var errs []error
	for _, name := range w.herder.Connectors(ctx) {
		if st, err := w.herder.ConnectorStatus(ctx, name); err == nil {
			errs = append(errs, failure(st))
		}
	}
	return errors.Join(errs...)
}

func failure(st workers.ConnectorStateInfo) error {
	if st.Connector.State == workers.StateFailed {
		return fmt.Errorf("connector %s failed: %s", st.Name, firstLines(st.Connector.Trace))
	}
	for _, t := range st.Tasks {
		if t.State == workers.StateFailed {
			return fmt.Errorf("task %s-%d failed: %s", st.Name, t.ID, firstLines(t.Trace))
		}
	}
	return nil
}

// firstLines keeps a trace short enough to read in a terminal.
func firstLines(trace string) string {
	lines := strings.SplitN(trace, "\n", 4)
	return strings.Join(lines[:min(len(lines), 3)], "\n  ")
}

// close stops the connectors (committing their offsets), then the REST API.
func (w *connectWorker) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.herder.Close(ctx); err != nil {
		w.log.Warn("stopping the Connect worker", "err", err)
	}
	if err := w.srv.Close(ctx); err != nil {
		w.log.Warn("stopping the REST API", "err", err)
	}
}
