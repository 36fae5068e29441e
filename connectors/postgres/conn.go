package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// connSettings is what the connection.* keys describe.
type connSettings struct {
	url      string // connection.url as the user wrote it
	user     string // connection.user ("" = from the URL)
	password string // connection.password ("" = from the URL)
	attempts int    // connection.attempts
	backoff  time.Duration
	location *time.Location // db.timezone: how naive timestamps are read and written
	maxConns int32
}

// libpq parameters pgx understands; they pass through from a JDBC URL.
var libpqParams = map[string]bool{
	"user": true, "password": true, "sslmode": true, "sslcert": true, "sslkey": true,
	"sslrootcert": true, "sslpassword": true, "sslsni": true, "application_name": true,
	"connect_timeout": true, "target_session_attrs": true, "options": true,
	"channel_binding": true, "search_path": true,
}

// pgURL turns connection.url into a URL pgx parses. A JDBC URL
// (jdbc:postgresql://host:port/db?user=..) is translated: its driver-only
// parameters are mapped to their libpq equivalent where one exists
// (ssl=true, currentSchema, ApplicationName, connectTimeout,
// targetServerType) and dropped otherwise, since PostgreSQL would reject
// them as unknown run-time parameters. postgres:// URLs and key=value
// strings are libpq's own syntax and pass through unchanged.
func pgURL(raw string) (string, []string, error) {
	s := strings.TrimSpace(raw)
	rest, isJDBC := strings.CutPrefix(s, "jdbc:")
	if !isJDBC {
		return s, nil, nil
	}
	rest, ok := strings.CutPrefix(rest, "postgresql:")
	if !ok {
		return "", nil, fmt.Errorf("only jdbc:postgresql: URLs are supported, got %q", redactURL(raw))
	}
	if !strings.HasPrefix(rest, "//") {
		// jdbc:postgresql:database (local server).
		rest = "//localhost/" + rest
	}
	u, err := url.Parse("postgresql:" + rest)
	if err != nil {
		return "", nil, fmt.Errorf("cannot parse %q as a JDBC URL: %w", redactURL(raw), err)
	}
	in := u.Query()
	out := url.Values{}
	var dropped []string
	for k, vs := range in {
		v := vs[len(vs)-1]
		switch {
		case libpqParams[k]:
			out.Set(k, v)
		case k == "ssl":
			if strings.EqualFold(v, "true") && in.Get("sslmode") == "" {
				out.Set("sslmode", "require")
			}
		case k == "currentSchema":
			out.Set("search_path", v)
		case k == "ApplicationName":
			out.Set("application_name", v)
		case k == "connectTimeout":
			out.Set("connect_timeout", v)
		case k == "targetServerType":
			switch strings.ToLower(v) {
			case "primary", "master":
				out.Set("target_session_attrs", "read-write")
			case "secondary", "slave":
				out.Set("target_session_attrs", "standby")
			case "prefersecondary", "preferslave":
				out.Set("target_session_attrs", "prefer-standby")
			}
		default:
			dropped = append(dropped, k)
		}
	}
	u.RawQuery = out.Encode()
	return u.String(), dropped, nil
}

// poolConfig builds a pgxpool configuration from the settings.
func (s connSettings) poolConfig(log *slog.Logger) (*pgxpool.Config, error) {
	u, dropped, err := pgURL(s.url)
	if err != nil {
		return nil, err
	}
	if len(dropped) > 0 && log != nil {
		log.Debug("ignoring JDBC-only connection.url parameters", "params", dropped)
	}
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		return nil, fmt.Errorf("invalid connection.url %q: %w", redactURL(s.url), unwrapParse(err))
	}
	if s.user != "" {
		cfg.ConnConfig.User = s.user
	}
	if s.password != "" {
		cfg.ConnConfig.Password = s.password
	}
	if s.maxConns > 0 {
		cfg.MaxConns = s.maxConns
	}
	loc := s.location
	if loc == nil {
		loc = time.UTC
	}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		// Naive TIMESTAMP values are wall-clock times in db.timezone.
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamp", OID: pgtype.TimestampOID,
			Codec: &pgtype.TimestampCodec{ScanLocation: loc}})
		return nil
	}
	return cfg, nil
}

// unwrapParse drops pgx's ParseConfigError wrapper, whose text repeats the
// connection string, password included.
func unwrapParse(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap()
	}
	if errors.As(err, &pe) {
		return errors.New("malformed connection string")
	}
	return err
}

// connect opens a pool and checks it works, trying connection.attempts
// times with connection.backoff.ms in between. Errors explain what to fix.
func (s connSettings) connect(ctx context.Context, log *slog.Logger) (*pgxpool.Pool, error) {
	cfg, err := s.poolConfig(log)
	if err != nil {
		return nil, err
	}
	attempts := max(s.attempts, 1)
	var lastErr error
	for i := 1; i <= attempts; i++ {
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err == nil {
			err = pool.Ping(ctx)
			if err == nil {
				return pool, nil
			}
			pool.Close()
		}
		lastErr = err
		if i == attempts || !isTransient(err) {
			break
		}
		if log != nil {
			log.Warn("cannot connect to PostgreSQL, retrying", "attempt", i, "of", attempts, "backoff", s.backoff, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(s.backoff):
		}
	}
	return nil, explainConnectError(cfg.ConnConfig, lastErr)
}

// explainConnectError says what the user should change for a failed
// connection attempt.
func explainConnectError(cc *pgx.ConnConfig, err error) error {
	where := fmt.Sprintf("%s:%d/%s", cc.Host, cc.Port, cc.Database)
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return fmt.Errorf("PostgreSQL at %s rejected user %q: %s; check connection.user and connection.password (or the user/password in connection.url): %w",
				where, cc.User, pe.Message, err)
		case "3D000":
			return fmt.Errorf("database %q does not exist on %s:%d; fix the database name in connection.url: %w", cc.Database, cc.Host, cc.Port, err)
		case "42501":
			return fmt.Errorf("user %q may not connect to %s (%s); GRANT CONNECT ON DATABASE %s TO %s: %w", cc.User, where, pe.Message, cc.Database, cc.User, err)
		case "53300":
			return fmt.Errorf("PostgreSQL at %s has no free connection slots: %w", where, err)
		}
		return fmt.Errorf("cannot connect to PostgreSQL at %s as %q: %w", where, cc.User, err)
	}
	return fmt.Errorf("cannot reach PostgreSQL at %s (from connection.url); check that the server is running and the host and port are right: %w", where, err)
}

// isTransient reports whether an error may go away by retrying: lost or
// refused connections, server shutdown, serialization failures, deadlocks.
func isTransient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "40001", pe.Code == "40P01", // serialization failure, deadlock
			pe.Code == "53300", pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // too many connections, shutdown
			pe.Code == "55P03": // lock not available
			return true
		}
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	// A connection that died mid-query surfaces as an unexpected EOF or a
	// closed connection error, not as a PgError.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "unexpected EOF") ||
		strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset")
}

// redactURL hides passwords in a connection URL for messages and logs.
func redactURL(raw string) string {
	s := strings.TrimSpace(raw)
	prefix := ""
	if rest, ok := strings.CutPrefix(s, "jdbc:"); ok {
		prefix, s = "jdbc:", rest
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		if strings.Contains(strings.ToLower(raw), "password") {
			return "<connection string with a password>"
		}
		return raw
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	changed := false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, "xxxxx")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return prefix + u.String()
}
