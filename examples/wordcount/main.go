// Command wordcount is Kafka's WordCountDemo on Runnel's DSL: it counts
// the words of the lines in an input topic and writes every word's new
// count to an output topic.
//
// Two modes:
//
//	wordcount -demo [-file examples/data/sample.txt | -file -] [--bootstrap-server host:port]
//
// starts the bundled broker in-process (data under .demo/wordcount), feeds
// it the text, runs the app, prints the counts as they change and exits
// once every word has its final count. With --bootstrap-server it uses that
// Kafka cluster instead of the bundled broker.
//
//	wordcount -brokers host:port -state dir -group id -input topic -output topic
//
// is the benchmark harness's app (shared/bench/wordcount): it splits lines
// on spaces, writes counts as decimal text and runs until SIGTERM.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
	"github.com/runnel-dev/runnel/streams"
)

func main() {
	demo := flag.Bool("demo", false, "run the self-contained demo")
	file := flag.String("file", "examples/data/sample.txt", "demo: text to count, '-' for stdin")
	bootstrap := flag.String("bootstrap-server", "", "demo: use this Kafka cluster instead of the bundled broker")
	dataDir := flag.String("data-dir", ".demo/wordcount", "demo: where the bundled broker and the app keep their data (wiped at start)")
	brokers := flag.String("brokers", "", "comma-separated bootstrap servers")
	stateDir := flag.String("state", "", "state directory")
	group := flag.String("group", ApplicationID, "application id (consumer group, internal topic prefix)")
	input := flag.String("input", InputTopic, "input topic")
	output := flag.String("output", OutputTopic, "output topic")
	threads := flag.Int("threads", runtime.NumCPU(), "stream threads (num.stream.threads): one per core by default, so the word count uses every core")
	commit := flag.Duration("commit-interval", 200*time.Millisecond, "commit.interval.ms: how often counts are flushed from the record cache to the store, changelog and output (a shorter interval shows final counts sooner, a longer one coalesces more updates)")
	maxPoll := flag.Int("max-poll-records", streams.DefaultMaxPollRecords, "max.poll.records: records taken per poll")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile (pprof) to this file until exit")
	traceFile := flag.String("trace", "", "write a Go execution trace (go tool trace) to this file until exit")
	memProfile := flag.String("memprofile", "", "write an allocation profile (pprof) to this file at exit")
	flag.Parse()

	if *cpuProfile != "" {
		stopProfile, err := startRecording(*cpuProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wordcount:", err)
			os.Exit(1)
		}
		defer stopProfile()
	}

	if *memProfile != "" {
		defer writeMemProfile(*memProfile)
	}

	if *traceFile != "" {
		stopTrace, err := startRecording(*traceFile, trace.Start, trace.Stop)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wordcount:", err)
			os.Exit(1)
		}
		defer stopTrace()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case *demo:
		err = runDemo(ctx, demoConfig{file: *file, bootstrap: *bootstrap, dataDir: *dataDir, out: os.Stdout})
	case *brokers != "":
		err = runBench(ctx, benchConfig{brokers: *brokers, stateDir: *stateDir, group: *group, input: *input, output: *output, threads: *threads, commit: *commit, maxPoll: *maxPoll})
	default:
		fmt.Fprintln(os.Stderr, "wordcount: give -demo, or -brokers (with -state -group -input -output) to run against a cluster")
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		stop()
		os.Exit(1) //nolint:gocritic // the profile is not worth keeping after a failure
	}
}

// startRecording creates path and runs start on it (a CPU profile, an
// execution trace); the returned stop ends the recording and closes the file.
func startRecording(path string, start func(io.Writer) error, end func()) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		end()
		f.Close()
	}, nil
}

func writeMemProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount: writing the allocation profile:", err)
	}
}

type benchConfig struct {
	brokers, stateDir, group, input, output string
	threads                                 int
	commit                                  time.Duration
	maxPoll                                 int
}

// runBench is the harness's app: split on spaces, count in a persistent,
// change-logged, cached store, write decimal counts, stop on SIGTERM. With
// the record cache, each commit writes a word's count once however often
// it changed.
func runBench(ctx context.Context, c benchConfig) error {
	topo, err := NewTopology(Options{
		Input: c.input, Output: c.output, Split: SplitSpaces, CountSerde: DecimalCount(),
	})
	if err != nil {
		return err
	}
	app, err := streams.New(topo, streams.Config{
		ApplicationID:    c.group,
		BootstrapServers: strings.Split(c.brokers, ","),
		StateDir:         c.stateDir,
		NumStreamThreads: c.threads,
		CommitInterval:   c.commit,
		MaxPollRecords:   c.maxPoll,
		// Millisecond timestamps show where start-up time goes.
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		return err
	}
	return app.Run(ctx)
}

type demoConfig struct {
	file, bootstrap, dataDir string
	out                      io.Writer
	logger                   *slog.Logger // nil: warnings and errors to stderr
}

// runDemo runs WordCountDemo end to end and prints the counts as they
// change, then stops once every word of the input has its final count.
func runDemo(ctx context.Context, c demoConfig) error {
	lines, err := readLines(c.file)
	if err != nil {
		return err
	}
	logger := c.logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if err := os.RemoveAll(c.dataDir); err != nil {
		return fmt.Errorf("cleaning %s: %w", c.dataDir, err)
	}
	addr := c.bootstrap
	appID := ApplicationID
	if addr == "" {
		b, err := broker.Start(ctx, broker.Config{DataDir: filepath.Join(c.dataDir, "broker"), AutoCreateTopics: true, Logger: logger})
		if err != nil {
			return fmt.Errorf("starting the bundled broker: %w", err)
		}
		defer b.Close()
		addr = b.Addr()
		fmt.Fprintf(c.out, "== bundled broker on %s (data in %s)\n", addr, c.dataDir)
	} else {
		// A shared cluster may hold an earlier run's topics: use fresh ones.
		suffix := fmt.Sprintf("-%d", time.Now().UnixNano())
		appID += suffix
		fmt.Fprintf(c.out, "== cluster %s, application id %s\n", addr, appID)
	}
	input, output := appID+"-input", appID+"-output"
	if c.bootstrap == "" {
		input, output = InputTopic, OutputTopic
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(addr, ",")...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := createTopics(ctx, cl, input, output); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "== producing %d lines to %s\n", len(lines), input)
	recs := make([]*kgo.Record, len(lines))
	for i, l := range lines {
		recs[i] = &kgo.Record{Topic: input, Value: []byte(l)}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("producing the input: %w", err)
	}

	want := expectedCounts(lines)
	topo, err := NewTopology(Options{Input: input, Output: output})
	if err != nil {
		return err
	}
	app, err := streams.New(topo, streams.Config{
		ApplicationID:    appID,
		BootstrapServers: strings.Split(addr, ","),
		StateDir:         filepath.Join(c.dataDir, "state"),
		CommitInterval:   500 * time.Millisecond,
		// WordCountDemo turns the record cache off, so every update shows.
		StateStoreCacheMaxBytes: -1,
		Logger:                  logger,
	})
	if err != nil {
		return err
	}
	appCtx, cancelApp := context.WithCancel(ctx)
	defer cancelApp()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	appDone := make(chan error, 1)
	go func() {
		appDone <- app.Run(appCtx)
		stopWatch() // the app stopped: nothing more will come
	}()
	fmt.Fprintf(c.out, "== counting words; updates from %s:\n", output)
	watchErr := watchCounts(watchCtx, addr, output, want, c.out)
	cancelApp()
	runErr := <-appDone
	switch {
	case runErr != nil:
		return fmt.Errorf("the app stopped with an error: %w", runErr)
	case watchErr != nil:
		return watchErr
	}
	fmt.Fprintf(c.out, "== done: %d distinct words, all counts final\n", len(want))
	return nil
}

func readLines(file string) ([]string, error) {
	var r io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s has no lines to count", file)
	}
	return lines, nil
}

func createTopics(ctx context.Context, cl *kgo.Client, topics ...string) error {
	resp, err := kadm.NewClient(cl).CreateTopics(ctx, 2, -1, nil, topics...)
	if err != nil {
		return fmt.Errorf("creating topics: %w", err)
	}
	for _, t := range resp.Sorted() {
		if t.Err != nil && !strings.Contains(t.Err.Error(), "TOPIC_ALREADY_EXISTS") {
			return fmt.Errorf("creating topic %s: %w", t.Topic, t.Err)
		}
	}
	return nil
}

// expectedCounts is what the topology must end with for lines.
func expectedCounts(lines []string) map[string]int64 {
	out := map[string]int64{}
	for _, l := range lines {
		for _, w := range SplitNonWord(strings.ToLower(l)) {
			out[w]++
		}
	}
	return out
}

// watchCounts prints every count update until each word has its expected
// count or ctx ends.
func watchCounts(ctx context.Context, addr, topic string, want map[string]int64, out io.Writer) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(addr, ",")...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	got := map[string]int64{}
	missing := len(want)
	for missing > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("timed out with %d words short of their final count", missing)
			}
			return fmt.Errorf("stopped with %d words short of their final count: %w", missing, err)
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			word, n := string(r.Key), decodeLong(r.Value)
			fmt.Fprintf(out, "%-16s %d\n", word, n)
			target, ok := want[word]
			if !ok {
				return
			}
			wasDone := got[word] == target
			got[word] = n
			switch isDone := n == target; {
			case isDone && !wasDone:
				missing--
			case !isDone && wasDone:
				missing++
			}
		})
	}
	return nil
}

func decodeLong(b []byte) int64 {
	var n int64
	for _, c := range b {
		n = n<<8 | int64(c)
	}
	return n
}
