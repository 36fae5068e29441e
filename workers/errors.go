package workers

import (
	"errors"
	"fmt"
	"net/http"
)

// HTTPError is an error the REST API returns with a specific status code
// (Kafka's ConnectRestException, NotFoundException, AlreadyExistsException,
// BadRequestException). Other errors become 500, as in Kafka.
type HTTPError struct {
	Code int
	Msg  string
}

func (e *HTTPError) Error() string { return e.Msg }

// StatusCode returns the HTTP status to report for err.
func StatusCode(err error) int {
	var h *HTTPError
	if errors.As(err, &h) {
		return h.Code
	}
	return http.StatusInternalServerError
}

func notFound(format string, args ...any) error {
	return &HTTPError{Code: http.StatusNotFound, Msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &HTTPError{Code: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) error {
	return &HTTPError{Code: http.StatusConflict, Msg: fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &HTTPError{Code: http.StatusForbidden, Msg: fmt.Sprintf(format, args...)}
}

func connectorNotFound(name string) error {
	return notFound("Connector %s not found", name)
}
