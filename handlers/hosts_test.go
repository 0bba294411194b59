package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

// twoHosts is a dashboard of the hosts local and b, each with a running
// "web"; local also has "db".
func twoHosts(t *testing.T) *webtest.Env {
	return webtest.New(t, webtest.Containers(fake.Running("web"), fake.Running("db")),
		webtest.AlsoHost("b", fake.Running("web")))
}

func TestSeveralHostsActionsGoToTheHostTheRouteNames(t *testing.T) {
	e := twoHosts(t)
	r := e.Post("/hosts/b/containers/web/stop", webtest.JSON)
	if r.Status != http.StatusAccepted {
		t.Fatalf("stop b/web: %d %s", r.Status, r.Body)
	}
	if got := webtest.Decode[webtest.APIContainer](t, r).Host; got != "b" {
		t.Errorf("the answer's host = %q, want b", got)
	}
	ctx := context.Background()
	if err := e.Hosts["b"].Manager.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := e.DB.Host("b").Container(ctx, "web")
	if err != nil || b.State != lifecycle.Stopped {
		t.Errorf("b/web is %v (%v), want stopped", b.State, err)
	}
	if local := e.Container("web"); local.State != lifecycle.Running {
		t.Errorf("local/web is %s after a stop of b/web", local.State)
	}
}

func TestSeveralHostsRefuseWhatCannotNameAHost(t *testing.T) {
	e := twoHosts(t)
	for _, tt := range []struct {
		name, method, path string
		status             int
		says               string
	}{
		{"a route without a host", "POST", "/containers/web/stop", 404, "No such host: this dashboard has several hosts (local, b): name one, as in /hosts/local/containers/web/stop"},
		{"a page without a host", "GET", "/containers/web", 404, "several hosts"},
		{"an unknown host", "POST", "/hosts/c/containers/web/stop", 404, `No such host: \"c\" (the hosts are local, b)`},
		{"an invalid host", "POST", "/hosts/B_2/containers/web/stop", 400, "not a valid host name"},
		{"a container the host lacks", "POST", "/hosts/b/containers/db/stop", 404, "db"},
		{"an unknown host filter", "GET", "/?host=c", 400, `Bad request: host filter: no such host \"c\"`},
		{"logs of an unknown host", "GET", "/events?logs=web&host=c", 400, "no host"},
		{"logs naming no host", "GET", "/events?logs=web", 400, "several hosts"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Do(tt.method, tt.path, webtest.JSON)
			if r.Status != tt.status || !strings.Contains(r.Body, tt.says) {
				t.Errorf("%s %s: %d %s; want %d saying %q", tt.method, tt.path, r.Status, r.Body, tt.status, tt.says)
			}
		})
	}
	if c := e.Container("web"); c.State != lifecycle.Running || c.Busy() {
		t.Errorf("a refused request changed local/web: %+v", c)
	}
}

func TestSeveralHostsPageGroupsRowsByHost(t *testing.T) {
	e := twoHosts(t)
	d := e.Get("/").Doc()
	for _, tt := range []struct{ host, id string }{
		{"local", "row-web@local"}, {"local", "row-db@local"}, {"b", "row-web@b"},
	} {
		if d.Find(`#hostrows-`+tt.host+` [id="`+tt.id+`"]`).Length() != 1 {
			t.Errorf("no %s in host %s's group", tt.id, tt.host)
		}
	}
	if n := d.TestID("host-head").Length(); n != 2 {
		t.Errorf("%d host headers, want 2", n)
	}
	if got, ok := d.Find(`[id="row-web@b:run"]`).Closest("form").Attr("hx-post"); !ok || got != "/hosts/b/containers/web/stop" {
		t.Errorf("b/web's stop posts to %q", got)
	}
	if got, _ := d.Find(`[id="row-web@b"] input.select`).Attr("value"); got != "b/web" {
		t.Errorf("b/web's checkbox value = %q, want b/web", got)
	}
	// The host filter hides the other hosts' groups, without JavaScript.
	d = e.Get("/?host=b").Doc()
	if _, hidden := d.Find("#hostrows-local").Attr("hidden"); !hidden {
		t.Errorf("?host=b shows local's group")
	}
	if _, hidden := d.Find("#hostrows-b").Attr("hidden"); hidden {
		t.Errorf("?host=b hides b's group")
	}
	// The API lists every host's containers, or one host's.
	if n := len(e.API()); n != 3 {
		t.Errorf("/api/containers lists %d, want 3", n)
	}
	cs := webtest.Decode[[]webtest.APIContainer](t, e.Do("GET", "/api/containers?host=b", webtest.JSON))
	if len(cs) != 1 || cs[0].Host != "b" || cs[0].Name != "web" {
		t.Errorf("/api/containers?host=b = %+v", cs)
	}
}

func TestSeveralHostsBulkNamesHostAndContainer(t *testing.T) {
	e := twoHosts(t)
	r := e.PostForm("/bulk", webtest.JSON, url.Values{"op": {"stop"}, "name": {"local/web", "b/web", "b/nosuch"}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("bulk stop: %d %s", r.Status, r.Body)
	}
	for _, want := range []string{`"b/nosuch"`, `"host": "b"`, `"host": "local"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the bulk answer lacks %s:\n%s", want, r.Body)
		}
	}
	ctx := context.Background()
	_ = e.Manager.Wait(ctx)
	_ = e.Hosts["b"].Manager.Wait(ctx)
	if c, _ := e.DB.Host("b").Container(ctx, "web"); c.State != lifecycle.Stopped {
		t.Errorf("b/web is %s after the bulk stop", c.State)
	}
	if c := e.Container("db"); c.State != lifecycle.Running {
		t.Errorf("local/db, not named, is %s", c.State)
	}
	// A name without its host, or with an unknown one, refuses the whole
	// request and changes nothing.
	for _, bad := range []string{"db", "c/db"} {
		r := e.PostForm("/bulk", webtest.JSON, url.Values{"op": {"stop"}, "name": {"local/db", bad}})
		if r.Status != http.StatusBadRequest {
			t.Errorf("bulk with %q: %d %s", bad, r.Status, r.Body)
		}
	}
	if c := e.Container("db"); c.State != lifecycle.Running || c.Busy() {
		t.Errorf("a refused bulk changed local/db: %+v", c)
	}
}

func TestSeveralHostsADownHostIsMarkedOnItsOwn(t *testing.T) {
	e := twoHosts(t)
	e.Hosts["b"].Engine.Down(lifecycle.ErrUnreachable)
	if _, err := e.Hosts["b"].Manager.Scan(context.Background()); err == nil {
		t.Fatal("the scan of a failing host worked")
	}
	d := e.Get("/").Doc()
	if n := d.Find(`[data-testid=scan-error][data-host=b]`).Length(); n != 1 {
		t.Errorf("b's banner: %d", n)
	}
	if n := d.Find(`[data-testid=scan-error][data-host=local]`).Length(); n != 0 {
		t.Errorf("local has a banner while only b is down")
	}
	if mark := d.Find(`[id="row-web@b"] [data-testid=host-unreachable]`).Text(); !strings.HasPrefix(strings.TrimSpace(mark), "host unreachable since ") {
		t.Errorf("b/web is marked %q", mark)
	}
	if _, hidden := d.Find(`[id="row-web@local"] [data-testid=host-unreachable]`).Attr("hidden"); !hidden {
		t.Errorf("local/web is marked while local is up")
	}
	if r := e.Post("/hosts/local/containers/web/stop", webtest.JSON); r.Status != http.StatusAccepted {
		t.Errorf("a stop on local while b is down: %d %s", r.Status, r.Body)
	}
}

func TestSeveralHostsContainerPagesAndHistoryNameTheHost(t *testing.T) {
	e := twoHosts(t)
	if r := e.Post("/hosts/b/containers/web/stop", webtest.JSON); r.Status != http.StatusAccepted {
		t.Fatalf("stop b/web: %d %s", r.Status, r.Body)
	}
	if err := e.Hosts["b"].Manager.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := e.Get("/hosts/b/containers/web")
	if r.Status != http.StatusOK {
		t.Fatalf("b/web's page: %d %s", r.Status, r.Body)
	}
	d := r.Doc()
	if got := strings.TrimSpace(d.Text("container-host")); got != "on b" {
		t.Errorf("b/web's page says %q, want on b", got)
	}
	if got, _ := d.Find("main").Attr("sse-connect"); got != "/events?stream=containers&logs=web&host=b" {
		t.Errorf("b/web's page connects to %q", got)
	}
	if d.Find(`#empty-b.empty`).Length() != 1 {
		t.Errorf("b/web's page has no #empty-b: a row inserted again (the container recreated) would find no place")
	}
	if got, _ := d.Find("main").Attr("data-row-url"); got != "/hosts/b/containers/web/row" {
		t.Errorf("b/web's page fetches its row from %q", got)
	}
	if r := e.Get("/hosts/b/containers/web/row"); r.Status != http.StatusOK || !strings.Contains(r.Body, `id="row-web@b"`) {
		t.Errorf("b/web's row: %d %s", r.Status, r.Body)
	}
	if r := e.Get("/hosts/b/containers/web/logs.txt"); r.Status != http.StatusOK {
		t.Errorf("b/web's logs: %d %s", r.Status, r.Body)
	}

	// The history of every host names each container with its host; a
	// host's history only its own.
	all := e.Get("/history").Body
	if !strings.Contains(all, "b/web") || !strings.Contains(all, `href="/hosts/b/containers/web/history"`) {
		t.Errorf("/history lacks b/web's stop:\n%s", all)
	}
	if r := e.Get("/hosts/local/history"); r.Status != http.StatusOK || strings.Contains(r.Body, "b/web") {
		t.Errorf("/hosts/local/history: %d, lists b/web: %v", r.Status, strings.Contains(r.Body, "b/web"))
	}
	if r := e.Get("/hosts/b/containers/web/history"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Operations on web on b") {
		t.Errorf("/hosts/b/containers/web/history: %d", r.Status)
	}
}

func TestOneHostKeepsItsRoutesAndAcceptsItsHostsToo(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web")))
	if r := e.Post("/hosts/local/containers/web/stop", webtest.JSON); r.Status != http.StatusAccepted {
		t.Fatalf("stop local/web by its host route: %d %s", r.Status, r.Body)
	}
	if err := e.Manager.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := e.Get("/").Doc()
	if d.Find(`[id="row-web"]`).Length() != 1 || d.TestID("host-head").Length() != 0 {
		t.Errorf("a dashboard of one host shows host groups, or lost row-web")
	}
	if got, _ := d.Find(`[id="row-web:run"]`).Closest("form").Attr("hx-post"); got != "/containers/web/start" {
		t.Errorf("web's start posts to %q", got)
	}
	if r := e.Post("/hosts/nas/containers/web/start", webtest.JSON); r.Status != http.StatusNotFound {
		t.Errorf("a host that is not there: %d", r.Status)
	}
}
