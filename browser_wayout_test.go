package main

// The way out in the page: the force stop behind its disclosure during a
// stop, health, and bulk actions.

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/lifecycle/podman/podmantest"
)

func TestBrowserForceStopEndsAStopFromTheRow(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("btc"))
	f.engine.Hold(lifecycle.Stop, "btc") // a stop that would take its time
	_, p := newBrowser(t)
	p.open(f.url)
	p.markPage()
	p.click(`#row-btc\:run`)
	p.waitFor("Stopping… with its countdown to SIGKILL", rowShows("btc", "stopping", "Stopping…", true)+
		` && /SIGKILL in/.test(document.querySelector('#row-btc [data-testid=deadline]').textContent)`)
	// The confirmation is hidden until the operator opens it.
	if evalIn[bool](p, `document.getElementById('row-btc:kill-now').checkVisibility()`) {
		t.Errorf("the force stop's confirmation shows before it is asked for")
	}
	p.click(`#row-btc\:kill`)
	p.waitFor("the confirmation saying what is lost", `document.getElementById('row-btc:kill-now').checkVisibility() &&
		/clean shutdown/.test(document.querySelector('#row-btc [data-testid=force-stop]').textContent)`)
	p.click(`#row-btc\:kill-now`)
	p.waitFor("btc stopped", rowShows("btc", "stopped", "Stopped", false))
	p.assertNoDialogs()
	p.assertNotReloaded()
}

// A healthcheck's verdicts reach the page live: health starting, healthy,
// then unhealthy, marked and counted, with a view of its own; a restart
// starts over at health starting.
func TestBrowserHealthShowsLiveFromStartingToHealthyToUnhealthy(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "doctor", podmantest.Workload{Start: true, Healthcheck: true})
	createWorkload(t, svc, "plain", podmantest.Workload{Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("doctor", "running")
	ta.waitSettled("plain", "running")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.markPage()
	p.waitFor("doctor health starting", healthShows("doctor", "health starting"))
	if evalIn[bool](p, `!!document.querySelector('#row-plain [data-testid=health]')`) {
		t.Errorf("a container without a healthcheck shows a health")
	}
	svc.MustPodman(t, "healthcheck", "run", "doctor")
	p.waitFor("doctor healthy", healthShows("doctor", "healthy"))
	svc.MustPodman(t, "exec", "doctor", "/workload", "sicken")
	if _, err := svc.Podman("healthcheck", "run", "doctor"); err == nil {
		t.Fatal("the healthcheck passed after sicken")
	}
	p.waitFor("doctor unhealthy, marked and counted", healthShows("doctor", "unhealthy")+
		` && document.getElementById('row-doctor').classList.contains('row-unhealthy')`+
		` && !document.getElementById('unhealthy-count').hidden`+
		` && document.getElementById('unhealthy-count').textContent.trim() === '1 unhealthy'`)
	p.screenshot("unhealthy")
	p.click("#unhealthy-count")
	p.waitFor("the unhealthy view", `!document.getElementById('row-doctor').hidden && document.getElementById('row-plain').hidden`+
		` && document.getElementById('show').value === 'unhealthy' && location.search === '?show=unhealthy'`)
	p.do("show all", chromedp.SetValue(chromedp.CSS("#show"), ""))
	evalIn[chromedp.Void](p, `document.getElementById('show').dispatchEvent(new Event('change', { bubbles: true }))`)
	p.waitFor("every row again", `!document.getElementById('row-plain').hidden`)

	p.click(`#row-doctor\:restart`)
	p.waitFor("Running · health starting after the restart", rowShows("doctor", "running", "Running", false)+
		` && /^Running · health starting/.test(document.querySelector('#row-doctor .state-now').textContent.trim().replace(/\s+/g, ' '))`)
	p.assertNotReloaded()
}

// healthShows is a predicate: name's row shows health label.
func healthShows(name, label string) string {
	return fmt.Sprintf(`(function () {
		var h = %s && %s.querySelector('[data-testid=health]');
		return !!h && h.textContent.trim() === %s;
	})()`, rowExpr(name), rowExpr(name), js(label))
}

// Rows selected, acted on in one request: each gets its own transitional
// state, the summary says what was refused, and the selection survives a
// live update of a selected row until the action clears it.
func TestBrowserBulkActionsOnTheSelectedRows(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("a"), fake.Running("b"), fake.Running("c"), fake.Exited("d"))
	release := f.engine.Hold(lifecycle.Stop, "a") // a's stop takes its time
	_, p := newBrowser(t)
	p.open(f.url)
	p.markPage()
	p.waitFor("the bulk buttons disabled with nothing selected", `document.getElementById('bulk-stop').disabled && !document.getElementById('select-all').hidden`)

	p.click(`#row-a\:select`)
	p.click(`#row-d\:select`)
	p.waitFor("2 selected", `document.getElementById('selected-count').textContent === '2 selected:' && !document.getElementById('bulk-stop').disabled`)
	// A live update of a selected row keeps it selected.
	img := fake.Running("a")
	img.Image = "localhost/a:2"
	f.engine.Put(img)
	f.scan(t)
	p.waitFor("a's new image, still selected", `document.getElementById('row-a').dataset.image === 'localhost/a:2' && document.getElementById('row-a:select').checked`)

	p.click("#bulk-stop")
	p.waitFor("a stopping, d refused, the summary", rowShows("a", "stopping", "Stopping…", true)+
		` && /Stop: 1 started, 1 refused/.test(document.querySelector('[data-testid=bulk-result]').textContent)`+
		` && /d: /.test(document.querySelector('[data-testid=bulk-refused]').textContent)`)
	p.waitFor("the selection cleared", `document.querySelectorAll('#rows input.select:checked').length === 0 && document.getElementById('bulk-stop').disabled`)
	if evalIn[string](p, `document.getElementById('row-b').dataset.state`) != "running" {
		t.Errorf("b was not selected and changed")
	}

	// Select all shown, with a filter: only what is shown is acted on.
	p.do("filter", chromedp.SendKeys(chromedp.CSS("#filter"), "running"))
	p.waitFor("b and c shown", `document.getElementById('row-d').hidden && !document.getElementById('row-b').hidden`)
	p.click("#select-all")
	p.waitFor("2 selected", `document.getElementById('selected-count').textContent === '2 selected:'`)
	p.click("#bulk-kill")
	p.waitFor("the force stop's warning", `document.getElementById('bulk-kill-now').checkVisibility()`)
	p.click("#bulk-kill-now")
	p.waitFor("b and c stopped", `document.getElementById('row-b').dataset.state === 'stopped' && document.getElementById('row-c').dataset.state === 'stopped'`)
	if evalIn[string](p, `document.getElementById('row-a').dataset.state`) != "stopping" {
		t.Errorf("a, hidden by the filter, was acted on")
	}
	p.assertNoDialogs()
	p.assertNotReloaded()
	release()
	f.env.WaitIdle()
}

// A container's page on the real Podman: its details, its logs arriving
// live on the page's one connection, stderr marked and its colour codes
// gone, auto-scroll paused and resumed, timestamps on demand.
func TestBrowserContainerPageFollowsItsLogsLive(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "chatty", podmantest.Workload{Start: true, LogEvery: 50 * time.Millisecond, StopTimeout: 7})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("chatty", "running")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.click(`#row-chatty\:page`)
	p.waitFor("the container's page", `location.pathname === '/containers/chatty' && !!document.getElementById('row-chatty')`)
	p.markPage()
	if got := evalIn[string](p, `document.querySelector('[data-fact="Stop signal and timeout"] dd').textContent.trim()`); got != "SIGTERM, then SIGKILL after 7 s" {
		t.Errorf("stop signal and timeout %q", got)
	}
	lineCount := `document.querySelectorAll('#log-lines .log-line').length`
	p.waitFor("log lines arriving", lineCount+` >= 10`)
	n := evalIn[int](p, lineCount)
	p.waitFor("more lines, live", fmt.Sprintf(`%s > %d`, lineCount, n+5))
	if !evalIn[bool](p, `(function () {
		var e = document.querySelector('#log-lines .log-stderr .log-text');
		return !!e && /^err \d+ red$/.test(e.textContent) && !!e.closest('.log-line').querySelector('.log-stream');
	})()`) {
		t.Errorf("no stderr line marked, without its colour codes: %s", evalIn[string](p, `document.getElementById('log-lines').innerHTML.slice(0, 500)`))
	}
	atBottom := `(function () { var b = document.getElementById('log-box'); return b.scrollHeight - b.scrollTop - b.clientHeight < 4; })()`
	p.waitFor("following the newest line", lineCount+` > 40 && `+atBottom)

	p.click("#log-pause")
	evalIn[chromedp.Void](p, `document.getElementById('log-box').scrollTop = 0`)
	n = evalIn[int](p, lineCount)
	p.waitFor("lines still arriving while paused", fmt.Sprintf(`%s > %d`, lineCount, n+5))
	if top := evalIn[float64](p, `document.getElementById('log-box').scrollTop`); top != 0 {
		t.Errorf("paused, the log scrolled to %v", top)
	}
	if got := evalIn[string](p, `document.getElementById('log-pause').textContent`); got != "Resume auto-scroll" {
		t.Errorf("the pause button says %q", got)
	}
	p.click("#log-pause")
	p.waitFor("following again after resume", atBottom)

	if evalIn[bool](p, `getComputedStyle(document.querySelector('#log-lines time')).display !== 'none'`) {
		t.Errorf("timestamps show before they are asked for")
	}
	p.click("#log-times")
	p.waitFor("timestamps shown", `getComputedStyle(document.querySelector('#log-lines time')).display !== 'none'`)
	p.screenshot("container")

	// The row's actions work here as in the table, and the log follows
	// the restarted program from its first line.
	firstLines := `Array.prototype.filter.call(document.querySelectorAll('#log-lines .log-text'), function (e) { return e.textContent === 'out 1'; }).length`
	before := evalIn[int](p, firstLines)
	p.click(`#row-chatty\:restart`)
	p.waitFor("the restarted program's first lines", fmt.Sprintf(`%s > %d`, firstLines, before)+" && "+rowShows("chatty", "running", "Running", false))
	p.assertNotReloaded()
	p.assertNoDialogs()
}
