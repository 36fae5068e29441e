package workers

import (
	"sort"
	"sync"
)

// statusStore holds the current state of connectors and tasks, and the
// topics each connector has used (topic tracking). Reads never wait for
// herder operations, so status endpoints answer even while a connector is
// slow to start or stop.
type statusStore struct {
	mu         sync.RWMutex
	workerID   string
	connectors map[string]ConnectorState
	tasks      map[ConnectorTaskID]TaskState
	topics     map[string]map[string]bool
}

func newStatusStore(workerID string) *statusStore {
	return &statusStore{
		workerID:   workerID,
		connectors: map[string]ConnectorState{},
		tasks:      map[ConnectorTaskID]TaskState{},
		topics:     map[string]map[string]bool{},
	}
}

func (s *statusStore) putConnector(name, state, trace string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connectors[name] = ConnectorState{State: state, WorkerID: s.workerID, Trace: trace}
}

func (s *statusStore) putTask(id ConnectorTaskID, state, trace string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks[id] = TaskState{ID: id.Task, State: state, WorkerID: s.workerID, Trace: trace}
}

func (s *statusStore) connector(name string) (ConnectorState, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.connectors[name]
	return st, ok
}

func (s *statusStore) task(id ConnectorTaskID) (TaskState, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.tasks[id]
	return st, ok
}

// connectorTasks returns the task states of a connector sorted by id.
func (s *statusStore) connectorTasks(name string) []TaskState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []TaskState{}
	for id, st := range s.tasks {
		if id.Connector == name {
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// removeTasks forgets the tasks of name with id >= from.
func (s *statusStore) removeTasks(name string, from int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.tasks {
		if id.Connector == name && id.Task >= from {
			delete(s.tasks, id)
		}
	}
}

// removeConnector forgets a deleted connector (its tasks and topics too).
func (s *statusStore) removeConnector(name string) {
	s.removeTasks(name, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.connectors, name)
	delete(s.topics, name)
}

func (s *statusStore) addTopic(connector, topic string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.topics[connector]
	if set == nil {
		set = map[string]bool{}
		s.topics[connector] = set
	}
	set[topic] = true
}

func (s *statusStore) activeTopics(connector string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []string{}
	for t := range s.topics[connector] {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func (s *statusStore) resetTopics(connector string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.topics, connector)
}
