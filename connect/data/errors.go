package data

import (
	"errors"
	"fmt"
)

// ErrData is matched (errors.Is) by every error this package reports about
// values that do not fit a schema or schemas that are malformed. It is the
// analogue of Kafka's DataException.
var ErrData = errors.New("connect data error")

// DataError is an error about Connect data. Its message is self-contained.
type DataError struct {
	Msg string // the full message, including any cause's text
	Err error  // optional cause, for errors.Is/As
}

func (e *DataError) Error() string { return e.Msg }

// Unwrap returns the cause.
func (e *DataError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrData) true for every DataError.
func (e *DataError) Is(target error) bool { return target == ErrData }

// Errorf builds a DataError; a %w verb sets its cause.
func Errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &DataError{Msg: err.Error(), Err: errors.Unwrap(err)}
}
