// Package topology builds Processor API topologies and runs them as tasks.
//
// # Task contract (shared by the streams runtime and streamstest)
//
//	t, err := topology.NewBuilder().AddSource(...).AddProcessor(...).AddSink(...).Build()
//
//	task, err := topology.NewTask(t, topology.TaskID{Subtopology: 0, Partition: 3}, topology.TaskEnv{
//	    ApplicationID: "app",
//	    Sink:          sink,      // RecordSink: Send(topic, partition /* -1 = default partitioner */, key, value, tsMs, headers) error; Partitions(topic) (int32, error)
//	    StateDir:      dir,       // task dir = dir/app/0_3
//	    Logger:        logger,    // nil = slog.Default()
//	    WallClock:     nowMs,     // nil = time.Now
//	    BuildStore:    nil,       // hook: func(TaskID, state.StoreBuilder) (state.StateStore, error)
//	    GlobalStore:   nil,       // func(name) (state.StateStore, bool)
//	})
//	err = task.InitStores(ctx)          // opens stores; they register restore callbacks
//	for _, c := range task.Changelogs() { /* replay c.Topic partition c.Partition into c.Restore */ }
//	err = task.InitProcessors(ctx)      // (Init(ctx) = InitStores + InitProcessors)
//	err = task.Process(ctx, topology.RawRecord{Topic, Partition, Offset, Key, Value, TimestampMs, Headers})
//	    // *DeserializationError: task untouched, apply the deserialization handler
//	    // *ProcessingError (node, topic, partition, offset): fail the task
//	err = task.PunctuateWallClock(nowMs)
//	if task.CommitNeeded() || task.CommitRequested() { err = task.Flush(ctx); /* commit offsets */ }
//	task.StreamTime(); task.Store(name); task.SourceTopics(); task.ReadsTopic(topic)
//	err = task.Close(ctx)               // closes processors, flushes and closes stores
//
//	g, err := topology.NewGlobalTask(t, env) // nil, nil without global stores; feed it
//	    // the global topics with g.Process and give regular tasks
//	    // env.GlobalStore = func(name) (state.StateStore, bool) { s := g.Store(name); return s, s != nil }
//
// A task is driven by one goroutine. Process updates stream time (the
// largest timestamp seen) before forwarding, and afterwards runs the
// stream-time punctuators that are due, each once, with the stream time.
// Topic names the task sees and sends to are full names: internal topics
// (AddInternalTopic) are "<application.id>-<name>", changelogs are
// "<application.id>-<store>-changelog". Topology.Subtopologies,
// InternalTopics, CopartitionGroups and GlobalStores describe what the
// runtime must subscribe to and create.
//
// # Building
//
// Builder mirrors Kafka's Topology: AddSource, AddProcessor, AddSink,
// AddStateStore, ConnectProcessorAndStateStores, AddGlobalStore,
// AddInternalTopic. Nodes are typed (Source[K,V], Sink[K,V], processors from
// Supply or ProcessFunc); Build checks names, parents, cycles, sinks with
// children, store connections and that each child accepts its parents'
// key and value types. Sub-topologies are the connected parts of the graph
// (processors sharing a store are connected); Describe prints Kafka's
// Topology#describe() text.
package topology
