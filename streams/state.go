package streams

import "sync"

// State is the lifecycle state of an App, as KafkaStreams.State.
type State int

const (
	// Created: New returned; Run not called yet.
	Created State = iota
	// Rebalancing: joining the group or moving tasks.
	Rebalancing
	// Running: all assigned tasks are processing.
	Running
	// PendingShutdown: Run's context was cancelled or Close was called;
	// tasks are being flushed and committed.
	PendingShutdown
	// NotRunning: stopped cleanly.
	NotRunning
	// PendingError: a fatal error happened; the App is shutting down.
	PendingError
	// Error: stopped after a fatal error.
	Error
)

var stateNames = [...]string{"CREATED", "REBALANCING", "RUNNING", "PENDING_SHUTDOWN", "NOT_RUNNING", "PENDING_ERROR", "ERROR"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "UNKNOWN"
}

// IsRunningOrRebalancing reports whether the App is processing or about to.
func (s State) IsRunningOrRebalancing() bool { return s == Running || s == Rebalancing }

// validTransition mirrors KafkaStreams.State's transition table.
func validTransition(from, to State) bool {
	switch from {
	case Created:
		return to == Rebalancing || to == PendingShutdown
	case Rebalancing:
		return to == Running || to == PendingShutdown || to == PendingError
	case Running:
		return to == Rebalancing || to == Running || to == PendingShutdown || to == PendingError
	case PendingShutdown:
		return to == NotRunning
	case PendingError:
		return to == Error
	}
	return false
}

// stateMachine holds the App state and calls the listener on changes.
// Listener calls are serialized and made without holding the state lock,
// so a listener may call App.State.
type stateMachine struct {
	mu       sync.Mutex
	state    State
	listener func(old, new State)
	notifyMu sync.Mutex // orders listener calls
	changed  chan struct{}
}

func newStateMachine() *stateMachine {
	return &stateMachine{changed: make(chan struct{})}
}

func (m *stateMachine) get() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

func (m *stateMachine) setListener(fn func(old, new State)) {
	m.mu.Lock()
	m.listener = fn
	m.mu.Unlock()
}

// transition moves to the new state if the table allows it and reports
// whether it did.
func (m *stateMachine) transition(to State) bool {
	m.notifyMu.Lock()
	defer m.notifyMu.Unlock()
	m.mu.Lock()
	from := m.state
	if !validTransition(from, to) {
		m.mu.Unlock()
		return false
	}
	m.state = to
	listener := m.listener
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
	if listener != nil && from != to {
		listener(from, to)
	}
	return true
}

// wait returns a channel closed at the next state change, and the current
// state.
func (m *stateMachine) wait() (State, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state, m.changed
}
