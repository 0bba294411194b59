// Package webtest is the one test environment of the dashboard: a real
// SQLite file, the fake engine, the incident log, the lifecycle manager,
// the SSE hub, the handlers and the router, served by an httptest.Server
// and torn down in order when the test ends. It also holds the one reader
// of the live feed (Subscribe) and the HTML assertions over goquery that
// every test of a page or fragment uses (Parse, Response.Doc).
//
// A test of an action reads:
//
//	e := webtest.New(t, webtest.Containers(fake.Running("web")))
//	feed := e.Subscribe()
//	release := e.Hold(lifecycle.Stop, "web")
//	r := e.Post("/containers/web/stop", webtest.HTMX)
//	if row := r.Doc().Row("web"); row.State() != "stopping" { … }
//	release()
//	feed.Next(0, "web stopped", webtest.IsRow("web", "stopped"))
//
// Against another server (the real binary), build a Site for the requests
// and call Subscribe with the URL of its /events.
//
// It imports package testing and is meant for tests only: of handlers, of
// web (as package web_test), of lifecycle (as package lifecycle_test) and
// of the root package.
package webtest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"podboard/db"
	"podboard/handlers"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web"
	"podboard/web/auth"
)

// SessionCookie is the name of the dashboard's session cookie.
const SessionCookie = auth.SessionCookie

// Deadline bounds every wait of this package (jobs ending, an engine call,
// an event on the live feed). It is generous on purpose: a wait ends as
// soon as its condition holds, and only a broken test ever reaches it, on
// two cores shared with other race-enabled builds.
const Deadline = 30 * time.Second

// Env is a running dashboard over a fake engine. Its fields are the real
// parts, for the tests that need to reach past HTTP.
//
// Its Site (TB, URL, Client) sends requests as each kind of client does:
// e.Post("/containers/web/stop", webtest.HTMX).
type Env struct {
	Site // URL is the server's; Client follows no redirects, so a 303 is seen as one

	Server  *httptest.Server // serves Handler
	Handler http.Handler     // the router (with the env's own middleware), for httptest.NewRecorder

	Dir      string                 // t.TempDir() holding podboard.db and lifecycle.log
	DB       *db.DB                 // the store, also read directly by Container, Jobs…
	Engine   *fake.Engine           // holds, failures, latency and containers made "outside"
	Manager  *lifecycle.Manager     // the manager every request goes through
	Hub      *web.Hub               // the SSE hub behind /events
	Incident *lifecycle.IncidentLog // Dir/lifecycle.log
	Auth     *auth.Auth             // sign-in; auth.None unless the Auth option says otherwise
	Accounts auth.Accounts          // users and tokens, as the commands manage them

	// Hosts are the other Podman hosts the AlsoHost option added, by
	// name; the Env's own (Engine, Manager) is then the host "local".
	Hosts map[string]*Host

	events   eventLog
	streams  StreamCutter
	hostList []handlers.Host
}

// Host is another Podman host of an Env: its own fake engine, over the
// same database, with its own manager.
type Host struct {
	Engine  *fake.Engine
	Manager *lifecycle.Manager
}

// ScanHost runs one scan of the named host and waits until the hub has handed its
// changes to the open streams; it fails the test if the scan fails.
func (e *Env) ScanHost(name string) lifecycle.ScanResult {
	e.TB.Helper()
	res, err := e.Hosts[name].Manager.Scan(context.Background())
	if err != nil {
		e.TB.Fatalf("scan of host %s: %v", name, err)
	}
	e.Hub.Sync()
	return res
}

// Option changes how New builds an Env.
type Option func(*options)

type options struct {
	hosts      []hostOption
	containers []lifecycle.Observed
	config     lifecycle.Config
	logger     *slog.Logger
	podman     string
	scanEvery  time.Duration
	noScan     bool
	noEvents   bool
	middleware []func(http.Handler) http.Handler
	auth       auth.Config
	listen     string
	allowed    []string
	origins    []string
}

type hostOption struct {
	name       string
	containers []lifecycle.Observed
}

// AlsoHost adds a Podman host named name holding cs (Env.Hosts): the
// dashboard then has several hosts, and the Env's own is "local".
func AlsoHost(name string, cs ...lifecycle.Observed) Option {
	return func(o *options) { o.hosts = append(o.hosts, hostOption{name, cs}) }
}

// TrustedOrigins are the --trusted-origin values.
func TrustedOrigins(origins ...string) Option {
	return func(o *options) { o.origins = origins }
}

// Auth is how the Env authenticates. The default is auth.None: a test of
// anything but sign-in acts without signing in, as on loopback.
func Auth(c auth.Config) Option {
	return func(o *options) { o.auth = c }
}

// Listen is the address the host check takes as the listen address, and
// allowed the --allowed-hosts. Default 127.0.0.1:8080, none.
func Listen(addr string, allowed ...string) Option {
	return func(o *options) { o.listen, o.allowed = addr, allowed }
}

// Containers seeds the fake engine with cs; New scans them into the
// database before it returns (unless NoScan).
func Containers(cs ...lifecycle.Observed) Option {
	return func(o *options) { o.containers = append(o.containers, cs...) }
}

// Config is the manager's configuration (timeouts, clock, logger). Its
// Store, Engine, Notifier and Incident are always the env's own.
func Config(cfg lifecycle.Config) Option {
	return func(o *options) { o.config = cfg }
}

// Logger is the logger of the manager, hub, handlers and router. The
// default discards everything; see TestLogger.
func Logger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// Podman is the engine address the page shows ("Podman: …"). Default
// "unix:///test.sock".
func Podman(uri string) Option {
	return func(o *options) { o.podman = uri }
}

// ScanEvery runs the manager's periodic scan (Manager.Run) at interval for
// the whole test, as the dashboard does; it stops before the teardown.
func ScanEvery(interval time.Duration) Option {
	return func(o *options) { o.scanEvery = interval }
}

// NoScan leaves the database empty at start: for tests that write rows or
// jobs themselves before the first scan (start-up recovery).
func NoScan() Option {
	return func(o *options) { o.noScan = true }
}

// DiscardEvents keeps the Env from recording the manager's events (Events,
// States, NextEvent then see none): for benchmarks, where it would hold
// every event of every iteration.
func DiscardEvents() Option {
	return func(o *options) { o.noEvents = true }
}

// Middleware wraps the router, first given outermost.
func Middleware(mw func(http.Handler) http.Handler) Option {
	return func(o *options) { o.middleware = append(o.middleware, mw) }
}

// TestLogger logs through tb.Log, shown only for a failed test (or -v).
func TestLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Helper()
	w.tb.Log(string(p))
	return len(p), nil
}

// New starts a dashboard for the test and stops it when the test ends:
// the background scan first, then the hub (which ends the live streams),
// the server, the jobs still running (waited for, an error if they do not
// end), the incident log and the database.
func New(tb testing.TB, opts ...Option) *Env {
	tb.Helper()
	o := options{logger: slog.New(slog.DiscardHandler), podman: "unix:///test.sock",
		auth: auth.Config{Mode: auth.None}, listen: "127.0.0.1:8080"}
	for _, opt := range opts {
		opt(&o)
	}
	e := &Env{Site: Site{TB: tb}, Dir: tb.TempDir()}
	e.wire(o)
	if !o.noScan {
		e.Scan()
		for _, h := range o.hosts {
			e.ScanHost(h.name)
		}
	}
	if o.scanEvery > 0 {
		e.runScans(o.scanEvery)
	}
	return e
}

// wire builds the dashboard as main does, each part registering its own
// teardown (t.Cleanup runs them last first). It is the one place that knows
// how the parts fit together: change it when their constructors change.
func (e *Env) wire(o options) {
	tb := e.TB
	tb.Helper()
	ctx := context.Background()

	store, err := db.Open(ctx, filepath.Join(e.Dir, "podboard.db"))
	if err != nil {
		tb.Fatalf("open the database: %v", err)
	}
	tb.Cleanup(func() {
		if err := store.Close(); err != nil {
			tb.Errorf("close the database: %v", err)
		}
	})
	incid, err := lifecycle.OpenIncidentLog(filepath.Join(e.Dir, "lifecycle.log"))
	if err != nil {
		tb.Fatalf("open the incident log: %v", err)
	}
	tb.Cleanup(func() { incid.Close() })
	e.DB, e.Incident, e.Engine = store, incid, fake.New(o.containers...)

	e.Hub = web.NewHub(o.logger)
	cfg := o.config
	cfg.Store, cfg.Engine, cfg.Incident = store, e.Engine, incid
	cfg.Notifier = e.Hub
	if !o.noEvents {
		cfg.Notifier = lifecycle.NotifierFunc(func(ev lifecycle.Event) {
			e.events.add(ev)
			e.Hub.Notify(ev)
		})
	}
	if cfg.Logger == nil {
		cfg.Logger = o.logger
	}
	cfg.Named = len(o.hosts) > 0
	e.Manager = lifecycle.NewManager(cfg)
	managers := []*lifecycle.Manager{e.Manager}
	hostList := []handlers.Host{{Name: lifecycle.DefaultHost, Podman: o.podman, Lifecycle: e.Manager}}
	uris := map[string]string{lifecycle.DefaultHost: o.podman}
	e.Hosts = map[string]*Host{}
	for _, h := range o.hosts {
		hc := cfg
		hc.Engine, hc.Store, hc.Host = fake.New(h.containers...), store.Host(h.name), h.name
		hst := &Host{Engine: hc.Engine.(*fake.Engine), Manager: lifecycle.NewManager(hc)}
		e.Hosts[h.name] = hst
		managers = append(managers, hst.Manager)
		hostList = append(hostList, handlers.Host{Name: h.name, Podman: "unix:///" + h.name + ".sock", Lifecycle: hst.Manager})
		uris[h.name] = "unix:///" + h.name + ".sock"
		tb.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), Deadline)
			defer cancel()
			if err := hst.Manager.Wait(ctx); err != nil {
				tb.Errorf("jobs of host %s still running at the end of the test: %+v", h.name, hst.Manager.Running())
			}
		})
	}
	fleet, err := lifecycle.NewFleet(managers...)
	if err != nil {
		tb.Fatal(err)
	}
	e.Hub.Logs, e.Hub.Usage = fleet.Logs, fleet.Usage // before any event
	if len(o.hosts) > 0 {
		e.Hub.HostURIs = uris
	}
	e.hostList = hostList
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Deadline)
		defer cancel()
		if err := e.Manager.Wait(ctx); err != nil {
			tb.Errorf("jobs still running at the end of the test: %+v", e.Manager.Running())
		}
	})

	ac := o.auth
	if ac.IdleTimeout == 0 {
		ac.IdleTimeout = time.Hour
	}
	if ac.Lifetime == 0 {
		ac.Lifetime = 24 * time.Hour
	}
	if ac.DataDir == "" {
		ac.DataDir = e.Dir
	}
	a, err := auth.New(ac, store, o.logger)
	if err != nil {
		tb.Fatalf("auth: %v", err)
	}
	tb.Cleanup(a.Close)
	e.Auth, e.Accounts = a, auth.Accounts{DB: store}
	hosts, err := web.NewHosts(o.listen, o.allowed)
	if err != nil {
		tb.Fatalf("hosts: %v", err)
	}
	proxies := ac.TrustedProxies
	e.Hub.ClientAddr = func(r *http.Request) string { return auth.ClientKey(r, proxies) }
	router, err := web.Router(web.Site{
		Handlers: handlers.New(handlers.Config{Hosts: e.hostList, Auth: a, EndFeeds: e.Hub.EndSession, Log: o.logger}),
		Hub:      e.Hub, Auth: a, Hosts: hosts, TrustedOrigins: o.origins, Log: o.logger,
	})
	if err != nil {
		tb.Fatalf("router: %v", err)
	}
	var h http.Handler = router
	for i := len(o.middleware) - 1; i >= 0; i-- {
		h = o.middleware[i](h)
	}
	e.streams.Next = h
	e.Handler = &e.streams
	e.Server = httptest.NewServer(e.Handler)
	e.URL = e.Server.URL
	tb.Cleanup(e.Server.Close)
	// Registered last, so it runs first: the streams end and Server.Close
	// does not wait for them.
	tb.Cleanup(e.Hub.Close)
	e.Client = noRedirects
}

// runScans runs the periodic scan until the test ends.
func (e *Env) runScans(interval time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Manager.Run(ctx, interval)
	}()
	e.TB.Cleanup(func() { cancel(); <-done })
}

// Scan runs one scan and waits until the hub has handed its changes to the
// open streams; it fails the test if the scan fails.
func (e *Env) Scan() lifecycle.ScanResult {
	e.TB.Helper()
	res, err := e.Manager.Scan(context.Background())
	if err != nil {
		e.TB.Fatalf("scan: %v", err)
	}
	// The scan's events reach the pages through the hub's queue: a stream
	// opened after Scan returns must not receive them.
	e.Hub.Sync()
	return res
}

// Container returns the stored row of name.
func (e *Env) Container(name string) lifecycle.Container {
	e.TB.Helper()
	c, err := e.DB.Container(context.Background(), name)
	if err != nil {
		e.TB.Fatalf("container %s: %v", name, err)
	}
	return c
}

// Containers returns every stored row, ordered by name.
func (e *Env) Containers() []lifecycle.Container {
	e.TB.Helper()
	cs, err := e.DB.Containers(context.Background())
	if err != nil {
		e.TB.Fatalf("containers: %v", err)
	}
	return cs
}

// Versions maps every stored container to its version: two equal maps
// mean nothing was written in between.
func (e *Env) Versions() map[string]int64 {
	e.TB.Helper()
	out := map[string]int64{}
	for _, c := range e.Containers() {
		out[c.Name] = c.Version
	}
	return out
}

// Jobs returns the last 100 jobs of every container, newest first.
func (e *Env) Jobs() []lifecycle.Job { return e.JobsOf("") }

// JobsOf returns the last 100 jobs of one container, newest first.
func (e *Env) JobsOf(name string) []lifecycle.Job {
	e.TB.Helper()
	jobs, err := e.Manager.Jobs(context.Background(), name, 100)
	if err != nil {
		e.TB.Fatalf("jobs: %v", err)
	}
	return jobs
}

// WaitIdle waits until no job runs.
func (e *Env) WaitIdle() {
	e.TB.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	defer cancel()
	if err := e.Manager.Wait(ctx); err != nil {
		e.TB.Fatalf("jobs did not end within %s: %+v", Deadline, e.Manager.Running())
	}
}

// Hold holds the engine's calls of op on name ("*": every container) until
// release is called or the test ends, so a test can act while an operation
// is in flight.
func (e *Env) Hold(op lifecycle.Op, name string) (release func()) {
	release = e.Engine.Hold(op, name)
	e.TB.Cleanup(release) // runs before the teardown waits for the jobs
	return release
}

// WaitCall waits until the engine has been asked for call, as the fake
// engine writes it ("stop web", "inspect newbie").
func (e *Env) WaitCall(call string) {
	e.TB.Helper()
	e.WaitCalls(call, 1)
}

// WaitCalls waits until the engine has been asked for call n times since
// New, the scan New runs included: after New, the next scan's engine list
// is WaitCalls("list *", 2).
func (e *Env) WaitCalls(call string, n int) {
	e.TB.Helper()
	select {
	case <-e.Engine.CalledTimes(call, n):
	case <-time.After(Deadline):
		e.TB.Fatalf("the engine did not get %q %d times within %s; calls: %v", call, n, Deadline, e.Engine.Calls())
	}
}

// Incidents returns the incident log as written so far.
func (e *Env) Incidents() string {
	e.TB.Helper()
	b, err := os.ReadFile(e.Incident.Path())
	if err != nil {
		e.TB.Fatalf("read the incident log: %v", err)
	}
	return string(b)
}

// Subscribe opens the live feed, /events, as a page does. See Subscribe.
func (e *Env) Subscribe() *Stream {
	e.TB.Helper()
	return Subscribe(e.TB, e.URL+"/events")
}

// CutStreams ends every live stream open now, as a proxy that drops idle
// connections or a flaky network would; pages then reconnect.
func (e *Env) CutStreams() { e.streams.Cut() }

// StreamCutter serves Next, giving every /events request a context that
// Cut cancels: a test ends the live streams open at that moment, as a proxy
// that drops idle connections would, and the pages reconnect.
type StreamCutter struct {
	Next    http.Handler
	mu      sync.Mutex
	cancels []context.CancelFunc
}

func (s *StreamCutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/events" {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		s.mu.Lock()
		s.cancels = append(s.cancels, cancel)
		s.mu.Unlock()
		r = r.WithContext(ctx)
	}
	s.Next.ServeHTTP(w, r)
}

// Cut ends the live streams open now.
func (s *StreamCutter) Cut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cancel := range s.cancels {
		cancel()
	}
	s.cancels = nil
}

// AddUser creates a user as `podboard user add` does.
func (e *Env) AddUser(name, password string) {
	e.TB.Helper()
	if err := e.Accounts.AddUser(context.Background(), name, password); err != nil {
		e.TB.Fatalf("add user %s: %v", name, err)
	}
}

// AddToken creates a token as `podboard token add` does and returns it.
func (e *Env) AddToken(name string) string {
	e.TB.Helper()
	tok, err := e.Accounts.AddToken(context.Background(), name)
	if err != nil {
		e.TB.Fatalf("add token %s: %v", name, err)
	}
	return tok
}

// Revalidate checks the open live feeds against the sessions and tokens
// now, as the dashboard does every few seconds.
func (e *Env) Revalidate() {
	e.TB.Helper()
	if err := e.Hub.Revalidate(context.Background(), e.Auth.Live); err != nil {
		e.TB.Fatalf("revalidate: %v", err)
	}
}
