package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/runnel-dev/runnel/connect"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Context headers added to dead-letter records (Kafka's
// DeadLetterQueueReporter names).
const (
	headerPrefix         = "__connect.errors."
	headerTopic          = headerPrefix + "topic"
	headerPartition      = headerPrefix + "partition"
	headerOffset         = headerPrefix + "offset"
	headerConnector      = headerPrefix + "connector.name"
	headerTaskID         = headerPrefix + "task.id"
	headerStage          = headerPrefix + "stage"
	headerClass          = headerPrefix + "class.name"
	headerExceptionClass = headerPrefix + "exception.class.name"
	headerExceptionMsg   = headerPrefix + "exception.message"
	headerStacktrace     = headerPrefix + "exception.stacktrace"
)

// logReporter writes failures to the log (errors.log.enable).
type logReporter struct {
	id              ConnectorTaskID
	includeMessages bool
	log             *slog.Logger
}

func (r *logReporter) report(_ context.Context, f *failure) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Error encountered in task %s-%d. Executing stage '%s' with class '%s'", r.id.Connector, r.id.Task, f.stage, f.class)
	if r.includeMessages {
		switch {
		case f.source != nil:
			fmt.Fprintf(&b, ", where source record is = %s", describeSourceRecord(f.source))
		case f.consumed != nil:
			c := f.consumed
			fmt.Fprintf(&b, ", where consumed record is {topic='%s', partition=%d, offset=%d, timestamp=%d, timestampType=%s}",
				c.Topic, c.Partition, c.Offset, c.Timestamp.UnixMilli(), timestampType(c))
		}
	}
	b.WriteByte('.')
	r.log.Error(b.String(), "err", f.err)
	return nil
}

// describeSourceRecord renders a source record for the error log; it is
// only used with errors.log.include.messages=true, which opts in to data in
// logs.
func describeSourceRecord(r *connect.SourceRecord) string {
	return fmt.Sprintf("SourceRecord{sourcePartition=%v, sourceOffset=%v} ConnectRecord{topic='%s', kafkaPartition=%d, key=%v, value=%v, timestamp=%d, headers=%d}",
		r.SourcePartition, r.SourceOffset, r.Topic, r.Partition, r.Key, r.Value, r.Timestamp.UnixMilli(), len(r.Headers))
}

func timestampType(r *kgo.Record) string {
	if r.Attrs.TimestampType() == 1 {
		return "LogAppendTime"
	}
	return "CreateTime"
}

// dlqReporter writes failed records to the dead letter queue topic.
type dlqReporter struct {
	id             ConnectorTaskID
	topic          string
	contextHeaders bool
	producer       *kgo.Client
}

func (r *dlqReporter) report(ctx context.Context, f *failure) error {
	rec := &kgo.Record{Topic: r.topic}
	switch {
	case f.consumed != nil:
		c := f.consumed
		rec.Key, rec.Value = c.Key, c.Value
		rec.Headers = append(rec.Headers, c.Headers...)
		if r.contextHeaders {
			rec.Headers = append(rec.Headers,
				kgo.RecordHeader{Key: headerTopic, Value: []byte(c.Topic)},
				kgo.RecordHeader{Key: headerPartition, Value: []byte(strconv.Itoa(int(c.Partition)))},
				kgo.RecordHeader{Key: headerOffset, Value: []byte(strconv.FormatInt(c.Offset, 10))})
		}
	case f.source != nil:
		// A source record that failed conversion has no bytes yet: write
		// a best-effort rendering so that it can be inspected and replayed.
		rec.Key = renderForDLQ(f.source.Key)
		rec.Value = renderForDLQ(f.source.Value)
		if r.contextHeaders {
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerTopic, Value: []byte(f.source.Topic)})
			if p, err := json.Marshal(f.source.SourcePartition); err == nil {
				rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerPrefix + "source.partition", Value: p})
			}
			if o, err := json.Marshal(f.source.SourceOffset); err == nil {
				rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: headerPrefix + "source.offset", Value: o})
			}
		}
	default:
		return nil
	}
	if r.contextHeaders {
		rec.Headers = append(rec.Headers,
			kgo.RecordHeader{Key: headerConnector, Value: []byte(r.id.Connector)},
			kgo.RecordHeader{Key: headerTaskID, Value: []byte(strconv.Itoa(r.id.Task))},
			kgo.RecordHeader{Key: headerStage, Value: []byte(f.stage)},
			kgo.RecordHeader{Key: headerClass, Value: []byte(f.class)},
			kgo.RecordHeader{Key: headerExceptionClass, Value: []byte(errorClassName(f.err))},
			kgo.RecordHeader{Key: headerExceptionMsg, Value: []byte(f.err.Error())},
			kgo.RecordHeader{Key: headerStacktrace, Value: []byte(errorChain(f.err))})
	}
	if err := r.producer.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("writing to dead letter queue topic %s: %w", r.topic, err)
	}
	return nil
}

// renderForDLQ turns a Connect value into bytes without its converter.
func renderForDLQ(v any) []byte {
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	if b, err := json.Marshal(v); err == nil {
		return b
	}
	return []byte(fmt.Sprint(v))
}

// errorChain lists an error and its causes, one per line: the closest Go
// has to a Java stack trace.
func errorChain(err error) string {
	var b strings.Builder
	for i := 0; err != nil && i < 32; i++ {
		if i > 0 {
			b.WriteString("\nCaused by: ")
		}
		b.WriteString(err.Error())
		type unwrapper interface{ Unwrap() error }
		u, ok := err.(unwrapper)
		if !ok {
			break
		}
		err = u.Unwrap()
	}
	return b.String()
}
