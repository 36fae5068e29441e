package postgres

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/runnel-dev/runnel/connect"
)

// SourceConnector is the polling JDBC source for PostgreSQL
// (io.confluent.connect.jdbc.JdbcSourceConnector). It finds the tables to
// copy, splits them across tasks and watches for tables being added or
// dropped (table.poll.interval.ms), asking for new task configurations
// when the set changes.
type SourceConnector struct {
	props map[string]string
	cfg   *sourceConfig
	log   *slog.Logger
	pool  *pgxpool.Pool
	db    string

	mu     sync.Mutex
	tables []tableID

	cancel context.CancelFunc
	done   chan struct{}
}

// Version implements connect.Connector.
func (c *SourceConnector) Version() string { return Version }

// Config implements connect.Connector.
func (c *SourceConnector) Config() *connect.ConfigDef { return sourceConfigDef() }

// Validate implements connect.ConfigValidator.
func (c *SourceConnector) Validate(props map[string]string) []connect.ConfigValue {
	return checkConnection(validateSource(props), props)
}

// Start implements connect.Connector.
func (c *SourceConnector) Start(ctx context.Context, cctx connect.ConnectorContext, props map[string]string) error {
	cfg, err := parseSourceConfig(props)
	if err != nil {
		return err
	}
	c.props, c.cfg = maps.Clone(props), cfg
	c.log = slog.Default()
	if cctx != nil && cctx.Logger() != nil {
		c.log = cctx.Logger()
	}
	if cfg.query != "" {
		return nil // one task runs the query; there are no tables to watch
	}
	cfg.conn.maxConns = 1
	pool, err := cfg.conn.connect(ctx, c.log)
	if err != nil {
		return err
	}
	c.pool = pool
	if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&c.db); err != nil {
		pool.Close()
		return err
	}
	tables, err := listTables(ctx, pool, cfg, c.db)
	if err != nil {
		pool.Close()
		return err
	}
	if len(tables) == 0 {
		c.log.Warn("no tables match the configuration yet; no task will run until one appears",
			"schema.pattern", cfg.schemaPattern, "table.types", cfg.tableTypes)
	}
	c.tables = tables
	if cfg.tablePoll > 0 && cctx != nil {
		mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c.cancel, c.done = cancel, make(chan struct{})
		go c.monitor(mctx, cctx)
	}
	return nil
}

// monitor re-lists the tables every table.poll.interval.ms.
func (c *SourceConnector) monitor(ctx context.Context, cctx connect.ConnectorContext) {
	defer close(c.done)
	tick := time.NewTicker(c.cfg.tablePoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		tables, err := listTables(ctx, c.pool, c.cfg, c.db)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn("cannot list tables; keeping the current set", "err", err)
			}
			continue
		}
		c.mu.Lock()
		changed := !slices.Equal(tables, c.tables)
		c.tables = tables
		c.mu.Unlock()
		if changed {
			c.log.Info("the set of tables changed; reconfiguring tasks", "tables", len(tables))
			cctx.RequestTaskReconfiguration()
		}
	}
}

// TaskConfigs implements connect.Connector: the query gets one task; tables
// are dealt round-robin to at most maxTasks tasks.
func (c *SourceConnector) TaskConfigs(maxTasks int) ([]map[string]string, error) {
	if c.cfg.query != "" {
		return []map[string]string{maps.Clone(c.props)}, nil
	}
	c.mu.Lock()
	tables := slices.Clone(c.tables)
	c.mu.Unlock()
	var out []map[string]string
	for _, group := range splitTables(tables, maxTasks) {
		m := maps.Clone(c.props)
		m[cfgTaskTables] = group
		out = append(out, m)
	}
	return out, nil
}

// Stop implements connect.Connector.
func (c *SourceConnector) Stop() error {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
	if c.pool != nil {
		c.pool.Close()
	}
	return nil
}

// NewTask implements connect.SourceConnector.
func (c *SourceConnector) NewTask() connect.SourceTask { return &SourceTask{} }
