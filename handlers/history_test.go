package handlers_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

func TestDismissClearsTheShownFailureAndNothingElse(t *testing.T) {
	for _, kind := range []webtest.Kind{htmx, plain, api} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, fake.Running("web"))
			e.Engine.Fail(lifecycle.Stop, "web", errors.New("OCI runtime error: boom"))
			if r := e.Post("/containers/web/stop", api); r.Status != http.StatusAccepted {
				t.Fatalf("stop: %d %s", r.Status, r.Body)
			}
			e.WaitIdle()
			before := e.Container("web")
			if before.Error == "" {
				t.Fatal("the failure was not recorded")
			}

			r := e.Post("/containers/web/dismiss", kind)
			switch kind {
			case htmx:
				if r.Status != http.StatusOK {
					t.Fatalf("htmx dismiss: %d\n%s", r.Status, r.Body)
				}
				row := assertRow(t, r, "web", "running", false)
				if row.HasError() || strings.Contains(webtest.Text(row.Selection), "boom") {
					t.Fatalf("the dismissed row still shows the failure:\n%s", row.HTML())
				}
			case plain:
				if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
					t.Fatalf("plain dismiss: %d %v", r.Status, r.Header)
				}
			case api:
				if r.Status != http.StatusOK {
					t.Fatalf("json dismiss: %d %s", r.Status, r.Body)
				}
				if c := webtest.Decode[webtest.APIContainer](t, r); c.Name != "web" || c.Error != "" {
					t.Fatalf("json dismiss answered %+v, want web without error", c)
				}
			}
			after := e.Container("web")
			if after.Error != "" || after.State != before.State {
				t.Fatalf("after dismiss: error %q state %q, want no error and state %q", after.Error, after.State, before.State)
			}
			if n := len(e.Jobs()); n != 1 {
				t.Fatalf("%d jobs, want dismiss to add none", n)
			}
		})
	}
}

func TestDismissOfAnUnknownContainerIsNotFound(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	if r := e.Post("/containers/ghost/dismiss", api); r.Status != http.StatusNotFound {
		t.Fatalf("dismiss ghost: %d %s, want 404", r.Status, r.Body)
	}
	if r := e.Post("/containers/bad%20name/dismiss", api); r.Status != http.StatusBadRequest {
		t.Fatalf("dismiss with a bad name: %d %s, want 400", r.Status, r.Body)
	}
}

// historyJob is one operation as the history page lists it.
type historyJob struct {
	outcome string // data-outcome
	text    string // what the row says: when, op, container, origin, duration, outcome, error
	link    string // the container's history link
}

func historyJobs(d *webtest.Doc) []historyJob {
	var out []historyJob
	d.TestID("job").Each(func(_ int, s *goquery.Selection) {
		outcome, _ := s.Attr("data-outcome")
		link, _ := s.Find("a[href]").Attr("href")
		out = append(out, historyJob{outcome: outcome, text: webtest.Text(s), link: link})
	})
	return out
}

func TestHistoryListsOperationsWithTheirOutcome(t *testing.T) {
	e := newEnv(t, fake.Running("web"), fake.Exited("db"))
	e.Engine.Fail(lifecycle.Start, "db", errors.New("port already in use"))
	e.Post("/containers/web/stop", api)
	e.Post("/containers/db/start", api)
	e.WaitIdle()

	all := e.Get("/history")
	if all.Status != http.StatusOK {
		t.Fatalf("/history: %d", all.Status)
	}
	jobs := historyJobs(all.Doc())
	if len(jobs) != 2 {
		t.Fatalf("/history lists %d operations, want 2:\n%s", len(jobs), all.Body)
	}
	byOutcome := map[string]historyJob{}
	for _, j := range jobs {
		byOutcome[j.outcome] = j
	}
	stop, start := byOutcome["succeeded"], byOutcome["failed"]
	if stop.link != "/containers/web/history" || !strings.Contains(stop.text, "stop") || !strings.Contains(stop.text, "127.0.0.1") {
		t.Errorf("the succeeded stop of web reads %q, links %q", stop.text, stop.link)
	}
	if start.link != "/containers/db/history" || !strings.Contains(start.text, "port already in use") {
		t.Errorf("the failed start of db reads %q, links %q", start.text, start.link)
	}

	one := e.Get("/containers/web/history")
	d := one.Doc()
	if one.Status != http.StatusOK || webtest.Text(d.Find("h2")) != "Operations on web" {
		t.Fatalf("/containers/web/history: %d\n%s", one.Status, one.Body)
	}
	if jobs := historyJobs(d); len(jobs) != 1 || jobs[0].outcome != "succeeded" || strings.Contains(jobs[0].text, "port already in use") {
		t.Errorf("web's history = %+v, want its stop alone", jobs)
	}
	none := e.Get("/containers/quiet/history")
	if none.Status != http.StatusOK || none.Doc().TestID("history-empty").Length() != 1 {
		t.Fatalf("history of a container without operations: %d\n%s", none.Status, none.Body)
	}
	if r := e.Get("/containers/bad%20name/history"); r.Status != http.StatusBadRequest {
		t.Fatalf("history with a bad name: %d, want 400", r.Status)
	}
}

func TestAnActionPostedFromAnotherSiteIsRefused(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	for _, h := range []struct{ name, value string }{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		req := e.NewRequest(http.MethodPost, "/containers/web/stop", plain)
		req.Header.Set(h.name, h.value)
		if r := e.Send(req); r.Status != http.StatusForbidden {
			t.Fatalf("POST with %s: %s answered %d, want 403", h.name, h.value, r.Status)
		}
	}
	if c := e.Container("web"); c.State != lifecycle.Running || len(e.Jobs()) != 0 {
		t.Fatalf("a cross-site POST changed %+v", c)
	}
	req := e.NewRequest(http.MethodPost, "/containers/web/stop", plain)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if r := e.Send(req); r.Status != http.StatusSeeOther {
		t.Fatalf("same-origin POST answered %d, want 303", r.Status)
	}
	e.WaitIdle()
}
