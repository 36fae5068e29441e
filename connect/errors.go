package connect

import "errors"

// retriableError marks an error as transient: the runtime retries the
// operation (with backoff, within errors.retry.timeout) instead of failing.
type retriableError struct{ err error }

func (e retriableError) Error() string { return e.err.Error() }
func (e retriableError) Unwrap() error { return e.err }

// Retriable wraps err so that IsRetriable reports true, like Kafka's
// RetriableException.
func Retriable(err error) error {
	if err == nil {
		return nil
	}
	return retriableError{err}
}

// IsRetriable reports whether err, or an error it wraps, was marked with
// Retriable.
func IsRetriable(err error) bool {
	var r retriableError
	return errors.As(err, &r)
}
