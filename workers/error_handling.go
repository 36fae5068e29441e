package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Stage names where a record can fail, as Kafka's errors.Stage; they appear
// in logs and in the __connect.errors.stage DLQ header.
type Stage string

// Stages.
const (
	StageTaskPoll        Stage = "TASK_POLL"
	StageTaskPut         Stage = "TASK_PUT"
	StageKeyConverter    Stage = "KEY_CONVERTER"
	StageValueConverter  Stage = "VALUE_CONVERTER"
	StageHeaderConverter Stage = "HEADER_CONVERTER"
	StageTransformation  Stage = "TRANSFORMATION"
	StageKafkaProduce    Stage = "KAFKA_PRODUCE"
	StageKafkaConsume    Stage = "KAFKA_CONSUME"
)

// retryMinDelay is the first retry delay; it doubles per attempt up to
// errors.retry.delay.max.ms (Kafka's RETRIES_DELAY_MIN_MS).
const retryMinDelay = 300 * time.Millisecond

// errToleranceExceeded wraps the error that failed a task under
// errors.tolerance=none, with Kafka's message.
var errToleranceExceeded = errors.New("Tolerance exceeded in error handler")

// failure describes one failed operation on one record, for reporters.
type failure struct {
	stage Stage
	class string // the executing plugin's class name
	err   error
	// Exactly one of consumed (sink) or source is set.
	consumed *kgo.Record
	source   *connect.SourceRecord
}

// errorReporter receives every failed record (log, dead letter queue).
type errorReporter interface {
	report(ctx context.Context, f *failure) error
}

// errorPolicy is Kafka's RetryWithToleranceOperator: it retries retriable
// errors with backoff within errors.retry.timeout, reports every failure,
// and either skips the record (errors.tolerance=all) or fails the task.
type errorPolicy struct {
	retryTimeout time.Duration // < 0: forever
	maxDelay     time.Duration
	tolerateAll  bool
	reporters    []errorReporter
	log          *slog.Logger
}

func newErrorPolicy(cfg *connect.Config, log *slog.Logger) *errorPolicy {
	return &errorPolicy{
		retryTimeout: time.Duration(cfg.Long(ErrorsRetryTimeoutConfig)) * time.Millisecond,
		maxDelay:     time.Duration(cfg.Long(ErrorsRetryMaxDelayConfig)) * time.Millisecond,
		tolerateAll:  cfg.String(ErrorsToleranceConfig) == "all",
		log:          log,
	}
}

// execute runs op for a record at stage. It returns skip=true when the
// record failed and is tolerated (the caller drops it), and an error when
// the task must fail.
func (p *errorPolicy) execute(ctx context.Context, f failure, op func() error) (skip bool, err error) {
	err = p.retry(ctx, op)
	if err == nil {
		return false, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	f.err = err
	for _, r := range p.reporters {
		if rerr := r.report(ctx, &f); rerr != nil {
			return false, fmt.Errorf("reporting a failed record at stage %s: %w", f.stage, rerr)
		}
	}
	if !p.tolerateAll {
		return false, fmt.Errorf("%w: stage %s: %w", errToleranceExceeded, f.stage, err)
	}
	return true, nil
}

// retry runs op, retrying retriable errors until the retry timeout.
func (p *errorPolicy) retry(ctx context.Context, op func() error) error {
	var deadline time.Time
	if p.retryTimeout >= 0 {
		deadline = time.Now().Add(p.retryTimeout)
	}
	for attempt := 0; ; attempt++ {
		err := op()
		if err == nil || !connect.IsRetriable(err) {
			return err
		}
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			return err
		}
		delay := p.backoff(attempt)
		if !deadline.IsZero() && now.Add(delay).After(deadline) {
			delay = deadline.Sub(now)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// backoff is 300ms doubling per attempt; past errors.retry.delay.max.ms it
// is a random delay below the maximum (jitter, as Kafka).
func (p *errorPolicy) backoff(attempt int) time.Duration {
	d := retryMinDelay << min(attempt, 30)
	if d > p.maxDelay || d <= 0 {
		if p.maxDelay <= 0 {
			return 0
		}
		return time.Duration(rand.Int64N(int64(p.maxDelay)))
	}
	return d
}

// errorClassName is what the DLQ header and the log call the error's
// class: Kafka's exception classes for the kinds Runnel distinguishes.
func errorClassName(err error) string {
	switch {
	case connect.IsRetriable(err):
		return "org.apache.kafka.connect.errors.RetriableException"
	case errors.Is(err, data.ErrData):
		return "org.apache.kafka.connect.errors.DataException"
	}
	return "org.apache.kafka.connect.errors.ConnectException"
}

// recover handles an operation that already failed once with err: it
// retries retriable errors, then reports and tolerates or fails as execute.
func (p *errorPolicy) recover(ctx context.Context, f failure, err error, op func() error) (skip bool, ferr error) {
	if connect.IsRetriable(err) {
		return p.execute(ctx, f, op)
	}
	return p.execute(ctx, f, func() error { return err })
}
