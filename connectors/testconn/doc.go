// Package testconn holds connectors for testing Connect runtimes.
//
// SequenceSource emits the numbers 0, 1, 2... (key and value int64) at a
// configurable rate, up to a count, resuming after the last committed
// number; it can be told to fail at a number (once, with a marker file) or
// to emit a malformed record (a value that does not match its schema).
//
// RecordingSink remembers what it received, in a Recorder shared with the
// test or in a file; it can be told to fail or to ask for redelivery.
package testconn
