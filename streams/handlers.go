package streams

import (
	"log/slog"
	"strings"
)

// ErrorContext describes the input record being handled when an error
// occurred, as Kafka's ErrorHandlerContext.
type ErrorContext struct {
	// TaskID is "<subtopology>_<partition>".
	TaskID    string
	Topic     string
	Partition int32
	Offset    int64
	// Timestamp is the record timestamp in milliseconds since the epoch.
	Timestamp int64
	Key       []byte
	Value     []byte
	Headers   []Header
}

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// DeserializationResponse tells the runtime what to do with a record that
// failed to deserialize.
type DeserializationResponse int

const (
	// DeserializationContinue skips the record; its offset is committed.
	DeserializationContinue DeserializationResponse = iota
	// DeserializationFail stops the stream thread with the error.
	DeserializationFail
)

// DeserializationExceptionHandler is Kafka's
// deserialization.exception.handler. The built-in handlers also write the
// record to Config.DeadLetterQueueTopic when it is set (KIP-1034).
type DeserializationExceptionHandler interface {
	HandleDeserializationError(log *slog.Logger, ec ErrorContext, err error) DeserializationResponse
}

// DeserializationHandlerFunc adapts a function to DeserializationExceptionHandler.
type DeserializationHandlerFunc func(log *slog.Logger, ec ErrorContext, err error) DeserializationResponse

// HandleDeserializationError calls f.
func (f DeserializationHandlerFunc) HandleDeserializationError(log *slog.Logger, ec ErrorContext, err error) DeserializationResponse {
	return f(log, ec, err)
}

// LogAndContinue logs the failed record and skips it
// (LogAndContinueExceptionHandler).
var LogAndContinue DeserializationExceptionHandler = logAndContinue{}

// LogAndFail logs the failed record and fails the stream thread
// (LogAndFailExceptionHandler, Kafka's default).
var LogAndFail DeserializationExceptionHandler = logAndFail{}

type logAndContinue struct{}

func (logAndContinue) HandleDeserializationError(log *slog.Logger, ec ErrorContext, err error) DeserializationResponse {
	log.Warn("skipping record that failed to deserialize", "task", ec.TaskID,
		"topic", ec.Topic, "partition", ec.Partition, "offset", ec.Offset, "error", err)
	return DeserializationContinue
}

type logAndFail struct{}

func (logAndFail) HandleDeserializationError(log *slog.Logger, ec ErrorContext, err error) DeserializationResponse {
	log.Error("record failed to deserialize; failing the stream thread", "task", ec.TaskID,
		"topic", ec.Topic, "partition", ec.Partition, "offset", ec.Offset, "error", err)
	return DeserializationFail
}

// ProductionResponse tells the runtime what to do after a record could not
// be produced.
type ProductionResponse int

const (
	// ProductionFail stops the stream thread; the failed record's input
	// is not committed, so it is processed again after a restart.
	ProductionFail ProductionResponse = iota
	// ProductionContinue drops the output record and carries on.
	ProductionContinue
)

// ProductionError describes an output record that could not be produced.
type ProductionError struct {
	TaskID    string
	Topic     string
	Partition int32
	Key       []byte
	Value     []byte
	Timestamp int64
}

// ProductionExceptionHandler is Kafka's production.exception.handler.
type ProductionExceptionHandler interface {
	HandleProductionError(log *slog.Logger, pe ProductionError, err error) ProductionResponse
}

// ProductionHandlerFunc adapts a function to ProductionExceptionHandler.
type ProductionHandlerFunc func(log *slog.Logger, pe ProductionError, err error) ProductionResponse

// HandleProductionError calls f.
func (f ProductionHandlerFunc) HandleProductionError(log *slog.Logger, pe ProductionError, err error) ProductionResponse {
	return f(log, pe, err)
}

// FailOnProductionError fails the stream thread on any production error
// (DefaultProductionExceptionHandler).
var FailOnProductionError ProductionExceptionHandler = failOnProduction{}

// ContinueOnProductionError logs the failed output record and drops it.
var ContinueOnProductionError ProductionExceptionHandler = continueOnProduction{}

type failOnProduction struct{}

func (failOnProduction) HandleProductionError(log *slog.Logger, pe ProductionError, err error) ProductionResponse {
	log.Error("record could not be produced; failing the stream thread", "task", pe.TaskID,
		"topic", pe.Topic, "partition", pe.Partition, "error", err)
	return ProductionFail
}

type continueOnProduction struct{}

func (continueOnProduction) HandleProductionError(log *slog.Logger, pe ProductionError, err error) ProductionResponse {
	log.Warn("dropping record that could not be produced", "task", pe.TaskID,
		"topic", pe.Topic, "partition", pe.Partition, "error", err)
	return ProductionContinue
}

// ThreadExceptionResponse is what an UncaughtExceptionHandler decides
// after a stream thread failed (StreamsUncaughtExceptionHandler).
type ThreadExceptionResponse int

const (
	// ShutdownClient stops this App: Run returns the error and the state
	// goes PENDING_ERROR then ERROR. Kafka's default.
	ShutdownClient ThreadExceptionResponse = iota
	// ReplaceThread abandons the failed thread's uncommitted work and
	// starts a new thread that resumes its tasks from their last commit.
	ReplaceThread
)

// UncaughtExceptionHandler decides how the App reacts to a failed stream
// thread.
type UncaughtExceptionHandler func(err error) ThreadExceptionResponse

// deserializationHandlerByName resolves a handler name from a properties
// file: the Kafka class name (with or without package) or a short name.
func deserializationHandlerByName(name string) (DeserializationExceptionHandler, bool) {
	switch simpleClassName(name) {
	case "logandcontinueexceptionhandler", "logandcontinue", "log_and_continue", "log-and-continue", "continue":
		return LogAndContinue, true
	case "logandfailexceptionhandler", "logandfail", "log_and_fail", "log-and-fail", "fail":
		return LogAndFail, true
	}
	return nil, false
}

func productionHandlerByName(name string) (ProductionExceptionHandler, bool) {
	switch simpleClassName(name) {
	case "defaultproductionexceptionhandler", "fail":
		return FailOnProductionError, true
	case "continue", "logandcontinue", "log_and_continue", "log-and-continue",
		"logandcontinueproductionexceptionhandler":
		return ContinueOnProductionError, true
	}
	return nil, false
}

func simpleClassName(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	return strings.ToLower(name)
}
