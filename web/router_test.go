package web_test

import (
	"net/http"
	"strings"
	"testing"

	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

// newRouterServer serves the real router over a real SQLite file and a
// fake engine holding one running container, web.
func newRouterServer(t *testing.T) *webtest.Env {
	t.Helper()
	return webtest.New(t, webtest.Containers(fake.Running("web")))
}

func TestRouterServesStaticFilesPagesAndRejectsTheRest(t *testing.T) {
	e := newRouterServer(t)
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string                                 // prefix; "" to skip
		check       func(t *testing.T, r webtest.Response) // nil to skip
	}{
		{"htmx is served as JavaScript", "GET", "/static/vendor/htmx.min.js", 200, "text/javascript", contains("htmx")},
		{"the SSE extension is served", "GET", "/static/vendor/sse.js", 200, "text/javascript", contains("sse")},
		{"the page script is served", "GET", "/static/js/app.js", 200, "text/javascript", nil},
		{"the stylesheet is served as CSS", "GET", "/static/css/app.css", 200, "text/css", nil},
		{"CSS build inputs are not served", "GET", "/static/css/input.css", 404, "", nil},
		{"a missing asset is not found", "GET", "/static/vendor/missing.js", 404, "", nil},
		{"the page", "GET", "/", 200, "text/html", func(t *testing.T, r webtest.Response) {
			if d := r.Doc(); !d.IsPage() || d.Row("web").State() != "running" {
				t.Errorf("the page does not list web running:\n%.300s", r.Body)
			}
		}},
		{"the rows", "GET", "/rows", 200, "text/html", func(t *testing.T, r webtest.Response) {
			if top := r.Doc().Top(); top.Length() != 1 || !top.Is("#rows") {
				t.Errorf("answer is not #rows alone:\n%.300s", r.Body)
			}
		}},
		{"the API", "GET", "/api/containers", 200, "application/json", func(t *testing.T, r webtest.Response) {
			if cs := webtest.Decode[[]webtest.APIContainer](t, r); len(cs) != 1 || cs[0].Name != "web" {
				t.Errorf("API lists %+v, want web", cs)
			}
		}},
		{"health", "GET", "/healthz", 200, "", contains("ok")},
		{"an unknown path is not found", "GET", "/nope", 404, "", nil},
		{"an unknown API path is not found", "GET", "/api/nope", 404, "", nil},
		{"a POST to a container's page is not allowed", "POST", "/containers/stop", 405, "", nil},
		{"GET on an operation is not allowed", "GET", "/containers/web/stop", 405, "", nil},
		{"POST on the page is not allowed", "POST", "/", 405, "", nil},
		{"DELETE on the API is not allowed", "DELETE", "/api/containers", 405, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Do(tt.method, tt.path, webtest.Page)
			if r.Status != tt.status {
				t.Fatalf("status = %d, want %d; body:\n%.300s", r.Status, tt.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); tt.contentType != "" && !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.contentType)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			if tt.status == 200 && strings.HasPrefix(tt.path, "/static/") {
				if r.Body == "" {
					t.Errorf("empty asset")
				}
				if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=300" {
					t.Errorf("Cache-Control = %q, want public, max-age=300", cc)
				}
			}
			if tt.status == 405 && r.Header.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
		})
	}
}

// contains checks that a body (a script, a plain text) contains s.
func contains(s string) func(t *testing.T, r webtest.Response) {
	return func(t *testing.T, r webtest.Response) {
		t.Helper()
		if !strings.Contains(r.Body, s) {
			t.Errorf("body lacks %q:\n%.300s", s, r.Body)
		}
	}
}

func TestRouterServesTheLiveFeedAtEvents(t *testing.T) {
	e := newRouterServer(t)
	feed := e.Subscribe()
	if ct := feed.Response().Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	// An operation through the router reaches the open stream: web's row,
	// swapped out of band, first stopping then stopped.
	if r := e.Post("/containers/web/stop", webtest.HTMX); r.Status != http.StatusOK {
		t.Fatalf("stop: status %d, want 200", r.Status)
	}
	i, _ := feed.Next(0, "web's row stopping", webtest.IsRow("web", "stopping"))
	feed.Next(i+1, "web's row stopped after stopping", webtest.IsRow("web", "stopped"))
	for _, ev := range feed.Events() {
		if ev.Data == "" {
			continue
		}
		if r, ok := webtest.PushedRow(ev, "web"); !ok || r.OOB() != "true" {
			t.Errorf("event is not web's row swapped out of band:\n%s", ev.Data)
		}
	}
}

// Pages travel gzipped to a client that takes it; the live feed never,
// since a compressor would hold its events, nor an action's answer.
func TestPagesAreGzippedAndTheLiveFeedIsNot(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web")))
	for _, path := range []string{"/", "/api/containers", "/static/js/app.js"} {
		req := e.NewRequest(http.MethodGet, path, webtest.Page)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
			t.Errorf("GET %s: Content-Encoding %q, want gzip", path, got)
		}
	}
	req := e.NewRequest(http.MethodGet, "/events", webtest.Page)
	req.Header.Set("Accept-Encoding", "gzip")
	feed := webtest.SubscribeRequest(t, http.DefaultClient, req)
	defer feed.Close()
	if got := feed.Response().Header.Get("Content-Encoding"); got != "" {
		t.Errorf("the live feed is sent with Content-Encoding %q", got)
	}
	// An action's answer is one row: it goes as it is, at once.
	post := e.NewRequest(http.MethodPost, "/containers/web/stop", webtest.HTMX)
	post.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(post)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("POST stop: %d, Content-Encoding %q; want 200 uncompressed", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	feed.Next(0, "web stopping, pushed", webtest.IsRow("web", "stopping"))
}
