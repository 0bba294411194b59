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
	feed.Next(0, "b/web stopping", webtest.Contains(`id="row-web@b"`, `data-state="stopping"`))
	i, _ := feed.Next(0, "b/web stopped", webtest.Contains(`id="row-web@b"`, `data-state="stopped"`))
	j, _ := page.Next(0, "b/web stopped on its page", webtest.Contains(`id="row-web@b"`, `data-state="stopped"`))
	for _, ev := range feed.Events() {
		if strings.Contains(ev.Data, `id="row-web@local"`) {
			t.Errorf("b/web's stop pushed local/web's row:\n%s", ev.Data)
		}
	}

	// Host b goes down: its banner and header, and only b's; its page
	// hears of it too.
	e.Hosts["b"].Engine.Down(lifecycle.ErrUnreachable)
	if _, err := e.Hosts["b"].Manager.Scan(context.Background()); err == nil {
		t.Fatal("the scan of a host that is down worked")
	}
	_, ev := feed.Next(i, "b's banner", webtest.Contains(`id="scan-status-b"`))
	for _, want := range []string{`id="hosthead-b"`, `data-down="host unreachable since `, "b: host unreachable since"} {
		if !strings.Contains(ev.Data, want) {
			t.Errorf("b's banner event lacks %q:\n%s", want, ev.Data)
		}
	}
	if strings.Contains(ev.Data, `scan-status-local`) {
		t.Errorf("b's banner event touches local's:\n%s", ev.Data)
	}
	_, ev = page.Next(j, "b's banner on b/web's page", webtest.Contains(`id="scan-status-b"`))
	// A container's page has no host header: the banner alone, which
	// carries what the row's mark says.
	if strings.Contains(ev.Data, "hosthead-") || !strings.Contains(ev.Data, `data-down="host unreachable since `) {
		t.Errorf("b/web's page got:\n%s\nwant b's banner alone, with its data-down", ev.Data)
	}

	// Local goes down too: its page-less banner reaches the table, not
	// the page of a container of b.
	e.Engine.Down(lifecycle.ErrUnreachable)
	e.Manager.Scan(context.Background())
	e.Hub.Sync()
	k, _ := feed.Next(0, "local's banner", webtest.Contains(`id="scan-status-local"`))

	// b comes back: its banner is cleared; local's stays.
	e.Hosts["b"].Engine.Down(nil)
	if _, err := e.Hosts["b"].Manager.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, ev = feed.Next(k, "b's banner cleared", webtest.Contains(`id="scan-status-b"`))
	if strings.Contains(ev.Data, "unreachable") {
		t.Errorf("b's banner still says unreachable after a good scan:\n%s", ev.Data)
	}
	// The page is sent its events in the order the table is: once it has
	// b's cleared banner, it would have had local's, published before.
	page.Next(j+1, "b's banner cleared on b/web's page", func(ev webtest.Event) bool {
		return strings.Contains(ev.Data, `id="scan-status-b"`) && !strings.Contains(ev.Data, "unreachable")
	})
	for _, ev := range page.Events() {
		if strings.Contains(ev.Data, "scan-status-local") {
			t.Errorf("b/web's page got local's banner:\n%s", ev.Data)
		}
	}
	d := e.Get("/").Doc()
	if n := d.Find(`[data-testid=scan-error]`).Length(); n != 1 || d.Find(`[data-testid=scan-error][data-host=local]`).Length() != 1 {
		t.Errorf("the page has %d banners, want local's alone", n)
	}
}
