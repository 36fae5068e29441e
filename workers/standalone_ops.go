package workers

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/runnel-dev/runnel/connect"
)

var _ Herder = (*Standalone)(nil)

// ServerInfo implements Herder.
func (h *Standalone) ServerInfo(context.Context) ServerInfo {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return ServerInfo{Version: Version, Commit: Commit, KafkaClusterID: h.clusterID}
}

// Health implements Herder.
func (h *Standalone) Health(context.Context) (string, string) {
	h.mu.RLock()
	started, closed := h.started, h.closed
	h.mu.RUnlock()
	switch {
	case closed:
		return "unhealthy", "Worker was unable to handle this request and may be unable to handle other requests. The worker is shutting down."
	case !started:
		return "starting", "Worker is still starting up."
	}
	return "healthy", "Worker has completed startup and is ready to handle requests."
}

// Connectors implements Herder.
func (h *Standalone) Connectors(context.Context) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return sortedNames(h.conns)
}

// ConnectorInfo implements Herder.
func (h *Standalone) ConnectorInfo(_ context.Context, name string) (ConnectorInfo, error) {
	return h.connectorInfo(name)
}

// ConnectorConfig implements Herder.
func (h *Standalone) ConnectorConfig(_ context.Context, name string) (map[string]string, error) {
	c, ok := h.get(name)
	if !ok {
		return nil, connectorNotFound(name)
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.maskConfig(c.config), nil
}

// PutConnectorConfig implements Herder.
func (h *Standalone) PutConnectorConfig(ctx context.Context, name string, config map[string]string, allowReplace bool, initial TargetState) (bool, ConnectorInfo, error) {
	if err := h.lock(ctx); err != nil {
		return false, ConnectorInfo{}, err
	}
	defer h.unlock()
	config = maps.Clone(config)
	old, exists := h.get(name)
	if exists {
		if !allowReplace {
			return false, ConnectorInfo{}, conflict("Connector %s already exists", name)
		}
		h.unmaskConfig(config, old.config)
	}
	infos, kind, err := h.validate(ctx, config)
	if err != nil {
		return false, ConnectorInfo{}, err
	}
	if err := configErrors(infos); err != nil {
		return false, ConnectorInfo{}, err
	}
	target := TargetStarted
	if exists {
		target = old.target
		h.stopTasksLocked(name)
		h.worker.stopConnector(name)
	} else if initial != "" {
		target = initial
	}
	c := &connState{config: config, target: target, kind: kind}
	h.mu.Lock()
	h.conns[name] = c
	h.mu.Unlock()
	h.status.removeTasks(name, 0)
	if err := h.startConnectorLocked(name); err != nil {
		return false, ConnectorInfo{}, err
	}
	info, err := h.connectorInfo(name)
	return !exists, info, err
}

// configErrors turns validation results into Kafka's 400 message.
func configErrors(infos connect.ConfigInfos) error {
	if infos.ErrorCount == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Connector configuration is invalid and contains the following %d error(s):", infos.ErrorCount)
	for _, ci := range infos.Configs {
		if ci.Value == nil {
			continue
		}
		for _, e := range ci.Value.Errors {
			b.WriteString("\n" + e)
		}
	}
	b.WriteString("\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`")
	return &HTTPError{Code: http.StatusBadRequest, Msg: b.String()}
}

// PatchConnectorConfig implements Herder.
func (h *Standalone) PatchConnectorConfig(ctx context.Context, name string, patch map[string]*string) (ConnectorInfo, error) {
	c, ok := h.get(name)
	if !ok {
		return ConnectorInfo{}, connectorNotFound(name)
	}
	h.mu.RLock()
	merged := maps.Clone(c.config)
	h.mu.RUnlock()
	for k, v := range patch {
		if v == nil {
			delete(merged, k)
		} else {
			merged[k] = *v
		}
	}
	if n, ok := merged[NameConfig]; ok && n != name {
		return ConnectorInfo{}, badRequest("Connector name configuration (%s) doesn't match connector name in the URL (%s)", n, name)
	}
	merged[NameConfig] = name
	_, info, err := h.PutConnectorConfig(ctx, name, merged, true, "")
	return info, err
}

// DeleteConnector implements Herder. Offsets are kept, as in Kafka.
func (h *Standalone) DeleteConnector(ctx context.Context, name string) error {
	if err := h.lock(ctx); err != nil {
		return err
	}
	defer h.unlock()
	if _, ok := h.get(name); !ok {
		return connectorNotFound(name)
	}
	h.stopTasksLocked(name)
	h.worker.stopConnector(name)
	h.mu.Lock()
	delete(h.conns, name)
	for id, r := range h.restarts {
		if id.Connector == name {
			if r.timer != nil {
				h.cancelRestart(r)
			}
			delete(h.restarts, id)
		}
	}
	h.mu.Unlock()
	h.status.removeConnector(name)
	return nil
}

// ConnectorStatus implements Herder.
func (h *Standalone) ConnectorStatus(_ context.Context, name string) (ConnectorStateInfo, error) {
	c, ok := h.get(name)
	st, has := h.status.connector(name)
	if !ok || !has {
		return ConnectorStateInfo{}, notFound("No status found for connector %s", name)
	}
	return ConnectorStateInfo{Name: name, Connector: st, Tasks: h.status.connectorTasks(name), Type: string(c.kind)}, nil
}

// TaskStatus implements Herder.
func (h *Standalone) TaskStatus(_ context.Context, name string, task int) (TaskState, error) {
	st, ok := h.status.task(ConnectorTaskID{Connector: name, Task: task})
	if _, exists := h.get(name); !ok || !exists {
		return TaskState{}, notFound("No status found for task %s-%d", name, task)
	}
	return st, nil
}

// TaskConfigs implements Herder (raw configs incl. task.class, secrets
// hidden).
func (h *Standalone) TaskConfigs(_ context.Context, name string) ([]TaskInfo, error) {
	c, ok := h.get(name)
	if !ok {
		return nil, connectorNotFound(name)
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	resolved, _ := h.worker.configs.transform(c.config)
	out := make([]TaskInfo, 0, len(c.tasks))
	for i, tc := range c.tasks {
		masked := maps.Clone(tc)
		for k, v := range masked {
			if raw, ok := c.config[k]; ok && raw != resolved[k] && v == resolved[k] {
				// A value the connector copied from a resolved placeholder:
				// show the placeholder, not the secret (KAFKA-15377).
				masked[k] = raw
				continue
			}
			if h.isPassword(c.config, k) && !isPlaceholder(v) {
				masked[k] = connect.HiddenPassword
			}
		}
		out = append(out, TaskInfo{ID: ConnectorTaskID{Connector: name, Task: i}, Config: masked})
	}
	return out, nil
}

// RestartConnector implements Herder.
func (h *Standalone) RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (ConnectorStateInfo, error) {
	if err := h.lock(ctx); err != nil {
		return ConnectorStateInfo{}, err
	}
	defer h.unlock()
	c, ok := h.get(name)
	if !ok {
		if !includeTasks && !onlyFailed {
			return ConnectorStateInfo{}, connectorNotFound(name)
		}
		return ConnectorStateInfo{}, notFound("Unknown connector: %s", name)
	}
	plan, err := h.ConnectorStatus(ctx, name)
	if err != nil {
		return ConnectorStateInfo{}, notFound("Status for connector %s not found", name)
	}
	restartConn := !onlyFailed || plan.Connector.State == StateFailed
	var taskIDs []int
	for i := range plan.Tasks {
		if includeTasks && (!onlyFailed || plan.Tasks[i].State == StateFailed) {
			plan.Tasks[i].State = StateRestarting
			plan.Tasks[i].Trace = ""
			taskIDs = append(taskIDs, plan.Tasks[i].ID)
		}
	}
	if restartConn {
		plan.Connector.State = StateRestarting
		plan.Connector.Trace = ""
	}
	if len(taskIDs) > 0 {
		ids := make([]ConnectorTaskID, len(taskIDs))
		for i, t := range taskIDs {
			ids[i] = ConnectorTaskID{Connector: name, Task: t}
			h.status.putTask(ids[i], StateRestarting, "")
		}
		h.worker.stopTasks(ids)
	}
	if restartConn {
		h.status.putConnector(name, StateRestarting, "")
		h.worker.stopConnector(name)
		if err := h.worker.startConnector(name, c.config, c.target); err != nil {
			h.log.Error("connector restart failed", "connector", name, "err", err)
		}
	}
	if len(taskIDs) > 0 {
		h.startTasksLocked(name, taskIDs)
	}
	if restartConn && c.target == TargetStarted {
		h.updateTasksLocked(name)
	}
	return plan, nil
}

// RestartTask implements Herder.
func (h *Standalone) RestartTask(ctx context.Context, name string, task int) error {
	if err := h.lock(ctx); err != nil {
		return err
	}
	defer h.unlock()
	c, ok := h.get(name)
	if !ok {
		return connectorNotFound(name)
	}
	if task < 0 || task >= len(c.tasks) {
		return notFound("Task %s-%d not found", name, task)
	}
	id := ConnectorTaskID{Connector: name, Task: task}
	h.worker.stopTasks([]ConnectorTaskID{id})
	h.startTasksLocked(name, []int{task})
	return nil
}

// PauseConnector implements Herder.
func (h *Standalone) PauseConnector(ctx context.Context, name string) error {
	return h.setTarget(ctx, name, TargetPaused)
}

// ResumeConnector implements Herder; it resumes PAUSED and STOPPED connectors.
func (h *Standalone) ResumeConnector(ctx context.Context, name string) error {
	return h.setTarget(ctx, name, TargetStarted)
}

// StopConnector implements Herder: tasks are shut down and their
// configurations dropped, so offsets can then be changed.
func (h *Standalone) StopConnector(ctx context.Context, name string) error {
	return h.setTarget(ctx, name, TargetStopped)
}

func (h *Standalone) setTarget(ctx context.Context, name string, target TargetState) error {
	if err := h.lock(ctx); err != nil {
		return err
	}
	defer h.unlock()
	c, ok := h.get(name)
	if !ok {
		return notFound("Unknown connector %s", name)
	}
	h.mu.Lock()
	prev := c.target
	c.target = target
	h.mu.Unlock()
	if prev == target {
		return nil
	}
	switch target {
	case TargetPaused:
		h.worker.suspendConnector(name, StatePaused)
		for _, id := range h.worker.connectorTaskIDs(name) {
			h.worker.setTaskTarget(id, TargetPaused)
			if st, ok := h.status.task(id); ok && st.State == StateRunning {
				h.status.putTask(id, StatePaused, "")
			}
		}
	case TargetStopped:
		h.stopTasksLocked(name)
		h.mu.Lock()
		c.tasks = nil
		h.mu.Unlock()
		h.status.removeTasks(name, 0)
		h.worker.suspendConnector(name, StateStopped)
	case TargetStarted:
		if err := h.worker.resumeConnector(name); err != nil {
			return nil // status says FAILED
		}
		for _, id := range h.worker.connectorTaskIDs(name) {
			h.worker.setTaskTarget(id, TargetStarted)
			if st, ok := h.status.task(id); ok && st.State == StatePaused {
				h.status.putTask(id, StateRunning, "")
			}
		}
		h.updateTasksLocked(name)
	}
	return nil
}

// ActiveTopics implements Herder.
func (h *Standalone) ActiveTopics(_ context.Context, name string) ([]string, error) {
	if _, ok := h.get(name); !ok {
		return nil, connectorNotFound(name)
	}
	return h.status.activeTopics(name), nil
}

// ResetActiveTopics implements Herder.
func (h *Standalone) ResetActiveTopics(_ context.Context, name string) error {
	if _, ok := h.get(name); !ok {
		return connectorNotFound(name)
	}
	h.status.resetTopics(name)
	return nil
}

// Plugins implements Herder.
func (h *Standalone) Plugins() *connect.Plugins { return h.plugins }

// PluginConfig implements Herder.
func (h *Standalone) PluginConfig(_ context.Context, plugin string) ([]connect.ConfigKeyInfo, error) {
	p, ok := h.plugins.Lookup(plugin)
	if !ok {
		return nil, notFound("Unknown plugin %s.", plugin)
	}
	def := p.ConfigDef()
	switch p.Type {
	case connect.PluginSource:
		def = def.Merge(nil)
		for _, k := range SourceConnectorConfigDef().Keys() {
			if _, dup := def.Key(k.Name); !dup {
				def.Define(k)
			}
		}
	case connect.PluginSink:
		def = def.Merge(nil)
		for _, k := range SinkConnectorConfigDef().Keys() {
			if _, dup := def.Key(k.Name); !dup {
				def.Define(k)
			}
		}
	}
	out := []connect.ConfigKeyInfo{}
	for _, k := range def.Keys() {
		out = append(out, connect.KeyInfo(k))
	}
	return out, nil
}
