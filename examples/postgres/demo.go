package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/runnel-dev/runnel/broker"
	"github.com/runnel-dev/runnel/streams"
	"github.com/runnel-dev/runnel/workers"
)

// demoConfig is what a run needs.
type demoConfig struct {
	postgresURL string
	dataDir     string        // wiped at start
	restURL     string        // overrides the worker file's listeners ("http://127.0.0.1:0": a free port)
	slotName    string        // overrides slot.name (slot names are server-wide)
	follow      bool          // keep running after the steps until ctx ends
	stepTimeout time.Duration // how long one step may take to converge
	steps       []step
	out         io.Writer
	logger      *slog.Logger // warnings and errors of the broker, worker and app
}

// partitions of the orders and customer_totals topics: more than one, so
// the streams app really repartitions orders by customer.
const partitions = 3

// runDemo runs the whole pipeline in this process: the bundled broker, a
// Connect worker with the CDC source and the JDBC sink, and the revenue
// streams app; then it changes the orders table step by step and waits
// after each step until customer_totals equals the SQL truth.
func runDemo(ctx context.Context, c demoConfig) error {
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	target, err := parseDBTarget(c.postgresURL)
	if err != nil {
		return err
	}
	cfg, err := loadConfigs(target)
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, target)
	if err != nil {
		return err
	}
	defer db.close()
	slot := cfg.source.Config["slot.name"]
	if c.slotName != "" {
		slot = c.slotName
		cfg.source.Config["slot.name"] = slot
	}
	if err := db.reset(ctx, cfg.totalsTopic(), slot, cfg.source.Config["publication.name"]); err != nil {
		return err
	}
	// Runs after the worker has stopped (defers run last to first).
	defer func() {
		dropCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := db.dropSlot(dropCtx, slot, true); err != nil {
			c.logger.Warn("the replication slot stays: the server keeps WAL for it until it is dropped", "err", err)
		}
	}()
	fmt.Fprintf(c.out, "== PostgreSQL %s: table orders created\n", target.where())

	if err := os.RemoveAll(c.dataDir); err != nil {
		return fmt.Errorf("cleaning %s: %w", c.dataDir, err)
	}
	b, err := broker.Start(ctx, broker.Config{DataDir: filepath.Join(c.dataDir, "broker"), AutoCreateTopics: true, Logger: c.logger})
	if err != nil {
		return fmt.Errorf("starting the bundled broker: %w", err)
	}
	defer b.Close()
	fmt.Fprintf(c.out, "== bundled broker on %s (data in %s)\n", b.Addr(), c.dataDir)
	if err := createTopics(ctx, b.Addr(), cfg.ordersTopic(), cfg.totalsTopic()); err != nil {
		return err
	}

	props := cfg.worker
	props[workers.BootstrapServersConfig] = b.Addr()
	props[workers.OffsetStorageFileConfig] = filepath.Join(c.dataDir, "connect.offsets")
	if c.restURL != "" {
		props[workers.ListenersConfig] = c.restURL
	}
	w, err := startWorker(ctx, props, c.logger)
	if err != nil {
		return fmt.Errorf("starting the Connect worker: %w", err)
	}
	defer w.close()
	if w.fellBack {
		fmt.Fprintf(c.out, "== Connect worker: %s is taken, REST API on %s\n", props[workers.ListenersConfig], w.url)
	} else {
		fmt.Fprintf(c.out, "== Connect worker: REST API on %s (try %s/connectors?expand=status)\n", w.url, w.url)
	}
	for _, req := range []workers.CreateConnectorRequest{cfg.source, cfg.sink} {
		if err := w.create(ctx, req); err != nil {
			return err
		}
		if err := w.waitRunning(ctx, req.Name); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "== connector %s running (%s)\n", req.Name, req.Config[workers.ConnectorClassConfig])
	}

	app, err := newRevenueApp(b.Addr(), cfg, filepath.Join(c.dataDir, "streams"), c.logger)
	if err != nil {
		return err
	}
	appCtx, stopApp := context.WithCancel(ctx)
	appDone := make(chan error, 1)
	go func() { appDone <- app.Run(appCtx) }()
	defer func() {
		stopApp()
		<-appDone
	}()
	fmt.Fprintf(c.out, "== streams app %s: %s -> revenue per customer -> %s\n", ApplicationID, cfg.ordersTopic(), cfg.totalsTopic())

	watch := &watcher{db: db, table: cfg.totalsTopic(), out: c.out, timeout: c.stepTimeout,
		healthy: func(ctx context.Context) error {
			select {
			case err := <-appDone:
				appDone <- err // for the deferred stop
				return fmt.Errorf("the streams app stopped: %w", err)
			default:
			}
			return w.failed(ctx)
		}}
	for i, s := range c.steps {
		fmt.Fprintf(c.out, "\n== step %d/%d: %s\n", i+1, len(c.steps), s.title)
		for _, q := range s.sql {
			fmt.Fprintf(c.out, "   %s;\n", q)
		}
		if err := db.apply(ctx, s.sql); err != nil {
			return err
		}
		if s.noWait && i < len(c.steps)-1 {
			continue
		}
		if err := watch.converge(ctx); err != nil {
			return err
		}
	}
	if !c.follow {
		fmt.Fprintf(c.out, "\n== done: %s matches the orders table after every step\n", cfg.totalsTopic())
		return nil
	}
	fmt.Fprintf(c.out, "\n== following: change public.orders in %s (psql) and watch %s; Ctrl-C stops\n", target.where(), cfg.totalsTopic())
	return watch.follow(ctx)
}

// newRevenueApp builds the streams app on the pipeline's topics.
func newRevenueApp(bootstrap string, cfg pipelineConfig, stateDir string, logger *slog.Logger) (*streams.App, error) {
	topo, err := NewRevenueTopology(cfg.ordersTopic(), cfg.totalsTopic())
	if err != nil {
		return nil, err
	}
	return streams.New(topo, streams.Config{
		ApplicationID:    ApplicationID,
		BootstrapServers: []string{bootstrap},
		StateDir:         stateDir,
		// Commit (and so flush the record cache to customer_totals) twice
		// a second, so each step shows quickly.
		CommitInterval: 500 * time.Millisecond,
		Logger:         logger,
	})
}

// createTopics creates the pipeline's topics before anything uses them.
func createTopics(ctx context.Context, bootstrap string, topics ...string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopics(ctx, partitions, -1, nil, topics...)
	if err != nil {
		return fmt.Errorf("creating topics %v: %w", topics, err)
	}
	var errs []error
	for _, t := range resp.Sorted() {
		if t.Err != nil && !strings.Contains(t.Err.Error(), "TOPIC_ALREADY_EXISTS") {
			errs = append(errs, fmt.Errorf("creating topic %s: %w", t.Topic, t.Err))
		}
	}
	return errors.Join(errs...)
}
