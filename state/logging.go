package state

import (
	"bytes"
	"fmt"
)

// changeLoggingKV writes every change of the store it wraps to the store's
// changelog topic (through StateStoreContext.LogChange), so a task that
// moves or restarts can restore it. Restoration writes to the inner store
// directly and is not logged again.
//
// A timestamped store keeps values as an 8-byte big-endian timestamp
// followed by the plain value (Kafka's ValueAndTimestamp layout); its
// changelog holds the plain value stamped with that timestamp, as Kafka's
// ChangeLoggingTimestampedKeyValueBytesStore does, and restoration puts
// the record timestamp back in front.
type changeLoggingKV struct {
	KeyValueBytesStore
	ctx         StateStoreContext
	timestamped bool
	copies      bool // ctx's change logging copies: no need to copy first
}

func newChangeLoggingKV(inner KeyValueBytesStore) *changeLoggingKV {
	return &changeLoggingKV{KeyValueBytesStore: inner}
}

func (l *changeLoggingKV) innerStore() StateStore { return l.KeyValueBytesStore }

func (l *changeLoggingKV) Init(ctx StateStoreContext, root StateStore) error {
	if ctx != nil && ctx.ChangelogTopic(l.Name()) != "" {
		l.ctx, l.copies = ctx, changeLogCopies(ctx)
	}
	if outer := ctx; outer != nil && l.timestamped {
		ctx = &contextWrapper{StateStoreContext: outer, register: func(store StateStore, restore RestoreCallback) error {
			return outer.Register(store, timestampedRestore(restore))
		}}
	}
	return l.KeyValueBytesStore.Init(ctx, root)
}

// timestampedRestore turns changelog records (plain values) back into
// the timestamped layout before the store applies them.
func timestampedRestore(restore RestoreCallback) RestoreCallback {
	return func(batch []ChangelogRecord) error {
		conv := make([]ChangelogRecord, len(batch))
		for i, r := range batch {
			conv[i] = r
			if r.Value != nil {
				conv[i].Value = appendTimestamped(make([]byte, 0, 8+len(r.Value)), r.TimestampMs, r.Value)
			}
		}
		return restore(conv)
	}
}

// log sends copies unless the context copies itself: callers may reuse
// their buffers once Put returns, and the changelog record may be sent
// later.
func (l *changeLoggingKV) log(key, value []byte) error {
	if l.ctx == nil {
		return nil
	}
	if !l.copies {
		key = bytes.Clone(key)
	}
	if l.timestamped && value != nil {
		ts, raw, err := splitTimestamped(value)
		if err != nil {
			return fmt.Errorf("store %q: %w", l.Name(), err)
		}
		if !l.copies {
			raw = bytes.Clone(raw)
		}
		return logChangeAt(l.ctx, l.Name(), key, raw, ts)
	}
	if !l.copies {
		value = bytes.Clone(value) // nil stays nil
	}
	return l.ctx.LogChange(l.Name(), key, value)
}

func (l *changeLoggingKV) Put(key, value []byte) error {
	if err := l.KeyValueBytesStore.Put(key, value); err != nil {
		return err
	}
	return l.log(key, value)
}

func (l *changeLoggingKV) PutIfAbsent(key, value []byte) ([]byte, error) {
	old, err := l.KeyValueBytesStore.PutIfAbsent(key, value)
	if err != nil || old != nil {
		return old, err
	}
	return nil, l.log(key, value)
}

func (l *changeLoggingKV) PutAll(entries []KeyValue[[]byte, []byte]) error {
	if err := l.KeyValueBytesStore.PutAll(entries); err != nil {
		return err
	}
	for _, e := range entries {
		if err := l.log(e.Key, e.Value); err != nil {
			return err
		}
	}
	return nil
}

// Delete always logs a tombstone, as Kafka does, even for an absent key.
func (l *changeLoggingKV) Delete(key []byte) ([]byte, error) {
	old, err := l.KeyValueBytesStore.Delete(key)
	if err != nil {
		return old, err
	}
	return old, l.log(key, nil)
}
