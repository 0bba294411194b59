package handlers_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
)

func TestDismissClearsTheShownFailureAndNothingElse(t *testing.T) {
	for _, kind := range []string{htmx, plain, api} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, fake.Running("web"))
			e.engine.Fail(lifecycle.Stop, "web", errors.New("OCI runtime error: boom"))
			if r := e.post("/containers/web/stop", api); r.status != http.StatusAccepted {
				t.Fatalf("stop: %d %s", r.status, r.body)
			}
			e.waitIdle()
			before := e.container("web")
			if before.Error == "" {
				t.Fatal("the failure was not recorded")
			}

			r := e.post("/containers/web/dismiss", kind)
			switch kind {
			case htmx:
				if r.status != http.StatusOK || !strings.Contains(r.body, `id="row-web"`) || strings.Contains(r.body, "boom") {
					t.Fatalf("htmx dismiss: %d\n%s", r.status, r.body)
				}
			case plain:
				if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
					t.Fatalf("plain dismiss: %d %v", r.status, r.header)
				}
			case api:
				if r.status != http.StatusOK || !strings.Contains(r.body, `"error": ""`) {
					t.Fatalf("json dismiss: %d %s", r.status, r.body)
				}
			}
			after := e.container("web")
			if after.Error != "" || after.State != before.State {
				t.Fatalf("after dismiss: error %q state %q, want no error and state %q", after.Error, after.State, before.State)
			}
			if n := len(e.jobs()); n != 1 {
				t.Fatalf("%d jobs, want dismiss to add none", n)
			}
		})
	}
}

func TestDismissOfAnUnknownContainerIsNotFound(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	if r := e.post("/containers/ghost/dismiss", api); r.status != http.StatusNotFound {
		t.Fatalf("dismiss ghost: %d %s, want 404", r.status, r.body)
	}
	if r := e.post("/containers/bad%20name/dismiss", api); r.status != http.StatusBadRequest {
		t.Fatalf("dismiss with a bad name: %d %s, want 400", r.status, r.body)
	}
}

func TestHistoryListsOperationsWithTheirOutcome(t *testing.T) {
	e := newEnv(t, fake.Running("web"), fake.Exited("db"))
	e.engine.Fail(lifecycle.Start, "db", errors.New("port already in use"))
	e.post("/containers/web/stop", api)
	e.post("/containers/db/start", api)
	e.waitIdle()

	all := e.get("/history")
	if all.status != http.StatusOK {
		t.Fatalf("/history: %d", all.status)
	}
	for _, want := range []string{`data-outcome="succeeded"`, `data-outcome="failed"`, "port already in use", `href="/containers/web/history"`, "127.0.0.1"} {
		if !strings.Contains(all.body, want) {
			t.Errorf("/history lacks %q:\n%s", want, all.body)
		}
	}
	one := e.get("/containers/web/history")
	if one.status != http.StatusOK || strings.Contains(one.body, "port already in use") || !strings.Contains(one.body, "Operations on web") {
		t.Fatalf("/containers/web/history: %d\n%s", one.status, one.body)
	}
	none := e.get("/containers/quiet/history")
	if none.status != http.StatusOK || !strings.Contains(none.body, `data-testid="history-empty"`) {
		t.Fatalf("history of a container without operations: %d\n%s", none.status, none.body)
	}
	if r := e.get("/containers/bad%20name/history"); r.status != http.StatusBadRequest {
		t.Fatalf("history with a bad name: %d, want 400", r.status)
	}
}

func TestAnActionPostedFromAnotherSiteIsRefused(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	for _, h := range []struct{ name, value string }{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/containers/web/stop", nil)
		req.Header.Set(h.name, h.value)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("POST with %s: %s answered %d, want 403", h.name, h.value, resp.StatusCode)
		}
	}
	if c := e.container("web"); c.State != lifecycle.Running || len(e.jobs()) != 0 {
		t.Fatalf("a cross-site POST changed %+v", c)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/containers/web/stop", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin POST answered %d, want 303", resp.StatusCode)
	}
	e.waitIdle()
}
