// Command podboard is a web dashboard to stop, start and restart Podman
// containers. Each action answers at once with a transitional state that
// every open page sees, while the Podman call runs in the background for as
// long as the container needs; the outcome is pushed live to every page.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"podboard/db"
	"podboard/handlers"
	"podboard/lifecycle"
	"podboard/lifecycle/podman"
	"podboard/web"
)

// config is every setting, from flags with environment defaults.
type config struct {
	listen       string
	podman       string
	data         string
	scanInterval time.Duration
	logLevel     string
	historyKeep  time.Duration // 0: keep every job
}

func parseConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("podboard", flag.ContinueOnError)
	var c config
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.listen, "listen", env("PODBOARD_LISTEN", "127.0.0.1:8080"), "address to serve on (env PODBOARD_LISTEN); loopback unless you open it")
	fs.StringVar(&c.podman, "podman", env("PODBOARD_PODMAN", defaultPodmanURI(getenv)), "Podman API URI (env PODBOARD_PODMAN, else CONTAINER_HOST)")
	fs.StringVar(&c.data, "data", env("PODBOARD_DATA", "./data"), "directory for the database and the incident log (env PODBOARD_DATA)")
	interval := env("PODBOARD_SCAN_INTERVAL", "5s")
	fs.Func("scan-interval", "how often to scan Podman (env PODBOARD_SCAN_INTERVAL, default 5s)", func(s string) error {
		interval = s
		return nil
	})
	keep := env("PODBOARD_HISTORY_KEEP", "90d")
	fs.Func("history-keep", "how long to keep the history of ended operations: days (90d) or a duration (2160h); 0 keeps it forever (env PODBOARD_HISTORY_KEEP, default 90d)", func(s string) error {
		keep = s
		return nil
	})
	fs.StringVar(&c.logLevel, "log-level", env("PODBOARD_LOG_LEVEL", "info"), "debug, info, warn or error (env PODBOARD_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	d, err := time.ParseDuration(interval)
	if err != nil || d < 100*time.Millisecond {
		return c, fmt.Errorf("invalid scan interval %q: want a duration of at least 100ms, such as 5s", interval)
	}
	c.scanInterval = d
	var ok bool
	if c.historyKeep, ok = parseKeep(keep); !ok {
		return c, fmt.Errorf("invalid history keep %q: want days such as 90d, a duration such as 2160h, or 0 to keep it forever", keep)
	}
	if _, _, err := net.SplitHostPort(c.listen); err != nil {
		return c, fmt.Errorf("invalid listen address %q: want host:port", c.listen)
	}
	return c, nil
}

// parseKeep reads a history retention: whole days ("90d") or a Go duration
// ("2160h"); "0" keeps everything.
func parseKeep(s string) (time.Duration, bool) {
	const day = 24 * time.Hour
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseInt(n, 10, 64)
		if err != nil || days < 0 || days > int64(math.MaxInt64/day) {
			return 0, false
		}
		return time.Duration(days) * day, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d >= 0
}

// defaultPodmanURI follows Podman's own clients: $CONTAINER_HOST, else the
// rootful socket when it exists, else the rootless one.
func defaultPodmanURI(getenv func(string) string) string {
	if h := getenv("CONTAINER_HOST"); h != "" {
		return h
	}
	const rootful = "/run/podman/podman.sock"
	if _, err := os.Stat(rootful); err == nil {
		return "unix://" + rootful
	}
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
		return "unix://" + filepath.Join(dir, "podman", "podman.sock")
	}
	return "unix://" + rootful
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "podboard:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "podboard:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("invalid log level %q", cfg.logLevel)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	engine, err := podman.Connect(ctx, cfg.podman, 10*time.Second)
	if err != nil {
		return fmt.Errorf("%v\n  Start Podman's API service, for example: podman system service --time=0 %s &\n  or point --podman (or CONTAINER_HOST) at a running one", err, podman.Redact(cfg.podman))
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, engine, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.close()
	defer reopenOnHangup(a.incidents, log)()

	serveErr := make(chan error, 1)
	go func() { serveErr <- a.srv.Serve(ln) }()
	log.Info("podboard serving", "url", "http://"+ln.Addr().String(), "podman", podman.Redact(cfg.podman), "data", cfg.data, "incident_log", a.incidents.Path())

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal now ends the process at once
	log.Info("shutting down")
	a.shutdown()
	return waitForJobs(a.manager, log)
}

// app is the dashboard wired together, without its listener, so that tests
// run exactly what main runs.
type app struct {
	log       *slog.Logger
	lock      *os.File
	store     *db.DB
	incidents *lifecycle.IncidentLog
	hub       *web.Hub
	manager   *lifecycle.Manager
	srv       *http.Server
	cancelBG  context.CancelFunc
}

// newApp opens the data directory, recovers operations an earlier process
// left behind, runs a first scan and starts the periodic scan.
func newApp(ctx context.Context, cfg config, engine lifecycle.Engine, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(cfg.data, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	a := &app{log: log}
	var err error
	if a.lock, err = lockDataDir(cfg.data); err != nil {
		return nil, err
	}
	if a.store, err = db.Open(ctx, filepath.Join(cfg.data, "podboard.db")); err != nil {
		a.lock.Close()
		return nil, err
	}
	if a.incidents, err = lifecycle.OpenIncidentLog(filepath.Join(cfg.data, "lifecycle.log")); err != nil {
		a.store.Close()
		a.lock.Close()
		return nil, err
	}
	a.hub = web.NewHub(log)
	a.manager = lifecycle.NewManager(lifecycle.Config{
		Store: a.store, Engine: engine, Notifier: a.hub, Incident: a.incidents, Logger: log,
	})
	if jobs, err := a.manager.Recover(ctx); err != nil {
		a.close()
		return nil, err
	} else if len(jobs) > 0 {
		log.Warn("recovered operations interrupted by an earlier stop", "count", len(jobs))
	}
	if _, err := a.manager.PruneHistory(ctx, cfg.historyKeep); err != nil {
		log.Error("job history not pruned; trying again in a day", "err", err)
	}
	a.srv = &http.Server{
		Handler:           web.Router(handlers.New(a.manager, podman.Redact(cfg.podman), log), a.hub, log),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	a.srv.RegisterOnShutdown(a.hub.Close)
	bg, cancel := context.WithCancel(context.Background())
	a.cancelBG = cancel
	go a.manager.Run(bg, cfg.scanInterval)
	go a.manager.PruneHistoryEvery(bg, cfg.historyKeep, 24*time.Hour)
	go a.hub.Heartbeat(bg, 15*time.Second)
	return a, nil
}

// shutdown stops the scan, ends the live streams and lets HTTP requests
// finish. Background jobs go on; see waitForJobs.
func (a *app) shutdown() {
	if a.cancelBG != nil {
		a.cancelBG()
	}
	a.hub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if a.srv != nil {
		if err := a.srv.Shutdown(ctx); err != nil {
			a.log.Warn("http shutdown", "err", err)
		}
	}
}

// close releases the database and the incident log. Jobs still running
// then fail to record their outcome; the next start recovers them.
func (a *app) close() {
	if a.cancelBG != nil {
		a.cancelBG()
	}
	a.incidents.Close()
	a.store.Close()
	a.lock.Close()
}

// lockDataDir makes sure one process at a time uses a data directory:
// start-up recovery treats every job still marked running as interrupted,
// which is only true when no other dashboard runs them. The kernel releases
// the lock when the process dies, however it dies.
func lockDataDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "podboard.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another podboard is already using the data directory %s", dir)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// waitForJobs lets running operations finish before exiting: Podman goes on
// with them anyway, and waiting means their outcome is recorded. A second
// signal exits at once; the next start marks those operations interrupted
// and takes their state from Podman.
func waitForJobs(m *lifecycle.Manager, log *slog.Logger) error {
	jobs := m.Running()
	if len(jobs) == 0 {
		return nil
	}
	var names []string
	for _, j := range jobs {
		names = append(names, string(j.Op)+" "+j.Container)
	}
	log.Info("waiting for running operations to finish; signal again to exit now", "operations", strings.Join(names, ", "))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Wait(ctx); err != nil {
		log.Warn("exiting with operations still running; they are recovered at the next start", "operations", strings.Join(names, ", "))
	}
	return nil
}

// reopenOnHangup reopens the incident log at every SIGHUP, which is what
// logrotate sends after renaming the file, until the returned stop is
// called. It has its own channel: SIGINT and SIGTERM end the process, a
// SIGHUP never does.
func reopenOnHangup(l *lifecycle.IncidentLog, log *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-hup:
				if err := l.Reopen(); err != nil {
					log.Error("incident log not reopened", "err", err)
				} else {
					log.Info("incident log reopened", "path", l.Path())
				}
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		wg.Wait()
	}
}
