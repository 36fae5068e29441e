package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/twmb/franz-go/pkg/kerr"
)

// taskBase is what source and sink tasks share: identity, configuration,
// converters, transformations and error handling.
type taskBase struct {
	id       ConnectorTaskID
	w        *Worker
	log      *slog.Logger
	plugin   *connect.Plugin
	conn     *connect.Config // parsed framework keys of the connector config
	connRaw  map[string]string
	taskRaw  map[string]string
	conv     *recordConverters
	xforms   recordTransforms
	policy   *errorPolicy
	dlqTopic string
	dlqRF    int
	target   *targetState
	owner    *runningTask
}

func (w *Worker) newTaskBase(id ConnectorTaskID, p *connect.Plugin, connConfig, taskConfig map[string]string) (*taskBase, error) {
	def := SourceConnectorConfigDef()
	if p.Type == connect.PluginSink {
		def = SinkConnectorConfigDef()
	}
	cfg, err := def.Parse(connConfig)
	if err != nil {
		return nil, err
	}
	log := w.loggers.Logger("runnel.task." + taskName(id))
	conv, err := buildConverters(w.convs, w.cfg, connConfig)
	if err != nil {
		return nil, err
	}
	xf, err := buildTransforms(w.xforms, connConfig)
	if err != nil {
		return nil, err
	}
	b := &taskBase{
		id: id, w: w, log: log, plugin: p, conn: cfg, connRaw: connConfig, taskRaw: taskConfig,
		conv: conv, xforms: xf, policy: newErrorPolicy(cfg, log),
		dlqTopic: cfg.String(DLQTopicConfig), dlqRF: cfg.Int(DLQReplicationFactorConfig),
	}
	if cfg.Bool(ErrorsLogEnableConfig) {
		b.policy.reporters = append(b.policy.reporters, &logReporter{id: id, includeMessages: cfg.Bool(ErrorsLogIncludeMsgsConfig), log: log})
	}
	if b.dlqTopic != "" {
		b.policy.reporters = append(b.policy.reporters, &dlqReporter{id: id, topic: b.dlqTopic, contextHeaders: cfg.Bool(DLQContextHeadersConfig), producer: w.producer})
	}
	return b, nil
}

// ensureDLQTopic creates the dead letter queue topic if it does not exist,
// with errors.deadletterqueue.topic.replication.factor (Kafka fails the task
// when this is impossible, and so does Runnel).
func (b *taskBase) ensureDLQTopic(ctx context.Context) error {
	if b.dlqTopic == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	topics, err := b.w.admin.ListTopics(ctx, b.dlqTopic)
	if err == nil && topics.Has(b.dlqTopic) {
		return nil
	}
	resp, err := b.w.admin.CreateTopic(ctx, 1, int16(b.dlqRF), nil, b.dlqTopic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !isTopicExists(err) {
		return fmt.Errorf("Could not initialize dead letter queue with topic=%s (replication factor %d): %w", b.dlqTopic, b.dlqRF, err)
	}
	return nil
}

func isTopicExists(err error) bool {
	return errors.Is(err, kerr.TopicAlreadyExists)
}

// awaitRunnable blocks while the task is paused. It returns false when ctx
// ends. onPause and onResume record the status transitions.
func (b *taskBase) awaitRunnable(ctx context.Context) bool {
	state, changed := b.target.get()
	if state == TargetStarted {
		return true
	}
	b.w.setStatusIfCurrent(b.owner, StatePaused)
	for state != TargetStarted {
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		}
		state, changed = b.target.get()
	}
	b.w.setStatusIfCurrent(b.owner, StateRunning)
	return true
}

// initialStatus records RUNNING or PAUSED once the task started.
func (b *taskBase) initialStatus() {
	if state, _ := b.target.get(); state == TargetPaused {
		b.w.setStatusIfCurrent(b.owner, StatePaused)
		return
	}
	b.w.setStatusIfCurrent(b.owner, StateRunning)
}
