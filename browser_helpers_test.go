package main

// Browser tests: Debian's chromium, headless and kept off the network,
// drives the real page (htmx, its SSE extension, static/js/app.js) served by
// the real dashboard against a real private Podman, or by the router over
// the fake engine where Podman cannot produce the case. They assert what an
// operator sees, and write the screenshots the README shows. This file holds
// the browser, its tabs and the fake dashboard; the tests are in the other
// browser_*_test.go files.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/auth"
	"podboard/web/webtest"
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
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) (*browser, *tab) {
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
	opts = append(opts, extra...)
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
		case *runtime.EventConsoleAPICalled:
			// Reported by cspReporter: the page broke its own policy.
			if len(ev.Args) == 2 && string(ev.Args[0].Value) == `"csp-violation"` {
				p.mu.Lock()
				p.exceptions = append(p.exceptions, "Content-Security-Policy violation: "+string(ev.Args[1].Value))
				p.mu.Unlock()
			}
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
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspReporter})
			return err
		}),
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
	end := time.Now().Add(deadline)
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](untilThrown(predicate),
			chromedp.WithPollingInterval(15*time.Millisecond), chromedp.WithPollingTimeout(time.Until(end))))
		if err == nil {
			return
		}
		// A navigation (a sign-in, a redirect to the login page) ends the
		// poll with its document: poll the next one.
		if !navigated(err) || time.Now().After(end) {
			p.t.Fatalf("%s: %s: not within %s: %v%s%s", p.label, what, deadline, err, p.thrown(), p.dump())
		}
	}
}

// untilThrown makes a predicate that throws (an element it reads is not
// there yet) read as false. chromedp's poll calls it from a timer: an
// exception there ends the polling without settling it, and the wait
// would hang until its deadline although the predicate came to hold. The
// last exception is kept for the failure message.
func untilThrown(predicate string) string {
	return `(function () {
		try { return (` + predicate + `); }
		catch (e) { window.__podboardThrown = String(e); return false; }
	})()`
}

// thrown is the last exception a waited-for predicate threw, if any.
func (p *tab) thrown() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.__podboardThrown || '')`))
	if err != nil || msg == "" {
		return ""
	}
	return "\nthe predicate last threw: " + msg
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

// cspReporter runs in every page before its scripts: each violation of
// the Content-Security-Policy is reported on the console, where the tab's
// listener turns it into a test failure.
const cspReporter = `document.addEventListener('securitypolicyviolation', function (e) {
	console.error('csp-violation', e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});`

// open loads the dashboard, signing in through the form as a person does
// when it is sent to the login page, and waits until its live connection
// is open, so that every change from then on reaches it.
func (p *tab) open(url string) {
	p.t.Helper()
	p.navigate(url)
	p.waitLive()
	// The live connection's opening fetches the table again: a test acts
	// once that fetch has landed, or the fetch lands over what it did (and
	// a session the test ends meanwhile makes it a sign-in redirect).
	p.settle()
}

// navigate loads url and, when the dashboard sends the browser to its
// login page, signs in through the form (with JavaScript off too).
func (p *tab) navigate(url string) {
	p.t.Helper()
	p.do("load "+url, chromedp.Navigate(url))
	ctx, cancel := context.WithTimeout(p.ctx, deadline)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		p.t.Fatalf("%s: read the location: %v", p.label, err)
	}
	if strings.Contains(loc, "/login") {
		p.signIn(testUser, testPassword)
	}
}

// signIn fills the login form and submits it, and waits for the page it
// leads to: the dashboard's main element, found by a DOM query, which
// outlives the navigation (a script poll would not) and needs no script.
func (p *tab) signIn(user, password string) {
	p.t.Helper()
	p.do("sign in as "+user,
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitReady(chromedp.CSS("main#main")),
	)
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

// click clicks the element selector matches once htmx has settled. The
// live feed may replace the element between the moment it is found and
// the moment its position is read (a scan pushing Podman's exact times for
// a row whose operation just ended); the click then goes to the element
// that replaced it, as an operator's would. Nothing was clicked when that
// happens: the position is read before any mouse event is sent.
func (p *tab) click(selector string) {
	p.t.Helper()
	p.settle()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(p.ctx, deadline)
		err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(selector)))
		cancel()
		if err == nil {
			return
		}
		if attempt == 5 || !replacedNode(err) {
			p.t.Fatalf("%s: click %s: %v%s", p.label, selector, err, p.dump())
		}
	}
}

// navigated reports whether err says the page navigated under a poll.
func navigated(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Inspected target navigated or closed") ||
		strings.Contains(msg, "Execution context was destroyed") ||
		strings.Contains(msg, "Cannot find context with specified id")
}

// replacedNode reports whether err says the node the browser was asked
// about has left the document.
func replacedNode(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Could not find node with given id") ||
		strings.Contains(msg, "No node with given id found") ||
		strings.Contains(msg, "Node is detached from document")
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
		// The force stop, the way out of a stop, is never disabled.
		var b = r.querySelectorAll('button[data-op]:not([data-op=dismiss]):not([data-op=kill])');
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
		untilThrown("(function () { var s = "+elapsedSeconds(name)+"; return s >= 0 ? [s] : null; })()"),
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
// what must be exact (which containers exist): the one test environment
// of the package tests, web/webtest.
type fakeDashboard struct {
	url    string
	engine *fake.Engine
	m      *lifecycle.Manager
	env    *webtest.Env
}

func startFakeDashboard(t *testing.T, cs ...lifecycle.Observed) *fakeDashboard {
	t.Helper()
	e := webtest.New(t, webtest.Containers(cs...), webtest.Podman("unix:///run/podman/podman.sock"),
		webtest.Auth(auth.Config{Mode: auth.Password}))
	e.AddUser(testUser, testPassword)
	return &fakeDashboard{url: e.URL, engine: e.Engine, m: e.Manager, env: e}
}

// cut ends the live streams open now, as a proxy that drops idle
// connections or a flaky network would; pages reconnect.
func (f *fakeDashboard) cut() { f.env.CutStreams() }

func (f *fakeDashboard) scan(t *testing.T) {
	t.Helper()
	f.env.Scan()
}

// A predicate that throws until the element it reads arrives, as in
// "the summary says 1 refused" before the summary is swapped in, is a wait
// that goes on: it once hung a bulk test for its whole deadline, since
// chromedp's poll stops, unsettled, at an exception thrown from its timer.
func TestBrowserWaitForReadsAPredicateThatThrowsAsNotYet(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("web"))
	_, p := newBrowser(t)
	p.open(f.url)
	evalIn[chromedp.Void](p, `window.__polls = 0; setTimeout(function () {
		var s = document.createElement('span');
		s.id = 'late';
		s.textContent = 'here';
		document.body.appendChild(s);
	}, 200)`)
	// The first poll holds back, so the throws come from the timer's polls.
	p.waitFor("the late element", `++window.__polls > 1 && document.getElementById('late').textContent === 'here'`)
	if got := p.thrown(); !strings.Contains(got, "textContent") {
		t.Errorf("the predicate's exception was not kept: %q", got)
	}
}
