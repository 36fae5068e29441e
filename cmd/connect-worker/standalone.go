package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/runnel-dev/runnel/connect/convert"
	"github.com/runnel-dev/runnel/connectors/postgres/cdc"
	"github.com/runnel-dev/runnel/workers"
	"github.com/runnel-dev/runnel/workers/rest"
)

// runStandalone is connect-standalone.sh.
func runStandalone(ctx context.Context, workerFile string, connectorFiles []string, _, stderr io.Writer) int {
	loggers := workers.NewLoggers(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug - 4}), slog.LevelInfo)
	log := loggers.Logger("runnel.cli.ConnectStandalone")

	props, err := loadWorkerProperties(workerFile)
	if err != nil {
		log.Error("Stopping due to error", "err", err)
		return exitConfigError
	}
	cfg, err := workers.ParseWorkerConfig(props)
	if err == nil && cfg.OffsetFile == "" {
		err = fmt.Errorf("Missing required configuration %q which has no default value.", workers.OffsetStorageFileConfig)
	}
	if err != nil {
		log.Error("Stopping due to error", "file", workerFile, "err", err)
		return exitConfigError
	}
	requests := make([]workers.CreateConnectorRequest, 0, len(connectorFiles))
	for _, f := range connectorFiles {
		req, err := workers.ReadConnectorFile(f)
		if err != nil {
			log.Error("Stopping after connector error", "file", f, "err", err)
			return exitStartError
		}
		requests = append(requests, req)
	}

	convs := convert.NewRegistry()
	xforms := workers.BuiltinTransforms()
	plugins, err := workers.BuiltinPlugins(convs, xforms, cdc.Plugin())
	if err != nil {
		log.Error("Stopping due to error", "err", err)
		return exitConfigError
	}

	// Bind the REST listeners first: the worker id is the advertised
	// address, which may depend on the bound port.
	headers, err := rest.ParseHeaderDirectives(cfg.ResponseHeaders)
	if err != nil {
		log.Error("Stopping due to error", "file", workerFile, "err", fmt.Errorf("%s: %w", workers.ResponseHeadersConfig, err))
		return exitConfigError
	}
	srvOpts := rest.Options{
		AllowOrigin: cfg.AllowOrigin, AllowMethods: cfg.AllowMethods, ResponseHeaders: headers,
		Listeners: cfg.Listeners, AdminListeners: cfg.AdminListeners,
		TopicTracking: cfg.TopicTracking, TopicTrackingReset: cfg.TopicTrackingAllowReset,
		Loggers: loggers, Logger: loggers.Logger("runnel.rest.RestServer"),
	}
	srv := rest.New(srvOpts)
	if err := srv.Listen(); err != nil {
		log.Error("Failed to start Connect", "err", err)
		return exitStartError
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(closeCtx)
	}()

	herder, err := workers.NewStandalone(workers.StandaloneOptions{
		Config: cfg, Plugins: plugins, Converters: convs, Transforms: xforms, Loggers: loggers, WorkerID: workerID(cfg, srv.Addrs()),
	})
	if err != nil {
		log.Error("Stopping due to error", "err", err)
		return exitConfigError
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), cfg.TaskShutdownTimeout+cfg.OffsetFlushTimeout+10*time.Second)
		defer cancel()
		if err := herder.Close(closeCtx); err != nil {
			log.Error("error during shutdown", "err", err)
		}
	}()
	srv.Serve(herder)
	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err = herder.Start(startCtx)
	cancel()
	if err != nil {
		log.Error("Failed to start Connect", "err", err)
		return exitStartError
	}
	log.Info("Kafka Connect started", "rest", srv.Addrs(), "worker_id", workerID(cfg, srv.Addrs()))

	for _, req := range requests {
		var initial workers.TargetState
		switch req.InitialState {
		case "PAUSED", "paused":
			initial = workers.TargetPaused
		case "STOPPED", "stopped":
			initial = workers.TargetStopped
		}
		opCtx, cancel := context.WithTimeout(ctx, rest.DefaultRequestTimeout)
		created, info, err := herder.PutConnectorConfig(opCtx, req.Name, req.Config, false, initial)
		cancel()
		if err != nil {
			log.Error("Failed to create connector", "connector", req.Name, "err", err)
			log.Error("Stopping after connector error")
			return exitStartError
		}
		log.Info("Created connector", "connector", info.Name, "created", created, "tasks", len(info.Tasks))
	}

	<-ctx.Done()
	log.Info("Kafka Connect stopping")
	return exitOK
}

// workerID is the advertised host:port, as Kafka's worker id.
func workerID(cfg *workers.WorkerConfig, bound []string) string {
	host, port := cfg.AdvertisedHost, cfg.AdvertisedPort
	if len(bound) > 0 {
		h, p, err := net.SplitHostPort(bound[0])
		if err == nil {
			if host == "" && h != "" && h != "::" && h != "0.0.0.0" {
				host = h
			}
			if port == 0 {
				port, _ = strconv.Atoi(p)
			}
		}
	}
	if host == "" {
		host, _ = os.Hostname()
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}
