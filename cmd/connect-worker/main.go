package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes, as Kafka's AbstractConnectCli.
const (
	exitOK          = 0
	exitUsage       = 1
	exitConfigError = 2
	exitStartError  = 3
)

const usage = `Usage:
  connect-worker standalone worker.properties [connector1.properties connector2.json ...]
  connect-worker distributed worker.properties

Runs a Kafka Connect worker. Standalone mode keeps source offsets in
offset.storage.file.filename and creates the connectors named on the
command line (flat JSON, {"name","config"} JSON, or .properties files);
more can be managed through the REST API (listeners, default http://:8083).

Runnel worker settings beyond Kafka's:
  runnel.task.restart.enable=true        restart failed tasks automatically
  runnel.task.restart.backoff.initial.ms first restart delay (1000)
  runnel.task.restart.backoff.max.ms     maximum restart delay (60000)
`

// run is the whole program, minus process exit, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "-daemon" {
		args = args[1:]
	}
	if len(args) == 0 || isHelp(args[0]) {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	mode, rest := args[0], args[1:]
	for _, a := range rest {
		if isHelp(a) {
			fmt.Fprint(stderr, usage)
			return exitUsage
		}
	}
	switch mode {
	case "standalone":
		if len(rest) < 1 {
			fmt.Fprint(stderr, usage)
			return exitUsage
		}
		return runStandalone(ctx, rest[0], rest[1:], stdout, stderr)
	case "distributed":
		if len(rest) != 1 {
			fmt.Fprint(stderr, usage)
			return exitUsage
		}
		fmt.Fprintln(stderr, "connect-worker: distributed mode is not available yet; run `connect-worker standalone worker.properties connector.properties ...` instead")
		return exitUsage
	default:
		fmt.Fprintf(stderr, "connect-worker: unknown mode %q (expected standalone or distributed)\n\n%s", mode, usage)
		return exitUsage
	}
}

func isHelp(a string) bool { return a == "--help" || a == "-h" || a == "-help" || a == "help" }
