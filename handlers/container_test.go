package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

func TestAContainersPageShowsItsRowDetailsAndHistory(t *testing.T) {
	e := newEnv(t, fake.Running("web"), fake.Running("other"))
	e.Post("/containers/web/restart", api)
	e.WaitIdle()
	r := e.Get("/containers/web")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d:\n%s", r.Status, r.Body)
	}
	d := r.Doc()
	if row := d.Row("web"); row.State() != "running" || len(row.Buttons()) == 0 {
		t.Errorf("the page's row:\n%s", row.HTML())
	}
	if _, ok := d.FindRow("other"); ok {
		t.Errorf("another container's row on web's page")
	}
	for _, fact := range []string{"Image", "Container ID", "Restart policy", "Stop signal and timeout", "Command", "Ports", "Mounts", "Networks", "Labels"} {
		if d.Find(`[data-fact="`+fact+`"]`).Length() != 1 {
			t.Errorf("no %q in the details", fact)
		}
	}
	if got := webtest.Text(d.Find(`[data-fact="Stop signal and timeout"] dd`)); got != "SIGTERM, then SIGKILL after 10 s" {
		t.Errorf("stop signal and timeout %q", got)
	}
	if jobs := d.TestID("job"); jobs.Length() != 1 || !strings.Contains(webtest.Text(jobs), "restart") {
		t.Errorf("history: %q", webtest.Text(jobs))
	}
	if sse := d.Find("#main").AttrOr("sse-connect", ""); sse != "/events?stream=containers&logs=web" {
		t.Errorf("the page's live connection is %q, want one carrying rows and logs", sse)
	}
	// The table links each row to its page.
	if href := e.Get("/").Doc().Row("web").TestID("name").AttrOr("href", ""); href != "/containers/web" {
		t.Errorf("the row's name links to %q", href)
	}
	for path, want := range map[string]int{"/containers/nosuch": 404, "/containers/bad%20name": 400} {
		if r := e.Get(path); r.Status != want {
			t.Errorf("GET %s: %d, want %d", path, r.Status, want)
		}
	}
}

func TestAContainersPageSaysWhyDetailsAreMissingWhenPodmanHangs(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	release := e.Hold("inspect", "web")
	defer release()
	r := e.Get("/containers/web")
	if r.Status != http.StatusOK || !strings.Contains(r.Doc().Text("details-error"), "Podman did not describe web") {
		t.Errorf("status %d, details error %q", r.Status, r.Doc().Text("details-error"))
	}
	if r.Doc().Row("web").State() != "running" {
		t.Errorf("no row while Podman hangs")
	}
}

func TestLogsTextStreamsTheLastLinesOrAll(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	for i := range 5 {
		e.Engine.Log("web", lifecycle.Stdout, fmt.Sprintf("line %d", i))
	}
	e.Engine.Log("web", lifecycle.Stderr, "oops \x1b[31mred\x1b[0m")
	tests := map[string]string{
		"":          "line 0\nline 1\nline 2\nline 3\nline 4\noops \x1b[31mred\x1b[0m\n",
		"?tail=2":   "line 4\noops \x1b[31mred\x1b[0m\n",
		"?tail=all": "line 0\nline 1\nline 2\nline 3\nline 4\noops \x1b[31mred\x1b[0m\n",
		"?tail=0":   "",
	}
	for q, want := range tests {
		r := e.Get("/containers/web/logs.txt" + q)
		if r.Status != http.StatusOK || r.Body != want || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("logs.txt%s: %d %q %q, want %q", q, r.Status, r.Header.Get("Content-Type"), r.Body, want)
		}
	}
	if r := e.Get("/containers/web/logs.txt?tail=2&timestamps=true"); !strings.Contains(r.Body, "Z line 4\n") {
		t.Errorf("with timestamps: %q", r.Body)
	}
	for _, bad := range []string{"?tail=-1", "?tail=many", "?tail=99999999", "?timestamps=maybe"} {
		if r := e.Get("/containers/web/logs.txt" + bad); r.Status != http.StatusBadRequest {
			t.Errorf("logs.txt%s: %d, want 400", bad, r.Status)
		}
	}
	if r := e.Get("/containers/nosuch/logs.txt"); r.Status != http.StatusNotFound {
		t.Errorf("logs of an unknown container: %d", r.Status)
	}
}

// The live connection of a container's page carries its last lines and
// then the new ones, stdout and stderr told apart, as escaped text without
// terminal codes; when the page goes away, the log stream ends.
func TestAContainersLiveConnectionCarriesItsLogs(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	for i := range 250 {
		e.Engine.Log("web", lifecycle.Stdout, fmt.Sprintf("old %03d", i))
	}
	s := webtest.Subscribe(t, e.URL+"/events?stream=containers&logs=web")
	var got []string
	var from int
	for len(got) < 200 {
		i, ev := s.Next(from, "the last 200 lines", webtest.Contains("log-line"))
		from = i + 1
		ev.Doc(t).Find(".log-line .log-text").Each(func(_ int, l *goquery.Selection) { got = append(got, l.Text()) })
	}
	if len(got) != 200 || got[0] != "old 050" || got[199] != "old 249" {
		t.Fatalf("the page starts with %d lines, %q … %q; want the last 200", len(got), got[0], got[len(got)-1])
	}
	e.Engine.Log("web", lifecycle.Stderr, "<b>boom</b> \x1b[1;31mred\x1b[0m \x1b]0;title\x07done")
	_, ev := s.Next(from, "the new stderr line", webtest.Contains("boom"))
	line := ev.Doc(t).Find(".log-line")
	if line.AttrOr("data-stream", "") != "stderr" || line.Find("b").Length() != 0 {
		t.Errorf("stderr line rendered as %s", ev.Data)
	}
	if text := line.Find(".log-text").Text(); text != "<b>boom</b> red done" {
		t.Errorf("the line reads %q, want its text without terminal codes, escaped", text)
	}
	s.Close()
	waitFor(t, "the log stream to end with the page", func() bool { return e.Engine.Following("web") == 0 })
}

func TestOpeningAndClosingAContainersPageLeavesNothingBehind(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	e.Engine.Log("web", lifecycle.Stdout, "hello")
	s := webtest.Subscribe(t, e.URL+"/events?stream=containers&logs=web")
	s.Next(0, "a log line", webtest.Contains("hello"))
	s.Close()
	waitFor(t, "the first stream to end", func() bool { return e.Engine.Following("web") == 0 })
	before := runtime.NumGoroutine()
	for range 100 {
		s := webtest.Subscribe(t, e.URL+"/events?stream=containers&logs=web")
		s.Next(0, "a log line", webtest.Contains("hello"))
		s.Close()
	}
	waitFor(t, "every log stream to end", func() bool { return e.Engine.Following("web") == 0 })
	waitFor(t, "the goroutines to go", func() bool { return runtime.NumGoroutine() <= before+2 })
	if r := e.Get("/events?logs=../etc"); r.Status != http.StatusBadRequest {
		t.Errorf("logs of a bad name: %d", r.Status)
	}
}

// waitFor polls cond until it holds, failing the test after a while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(webtest.Deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %s", what, webtest.Deadline)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The stats of running containers reach their rows, live, as a swap of
// the usage alone, and go when a container stops.
func TestUsageReachesTheRowsLive(t *testing.T) {
	e := newEnv(t, fake.Running("web"), fake.Exited("off"))
	e.Engine.SetUsage(lifecycle.Usage{Name: "web", CPU: 12.5, MemUsed: 120 << 20, MemLimit: 1 << 30})
	e.Engine.SetUsage(lifecycle.Usage{Name: "off", CPU: 50, MemUsed: 1 << 30})
	s := e.Subscribe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Manager.WatchStats(ctx, 10*time.Millisecond)
	i, ev := s.Next(0, "web's usage", webtest.Contains("CPU 12.5%"))
	cell := ev.Doc(t).Find(`[data-testid=usage]`)
	if cell.Length() != 1 || cell.AttrOr("id", "") != "row-web:usage" || cell.AttrOr("hx-swap-oob", "") != "true" || ev.Doc(t).Find("[role=row]").Length() != 0 {
		t.Errorf("the push is not web's usage alone: %s", ev.Data)
	}
	if got := webtest.Text(cell); got != "CPU 12.5% · 120MiB / 1GiB" {
		t.Errorf("usage reads %q", got)
	}
	if got := webtest.Text(e.Get("/").Doc().Row("web").TestID("usage")); got != "CPU 12.5% · 120MiB / 1GiB" {
		t.Errorf("the page's row shows %q", got)
	}
	if got := webtest.Text(e.Get("/").Doc().Row("off").TestID("usage")); got != "" {
		t.Errorf("a stopped container shows a usage: %q", got)
	}
	e.Post("/containers/web/stop", api)
	e.WaitIdle()
	_, ev = s.Next(i+1, "web's usage gone", func(ev webtest.Event) bool {
		c := ev.Doc(t).Find(`#row-web\:usage`)
		return c.Length() == 1 && webtest.Text(c) == ""
	})
	waitFor(t, "the stopped container's usage forgotten", func() bool { _, ok := e.Manager.Usage("web"); return !ok })
}

func TestTheAPINamesEachContainersHost(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	if c, ok := e.APIContainer("web"); !ok || c.Host != "local" {
		t.Errorf("API: %+v, want host local", c)
	}
}

// A container's page is sent its own container's rows, and of the others
// only their failures, which it shows as toasts: it has no row for them.
func TestAContainersPageGetsItsOwnRowsAndTheOthersFailures(t *testing.T) {
	e := newEnv(t, fake.Running("web"), fake.Running("other"), fake.Exited("broken"))
	page := webtest.Subscribe(t, e.URL+"/events?stream=containers&logs=web")
	table := e.Subscribe()
	e.Engine.Fail(lifecycle.Start, "broken", errors.New("no such entrypoint"))
	e.Post("/containers/other/stop", api)
	e.Post("/containers/broken/start", api)
	e.Post("/containers/web/restart", api)
	e.WaitIdle()
	table.Next(0, "web running again on the table", webtest.IsRow("web", "running"))
	table.Next(0, "other's row on the table", webtest.IsRow("other", "stopped"))
	page.Next(0, "broken's failure as a toast", webtest.Contains("no such entrypoint", "toast"))
	// A last change of web: the page has been sent everything before it.
	marked := fake.Running("web")
	marked.Image = "localhost/web:marked"
	e.Engine.Put(marked)
	e.Scan()
	i, _ := page.Next(0, "web's last change", webtest.Contains("localhost/web:marked"))
	for _, ev := range page.Events()[:i+1] {
		for _, row := range webtest.PushedRows(ev) {
			if row.Name() != "web" {
				t.Errorf("web's page was sent %s's row: %s", row.Name(), ev.Data)
			}
		}
	}
}
