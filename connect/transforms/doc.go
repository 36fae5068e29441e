// Package transforms holds Kafka Connect's single message transformations
// (SMTs) and predicates, with Kafka's class names, config keys and
// behaviour, and builds a connector's transformation chain from its
// "transforms" / "predicates" configuration.
//
// Transformations work on Record, a small record view the worker adapts its
// source and sink records to. A transformation never modifies the record it
// is given: it returns a new one, the same one (no change) or nil (drop).
// Failures are returned as errors (never panics) so the worker can apply
// errors.tolerance and route the record to a dead letter queue.
package transforms
