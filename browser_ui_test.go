package main

// Browser tests of the page's own behaviour on top of htmx, against the
// dashboard over the in-memory engine: the transitional label from the
// frame after a click, the truth back at once after a refusal, rows
// inserted live in their place and working at once, and the keyboard focus
// kept by htmx through swaps. benchClickToFrame measures the click-to-frame
// latency for the benchmark report.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/templates"
)

// pendingShown is a predicate: name's row shows the pending label of op
// (the one its action form carries) instead of its state, and every action
// button of the row takes no clicks and is disabled (the focused one for
// assistive technology only, so that it keeps the focus).
func pendingShown(name, op, label string) string {
	return fmt.Sprintf(`(function () {
		var r = %s;
		if (!r || r.getAttribute('aria-busy') !== 'true') return false;
		var p = r.querySelector('.pending[data-action=' + %s + ']');
		if (!p || getComputedStyle(p).display === 'none' || p.textContent.trim() !== %s) return false;
		if (!p.querySelector('.spinner')) return false;
		if (getComputedStyle(r.querySelector('.state-now')).display !== 'none') return false;
		var b = r.querySelectorAll('button[data-op]:not([data-op=dismiss])');
		if (b.length === 0) return false;
		for (var i = 0; i < b.length; i++) {
			if (getComputedStyle(b[i]).pointerEvents !== 'none') return false;
			if (b[i] === document.activeElement ? b[i].getAttribute('aria-disabled') !== 'true' : !b[i].disabled) return false;
		}
		return true;
	})()`, rowExpr(name), js(op), js(label))
}

// noPending is a predicate: no row shows a pending label or is busy, and
// no request of htmx is in flight.
const noPending = `(function () {
	if (document.querySelector('.htmx-request, [role=row][aria-busy], button[aria-disabled], button[data-busy-disabled]')) return false;
	var p = document.querySelectorAll('#rows .pending');
	for (var i = 0; i < p.length; i++) if (getComputedStyle(p[i]).display !== 'none') return false;
	var s = document.querySelectorAll('#rows .state-now');
	for (var j = 0; j < s.length; j++) if (getComputedStyle(s[j]).display === 'none') return false;
	return true;
})()`

// activeIs is a predicate: the focused element has id.
func activeIs(id string) string {
	return "document.activeElement && document.activeElement.id === " + js(id)
}

func (p *tab) activeElement() string {
	p.t.Helper()
	return evalIn[string](p, `document.activeElement ? document.activeElement.outerHTML.slice(0, 300) : 'nothing'`)
}

// continueAs lets a held request go on to another URL of the same server
// (the page does not see the change), and holds no more requests.
func (i *interceptor) continueAs(id fetch.RequestID, url string) {
	i.p.t.Helper()
	i.p.do("continue a held request to "+url, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id, URL: url}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{})
		return err
	}))
}

// fail ends a held request with a network error.
func (i *interceptor) fail(id fetch.RequestID) {
	i.p.t.Helper()
	i.p.do("fail a held request", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: id, ErrorReason: network.ErrorReasonConnectionRefused}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{})
		return err
	}))
}

func TestBrowserUIAClickShowsTheTransitionalLabelAndDisabledButtonsBeforeTheAnswerArrives(t *testing.T) {
	tests := []struct {
		name, op, label, final, finalLabel string
		c                                  lifecycle.Observed
	}{
		{"stop", "stop", "Stopping…", "stopped", "Stopped", fake.Running("web")},
		{"start", "start", "Starting…", "running", "Running", fake.Exited("web")},
		{"restart", "restart", "Restarting…", "running", "Running", fake.Running("web")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeDashboard(t, tt.c, fake.Running("other"))
			_, p := newBrowser(t)
			p.open(f.url)
			p.settle()
			p.markPage()
			held := p.intercept("*/containers/web/"+tt.op, fetch.RequestStageRequest)
			p.do("click "+tt.op, chromedp.Click(chromedp.CSS("#row-web button[data-op="+tt.op+"]")))
			id := held.next("the " + tt.op + " POST")

			// The POST has not reached the server: what the row shows is the page's own.
			p.waitFor(tt.label+" and inert buttons while the POST is held", pendingShown("web", tt.op, tt.label))
			if got := evalIn[string](p, rowExpr("web")+".dataset.state"); got != string(lifecycle.StateFromEngine(tt.c.EngineState)) {
				t.Errorf("the row's state is %q while its POST is held; no answer came yet", got)
			}
			if !evalIn[bool](p, noPendingIn("other")) {
				t.Errorf("another row shows a pending label: %s", p.dump())
			}
			// A second submission from the row is dropped while one is in flight.
			evalIn[chromedp.Void](p, `document.querySelectorAll('#row-web button[data-op]').forEach(function (b) { b.click(); })`)

			held.release(id)
			p.waitFor(tt.finalLabel+" from the server", rowShows("web", tt.final, tt.finalLabel, false))
			p.waitFor("no pending label once the answer is in", noPending)
			p.settle()
			if got, want := f.engine.OpCalls(), []string{tt.op + " web"}; !slices.Equal(got, want) {
				t.Errorf("the engine was called %q, want %q: a second submission went through", got, want)
			}
			p.assertNotReloaded()
		})
	}
}

// noPendingIn is a predicate: name's row shows no pending label.
func noPendingIn(name string) string {
	return fmt.Sprintf(`Array.prototype.every.call(%s.querySelectorAll('.pending'), function (p) { return getComputedStyle(p).display === 'none'; })`, rowExpr(name))
}

func TestBrowserUIARefusedClickPutsThePreviousStateBackAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		answer func(f *fakeDashboard, i *interceptor, id fetch.RequestID)
		shows  string // predicate once the refusal is in
	}{
		{
			name: "409: the operation does not fit the state the server knows",
			answer: func(f *fakeDashboard, i *interceptor, id fetch.RequestID) {
				i.continueAs(id, f.url+"/containers/web/start")
			},
			shows: rowExpr("web") + ".querySelector('[data-testid=notice]') !== null",
		},
		{
			name: "404: the container is unknown to the server",
			answer: func(f *fakeDashboard, i *interceptor, id fetch.RequestID) {
				i.continueAs(id, f.url+"/containers/nosuch/stop")
			},
			shows: `document.querySelector('#flash [data-testid=flash]') !== null`,
		},
		{
			name: "the request fails on the network",
			answer: func(f *fakeDashboard, i *interceptor, id fetch.RequestID) {
				i.fail(id)
			},
			shows: "true",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeDashboard(t, fake.Running("web"))
			_, p := newBrowser(t)
			p.open(f.url)
			p.settle()
			p.markPage()
			held := p.intercept("*/containers/web/stop", fetch.RequestStageRequest)
			p.do("click stop", chromedp.Click(chromedp.CSS("#row-web button[data-op=stop]")))
			id := held.next("the stop POST")
			p.waitFor("Stopping… while the POST is held", pendingShown("web", "stop", "Stopping…"))

			tt.answer(f, held, id)
			p.waitFor("the refusal shown", tt.shows)
			p.waitFor("Running with enabled buttons, no pending label", rowShows("web", "running", "Running", false)+" && "+noPending)
			if calls := f.engine.OpCalls(); len(calls) != 0 {
				t.Errorf("the engine was called %q after a refused click", calls)
			}
			p.assertNotReloaded()

			// The row works again.
			p.click("#row-web button[data-op=stop]")
			p.waitFor("Stopped", rowShows("web", "stopped", "Stopped", false))
		})
	}
}

func TestBrowserUIAContainerAddedWhileThePageIsOpenIsInsertedInItsPlaceAndItsButtonsWorkAtOnce(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("m-middle"), fake.Exited("p-stopped"))
	_, p := newBrowser(t)
	p.open(f.url)
	p.markPage()
	order := func() []string {
		return evalIn[[]string](p, `Array.prototype.map.call(document.querySelectorAll('#rows [role=row][data-name]'), function (r) { return r.dataset.name; })`)
	}

	f.engine.Put(fake.Running("a-first"))
	f.engine.Put(fake.Exited("z-last"))
	f.scan(t)
	p.waitFor("the new rows", rowExpr("a-first")+" && "+rowExpr("z-last"))
	if got, want := order(), []string{"a-first", "m-middle", "p-stopped", "z-last"}; !slices.Equal(got, want) {
		t.Errorf("rows in the order %q, want %q (by name)", got, want)
	}
	// At once: no wait for htmx to settle; a plain form would reload the page.
	p.do("click the new row's Stop", chromedp.Click(chromedp.CSS("#row-a-first button[data-op=stop]")))
	p.waitFor("the new row stopped", rowShows("a-first", "stopped", "Stopped", false))

	// Sorted by state, a new running row goes before the stopped ones.
	p.click(`button.sort[data-sort=state]`)
	p.waitFor("sorted by state", `Array.prototype.map.call(document.querySelectorAll('#rows [role=row][data-name]'), function (r) { return r.dataset.name; }).join() === 'm-middle,a-first,p-stopped,z-last'`)
	f.engine.Put(fake.Running("b-new"))
	f.scan(t)
	p.waitFor("the new row", rowExpr("b-new"))
	if got, want := order(), []string{"b-new", "m-middle", "a-first", "p-stopped", "z-last"}; !slices.Equal(got, want) {
		t.Errorf("rows in the order %q, want %q (running first)", got, want)
	}
	p.do("click the new row's Restart", chromedp.Click(chromedp.CSS("#row-b-new button[data-op=restart]")))
	p.waitFor("restarted", rowShows("b-new", "running", "Running", false))
	p.settle()
	if got := f.engine.OpCalls(); !slices.Equal(got, []string{"stop a-first", "restart b-new"}) {
		t.Errorf("engine calls %q", got)
	}
	if n := evalIn[int](p, `new Set(Array.prototype.map.call(document.querySelectorAll('[id]'), function (e) { return e.id; })).size === document.querySelectorAll('[id]').length ? 0 : 1`); n != 0 {
		t.Errorf("the page has duplicate ids after the inserts")
	}
	p.assertNotReloaded()
}

func TestBrowserUIFocusStaysOnThePressedButtonsRowThroughTheAnswerAndTheFinalState(t *testing.T) {
	tests := []struct {
		name      string
		c         lifecycle.Observed
		op        lifecycle.Op
		label     string // the transitional state's label
		final     lifecycle.State
		thenFocus string // the op of the button focused when the operation ends
	}{
		{"stop, then Start is focused", fake.Running("web"), lifecycle.Stop, "Stopping…", lifecycle.Stopped, "start"},
		{"start, then Stop is focused", fake.Exited("web"), lifecycle.Start, "Starting…", lifecycle.Running, "stop"},
		{"restart, then Restart is focused", fake.Running("web"), lifecycle.Restart, "Restarting…", lifecycle.Running, "restart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFakeDashboard(t, tt.c, fake.Running("other"))
			release := f.engine.Hold(tt.op, "web")
			t.Cleanup(release)
			_, p := newBrowser(t)
			p.open(f.url)
			p.settle()
			button := "#row-web button[data-op=" + string(tt.op) + "]"
			pressed := evalIn[string](p, "document.querySelector("+js(button)+").id")
			if !strings.HasPrefix(pressed, templates.ControlID("web", "")) {
				t.Fatalf("the %s button's id is %q, want one of the row's control ids", tt.op, pressed)
			}

			held := p.intercept("*/containers/web/"+string(tt.op), fetch.RequestStageRequest)
			p.do("focus the button", chromedp.Focus(chromedp.CSS(button)))
			p.do("press Enter", chromedp.KeyEvent(kb.Enter))
			id := held.next("the POST")
			p.waitFor("the pending label", pendingShown("web", string(tt.op), tt.label))
			if !evalIn[bool](p, activeIs(pressed)) {
				t.Errorf("while the POST is in flight the focus is on %s, want the pressed button", p.activeElement())
			}

			held.release(id)
			p.waitFor(tt.label+" from the server", rowShows("web", string(tt.op.Transitional()), tt.label, true))
			p.settle()
			p.waitFor("the focus on the row's state while it runs", activeIs(pressed)+" && "+rowExpr("web")+".contains(document.activeElement)")
			if got := evalIn[string](p, "document.activeElement.textContent.trim()"); got != tt.label {
				t.Errorf("the focused element says %q, want %q", got, tt.label)
			}

			release()
			p.waitFor(string(tt.final), rowShows("web", string(tt.final), tt.final.Label(), false))
			p.settle()
			p.waitFor("the focus on the row's "+tt.thenFocus+" button", `document.activeElement && document.activeElement.matches('#row-web button[data-op=`+tt.thenFocus+`]')`)

			// A push that changes the row keeps the focus where it is.
			p.do("focus the history link", chromedp.Focus(chromedp.CSS(`#row-web a[href$="/history"]`)))
			changed := tt.c
			changed.Image = "localhost/web:2"
			changed.EngineState = map[lifecycle.State]string{lifecycle.Stopped: "exited", lifecycle.Running: "running"}[tt.final]
			f.engine.Put(changed)
			f.scan(t)
			p.waitFor("the pushed row", rowExpr("web")+".dataset.image === 'localhost/web:2'")
			p.waitFor("the focus still on the history link", activeIs(templates.ControlID("web", "history")))
		})
	}
}

func TestBrowserUIDismissingAnErrorFromTheKeyboardLeavesTheFocusOnTheRow(t *testing.T) {
	f := startFakeDashboard(t, fake.Exited("broken"))
	f.engine.Fail(lifecycle.Start, "broken", errors.New("OCI runtime attempted to invoke a command that was not found"))
	_, p := newBrowser(t)
	p.open(f.url)
	p.click("#row-broken button[data-op=start]")
	p.waitFor("the failure on the row", rowShows("broken", "stopped", "Stopped", false)+" && "+rowExpr("broken")+".querySelector('[data-testid=error]') !== null")
	p.settle()
	p.do("focus Dismiss", chromedp.Focus(chromedp.CSS("#row-broken button[data-op=dismiss]")))
	p.do("press Enter", chromedp.KeyEvent(kb.Enter))
	p.waitFor("the error dismissed", rowExpr("broken")+".querySelector('[data-testid=error]') === null")
	p.settle()
	p.waitFor("the focus on the row's Start button", `document.activeElement && document.activeElement.matches('#row-broken button[data-op=start]')`)
}

// benchClickToFrame clicks a row's Stop and Start buttons runs times in
// turn, with real mouse events at the button's coordinates, against the
// dashboard over the in-memory engine (each operation takes 300 ms). It
// returns, for each click, the time on the clicking page from the click
// event to the first animation frame in which the transitional label is
// visible, and the time from the click to the row changing on a second
// page (both pages' performance.timeOrigin + now(), a common clock).
func benchClickToFrame(t *testing.T, runs int) (times clickTimes) {
	t.Helper()
	f := startFakeDashboard(t, fake.Running("bench"))
	f.engine.SetLatency(lifecycle.Stop, 300*time.Millisecond)
	f.engine.SetLatency(lifecycle.Start, 300*time.Millisecond)
	b, first := newBrowser(t)
	first.open(f.url)
	other := b.newTab("second tab")
	other.open(f.url)
	first.do("bring the clicking page to the front", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.BringToFront, cdp.Empty{})
		return err
	}))

	// The clicking page: from the click event, each animation frame checks
	// whether the row shows a transitional label (the page's pending one or
	// the server's badge).
	evalIn[chromedp.Void](first, `window.__click = null;
		document.addEventListener('click', function (e) {
			if (!e.target.closest || !e.target.closest('#row-bench button[data-op]')) return;
			var m = { at: e.timeStamp, origin: performance.timeOrigin, frames: 0 };
			window.__click = m;
			function visible() {
				var r = document.getElementById('row-bench');
				if (!r) return false;
				var els = r.querySelectorAll('.pending, [data-testid=state]');
				for (var i = 0; i < els.length; i++) {
					var el = els[i];
					if (el.offsetParent !== null && getComputedStyle(el).visibility === 'visible' && /…$/.test(el.textContent.trim())) return true;
				}
				return false;
			}
			function frame() {
				m.frames++;
				if (visible()) m.shown = performance.now();
				else requestAnimationFrame(frame);
			}
			requestAnimationFrame(frame);
		}, true);
		// Last of the click's listeners (the window, bubbling): htmx and the
		// page's script have done their part of the click.
		window.addEventListener('click', function () {
			var m = window.__click;
			if (m && m.handled === undefined) m.handled = performance.now();
		});`)
	// The second page: when the row's state changes from the one armed.
	evalIn[chromedp.Void](other, `window.__armed = null;
		new MutationObserver(function () {
			var a = window.__armed, r = document.getElementById('row-bench');
			if (a && a.changed === undefined && r && r.dataset.state !== a.state) a.changed = performance.timeOrigin + performance.now();
		}).observe(document.getElementById('rows').parentNode, { subtree: true, childList: true, attributes: true });`)

	// The renderer's first input event sets up its input handling (tens of
	// milliseconds in headless chromium, whatever the page): spend it on a
	// spot of the page that does nothing.
	xy := evalIn[[]float64](first, `(function () {
		var r = document.querySelector('main > p').getBoundingClientRect();
		return [r.left + 2, r.top + r.height / 2];
	})()`)
	first.do("click a spot that does nothing", chromedp.MouseClickXY(xy[0], xy[1]))

	state, op, next := "running", "stop", "stopped"
	// firstFrame counts the clicks whose label showed in the first frame
	// after them.
	for i := 0; i < runs; i++ {
		first.waitFor("bench "+state, rowShows("bench", state, lifecycle.State(state).Label(), false))
		other.waitFor("bench "+state+" on the second page", rowShows("bench", state, lifecycle.State(state).Label(), false))
		first.settle()
		other.settle()
		evalIn[chromedp.Void](other, `window.__armed = { state: document.getElementById('row-bench').dataset.state }`)
		evalIn[chromedp.Void](first, `window.__click = null`)
		xy := evalIn[[]float64](first, `(function () {
			var r = document.querySelector('#row-bench button[data-op=`+op+`]').getBoundingClientRect();
			return [r.left + r.width / 2, r.top + r.height / 2];
		})()`)
		first.do("click "+op, chromedp.MouseClickXY(xy[0], xy[1]))
		first.waitFor("the label shown", `window.__click && window.__click.shown !== undefined`)
		other.waitFor("the row changed on the second page", `window.__armed && window.__armed.changed !== undefined`)
		c := evalIn[map[string]float64](first, `window.__click`)
		changed := evalIn[float64](other, `window.__armed.changed`)
		if c["frames"] == 1 {
			times.firstFrame++
		}
		times.clicking = append(times.clicking, ms(c["shown"]-c["at"]))
		times.handled = append(times.handled, ms(c["handled"]-c["at"]))
		times.second = append(times.second, ms(changed-(c["origin"]+c["at"])))
		state, next = next, state
		op = map[string]string{"stop": "start", "start": "stop"}[op]
	}
	first.waitFor("bench "+state, rowShows("bench", state, lifecycle.State(state).Label(), false))
	first.settle()
	t.Logf("the transitional label showed in the first animation frame after %d of %d clicks", times.firstFrame, runs)
	return times
}

// clickTimes are benchClickToFrame's times, one per click, from the click
// event's timestamp.
type clickTimes struct {
	clicking   []time.Duration // to the animation frame callback that finds the label shown
	handled    []time.Duration // to the end of the click's listeners: htmx's and the page's work done
	second     []time.Duration // to the row changing on the second page
	firstFrame int             // clicks whose label showed in the first frame after them
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// percentile is the p-th percentile (0 < p <= 100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func TestBrowserUIClickToFrameMeasurementReturnsOneSaneTimePerClick(t *testing.T) {
	const runs = 4
	f := benchClickToFrame(t, runs)
	clicking, second := f.clicking, f.second
	if len(clicking) != runs || len(second) != runs || len(f.handled) != runs {
		t.Fatalf("%d, %d and %d times for %d clicks", len(clicking), len(second), len(f.handled), runs)
	}
	for i := range runs {
		for _, d := range []time.Duration{clicking[i], f.handled[i], second[i]} {
			if d <= 0 || d > deadline {
				t.Errorf("click %d: %s is no latency", i, d)
			}
		}
		// The click's listeners end before the frame that shows their work.
		if f.handled[i] > clicking[i] {
			t.Errorf("click %d: its listeners ended %s after it, the frame that showed the label %s", i, f.handled[i], clicking[i])
		}
	}
	round := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	var b strings.Builder
	for i := range runs {
		fmt.Fprintf(&b, " %s/%s/%s", round(f.handled[i]), round(clicking[i]), round(second[i]))
	}
	t.Logf("click → listeners done / label in a frame on the clicking page / row changed on the second page:%s (p99 %s / %s)",
		b.String(), round(percentile(clicking, 99)), round(percentile(second, 99)))
}

// A fast operation's pushed outcome can reach the clicking page before the
// answer to its click (they travel on different connections): the older
// answer must not put "Stopping…" back over the final row. htmx sees to
// it: the pushed row replaces the element the answer was meant for.
func TestBrowserUIAnAnswerThatArrivesAfterThePushedOutcomeDoesNotTurnTheRowBack(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("web"))
	_, p := newBrowser(t)
	p.open(f.url)
	p.waitLive()
	p.settle()
	p.markPage()
	// The answer's own events fire on the replaced row, out of the page:
	// count finished requests instead.
	evalIn[chromedp.Void](p, `window.answered = false;
		(function (send) {
			XMLHttpRequest.prototype.send = function () {
				this.addEventListener('loadend', function () { window.answered = true; });
				return send.apply(this, arguments);
			};
		})(XMLHttpRequest.prototype.send)`)
	held := p.intercept("*/containers/web/stop", fetch.RequestStageResponse)
	p.do("click stop", chromedp.Click(chromedp.CSS("#row-web button[data-op=stop]")))
	id := held.next("the answer to the stop")

	// The server has answered (the answer is held in the browser) and the
	// fake engine has stopped the container at once: its row is pushed.
	p.waitFor("the pushed stopped row while the answer is held", rowExpr("web")+".dataset.state === 'stopped'")
	held.deliver(id)
	p.waitFor("the held answer processed", "window.answered === true")
	p.settle()
	p.waitFor("still Stopped with its Start button", rowShows("web", "stopped", "Stopped", false)+" && "+noPending)
	p.assertNotReloaded()
}

// deliver lets a request held at the response stage reach the page with
// the server's answer, and holds no more requests.
func (i *interceptor) deliver(id fetch.RequestID) {
	i.p.t.Helper()
	i.p.do("deliver a held answer", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := chromedp.Call(ctx, fetch.GetResponseBody, fetch.GetResponseBodyParams{RequestID: id})
		if err != nil {
			return err
		}
		// cdproto has already decoded the body, base64 or not.
		body := res.Body
		headers := []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}
		if _, err := chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
			RequestID: id, ResponseCode: 200, ResponseHeaders: headers, Body: body}); err != nil {
			return err
		}
		_, err = chromedp.Call(ctx, fetch.Disable, cdp.Empty{})
		return err
	}))
}
