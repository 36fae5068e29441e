package state

import (
	"bytes"
	"fmt"
)

// segmentLogger logs the writes of a segmented store (window, session) to
// its changelog. It sits under the record cache, so with caching on only
// flushed updates reach the changelog, as in Kafka. Store keys are
// segment(8) | escaped key | times; changelogKey turns one into Kafka's
// changelog layout. Keys outside the segments (the stream-time entry) and
// segment drops are not logged: changelog retention expires old windows.
type segmentLogger struct {
	KeyValueBytesStore
	ctx          StateStoreContext // nil: not logged
	changelogKey func(storeKey []byte) ([]byte, error)
}

func (l *segmentLogger) innerStore() StateStore { return l.KeyValueBytesStore }

func (l *segmentLogger) Init(ctx StateStoreContext, root StateStore) error {
	if ctx != nil && ctx.ChangelogTopic(l.Name()) != "" {
		l.ctx = ctx
	}
	return l.KeyValueBytesStore.Init(ctx, root)
}

func (l *segmentLogger) log(key, value []byte) error {
	if l.ctx == nil || len(key) == 0 || key[0] >= 0x80 {
		return nil
	}
	ck, err := l.changelogKey(key)
	if err != nil {
		return err
	}
	var v []byte
	if value != nil {
		v = bytes.Clone(value)
	}
	return l.ctx.LogChange(l.Name(), ck, v)
}

func (l *segmentLogger) Put(key, value []byte) error {
	if err := l.KeyValueBytesStore.Put(key, value); err != nil {
		return err
	}
	return l.log(key, value)
}

func (l *segmentLogger) Delete(key []byte) ([]byte, error) {
	old, err := l.KeyValueBytesStore.Delete(key)
	if err != nil {
		return old, err
	}
	return old, l.log(key, nil)
}

func (l *segmentLogger) PutIfAbsent(key, value []byte) ([]byte, error) {
	old, err := l.KeyValueBytesStore.PutIfAbsent(key, value)
	if err != nil || old != nil {
		return old, err
	}
	return nil, l.log(key, value)
}

func (l *segmentLogger) PutAll(entries []KeyValue[[]byte, []byte]) error {
	for _, e := range entries {
		if err := l.Put(e.Key, e.Value); err != nil {
			return err
		}
	}
	return nil
}

// deleteRange drops expired segments below the log.
func (l *segmentLogger) deleteRange(from, to []byte) error {
	return deleteKeyRange(l.KeyValueBytesStore, from, to)
}

// deleteRange drops the cached entries in [from, to), dirty ones included
// (they belong to expired segments), and the range below.
func (c *cachingKV) deleteRange(from, to []byte) error {
	c.mu.Lock()
	c.cache.removeRange(from, to)
	c.mu.Unlock()
	return deleteKeyRange(c.KeyValueBytesStore, from, to)
}

// windowChangelogKey turns segment | escaped key | start | seq into
// Kafka's window changelog key: key | start | seq.
func windowChangelogKey(storeKey []byte) ([]byte, error) {
	key, rest, err := splitEscaped(storeKey[8:])
	if err != nil || len(rest) != 12 {
		return nil, errCorruptKey(storeKey)
	}
	return append(append(make([]byte, 0, len(key)+12), key...), rest...), nil
}

// sessionChangelogKey turns segment | escaped key | end | start into
// Kafka's session changelog key: key | end | start.
func sessionChangelogKey(storeKey []byte) ([]byte, error) {
	key, rest, err := splitEscaped(storeKey[8:])
	if err != nil || len(rest) != 16 {
		return nil, errCorruptKey(storeKey)
	}
	return append(append(make([]byte, 0, len(key)+16), key...), rest...), nil
}

func errCorruptKey(k []byte) error { return fmt.Errorf("segmented store: corrupt key %x", k) }
