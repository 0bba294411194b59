package web_test

import (
	"context"
	"strings"
	"testing"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

// On a dashboard of several hosts, the feed names each row by its host,
// and each host's banner comes and goes on its own.
func TestSeveralHostsFeedRowsAndBannersByHost(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web")), webtest.AlsoHost("b", fake.Running("web")))
	feed := e.Subscribe()
	defer feed.Close()
	page := webtest.Subscribe(t, e.URL+"/events?logs=web&host=b")
	defer page.Close()

	if _, err := e.Hosts["b"].Manager.Do(context.Background(), "web", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	feed.Next(0, "b/web stopping", webtest.IsRowOn("b", "web", "stopping"))
	i, _ := feed.Next(0, "b/web stopped", webtest.IsRowOn("b", "web", "stopped"))
	j, _ := page.Next(0, "b/web stopped on its page", webtest.IsRowOn("b", "web", "stopped"))
	for _, ev := range feed.Events() {
		if webtest.IsRowOn("local", "web", "")(ev) {
			t.Errorf("b/web's stop pushed local/web's row:\n%s", ev.Data)
		}
	}

	// Host b goes down: its banner and header, and only b's; its page
	// hears of it too.
	e.Hosts["b"].Engine.Down(lifecycle.ErrUnreachable)
	if _, err := e.Hosts["b"].Manager.Scan(context.Background()); err == nil {
		t.Fatal("the scan of a host that is down worked")
	}
	_, ev := feed.Next(i, "b's banner", webtest.Has("#scan-status-b"))
	d := ev.Doc(t)
	for _, part := range []string{"#scan-status-b", "#hosthead-b"} {
		if down := d.Find(part).AttrOr("data-down", ""); !strings.HasPrefix(down, "host unreachable since ") {
			t.Errorf("b's banner event: %s says %q, want host unreachable since …:\n%s", part, down, ev.Data)
		}
	}
	if got := webtest.Text(d.TestID("scan-error")); !strings.HasPrefix(got, "b: host unreachable since") {
		t.Errorf("b's banner says %q", got)
	}
	if d.Has("#scan-status-local") {
		t.Errorf("b's banner event touches local's:\n%s", ev.Data)
	}
	_, ev = page.Next(j, "b's banner on b/web's page", webtest.Has("#scan-status-b"))
	// A container's page has no host header: the banner alone, which
	// carries what the row's mark says.
	d = ev.Doc(t)
	if d.Has("[data-testid=host-head]") || !strings.HasPrefix(d.Find("#scan-status-b").AttrOr("data-down", ""), "host unreachable since ") {
		t.Errorf("b/web's page got:\n%s\nwant b's banner alone, with its data-down", ev.Data)
	}

	// Local goes down too: its page-less banner reaches the table, not
	// the page of a container of b.
	e.Engine.Down(lifecycle.ErrUnreachable)
	e.Manager.Scan(context.Background())
	e.Hub.Sync()
	k, _ := feed.Next(0, "local's banner", webtest.Has("#scan-status-local"))

	// b comes back: its banner is cleared; local's stays.
	e.Hosts["b"].Engine.Down(nil)
	if _, err := e.Hosts["b"].Manager.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	cleared := func(ev webtest.Event) bool {
		if !webtest.Has("#scan-status-b")(ev) {
			return false
		}
		d := ev.Doc(t)
		return d.Find("#scan-status-b").AttrOr("data-down", "?") == "" && !d.Has("[data-testid=scan-error]")
	}
	_, ev = feed.Next(k, "b's banner", webtest.Has("#scan-status-b"))
	if !cleared(ev) {
		t.Errorf("b's banner still says unreachable after a good scan:\n%s", ev.Data)
	}
	// The page is sent its events in the order the table is: once it has
	// b's cleared banner, it would have had local's, published before.
	page.Next(j+1, "b's banner cleared on b/web's page", cleared)
	for _, ev := range page.Events() {
		if webtest.Has("#scan-status-local")(ev) {
			t.Errorf("b/web's page got local's banner:\n%s", ev.Data)
		}
	}
	d = e.Get("/").Doc()
	if n := d.TestID("scan-error").Length(); n != 1 || d.Find(`[data-testid=scan-error][data-host=local]`).Length() != 1 {
		t.Errorf("the page has %d banners, want local's alone", n)
	}
}
