package streams

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// ErrStateDirLocked is returned by Run when another running instance uses
// the same state.dir and application.id.
var ErrStateDirLocked = errors.New("state directory is in use by another instance of the application")

const stateLockFile = ".lock"

// taskDirPattern matches task directory names ("0_3").
var taskDirPattern = regexp.MustCompile(`^[0-9]+_[0-9]+$`)

// stateDirectory is <state.dir>/<application.id>, held with an exclusive
// flock for as long as the instance runs. The kernel drops the lock when
// the process dies, so a kill -9 never leaves it stale.
type stateDirectory struct {
	path string
	lock *os.File
}

func openStateDirectory(stateDir, applicationID string) (*stateDirectory, error) {
	path := filepath.Join(stateDir, applicationID)
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(path, stateLockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening state directory lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s (give each instance its own state.dir)", ErrStateDirLocked, path)
		}
		return nil, fmt.Errorf("locking state directory %s: %w", path, err)
	}
	return &stateDirectory{path: path, lock: f}, nil
}

func (d *stateDirectory) release() {
	if d == nil || d.lock == nil {
		return
	}
	syscall.Flock(int(d.lock.Fd()), syscall.LOCK_UN)
	d.lock.Close()
	d.lock = nil
}

// cleanObsolete removes the directories of tasks this instance does not
// run and that nobody touched for longer than delay (Kafka's
// state.cleanup.delay.ms cleaner). It returns the removed task names.
func (d *stateDirectory) cleanObsolete(owned func(name string) bool, delay time.Duration, now time.Time) ([]string, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !taskDirPattern.MatchString(e.Name()) || owned(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < delay {
			continue
		}
		if err := os.RemoveAll(filepath.Join(d.path, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}
