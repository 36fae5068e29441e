package data

import "time"

// Names of the temporal logical types.
const (
	DateLogicalName      = "org.apache.kafka.connect.data.Date"      // INT32 days since epoch
	TimeLogicalName      = "org.apache.kafka.connect.data.Time"      // INT32 ms since midnight
	TimestampLogicalName = "org.apache.kafka.connect.data.Timestamp" // INT64 ms since epoch
)

const millisPerDay = 24 * 60 * 60 * 1000

// Required temporal logical schemas (version 1), as Kafka's Date.SCHEMA etc.
var (
	DateSchema      = DateBuilder().MustBuild()
	TimeSchema      = TimeBuilder().MustBuild()
	TimestampSchema = TimestampBuilder().MustBuild()
)

// DateBuilder starts a Date schema (INT32, version 1).
func DateBuilder() *SchemaBuilder { return Int32Builder().Name(DateLogicalName).Version(1) }

// TimeBuilder starts a Time schema (INT32, version 1).
func TimeBuilder() *SchemaBuilder { return Int32Builder().Name(TimeLogicalName).Version(1) }

// TimestampBuilder starts a Timestamp schema (INT64, version 1).
func TimestampBuilder() *SchemaBuilder {
	return Int64Builder().Name(TimestampLogicalName).Version(1)
}

// DateFromLogical converts a date (midnight UTC) to days since the epoch.
func DateFromLogical(s *Schema, t time.Time) (int32, error) {
	if s == nil || s.name != DateLogicalName {
		return 0, Errorf("Requested conversion of Date object but the schema does not match.")
	}
	ms := t.UnixMilli()
	if ms%millisPerDay != 0 || t.Nanosecond()%int(time.Millisecond) != 0 {
		return 0, Errorf("Kafka Connect Date type should not have any time fields set to non-zero values.")
	}
	return int32(ms / millisPerDay), nil
}

// DateToLogical converts days since the epoch to midnight UTC of that day.
func DateToLogical(s *Schema, days int32) (time.Time, error) {
	if s == nil || s.name != DateLogicalName {
		return time.Time{}, Errorf("Requested conversion of Date object but the schema does not match.")
	}
	return time.UnixMilli(int64(days) * millisPerDay).UTC(), nil
}

// TimeFromLogical converts a time of day, given as an instant on 1970-01-01
// UTC (as Kafka represents it), to milliseconds since midnight.
func TimeFromLogical(s *Schema, t time.Time) (int32, error) {
	if s == nil || s.name != TimeLogicalName {
		return 0, Errorf("Requested conversion of Time object but the schema does not match.")
	}
	ms := t.UnixMilli()
	if ms < 0 || ms > millisPerDay {
		return 0, Errorf("Kafka Connect Time type should not have any date fields set to non-zero values.")
	}
	return int32(ms), nil
}

// TimeToLogical converts milliseconds since midnight to an instant on
// 1970-01-01 UTC.
func TimeToLogical(s *Schema, ms int32) (time.Time, error) {
	if s == nil || s.name != TimeLogicalName {
		return time.Time{}, Errorf("Requested conversion of Date object but the schema does not match.")
	}
	if ms < 0 || ms > millisPerDay {
		return time.Time{}, Errorf("Time values must use number of milliseconds greater than 0 and less than 86400000")
	}
	return time.UnixMilli(int64(ms)).UTC(), nil
}

// TimestampFromLogical converts an instant to milliseconds since the epoch.
func TimestampFromLogical(s *Schema, t time.Time) (int64, error) {
	if s == nil || s.name != TimestampLogicalName {
		return 0, Errorf("Requested conversion of Timestamp object but the schema does not match.")
	}
	return t.UnixMilli(), nil
}

// TimestampToLogical converts milliseconds since the epoch to a UTC instant.
func TimestampToLogical(s *Schema, ms int64) (time.Time, error) {
	if s == nil || s.name != TimestampLogicalName {
		return time.Time{}, Errorf("Requested conversion of Timestamp object but the schema does not match.")
	}
	return time.UnixMilli(ms).UTC(), nil
}
