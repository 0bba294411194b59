package lifecycle_test

// The fleet of several hosts' managers, each over its host's rows of one
// database (db.Open(…).Host(h)) and a fake engine of its own; and what a
// manager of one of several hosts (Config.Named) says of itself: its
// incident lines, its log lines, its health events and since when its
// host has been unreachable.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"podboard/db"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
)

// fleetWait bounds every wait of these tests; each ends as soon as what it
// waits for has happened.
const fleetWait = 30 * time.Second

// openStore is a real SQLite file in the test's directory, closed when the
// test ends.
func openStore(t *testing.T) *db.DB {
	t.Helper()
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "podboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// heard records a manager's events, for a test to wait on.
type heard struct {
	mu     sync.Mutex
	events []lifecycle.Event
	more   chan struct{} // closed at the next event
}

func newHeard() *heard { return &heard{more: make(chan struct{})} }

func (h *heard) Notify(e lifecycle.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
	close(h.more)
	h.more = make(chan struct{})
}

// health is every Health event heard so far.
func (h *heard) health() []lifecycle.Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []lifecycle.Health
	for _, e := range h.events {
		if e.Health != nil {
			out = append(out, *e.Health)
		}
	}
	return out
}

// wait returns once an event heard satisfies ok.
func (h *heard) wait(t *testing.T, what string, ok func(lifecycle.Event) bool) {
	t.Helper()
	timeout := time.After(fleetWait)
	for {
		h.mu.Lock()
		found := slices.ContainsFunc(h.events, ok)
		more := h.more
		h.mu.Unlock()
		if found {
			return
		}
		select {
		case <-more:
		case <-timeout:
			t.Fatalf("%s: not within %s", what, fleetWait)
		}
	}
}

// hostManager is the manager of host over its rows of store and engine.
func hostManager(store *db.DB, host string, engine *fake.Engine, cfg lifecycle.Config) *lifecycle.Manager {
	cfg.Store, cfg.Engine, cfg.Host = store.Host(host), engine, host
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return lifecycle.NewManager(cfg)
}

func scan(t *testing.T, ms ...*lifecycle.Manager) {
	t.Helper()
	for _, m := range ms {
		if _, err := m.Scan(context.Background()); err != nil {
			t.Fatalf("scan of %s: %v", m.Host(), err)
		}
	}
}

// twoHosts is the fleet of hosts a (web, db) and b (web, cache), b
// given first, both scanned.
func twoHosts(t *testing.T) (f *lifecycle.Fleet, a, b *fake.Engine) {
	t.Helper()
	store := openStore(t)
	a = fake.New(fake.Running("web"), fake.Exited("db"))
	b = fake.New(fake.Running("web"), fake.Running("cache"))
	mb, ma := hostManager(store, "b", b, lifecycle.Config{Named: true}), hostManager(store, "a", a, lifecycle.Config{Named: true})
	scan(t, mb, ma)
	f, err := lifecycle.NewFleet(mb, ma)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), fleetWait)
		defer cancel()
		if err := f.Wait(ctx); err != nil {
			t.Errorf("jobs still running at the end: %v", err)
		}
	})
	return f, a, b
}

func TestNewFleetTakesDistinctHostsInTheirOrderAndRefusesDuplicatesOrNone(t *testing.T) {
	for _, tt := range []struct {
		name    string
		hosts   []string
		want    []string // the fleet's Hosts
		several bool
		err     string
	}{
		{"one host", []string{"local"}, []string{"local"}, false, ""},
		{"a manager of no named host is the host local", []string{""}, []string{"local"}, false, ""},
		{"the operator's order, not the alphabet's", []string{"nas", "a", "pi"}, []string{"nas", "a", "pi"}, true, ""},
		{"no host", nil, nil, false, "invalid request: no host"},
		{"a host twice", []string{"a", "a"}, nil, false, `invalid request: host "a" is given twice`},
		{"a host twice, apart", []string{"a", "b", "c", "b"}, nil, false, `invalid request: host "b" is given twice`},
		{"the host local, named and not", []string{"", "local"}, nil, false, `invalid request: host "local" is given twice`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ms []*lifecycle.Manager
			for _, h := range tt.hosts {
				ms = append(ms, lifecycle.NewManager(lifecycle.Config{Host: h}))
			}
			f, err := lifecycle.NewFleet(ms...)
			if tt.err != "" {
				if f != nil || !errors.Is(err, lifecycle.ErrInvalid) || err.Error() != tt.err {
					t.Fatalf("NewFleet(%q) = %v, %v; want ErrInvalid saying %q", tt.hosts, f, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewFleet(%q): %v", tt.hosts, err)
			}
			if got := f.Hosts(); !slices.Equal(got, tt.want) || f.Several() != tt.several {
				t.Fatalf("NewFleet(%q): Hosts %q, Several %t; want %q, %t", tt.hosts, got, f.Several(), tt.want, tt.several)
			}
			var each []*lifecycle.Manager
			f.Each(func(m *lifecycle.Manager) { each = append(each, m) })
			if !slices.Equal(each, ms) {
				t.Errorf("Each visits %d managers out of the given order", len(each))
			}
			for i, h := range tt.want {
				if m, ok := f.Manager(h); !ok || m != ms[i] {
					t.Errorf("Manager(%q) = %p, %t; want the manager given for it", h, m, ok)
				}
			}
			for _, h := range []string{"nowhere", "", "NAS"} {
				if m, ok := f.Manager(h); ok {
					t.Errorf("Manager(%q) = %p, true; the fleet has no such host", h, m)
				}
			}
			// Hosts is the fleet's order, which a caller's change must not alter.
			f.Hosts()[0] = "changed"
			if got := f.Hosts(); !slices.Equal(got, tt.want) {
				t.Errorf("Hosts after a caller changed its slice: %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFleetContainersListEachHostsRowsHostByHost(t *testing.T) {
	f, a, b := twoHosts(t)
	rows := func() []string {
		t.Helper()
		cs, err := f.Containers(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Host+"/"+c.Name+" "+string(c.State))
		}
		return out
	}
	want := []string{"b/cache running", "b/web running", "a/db stopped", "a/web running"}
	if got := rows(); !slices.Equal(got, want) {
		t.Fatalf("Containers = %q, want %q (the hosts' order, each by name)", got, want)
	}

	// The same name on two hosts is two containers: a stop of b's web
	// leaves a's alone.
	mb, _ := f.Manager("b")
	if _, err := mb.Do(context.Background(), "web", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	if err := mb.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.State("web") != "running" || b.State("web") != "exited" {
		t.Fatalf("after b's stop of web: a's web %s, b's web %s; want running and exited", a.State("web"), b.State("web"))
	}
	want = []string{"b/cache running", "b/web stopped", "a/db stopped", "a/web running"}
	if got := rows(); !slices.Equal(got, want) {
		t.Fatalf("Containers after b's stop of web = %q, want %q", got, want)
	}

	// One host's rows gone from Podman leave the other's.
	a.Remove("web")
	a.Remove("db")
	ma, _ := f.Manager("a")
	scan(t, ma)
	want = []string{"b/cache running", "b/web stopped"}
	if got := rows(); !slices.Equal(got, want) {
		t.Fatalf("Containers after a's were removed = %q, want %q", got, want)
	}
}

func TestFleetRunningAndWaitCoverEveryHost(t *testing.T) {
	f, a, b := twoHosts(t)
	releaseA, releaseB := a.Hold(lifecycle.Stop, "web"), b.Hold(lifecycle.Stop, "web")
	defer releaseA()
	defer releaseB()
	for _, h := range []string{"a", "b"} {
		m, _ := f.Manager(h)
		if _, err := m.Do(context.Background(), "web", lifecycle.Stop, "test"); err != nil {
			t.Fatal(err)
		}
	}
	var running []string
	for _, j := range f.Running() {
		running = append(running, j.Host+"/"+j.Container+" "+string(j.Op))
	}
	slices.Sort(running)
	if want := []string{"a/web stop", "b/web stop"}; !slices.Equal(running, want) {
		t.Fatalf("Running = %q, want %q", running, want)
	}
	// One host's job ended, the other's held: Wait waits for it.
	releaseA()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with b's stop held = %v, want its context's error", err)
	}
	releaseB()
	ctx, cancel = context.WithTimeout(context.Background(), fleetWait)
	defer cancel()
	if err := f.Wait(ctx); err != nil {
		t.Fatalf("Wait once both stops were let go: %v", err)
	}
	if n := len(f.Running()); n != 0 {
		t.Fatalf("%d jobs running after Wait", n)
	}
}

func TestFleetUsageAndLogsGoToTheContainersHost(t *testing.T) {
	store := openStore(t)
	a, b := fake.New(fake.Running("web")), fake.New(fake.Running("web"))
	a.SetUsage(lifecycle.Usage{Name: "web", CPU: 1.5, MemUsed: 100 << 20, MemLimit: 1 << 30})
	b.SetUsage(lifecycle.Usage{Name: "web", CPU: 42, MemUsed: 700 << 20, MemLimit: 1 << 30})
	a.Log("web", "stdout", "a says hello")
	b.Log("web", "stderr", "b says hello")
	ha, hb := newHeard(), newHeard()
	ma := hostManager(store, "a", a, lifecycle.Config{Named: true, Notifier: ha})
	mb := hostManager(store, "b", b, lifecycle.Config{Named: true, Notifier: hb})
	scan(t, ma, mb)
	f, err := lifecycle.NewFleet(ma, mb)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var watching sync.WaitGroup
	for _, m := range []*lifecycle.Manager{ma, mb} {
		watching.Add(1)
		go func() { defer watching.Done(); m.WatchStats(ctx, time.Hour) }()
	}
	defer func() { cancel(); watching.Wait() }()
	usageOf := func(ev lifecycle.Event) bool { return len(ev.Usage) > 0 }
	ha.wait(t, "a's first stats", usageOf)
	hb.wait(t, "b's first stats", usageOf)

	for _, tt := range []struct {
		host, name string
		ok         bool
		cpu        float64
	}{
		{"a", "web", true, 1.5},
		{"b", "web", true, 42},
		{"a", "cache", false, 0},
		{"c", "web", false, 0},
		{"", "web", false, 0},
	} {
		u, ok := f.Usage(tt.host, tt.name)
		if ok != tt.ok || u.CPU != tt.cpu || (ok && u.Host != tt.host) {
			t.Errorf("Usage(%q, %q) = %+v, %t; want CPU %v on host %q, %t", tt.host, tt.name, u, ok, tt.cpu, tt.host, tt.ok)
		}
	}

	for _, tt := range []struct {
		host, want string
	}{
		{"a", "stdout a says hello"},
		{"b", "stderr b says hello"},
	} {
		var lines []string
		err := f.Logs(context.Background(), tt.host, "web", lifecycle.LogOptions{Tail: -1}, func(l lifecycle.LogLine) {
			lines = append(lines, l.Stream+" "+l.Text)
		})
		if err != nil || strings.Join(lines, "|") != tt.want {
			t.Errorf("Logs(%q, web) = %q, %v; want %q", tt.host, lines, err, tt.want)
		}
	}
	err = f.Logs(context.Background(), "c", "web", lifecycle.LogOptions{Tail: -1}, func(lifecycle.LogLine) {
		t.Error("a line from a host that is not there")
	})
	if !errors.Is(err, lifecycle.ErrNoHost) || err.Error() != `no such host: "c"` {
		t.Errorf(`Logs("c", web) = %v, want ErrNoHost naming "c"`, err)
	}
}

func TestSplitHostNameSplitsAtTheFirstSlash(t *testing.T) {
	for _, tt := range []struct {
		in         string
		host, name string
		ok         bool
	}{
		{"nas/web", "nas", "web", true},
		{"local/my.app-1", "local", "my.app-1", true},
		{"a/b/c", "a", "b/c", true},
		{"/web", "", "web", true},
		{"nas/", "nas", "", true},
		{"web", "", "", false},
		{"", "", "", false},
	} {
		host, name, ok := lifecycle.SplitHostName(tt.in)
		if ok != tt.ok || (ok && (host != tt.host || name != tt.name)) {
			t.Errorf("SplitHostName(%q) = %q, %q, %t; want %q, %q, %t", tt.in, host, name, ok, tt.host, tt.name, tt.ok)
		}
	}
}

func TestValidateHostTakesLowercaseLettersDigitsAndHyphensOnly(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"local", true},
		{"nas-2", true},
		{"0", true},
		{"a", true},
		{"pi-", true},
		{"10-0-0-7", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"NAS", false},
		{"Nas", false},
		{"a/b", false},
		{"nas.lan", false},
		{"a_b", false},
		{"-a", false},
		{" a", false},
		{"a ", false},
		{"a\n", false},
		{"nâs", false},
		{"a=b", false},
		{"a@b", false},
	} {
		err := lifecycle.ValidateHost(tt.name)
		if tt.ok {
			if err != nil {
				t.Errorf("ValidateHost(%q) = %v, want it valid", tt.name, err)
			}
			continue
		}
		want := fmt.Sprintf("invalid request: %q is not a valid host name (want lowercase letters, digits and '-', at most 63, such as nas-2)", tt.name)
		if !errors.Is(err, lifecycle.ErrInvalid) || err.Error() != want {
			t.Errorf("ValidateHost(%q) = %v, want ErrInvalid saying %q", tt.name, err, want)
		}
	}
}

// lockedText is a log a manager's jobs write to while the test reads it.
type lockedText struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedText) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedText) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAManagerOfOneOfSeveralHostsNamesItsHostInTheIncidentLogAndTheLog(t *testing.T) {
	for _, tt := range []struct {
		name     string
		host     string
		named    bool
		incident []string // the incident lines' ends, after the time
		logHost  bool     // the log lines carry host=
	}{
		{"one of several", "b", true, []string{"STOP BEGIN: b/web — job 1, was running, from alice", "STOP OK: b/web — job 1, "}, true},
		{"the only host", "local", false, []string{"STOP BEGIN: web — job 1, was running, from alice", "STOP OK: web — job 1, "}, false},
		{"a named host alone", "nas", false, []string{"STOP BEGIN: web — job 1, was running, from alice", "STOP OK: web — job 1, "}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lifecycle.log")
			incidents, err := lifecycle.OpenIncidentLog(path)
			if err != nil {
				t.Fatal(err)
			}
			defer incidents.Close()
			var log lockedText
			m := hostManager(openStore(t), tt.host, fake.New(fake.Running("web")), lifecycle.Config{
				Named: tt.named, Incident: incidents,
				Logger: slog.New(slog.NewTextHandler(&log, nil)),
			})
			scan(t, m)
			if _, err := m.Do(context.Background(), "web", lifecycle.Stop, "alice"); err != nil {
				t.Fatal(err)
			}
			if err := m.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(lines) != len(tt.incident) {
				t.Fatalf("incident log:\n%s\nwant %d lines", data, len(tt.incident))
			}
			for i, want := range tt.incident {
				// "2026-12-01T17:11:55.000Z STOP BEGIN: …"
				_, rest, _ := strings.Cut(lines[i], " ")
				if !strings.HasPrefix(rest, want) {
					t.Errorf("incident line %d: %q, want %q…", i+1, lines[i], want)
				}
			}
			out := log.String()
			if !strings.Contains(out, `msg="operation done"`) {
				t.Fatalf("no log line of the stop:\n%s", out)
			}
			if has := strings.Contains(out, "host="+tt.host); has != tt.logHost {
				t.Errorf("the log names host=%s: %t, want %t:\n%s", tt.host, has, tt.logHost, out)
			}
			if m.Host() != tt.host {
				t.Errorf("Host() = %q, want %q", m.Host(), tt.host)
			}
		})
	}
}

// fleetClock is a manager's clock, moved by the test.
type fleetClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fleetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fleetClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestUnreachableIsSinceTheFirstFailedScanAndEndsWithOneThatWorks(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)
	clock := &fleetClock{now: t0}
	engine := fake.New(fake.Running("web"))
	events := newHeard()
	m := hostManager(openStore(t), "b", engine, lifecycle.Config{Named: true, Notifier: events, Now: clock.Now})
	refused := errors.New("podman unreachable at ssh://core@nas.lan/run/podman/podman.sock: connection refused")
	noRoute := errors.New("podman unreachable at ssh://core@nas.lan/run/podman/podman.sock: no route to host")

	type step struct {
		at    time.Duration // after t0
		down  error         // the engine's failure; nil: it answers
		err   string        // Unreachable's error, "" for nil
		since time.Duration // Unreachable's time after t0; -1 for the zero time
	}
	steps := []step{
		{0, nil, "", -1},
		{time.Minute, refused, "scan: " + refused.Error(), time.Minute},
		{2 * time.Minute, refused, "scan: " + refused.Error(), time.Minute},
		{3 * time.Minute, noRoute, "scan: " + noRoute.Error(), time.Minute}, // another reason, the same outage
		{4 * time.Minute, nil, "", -1},
		{5 * time.Minute, nil, "", -1},
		{6 * time.Minute, refused, "scan: " + refused.Error(), 6 * time.Minute}, // a new outage
	}
	for i, s := range steps {
		clock.Set(t0.Add(s.at))
		engine.Down(s.down)
		_, scanErr := m.Scan(context.Background())
		since, err := m.Unreachable()
		wantSince := time.Time{}
		if s.since >= 0 {
			wantSince = t0.Add(s.since)
		}
		if fmt.Sprint(err) != fmt.Sprint(scanErr) || (err == nil) != (s.err == "") || (err != nil && err.Error() != s.err) || !since.Equal(wantSince) {
			t.Fatalf("scan %d (at t0+%s): Unreachable() = %v, %s; want %q, %s (the scan said %v)", i+1, s.at, err, since, s.err, wantSince, scanErr)
		}
		if s.down != nil && !errors.Is(err, s.down) {
			t.Errorf("scan %d: Unreachable's error %v does not wrap the engine's", i+1, err)
		}
	}

	// A Health event when the scans began to fail, when their reason
	// changed and when they worked again: each names the host and, while
	// failing, since when.
	want := []lifecycle.Health{
		{Host: "b", ScanErr: "scan: " + refused.Error(), Since: t0.Add(time.Minute)},
		{Host: "b", ScanErr: "scan: " + noRoute.Error(), Since: t0.Add(time.Minute)},
		{Host: "b", ScanErr: ""},
		{Host: "b", ScanErr: "scan: " + refused.Error(), Since: t0.Add(6 * time.Minute)},
	}
	got := events.health()
	if len(got) != len(want) {
		t.Fatalf("health events %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Host != want[i].Host || got[i].ScanErr != want[i].ScanErr || !got[i].Since.Equal(want[i].Since) {
			t.Errorf("health event %d = %+v, want %+v", i+1, got[i], want[i])
		}
	}
}
