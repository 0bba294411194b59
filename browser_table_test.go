package main

// The table itself: its empty state, the filter and the sort buttons.

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"podboard/lifecycle/fake"
)

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
		function (r) { return r.checkVisibility(); }).map(function (r) { return r.dataset.name; }).join(',')`
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
