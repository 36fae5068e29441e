package workers

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/connect"
)

type countingReporter struct{ n int }

func (r *countingReporter) report(context.Context, *failure) error { r.n++; return nil }

func TestErrorPolicyRetriesTransientErrorsWithinTimeout(t *testing.T) {
	rep := &countingReporter{}
	p := &errorPolicy{retryTimeout: 5 * time.Second, maxDelay: time.Second, reporters: []errorReporter{rep}, log: slog.New(slog.DiscardHandler)}
	attempts := 0
	start := time.Now()
	skip, err := p.execute(context.Background(), failure{stage: StageValueConverter}, func() error {
		attempts++
		if attempts < 3 {
			return connect.Retriable(errors.New("broker busy"))
		}
		return nil
	})
	if skip || err != nil || attempts != 3 || rep.n != 0 {
		t.Fatalf("skip=%v err=%v attempts=%d reports=%d", skip, err, attempts, rep.n)
	}
	if d := time.Since(start); d < 300*time.Millisecond+600*time.Millisecond-50*time.Millisecond {
		t.Fatalf("backoff too short: %v (want 300ms then 600ms)", d)
	}
}

func TestErrorPolicyToleranceAndTimeout(t *testing.T) {
	rep := &countingReporter{}
	none := &errorPolicy{retryTimeout: 0, maxDelay: time.Second, reporters: []errorReporter{rep}, log: slog.New(slog.DiscardHandler)}
	attempts := 0
	_, err := none.execute(context.Background(), failure{stage: StageKeyConverter}, func() error {
		attempts++
		return connect.Retriable(errors.New("still busy"))
	})
	if !errors.Is(err, errToleranceExceeded) || attempts != 1 || rep.n != 1 {
		t.Fatalf("errors.retry.timeout=0 must not retry, must report and fail: err=%v attempts=%d reports=%d", err, attempts, rep.n)
	}
	all := &errorPolicy{retryTimeout: 200 * time.Millisecond, maxDelay: 50 * time.Millisecond, tolerateAll: true, reporters: []errorReporter{rep}, log: slog.New(slog.DiscardHandler)}
	attempts = 0
	skip, err := all.execute(context.Background(), failure{stage: StageTransformation}, func() error {
		attempts++
		return connect.Retriable(errors.New("never recovers"))
	})
	if !skip || err != nil || attempts < 3 || rep.n != 2 {
		t.Fatalf("tolerance=all: skip=%v err=%v attempts=%d reports=%d", skip, err, attempts, rep.n)
	}
	for i := 0; i < 40; i++ {
		if d := all.backoff(i); d < 0 || d > 50*time.Millisecond {
			t.Fatalf("backoff(%d)=%v exceeds errors.retry.delay.max.ms", i, d)
		}
	}
}
