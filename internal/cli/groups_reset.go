package cli

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// resetPlan is the new offset of every partition of one group.
type resetPlan struct {
	group   string
	offsets kadm.Offsets
}

func (o *groupsOptions) runReset(cmd *cobra.Command, s *adminSession, out io.Writer, groups []string) error {
	errOut := cmd.ErrOrStderr()
	var plans []resetPlan
	var errs []error
	for _, g := range groups {
		plan, err := o.planReset(cmd, s, g)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		plans = append(plans, plan)
	}
	if o.execute {
		for i, p := range plans {
			resps, err := s.adm.CommitOffsets(s.ctx, p.group, p.offsets)
			if err == nil {
				err = resps.Error()
			}
			if err != nil {
				errs = append(errs, s.fail("committing new offsets of group '"+p.group+"'", err))
				plans[i].offsets = nil
			}
		}
	}
	if o.export {
		printResetCSV(out, plans, len(groups) == 1)
	} else {
		printResetPlan(out, plans)
	}
	if !o.execute && !o.dryRun && len(plans) > 0 {
		fmt.Fprintln(errOut, "Dry run: no offsets were changed; add --execute to apply this plan.")
	}
	return errors.Join(errs...)
}

// planReset computes the new offsets of one group. Like Kafka, it refuses
// groups with active members: they would overwrite the reset.
func (o *groupsOptions) planReset(cmd *cobra.Command, s *adminSession, group string) (resetPlan, error) {
	plan := resetPlan{group: group, offsets: kadm.Offsets{}}
	described, err := s.adm.DescribeGroups(s.ctx, group)
	if err != nil {
		return plan, s.fail("describing group '"+group+"'", err)
	}
	if d, ok := described[group]; ok && d.Err == nil {
		if d.State != "Empty" && d.State != "Dead" && d.State != "" {
			return plan, fmt.Errorf("assignments can only be reset if the group '%s' is inactive, but the current state is %s", group, d.State)
		}
	}
	committed, err := s.adm.FetchOffsets(s.ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		// Like Kafka, resetting a group that does not exist creates it
		// with the planned offsets.
		committed, err = kadm.OffsetResponses{}, nil
	}
	if err != nil {
		return plan, s.fail("fetching offsets of group '"+group+"'", err)
	}
	parts, err := o.resetScope(cmd, s, committed)
	if err != nil {
		return plan, err
	}
	if len(parts) == 0 {
		return plan, nil
	}
	topics := parts.Topics()
	starts, err := s.adm.ListStartOffsets(s.ctx, topics...)
	if err != nil {
		return plan, s.fail("listing start offsets", err)
	}
	ends, err := s.adm.ListEndOffsets(s.ctx, topics...)
	if err != nil {
		return plan, s.fail("listing end offsets", err)
	}
	var byTime kadm.ListedOffsets
	if o.toDatetime != "" || o.byDuration != "" {
		ts, err := o.resetTimestamp(cmd)
		if err != nil {
			return plan, err
		}
		if byTime, err = s.adm.ListOffsetsAfterMilli(s.ctx, ts.UnixMilli(), topics...); err != nil {
			return plan, s.fail("listing offsets by time", err)
		}
	}
	errOut := cmd.ErrOrStderr()
	for _, tp := range parts.Sorted() {
		for _, p := range tp.Partitions {
			start, sok := starts.Lookup(tp.Topic, p)
			end, eok := ends.Lookup(tp.Topic, p)
			if !sok || !eok || start.Err != nil || end.Err != nil || end.Offset < 0 {
				return plan, fmt.Errorf("getting the offsets of topic '%s' partition %d: %v", tp.Topic, p, errors.Join(start.Err, end.Err))
			}
			cur, hasCur := committed.Lookup(tp.Topic, p)
			hasCur = hasCur && cur.Err == nil && cur.At >= 0
			var target int64
			clamp := true
			switch {
			case o.toEarliest:
				target, clamp = start.Offset, false
			case o.toLatest:
				target, clamp = end.Offset, false
			case o.toCurrent:
				target, clamp = end.Offset, false
				if hasCur {
					target = cur.At
				}
			case cmd.Flags().Changed("to-offset"):
				target = o.toOffset
			case cmd.Flags().Changed("shift-by"):
				if !hasCur {
					return plan, fmt.Errorf("cannot shift offset of topic '%s' partition %d for group '%s': it has no committed offset", tp.Topic, p, group)
				}
				target = cur.At + o.shiftBy
			default: // --to-datetime, --by-duration
				at, ok := byTime.Lookup(tp.Topic, p)
				target, clamp = end.Offset, false
				if ok && at.Err == nil && at.Offset >= 0 {
					target = at.Offset
				} else {
					fmt.Fprintf(errOut, "Warn: Partition %d from topic %s has no record at or after the time; falling back to the latest offset.\n", p, tp.Topic)
				}
			}
			if clamp {
				switch {
				case target > end.Offset:
					fmt.Fprintf(errOut, "New offset (%d) is higher than latest offset for topic partition %s-%d. Value will be set to %d\n", target, tp.Topic, p, end.Offset)
					target = end.Offset
				case target < start.Offset:
					fmt.Fprintf(errOut, "New offset (%d) is lower than earliest offset for topic partition %s-%d. Value will be set to %d\n", target, tp.Topic, p, start.Offset)
					target = start.Offset
				}
			}
			plan.offsets.Add(kadm.Offset{Topic: tp.Topic, Partition: p, At: target, LeaderEpoch: -1})
		}
	}
	return plan, nil
}

// resetScope resolves --all-topics or --topic T / T:0,1 into partitions.
func (o *groupsOptions) resetScope(cmd *cobra.Command, s *adminSession, committed kadm.OffsetResponses) (kadm.TopicsSet, error) {
	if o.allTopics {
		return committed.Partitions(), nil
	}
	return topicPartitionArgs(cmd, s, o.topics)
}

// topicPartitionArgs parses --topic values: "T" is every partition of T,
// "T:0,2" only those. A topic that does not exist is an error.
func topicPartitionArgs(cmd *cobra.Command, s *adminSession, args []string) (kadm.TopicsSet, error) {
	set := kadm.TopicsSet{}
	var whole []string
	for _, a := range args {
		topic, list, hasParts := strings.Cut(a, ":")
		if topic == "" {
			return nil, usageErrorf(cmd, "--topic: expected TOPIC or TOPIC:PARTITION[,PARTITION...], got %q", a)
		}
		if !hasParts {
			whole = append(whole, topic)
			continue
		}
		for _, ps := range strings.Split(list, ",") {
			p, err := strconv.ParseInt(strings.TrimSpace(ps), 10, 32)
			if err != nil || p < 0 {
				return nil, usageErrorf(cmd, "--topic: invalid partition %q in %q; expected TOPIC:PARTITION[,PARTITION...]", ps, a)
			}
			set.Add(topic, int32(p))
		}
	}
	check := append(whole, set.Topics()...)
	if len(check) == 0 {
		return set, nil
	}
	meta, err := s.adm.ListTopics(s.ctx, check...)
	if err != nil {
		return nil, s.fail("describing topics", err)
	}
	for _, t := range check {
		d, ok := meta[t]
		if !ok || d.Err != nil {
			return nil, fmt.Errorf("topic '%s' does not exist", t)
		}
	}
	for _, t := range whole {
		set.Add(t, meta[t].Partitions.Numbers()...)
	}
	for _, tp := range set.Sorted() {
		for _, p := range tp.Partitions {
			if _, ok := meta[tp.Topic].Partitions[p]; !ok {
				return nil, fmt.Errorf("topic '%s' has no partition %d", tp.Topic, p)
			}
		}
	}
	return set, nil
}

// resetTimestamp resolves --to-datetime or --by-duration to a time.
func (o *groupsOptions) resetTimestamp(cmd *cobra.Command) (time.Time, error) {
	if o.byDuration != "" {
		d, err := parseISODuration(o.byDuration)
		if err != nil {
			return time.Time{}, usageErrorf(cmd, "--by-duration: %v", err)
		}
		return time.Now().Add(-d), nil
	}
	// Kafka's format, with an optional zone; without one, local time.
	for _, layout := range []string{"2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, o.toDatetime); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.000", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, o.toDatetime, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageErrorf(cmd, "--to-datetime: expected YYYY-MM-DDTHH:mm:SS.sss, optionally followed by a zone (Z, +02:00), got %q", o.toDatetime)
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// parseISODuration parses the PnDTnHnMn.nS durations Kafka's --by-duration
// takes (java.time.Duration's format).
func parseISODuration(v string) (time.Duration, error) {
	m := isoDuration.FindStringSubmatch(strings.ToUpper(v))
	if m == nil || v == "P" || strings.HasSuffix(strings.ToUpper(v), "T") {
		return 0, fmt.Errorf("expected an ISO-8601 duration like PT1H30M or P1DT12H, got %q", v)
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute} {
		if m[i+1] != "" {
			n, _ := strconv.ParseInt(m[i+1], 10, 64)
			d += time.Duration(n) * unit
		}
	}
	if m[4] != "" {
		f, _ := strconv.ParseFloat(m[4], 64)
		d += time.Duration(f * float64(time.Second))
	}
	return d, nil
}

func printResetPlan(out io.Writer, plans []resetPlan) {
	rows := 0
	for _, p := range plans {
		rows += len(p.offsets)
	}
	if rows == 0 {
		return
	}
	line := func(a, b, c, d string) { fmt.Fprintf(out, "\n%-30s %-30s %-10s %-15s", a, b, c, d) }
	line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET")
	for _, p := range plans {
		for _, o := range p.offsets.Sorted() {
			line(p.group, o.Topic, strconv.Itoa(int(o.Partition)), strconv.FormatInt(o.At, 10))
		}
	}
	fmt.Fprintln(out)
}

func printResetCSV(out io.Writer, plans []resetPlan, single bool) {
	for _, p := range plans {
		for _, o := range p.offsets.Sorted() {
			if single {
				fmt.Fprintf(out, "%s,%d,%d\n", o.Topic, o.Partition, o.At)
			} else {
				fmt.Fprintf(out, "%s,%s,%d,%d\n", p.group, o.Topic, o.Partition, o.At)
			}
		}
	}
}

func (o *groupsOptions) runDeleteOffsets(cmd *cobra.Command, s *adminSession, out io.Writer, group string) error {
	set, err := topicPartitionArgs(cmd, s, o.topics)
	if err != nil {
		return err
	}
	resps, err := s.adm.DeleteOffsets(s.ctx, group, set)
	if err != nil {
		return s.fail("deleting offsets of group '"+group+"'", err)
	}
	line := func(a, b, c string) { fmt.Fprintf(out, "\n%-30s %-15s %-15s", a, b, c) }
	line("TOPIC", "PARTITION", "STATUS")
	var errs []error
	for _, tp := range set.Sorted() {
		for _, p := range tp.Partitions {
			status := "Successful"
			if perr, ok := resps.Lookup(tp.Topic, p); !ok {
				status = "Error: no answer"
				errs = append(errs, fmt.Errorf("topic '%s' partition %d: no answer", tp.Topic, p))
			} else if perr != nil {
				status = "Error: " + perr.Error()
				errs = append(errs, fmt.Errorf("topic '%s' partition %d: %w", tp.Topic, p, perr))
			}
			line(tp.Topic, strconv.Itoa(int(p)), status)
		}
	}
	fmt.Fprintln(out)
	if len(errs) > 0 {
		return fmt.Errorf("deleting offsets of group '%s': %w", group, errors.Join(errs...))
	}
	return nil
}
