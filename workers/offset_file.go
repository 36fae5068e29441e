package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// fileOffsetFormat identifies Runnel's offsets file. Kafka's own standalone
// file is a Java-serialised HashMap, which Runnel does not read.
const fileOffsetFormat = "runnel-connect-offsets"

type offsetFile struct {
	Format  string        `json:"format"`
	Version int           `json:"version"`
	Offsets []offsetEntry `json:"offsets"`
}

type offsetEntry struct {
	Key   json.RawMessage `json:"key"`
	Value json.RawMessage `json:"value"`
}

// FileOffsetStore keeps source offsets in one JSON file (standalone mode's
// offset.storage.file.filename). Every Set rewrites the file atomically:
// write a temporary file, fsync it, rename it over the old one and fsync the
// directory, so a crash leaves either the old or the new offsets, never a
// torn file.
type FileOffsetStore struct {
	path string
	mu   sync.Mutex
	data map[string][]byte
}

// OpenFileOffsetStore loads path, or starts empty if it does not exist.
func OpenFileOffsetStore(path string) (*FileOffsetStore, error) {
	s := &FileOffsetStore{path: path, data: map[string][]byte{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading offsets file %s: %w", path, err)
	}
	if len(b) == 0 {
		return s, nil
	}
	var f offsetFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("offsets file %s is not a Runnel offsets file (%v); if it was written by Kafka's Java worker it cannot be read, move it away to start without offsets", path, err)
	}
	if f.Format != fileOffsetFormat || f.Version != 1 {
		return nil, fmt.Errorf("offsets file %s has format %q version %d; expected %q version 1", path, f.Format, f.Version, fileOffsetFormat)
	}
	for _, e := range f.Offsets {
		var key string
		if err := json.Unmarshal(e.Key, &key); err != nil {
			return nil, fmt.Errorf("offsets file %s: bad key %s: %w", path, e.Key, err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, e.Value); err != nil {
			return nil, fmt.Errorf("offsets file %s: bad value for %s: %w", path, key, err)
		}
		s.data[key] = compact.Bytes()
	}
	return s, nil
}

// Get implements OffsetStore.
func (s *FileOffsetStore) Get(_ context.Context, keys []string) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]byte, len(keys))
	for _, k := range keys {
		if v, ok := s.data[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

// Connector implements OffsetStore.
func (s *FileOffsetStore) Connector(_ context.Context, name string) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range s.data {
		if conn, _, err := parseOffsetKey(k); err == nil && conn == name {
			out[k] = v
		}
	}
	return out, nil
}

// Set implements OffsetStore. On error the stored offsets are unchanged.
func (s *FileOffsetStore) Set(_ context.Context, values map[string][]byte) error {
	if len(values) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := maps.Clone(s.data)
	changed := false
	for k, v := range values {
		old, had := next[k]
		if v == nil {
			if had {
				delete(next, k)
				changed = true
			}
			continue
		}
		if !had || string(old) != string(v) {
			next[k] = v
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := s.write(next); err != nil {
		return err
	}
	s.data = next
	return nil
}

func (s *FileOffsetStore) write(data map[string][]byte) error {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// One entry per line, values byte for byte as stored (compact JSON, as
	// Kafka's offsets topic holds them).
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{\"format\":%q,\"version\":1,\"offsets\":[", fileOffsetFormat)
	for i, k := range keys {
		e, err := json.Marshal(offsetEntry{Key: mustJSON(k), Value: data[k]})
		if err != nil {
			return fmt.Errorf("encoding offsets: %w", err)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n ")
		buf.Write(e)
	}
	buf.WriteString("\n]}\n")
	return writeFileAtomic(s.path, buf.Bytes())
}

// Close implements OffsetStore.
func (s *FileOffsetStore) Close() error { return nil }

// writeFileAtomic replaces path with b so that readers and crashes see
// either the old or the new content.
func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing offsets file %s: %w", path, err)
	}
	tmpName := tmp.Name()
	cleanup := func(err error) error {
		_ = tmp.Close()
		_ = os.Remove(tmpName)
		return fmt.Errorf("writing offsets file %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		return cleanup(err)
	}
	if err := tmp.Sync(); err != nil {
		return cleanup(err)
	}
	if err := tmp.Close(); err != nil {
		return cleanup(err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		_ = os.Remove(tmpName)
		return fmt.Errorf("writing offsets file %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory of offsets file %s: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory of offsets file %s: %w", path, err)
	}
	return nil
}

// MemoryOffsetStore keeps offsets in memory only (tests, and connectors run
// without offset.storage.file.filename).
type MemoryOffsetStore struct {
	mu   sync.Mutex
	data map[string][]byte
}

// NewMemoryOffsetStore returns an empty in-memory store.
func NewMemoryOffsetStore() *MemoryOffsetStore {
	return &MemoryOffsetStore{data: map[string][]byte{}}
}

// Get implements OffsetStore.
func (s *MemoryOffsetStore) Get(_ context.Context, keys []string) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]byte{}
	for _, k := range keys {
		if v, ok := s.data[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

// Set implements OffsetStore.
func (s *MemoryOffsetStore) Set(_ context.Context, values map[string][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range values {
		if v == nil {
			delete(s.data, k)
		} else {
			s.data[k] = v
		}
	}
	return nil
}

// Connector implements OffsetStore.
func (s *MemoryOffsetStore) Connector(_ context.Context, name string) (map[string][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range s.data {
		if conn, _, err := parseOffsetKey(k); err == nil && conn == name {
			out[k] = v
		}
	}
	return out, nil
}

// Close implements OffsetStore.
func (s *MemoryOffsetStore) Close() error { return nil }

func mustJSON(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
