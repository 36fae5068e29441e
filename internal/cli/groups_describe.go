package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// missing is what Kafka's tool prints for an unknown column value.
const missing = "-"

// groupView is everything --describe needs about one group.
type groupView struct {
	desc      kadm.DescribedGroup
	committed kadm.OffsetResponses
	ends      kadm.ListedOffsets
}

// loadGroup describes a group and fetches its commits and the log end
// offsets of every partition it consumes or has committed.
func loadGroup(s *adminSession, group string) (*groupView, error) {
	described, err := s.adm.DescribeGroups(s.ctx, group)
	if err != nil {
		return nil, s.fail("describing group '"+group+"'", err)
	}
	d, ok := described[group]
	if !ok {
		return nil, fmt.Errorf("describing group '%s': no answer for it", group)
	}
	if d.Err != nil {
		if errors.Is(d.Err, kerr.GroupIDNotFound) {
			return nil, fmt.Errorf("consumer group '%s' does not exist", group)
		}
		return nil, fmt.Errorf("describing group '%s': %w", group, withBrokerMessage(d.Err, d.ErrMessage))
	}
	committed, err := s.adm.FetchOffsets(s.ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return nil, fmt.Errorf("consumer group '%s' does not exist", group)
	}
	if err != nil {
		return nil, s.fail("fetching offsets of group '"+group+"'", err)
	}
	v := &groupView{desc: d, committed: committed}
	topics := d.AssignedPartitions()
	topics.Merge(committed.Partitions())
	if names := topics.Topics(); len(names) > 0 {
		ends, err := s.adm.ListEndOffsets(s.ctx, names...)
		if err != nil {
			var shard *kadm.ShardErrors
			if !errors.As(err, &shard) {
				return nil, s.fail("listing end offsets", err)
			}
		}
		v.ends = ends
	}
	return v, nil
}

// exists follows Kafka: a Dead group with nothing committed is unknown.
func (v *groupView) exists() bool {
	return v.desc.State != "Dead" || len(v.committed) > 0
}

type offsetRow struct {
	topic                    string
	partition                int32
	current, end, lag        string
	consumer, host, clientID string
}

// offsetRows builds Kafka's rows: the partitions of each member (members
// with the most partitions first), then committed partitions no member has.
func (v *groupView) offsetRows() []offsetRow {
	var rows []offsetRow
	assigned := kadm.TopicsSet{}
	members := slices.Clone(v.desc.Members)
	count := func(m kadm.DescribedGroupMember) int {
		n := 0
		if c, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range c.Topics {
				n += len(t.Partitions)
			}
		}
		return n
	}
	slices.SortStableFunc(members, func(a, b kadm.DescribedGroupMember) int { return cmp.Compare(count(b), count(a)) })
	for _, m := range members {
		c, ok := m.Assigned.AsConsumer()
		if !ok {
			continue
		}
		set := kadm.TopicsSet{}
		for _, t := range c.Topics {
			set.Add(t.Topic, t.Partitions...)
		}
		for _, tp := range set.Sorted() {
			for _, p := range tp.Partitions {
				assigned.Add(tp.Topic, p)
				rows = append(rows, v.row(tp.Topic, p, m.MemberID, m.ClientHost, m.ClientID))
			}
		}
	}
	for _, tp := range v.committed.Partitions().Sorted() {
		for _, p := range tp.Partitions {
			if !assigned.Lookup(tp.Topic, p) {
				rows = append(rows, v.row(tp.Topic, p, missing, missing, missing))
			}
		}
	}
	return rows
}

func (v *groupView) row(topic string, p int32, consumer, host, clientID string) offsetRow {
	r := offsetRow{topic: topic, partition: p, current: missing, end: missing, lag: missing,
		consumer: consumer, host: host, clientID: clientID}
	cur := int64(-1)
	if c, ok := v.committed.Lookup(topic, p); ok && c.Err == nil && c.At >= 0 {
		cur = c.At
		r.current = strconv.FormatInt(cur, 10)
	}
	if e, ok := v.ends.Lookup(topic, p); ok && e.Err == nil && e.Offset >= 0 {
		r.end = strconv.FormatInt(e.Offset, 10)
		if cur >= 0 {
			r.lag = strconv.FormatInt(e.Offset-cur, 10)
		}
	}
	return r
}

func (o *groupsOptions) runDescribe(s *adminSession, out, errOut io.Writer, groups []string) error {
	slices.Sort(groups)
	var errs []error
	for _, g := range groups {
		v, err := loadGroup(s, g)
		if err == nil && !v.exists() {
			err = fmt.Errorf("consumer group '%s' does not exist", g)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch v.desc.State {
		case "Empty":
			fmt.Fprintf(errOut, "\nConsumer group '%s' has no active members.\n", g)
		case "PreparingRebalance", "CompletingRebalance", "Assigning", "Reconciling":
			fmt.Fprintf(errOut, "\nWarning: Consumer group '%s' is rebalancing.\n", g)
		}
		switch {
		case o.members:
			printMembers(out, v, o.verbose)
		case o.state != "":
			printState(out, v)
		default:
			printOffsets(out, g, v.offsetRows())
		}
	}
	return errors.Join(errs...)
}

func printOffsets(out io.Writer, group string, rows []offsetRow) {
	if len(rows) == 0 {
		return
	}
	gw, tw, cw, hw := max(15, len(group)), 15, 15, 15
	for _, r := range rows {
		tw, cw, hw = max(tw, len(r.topic)), max(cw, len(r.consumer)), max(hw, len(r.host))
	}
	line := func(cols ...string) {
		fmt.Fprintf(out, "\n%-*s %-*s %-10s %-15s %-15s %-15s %-*s %-*s %s",
			gw, cols[0], tw, cols[1], cols[2], cols[3], cols[4], cols[5], cw, cols[6], hw, cols[7], cols[8])
	}
	line("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID")
	for _, r := range rows {
		line(group, r.topic, strconv.Itoa(int(r.partition)), r.current, r.end, r.lag, r.consumer, r.host, r.clientID)
	}
	fmt.Fprintln(out)
}

func printMembers(out io.Writer, v *groupView, verbose bool) {
	type row struct {
		id, instance, host, client string
		parts                      int
		assignment                 string
	}
	var rows []row
	withInstance := false
	for _, m := range v.desc.Members {
		r := row{id: m.MemberID, host: m.ClientHost, client: m.ClientID, assignment: missing}
		if m.InstanceID != nil {
			r.instance = *m.InstanceID
			withInstance = withInstance || r.instance != ""
		}
		if c, ok := m.Assigned.AsConsumer(); ok {
			var groups []string
			for _, t := range c.Topics {
				r.parts += len(t.Partitions)
				ps := slices.Clone(t.Partitions)
				slices.Sort(ps)
				if len(ps) > 0 {
					groups = append(groups, t.Topic+"("+joinInt32s(ps)+")")
				}
			}
			if len(groups) > 0 {
				slices.Sort(groups)
				r.assignment = strings.Join(groups, ", ")
			}
		}
		rows = append(rows, r)
	}
	gw, iw, instW, hw, cw := max(15, len(v.desc.Group)), 15, 17, 15, 15
	for _, r := range rows {
		iw, instW, hw, cw = max(iw, len(r.id)), max(instW, len(r.instance)), max(hw, len(r.host)), max(cw, len(r.client))
	}
	print := func(group, id, inst, host, client, parts, assignment string) {
		if withInstance {
			fmt.Fprintf(out, "%-*s %-*s %-*s %-*s %-*s %-15s ", gw, group, iw, id, instW, inst, hw, host, cw, client, parts)
		} else {
			fmt.Fprintf(out, "%-*s %-*s %-*s %-*s %-15s ", gw, group, iw, id, hw, host, cw, client, parts)
		}
		if verbose {
			fmt.Fprint(out, assignment)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out)
	print("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT")
	for _, r := range rows {
		print(v.desc.Group, r.id, r.instance, r.host, r.client, strconv.Itoa(r.parts), r.assignment)
	}
}

func printState(out io.Writer, v *groupView) {
	d := v.desc
	coord := fmt.Sprintf("%s:%d  (%d)", d.Coordinator.Host, d.Coordinator.Port, d.Coordinator.NodeID)
	gw, cw := max(25, len(d.Group)), max(25, len(coord))
	strategy := d.Protocol
	if strategy == "" {
		strategy = missing
	}
	line := func(a, b, c, e, f string) {
		fmt.Fprintf(out, "\n%-*s %-*s %-20s %-15s %s", gw, a, cw, b, c, e, f)
	}
	line("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS")
	line(d.Group, coord, strategy, d.State, strconv.Itoa(len(d.Members)))
	fmt.Fprintln(out)
}
