package cdc

import (
	"fmt"

	"github.com/runnel-dev/runnel/connect/data"
)

// Kinds of a column in a row image, as pgoutput's tuple data tags them.
const (
	colNull      = 'n'
	colUnchanged = 'u' // unchanged TOASTed value that the server did not send
	colText      = 't'
)

// tupleCol is one column of a row image; data aliases the buffer it was
// read from and is only valid until the next read.
type tupleCol struct {
	kind byte
	data []byte
}

// valueStruct converts a row image into the table's value struct. old, when
// not nil, is the previous image of the same row (REPLICA IDENTITY FULL),
// used for unchanged TOASTed columns the new image does not carry.
func valueStruct(t *table, row []tupleCol, old []tupleCol) (*data.Struct, error) {
	if len(row) != len(t.columns) {
		return nil, fmt.Errorf("table %s: row has %d columns, the table has %d", t, len(row), len(t.columns))
	}
	s := data.NewStruct(t.valueSchema)
	for i, c := range t.columns {
		if c.valueField == nil {
			continue
		}
		v, err := columnValue(c, row[i], old, i)
		if err != nil {
			return nil, fmt.Errorf("table %s column %q: %w", t, c.name, err)
		}
		if v == nil {
			continue
		}
		if err := s.PutField(c.valueField, v); err != nil {
			return nil, fmt.Errorf("table %s column %q: %w", t, c.name, err)
		}
	}
	return s, nil
}

func columnValue(c *column, col tupleCol, old []tupleCol, i int) (any, error) {
	switch col.kind {
	case colText:
		return c.decode(col.data)
	case colUnchanged:
		if old != nil && i < len(old) && old[i].kind == colText {
			return c.decode(old[i].data)
		}
		if c.toast != nil {
			return c.toast, nil
		}
	}
	// NULL, or a value the server did not send (key-only before images):
	// Debezium puts the type's zero in NOT NULL columns.
	if c.optional {
		return nil, nil
	}
	return c.zero, nil
}

// keyStruct builds the record key from a row image (nil when the table has
// no key).
func keyStruct(t *table, row []tupleCol) (*data.Struct, error) {
	if t.keySchema == nil {
		return nil, nil
	}
	if len(row) != len(t.columns) {
		return nil, fmt.Errorf("table %s: row has %d columns, the table has %d", t, len(row), len(t.columns))
	}
	s := data.NewStruct(t.keySchema)
	for i, c := range t.columns {
		if c.keyField == nil {
			continue
		}
		var v any
		var err error
		if row[i].kind == colText {
			v, err = c.decode(row[i].data)
		} else {
			v = c.zero
		}
		if err != nil {
			return nil, fmt.Errorf("table %s key column %q: %w", t, c.name, err)
		}
		if err := s.PutField(c.keyField, v); err != nil {
			return nil, fmt.Errorf("table %s key column %q: %w", t, c.name, err)
		}
	}
	return s, nil
}
