package cdc

import (
	"encoding/binary"
	"fmt"
)

// The pgoutput row messages (Insert, Update, Delete) are decoded here
// without allocating: column values alias the received buffer and are
// converted before the next message is read. Other messages are rare and
// go through pglogrepl.

// rowMessage is a decoded Insert, Update or Delete.
type rowMessage struct {
	kind     byte // 'I', 'U' or 'D'
	relation uint32
	// oldKind is 'K' (key columns only), 'O' (the whole old row) or 0.
	oldKind byte
	old     []tupleCol
	new     []tupleCol
}

type pgoutputDecoder struct {
	oldBuf, newBuf []tupleCol
}

func (d *pgoutputDecoder) decodeRow(b []byte) (*rowMessage, error) {
	if len(b) < 6 {
		return nil, fmt.Errorf("pgoutput: short %q message", b[0])
	}
	m := &rowMessage{kind: b[0], relation: binary.BigEndian.Uint32(b[1:5])}
	p := 5
	var err error
	switch m.kind {
	case 'I':
		if b[p] != 'N' {
			return nil, fmt.Errorf("pgoutput: insert without new tuple")
		}
		m.new, _, err = readTuple(b, p+1, d.newBuf[:0])
		d.newBuf = m.new
	case 'U':
		if b[p] == 'K' || b[p] == 'O' {
			m.oldKind = b[p]
			m.old, p, err = readTuple(b, p+1, d.oldBuf[:0])
			d.oldBuf = m.old
			if err != nil {
				return nil, err
			}
		}
		if p >= len(b) || b[p] != 'N' {
			return nil, fmt.Errorf("pgoutput: update without new tuple")
		}
		m.new, _, err = readTuple(b, p+1, d.newBuf[:0])
		d.newBuf = m.new
	case 'D':
		if b[p] != 'K' && b[p] != 'O' {
			return nil, fmt.Errorf("pgoutput: delete without old tuple")
		}
		m.oldKind = b[p]
		m.old, _, err = readTuple(b, p+1, d.oldBuf[:0])
		d.oldBuf = m.old
	default:
		return nil, fmt.Errorf("pgoutput: unexpected message %q", m.kind)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// readTuple reads TupleData at b[p:], appending to dst; it returns the
// position after it.
func readTuple(b []byte, p int, dst []tupleCol) ([]tupleCol, int, error) {
	if p+2 > len(b) {
		return nil, 0, fmt.Errorf("pgoutput: truncated tuple")
	}
	n := int(binary.BigEndian.Uint16(b[p:]))
	p += 2
	for i := 0; i < n; i++ {
		if p >= len(b) {
			return nil, 0, fmt.Errorf("pgoutput: truncated tuple")
		}
		kind := b[p]
		p++
		switch kind {
		case 'n', 'u':
			dst = append(dst, tupleCol{kind: kind})
		case 't', 'b':
			if p+4 > len(b) {
				return nil, 0, fmt.Errorf("pgoutput: truncated tuple")
			}
			l := int(binary.BigEndian.Uint32(b[p:]))
			p += 4
			if p+l > len(b) {
				return nil, 0, fmt.Errorf("pgoutput: truncated tuple")
			}
			if kind == 'b' {
				return nil, 0, fmt.Errorf("pgoutput: binary tuple data is not supported")
			}
			dst = append(dst, tupleCol{kind: colText, data: b[p : p+l]})
			p += l
		default:
			return nil, 0, fmt.Errorf("pgoutput: unknown tuple column kind %q", kind)
		}
	}
	return dst, p, nil
}
