package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

const (
	readBufferSize = 256 << 10
	idleWait       = 200 * time.Millisecond
	missingWait    = time.Second
)

// SourceTask reads lines of one file (or stdin).
type SourceTask struct {
	filename  string
	topic     string
	batchSize int
	log       *slog.Logger
	reader    connect.OffsetStorageReader

	f         *os.File
	stdin     *stdinReader
	partition map[string]any
	buf       []byte
	start     int   // first unconsumed byte in buf
	end       int   // end of data in buf
	pos       int64 // file position of buf[start]
	warned    bool
}

// NewSourceTask returns an unstarted task.
func NewSourceTask() *SourceTask { return &SourceTask{} }

func (t *SourceTask) Version() string { return Version }

func (t *SourceTask) Start(_ context.Context, tctx connect.SourceTaskContext, config map[string]string) error {
	cfg, err := SourceConfigDef().Parse(config)
	if err != nil {
		return err
	}
	t.filename = cfg.String(FileConfig)
	t.topic = cfg.String(TopicConfig)
	t.batchSize = cfg.Int(BatchSizeConfig)
	t.log = tctx.Logger()
	t.reader = tctx.OffsetStorageReader()
	t.buf = make([]byte, readBufferSize)
	if t.filename == "" {
		t.stdin = newStdinReader(os.Stdin)
	} else {
		t.partition = map[string]any{FilenameField: t.filename}
	}
	return nil
}

// open opens the file and seeks to the committed position. It returns
// false (after waiting) when the file does not exist yet.
func (t *SourceTask) open(ctx context.Context) (bool, error) {
	f, err := os.Open(t.filename)
	if errors.Is(err, fs.ErrNotExist) {
		if !t.warned {
			t.log.Warn("Couldn't find file for FileStreamSourceTask, sleeping to wait for it to be created", "file", t.filename)
			t.warned = true
		}
		sleep(ctx, missingWait)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("opening %s: %w", t.filename, err)
	}
	t.warned = false
	pos := int64(0)
	off, err := t.reader.Offset(ctx, t.partition)
	if err != nil {
		f.Close()
		return false, err
	}
	if off != nil {
		p, ok := off[PositionField].(int64)
		if !ok {
			f.Close()
			return false, fmt.Errorf("offset for %s has no integer %q: %v", t.filename, PositionField, off)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return false, err
		}
		if p > st.Size() {
			t.log.Warn("file is shorter than the committed position; it was truncated or replaced, reading it from the start", "file", t.filename, "position", p, "size", st.Size())
			p = 0
		}
		if _, err := f.Seek(p, io.SeekStart); err != nil {
			f.Close()
			return false, fmt.Errorf("seeking %s to %d: %w", t.filename, p, err)
		}
		pos = p
	}
	t.f, t.pos, t.start, t.end = f, pos, 0, 0
	return true, nil
}

// Poll returns up to batch.size lines.
func (t *SourceTask) Poll(ctx context.Context) ([]connect.SourceRecord, error) {
	if t.stdin == nil && t.f == nil {
		ok, err := t.open(ctx)
		if !ok || err != nil {
			return nil, err
		}
	}
	var recs []connect.SourceRecord
	for len(recs) < t.batchSize {
		line, next, ok := t.nextLine()
		if ok {
			if recs == nil {
				recs = make([]connect.SourceRecord, 0, min(t.batchSize, 4096))
			}
			rec := connect.SourceRecord{
				Topic: t.topic, Partition: connect.NoPartition,
				ValueSchema: data.StringSchema, Value: line,
				SourcePartition: t.partition,
			}
			if t.partition != nil {
				rec.SourceOffset = map[string]any{PositionField: next}
			}
			recs = append(recs, rec)
			continue
		}
		n, err := t.fill(ctx)
		if err != nil {
			return recs, err
		}
		if n == 0 {
			if len(recs) == 0 {
				t.idle(ctx)
			}
			return recs, nil
		}
	}
	return recs, nil
}

// nextLine extracts one complete line from the buffer. A trailing \r is
// held back until the next byte shows whether it starts \r\n.
func (t *SourceTask) nextLine() (line string, next int64, ok bool) {
	b := t.buf[t.start:t.end]
	for i, c := range b {
		if c == '\n' || c == '\r' {
			skip := 1
			if c == '\r' {
				if i+1 >= len(b) {
					return "", 0, false
				}
				if b[i+1] == '\n' {
					skip = 2
				}
			}
			line = string(b[:i])
			t.start += i + skip
			t.pos += int64(i + skip)
			return line, t.pos, true
		}
	}
	return "", 0, false
}

// fill reads more data, compacting or growing the buffer as needed. It
// returns 0 at the current end of the file.
func (t *SourceTask) fill(ctx context.Context) (int, error) {
	if t.start > 0 {
		n := copy(t.buf, t.buf[t.start:t.end])
		t.start, t.end = 0, n
	}
	if t.end == len(t.buf) {
		grown := make([]byte, 2*len(t.buf))
		copy(grown, t.buf[:t.end])
		t.buf = grown
	}
	var n int
	var err error
	if t.stdin != nil {
		n, err = t.stdin.read(ctx, t.buf[t.end:])
	} else {
		n, err = t.f.Read(t.buf[t.end:])
	}
	t.end += n
	if err == io.EOF || (err == nil && n == 0) {
		return n, nil
	}
	if err != nil && ctx.Err() == nil {
		return n, fmt.Errorf("reading %s: %w", t.describe(), err)
	}
	return n, nil
}

// idle waits briefly for the file to grow, and notices when it was
// truncated or replaced.
func (t *SourceTask) idle(ctx context.Context) {
	sleep(ctx, idleWait)
	if t.f == nil {
		return
	}
	cur, err1 := t.f.Stat()
	onDisk, err2 := os.Stat(t.filename)
	if err1 != nil || err2 != nil {
		return
	}
	fileEnd := t.pos + int64(t.end-t.start)
	if !os.SameFile(cur, onDisk) || cur.Size() < fileEnd {
		t.log.Warn("file was truncated or replaced; reading it again from the start", "file", t.filename)
		t.f.Close()
		t.f = nil
		_ = t.reopenFromStart(ctx)
	}
}

func (t *SourceTask) reopenFromStart(context.Context) error {
	f, err := os.Open(t.filename)
	if err != nil {
		return err
	}
	t.f, t.pos, t.start, t.end = f, 0, 0, 0
	return nil
}

func (t *SourceTask) describe() string {
	if t.stdin != nil {
		return "stdin"
	}
	return t.filename
}

func (t *SourceTask) Stop() error {
	if t.stdin != nil {
		close(t.stdin.stop)
		t.stdin = nil
	}
	if t.f != nil {
		err := t.f.Close()
		t.f = nil
		return err
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
	case <-tm.C:
	}
}

// stdinReader reads standard input on its own goroutine so that Poll can
// return when the task stops; the goroutine ends at the next input or EOF.
type stdinReader struct {
	r      io.Reader
	chunks chan []byte
	err    error
	done   chan struct{}
	stop   chan struct{}
	rest   []byte
}

func newStdinReader(r io.Reader) *stdinReader {
	s := &stdinReader{r: r, chunks: make(chan []byte, 4), done: make(chan struct{}), stop: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			b := make([]byte, 64<<10)
			n, err := r.Read(b)
			if n > 0 {
				select {
				case s.chunks <- b[:n]:
				case <-s.stop:
					return
				}
			}
			if err != nil {
				s.err = err
				close(s.chunks)
				return
			}
		}
	}()
	return s
}

func (s *stdinReader) read(ctx context.Context, p []byte) (int, error) {
	if len(s.rest) == 0 {
		tm := time.NewTimer(idleWait)
		defer tm.Stop()
		select {
		case <-ctx.Done():
			return 0, nil
		case <-tm.C:
			return 0, nil
		case b, ok := <-s.chunks:
			if !ok {
				<-s.done
				if s.err == io.EOF {
					return 0, io.EOF
				}
				return 0, s.err
			}
			s.rest = b
		}
	}
	n := copy(p, s.rest)
	s.rest = s.rest[n:]
	return n, nil
}
