package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"podboard/lifecycle"
	"podboard/web/metrics"
)

// newMetrics builds the metrics and their server when --metrics-listen is
// set, and returns the observer the manager reports to: nil when it is not.
func (a *app) newMetrics(cfg config) lifecycle.Observer {
	if cfg.metricsListen == "" {
		return nil
	}
	v, rev := buildVersion()
	// Read at scrape time, once the fleet exists: every host's rows.
	containers := func(ctx context.Context) ([]lifecycle.Container, error) { return a.fleet.Containers(ctx) }
	var hosts []string
	for _, h := range cfg.hosts {
		hosts = append(hosts, h.name)
	}
	a.metrics = metrics.New(metrics.Config{Hosts: hosts, Feeds: a.hub.Feeds, Containers: containers, Log: a.log, Version: v, Revision: rev})
	a.metricsSrv = &http.Server{
		Handler:           a.metrics.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       20 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
	return a.metrics
}

// serveMetrics serves /metrics on ln until the app is closed.
func (a *app) serveMetrics(ln net.Listener) {
	go func() {
		if err := a.metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("metrics server", "err", err)
		}
	}()
	addr := ln.Addr().String()
	if !isLoopback(addr) {
		a.log.Warn("/metrics has no login: anyone who reaches " + addr + " can read it; keep it on loopback or a private network")
	}
	a.log.Info("metrics serving", "url", "http://"+addr+"/metrics")
}

// closeMetrics stops the metrics server. It runs at close, after the jobs
// were waited for, so that a scrape still sees a long stop end.
func (a *app) closeMetrics() {
	if a.metricsSrv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.metricsSrv.Shutdown(ctx); err != nil {
		a.log.Warn("metrics server shutdown", "err", err)
	}
}
