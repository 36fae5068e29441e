package pgtest

import (
	"context"
	"strings"
	"testing"
)

func TestNewGivesFreshDatabase(t *testing.T) {
	a := New(t)
	b := New(t)
	if a.Name == b.Name {
		t.Fatalf("two databases share the name %s", a.Name)
	}
	a.Exec(t, "CREATE TABLE t (id int)")
	var n int
	err := b.Pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_tables WHERE tablename = 't'").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("table created in %s is visible in %s", a.Name, b.Name)
	}
	var cur string
	if err := a.Pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&cur); err != nil {
		t.Fatal(err)
	}
	if cur != a.Name {
		t.Fatalf("pool connected to %s, want %s", cur, a.Name)
	}
}

func TestDatabaseDroppedAtCleanup(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) { name = New(t).Name })
	admin := New(t)
	var n int
	if err := admin.Pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after its test ended", name)
	}
}

func TestDBNameIsSafe(t *testing.T) {
	n := dbName("TestSomething/With Spaces-and.Dots" + strings.Repeat("x", 100))
	if len(n) > 63 {
		t.Fatalf("name %q longer than 63 bytes", n)
	}
	if strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		t.Fatalf("name %q has unsafe characters", n)
	}
}
