// Command wordcount-processor is Kafka's WordCountProcessorDemo on Runnel:
// it counts the words of the lines in streams-plaintext-input and, every
// second of stream time, writes every word's count to
// streams-wordcount-processor-output.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/runnel-dev/runnel/streams"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "comma-separated bootstrap servers")
	appID := flag.String("app-id", "streams-wordcount-processor", "application id (consumer group, topic prefix)")
	stateDir := flag.String("state", "", "state directory (default: the runtime's)")
	input := flag.String("input", InputTopic, "input topic")
	output := flag.String("output", OutputTopic, "output topic")
	flag.Parse()

	if err := run(*brokers, *appID, *stateDir, *input, *output); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount-processor:", err)
		os.Exit(1)
	}
}

func run(brokers, appID, stateDir, input, output string) error {
	topo, err := NewTopology(input, output)
	if err != nil {
		return err
	}
	app, err := streams.New(topo, streams.Config{
		ApplicationID:    appID,
		BootstrapServers: strings.Split(brokers, ","),
		StateDir:         stateDir,
		AutoOffsetReset:  "earliest", // re-running reads the pre-loaded input again
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return app.Run(ctx)
}
