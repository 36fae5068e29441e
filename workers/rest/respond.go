package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/runnel-dev/runnel/workers"
)

// errorMessage is Kafka's ErrorMessage body; error_code equals the status.
type errorMessage struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encoding response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(errorMessage{ErrorCode: status, Message: msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// respond writes body as a 200 JSON response, or err as Kafka's error
// body: the common ending of a handler that asks the herder one thing.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, body any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// fail maps a herder error to Kafka's status code and body.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := workers.StatusCode(err)
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		status, msg = http.StatusInternalServerError, "Request timed out"
	}
	if status >= 500 {
		s.log.Warn("REST request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", msg)
	}
	writeError(w, status, msg)
}

// decodeBody reads a JSON body into v; a missing or malformed body is a
// 400 that says what was expected.
func decodeBody(r *http.Request, v any, what string) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return &workers.HTTPError{Code: http.StatusBadRequest, Msg: "reading request body: " + err.Error()}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return &workers.HTTPError{Code: http.StatusBadRequest, Msg: "Request body is required: expected " + what}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &workers.HTTPError{Code: http.StatusBadRequest, Msg: fmt.Sprintf("Cannot parse request body as %s: %v", what, err)}
	}
	return nil
}

// statusRecorder captures what ServeMux's built-in 404/405 handlers write,
// so they can be rewritten as Kafka-style JSON errors.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(code int)        { r.status = code }
