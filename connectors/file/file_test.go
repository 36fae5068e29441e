package file

import (
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

type fakeReader struct{ offsets map[string]map[string]any }

func (f fakeReader) Offset(_ context.Context, p map[string]any) (map[string]any, error) {
	return f.offsets[p[FilenameField].(string)], nil
}
func (f fakeReader) Offsets(ctx context.Context, ps []map[string]any) ([]map[string]any, error) {
	out := make([]map[string]any, len(ps))
	for i, p := range ps {
		out[i], _ = f.Offset(ctx, p)
	}
	return out, nil
}

type fakeSourceCtx struct{ r connect.OffsetStorageReader }

func (c fakeSourceCtx) OffsetStorageReader() connect.OffsetStorageReader { return c.r }
func (c fakeSourceCtx) Logger() *slog.Logger                             { return slog.New(slog.DiscardHandler) }

func startSource(t *testing.T, path string, offsets map[string]map[string]any, batch string) *SourceTask {
	t.Helper()
	task := NewSourceTask()
	cfg := map[string]string{FileConfig: path, TopicConfig: "t", BatchSizeConfig: batch}
	if err := task.Start(context.Background(), fakeSourceCtx{fakeReader{offsets}}, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Stop() })
	return task
}

func pollAll(t *testing.T, task *SourceTask) []connect.SourceRecord {
	t.Helper()
	var out []connect.SourceRecord
	for {
		recs, err := task.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return out
		}
		out = append(out, recs...)
	}
}

func TestSourceSplitsLinesAndRecordsBytePositions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(path, []byte("a\r\nbb\rccc\nünï\npartial"), 0o644)
	task := startSource(t, path, nil, "2")
	recs := pollAll(t, task)
	wantVals := []string{"a", "bb", "ccc", "ünï"}
	wantPos := []int64{3, 6, 10, 16} // byte positions: ü and ï take two bytes each
	if len(recs) != len(wantVals) {
		t.Fatalf("got %d records: %+v", len(recs), recs)
	}
	for i, r := range recs {
		if r.Value != wantVals[i] || r.SourceOffset[PositionField] != wantPos[i] || r.SourcePartition[FilenameField] != path ||
			r.Topic != "t" || r.ValueSchema != data.StringSchema || r.Key != nil {
			t.Errorf("record %d: %+v", i, r)
		}
	}
	// The partial line is emitted once it is terminated.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(" line\n")
	f.Close()
	recs = pollAll(t, task)
	if len(recs) != 1 || recs[0].Value != "partial line" || recs[0].SourceOffset[PositionField] != int64(29) {
		t.Fatalf("appended: %+v", recs)
	}
}

func TestSourceResumesAfterCommittedPosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(path, []byte("one\ntwo\nthree\n"), 0o644)
	task := startSource(t, path, map[string]map[string]any{path: {PositionField: int64(4)}}, "100")
	recs := pollAll(t, task)
	if len(recs) != 2 || recs[0].Value != "two" || recs[1].Value != "three" {
		t.Fatalf("resumed: %+v", recs)
	}
	// A position beyond the end means the file was replaced: start over.
	task = startSource(t, path, map[string]map[string]any{path: {PositionField: int64(1000)}}, "100")
	if recs := pollAll(t, task); len(recs) != 3 {
		t.Fatalf("after truncation: %+v", recs)
	}
}

func TestSourceWaitsForMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.txt")
	task := startSource(t, path, nil, "10")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if recs, err := task.Poll(ctx); err != nil || len(recs) != 0 {
		t.Fatalf("missing file: %v %v", recs, err)
	}
	os.WriteFile(path, []byte("x\n"), 0o644)
	if recs := pollAll(t, task); len(recs) != 1 {
		t.Fatalf("created file: %+v", recs)
	}
}

func TestJavaStringFormatting(t *testing.T) {
	schema := data.StructBuilder().Field("f1", data.StringSchema).Field("f2", data.OptionalInt32Schema).Field("f3", data.Float64Schema).MustBuild()
	st := data.NewStruct(schema).MustPut("f1", "v1").MustPut("f3", 1.0)
	cases := []struct {
		v    any
		want string
	}{
		{nil, "null"},
		{"s", "s"},
		{int64(42), "42"},
		{true, "true"},
		{1.0, "1.0"},
		{1e7, "1.0E7"},
		{0.0001, "1.0E-4"},
		{math.NaN(), "NaN"},
		{float32(2.5), "2.5"},
		{map[string]any{"some_key": int32(0)}, "{some_key=0}"},
		{[]any{int64(1), "a"}, "[1, a]"},
		{st, "Struct{f1=v1,f3=1.0}"},
	}
	for _, c := range cases {
		if got := string(appendJavaString(nil, c.v)); got != c.want {
			t.Errorf("%#v: got %q, want %q", c.v, got, c.want)
		}
	}
}

func TestSinkAppendsAndFlushes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	os.WriteFile(path, []byte("existing\n"), 0o644)
	task := NewSinkTask()
	if err := task.Start(context.Background(), nil, map[string]string{FileConfig: path}); err != nil {
		t.Fatal(err)
	}
	if err := task.Put(context.Background(), []connect.SinkRecord{{Value: "a"}, {Value: nil}, {Value: map[string]any{"k": "v"}}}); err != nil {
		t.Fatal(err)
	}
	if err := task.Flush(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "existing\na\nnull\n{k=v}\n" {
		t.Fatalf("file %q", got)
	}
	if err := task.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestSourceConnectorAlterOffsets(t *testing.T) {
	c := NewSourceConnector()
	cfg := map[string]string{FileConfig: "/x", TopicConfig: "t"}
	if ok, err := c.AlterOffsets(cfg, []connect.SourceOffset{{Partition: map[string]any{FilenameField: "/x"}, Offset: map[string]any{PositionField: int64(3)}}}); !ok || err != nil {
		t.Fatalf("valid alter: %v %v", ok, err)
	}
	for _, bad := range []connect.SourceOffset{
		{Partition: map[string]any{FilenameField: "/x"}, Offset: map[string]any{"pos": int64(3)}},
		{Partition: map[string]any{FilenameField: "/x"}, Offset: map[string]any{PositionField: "3"}},
		{Partition: map[string]any{FilenameField: "/x"}, Offset: map[string]any{PositionField: int64(-1)}},
		{Partition: map[string]any{"file": "/x"}, Offset: map[string]any{PositionField: int64(1)}},
	} {
		if _, err := c.AlterOffsets(cfg, []connect.SourceOffset{bad}); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	if _, err := c.AlterOffsets(map[string]string{TopicConfig: "t"}, nil); err == nil {
		t.Error("stdin offsets accepted")
	}
}
