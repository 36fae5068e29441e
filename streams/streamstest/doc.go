// Package streamstest runs a topology without a broker, as Kafka's
// TopologyTestDriver does, for fast deterministic tests.
//
// The Driver runs every sub-topology in one task on partition 0. Each piped
// record is processed, then the stream-time punctuators that became due
// run, then the task commits (stores are flushed). Records the topology
// writes to a topic it also reads (repartition topics) are fed back in, in
// order, before the next input record. Stream time comes from record
// timestamps; wall-clock punctuators run only when the test calls
// AdvanceWallClockTime. Global stores are fed from their topics.
//
//	d, err := streamstest.New(topo)
//	in := streamstest.CreateInputTopic(d, "input", serde.String(), serde.String())
//	out := streamstest.CreateOutputTopic(d, "output", serde.String(), serde.Int64())
//	err = in.PipeInput("k", "hello")
//	kv, err := out.ReadKeyValue()
package streamstest
