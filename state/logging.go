package state

import "bytes"

// changeLoggingKV writes every change of the store it wraps to the store's
// changelog topic (through StateStoreContext.LogChange), so a task that
// moves or restarts can restore it. Restoration writes to the inner store
// directly and is not logged again.
type changeLoggingKV struct {
	KeyValueBytesStore
	ctx StateStoreContext
}

func newChangeLoggingKV(inner KeyValueBytesStore) *changeLoggingKV {
	return &changeLoggingKV{KeyValueBytesStore: inner}
}

func (l *changeLoggingKV) innerStore() StateStore { return l.KeyValueBytesStore }

func (l *changeLoggingKV) Init(ctx StateStoreContext, root StateStore) error {
	if ctx != nil && ctx.ChangelogTopic(l.Name()) != "" {
		l.ctx = ctx
	}
	return l.KeyValueBytesStore.Init(ctx, root)
}

// log sends copies: callers may reuse their buffers once Put returns, but
// the changelog record is sent later.
func (l *changeLoggingKV) log(key, value []byte) error {
	if l.ctx == nil {
		return nil
	}
	var v []byte
	if value != nil {
		v = bytes.Clone(value)
	}
	return l.ctx.LogChange(l.Name(), bytes.Clone(key), v)
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
