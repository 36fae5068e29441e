package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// EnvURL is the environment variable holding the admin connection URL.
const EnvURL = "RUNNEL_TEST_POSTGRES_URL"

const howToFix = "run `make test`, or `export " + EnvURL + "=$(./scripts/ensure-postgres.sh)` from the repository root"

// DB is a database created for one test and dropped when the test ends.
type DB struct {
	// Name is the database name (lower case, safe to use unquoted).
	Name string
	// URL connects to the database with the server's credentials
	// (postgres:// form, usable by pgx and by connectors).
	URL string
	// Pool is an open pool on the database, closed at cleanup.
	Pool *pgxpool.Pool
}

// AdminURL returns RUNNEL_TEST_POSTGRES_URL or fails the test.
func AdminURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		tb.Fatalf("pgtest: %s is not set; this test needs PostgreSQL with wal_level=logical: %s", EnvURL, howToFix)
	}
	return u
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// New creates a fresh, uniquely named database and registers its removal
// with tb.Cleanup. Any failure reaching the server fails the test.
func New(tb testing.TB) *DB {
	tb.Helper()
	admin := AdminURL(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("pgtest: cannot connect to %s (%s): %v; %s", EnvURL, redact(admin), err, howToFix)
	}
	defer conn.Close(context.Background())

	name := dbName(tb.Name())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	dbURL, err := withDatabase(admin, name)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		tb.Fatalf("pgtest: connect to fresh database %s: %v", name, err)
	}
	db := &DB{Name: name, URL: dbURL, Pool: pool}
	tb.Cleanup(func() { db.drop(tb, admin) })
	return db
}

func (db *DB) drop(tb testing.TB, admin string) {
	db.Pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Errorf("pgtest: drop %s: %v", db.Name, err)
		return
	}
	defer conn.Close(context.Background())
	// WITH (FORCE) ends sessions a test left open (replication
	// connections included), so databases never pile up.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db.Name+" WITH (FORCE)"); err != nil {
		tb.Errorf("pgtest: drop database %s: %v", db.Name, err)
	}
}

// Exec runs SQL on the test database and fails the test on error.
func (db *DB) Exec(tb testing.TB, sql string, args ...any) {
	tb.Helper()
	if _, err := db.Pool.Exec(context.Background(), sql, args...); err != nil {
		tb.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// dbName builds a name that is unique, valid unquoted, and hints at the test.
func dbName(testName string) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	slug := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(testName), "_"), "_")
	const maxSlug = 63 - len("rt__") - 12
	if len(slug) > maxSlug {
		slug = slug[:maxSlug]
	}
	return "rt_" + slug + "_" + hex.EncodeToString(b[:])
}

// withDatabase swaps the database in a postgres:// URL or a key=value DSN.
func withDatabase(conn, db string) (string, error) {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", EnvURL, err)
		}
		u.Path = "/" + db
		return u.String(), nil
	}
	if _, err := pgx.ParseConfig(conn); err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvURL, err)
	}
	// In a key=value DSN the last occurrence of a key wins.
	return conn + " dbname=" + db, nil
}

// redact hides the password of a URL for messages.
func redact(conn string) string {
	u, err := url.Parse(conn)
	if err != nil || u.User == nil {
		return "<connection string>"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
