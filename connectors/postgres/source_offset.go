package postgres

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Offset keys, as Confluent's TimestampIncrementingOffset.
const (
	offsetIncrementing   = "incrementing"
	offsetTimestamp      = "timestamp"
	offsetTimestampNanos = "timestamp_nanos"
)

// Source partition keys, as Confluent's JdbcSourceConnectorConstants.
const (
	partitionTable    = "table"
	partitionQuery    = "query"
	partitionProtocol = "protocol"
	protocolV1        = "1"
)

// position is where a table's incremental read stands.
type position struct {
	ts    *time.Time
	inc   *int64
	valid bool // an offset was stored or a row was read
}

// toMap renders the offset Confluent writes: epoch milliseconds plus the
// nanoseconds of the second (java.sql.Timestamp's getTime and getNanos).
func (p position) toMap() map[string]any {
	m := make(map[string]any, 3)
	if p.inc != nil {
		m[offsetIncrementing] = *p.inc
	}
	if p.ts != nil {
		m[offsetTimestamp] = p.ts.UnixMilli()
		m[offsetTimestampNanos] = int64(p.ts.Nanosecond())
	}
	return m
}

// positionFrom reads a stored offset, tolerating the number types an
// offset store may hand back (int64 from Go, float64 or json.Number from
// JSON).
func positionFrom(m map[string]any) (position, error) {
	var p position
	if len(m) == 0 {
		return p, nil
	}
	p.valid = true
	if v, ok := m[offsetIncrementing]; ok && v != nil {
		n, err := asInt64(v)
		if err != nil {
			return p, fmt.Errorf("offset %q: %w", offsetIncrementing, err)
		}
		p.inc = &n
	}
	if v, ok := m[offsetTimestamp]; ok && v != nil {
		ms, err := asInt64(v)
		if err != nil {
			return p, fmt.Errorf("offset %q: %w", offsetTimestamp, err)
		}
		sec := floorDiv(ms, 1000)
		nanos := (ms - sec*1000) * int64(time.Millisecond)
		if nv, ok := m[offsetTimestampNanos]; ok && nv != nil {
			n, err := asInt64(nv)
			if err != nil {
				return p, fmt.Errorf("offset %q: %w", offsetTimestampNanos, err)
			}
			nanos = n
		}
		t := time.Unix(sec, nanos).UTC()
		p.ts = &t
	}
	return p, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func asInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) {
			return 0, fmt.Errorf("%v is not an integer", x)
		}
		return int64(x), nil
	case json.Number:
		return x.Int64()
	}
	return 0, fmt.Errorf("%v (%T) is not a number", v, v)
}
