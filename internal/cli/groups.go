package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

type groupsOptions struct {
	client  clientFlags
	timeout int64

	list, describe, delete, resetOffsets, deleteOffsets bool

	groups    []string
	allGroups bool
	topics    []string
	allTopics bool

	members, verbose, offsets bool
	state                     string

	toEarliest, toLatest, toCurrent bool
	toOffset, shiftBy               int64
	toDatetime, byDuration          string
	execute, dryRun, export         bool
}

// stateAll is --state given without a value.
const stateAll = "*"

func newConsumerGroupsCommand() *cobra.Command {
	o := &groupsOptions{}
	cmd := &cobra.Command{
		Use:   "consumer-groups (--list|--describe|--delete|--reset-offsets|--delete-offsets) [flags]",
		Short: "List, describe, delete consumer groups and reset their offsets (like kafka-consumer-groups.sh)",
		Long: `List, describe and delete consumer groups, and reset or delete their committed
offsets, like Kafka's kafka-consumer-groups.sh.

--describe prints, per partition, the committed offset (CURRENT-OFFSET),
the log end offset and the LAG between them, and which member consumes it.
With --members it prints the members instead, with --state the group state.

--reset-offsets works on inactive groups only. It prints the plan; it
changes the group only with --execute (--dry-run, the default, does not).
Scope it with --topic TOPIC (or TOPIC:0,1 for some partitions, repeatable)
or --all-topics (the partitions the group has offsets for).`,
		Example: `  runnel consumer-groups --list
  runnel consumer-groups --describe --group billing
  runnel consumer-groups --describe --group billing --members --verbose
  runnel consumer-groups --reset-offsets --group billing --topic orders --to-earliest --execute
  runnel consumer-groups --delete --group billing`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	fs := cmd.Flags()
	o.client.register(fs)
	timeoutFlag(fs, &o.timeout)
	fs.BoolVar(&o.list, "list", false, "List all consumer groups")
	fs.BoolVar(&o.describe, "describe", false, "Describe consumer groups: offsets and lag per partition")
	fs.BoolVar(&o.delete, "delete", false, "Delete consumer groups (they must have no active members)")
	fs.BoolVar(&o.resetOffsets, "reset-offsets", false, "Reset the committed offsets of inactive consumer groups")
	fs.BoolVar(&o.deleteOffsets, "delete-offsets", false, "Delete a group's committed offsets for --topic")
	fs.StringArrayVar(&o.groups, "group", nil, "The consumer `group`; repeat for several")
	fs.BoolVar(&o.allGroups, "all-groups", false, "Apply to all consumer groups")
	fs.StringArrayVar(&o.topics, "topic", nil, "A `topic` (or topic:0,1 for some partitions) to reset or delete offsets of; repeat for several")
	fs.BoolVar(&o.allTopics, "all-topics", false, "With --reset-offsets: every topic the group has committed offsets for")
	fs.BoolVar(&o.members, "members", false, "With --describe: show the group's members")
	fs.BoolVar(&o.verbose, "verbose", false, "With --describe --members: show each member's partitions")
	fs.BoolVar(&o.offsets, "offsets", false, "With --describe: show offsets and lag (the default)")
	fs.StringVar(&o.state, "state", "", "With --describe: show the group state. With --list: show states, or only groups in these comma separated `states`")
	fs.Lookup("state").NoOptDefVal = stateAll
	fs.BoolVar(&o.toEarliest, "to-earliest", false, "Reset to the earliest offset")
	fs.BoolVar(&o.toLatest, "to-latest", false, "Reset to the latest offset")
	fs.BoolVar(&o.toCurrent, "to-current", false, "Reset to the current committed offset (latest where none)")
	fs.Int64Var(&o.toOffset, "to-offset", 0, "Reset to this `offset` (clamped to the partition's range)")
	fs.Int64Var(&o.shiftBy, "shift-by", 0, "Move the committed offsets by `n` (negative goes back)")
	fs.StringVar(&o.toDatetime, "to-datetime", "", "Reset to the first offset at or after `YYYY-MM-DDTHH:mm:SS.sss` (optionally with a zone like Z or +02:00)")
	fs.StringVar(&o.byDuration, "by-duration", "", "Reset to the first offset at or after now minus an ISO-8601 `duration` (e.g. PT1H30M, P1D)")
	fs.BoolVar(&o.execute, "execute", false, "With --reset-offsets: apply the plan")
	fs.BoolVar(&o.dryRun, "dry-run", false, "With --reset-offsets: only print the plan (the default)")
	fs.BoolVar(&o.export, "export", false, "With --reset-offsets: print the plan as CSV (topic,partition,offset)")
	return cmd
}

func (o *groupsOptions) validate(cmd *cobra.Command) error {
	n := 0
	for _, b := range []bool{o.list, o.describe, o.delete, o.resetOffsets, o.deleteOffsets} {
		if b {
			n++
		}
	}
	if n != 1 {
		return usageErrorf(cmd, "exactly one of --list, --describe, --delete, --reset-offsets or --delete-offsets is required")
	}
	action := o.action()
	if !o.list {
		if len(o.groups) == 0 && !o.allGroups {
			return usageErrorf(cmd, "%s needs --group GROUP or --all-groups", action)
		}
		if len(o.groups) > 0 && o.allGroups {
			return usageErrorf(cmd, "--group and --all-groups cannot be used together")
		}
		for _, g := range o.groups {
			if g == "" {
				return usageErrorf(cmd, "--group: expected a group name, got an empty one")
			}
		}
	} else if len(o.groups) > 0 || o.allGroups {
		return usageErrorf(cmd, "--list takes no --group or --all-groups")
	}
	if o.deleteOffsets {
		if o.allGroups || len(o.groups) != 1 {
			return usageErrorf(cmd, "--delete-offsets takes exactly one --group")
		}
		if len(o.topics) == 0 {
			return usageErrorf(cmd, "--delete-offsets needs --topic")
		}
	}
	if len(o.topics) > 0 && !o.resetOffsets && !o.deleteOffsets {
		return usageErrorf(cmd, "--topic is only valid with --reset-offsets or --delete-offsets")
	}
	if o.allTopics && !o.resetOffsets {
		return usageErrorf(cmd, "--all-topics is only valid with --reset-offsets")
	}
	switch {
	case o.describe:
		sub := 0
		for _, b := range []bool{o.members, o.offsets, o.state != ""} {
			if b {
				sub++
			}
		}
		if sub > 1 {
			return usageErrorf(cmd, "--describe takes at most one of --members, --offsets and --state")
		}
		if o.state != "" && o.state != stateAll {
			return usageErrorf(cmd, "--describe --state takes no value")
		}
		if o.verbose && !o.members {
			return usageErrorf(cmd, "--verbose is only valid with --describe --members")
		}
	case o.members || o.offsets || o.verbose:
		return usageErrorf(cmd, "--members, --offsets and --verbose are only valid with --describe")
	case o.state != "" && !o.list:
		return usageErrorf(cmd, "--state is only valid with --describe or --list")
	}
	changed := cmd.Flags().Changed
	scenarios := 0
	for _, name := range []string{"to-earliest", "to-latest", "to-current", "to-offset", "shift-by", "to-datetime", "by-duration"} {
		if changed(name) {
			scenarios++
		}
	}
	if o.resetOffsets {
		if scenarios != 1 {
			return usageErrorf(cmd, "--reset-offsets needs exactly one of --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime or --by-duration")
		}
		if (len(o.topics) > 0) == o.allTopics {
			return usageErrorf(cmd, "--reset-offsets needs exactly one scope: --topic or --all-topics")
		}
		if o.byDuration != "" {
			if _, err := parseISODuration(o.byDuration); err != nil {
				return usageErrorf(cmd, "--by-duration: %v", err)
			}
		}
		if o.toDatetime != "" {
			if _, err := o.resetTimestamp(cmd); err != nil {
				return err
			}
		}
		if o.execute && o.dryRun {
			return usageErrorf(cmd, "--execute and --dry-run cannot be used together")
		}
	} else if scenarios > 0 || o.execute || o.dryRun || o.export {
		return usageErrorf(cmd, "--to-*, --shift-by, --by-duration, --execute, --dry-run and --export are only valid with --reset-offsets")
	}
	return nil
}

// action names the one action flag given.
func (o *groupsOptions) action() string {
	switch {
	case o.describe:
		return "--describe"
	case o.delete:
		return "--delete"
	case o.resetOffsets:
		return "--reset-offsets"
	case o.deleteOffsets:
		return "--delete-offsets"
	}
	return "--list"
}

func (o *groupsOptions) run(cmd *cobra.Command) error {
	if err := o.validate(cmd); err != nil {
		return err
	}
	timeout, err := timeoutFrom(cmd, o.timeout)
	if err != nil {
		return err
	}
	s, err := openAdmin(cmd, &o.client, timeout)
	if err != nil {
		return err
	}
	defer s.Close()
	out := cmd.OutOrStdout()

	if o.list {
		return o.runList(s, out)
	}
	groups := o.groups
	if o.allGroups {
		listed, err := consumerGroups(s)
		if err != nil {
			return err
		}
		groups = listed.Groups()
	}
	switch {
	case o.describe:
		return o.runDescribe(s, out, cmd.ErrOrStderr(), groups)
	case o.delete:
		return o.runDelete(s, out, groups)
	case o.deleteOffsets:
		return o.runDeleteOffsets(cmd, s, out, groups[0])
	}
	return o.runReset(cmd, s, out, groups)
}

// consumerGroups lists the groups Kafka's tool calls consumer groups:
// protocol type "consumer" or none (groups that only commit offsets).
func consumerGroups(s *adminSession) (kadm.ListedGroups, error) {
	listed, err := s.adm.ListGroups(s.ctx)
	if err != nil {
		return nil, s.fail("listing groups", err)
	}
	for name, g := range listed {
		if g.ProtocolType != "consumer" && g.ProtocolType != "" {
			delete(listed, name)
		}
	}
	return listed, nil
}

func (o *groupsOptions) runList(s *adminSession, out io.Writer) error {
	listed, err := consumerGroups(s)
	if err != nil {
		return err
	}
	if o.state == "" {
		for _, g := range listed.Groups() {
			fmt.Fprintln(out, g)
		}
		return nil
	}
	want := map[string]bool{}
	if o.state != stateAll {
		for _, st := range splitList(o.state) {
			want[strings.ToLower(st)] = true
		}
	}
	width := 15
	for _, g := range listed.Groups() {
		width = max(width, len(g))
	}
	width += 10
	fmt.Fprintf(out, "%-*s %-20s\n", width, "GROUP", "STATE")
	for _, g := range listed.Sorted() {
		if len(want) > 0 && !want[strings.ToLower(g.State)] {
			continue
		}
		fmt.Fprintf(out, "%-*s %-20s\n", width, g.Group, g.State)
	}
	return nil
}

func (o *groupsOptions) runDelete(s *adminSession, out io.Writer, groups []string) error {
	if len(groups) == 0 {
		return nil
	}
	resps, err := s.adm.DeleteGroups(s.ctx, groups...)
	if err != nil {
		return s.fail("deleting groups", err)
	}
	var ok, failed []string
	for _, g := range groups {
		r, found := resps[g]
		switch {
		case !found:
			failed = append(failed, fmt.Sprintf("* Group '%s' could not be deleted: no answer for it", g))
		case r.Err != nil:
			failed = append(failed, fmt.Sprintf("* Group '%s' could not be deleted due to: %v", g, withBrokerMessage(r.Err, r.ErrMessage)))
		default:
			ok = append(ok, "'"+g+"'")
		}
	}
	if len(failed) == 0 {
		fmt.Fprintf(out, "Deletion of requested consumer groups (%s) was successful.\n", strings.Join(ok, ", "))
		return nil
	}
	if len(ok) > 0 {
		fmt.Fprintf(out, "These consumer groups were deleted successfully: %s\n", strings.Join(ok, ", "))
	}
	return fmt.Errorf("deletion of some consumer groups failed:\n%s", strings.Join(failed, "\n"))
}
