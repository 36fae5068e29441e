package state_test

import (
	"log/slog"
	"reflect"
	"testing"

	"github.com/runnel-dev/runnel/state"
	"github.com/runnel-dev/runnel/topology/serde"
)

type fakeCtx struct {
	topic string
	log   []string
}

func (c *fakeCtx) ApplicationID() string                                  { return "app" }
func (c *fakeCtx) TaskID() state.TaskID                                   { return state.TaskID{} }
func (c *fakeCtx) StateDir() string                                       { return "" }
func (c *fakeCtx) Register(state.StateStore, state.RestoreCallback) error { return nil }
func (c *fakeCtx) ChangelogTopic(string) string                           { return c.topic }
func (c *fakeCtx) Logger() *slog.Logger                                   { return slog.Default() }
func (c *fakeCtx) LogChange(store string, key, value []byte) error {
	v := string(value)
	if value == nil {
		v = "<null>"
	}
	c.log = append(c.log, store+":"+string(key)+"="+v)
	return nil
}

func TestChangeLogging(t *testing.T) {
	ctx := &fakeCtx{topic: "app-s-changelog"}
	st, _ := state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("s"), serde.String(), serde.String()).Build()
	if err := st.Init(ctx, st); err != nil {
		t.Fatal(err)
	}
	kv := st.(state.KeyValueStore[string, string])
	kv.Put("a", "1")
	kv.PutIfAbsent("a", "ignored")
	kv.PutIfAbsent("b", "2")
	kv.Delete("missing")
	kv.PutAll([]state.KeyValue[string, string]{{Key: "c", Value: "3"}})
	kv.Bytes().Put([]byte("d"), []byte("4")) // byte-level writes are logged too
	want := []string{"s:a=1", "s:b=2", "s:missing=<null>", "s:c=3", "s:d=4"}
	if !reflect.DeepEqual(ctx.log, want) {
		t.Errorf("logged %v\nwant %v", ctx.log, want)
	}

	quiet := &fakeCtx{} // no changelog topic: nothing is logged
	st2, _ := state.KeyValueStoreBuilder(state.InMemoryKeyValueStore("q"), serde.String(), serde.String()).Build()
	st2.Init(quiet, st2)
	st2.(state.KeyValueStore[string, string]).Put("a", "1")
	if len(quiet.log) != 0 {
		t.Errorf("logged without a changelog: %v", quiet.log)
	}
}
