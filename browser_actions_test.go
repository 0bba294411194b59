package main

// Buttons, their transitional states and their outcomes in the page.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"podboard/lifecycle/podman/podmantest"
)

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
		var done = function () { return %s; };
		window.__latency = {};
		document.addEventListener('click', function (e) {
			if (e.target.closest && e.target.closest('[data-op=stop]')) window.__latency.click = performance.now();
		}, true);
		new MutationObserver(function () {
			if (window.__latency.shown === undefined && done()) window.__latency.shown = performance.now();
		}).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
	})()`, rowShows("bitcoind", "stopping", "Stopping…", true)))

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

func TestBrowserWithoutJavaScriptTheStopFormStillStopsTheContainer(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "plain", podmantest.Workload{StopDelay: time.Second, Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("plain", "running")

	b, _ := newBrowser(t)
	p := b.newTab("tab without JavaScript")
	p.disableJavaScript()
	p.navigate(ta.srv.URL)
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
