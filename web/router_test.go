package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"podboard/db"
	"podboard/handlers"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web"
)

// newRouterServer serves the real router over a real SQLite file and a
// fake engine holding one running container, web.
func newRouterServer(t *testing.T) *httptest.Server {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "podboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	hub := web.NewHub(logger)
	m := lifecycle.NewManager(lifecycle.Config{Store: store, Engine: fake.New(fake.Running("web")), Notifier: hub, Logger: logger})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.Wait(ctx); err != nil {
			t.Errorf("jobs still running: %v", m.Running())
		}
	})
	if _, err := m.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.Router(handlers.New(m, "unix:///test.sock", logger), hub, logger))
	t.Cleanup(srv.Close)
	t.Cleanup(hub.Close)
	return srv
}

func TestRouterServesStaticFilesPagesAndRejectsTheRest(t *testing.T) {
	srv := newRouterServer(t)
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string // prefix; "" to skip
		body        string // substring; "" to skip
	}{
		{"htmx is served as JavaScript", "GET", "/static/vendor/htmx.min.js", 200, "text/javascript", "htmx"},
		{"the SSE extension is served", "GET", "/static/vendor/sse.js", 200, "text/javascript", "sse"},
		{"the page script is served", "GET", "/static/js/app.js", 200, "text/javascript", ""},
		{"the stylesheet is served as CSS", "GET", "/static/css/app.css", 200, "text/css", ""},
		{"CSS build inputs are not served", "GET", "/static/css/input.css", 404, "", ""},
		{"a missing asset is not found", "GET", "/static/vendor/missing.js", 404, "", ""},
		{"the page", "GET", "/", 200, "text/html", `id="row-web"`},
		{"the rows", "GET", "/rows", 200, "text/html", `<div id="rows"`},
		{"the API", "GET", "/api/containers", 200, "application/json", `"name": "web"`},
		{"health", "GET", "/healthz", 200, "", "ok"},
		{"an unknown path is not found", "GET", "/nope", 404, "", ""},
		{"an unknown API path is not found", "GET", "/api/nope", 404, "", ""},
		{"an operation without its container is not found", "POST", "/containers/stop", 404, "", ""},
		{"GET on an operation is not allowed", "GET", "/containers/web/stop", 405, "", ""},
		{"POST on the page is not allowed", "POST", "/", 405, "", ""},
		{"DELETE on the API is not allowed", "DELETE", "/api/containers", 405, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body:\n%.300s", resp.StatusCode, tt.status, b)
			}
			if ct := resp.Header.Get("Content-Type"); tt.contentType != "" && !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.contentType)
			}
			if tt.body != "" && !strings.Contains(string(b), tt.body) {
				t.Errorf("body lacks %q:\n%.300s", tt.body, b)
			}
			if tt.status == 200 && strings.HasPrefix(tt.path, "/static/") {
				if len(b) == 0 {
					t.Errorf("empty asset")
				}
				if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=300" {
					t.Errorf("Cache-Control = %q, want public, max-age=300", cc)
				}
			}
			if tt.status == 405 && resp.Header.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
		})
	}
}

func TestRouterServesTheLiveFeedAtEvents(t *testing.T) {
	srv := newRouterServer(t)
	c := connect(t, srv, "/events")
	if ct := c.resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	// An operation through the router reaches the open stream.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/containers/web/stop", nil)
	req.Header.Set("HX-Request", "true")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stop: status %d, want 200", resp.StatusCode)
	}
	var states []string
	for len(states) < 2 {
		ev := c.next(t)
		if !strings.Contains(ev.data, `id="row-web"`) || !strings.Contains(ev.data, `hx-swap-oob="true"`) {
			t.Fatalf("event is not web's row swapped out of band:\n%s", ev.data)
		}
		for _, s := range []string{"stopping", "stopped"} {
			if strings.Contains(ev.data, `data-state="`+s+`"`) {
				states = append(states, s)
			}
		}
	}
	if strings.Join(states, ",") != "stopping,stopped" {
		t.Errorf("live states = %v, want stopping then stopped", states)
	}
}
