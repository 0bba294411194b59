// Command podboard is a web dashboard to stop, start and restart Podman
// containers. Each action answers at once with a transitional state that
// every open page sees, while the Podman call runs in the background for as
// long as the container needs; the outcome is pushed live to every page.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
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
	"podboard/lifecycle/podman/sshtunnel"
	"podboard/web"
	"podboard/web/auth"
	"podboard/web/metrics"
)

// config is every setting, from flags with environment defaults.
type config struct {
	stats bool // follow the containers' CPU and memory
	// hosts are the Podman hosts, in the operator's order (at least one);
	// podman is the first one's URI. knownHosts holds the keys of the
	// ssh:// ones.
	hosts        []hostSpec
	knownHosts   string
	listen       string
	podman       string
	data         string
	scanInterval time.Duration
	logLevel     string
	logFormat    string // text or json

	auth              auth.Mode
	authProxyHeader   string
	trustedProxies    []netip.Prefix
	allowedHosts      []string
	trustedOrigins    []string
	sessionIdle       time.Duration
	sessionLifetime   time.Duration
	tlsCert, tlsKey   string
	secureCookie      bool
	maxFeeds          int
	maxFeedsPerClient int
	historyKeep       time.Duration // 0: keep every job
	readTimeout       time.Duration // for a whole request, body included
	opGrace           time.Duration // past a stop's timeout, before the call is given up
	startTimeout      time.Duration // how long a start may take
	metricsListen     string        // "": no /metrics
}

// newLogger is the dashboard's log on w: slog's text handler (key=value)
// or its JSON handler, one object per line, for log collectors.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// statsInterval is how often Podman reports the containers' usage.
const statsInterval = 5 * time.Second

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
	var hostArgs, identityArgs []string
	fs.Func("podman", "a Podman API URI (unix://, tcp://, ssh://user@host[:port]/socket), or NAME=URI for one of several hosts; repeat it for each host, or separate them with commas (env PODBOARD_PODMAN; default CONTAINER_HOST, else the local socket)", func(s string) error {
		hostArgs = append(hostArgs, splitList(s)...)
		return nil
	})
	hostsFile := fs.String("hosts-file", "", "file listing the Podman hosts, one NAME=URI [identity=FILE] per line, instead of --podman (env PODBOARD_HOSTS_FILE)")
	fs.StringVar(&c.data, "data", env("PODBOARD_DATA", "./data"), "directory for the database and the incident log (env PODBOARD_DATA)")
	fs.Func("podman-identity", "private key file that logs in to the ssh:// hosts, or NAME=FILE for one host; repeatable (env PODBOARD_PODMAN_IDENTITY, comma-separated)", func(s string) error {
		identityArgs = append(identityArgs, s)
		return nil
	})
	fs.StringVar(&c.knownHosts, "known-hosts", env("PODBOARD_KNOWN_HOSTS", ""), "known_hosts file holding an ssh:// --podman's host key (env PODBOARD_KNOWN_HOSTS; default DATA/known_hosts; add a key with podboard hostkey add)")
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
	fs.StringVar(&c.logFormat, "log-format", env("PODBOARD_LOG_FORMAT", "text"), "text (key=value) or json (one object per line) (env PODBOARD_LOG_FORMAT)")
	fs.DurationVar(&c.opGrace, "op-grace", envDuration(getenv, "PODBOARD_OP_GRACE", 60*time.Second), "how long past a stop's timeout to wait for Podman before giving the call up (env PODBOARD_OP_GRACE)")
	fs.DurationVar(&c.startTimeout, "start-timeout", envDuration(getenv, "PODBOARD_START_TIMEOUT", 120*time.Second), "how long a start may take before the call is given up (env PODBOARD_START_TIMEOUT)")
	mode := fs.String("auth", env("PODBOARD_AUTH", "password"), "password (sign in at /login), proxy (a trusted reverse proxy names the user) or none (loopback only) (env PODBOARD_AUTH)")
	fs.StringVar(&c.authProxyHeader, "auth-proxy-header", env("PODBOARD_AUTH_PROXY_HEADER", "Remote-User"), "with --auth proxy: the header the proxy names the user in (env PODBOARD_AUTH_PROXY_HEADER)")
	proxies := fs.String("trusted-proxies", env("PODBOARD_TRUSTED_PROXIES", ""), "comma-separated CIDRs your reverse proxy connects from (env PODBOARD_TRUSTED_PROXIES)")
	hosts := fs.String("allowed-hosts", env("PODBOARD_ALLOWED_HOSTS", ""), "comma-separated names podboard is reached by, besides loopback and the listen address (env PODBOARD_ALLOWED_HOSTS)")
	origins := fs.String("trusted-origin", env("PODBOARD_TRUSTED_ORIGIN", ""), "comma-separated origins (https://dash.example) a proxy rewrites requests to (env PODBOARD_TRUSTED_ORIGIN)")
	idle := fs.String("session-idle", env("PODBOARD_SESSION_IDLE", "12h"), "a session unused this long ends (env PODBOARD_SESSION_IDLE)")
	lifetime := fs.String("session-lifetime", env("PODBOARD_SESSION_LIFETIME", "7d"), "a session ends this long after sign-in (env PODBOARD_SESSION_LIFETIME)")
	fs.StringVar(&c.tlsCert, "tls-cert", env("PODBOARD_TLS_CERT", ""), "certificate file (PEM): serve HTTPS and HTTP/2 (env PODBOARD_TLS_CERT)")
	fs.StringVar(&c.tlsKey, "tls-key", env("PODBOARD_TLS_KEY", ""), "private key file of --tls-cert (env PODBOARD_TLS_KEY)")
	fs.BoolVar(&c.secureCookie, "secure-cookie", env("PODBOARD_SECURE_COOKIE", "") == "true", "send the session cookie over HTTPS only, for a proxy that terminates TLS (on by itself with --tls-cert) (env PODBOARD_SECURE_COOKIE=true)")
	fs.IntVar(&c.maxFeeds, "max-feeds", envInt(getenv, "PODBOARD_MAX_FEEDS", 256), "most live connections open at once (env PODBOARD_MAX_FEEDS)")
	fs.IntVar(&c.maxFeedsPerClient, "max-feeds-per-client", envInt(getenv, "PODBOARD_MAX_FEEDS_PER_CLIENT", 32), "most live connections from one client address (env PODBOARD_MAX_FEEDS_PER_CLIENT)")
	stats, err := strconv.ParseBool(env("PODBOARD_STATS", "true"))
	if err != nil {
		return c, fmt.Errorf("PODBOARD_STATS=%q: want true or false", getenv("PODBOARD_STATS"))
	}
	fs.BoolVar(&c.stats, "stats", stats, "show the CPU and memory of running containers, from one Podman stats stream every 5 s (env PODBOARD_STATS; --stats=false turns it off)")
	fs.StringVar(&c.metricsListen, "metrics-listen", env("PODBOARD_METRICS_LISTEN", ""), "address to serve Prometheus metrics on, at /metrics with no login (env PODBOARD_METRICS_LISTEN); off when empty")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := c.parseSecurity(*mode, *proxies, *hosts, *origins, *idle, *lifetime); err != nil {
		return c, err
	}
	if c.knownHosts == "" {
		c.knownHosts = filepath.Join(c.data, "known_hosts")
	}
	// Flags win over the environment: hosts named by a flag (--podman or
	// --hosts-file) leave both variables unread.
	if len(hostArgs) == 0 && *hostsFile == "" {
		hostArgs, *hostsFile = splitList(getenv("PODBOARD_PODMAN")), getenv("PODBOARD_HOSTS_FILE")
	}
	if len(identityArgs) == 0 {
		identityArgs = splitList(getenv("PODBOARD_PODMAN_IDENTITY"))
	}
	if c.hosts, err = parseHosts(hostArgs, *hostsFile, identityArgs, defaultPodmanURI(getenv)); err != nil {
		return c, err
	}
	c.podman = c.hosts[0].uri
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, fmt.Errorf("--log-format %q: want text or json", c.logFormat)
	}
	if c.opGrace < time.Second || c.startTimeout < time.Second {
		return c, errors.New("--op-grace and --start-timeout must be at least 1s")
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	d, err := time.ParseDuration(interval)
	if err != nil || d < 100*time.Millisecond {
		return c, fmt.Errorf("invalid scan interval %q: want a duration of at least 100ms, such as 5s", interval)
	}
	c.scanInterval = d
	c.readTimeout = 20 * time.Second
	var ok bool
	if c.historyKeep, ok = parseKeep(keep); !ok {
		return c, fmt.Errorf("invalid history keep %q: want days such as 90d, a duration such as 2160h, or 0 to keep it forever", keep)
	}
	if _, _, err := net.SplitHostPort(c.listen); err != nil {
		return c, fmt.Errorf("invalid listen address %q: want host:port", c.listen)
	}
	if _, _, err := net.SplitHostPort(c.metricsListen); c.metricsListen != "" && err != nil {
		return c, fmt.Errorf("invalid metrics listen address %q: want host:port, such as 127.0.0.1:9090", c.metricsListen)
	}
	if c.auth == auth.None && !isLoopback(c.listen) {
		return c, fmt.Errorf("--auth none lets anyone who reaches %s stop your containers: it is only allowed with a loopback --listen such as 127.0.0.1:8080", c.listen)
	}
	return c, nil
}

// parseSecurity reads the flags of sign-in, proxies, hosts and TLS.
func (c *config) parseSecurity(mode, proxies, hosts, origins, idle, lifetime string) error {
	var err error
	if c.auth, err = auth.ParseMode(mode); err != nil {
		return fmt.Errorf("invalid --auth %q: want password, proxy or none", mode)
	}
	if c.trustedProxies, err = auth.ParsePrefixes(proxies); err != nil {
		return fmt.Errorf("invalid --trusted-proxies %q: want comma-separated CIDRs such as 127.0.0.1/32,10.0.0.0/8", proxies)
	}
	if c.auth == auth.Proxy && len(c.trustedProxies) == 0 {
		return errors.New("--auth proxy needs --trusted-proxies: the addresses your reverse proxy connects from (for example 127.0.0.1/32)")
	}
	if c.authProxyHeader == "" || strings.ContainsAny(c.authProxyHeader, " :\t") {
		return fmt.Errorf("invalid --auth-proxy-header %q: want a header name such as Remote-User", c.authProxyHeader)
	}
	c.allowedHosts = splitList(hosts)
	c.trustedOrigins = splitList(origins)
	var ok bool
	if c.sessionIdle, ok = parseKeep(idle); !ok || c.sessionIdle < time.Minute {
		return fmt.Errorf("invalid --session-idle %q: want a duration of at least 1m, such as 12h or 2d", idle)
	}
	if c.sessionLifetime, ok = parseKeep(lifetime); !ok || c.sessionLifetime < time.Minute {
		return fmt.Errorf("invalid --session-lifetime %q: want a duration of at least 1m, such as 7d", lifetime)
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both to serve HTTPS")
	}
	if c.maxFeeds < 1 || c.maxFeedsPerClient < 1 {
		return errors.New("--max-feeds and --max-feeds-per-client must be at least 1")
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func envDuration(getenv func(string) string, name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(getenv(name)); err == nil {
		return d
	}
	return def
}

func envInt(getenv func(string) string, name string, def int) int {
	if n, err := strconv.Atoi(getenv(name)); err == nil {
		return n
	}
	return def
}

// isLoopback reports whether a listen address is reachable from this
// machine only.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// parseKeep reads a history retention or a session's length: whole days
// ("90d") or a Go duration ("2160h"); "0" is 0.
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
	if len(os.Args) > 1 && (os.Args[1] == "version" || os.Args[1] == "--version" || os.Args[1] == "-version") {
		os.Exit(runVersion(os.Args[1:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && (os.Args[1] == "user" || os.Args[1] == "token") {
		os.Exit(runCommand(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	if len(os.Args) > 1 && os.Args[1] == "hostkey" {
		os.Exit(runHostkey(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
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

// connect reaches the Podman of host h: over SSH, with the host key
// checked and the identity file, for ssh://; directly otherwise. Its
// errors end with what to do at the command line.
func connect(ctx context.Context, cfg config, h hostSpec) (*podman.Engine, error) {
	e, err := dial(ctx, cfg, h)
	switch {
	case err == nil:
		return e, nil
	case errors.Is(err, sshtunnel.ErrUnknownHostKey) || errors.Is(err, sshtunnel.ErrHostKeyChanged):
		return nil, err // it says what to do
	case strings.HasPrefix(h.uri, "ssh://"):
		socket := "the socket the URI names"
		if t, perr := sshtunnel.ParseTarget(h.uri); perr == nil {
			socket = t.Socket
		}
		return nil, fmt.Errorf("%v\n  Check that sshd runs there, that the key of --podman-identity is in the user's authorized_keys, and that Podman's API listens on %s", err, socket)
	}
	return nil, fmt.Errorf("%v\n  Start Podman's API service, for example: podman system service --time=0 %s &\n  or point --podman (or CONTAINER_HOST) at a running one", err, podman.Redact(h.uri))
}

// dial is connect without the command-line hints: a host of several that
// is down says why in its banner, where they do not belong.
func dial(ctx context.Context, cfg config, h hostSpec) (*podman.Engine, error) {
	if strings.HasPrefix(h.uri, "ssh://") {
		sockets := filepath.Join(cfg.data, "run")
		if len(cfg.hosts) > 1 {
			sockets = filepath.Join(sockets, h.name) // a tunnel each
		}
		return podman.ConnectSSH(ctx, h.uri, podman.SSH{
			Identity: h.identity, KnownHosts: cfg.knownHosts, SocketDir: sockets,
		}, 10*time.Second)
	}
	return podman.Connect(ctx, h.uri, 10*time.Second)
}

// firstConnectWait is how long a dashboard of several hosts waits, at
// start, for the hosts' first attempts to connect.
const firstConnectWait = 2 * time.Second

// hostEngine is one host's name, URI (redacted) and engine.
type hostEngine struct {
	name, podman string
	engine       lifecycle.Engine
}

// connectAll reaches the hosts. One host must answer at start: the
// dashboard exits with what to do when it does not. Of several, each
// connects in the background and again with a growing delay until it
// works, so that a host that is down never keeps the others from
// working; its banner says why meanwhile. closeAll ends the connections.
func connectAll(ctx, bg context.Context, cfg config, log *slog.Logger) (engines []hostEngine, closeAll func(), err error) {
	if len(cfg.hosts) == 1 {
		h := cfg.hosts[0]
		e, err := connect(ctx, cfg, h)
		if err != nil {
			return nil, nil, err
		}
		return []hostEngine{{h.name, podman.Redact(h.uri), e}}, func() { e.Close() }, nil
	}
	var redials []*podman.Redial
	for _, h := range cfg.hosts {
		r := podman.NewRedial(h.uri, func(ctx context.Context) (*podman.Engine, error) { return dial(ctx, cfg, h) }, log.With("host", h.name))
		go r.Keep(bg)
		redials = append(redials, r)
		engines = append(engines, hostEngine{h.name, r.URI(), r})
	}
	// The first scans are better for the first attempts' reasons: wait
	// for them, a little.
	wait, cancel := context.WithTimeout(ctx, firstConnectWait)
	defer cancel()
	for _, r := range redials {
		select {
		case <-r.Tried():
		case <-wait.Done(): // one deadline for all of them
		}
	}
	return engines, func() {
		for _, r := range redials {
			r.Close()
		}
	}, nil
}

func run(cfg config) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("invalid log level %q", cfg.logLevel)
	}
	log := newLogger(os.Stderr, cfg.logFormat, level)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	bg, cancelConnects := context.WithCancel(context.Background())
	defer cancelConnects()
	engines, closeAll, err := connectAll(ctx, bg, cfg, log)
	if err != nil {
		return err
	}
	defer closeAll()
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	var mln net.Listener
	if cfg.metricsListen != "" {
		if mln, err = net.Listen("tcp", cfg.metricsListen); err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-listen: %w", err)
		}
	}
	a, err := newApp(ctx, cfg, engines, log)
	if err != nil {
		ln.Close()
		if mln != nil {
			mln.Close()
		}
		return err
	}
	defer a.close()
	if mln != nil {
		a.serveMetrics(mln)
	}
	defer reopenOnHangup(a.incidents, log)()

	serveErr := make(chan error, 1)
	scheme := "http"
	if cfg.tlsCert != "" {
		scheme = "https"
		go func() { serveErr <- a.srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { serveErr <- a.srv.Serve(ln) }()
	}
	var uris []string
	for _, e := range engines {
		uris = append(uris, e.name+"="+e.podman)
	}
	podmans := podman.Redact(cfg.podman)
	if len(engines) > 1 {
		podmans = strings.Join(uris, " ")
	}
	log.Info("podboard serving", "url", scheme+"://"+ln.Addr().String(), "auth", cfg.auth, "podman", podmans, "data", cfg.data, "incident_log", a.incidents.Path())

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal now ends the process at once
	log.Info("shutting down")
	a.shutdown()
	return waitForJobs(a.fleet, log)
}

// app is the dashboard wired together, without its listener, so that tests
// run exactly what main runs.
type app struct {
	log       *slog.Logger
	lock      *os.File
	store     *db.DB
	auth      *auth.Auth
	incidents *lifecycle.IncidentLog
	hub       *web.Hub
	fleet     *lifecycle.Fleet
	manager   *lifecycle.Manager // the first host's
	srv       *http.Server
	cancelBG  context.CancelFunc
	engines   []hostEngine

	metrics    *metrics.Metrics // nil without --metrics-listen
	metricsSrv *http.Server
}

// newApp opens the data directory, recovers operations an earlier process
// left behind, runs a first scan of each host and starts the periodic
// scans: a manager for each of engines, on its own.
func newApp(ctx context.Context, cfg config, engines []hostEngine, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
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
	observer := a.newMetrics(cfg)
	several := len(engines) > 1
	var managers []*lifecycle.Manager
	uris := map[string]string{}
	for _, e := range engines {
		managers = append(managers, lifecycle.NewManager(lifecycle.Config{
			Store: a.store.Host(e.name), Engine: e.engine, Notifier: a.hub, Observer: observer, Incident: a.incidents, Logger: log,
			OpGrace: cfg.opGrace, StartTimeout: cfg.startTimeout, Host: e.name, Named: several,
		}))
		uris[e.name] = e.podman
	}
	if a.fleet, err = lifecycle.NewFleet(managers...); err != nil {
		a.close()
		return nil, err
	}
	a.manager = managers[0]
	// Before the managers' first event: the hub's goroutine reads them
	// from then on.
	a.hub.Logs, a.hub.Usage, a.hub.HostURIs = a.fleet.Logs, a.fleet.Usage, uris
	// One host is scanned before serving, so that the first page is
	// current. Of several, each is scanned in the background: one whose
	// Podman hangs would keep the others waiting for its scan timeout.
	recoverHost := (*lifecycle.Manager).Recover
	if several {
		recoverHost = (*lifecycle.Manager).RecoverJobs
	}
	for _, m := range managers {
		if jobs, err := recoverHost(m, ctx); err != nil {
			a.close()
			return nil, err
		} else if len(jobs) > 0 {
			log.Warn("recovered operations interrupted by an earlier stop", "count", len(jobs), "host", m.Host())
		}
	}
	a.engines = engines
	if _, err := a.manager.PruneHistory(ctx, cfg.historyKeep); err != nil {
		log.Error("job history not pruned; trying again in a day", "err", err)
	}
	if err := a.serveWith(ctx, cfg); err != nil {
		a.close()
		return nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	a.cancelBG = cancel
	a.fleet.Each(func(m *lifecycle.Manager) {
		if several {
			go m.RunNow(bg, cfg.scanInterval)
		} else {
			go m.Run(bg, cfg.scanInterval)
		}
		if cfg.stats {
			go m.WatchStats(bg, statsInterval)
		}
	})
	go a.manager.PruneHistoryEvery(bg, cfg.historyKeep, 24*time.Hour)
	go a.hub.Heartbeat(bg, 15*time.Second)
	go a.hub.WatchSessions(bg, sessionCheck, a.auth.Live)
	return a, nil
}

// sessionCheck is how often the open live feeds are checked against the
// sessions and tokens: a session also ends by expiry, and a command run in
// another process may delete a user or a token.
const sessionCheck = 10 * time.Second

// serveWith builds the HTTP server: sign-in, the host check, the limits.
func (a *app) serveWith(ctx context.Context, cfg config) error {
	var err error
	if a.auth, err = auth.New(auth.Config{
		Mode: cfg.auth, ProxyHeader: cfg.authProxyHeader, TrustedProxies: cfg.trustedProxies,
		IdleTimeout: cfg.sessionIdle, Lifetime: cfg.sessionLifetime, Secure: cfg.tlsCert != "" || cfg.secureCookie,
		DataDir: absDir(cfg.data),
	}, a.store, a.log); err != nil {
		return err
	}
	if cfg.auth == auth.Password {
		if has, err := a.auth.HasUsers(ctx); err == nil && !has {
			a.log.Warn("nobody can sign in yet: create a user with: " + a.auth.CreateUserHint())
		}
	}
	hosts, err := web.NewHosts(cfg.listen, cfg.allowedHosts)
	if err != nil {
		return err
	}
	a.hub.MaxFeeds, a.hub.MaxFeedsPerClient = cfg.maxFeeds, cfg.maxFeedsPerClient
	proxies := cfg.trustedProxies
	a.hub.ClientAddr = func(r *http.Request) string { return auth.ClientKey(r, proxies) }
	var podmans []handlers.Host
	for _, e := range a.engines {
		m, _ := a.fleet.Manager(e.name)
		podmans = append(podmans, handlers.Host{Name: e.name, Podman: e.podman, Lifecycle: m})
	}
	h := handlers.New(handlers.Config{Hosts: podmans, Auth: a.auth, EndFeeds: a.hub.EndSession, Log: a.log})
	router, err := web.Router(web.Site{
		Handlers: h, Hub: a.hub, Auth: a.auth, Hosts: hosts, TrustedOrigins: cfg.trustedOrigins, Log: a.log,
	})
	if err != nil {
		return err
	}
	a.srv = &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		// The whole request, body included, must arrive within this; the
		// live feed lifts it for itself once its request is read.
		ReadTimeout:    cfg.readTimeout,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 32 << 10,
		ErrorLog:       slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return fmt.Errorf("load --tls-cert %s and --tls-key %s: %w", cfg.tlsCert, cfg.tlsKey, err)
		}
		a.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	a.srv.RegisterOnShutdown(a.hub.Close)
	return nil
}

func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
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
	a.closeMetrics()
	a.incidents.Close()
	if a.auth != nil {
		a.auth.Close()
	}
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
func waitForJobs(m *lifecycle.Fleet, log *slog.Logger) error {
	jobs := m.Running()
	if len(jobs) == 0 {
		return nil
	}
	var names []string
	for _, j := range jobs {
		name := j.Container
		if m.Several() {
			name = lifecycle.HostName(j.Host, name)
		}
		names = append(names, string(j.Op)+" "+name)
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
