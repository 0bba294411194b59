package main

// Browser tests: Debian's chromium, headless and kept off the network,
// drives the real page (htmx, its SSE extension, static/js/app.js) served by
// the real dashboard against a real private Podman. They assert what an
// operator sees, and write the screenshots the README shows.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"podboard/db"
	"podboard/handlers"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/lifecycle/podman/podmansvc"
	"podboard/lifecycle/podman/podmantest"
	"podboard/web"
)

// screenshotDir receives the PNGs of the page's main states.
const screenshotDir = "docs/screenshots"

// chromiumPath finds Debian's chromium. Without it the browser tests skip
// on a developer's machine, but fail under CI=true, where a silent skip
// would hide that they never ran.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err == nil {
		return p
	}
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("chromium is required when CI=true: %v (apt-get install chromium)", err)
	}
	t.Skipf("chromium not on PATH, skipping the browser test: %v", err)
	return ""
}

// browser is one headless chromium for one test.
type browser struct {
	t     *testing.T
	first context.Context // the first tab; it owns the browser process
}

// tab is one page of a browser.
type tab struct {
	t      *testing.T
	label  string
	ctx    context.Context
	cancel context.CancelFunc

	mu         sync.Mutex
	exceptions []string
	dialogs    atomic.Int32
}

// newBrowser starts chromium with a fresh profile and no network access of
// its own, and returns it with its first tab. The browser is closed when the
// test ends, before the servers the test started earlier.
func newBrowser(t *testing.T) (*browser, *tab) {
	t.Helper()
	path := chromiumPath(t)
	profile := t.TempDir() // removed after the browser has closed
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1200, 700),
	)
	if os.Getuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{t: t}
	first := newTabIn(t, alloc, "first tab")
	b.first = first.ctx
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(b.first, 10*time.Second)
		defer cancel()
		_ = chromedp.Cancel(ctx) // closes the browser gracefully
		first.cancel()
		cancelAlloc() // and kills it if it did not close
	})
	first.setup()
	return b, first
}

// newTab opens another tab of the browser.
func (b *browser) newTab(label string) *tab {
	b.t.Helper()
	p := newTabIn(b.t, b.first, label)
	b.t.Cleanup(func() {
		_ = chromedp.Cancel(p.ctx) // closes the tab
		p.cancel()
	})
	p.setup()
	return p
}

func newTabIn(t *testing.T, parent context.Context, label string) *tab {
	p := &tab{t: t, label: label}
	var ctx context.Context
	ctx, p.cancel = chromedp.NewContext(parent, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg += " " + d.Exception.Description
			}
			p.mu.Lock()
			p.exceptions = append(p.exceptions, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, msg))
			p.mu.Unlock()
		case *page.EventJavascriptDialogOpening:
			// A dialog blocks the page: count it and close it, so the test
			// fails on its assertions instead of hanging.
			p.dialogs.Add(1)
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	}))
	p.ctx = ctx
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.exceptions {
			t.Errorf("%s: uncaught JavaScript exception: %s", p.label, e)
		}
	})
	return p
}

// setup opens the tab with a fixed viewport and the light colour scheme,
// so that screenshots are the same on every machine.
func (p *tab) setup() {
	p.t.Helper()
	// The first run binds the tab (and for the first tab the browser) to
	// the context it gets: this one has no deadline.
	if err := chromedp.Do(p.ctx); err != nil {
		p.t.Fatalf("%s: starting chromium: %v", p.label, err)
	}
	p.do("open the tab",
		chromedp.EmulateViewport(1200, 700),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}},
			})
			return err
		}),
	)
}

// disableJavaScript turns script execution off for the tab's next pages.
func (p *tab) disableJavaScript() {
	p.t.Helper()
	p.do("disable JavaScript", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
}

// do runs actions, failing the test with the page's state if one fails.
func (p *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, deadline)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %s: %v%s", p.label, what, err, p.dump())
	}
}

// evalIn evaluates a JavaScript expression in p and decodes its value.
func evalIn[T any](p *tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, deadline)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: evaluating %s: %v%s", p.label, expr, err, p.dump())
	}
	return v
}

// waitFor polls a JavaScript predicate until it holds.
func (p *tab) waitFor(what, predicate string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, deadline+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(15*time.Millisecond), chromedp.WithPollingTimeout(deadline)))
	if err != nil {
		p.t.Fatalf("%s: %s: not within %s: %v%s", p.label, what, deadline, err, p.dump())
	}
}

// dump is the page's live indicator and table, for failure messages.
func (p *tab) dump() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () {
		var parts = [location.href];
		['live', 'scan-status', 'flash', 'rows', 'toasts', 'announce'].forEach(function (id) {
			var el = document.getElementById(id);
			if (el) parts.push(el.outerHTML);
		});
		if (parts.length === 1) parts.push(document.body ? document.body.outerHTML : '(no body)');
		return parts.join('\n');
	})()`))
	if err != nil {
		return fmt.Sprintf("\n(page state unavailable: %v)", err)
	}
	if len(html) > 6000 {
		html = html[:6000] + " …"
	}
	return "\npage:\n" + html
}

// open loads the dashboard and waits until its live connection is open, so
// that every change from then on reaches it.
func (p *tab) open(url string) {
	p.t.Helper()
	p.do("load "+url, chromedp.Navigate(url))
	p.waitLive()
}

func (p *tab) waitLive() {
	p.t.Helper()
	p.waitFor("the live indicator says live", `document.getElementById('live') && document.getElementById('live').dataset.state === 'live'`)
}

// settle waits until htmx has finished every request and swap, and the
// page its table resync: a click on an element that is about to be
// replaced, or that htmx has not processed yet, can silently do nothing.
func (p *tab) settle() {
	p.t.Helper()
	p.waitFor("htmx settled", `document.readyState === 'complete' && !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping, .htmx-added, [aria-busy=true]')`)
}

// click clicks the element selector matches once htmx has settled.
func (p *tab) click(selector string) {
	p.t.Helper()
	p.settle()
	p.do("click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// markPage tags the loaded document; assertNotReloaded checks that the tag
// is still there, which proves the page was not reloaded meanwhile.
func (p *tab) markPage() {
	p.t.Helper()
	evalIn[chromedp.Void](p, `window.__podboardTestMark = true`)
}

func (p *tab) assertNotReloaded() {
	p.t.Helper()
	if !evalIn[bool](p, `window.__podboardTestMark === true`) {
		p.t.Errorf("%s: the page was reloaded; it must update live", p.label)
	}
}

// screenshot writes the viewport as docs/screenshots/NAME.png.
func (p *tab) screenshot(name string) {
	p.t.Helper()
	p.settle()
	ctx, cancel := context.WithTimeout(p.ctx, deadline)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.label, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(screenshotDir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot of the %s state: %s", name, path)
}

// rows is what the table shows: each container's name and state.
func (p *tab) rows() map[string]string {
	p.t.Helper()
	raw := evalIn[[][2]string](p, `Array.prototype.map.call(
		document.querySelectorAll('#rows [role=row][data-name]'),
		function (r) { return [r.dataset.name, r.dataset.state]; })`)
	out := map[string]string{}
	for _, r := range raw {
		out[r[0]] = r[1]
	}
	return out
}

// interceptor holds the tab's requests whose URL matches a pattern, at
// the request or the response stage, until the test lets each one go.
type interceptor struct {
	p      *tab
	paused chan fetch.RequestID
}

func (p *tab) intercept(pattern string, stage fetch.RequestStage) *interceptor {
	p.t.Helper()
	ctx, cancel := context.WithCancel(p.ctx)
	p.t.Cleanup(cancel)
	i := &interceptor{p: p, paused: make(chan fetch.RequestID, 16)}
	events := chromedp.Events(ctx, fetch.RequestPaused) // before the first request
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			select {
			case i.paused <- ev.RequestID:
			case <-ctx.Done():
				return
			}
		}
	}()
	p.do("intercept "+pattern, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{
			Patterns: []*fetch.RequestPattern{{URLPattern: pattern, RequestStage: stage}},
		})
		return err
	}))
	return i
}

// next waits for the next held request.
func (i *interceptor) next(what string) fetch.RequestID {
	i.p.t.Helper()
	select {
	case id := <-i.paused:
		return id
	case <-time.After(deadline):
		i.p.t.Fatalf("%s: %s was never requested within %s%s", i.p.label, what, deadline, i.p.dump())
		return ""
	}
}

// release lets a held request go on and holds no more requests.
func (i *interceptor) release(id fetch.RequestID) {
	i.p.t.Helper()
	i.p.do("release a held request", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{})
		return err
	}))
}

func (p *tab) assertNoDialogs() {
	p.t.Helper()
	if n := p.dialogs.Load(); n > 0 {
		p.t.Errorf("%s: %d JavaScript dialogs opened: page content ran as script", p.label, n)
	}
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func rowExpr(name string) string {
	return "document.getElementById(" + js("row-"+name) + ")"
}

// rowShows is a predicate: name's row is in state with label in its state
// badge, and all its action buttons are disabled (or all enabled).
func rowShows(name, state, label string, disabled bool) string {
	return fmt.Sprintf(`(function () {
		var r = %s;
		if (!r || r.hidden || r.dataset.state !== %s) return false;
		var s = r.querySelector('[data-testid=state]');
		if (!s || s.textContent.trim() !== %s) return false;
		var b = r.querySelectorAll('button[data-op]:not([data-op=dismiss])');
		if (b.length === 0) return false;
		for (var i = 0; i < b.length; i++) if (b[i].disabled !== %t) return false;
		return true;
	})()`, rowExpr(name), js(state), js(label), disabled)
}

func rowGone(name string) string { return "!" + rowExpr(name) }

// announces is a predicate: the aria-live region says text. It is waited
// for rather than read at once: the row can reach its state through another
// swap (the POST's answer, a resync of the table) than the pushed event that
// carries the announcement.
func announces(text string) string {
	return "document.getElementById('announce').textContent.indexOf(" + js(text) + ") >= 0"
}

// elapsedSeconds is the elapsed time name's row shows, -1 when none.
func elapsedSeconds(name string) string {
	return fmt.Sprintf(`(function () {
		var r = %s, e = r && r.querySelector('.elapsed[data-since]');
		var t = e ? e.textContent.trim() : '', m;
		if ((m = t.match(/^(\d+) h (\d+) min$/))) return m[1] * 3600 + m[2] * 60;
		if ((m = t.match(/^(\d+) min (\d+) s$/))) return m[1] * 60 + Number(m[2]);
		if ((m = t.match(/^(\d+) s$/))) return Number(m[1]);
		return -1;
	})()`, rowExpr(name))
}

// elapsed waits until name's row shows an elapsed time and returns it in
// seconds, read in the same evaluation as the wait.
func (p *tab) elapsed(name string) int {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, deadline+5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Poll[[]int](
		"(function () { var s = "+elapsedSeconds(name)+"; return s >= 0 ? [s] : null; })()",
		chromedp.WithPollingInterval(15*time.Millisecond), chromedp.WithPollingTimeout(deadline)))
	if err != nil || len(v) != 1 {
		p.t.Fatalf("%s: no elapsed time on %s within %s: %v%s", p.label, name, deadline, err, p.dump())
	}
	return v[0]
}

// freeAddr picks a loopback port nobody listens on, so that a restarted
// dashboard can come back at the same address.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// fakeDashboard is the dashboard's router over a real database and an
// in-memory engine, for what Podman cannot produce (names it refuses) or
// what must be exact (which containers exist).
type fakeDashboard struct {
	url    string
	engine *fake.Engine
	m      *lifecycle.Manager
	live   *liveCutter
}

// liveCutter ends the live streams open at a moment, as a proxy that
// drops idle connections or a flaky network would; pages reconnect.
type liveCutter struct {
	next    http.Handler
	mu      sync.Mutex
	cancels []context.CancelFunc
}

func (l *liveCutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/events" {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		l.mu.Lock()
		l.cancels = append(l.cancels, cancel)
		l.mu.Unlock()
		r = r.WithContext(ctx)
	}
	l.next.ServeHTTP(w, r)
}

func (l *liveCutter) cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, cancel := range l.cancels {
		cancel()
	}
	l.cancels = nil
}

func startFakeDashboard(t *testing.T, cs ...lifecycle.Observed) *fakeDashboard {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	store, err := db.Open(ctx, filepath.Join(t.TempDir(), "podboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	hub := web.NewHub(logger)
	engine := fake.New(cs...)
	m := lifecycle.NewManager(lifecycle.Config{Store: store, Engine: engine, Notifier: hub, Logger: logger})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		if err := m.Wait(ctx); err != nil {
			t.Errorf("jobs still running: %v", m.Running())
		}
	})
	if _, err := m.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	live := &liveCutter{next: web.Router(handlers.New(m, "unix:///run/podman/podman.sock", logger), hub, logger)}
	srv := httptest.NewServer(live)
	t.Cleanup(srv.Close)
	t.Cleanup(hub.Close)
	return &fakeDashboard{url: srv.URL, engine: engine, m: m, live: live}
}

func (f *fakeDashboard) scan(t *testing.T) {
	t.Helper()
	if _, err := f.m.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserStopShowsStoppingAtOnceInEveryTabAndStoppedWhenPodmanIsDone(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "bitcoind", podmantest.Workload{StopDelay: 5 * time.Second, StopTimeout: 600, Start: true})
	createWorkload(t, svc, "web", podmantest.Workload{Start: true})
	createWorkload(t, svc, "backup", podmantest.Workload{})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("bitcoind", "running")
	ta.waitSettled("web", "running")
	ta.waitSettled("backup", "stopped")

	b, first := newBrowser(t)
	first.open(ta.srv.URL)
	second := b.newTab("second tab")
	second.open(ta.srv.URL)
	for _, p := range []*tab{first, second} {
		p.waitFor("bitcoind running", rowShows("bitcoind", "running", "Running", false))
		p.markPage()
	}
	first.screenshot("normal")

	// The page records when the click happened and when the row first
	// showed "Stopping…" with every button disabled.
	evalIn[chromedp.Void](first, fmt.Sprintf(`(function () {
		var done = %s;
		window.__latency = {};
		document.addEventListener('click', function (e) {
			if (e.target.closest && e.target.closest('[data-op=stop]')) window.__latency.click = performance.now();
		}, true);
		new MutationObserver(function () {
			if (window.__latency.shown === undefined && eval(done)) window.__latency.shown = performance.now();
		}).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
	})()`, js(rowShows("bitcoind", "stopping", "Stopping…", true))))

	clicked := time.Now()
	first.click("#row-bitcoind button[data-op=stop]")
	first.waitFor(`"Stopping…" with disabled buttons`, rowShows("bitcoind", "stopping", "Stopping…", true))
	seen := time.Since(clicked)
	// Shown while the real stop goes on: the workload takes 5 s to exit.
	if got := podmanState(t, svc, "bitcoind"); got != "running" && got != "stopping" {
		t.Errorf(`Podman says %q once the page showed "Stopping…"; want the stop still running`, got)
	}
	lat := evalIn[map[string]float64](first, `window.__latency`)
	t.Logf(`click → "Stopping…" with disabled buttons: %.1f ms in the page (click event to DOM change), %s as the test saw it`,
		lat["shown"]-lat["click"], seen.Round(time.Millisecond))

	second.waitFor(`"Stopping…" in the second tab`, rowShows("bitcoind", "stopping", "Stopping…", true))
	if got := podmanState(t, svc, "bitcoind"); got != "running" && got != "stopping" {
		t.Errorf(`Podman says %q once the second tab showed "Stopping…"; want the stop still running`, got)
	}
	first.waitFor("the elapsed time counting", elapsedSeconds("bitcoind")+" >= 1")
	first.screenshot("transitional")

	for _, p := range []*tab{first, second} {
		p.waitFor(`"Stopped" after the real stop`, rowShows("bitcoind", "stopped", "Stopped", false))
		p.assertNotReloaded()
		p.assertNoDialogs()
	}
	if got := podmanState(t, svc, "bitcoind"); got != "exited" {
		t.Errorf("Podman says %q after the page showed Stopped, want exited", got)
	}
	first.waitFor("the aria-live region announcing that bitcoind is Stopped", announces("bitcoind is Stopped"))
}

func TestBrowserElapsedTimeOfAStopKeepsCountingAndSurvivesAReload(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "slowpoke", podmantest.Workload{StopDelay: 8 * time.Second, StopTimeout: 600, Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("slowpoke", "running")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.click("#row-slowpoke button[data-op=stop]")
	p.waitFor("Stopping…", rowShows("slowpoke", "stopping", "Stopping…", true))
	start := p.elapsed("slowpoke")
	p.waitFor("the elapsed time counting up", fmt.Sprintf("%s > %d", elapsedSeconds("slowpoke"), start))
	since := evalIn[string](p, rowExpr("slowpoke")+".querySelector('.elapsed').dataset.since")
	before := p.elapsed("slowpoke")

	p.do("reload", chromedp.Reload())
	p.waitLive()
	p.waitFor("Stopping… after the reload", rowShows("slowpoke", "stopping", "Stopping…", true))
	after := p.elapsed("slowpoke")
	t.Logf("elapsed %d s, then %d s before the reload, %d s after it", start, before, after)
	if after < before {
		t.Errorf("the elapsed time went from %d s before the reload to %d s after it; it must count from the job's start", before, after)
	}
	if got := evalIn[string](p, rowExpr("slowpoke")+".querySelector('.elapsed').dataset.since"); got != since {
		t.Errorf("the elapsed time counts from %s after the reload, %s before; want the job's start both times", got, since)
	}
	if _, err := time.Parse(time.RFC3339Nano, since); err != nil {
		t.Errorf("data-since %q is not the job's start time: %v", since, err)
	}
	p.waitFor("Stopped", rowShows("slowpoke", "stopped", "Stopped", false))
	if got := evalIn[bool](p, rowExpr("slowpoke")+".querySelector('.elapsed') !== null"); got {
		t.Error("a stopped row still shows an elapsed time")
	}
}

func TestBrowserFailedStartRevertsShowsTheReasonAndAToastUntilDismissed(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "broken", podmantest.Workload{BrokenEntrypoint: true})
	createWorkload(t, svc, "cache", podmantest.Workload{Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("broken", "stopped")
	ta.waitSettled("cache", "running")

	b, first := newBrowser(t)
	first.open(ta.srv.URL)
	first.markPage()
	first.click("#row-broken button[data-op=start]")
	first.waitFor("the row back to Stopped with Podman's reason", rowShows("broken", "stopped", "Stopped", false)+
		" && "+rowExpr("broken")+".querySelector('[data-testid=error]') !== null")
	reason := evalIn[string](first, rowExpr("broken")+".querySelector('[data-testid=error]').textContent")
	if !strings.Contains(reason, "not found") {
		t.Errorf("the row's error says %q, want Podman's \"not found\" reason", reason)
	}
	first.waitFor("the toast", `Array.prototype.some.call(document.querySelectorAll('#toasts [data-testid=toast]'),
		function (t) { return t.textContent.indexOf('start broken failed') >= 0; })`)
	first.waitFor("the aria-live region announcing the failed start", announces("start of broken failed"))
	first.assertNotReloaded()
	if got := podmanState(t, svc, "broken"); got != "created" {
		t.Errorf("Podman says %q, want the broken container still created", got)
	}
	first.screenshot("failed")

	// The reason stays: it is stored, not only pushed.
	first.do("reload", chromedp.Reload())
	first.waitLive()
	first.waitFor("the reason after a reload", rowExpr("broken")+".querySelector('[data-testid=error]') !== null")
	second := b.newTab("second tab")
	second.open(ta.srv.URL)
	second.waitFor("the reason in a page opened later", rowExpr("broken")+".querySelector('[data-testid=error]') !== null")
	second.markPage()

	// Dismissed from the keyboard in one tab, gone from both.
	first.settle()
	first.do("focus Dismiss", chromedp.Focus(chromedp.CSS("#row-broken button[data-op=dismiss]")))
	first.do("press Enter", chromedp.KeyEvent(kb.Enter))
	for _, p := range []*tab{first, second} {
		p.waitFor("the reason dismissed", rowShows("broken", "stopped", "Stopped", false)+
			" && "+rowExpr("broken")+".querySelector('[data-testid=error]') === null")
	}
	second.assertNotReloaded()
	if c, _ := ta.container("broken"); c.Error != "" {
		t.Errorf("/api/containers still has the error after Dismiss: %q", c.Error)
	}

	// The next action clears an old reason at once: the starting row shows
	// none, and the new failure brings its own.
	first.click("#row-broken button[data-op=start]")
	first.waitFor("a new reason", rowExpr("broken")+".querySelector('[data-testid=error]') !== null")
	first.waitFor("a toast for each failure", `document.querySelectorAll('#toasts [data-testid=toast]').length >= 1`)
	first.do("reload", chromedp.Reload())
	first.waitLive()
	evalIn[chromedp.Void](first, fmt.Sprintf(`(function () {
		window.__sawCleared = false;
		new MutationObserver(function () {
			var r = %s;
			if (r && r.dataset.state === 'starting' && !r.querySelector('[data-testid=error]')) window.__sawCleared = true;
		}).observe(document.body, { subtree: true, childList: true, attributes: true });
	})()`, rowExpr("broken")))
	first.click("#row-broken button[data-op=start]")
	first.waitFor("the failure again", `window.__sawCleared && `+rowShows("broken", "stopped", "Stopped", false)+
		" && "+rowExpr("broken")+".querySelector('[data-testid=error]') !== null")

	// The history lists the failed starts with their reason.
	first.do("open the history", chromedp.Navigate(ta.srv.URL+"/history"))
	jobs := evalIn[[][3]string](first, `Array.prototype.map.call(document.querySelectorAll('tr[data-testid=job]'),
		function (tr) { var c = tr.querySelectorAll('td'); return [c[1].textContent, c[2].textContent, tr.dataset.outcome + ' ' + c[6].textContent]; })`)
	if len(jobs) != 3 {
		t.Fatalf("the history lists %d operations, want the 3 starts: %q", len(jobs), jobs)
	}
	for _, j := range jobs {
		if j[0] != "start" || j[1] != "broken" || !strings.HasPrefix(j[2], "failed ") || !strings.Contains(j[2], "not found") {
			t.Errorf("history row %q, want a failed start of broken with Podman's reason", j)
		}
	}
}

func TestBrowserPageShowsReconnectingWhileTheDashboardRestartsThenMatchesPodman(t *testing.T) {
	svc := sharedPodman(t)
	bin := buildBinary(t)
	createWorkload(t, svc, "keeps-running", podmantest.Workload{Start: true})
	createWorkload(t, svc, "stopped-meanwhile", podmantest.Workload{Start: true})
	createWorkload(t, svc, "removed-meanwhile", podmantest.Workload{Start: true})
	args := []string{"--listen", freeAddr(t), "--podman", svc.URI, "--data", t.TempDir(), "--scan-interval", "500ms"}

	first := startProc(t, bin, args...)
	_, p := newBrowser(t)
	p.open(first.url)
	for _, name := range []string{"keeps-running", "stopped-meanwhile", "removed-meanwhile"} {
		p.waitFor(name+" running", rowShows(name, "running", "Running", false))
	}
	p.markPage()

	first.signal(syscall.SIGTERM)
	if code := first.wait(deadline); code != 0 {
		t.Fatalf("the dashboard exited %d on SIGTERM:\n%s", code, first.log())
	}
	p.waitFor("the live indicator says reconnecting", `document.getElementById('live').dataset.state === 'reconnecting'`)

	// Changes the page cannot hear of while the dashboard is down.
	svc.MustPodman(t, "stop", "stopped-meanwhile")
	removeContainer(t, svc, "removed-meanwhile")
	createWorkload(t, svc, "created-meanwhile", podmantest.Workload{})

	second := startProc(t, bin, args...)
	if second.url != first.url {
		t.Fatalf("the dashboard came back at %s, not at %s", second.url, first.url)
	}
	p.waitLive()
	p.waitFor("the stop made meanwhile", rowShows("stopped-meanwhile", "stopped", "Stopped", false))
	p.waitFor("the removed container gone", rowGone("removed-meanwhile"))
	p.waitFor("the created container shown", rowShows("created-meanwhile", "stopped", "Stopped", false))
	p.assertNotReloaded()

	var listed []struct {
		Names []string
		State string
	}
	if err := json.Unmarshal([]byte(svc.MustPodman(t, "ps", "--all", "--format", "json")), &listed); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, c := range listed {
		want[c.Names[0]] = string(lifecycle.StateFromEngine(c.State))
	}
	if got := p.rows(); !maps.Equal(got, want) {
		t.Errorf("after reconnecting the page shows %v, Podman has %v", got, want)
	}
	second.signal(syscall.SIGTERM)
	if code := second.wait(deadline); code != 0 {
		t.Errorf("the restarted dashboard exited %d on SIGTERM:\n%s", code, second.log())
	}
}

func TestBrowserContainersCreatedOrRemovedFromTheCLIAppearAndDisappearWithoutReload(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "m-middle", podmantest.Workload{})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("m-middle", "stopped")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.markPage()

	createWorkload(t, svc, "a-first", podmantest.Workload{Start: true})
	createWorkload(t, svc, "z-last", podmantest.Workload{})
	p.waitFor("a-first appears running", rowShows("a-first", "running", "Running", false))
	p.waitFor("z-last appears stopped", rowShows("z-last", "stopped", "Stopped", false))
	order := evalIn[[]string](p, `Array.prototype.map.call(document.querySelectorAll('#rows [role=row][data-name]'), function (r) { return r.dataset.name; })`)
	if !slices.Equal(order, []string{"a-first", "m-middle", "z-last"}) {
		t.Errorf("rows in the order %q, want the new ones in name order", order)
	}
	p.settle()
	p.waitFor("a stop button on the new row", rowExpr("a-first")+".querySelector('button[data-op=stop]') !== null")

	// A new row works like any other.
	p.click("#row-a-first button[data-op=stop]")
	p.waitFor("the new row stopped", rowShows("a-first", "stopped", "Stopped", false))

	removeContainer(t, svc, "a-first")
	svc.MustPodman(t, "rm", "--force", "z-last")
	p.waitFor("the removed rows gone", rowGone("a-first")+" && "+rowGone("z-last"))
	p.waitFor("the aria-live region announcing the removal", announces("was removed"))
	p.assertNotReloaded()
	p.assertNoDialogs()
}

func TestBrowserWithoutJavaScriptTheStopFormStillStopsTheContainer(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "plain", podmantest.Workload{StopDelay: time.Second, Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("plain", "running")

	b, _ := newBrowser(t)
	p := b.newTab("tab without JavaScript")
	p.disableJavaScript()
	p.do("load the page", chromedp.Navigate(ta.srv.URL))
	p.do("wait for the row", chromedp.WaitVisible(chromedp.CSS(`#row-plain[data-state=running] button[data-op=stop]`)))
	live, err := chromedp.Run(p.ctx, chromedp.AttributeValue(chromedp.CSS("#live"), "data-state"))
	if err != nil || live.Value != "connecting" {
		t.Fatalf("#live data-state %q (%v): the page's scripts ran; JavaScript must be off in this tab", live.Value, err)
	}
	// The page does not claim to be live, and says how to see changes.
	p.do("wait for the no-live notice", chromedp.WaitVisible(chromedp.CSS(`[data-testid=no-live]`)), chromedp.WaitNotVisible(chromedp.CSS("#live")))

	// Subscribed before the click; the loop below ends with this context.
	ctx, cancel := context.WithTimeout(p.ctx, deadline)
	defer cancel()
	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#row-plain button[data-op=stop]")))
	if err != nil {
		t.Fatalf("submitting the Stop form: %v", err)
	}
	if resp.Status != 200 || resp.URL != ta.srv.URL+"/" {
		t.Errorf("after the form: %d %s, want the dashboard page", resp.Status, resp.URL)
	}
	var redirect *network.Response
	for ev, err := range requests {
		if err != nil {
			break
		}
		if ev.RedirectResponse != nil && strings.HasSuffix(ev.RedirectResponse.URL, "/containers/plain/stop") {
			redirect = ev.RedirectResponse
			break
		}
	}
	if redirect == nil || redirect.Status != 303 {
		t.Errorf("the form's POST was not answered 303: %+v", redirect)
	} else if loc := redirect.Headers["Location"]; loc != "/" {
		t.Errorf("the 303 points to %v, want /", loc)
	}

	ta.waitSettled("plain", "stopped")
	p.do("reload", chromedp.Reload())
	p.do("wait for Stopped", chromedp.WaitVisible(chromedp.CSS(`#row-plain[data-state=stopped] button[data-op=start]`)))
	label, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(`#row-plain [data-testid=state]`)))
	if err != nil || strings.TrimSpace(label) != "Stopped" {
		t.Errorf("the state badge says %q (%v) after the reload, want Stopped", label, err)
	}
	if got := podmanState(t, svc, "plain"); got != "exited" {
		t.Errorf("Podman says %q, want exited", got)
	}
}

// hostileEntrypoint is markup that would run script if the page ever put
// Podman's error message into HTML unescaped.
const hostileEntrypoint = `/<img src=x onerror=alert(1)><script>alert(2)</script>"'`

func TestBrowserPodmansErrorQuotingAHostileEntrypointRendersAsText(t *testing.T) {
	svc := sharedPodman(t)
	t.Cleanup(func() { removeContainer(t, svc, "hostile") })
	svc.MustPodman(t, "create", "--pull", "never", "--name", "hostile", "--entrypoint", hostileEntrypoint, podmantest.WorkloadImage)
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("hostile", "stopped")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.click("#row-hostile button[data-op=start]")
	p.waitFor("the failure on the row", rowShows("hostile", "stopped", "Stopped", false)+
		" && "+rowExpr("hostile")+".querySelector('[data-testid=error]') !== null")
	p.waitFor("the toast", `document.querySelector('#toasts [data-testid=toast]') !== null`)

	reason := evalIn[string](p, rowExpr("hostile")+".querySelector('[data-testid=error]').textContent")
	t.Logf("the row shows: %s", strings.Join(strings.Fields(reason), " "))
	if !strings.Contains(reason, "<script>alert(2)</script>") || !strings.Contains(reason, "<img src=x onerror=alert(1)>") {
		t.Errorf("the row's error does not show the entrypoint as text: %q", reason)
	}
	if n := evalIn[int](p, `document.querySelectorAll('#rows script, #rows img, #toasts script, #toasts img, #announce *').length`); n != 0 {
		t.Errorf("%d elements were created from Podman's error message", n)
	}
	if n := evalIn[int](p, `document.querySelectorAll('img').length`); n != 0 {
		t.Errorf("the page has %d img elements; it has none of its own", n)
	}

	p.do("open the container's history", chromedp.Navigate(ta.srv.URL+"/containers/hostile/history"))
	if got := evalIn[string](p, `document.querySelector('tr[data-testid=job]').textContent`); !strings.Contains(got, "<script>alert(2)</script>") {
		t.Errorf("the history does not show the reason as text: %q", got)
	}
	if n := evalIn[int](p, `document.querySelectorAll('main script, img').length`); n != 0 {
		t.Errorf("%d elements were created from the history's error text", n)
	}
	p.assertNoDialogs()
}

func TestBrowserAHostileContainerNameRendersAsText(t *testing.T) {
	const name = `x"><script>alert(1)</script>`
	const image = `<img src=x onerror=alert(3)>`
	o := fake.Running("placeholder")
	o.Name, o.ID, o.Image = name, "id-hostile", image
	f := startFakeDashboard(t, o, fake.Running("neighbour"))

	_, p := newBrowser(t)
	p.open(f.url)
	p.waitFor("the hostile row", rowExpr(name)+" !== null")
	if got := evalIn[string](p, rowExpr(name)+".querySelector('[data-testid=name]').textContent"); got != name {
		t.Errorf("the name cell says %q, want the name as text %q", got, name)
	}
	if got := evalIn[string](p, rowExpr(name)+".dataset.image"); got != image {
		t.Errorf("data-image is %q, want %q", got, image)
	}
	if n := evalIn[int](p, `document.querySelectorAll('main script, img').length`); n != 0 {
		t.Errorf("%d script or img elements were created from the container's name or image", n)
	}
	if n := evalIn[int](p, `document.querySelectorAll('#rows [role=row][data-name]').length`); n != 2 {
		t.Errorf("%d rows, want the hostile one and its neighbour: the name broke the markup", n)
	}

	// The same when the row arrives over the live feed.
	changed := o
	changed.EngineState = "exited"
	f.engine.Put(changed)
	f.scan(t)
	p.waitFor("the hostile row pushed as stopped", rowExpr(name)+".dataset.state === 'stopped'")
	if n := evalIn[int](p, `document.querySelectorAll('main script, img').length`); n != 0 {
		t.Errorf("%d script or img elements were created from the pushed row", n)
	}
	p.assertNoDialogs()
}

func TestBrowserEmptyDashboardSaysHowToAddAContainerUntilOneAppears(t *testing.T) {
	f := startFakeDashboard(t)
	_, p := newBrowser(t)
	p.open(f.url)
	emptyShown := `getComputedStyle(document.getElementById('empty')).display !== 'none'`
	p.waitFor("the empty state", emptyShown)
	if got := evalIn[string](p, `document.getElementById('empty').textContent`); !strings.Contains(got, "podman run") {
		t.Errorf("the empty state says %q, want a hint how to create a container", got)
	}

	f.engine.Put(fake.Running("first"))
	f.scan(t)
	p.waitFor("the new row, and no empty state", rowShows("first", "running", "Running", false)+" && !("+emptyShown+")")

	f.engine.Remove("first")
	f.scan(t)
	p.waitFor("the empty state again", rowGone("first")+" && "+emptyShown)
}

func TestBrowserFilterHidesRowsThatDoNotMatchAndSortButtonsReorderThem(t *testing.T) {
	nginx, postgres, caddy := fake.Running("web"), fake.Exited("db"), fake.Running("proxy")
	nginx.Image, postgres.Image, caddy.Image = "docker.io/library/nginx:1", "docker.io/library/postgres:16", "docker.io/library/caddy:2"
	f := startFakeDashboard(t, nginx, postgres, caddy)
	_, p := newBrowser(t)
	p.open(f.url)

	visible := `Array.prototype.filter.call(document.querySelectorAll('#rows [role=row][data-name]'),
		function (r) { return !r.hidden && r.offsetParent !== null; }).map(function (r) { return r.dataset.name; }).join(',')`
	waitVisible := func(what, want string) {
		t.Helper()
		p.waitFor(what, visible+" === "+js(want))
	}
	waitVisible("every row in name order", "db,proxy,web")

	// Typed as a user types: the field's text selected, then replaced.
	typeFilter := func(text string) {
		t.Helper()
		p.do("type "+strconv.Quote(text)+" in the filter",
			chromedp.Focus(chromedp.CSS("#filter")),
			chromedp.Evaluate[chromedp.Void](`document.getElementById('filter').select()`),
			chromedp.KeyEvent(text))
	}
	typeFilter("postg")
	waitVisible("only the row whose image matches", "db")
	typeFilter("running")
	waitVisible("the rows whose state matches", "proxy,web")

	// Rows that arrive live follow the filter.
	f.engine.Put(fake.Running("api"))
	f.engine.Put(fake.Exited("batch"))
	f.scan(t)
	p.waitFor("the new rows in the table", rowExpr("api")+" && "+rowExpr("batch"))
	waitVisible("the new running row shown, the stopped one hidden", "api,proxy,web")

	typeFilter("zzz")
	waitVisible("no row", "")
	p.waitFor("the no-match message", `!document.getElementById('no-match').hidden`)
	typeFilter(kb.Backspace)
	waitVisible("every row again", "api,batch,db,proxy,web")
	p.waitFor("no no-match message", `document.getElementById('no-match').hidden`)

	p.click(`button.sort[data-sort=state]`)
	waitVisible("sorted by state", "api,proxy,web,batch,db")
	p.waitFor("aria-sort on the state column", `document.querySelector('button.sort[data-sort=state]').parentElement.getAttribute('aria-sort') === 'ascending'`)
	p.click(`button.sort[data-sort=state]`)
	waitVisible("sorted by state, descending", "db,batch,web,proxy,api")
	p.click(`button.sort[data-sort=image]`)
	waitVisible("sorted by image", "proxy,web,db,api,batch")
	p.waitFor("aria-sort moved to the image column", `document.querySelector('button.sort[data-sort=image]').parentElement.getAttribute('aria-sort') === 'ascending' &&
		document.querySelector('button.sort[data-sort=state]').parentElement.getAttribute('aria-sort') === 'none'`)
}

func TestBrowserKeyboardAloneReachesAndPressesTheStopButton(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "keyed", podmantest.Workload{Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("keyed", "running")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.settle()
	focused := `document.activeElement && document.activeElement.matches('#row-keyed button[data-op=stop]')`
	for i := 0; !evalIn[bool](p, focused); i++ {
		if i == 40 {
			t.Fatalf("40 presses of Tab never reached the Stop button; focus is on %s",
				evalIn[string](p, `document.activeElement ? document.activeElement.outerHTML : 'nothing'`))
		}
		p.do("press Tab", chromedp.KeyEvent(kb.Tab))
	}
	p.do("press Enter", chromedp.KeyEvent(kb.Enter))
	p.waitFor("Stopped", rowShows("keyed", "stopped", "Stopped", false))
	p.waitFor("the announcement", announces("keyed is Stopped"))
	// The focus stayed with the row through its swaps: Enter again starts it.
	p.settle()
	p.waitFor("the focus on the row's Start button", `document.activeElement && document.activeElement.matches('#row-keyed button[data-op=start]')`)
	p.do("press Enter", chromedp.KeyEvent(kb.Enter))
	p.waitFor("Running again", rowShows("keyed", "running", "Running", false))
	p.settle()
	p.waitFor("the focus on the row's Stop button", `document.activeElement && document.activeElement.matches('#row-keyed button[data-op=stop]')`)
	if got := podmanState(t, svc, "keyed"); got != "running" {
		t.Errorf("Podman says %q, want running", got)
	}
}

func TestBrowserHistoryLinkedFromARowListsItsOperationsWithTheirOutcome(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "journal", podmantest.Workload{Start: true})
	createWorkload(t, svc, "other", podmantest.Workload{Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("journal", "running")
	ta.waitSettled("other", "running")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.click("#row-journal button[data-op=stop]")
	p.waitFor("Stopped", rowShows("journal", "stopped", "Stopped", false))
	p.click("#row-journal button[data-op=start]")
	p.waitFor("Running", rowShows("journal", "running", "Running", false))
	p.click("#row-other button[data-op=restart]")
	p.waitFor("other Running after its restart", rowShows("other", "running", "Running", false))

	p.settle()
	resp, err := chromedp.RunResponse(p.ctx, chromedp.Click(chromedp.CSS(`#row-journal a[href$="/history"]`)))
	if err != nil {
		t.Fatalf("following the history link: %v", err)
	}
	if resp.Status != 200 || !strings.HasSuffix(resp.URL, "/containers/journal/history") {
		t.Fatalf("the row's history link led to %d %s", resp.Status, resp.URL)
	}
	jobs := func() []string {
		return evalIn[[]string](p, `Array.prototype.map.call(document.querySelectorAll('tr[data-testid=job]'), function (tr) {
			var c = tr.querySelectorAll('td'); return c[1].textContent + ' ' + c[2].textContent + ' ' + tr.dataset.outcome; })`)
	}
	if got, want := jobs(), []string{"start journal succeeded", "stop journal succeeded"}; !slices.Equal(got, want) {
		t.Errorf("the container's history lists %q, want %q (newest first)", got, want)
	}
	p.do("open the whole history", chromedp.Navigate(ta.srv.URL+"/history"))
	if got, want := jobs(), []string{"restart other succeeded", "start journal succeeded", "stop journal succeeded"}; !slices.Equal(got, want) {
		t.Errorf("the history lists %q, want %q (newest first)", got, want)
	}
}

func TestBrowserBannerShowsWhilePodmanIsUnreachableAndGoesWhenItIsBack(t *testing.T) {
	sharedPodman(t) // podman and runc are there
	dir, err := os.MkdirTemp("", "podmantest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	raw, err := podmansvc.Launch(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	svc := &podmantest.Service{Service: raw}
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.markPage()
	banner := `document.querySelector('[data-testid=scan-error]')`
	if evalIn[bool](p, banner+" !== null") {
		t.Fatal("the page warns that Podman is unreachable while it answers")
	}

	if err := svc.Close(); err != nil {
		t.Fatalf("stopping the Podman service: %v", err)
	}
	p.waitFor("the unreachable banner", banner+" !== null")
	text := evalIn[string](p, banner+".textContent")
	t.Logf("the banner says: %s", strings.Join(strings.Fields(text), " "))
	if !strings.Contains(text, "Podman unreachable") {
		t.Errorf("the banner says %q", text)
	}
	if role := evalIn[string](p, banner+".getAttribute('role')"); role != "alert" {
		t.Errorf("the banner's role is %q, want alert so screen readers announce it", role)
	}

	back, err := podmansvc.Launch(dir) // the same socket
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { back.Close() })
	p.waitFor("the banner gone once Podman answers again", banner+" === null")
	p.assertNotReloaded()
}

func TestBrowserAStopThatEndsWhileThePageIsStillConnectingIsNotLeftStopping(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("quick"))
	release := f.engine.Hold(lifecycle.Stop, "quick")
	t.Cleanup(release)
	ctx := context.Background()
	if _, err := f.m.Do(ctx, "quick", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}

	_, p := newBrowser(t)
	held := p.intercept("*/events*", fetch.RequestStageRequest)
	p.do("load the page", chromedp.Navigate(f.url))
	id := held.next("the live stream")
	p.waitFor("Stopping… as the page was rendered", rowShows("quick", "stopping", "Stopping…", true))
	p.markPage()

	// The stop ends after the page was rendered and before it listens:
	// the stopped row is pushed to nobody.
	release()
	if err := f.m.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	held.release(id)
	p.waitLive()
	p.waitFor("Stopped without a reload", rowShows("quick", "stopped", "Stopped", false))
	p.assertNotReloaded()
}

func TestBrowserARowPushedWhileTheTableIsFetchedAgainIsNotOverwrittenByIt(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("racer"))
	release := f.engine.Hold(lifecycle.Stop, "racer")
	t.Cleanup(release)
	ctx := context.Background()
	_, p := newBrowser(t)
	p.open(f.url)
	if _, err := f.m.Do(ctx, "racer", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	p.waitFor("Stopping…", rowShows("racer", "stopping", "Stopping…", true))
	p.settle()
	p.markPage()

	// The connection drops; the page reconnects and fetches the table
	// again. The table is rendered (Stopping…) and held on its way back
	// while the stop ends and its Stopped row is pushed.
	held := p.intercept("*/rows*", fetch.RequestStageResponse)
	evalIn[chromedp.Void](p, `document.getElementById('rows').dataset.before = 'cut'`)
	f.live.cut()
	p.waitFor("reconnecting", `document.getElementById('live').dataset.state === 'reconnecting'`)
	id := held.next("the table fetched after the reconnection")
	release()
	if err := f.m.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the pushed Stopped row", rowShows("racer", "stopped", "Stopped", false))
	held.release(id)
	p.waitFor("the fetched table in place", `document.getElementById('rows').dataset.before !== 'cut'`)
	p.settle()
	p.waitFor("Stopped, not the older fetched row", rowShows("racer", "stopped", "Stopped", false))
	p.assertNotReloaded()
}

func TestBrowserButtonsWorkOnAContainerWhoseNameHasADot(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "app.v2", podmantest.Workload{Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("app.v2", "running")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.markPage()
	evalIn[chromedp.Void](p, `window.__sawStopping = false;
		new MutationObserver(function () {
			var r = document.getElementById('row-app.v2');
			if (r && r.dataset.state === 'stopping') window.__sawStopping = true;
		}).observe(document.body, { subtree: true, childList: true, attributes: true })`)
	p.click(`[id="row-app.v2"] button[data-op=stop]`)
	p.waitFor("Stopped", rowShows("app.v2", "stopped", "Stopped", false))
	if !evalIn[bool](p, `window.__sawStopping`) {
		t.Error(`the row never showed "Stopping…"`)
	}
	if got := podmanState(t, svc, "app.v2"); got != "exited" {
		t.Errorf("Podman says %q, want exited", got)
	}
	p.assertNotReloaded()
}
