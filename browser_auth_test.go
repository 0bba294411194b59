package main

// Signing in and out as a person does, and what an open page does when its
// session ends.

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"podboard/lifecycle/fake"
)

func TestBrowserSigningOutInOneTabSignsOutTheOtherAndStopsItsLiveFeed(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("web"))
	b, first := newBrowser(t)
	first.open(f.url) // signs in through the form
	first.waitFor("the user's name in the header", `document.querySelector('[data-testid=user]').textContent.indexOf('`+testUser+`') >= 0`)
	second := b.newTab("second tab")
	second.open(f.url) // the same browser: already signed in

	second.click("#sign-out")
	second.waitFor("the login page saying signed out", `location.pathname === '/login' && !!document.querySelector('[data-testid=signed-out]')`)

	first.waitFor("the signed-out notice in place of the table", `!!document.querySelector('main#main [data-testid=signed-out]') && !document.getElementById('rows')`)
	if n := evalIn[int](first, `document.querySelectorAll('[sse-connect]').length`); n != 0 {
		t.Errorf("%d live connections left on the signed-out page", n)
	}
	// Podman's changes no longer reach the signed-out page.
	f.engine.Put(fake.Exited("web"))
	f.scan(t)
	if got := evalIn[bool](first, `!!document.getElementById('row-web')`); got {
		t.Errorf("the signed-out page shows a row again")
	}
	first.click("main#main a[href='/login']")
	first.waitFor("the login form", `location.pathname === '/login' && !!document.getElementById('username')`)
	first.assertNoDialogs()
}

func TestBrowserAClickAfterTheSessionEndedLeadsToTheLoginPageNotAHalfSwappedRow(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("web"))
	_, p := newBrowser(t)
	p.open(f.url)
	// The session ends without the page hearing of it (expired, say).
	ctx := context.Background()
	sessions, err := f.env.Auth.ListSessions(ctx)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("sessions %+v (%v), want one", sessions, err)
	}
	if ok, err := f.env.Auth.EndSession(ctx, sessions[0].ID); !ok || err != nil {
		t.Fatalf("end the session: %v %v", ok, err)
	}
	// A DOM click: the answer navigates away, under a mouse click that
	// chromedp would then try to find again.
	p.settle()
	evalIn[chromedp.Void](p, `document.getElementById('row-web:run').click()`)
	p.waitFor("the login page saying signed out", `location.pathname === '/login' && !!document.querySelector('[data-testid=signed-out]')`)
	if got := f.env.Container("web").State; got != "running" {
		t.Errorf("web is %s, want running: the click of a signed-out page did something", got)
	}
	// Signing in again leads back to the dashboard.
	p.signIn(testUser, testPassword)
	p.waitLive()
	p.waitFor("web running", rowShows("web", "running", "Running", false))
}
