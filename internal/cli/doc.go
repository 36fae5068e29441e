// Package cli implements the runnel command line: a bundled broker and
// tools that mirror Apache Kafka's bin/kafka-*.sh scripts (topics,
// console producer and consumer, consumer groups), spelled the way Kafka
// users already type them. Every Kafka conversation goes through franz-go.
//
// Commands take their input and output streams from cobra so that tests
// can run the whole command tree in-process.
package cli
