package transforms

import "github.com/runnel-dev/runnel/connect"

// Transformation is a single message transformation (Kafka's
// org.apache.kafka.connect.transforms.Transformation). Configure is called
// once before Apply; Apply returns a new record, the same record, or nil to
// drop it. A configured Transformation may be used from one goroutine at a
// time per chain; the built-ins are safe for concurrent use.
type Transformation interface {
	Configure(props map[string]string) error
	Apply(r *Record) (*Record, error)
	// Config describes the configuration keys (for validation and REST).
	Config() *connect.ConfigDef
}

// Predicate decides whether a transformation applies to a record (Kafka's
// org.apache.kafka.connect.transforms.predicates.Predicate).
type Predicate interface {
	Configure(props map[string]string) error
	Test(r *Record) (bool, error)
	Config() *connect.ConfigDef
}

// Closer is implemented by transformations and predicates that hold
// resources; Chain.Close calls it.
type Closer interface {
	Close() error
}
