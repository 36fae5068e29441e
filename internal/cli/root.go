package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// NewRootCommand returns the runnel command tree. It holds no global state:
// each call builds a fresh tree, so tests may run several side by side.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "runnel",
		Short: "Runnel: a bundled Kafka-compatible broker and Kafka's command line tools",
		Long: `runnel runs a bundled Kafka-compatible broker and offers the everyday
tools of Apache Kafka's bin/ directory with the same flags:

  runnel broker            like kafka-server-start.sh
  runnel topics            like kafka-topics.sh
  runnel console-producer  like kafka-console-producer.sh
  runnel console-consumer  like kafka-console-consumer.sh
  runnel consumer-groups   like kafka-consumer-groups.sh

The tools work against the bundled broker and against Apache Kafka.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf(c, "%v", err)
	})
	root.AddCommand(
		newBrokerCommand(),
		newTopicsCommand(),
		newConsoleProducerCommand(),
		newConsoleConsumerCommand(),
		newConsumerGroupsCommand(),
	)
	return root
}

// UsageError is a mistake in how a command was invoked (a missing or
// conflicting flag, a malformed value), as opposed to a failure while
// running it.
type UsageError struct {
	Command string // the full command path, e.g. "runnel topics"
	Err     error
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	return &UsageError{Command: cmd.CommandPath(), Err: fmt.Errorf(format, args...)}
}

// Exit codes, following the convention of Go and POSIX tools: 1 for a
// failed operation, 2 for a command line that could not be understood.
const (
	ExitFailure = 1
	ExitUsage   = 2
)

// ExitCode maps an error returned by the command tree to a process exit
// code; nil maps to 0.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	if _, ok := errors.AsType[*UsageError](err); ok {
		return ExitUsage
	}
	return ExitFailure
}

// ErrorMessage is the text main prints for err: the error, plus a pointer
// to --help for usage errors.
func ErrorMessage(err error) string {
	if ue, ok := errors.AsType[*UsageError](err); ok {
		return fmt.Sprintf("Error: %v\nRun '%s --help' for usage.", ue.Err, ue.Command)
	}
	return fmt.Sprintf("Error: %v", err)
}
