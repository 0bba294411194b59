package main

// A dashboard of several hosts in the browser: newApp as main wires it,
// over two fake engines whose container names overlap. The rows grouped
// under each host's header, an action on one host's "web" that leaves the
// other's alone, the host filter, a group collapsed from its header (and
// still collapsed after the page fetches the table again; its rows out of
// the selection), one host down and back with its banner and its rows'
// marks coming and going live, and a bulk action across both hosts.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/lifecycle/podman"
	"podboard/web/auth"
	"podboard/web/webtest"
)

// fakeHost is one host of serveHosts: its name and its engine.
type fakeHost struct {
	name   string
	engine *fake.Engine
}

// hostsDashboard is newApp over several fake engines, served on loopback.
type hostsDashboard struct {
	url     string
	a       *app
	engines map[string]*fake.Engine
	streams *webtest.StreamCutter
}

// serveHosts is serveApp for several hosts: newApp, exactly as main wires
// it, with one manager per host over its fake engine. The scans are
// hours apart, so that only the test's own scans (scan) read the engines
// after the first; the usage is not followed. It is stopped when the test
// ends, once every host's jobs have ended.
func serveHosts(t *testing.T, hosts ...fakeHost) *hostsDashboard {
	t.Helper()
	args := []string{"--listen", "127.0.0.1:0", "--data", t.TempDir(), "--scan-interval", "1h", "--stats=false"}
	for _, h := range hosts {
		args = append(args, "--podman", h.name+"=unix:///run/podboard-test/"+h.name+"/podman.sock")
	}
	cfg, err := parseConfig(args, func(string) string { return "" })
	if err != nil {
		t.Fatalf("parseConfig(%q): %v", args, err)
	}
	logs := &lockedBuffer{}
	var engines []hostEngine
	d := &hostsDashboard{engines: map[string]*fake.Engine{}}
	for i, h := range hosts {
		engines = append(engines, hostEngine{name: h.name, podman: podman.Redact(cfg.hosts[i].uri), engine: h.engine})
		d.engines[h.name] = h.engine
	}
	a, err := newApp(context.Background(), cfg, engines, newLogger(logs, cfg.logFormat, slog.LevelInfo))
	if err != nil {
		t.Fatal(err)
	}
	d.a = a
	if err := (auth.Accounts{DB: a.store}).AddUser(context.Background(), testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	d.streams = &webtest.StreamCutter{Next: a.srv.Handler}
	srv := httptest.NewServer(d.streams)
	d.url = srv.URL
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dashboard log:\n%s", logs.String())
		}
		stopApp(t, a, srv)
	})
	return d
}

// scan runs one scan of host, as its periodic scan would, and returns its
// error.
func (d *hostsDashboard) scan(t *testing.T, host string) error {
	t.Helper()
	m, ok := d.a.fleet.Manager(host)
	if !ok {
		t.Fatalf("no manager for host %q", host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	_, err := m.Scan(ctx)
	return err
}

// cutStreams ends the live streams open now, as a proxy that drops idle
// connections would; the pages reconnect.
func (d *hostsDashboard) cutStreams() { d.streams.Cut() }

// hostMark is a predicate: the row of key shows mark as its host's
// unreachable mark, or shows none (and has it hidden) when mark is "".
func hostMark(key, mark string) string {
	return fmt.Sprintf(`(function () {
		var r = %s, m = r && r.querySelector('[data-testid=host-unreachable]');
		if (!m) return false;
		var want = %s;
		if (want === '') return m.hidden && !m.checkVisibility() && m.textContent.trim() === '';
		return !m.hidden && m.checkVisibility() && new RegExp(want).test(m.textContent.trim());
	})()`, rowExpr(key), js(mark))
}

// visible is a predicate: the element with id is in the document and
// rendered (not hidden, not in a hidden or collapsed part).
func visible(id string) string {
	return fmt.Sprintf(`(function () { var e = document.getElementById(%s); return !!e && e.checkVisibility(); })()`, js(id))
}

func notVisible(id string) string {
	return fmt.Sprintf(`(function () { var e = document.getElementById(%s); return !!e && !e.checkVisibility(); })()`, js(id))
}

// choose picks the option of value in the select with id, as a person
// does with the keyboard or the mouse: the option is selected, then change
// is fired. (chromedp.SetValue cannot choose an option whose value is "":
// the select is then left with none.)
func (p *tab) choose(id, value string) {
	p.t.Helper()
	if !evalIn[bool](p, fmt.Sprintf(`(function () {
		var s = document.getElementById(%s), v = %s;
		var o = Array.prototype.find.call(s.options, function (o) { return o.value === v; });
		if (!o) return false;
		o.selected = true;
		s.dispatchEvent(new Event('change', { bubbles: true }));
		return s.value === v;
	})()`, js(id), js(value))) {
		p.t.Fatalf("%s: #%s has no option %q%s", p.label, id, value, p.dump())
	}
}

// docOf is the element selector matches, as goquery reads it.
func (p *tab) docOf(selector string) *webtest.Doc {
	p.t.Helper()
	return webtest.Parse(p.t, evalIn[string](p, `(function () { var e = document.querySelector(`+js(selector)+`); return e ? e.outerHTML : ''; })()`))
}

func TestBrowserHostsGroupsFiltersCollapsesMarksADownHostAndActsOnEach(t *testing.T) {
	ea := fake.New(fake.Running("web"), fake.Running("db"))
	eb := fake.New(fake.Running("web"))
	d := serveHosts(t, fakeHost{"a", ea}, fakeHost{"b", eb})
	_, p := newBrowser(t)
	p.open(d.url)
	p.settle()
	p.markPage()

	// The rows are grouped by host, each group under its header and
	// sorted by name, ending with its empty line; the two "web" are two
	// rows, named by their host.
	doc := p.docOf("#rows")
	groups := doc.Find("#rows[data-hosts] > .host-group")
	if groups.Length() != 2 {
		t.Fatalf("%d host groups, want 2:\n%s", groups.Length(), doc.HTML())
	}
	want := map[string][]string{"a": {"db", "web"}, "b": {"web"}}
	for i, host := range []string{"a", "b"} {
		g := groups.Eq(i)
		if id, _ := g.Attr("id"); id != "hostrows-"+host {
			t.Errorf("group %d is %q, want hostrows-%s", i, id, host)
		}
		if h, _ := g.Attr("data-host"); h != host {
			t.Errorf("group %s has data-host %q", host, h)
		}
		kids := g.Children()
		head := kids.First()
		if id, _ := head.Attr("id"); id != "hosthead-"+host || head.AttrOr("data-testid", "") != "host-head" || head.Find(".host-toggle").Length() != 1 {
			t.Errorf("group %s does not start with its header and its toggle: %s", host, webtest.Text(head))
		}
		if strings.TrimSpace(head.Find("[data-testid=host-name]").Text()) != host {
			t.Errorf("group %s's header names %q", host, head.Find("[data-testid=host-name]").Text())
		}
		if down := head.AttrOr("data-down", ""); down != "" {
			t.Errorf("host %s's header is marked down: %q", host, down)
		}
		if id, _ := kids.Last().Attr("id"); id != "empty-"+host || !kids.Last().HasClass("empty") {
			t.Errorf("group %s does not end with its empty line: %q", host, id)
		}
		var names []string
		g.Find("[role=row][data-name]").Each(func(_ int, r *goquery.Selection) {
			name := r.AttrOr("data-name", "")
			names = append(names, name)
			key := name + "@" + host
			if r.AttrOr("id", "") != webtest.RowID(key) || r.AttrOr("data-key", "") != key || r.AttrOr("data-host", "") != host {
				t.Errorf("row %s on %s: id %q, data-key %q, data-host %q", name, host, r.AttrOr("id", ""), r.AttrOr("data-key", ""), r.AttrOr("data-host", ""))
			}
			if v := r.Find("input.select").AttrOr("value", ""); v != host+"/"+name {
				t.Errorf("row %s's checkbox gives %q, want %s/%s", key, v, host, name)
			}
		})
		if !slices.Equal(names, want[host]) {
			t.Errorf("host %s's group holds %q, want %q", host, names, want[host])
		}
	}
	if doc.Has("#" + cssID(webtest.RowID("web"))) {
		t.Errorf("a row named web alone, with no host, on a dashboard of two hosts")
	}
	if got := doc.Find("#"+cssID(webtest.RowID("web@b"))+` form[data-action=stop]`).AttrOr("hx-post", ""); got != "/hosts/b/containers/web/stop" {
		t.Errorf("b's web posts its stop to %q, want /hosts/b/containers/web/stop", got)
	}

	// Stop on b's web goes to b's route and stops b's web alone.
	held := p.intercept("*/hosts/b/containers/web/stop", fetch.RequestStageRequest)
	p.click("#" + cssID("row-web@b:run"))
	held.release(held.next("the stop POST of b's web"))
	p.waitFor("b's web stopped", rowShows("web@b", "stopped", "Stopped", false))
	p.waitFor("a's web still running", rowShows("web@a", "running", "Running", false))
	if got := eb.OpCalls(); !slices.Equal(got, []string{"stop web"}) {
		t.Errorf("host b's engine was called %q, want [stop web]", got)
	}
	if got := ea.OpCalls(); len(got) != 0 {
		t.Errorf("host a's engine was called %q by a stop of b's web", got)
	}
	if ea.State("web") != "running" || eb.State("web") != "exited" {
		t.Errorf("after stopping b's web: a's web %s, b's web %s", ea.State("web"), eb.State("web"))
	}

	// The host filter keeps one host's group, and says so in the URL.
	p.choose("host-filter", "b")
	if got := evalIn[string](p, `document.querySelector('#host-filter option:checked').textContent`); got != "b" {
		t.Errorf("the host filter shows %q", got)
	}
	p.waitFor("only b's group, ?host=b", notVisible("hostrows-a")+" && "+visible("hostrows-b")+" && "+visible("row-web@b")+
		` && new URLSearchParams(location.search).get('host') === 'b'`)
	p.choose("host-filter", "")
	p.waitFor("both groups, no ?host=", visible("row-web@a")+" && "+visible("row-db@a")+" && "+visible("row-web@b")+
		` && !new URLSearchParams(location.search).has('host')`)
	if got := evalIn[string](p, `document.querySelector('#host-filter option:checked').textContent`); got != "All hosts" {
		t.Errorf("the host filter shows %q", got)
	}

	// The header's toggle collapses its host's group to the header alone,
	// and expands it again.
	toggle := "#hosthead-a .host-toggle"
	p.click(toggle)
	p.waitFor("a's group collapsed", `document.getElementById('hostrows-a').classList.contains('collapsed')`+
		` && document.querySelector(`+js(toggle)+`).getAttribute('aria-expanded') === 'false'`+
		" && "+visible("hosthead-a")+" && "+notVisible("row-web@a")+" && "+notVisible("row-db@a")+" && "+notVisible("empty-a")+
		" && "+visible("row-web@b"))
	// A collapsed group stays collapsed when the page fetches the table
	// again, as it does each time its live connection opens again.
	evalIn[chromedp.Void](p, `document.getElementById('rows').__beforeCut = true`)
	d.cutStreams()
	p.waitFor("the table fetched again once live again, a's group still collapsed", `document.getElementById('live').dataset.state === 'live'`+
		` && !document.getElementById('rows').__beforeCut && !document.getElementById('rows').hasAttribute('aria-busy')`+
		` && document.getElementById('hostrows-a').classList.contains('collapsed')`+" && "+notVisible("row-web@a")+
		` && document.querySelector(`+js(toggle)+`).getAttribute('aria-expanded') === 'false'`)
	p.click(toggle)
	p.waitFor("a's group expanded", `!document.getElementById('hostrows-a').classList.contains('collapsed')`+
		` && document.querySelector(`+js(toggle)+`).getAttribute('aria-expanded') === 'true'`+
		" && "+visible("row-web@a")+" && "+visible("row-db@a"))

	// A bulk action acts on the rows the operator sees: collapsing a
	// group drops its rows from the selection.
	p.click("#select-all")
	p.waitFor("3 selected", `document.getElementById('selected-count').textContent === '3 selected:'`)
	p.click(toggle)
	p.waitFor("a's rows no longer selected once collapsed", `document.getElementById('selected-count').textContent === '1 selected:'`+
		` && !document.getElementById('row-web@a:select').checked && !document.getElementById('row-db@a:select').checked`)
	if got := evalIn[[]string](p, `new FormData(document.getElementById('bulk')).getAll('name')`); !slices.Equal(got, []string{"b/web"}) {
		t.Errorf("with a's group collapsed the bulk form would act on %q, want [b/web]", got)
	}
	p.click(toggle)
	p.click("#" + cssID("row-web@b:select"))
	p.waitFor("nothing selected", `document.querySelectorAll('#rows input.select:checked').length === 0 && document.getElementById('bulk-stop').disabled`)

	// Host b goes down: its banner, its header and its rows say so, live;
	// host a's do not.
	eb.Fail("list", "*", fmt.Errorf("%w: dial unix /run/podboard-test/b/podman.sock: connect: connection refused", lifecycle.ErrUnreachable))
	if err := d.scan(t, "b"); err == nil {
		t.Fatal("host b's scan worked while its engine's List fails")
	}
	const since = `^host unreachable since (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d [A-Z+-][A-Za-z0-9+-]*$`
	p.waitFor("b's banner, header and rows marked", `!!document.querySelector('#scan-status-b [data-testid=scan-error][data-host=b]')`+
		` && /connection refused/.test(document.getElementById('scan-status-b').textContent)`+
		` && new RegExp(`+js(since)+`).test(document.getElementById('hosthead-b').dataset.down)`+
		" && "+hostMark("web@b", since))
	if evalIn[bool](p, `!!document.querySelector('[data-testid=scan-error][data-host=a]') || document.getElementById('scan-status-a').textContent.trim() !== ''`) {
		t.Errorf("host a has a banner while only b is down%s", p.dump())
	}
	for _, key := range []string{"web@a", "db@a"} {
		if !evalIn[bool](p, hostMark(key, "")) {
			t.Errorf("%s is marked while its host is up%s", key, p.dump())
		}
	}
	if n := evalIn[int](p, `document.querySelectorAll('[data-testid=scan-error]').length`); n != 1 {
		t.Errorf("%d banners, want b's alone", n)
	}
	p.screenshot("hosts")

	// Host b comes back: its banner and its marks go, live.
	eb.Fail("list", "*", nil)
	if err := d.scan(t, "b"); err != nil {
		t.Fatalf("host b's scan once it is back: %v", err)
	}
	p.waitFor("b's banner and marks gone", `!document.querySelector('[data-testid=scan-error]')`+
		` && !document.getElementById('hosthead-b').dataset.down && !document.querySelector('#hosthead-b [data-testid=host-status]')`+
		" && "+hostMark("web@b", ""))
	for _, key := range []string{"web@a", "db@a"} {
		if !evalIn[bool](p, hostMark(key, "")) {
			t.Errorf("%s is marked while its host is up%s", key, p.dump())
		}
	}

	// Select all, then one bulk stop across both hosts: each host's
	// containers stop on it, named HOST/NAME.
	p.click("#" + cssID("row-web@b:run"))
	p.waitFor("b's web running again", rowShows("web@b", "running", "Running", false))
	p.click("#select-all")
	p.waitFor("3 selected", `document.getElementById('selected-count').textContent === '3 selected:' && !document.getElementById('bulk-stop').disabled`)
	checked := evalIn[[]string](p, `Array.prototype.map.call(document.querySelectorAll('#rows input.select:checked'), function (b) { return b.value; })`)
	slices.Sort(checked)
	if want := []string{"a/db", "a/web", "b/web"}; !slices.Equal(checked, want) {
		t.Errorf("the selected checkboxes give %q, want %q", checked, want)
	}
	p.click("#bulk-stop")
	p.waitFor("every row stopped, the summary", rowShows("web@a", "stopped", "Stopped", false)+" && "+rowShows("db@a", "stopped", "Stopped", false)+
		" && "+rowShows("web@b", "stopped", "Stopped", false)+
		` && /Stop: 3 started, 0 refused/.test((document.querySelector('[data-testid=bulk-result]') || {}).textContent)`)
	started := webtest.Text(p.docOf("#flash").TestID("bulk-started"))
	for _, n := range []string{"a/db", "a/web", "b/web"} {
		if !strings.Contains(started, n) {
			t.Errorf("the bulk summary %q does not name %s", started, n)
		}
	}
	p.waitFor("the selection cleared", `document.querySelectorAll('#rows input.select:checked').length === 0 && document.getElementById('bulk-stop').disabled`)
	if got := ea.OpCalls(); !slices.Equal(sorted(got), []string{"stop db", "stop web"}) {
		t.Errorf("host a's engine was called %q, want its db and web stopped", got)
	}
	if got := eb.OpCalls(); !slices.Equal(got, []string{"stop web", "start web", "stop web"}) {
		t.Errorf("host b's engine was called %q, want its web stopped, started, stopped", got)
	}
	for _, c := range []struct {
		e    *fake.Engine
		name string
	}{{ea, "web"}, {ea, "db"}, {eb, "web"}} {
		if s := c.e.State(c.name); s != "exited" {
			t.Errorf("%s is %s after the bulk stop", c.name, s)
		}
	}
	p.assertNoDialogs()
	p.assertNotReloaded()
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
