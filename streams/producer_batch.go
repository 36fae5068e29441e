package streams

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Record batches are written in Kafka's v2 format (magic 2) directly into
// one growing buffer per partition, so producing a record costs a few
// varint appends and a copy of its bytes: no per-record allocation, no
// per-record lock and no per-record callback. The 61-byte header is
// reserved up front and filled in when the batch is sealed.
const batchHeaderLen = 61

// crc32c is the Castagnoli table Kafka's batch checksum uses.
var crc32c = crc32.MakeTable(crc32.Castagnoli)

// topicPartition names one partition of one topic.
type topicPartition struct {
	topic     string
	partition int32
}

// recordBatch is one partition's batch: open (records still appended by the
// owning stream thread) until sealed, then owned by the sender.
type recordBatch struct {
	topicPartition
	changelog bool // acknowledged offsets feed the task's checkpoint
	buf       []byte
	n         int32
	firstTs   int64
	maxTs     int64
	created   time.Time // first record; bounds the delivery time
	abandoned bool      // a request carrying buf was abandoned: never reuse buf
}

func newRecordBatch(tp topicPartition, changelog bool, capacity int) *recordBatch {
	b := &recordBatch{topicPartition: tp, changelog: changelog}
	b.buf = make([]byte, batchHeaderLen, max(capacity, batchHeaderLen+64))
	return b
}

// recordLen is the encoded size of a record's body (without its own
// length prefix).
func recordLen(tsDelta int64, offsetDelta int32, key, value []byte, headers []kgo.RecordHeader) int {
	n := 1 + kbin.VarlongLen(tsDelta) + kbin.VarintLen(offsetDelta)
	n += bytesLen(key) + bytesLen(value)
	n += kbin.VarintLen(int32(len(headers)))
	for _, h := range headers {
		n += kbin.VarintLen(int32(len(h.Key))) + len(h.Key) + bytesLen(h.Value)
	}
	return n
}

func bytesLen(b []byte) int {
	if b == nil {
		return kbin.VarintLen(-1)
	}
	return kbin.VarintLen(int32(len(b))) + len(b)
}

func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return kbin.AppendVarint(dst, -1)
	}
	return append(kbin.AppendVarint(dst, int32(len(b))), b...)
}

// encodedSize is what appending the record would add to the batch.
func (b *recordBatch) encodedSize(key, value []byte, ts int64, headers []kgo.RecordHeader) int {
	first := ts
	if b.n > 0 {
		first = b.firstTs
	}
	l := recordLen(ts-first, b.n, key, value, headers)
	return kbin.VarintLen(int32(l)) + l
}

// append encodes one record at the end of the batch.
func (b *recordBatch) append(key, value []byte, ts int64, headers []kgo.RecordHeader, now func() time.Time) {
	if b.n == 0 {
		b.firstTs, b.maxTs = ts, ts
		b.created = now()
	}
	if ts > b.maxTs {
		b.maxTs = ts
	}
	delta := ts - b.firstTs
	l := recordLen(delta, b.n, key, value, headers)
	buf := kbin.AppendVarint(b.buf, int32(l))
	buf = append(buf, 0) // record attributes: unused
	buf = kbin.AppendVarlong(buf, delta)
	buf = kbin.AppendVarint(buf, b.n)
	buf = appendBytes(buf, key)
	buf = appendBytes(buf, value)
	buf = kbin.AppendVarint(buf, int32(len(headers)))
	for _, h := range headers {
		buf = kbin.AppendVarint(buf, int32(len(h.Key)))
		buf = append(buf, h.Key...)
		buf = appendBytes(buf, h.Value)
	}
	b.buf = buf
	b.n++
}

// seal fills in the batch header: no compression, create time, no
// producer id (the at-least-once producer is not idempotent; Kafka Streams'
// at-least-once guarantee allows the duplicates a retry may cause).
func (b *recordBatch) seal() {
	h := b.buf[:batchHeaderLen]
	binary.BigEndian.PutUint64(h[0:], 0)                                   // base offset, set by the broker
	binary.BigEndian.PutUint32(h[8:], uint32(len(b.buf)-12))               // length after this field
	binary.BigEndian.PutUint32(h[12:], 0xffffffff)                         // partition leader epoch: -1
	h[16] = 2                                                              // magic
	binary.BigEndian.PutUint16(h[21:], 0)                                  // attributes
	binary.BigEndian.PutUint32(h[23:], uint32(b.n-1))                      // last offset delta
	binary.BigEndian.PutUint64(h[27:], uint64(b.firstTs))                  // first timestamp
	binary.BigEndian.PutUint64(h[35:], uint64(b.maxTs))                    // max timestamp
	binary.BigEndian.PutUint64(h[43:], 0xffffffffffffffff)                 // producer id: -1
	binary.BigEndian.PutUint16(h[51:], 0xffff)                             // producer epoch: -1
	binary.BigEndian.PutUint32(h[53:], 0xffffffff)                         // base sequence: -1
	binary.BigEndian.PutUint32(h[57:], uint32(b.n))                        // record count
	binary.BigEndian.PutUint32(h[17:], crc32.Checksum(b.buf[21:], crc32c)) // over attributes..end
}

// records decodes the batch back into records, for the production
// exception handler and for splitting a batch the broker found too large.
// It only reads what append wrote, so an error means a bug here.
func (b *recordBatch) records() ([]*kgo.Record, error) {
	out := make([]*kgo.Record, 0, b.n)
	src := b.buf[batchHeaderLen:]
	for i := int32(0); i < b.n; i++ {
		var r kmsg.Record
		if err := r.ReadFrom(src); err != nil {
			return out, fmt.Errorf("decoding record %d of a batch for %s[%d]: %w", i, b.topic, b.partition, err)
		}
		size := kbin.VarintLen(r.Length) + int(r.Length)
		if size > len(src) || r.Length < 0 {
			return out, errors.New("record batch is truncated")
		}
		src = src[size:]
		// Copies: the batch's buffer is reused once the batch is done.
		rec := &kgo.Record{
			Topic:     b.topic,
			Partition: b.partition,
			Key:       bytes.Clone(r.Key),
			Value:     bytes.Clone(r.Value),
			Timestamp: timeFromMillis(b.firstTs + r.TimestampDelta64),
		}
		for _, h := range r.Headers {
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: h.Key, Value: bytes.Clone(h.Value)})
		}
		out = append(out, rec)
	}
	return out, nil
}

// split re-encodes the batch as one batch per record (sealed), for a
// broker that refused the batch as too large: only the records that are
// too large on their own then fail.
func (b *recordBatch) split() ([]*recordBatch, error) {
	recs, err := b.records()
	if err != nil {
		return nil, err
	}
	out := make([]*recordBatch, len(recs))
	for i, r := range recs {
		nb := newRecordBatch(b.topicPartition, b.changelog, batchHeaderLen+len(r.Key)+len(r.Value)+64)
		nb.append(r.Key, r.Value, r.Timestamp.UnixMilli(), r.Headers, func() time.Time { return b.created })
		nb.seal()
		out[i] = nb
	}
	return out, nil
}
