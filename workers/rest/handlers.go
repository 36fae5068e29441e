package rest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/runnel-dev/runnel/workers"
)

func (s *Server) serverInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.herder.ServerInfo(r.Context()))
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	status, msg := s.herder.Health(r.Context())
	code := http.StatusOK
	switch status {
	case "starting":
		code = http.StatusServiceUnavailable
	case "unhealthy":
		code = http.StatusInternalServerError
	}
	writeJSON(w, code, map[string]string{"status": status, "message": msg})
}

func (s *Server) listConnectors(w http.ResponseWriter, r *http.Request) {
	names := s.herder.Connectors(r.Context())
	var status, info bool
	for _, e := range r.URL.Query()["expand"] {
		switch strings.ToLower(e) {
		case "status":
			status = true
		case "info":
			info = true
		}
	}
	if !status && !info {
		writeJSON(w, http.StatusOK, names)
		return
	}
	out := make(map[string]map[string]any, len(names))
	for _, n := range names {
		entry := map[string]any{}
		if status {
			st, err := s.herder.ConnectorStatus(r.Context(), n)
			if err != nil {
				continue // deleted meanwhile: skipped, as Kafka does
			}
			entry["status"] = st
		}
		if info {
			ci, err := s.herder.ConnectorInfo(r.Context(), n)
			if err != nil {
				continue
			}
			entry["info"] = ci
		}
		out[n] = entry
	}
	writeJSON(w, http.StatusOK, out)
}

// checkName is Kafka's checkAndPutConnectorConfigName.
func checkName(name string, config map[string]string) error {
	if included, ok := config[workers.NameConfig]; ok {
		if included != name {
			return &workers.HTTPError{Code: http.StatusBadRequest, Msg: "Connector name configuration (" + included + ") doesn't match connector name in the URL (" + name + ")"}
		}
		return nil
	}
	config[workers.NameConfig] = name
	return nil
}

func (s *Server) createConnector(w http.ResponseWriter, r *http.Request) {
	var req workers.CreateConnectorRequest
	if err := decodeBody(r, &req, `{"name": "...", "config": {...}}`); err != nil {
		s.fail(w, r, err)
		return
	}
	name := strings.TrimSpace(req.Name)
	if req.Config == nil {
		req.Config = map[string]string{}
	}
	if err := checkName(name, req.Config); err != nil {
		s.fail(w, r, err)
		return
	}
	var initial workers.TargetState
	switch strings.ToUpper(strings.TrimSpace(req.InitialState)) {
	case "":
	case "RUNNING":
		initial = workers.TargetStarted
	case "PAUSED":
		initial = workers.TargetPaused
	case "STOPPED":
		initial = workers.TargetStopped
	default:
		s.fail(w, r, &workers.HTTPError{Code: http.StatusBadRequest, Msg: "Invalid initial_state " + req.InitialState + "; expected one of RUNNING, PAUSED, STOPPED"})
		return
	}
	_, info, err := s.herder.PutConnectorConfig(r.Context(), name, req.Config, false, initial)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/connectors/"+pathEscape(name))
	writeJSON(w, http.StatusCreated, info)
}

func (s *Server) getConnector(w http.ResponseWriter, r *http.Request) {
	info, err := s.herder.ConnectorInfo(r.Context(), r.PathValue("name"))
	s.respond(w, r, info, err)
}

func (s *Server) deleteConnector(w http.ResponseWriter, r *http.Request) {
	if err := s.herder.DeleteConnector(r.Context(), r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	cfg, err := s.herder.ConnectorConfig(r.Context(), r.PathValue("name"))
	s.respond(w, r, cfg, err)
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var cfg map[string]string
	if err := decodeBody(r, &cfg, "a JSON object of configuration strings"); err != nil {
		s.fail(w, r, err)
		return
	}
	if cfg == nil {
		cfg = map[string]string{}
	}
	if err := checkName(name, cfg); err != nil {
		s.fail(w, r, err)
		return
	}
	created, info, err := s.herder.PutConnectorConfig(r.Context(), name, cfg, true, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if created {
		w.Header().Set("Location", "/connectors/"+pathEscape(name))
		writeJSON(w, http.StatusCreated, info)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) patchConfig(w http.ResponseWriter, r *http.Request) {
	var patch map[string]*string
	if err := decodeBody(r, &patch, "a JSON object of configuration strings (null removes a key)"); err != nil {
		s.fail(w, r, err)
		return
	}
	info, err := s.herder.PatchConnectorConfig(r.Context(), r.PathValue("name"), patch)
	s.respond(w, r, info, err)
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.herder.ConnectorStatus(r.Context(), r.PathValue("name"))
	s.respond(w, r, st, err)
}

func (s *Server) getTasks(w http.ResponseWriter, r *http.Request) {
	tasks, err := s.herder.TaskConfigs(r.Context(), r.PathValue("name"))
	s.respond(w, r, tasks, err)
}

// getTasksConfig serves the deprecated map form {"c-0": {...}}.
func (s *Server) getTasksConfig(w http.ResponseWriter, r *http.Request) {
	s.log.Warn("The 'GET /connectors/{connector}/tasks-config' endpoint is deprecated and will be removed in the next major release. Please use the 'GET /connectors/{connector}/tasks' endpoint instead.")
	tasks, err := s.herder.TaskConfigs(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make(map[string]map[string]string, len(tasks))
	for _, t := range tasks {
		out[t.ID.Connector+"-"+strconv.Itoa(t.ID.Task)] = t.Config
	}
	writeJSON(w, http.StatusOK, out)
}

// taskID parses the {task} path segment.
func taskID(r *http.Request) (int, error) {
	raw := r.PathValue("task")
	id, err := strconv.Atoi(raw)
	if err != nil {
		return 0, &workers.HTTPError{Code: http.StatusNotFound, Msg: "Task id " + raw + " is not an integer"}
	}
	return id, nil
}

func (s *Server) getTaskStatus(w http.ResponseWriter, r *http.Request) {
	id, err := taskID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.herder.TaskStatus(r.Context(), r.PathValue("name"), id)
	s.respond(w, r, st, err)
}

// boolParam parses a query flag the way JAX-RS does (absent = false).
func boolParam(r *http.Request, name string) bool {
	v := r.URL.Query().Get(name)
	return strings.EqualFold(v, "true")
}

func (s *Server) restartConnector(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	includeTasks, onlyFailed := boolParam(r, "includeTasks"), boolParam(r, "onlyFailed")
	plan, err := s.herder.RestartConnector(r.Context(), name, includeTasks, onlyFailed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !includeTasks && !onlyFailed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusAccepted, plan)
}

func (s *Server) restartTask(w http.ResponseWriter, r *http.Request) {
	id, err := taskID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.herder.RestartTask(r.Context(), r.PathValue("name"), id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request) {
	if err := s.herder.PauseConnector(r.Context(), r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	if err := s.herder.ResumeConnector(r.Context(), r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) stop(w http.ResponseWriter, r *http.Request) {
	if err := s.herder.StopConnector(r.Context(), r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getTopics(w http.ResponseWriter, r *http.Request) {
	if !s.opts.TopicTracking {
		writeError(w, http.StatusForbidden, "Topic tracking is disabled.")
		return
	}
	name := r.PathValue("name")
	topics, err := s.herder.ActiveTopics(r.Context(), name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{name: map[string]any{"topics": topics}})
}

func (s *Server) resetTopics(w http.ResponseWriter, r *http.Request) {
	if !s.opts.TopicTracking {
		writeError(w, http.StatusForbidden, "Topic tracking is disabled.")
		return
	}
	if !s.opts.TopicTrackingReset {
		writeError(w, http.StatusForbidden, "Topic tracking reset is disabled.")
		return
	}
	if err := s.herder.ResetActiveTopics(r.Context(), r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) getOffsets(w http.ResponseWriter, r *http.Request) {
	offs, err := s.herder.ConnectorOffsets(r.Context(), r.PathValue("name"))
	s.respond(w, r, offs, err)
}

func (s *Server) alterOffsets(w http.ResponseWriter, r *http.Request) {
	var body workers.ConnectorOffsets
	if err := decodeBody(r, &body, `{"offsets": [{"partition": {...}, "offset": {...}}]}`); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(body.Offsets) == 0 {
		writeError(w, http.StatusBadRequest, "Partitions / offsets need to be provided for an alter offsets request")
		return
	}
	msg, err := s.herder.AlterConnectorOffsets(r.Context(), r.PathValue("name"), body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": msg})
}

func (s *Server) resetOffsets(w http.ResponseWriter, r *http.Request) {
	msg, err := s.herder.ResetConnectorOffsets(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": msg})
}

func (s *Server) listPlugins(w http.ResponseWriter, r *http.Request) {
	connectorsOnly := true
	if v := r.URL.Query().Get("connectorsOnly"); v != "" {
		connectorsOnly = !strings.EqualFold(v, "false")
	}
	plugins := s.herder.Plugins()
	list := plugins.All()
	if connectorsOnly {
		list = plugins.Connectors()
	}
	out := make([]workers.PluginInfo, 0, len(list))
	for _, p := range list {
		out = append(out, workers.PluginInfo{Class: p.Class, Type: string(p.Type), Version: p.Version})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) pluginConfig(w http.ResponseWriter, r *http.Request) {
	keys, err := s.herder.PluginConfig(r.Context(), r.PathValue("plugin"))
	s.respond(w, r, keys, err)
}

// normalizedPluginName drops a trailing "Connector", so FileStreamSink and
// FileStreamSinkConnector compare equal (Kafka's rule).
func normalizedPluginName(name string) string {
	if strings.HasSuffix(name, "Connector") && len(name) > len("Connector") {
		return strings.TrimSuffix(name, "Connector")
	}
	return name
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	plugin := r.PathValue("plugin")
	var cfg map[string]string
	if err := decodeBody(r, &cfg, "a JSON object of configuration strings"); err != nil {
		s.fail(w, r, err)
		return
	}
	if cfg == nil {
		cfg = map[string]string{}
	}
	if included, ok := cfg[workers.ConnectorClassConfig]; ok && !strings.HasSuffix(normalizedPluginName(included), normalizedPluginName(plugin)) {
		writeError(w, http.StatusBadRequest, "Included connector type "+included+" does not match request type "+plugin)
		return
	}
	infos, err := s.herder.ValidateConnectorConfig(r.Context(), cfg)
	s.respond(w, r, infos, err)
}

func (s *Server) listLoggers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.opts.Loggers.Levels())
}

func (s *Server) getLogger(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("logger")
	lv, ok := s.opts.Loggers.Level(name)
	if !ok {
		writeError(w, http.StatusNotFound, "Logger "+name+" not found.")
		return
	}
	writeJSON(w, http.StatusOK, lv)
}

func (s *Server) setLogger(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("logger")
	var body map[string]*string
	if err := decodeBody(r, &body, `{"level": "DEBUG"}`); err != nil {
		s.fail(w, r, err)
		return
	}
	raw := body["level"]
	if raw == nil {
		writeError(w, http.StatusBadRequest, "Desired 'level' parameter was not specified in request.")
		return
	}
	level, ok := workers.ParseLogLevel(*raw)
	if !ok {
		writeError(w, http.StatusNotFound, "invalid log level '"+*raw+"'.")
		return
	}
	scope := strings.ToLower(r.URL.Query().Get("scope"))
	if scope != "" && scope != "worker" && scope != "cluster" {
		s.log.Warn("Received invalid scope in request to adjust logging level; will default to worker", "scope", scope)
		scope = "worker"
	}
	affected := s.opts.Loggers.SetLevel(name, level)
	if scope == "cluster" {
		// Standalone: the cluster is this worker.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if affected == nil {
		affected = []string{}
	}
	writeJSON(w, http.StatusOK, affected)
}

func pathEscape(s string) string { return url.PathEscape(s) }
