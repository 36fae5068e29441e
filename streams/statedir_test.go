package streams

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStateDirectoryIsExclusive(t *testing.T) {
	dir := t.TempDir()
	d1, err := openStateDirectory(dir, "app")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openStateDirectory(dir, "app"); !errors.Is(err, ErrStateDirLocked) {
		t.Fatalf("second open = %v, want ErrStateDirLocked", err)
	}
	d1.release()
	d2, err := openStateDirectory(dir, "app")
	if err != nil {
		t.Fatalf("open after release: %v", err)
	}
	d2.release()
}

func TestStateCleanerRemovesOnlyOldUnownedTaskDirs(t *testing.T) {
	d, err := openStateDirectory(t.TempDir(), "app")
	if err != nil {
		t.Fatal(err)
	}
	defer d.release()
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{"0_0", "0_1", "1_0", "not-a-task"} {
		p := filepath.Join(d.path, name)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if name != "1_0" {
			os.Chtimes(p, old, old)
		}
	}
	removed, err := d.cleanObsolete(func(n string) bool { return n == "0_1" }, 10*time.Minute, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != "0_0" {
		t.Fatalf("removed %v, want only 0_0 (0_1 is owned, 1_0 is recent, not-a-task is not a task)", removed)
	}
	for _, keep := range []string{"0_1", "1_0", "not-a-task", stateLockFile} {
		if _, err := os.Stat(filepath.Join(d.path, keep)); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
}
