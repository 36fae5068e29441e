package rest

import (
	"context"
	"net/http"
	"strconv"
)

// handler builds the mux for one listener: main carries the Connect API,
// admin the /admin endpoints.
func (s *Server) handler(main, admin bool) http.Handler {
	mux := http.NewServeMux()
	if main {
		mux.HandleFunc("GET /{$}", s.serverInfo)
		mux.HandleFunc("GET /health", s.health)

		mux.HandleFunc("GET /connectors", s.listConnectors)
		mux.HandleFunc("POST /connectors", s.createConnector)
		mux.HandleFunc("GET /connectors/{name}", s.getConnector)
		mux.HandleFunc("DELETE /connectors/{name}", s.deleteConnector)
		mux.HandleFunc("GET /connectors/{name}/config", s.getConfig)
		mux.HandleFunc("PUT /connectors/{name}/config", s.putConfig)
		mux.HandleFunc("PATCH /connectors/{name}/config", s.patchConfig)
		mux.HandleFunc("GET /connectors/{name}/status", s.getStatus)
		mux.HandleFunc("GET /connectors/{name}/tasks", s.getTasks)
		mux.HandleFunc("GET /connectors/{name}/tasks-config", s.getTasksConfig)
		mux.HandleFunc("GET /connectors/{name}/tasks/{task}/status", s.getTaskStatus)
		mux.HandleFunc("POST /connectors/{name}/restart", s.restartConnector)
		mux.HandleFunc("POST /connectors/{name}/tasks/{task}/restart", s.restartTask)
		mux.HandleFunc("PUT /connectors/{name}/pause", s.pause)
		mux.HandleFunc("PUT /connectors/{name}/resume", s.resume)
		mux.HandleFunc("PUT /connectors/{name}/stop", s.stop)
		mux.HandleFunc("GET /connectors/{name}/topics", s.getTopics)
		mux.HandleFunc("PUT /connectors/{name}/topics/reset", s.resetTopics)
		mux.HandleFunc("GET /connectors/{name}/offsets", s.getOffsets)
		mux.HandleFunc("PATCH /connectors/{name}/offsets", s.alterOffsets)
		mux.HandleFunc("DELETE /connectors/{name}/offsets", s.resetOffsets)

		mux.HandleFunc("GET /connector-plugins", s.listPlugins)
		mux.HandleFunc("GET /connector-plugins/{plugin}/config", s.pluginConfig)
		mux.HandleFunc("PUT /connector-plugins/{plugin}/config/validate", s.validate)
	}
	if admin && s.opts.Loggers != nil {
		mux.HandleFunc("GET /admin/loggers", s.listLoggers)
		mux.HandleFunc("GET /admin/loggers/{logger}", s.getLogger)
		mux.HandleFunc("PUT /admin/loggers/{logger}", s.setLogger)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern == "" {
			// ServeMux's own 404/405/redirect: keep its status and Allow
			// header but answer in Kafka's JSON error format.
			rec := &statusRecorder{header: http.Header{}, status: http.StatusOK}
			h.ServeHTTP(rec, r)
			for k, v := range rec.header {
				if k != "Content-Type" && k != "Content-Length" && k != "X-Content-Type-Options" {
					w.Header()[k] = v
				}
			}
			if rec.status >= 300 && rec.status < 400 {
				w.WriteHeader(rec.status)
				return
			}
			writeError(w, rec.status, "HTTP "+strconv.Itoa(rec.status)+" "+http.StatusText(rec.status))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
		defer cancel()
		mux.ServeHTTP(w, r.WithContext(ctx)) // sets the path values

	})
}
