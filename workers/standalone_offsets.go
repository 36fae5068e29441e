package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/runnel-dev/runnel/connect"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Messages of the offsets endpoints (Kafka's text).
const (
	msgAltered        = "The offsets for this connector have been altered successfully"
	msgAlteredPartial = "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."
	msgReset          = "The offsets for this connector have been reset successfully"
	msgResetPartial   = "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses."
)

// ConnectorOffsets implements Herder.
func (h *Standalone) ConnectorOffsets(ctx context.Context, name string) (ConnectorOffsets, error) {
	c, ok := h.get(name)
	if !ok {
		return ConnectorOffsets{}, connectorNotFound(name)
	}
	out := ConnectorOffsets{Offsets: []ConnectorOffset{}}
	if c.kind == connect.PluginSink {
		resp, err := h.worker.admin.FetchOffsets(ctx, h.sinkGroup(c, name))
		if isGroupMissing(err) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("reading the offsets of consumer group %s: %w", h.sinkGroup(c, name), err)
		}
		resp.Each(func(o kadm.OffsetResponse) {
			if o.Err != nil || o.At < 0 {
				return
			}
			out.Offsets = append(out.Offsets, ConnectorOffset{
				Partition: map[string]any{"kafka_topic": o.Topic, "kafka_partition": o.Partition},
				Offset:    map[string]any{"kafka_offset": o.At},
			})
		})
		sort.Slice(out.Offsets, func(i, j int) bool {
			a, b := out.Offsets[i].Partition, out.Offsets[j].Partition
			if a["kafka_topic"] != b["kafka_topic"] {
				return a["kafka_topic"].(string) < b["kafka_topic"].(string)
			}
			return a["kafka_partition"].(int32) < b["kafka_partition"].(int32)
		})
		return out, nil
	}
	stored, err := h.offsets.Connector(ctx, name)
	if err != nil {
		return out, err
	}
	keys := make([]string, 0, len(stored))
	for k := range stored {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_, partition, err := parseOffsetKey(k)
		if err != nil {
			continue
		}
		offset, err := decodeJSONMap(stored[k])
		if err != nil {
			continue
		}
		out.Offsets = append(out.Offsets, ConnectorOffset{Partition: partition, Offset: offset})
	}
	return out, nil
}

func (h *Standalone) sinkGroup(c *connState, name string) string {
	if g := c.config["consumer.override.group.id"]; g != "" {
		return g
	}
	return "connect-" + name
}

// requireStopped is Kafka's precondition for changing offsets.
func (h *Standalone) requireStopped(name string) (*connState, error) {
	c, ok := h.get(name)
	if !ok {
		return nil, connectorNotFound(name)
	}
	if c.target != TargetStopped || len(h.worker.connectorTaskIDs(name)) > 0 {
		return nil, badRequest("Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/%s/stop' endpoint", name)
	}
	return c, nil
}

// AlterConnectorOffsets implements Herder.
func (h *Standalone) AlterConnectorOffsets(ctx context.Context, name string, offsets ConnectorOffsets) (string, error) {
	if err := h.lock(ctx); err != nil {
		return "", err
	}
	defer h.unlock()
	c, err := h.requireStopped(name)
	if err != nil {
		return "", err
	}
	if len(offsets.Offsets) == 0 {
		return "", badRequest("Partitions / offsets need to be provided for an alter offsets request")
	}
	if c.kind == connect.PluginSink {
		return h.alterSinkOffsets(ctx, c, name, offsets)
	}
	return h.alterSourceOffsets(ctx, c, name, offsets)
}

func (h *Standalone) alterSourceOffsets(ctx context.Context, c *connState, name string, offsets ConnectorOffsets) (string, error) {
	values := map[string][]byte{}
	var alter []connect.SourceOffset
	for _, o := range offsets.Offsets {
		if o.Partition == nil {
			return "", badRequest("The partition for a source connector offset cannot be null or missing")
		}
		integralNumbers(o.Partition)
		integralNumbers(o.Offset)
		if err := validateOffsetMap("Partition", o.Partition); err != nil {
			return "", badRequest("%v", err)
		}
		if err := validateOffsetMap("Offset", o.Offset); err != nil {
			return "", badRequest("%v", err)
		}
		key, err := offsetKey(name, o.Partition)
		if err != nil {
			return "", badRequest("%v", err)
		}
		if o.Offset == nil {
			values[key] = nil
		} else {
			b, err := json.Marshal(o.Offset)
			if err != nil {
				return "", badRequest("%v", err)
			}
			values[key] = b
		}
		alter = append(alter, connect.SourceOffset{Partition: o.Partition, Offset: o.Offset})
	}
	complete := true
	p, err := h.plugins.LookupConnector(c.config[ConnectorClassConfig])
	if err == nil {
		if a, ok := p.New().(connect.SourceOffsetAlterer); ok {
			if complete, err = a.AlterOffsets(c.config, alter); err != nil {
				return "", fmt.Errorf("Failed to alter offsets for connector %s: %w", name, err)
			}
		}
	}
	if err := h.offsets.Set(ctx, values); err != nil {
		return "", err
	}
	if complete {
		return msgAltered, nil
	}
	return msgAlteredPartial, nil
}

// parseSinkOffsets applies Kafka's SinkUtils.parseSinkConnectorOffsets rules.
func parseSinkOffsets(offsets ConnectorOffsets) (map[connect.TopicPartition]*int64, error) {
	out := map[connect.TopicPartition]*int64{}
	for _, o := range offsets.Offsets {
		if o.Partition == nil {
			return nil, badRequest("The partition for a sink connector offset cannot be null or missing")
		}
		topicV, hasTopic := o.Partition["kafka_topic"]
		partV, hasPart := o.Partition["kafka_partition"]
		if !hasTopic || !hasPart {
			return nil, badRequest("The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'")
		}
		topic, ok := topicV.(string)
		if !ok || topic == "" {
			return nil, badRequest("Kafka topic names must be valid strings that are non-empty and not null")
		}
		part, ok := asInt(partV)
		if !ok || part < 0 || part > math.MaxInt32 {
			return nil, badRequest("Failed to parse the following Kafka partition value in the provided offsets: '%v'. Partition values for sink connectors need to be integers.", partV)
		}
		tp := connect.TopicPartition{Topic: topic, Partition: int32(part)}
		if o.Offset == nil {
			out[tp] = nil
			continue
		}
		offV, ok := o.Offset["kafka_offset"]
		if !ok {
			return nil, badRequest("The offset for a sink connector should either be null or contain the key 'kafka_offset'")
		}
		off, ok := asInt(offV)
		if !ok || off < 0 {
			return nil, badRequest("Failed to parse the following Kafka offset value in the provided offsets: '%v'. Offset values for sink connectors need to be integers.", offV)
		}
		out[tp] = &off
	}
	return out, nil
}

// asInt accepts JSON numbers and numeric strings, as Kafka does.
func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) {
			return 0, false
		}
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int:
		return int64(x), true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func (h *Standalone) alterSinkOffsets(ctx context.Context, c *connState, name string, offsets ConnectorOffsets) (string, error) {
	parsed, err := parseSinkOffsets(offsets)
	if err != nil {
		return "", err
	}
	group := h.sinkGroup(c, name)
	if err := h.checkNoZombies(ctx, group, name); err != nil {
		return "", err
	}
	complete := true
	p, err := h.plugins.LookupConnector(c.config[ConnectorClassConfig])
	if err == nil {
		if a, ok := p.New().(connect.SinkOffsetAlterer); ok {
			if complete, err = a.AlterOffsets(c.config, parsed); err != nil {
				return "", fmt.Errorf("Failed to alter offsets for connector %s: %w", name, err)
			}
		}
	}
	commit := kadm.Offsets{}
	deletes := kadm.TopicsSet{}
	for tp, off := range parsed {
		if off == nil {
			deletes.Add(tp.Topic, tp.Partition)
			continue
		}
		commit.Add(kadm.Offset{Topic: tp.Topic, Partition: tp.Partition, At: *off, LeaderEpoch: -1})
	}
	if len(commit) > 0 {
		resp, err := h.worker.admin.CommitOffsets(ctx, group, commit)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			return "", fmt.Errorf("Failed to alter consumer group offsets for connector %s: %w", name, err)
		}
	}
	if len(deletes) > 0 {
		resp, err := h.worker.admin.DeleteOffsets(ctx, group, deletes)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			return "", fmt.Errorf("Failed to reset consumer group offsets for connector %s: %w", name, err)
		}
	}
	if complete {
		return msgAltered, nil
	}
	return msgAlteredPartial, nil
}

// checkNoZombies refuses to change the offsets of a group that still has
// members, which would be overwritten by them.
func (h *Standalone) checkNoZombies(ctx context.Context, group, name string) error {
	described, err := h.worker.admin.DescribeGroups(ctx, group)
	if err != nil {
		return fmt.Errorf("describing consumer group %s: %w", group, err)
	}
	if g, ok := described[group]; ok && len(g.Members) > 0 {
		return badRequest("Failed to alter consumer group offsets for connector %s either because its tasks haven't stopped completely yet or the connector was resumed before the request to alter its offsets could be successfully completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid of the zombie sink tasks.", name)
	}
	return nil
}

// ResetConnectorOffsets implements Herder.
func (h *Standalone) ResetConnectorOffsets(ctx context.Context, name string) (string, error) {
	if err := h.lock(ctx); err != nil {
		return "", err
	}
	defer h.unlock()
	c, err := h.requireStopped(name)
	if err != nil {
		return "", err
	}
	if c.kind == connect.PluginSink {
		group := h.sinkGroup(c, name)
		if err := h.checkNoZombies(ctx, group, name); err != nil {
			return "", err
		}
		resp, err := h.worker.admin.DeleteGroups(ctx, group)
		if err == nil {
			err = resp.Error()
		}
		if err != nil && !isGroupMissing(err) {
			return "", fmt.Errorf("Failed to reset consumer group offsets for connector %s: %w", name, err)
		}
		return msgReset, nil
	}
	stored, err := h.offsets.Connector(ctx, name)
	if err != nil {
		return "", err
	}
	values := map[string][]byte{}
	var alter []connect.SourceOffset
	for k := range stored {
		values[k] = nil
		if _, p, err := parseOffsetKey(k); err == nil {
			alter = append(alter, connect.SourceOffset{Partition: p})
		}
	}
	complete := true
	if p, err := h.plugins.LookupConnector(c.config[ConnectorClassConfig]); err == nil {
		if a, ok := p.New().(connect.SourceOffsetAlterer); ok {
			if complete, err = a.AlterOffsets(c.config, alter); err != nil {
				return "", fmt.Errorf("Failed to reset offsets for connector %s: %w", name, err)
			}
		}
	}
	if err := h.offsets.Set(ctx, values); err != nil {
		return "", err
	}
	if complete {
		return msgReset, nil
	}
	return msgResetPartial, nil
}

// isGroupMissing reports that a group to delete does not exist, which for
// a reset means there is nothing to do.
func isGroupMissing(err error) bool {
	return errors.Is(err, kerr.GroupIDNotFound)
}

// integralNumbers turns whole JSON numbers (decoded as float64) into int64,
// as Jackson reads them, so connectors see the Long offsets they wrote.
func integralNumbers(m map[string]any) {
	for k, v := range m {
		if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			m[k] = int64(f)
		}
	}
}
