package main

// The force stop in the page: behind its disclosure, during a stop.

import (
	"testing"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
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
