package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

func bulkForm(op string, names ...string) url.Values {
	return url.Values{"op": {op}, "name": names}
}

// apiBulk is the JSON answer of POST /bulk.
type apiBulk struct {
	Op      string                         `json:"op"`
	Started []webtest.APIContainer         `json:"started"`
	Refused []struct{ Name, Error string } `json:"refused"`
}

func TestABulkStopGivesEveryContainerItsOwnStateAndJobAndSaysWhatItRefused(t *testing.T) {
	e := newEnv(t, fake.Running("a"), fake.Running("b"), fake.Exited("c"))
	e.Hold(lifecycle.Stop, "a")
	e.Hold(lifecycle.Stop, "b")
	r := e.PostForm("/bulk", api, bulkForm("stop", "a", "b", "c", "nosuch", "a"))
	if r.Status != http.StatusAccepted {
		t.Fatalf("status %d, want 202:\n%s", r.Status, r.Body)
	}
	out := webtest.Decode[apiBulk](t, r)
	var started []string
	for _, c := range out.Started {
		started = append(started, c.Name)
		if c.State != "stopping" || c.Job == nil || c.Job.Op != "stop" {
			t.Errorf("started %s: %+v, want stopping with its stop job", c.Name, c)
		}
	}
	if !slices.Equal(started, []string{"a", "b"}) {
		t.Errorf("started %v, want [a b] (a repeated name counts once)", started)
	}
	refused := map[string]string{}
	for _, f := range out.Refused {
		refused[f.Name] = f.Error
	}
	if len(refused) != 2 || !strings.Contains(refused["c"], "stopped") || !strings.Contains(refused["nosuch"], "No such container") {
		t.Errorf("refused %q, want c (already stopped) and nosuch (unknown)", refused)
	}
	// Each has a job of its own, running while Podman works.
	a, b := e.Container("a"), e.Container("b")
	if !a.Busy() || !b.Busy() || a.JobID == b.JobID {
		t.Errorf("jobs: a %d, b %d; want two running jobs", a.JobID, b.JobID)
	}
	e.WaitCall("stop a")
	e.WaitCall("stop b")
}

func TestABulkActionAnswersEachClient(t *testing.T) {
	tests := []struct {
		kind  webtest.Kind
		check func(t *testing.T, e *webtest.Env, r response)
	}{
		{htmx, func(t *testing.T, e *webtest.Env, r response) {
			d := r.Doc()
			if r.Status != http.StatusAccepted || d.IsPage() {
				t.Fatalf("status %d, want 202 with fragments:\n%s", r.Status, r.Body)
			}
			for name, state := range map[string]string{"a": "restarting", "c": "stopped"} {
				row := d.Row(name)
				if row.OOB() != "true" || row.State() != state {
					t.Errorf("row %s: oob %q state %q, want an out-of-band %s row", name, row.OOB(), row.State(), state)
				}
			}
			if n := d.Row("c").Notice(); !strings.Contains(n, "restart") {
				t.Errorf("the refused row does not say why: %q", n)
			}
			if !d.Has("#flash[hx-swap-oob]") || !strings.Contains(d.Text("bulk-result"), "Restart: 1 started, 1 refused") {
				t.Errorf("summary:\n%s", r.Body)
			}
		}},
		{plain, func(t *testing.T, e *webtest.Env, r response) {
			// Post, redirect, get: a reload does not post it again.
			loc := r.Header.Get("Location")
			if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/?bulk=") {
				t.Fatalf("status %d to %q, want 303 to the page with the summary", r.Status, loc)
			}
			d := e.Get(loc).Doc()
			if !d.IsPage() {
				t.Fatalf("not the page")
			}
			if got := d.Text("bulk-started"); got != "Started: a" {
				t.Errorf("started %q", got)
			}
			if got := d.Text("bulk-refused"); !strings.HasPrefix(got, "c:") {
				t.Errorf("refused %q", got)
			}
			if d.Row("a").State() != "restarting" {
				t.Errorf("the page does not show a restarting")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			e := newEnv(t, fake.Running("a"), fake.Exited("c"))
			e.Hold(lifecycle.Restart, "a")
			tt.check(t, e, e.PostForm("/bulk", tt.kind, bulkForm("restart", "a", "c")))
			e.WaitCall("restart a")
		})
	}
}

func TestABulkActionOnNothingPossibleSaysWhy(t *testing.T) {
	e := newEnv(t, fake.Exited("a"), fake.Exited("b"))
	r := e.PostForm("/bulk", api, bulkForm("stop", "a", "b"))
	if r.Status != http.StatusConflict {
		t.Fatalf("status %d, want 409: %s", r.Status, r.Body)
	}
	if out := webtest.Decode[apiBulk](t, r); len(out.Started) != 0 || len(out.Refused) != 2 {
		t.Errorf("answer %+v", out)
	}
	if r := e.PostForm("/bulk", api, bulkForm("stop", "x", "y")); r.Status != http.StatusNotFound {
		t.Errorf("only unknown containers: status %d, want 404", r.Status)
	}
}

func TestBadBulkInputChangesNothing(t *testing.T) {
	tooMany := make([]string, lifecycle.MaxBulk+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("c%d", i)
	}
	tests := map[string]url.Values{
		"no container":      bulkForm("stop"),
		"no operation":      bulkForm("", "a"),
		"unknown operation": bulkForm("rm", "a"),
		"a bad name":        bulkForm("stop", "a", "../b"),
		"too many":          bulkForm("stop", tooMany...),
	}
	for what, form := range tests {
		t.Run(what, func(t *testing.T) {
			e := newEnv(t, fake.Running("a"))
			r := e.PostForm("/bulk", api, form)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
			}
			if c := e.Container("a"); c.Busy() || c.State != lifecycle.Running {
				t.Errorf("a changed: %+v", c)
			}
			if jobs := e.Jobs(); len(jobs) != 0 {
				t.Errorf("jobs %+v", jobs)
			}
		})
	}
}

func TestABulkForceStopEndsTheStopsInFlight(t *testing.T) {
	e := newEnv(t, fake.Running("a"), fake.Running("b"))
	e.Hold(lifecycle.Stop, "a")
	e.Post("/containers/a/stop", api)
	e.WaitCall("stop a")
	r := e.PostForm("/bulk", api, bulkForm("kill", "a", "b"))
	if r.Status != http.StatusAccepted {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if out := webtest.Decode[apiBulk](t, r); len(out.Started) != 2 {
		t.Errorf("started %+v, want both", out)
	}
	e.WaitIdle()
	for _, name := range []string{"a", "b"} {
		if c := e.Container(name); c.State != lifecycle.Stopped {
			t.Errorf("%s: %s, want stopped", name, c.State)
		}
	}
	var outcomes []string
	for _, j := range e.JobsOf("a") {
		outcomes = append(outcomes, string(j.Op)+" "+string(j.Outcome))
	}
	slices.Sort(outcomes)
	if !slices.Equal(outcomes, []string{"kill succeeded", "stop force-stopped"}) {
		t.Errorf("jobs of a: %v", outcomes)
	}
}

func TestThePageOffersTheBulkActionsAndASelectionPerRow(t *testing.T) {
	e := newEnv(t, fake.Running("a"))
	d := e.Get("/").Doc()
	form := d.Find("form#bulk")
	if action, _ := form.Attr("action"); action != "/bulk" {
		t.Fatalf("no bulk form posting to /bulk:\n%s", d.HTML())
	}
	var ops []string
	form.Find("button[name=op]").Each(func(_ int, b *goquery.Selection) { ops = append(ops, b.AttrOr("value", "")) })
	if !slices.Equal(ops, []string{"start", "stop", "restart", "kill"}) {
		t.Errorf("bulk operations %v", ops)
	}
	box := d.Row("a").Find("input[type=checkbox][name=name]")
	if box.AttrOr("form", "") != "bulk" || box.AttrOr("value", "") != "a" {
		t.Errorf("row checkbox: %s", d.Row("a").HTML())
	}
}

// The bulk form may carry MaxBulk of Podman's longest names, beyond the
// 8 KiB of every other form, and no more than its own limit.
func TestTheBulkFormHasABodyLimitOfItsOwn(t *testing.T) {
	e := newEnv(t, fake.Running("a"))
	long := make([]string, lifecycle.MaxBulk)
	for i := range long {
		long[i] = fmt.Sprintf("%s-%03d", strings.Repeat("n", 240), i)
	}
	if r := e.PostForm("/bulk", api, bulkForm("stop", long...)); r.Status != http.StatusNotFound {
		t.Errorf("%d long names: status %d, want 404 (none exists): %.300s", len(long), r.Status, r.Body)
	}
	huge := url.Values{"op": {"stop"}, "name": {"a"}, "pad": {strings.Repeat("x", 70<<10)}}
	if r := e.PostForm("/bulk", api, huge); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 70 KiB form: status %d, want 413", r.Status)
	}
	if c := e.Container("a"); c.Busy() {
		t.Errorf("a changed: %+v", c)
	}
}

func TestAGoneBulkSummarySaysSo(t *testing.T) {
	e := newEnv(t, fake.Running("a"))
	if got := e.Get("/?bulk=nosuch").Doc().Flash(); !strings.Contains(got, "summary is gone") {
		t.Errorf("flash %q", got)
	}
}
