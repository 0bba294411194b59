package webtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/a-h/templ"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/templates"
)

// failures stands in for a test so that a test can see another fail: its
// Fatalf records the message and ends the goroutine, as t.Fatalf does.
type failures struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (f *failures) Helper() {}

func (f *failures) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
	runtime.Goexit()
}

// run calls fn in a goroutine of its own, where Fatalf may end it, and
// returns the failure message ("" when fn passed).
func (f *failures) run(fn func()) string {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.msgs, "\n")
}

// rawFeed serves /events as the test writes it, chunk by chunk, so a test
// controls exactly what a stream carries and when it ends.
type rawFeed struct {
	chunks chan string
}

func newRawFeed(t *testing.T) (*rawFeed, *httptest.Server) {
	f := &rawFeed{chunks: make(chan string)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		for {
			select {
			case c, ok := <-f.chunks:
				if !ok {
					return
				}
				io.WriteString(w, c)
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *rawFeed) send(s string) { f.chunks <- s }

func TestStreamSplitsEventsAsABrowserDoes(t *testing.T) {
	feed, srv := newRawFeed(t)
	s := Subscribe(t, srv.URL)
	feed.send("data: <div>\ndata:\n")
	feed.send("data:  two spaces\n\n")
	feed.send(": ping\n\n")
	feed.send("event: resync\r\nid: 7\r\ndata: resync\r\n\r\n")
	feed.send("data: split across")
	feed.send(" writes\n\n")

	i, last := s.Next(0, "the event written in two pieces", Contains("split across writes"))
	if i != 3 {
		t.Fatalf("the fourth event is #%d; events:\n%s", i, s.Dump())
	}
	evs := s.Events()
	want := []Event{
		{Data: "<div>\n\n two spaces", Lines: []string{"data: <div>", "data:", "data:  two spaces"}},
		{Comments: []string{"ping"}, Lines: []string{": ping"}},
		{Name: "resync", ID: "7", Data: "resync", Lines: []string{"event: resync", "id: 7", "data: resync"}},
		{Data: "split across writes", Lines: []string{"data: split across writes"}},
	}
	for i, w := range want {
		got := evs[i]
		if got.Name != w.Name || got.ID != w.ID || got.Data != w.Data ||
			fmt.Sprint(got.Comments) != fmt.Sprint(w.Comments) || fmt.Sprint(got.Lines) != fmt.Sprint(w.Lines) {
			t.Errorf("event %d = %+v, want %+v", i, got, w)
		}
		if got.At.IsZero() {
			t.Errorf("event %d has no arrival time", i)
		}
	}
	if last.Data != want[3].Data {
		t.Errorf("Next returned %q", last.Data)
	}
	if Any(evs[1]) || IsRow("web", "")(evs[1]) || Contains()(evs[1]) {
		t.Errorf("a heartbeat matched a matcher of data")
	}
	if !OnData(func(d string) bool { return d == "resync" })(evs[2]) || OnData(func(string) bool { return true })(evs[1]) {
		t.Errorf("OnData does not match on the data alone")
	}
	if !Named("resync")(evs[2]) || Named("resync")(evs[0]) {
		t.Errorf("Named does not tell the resync event apart")
	}
}

func TestNextWaitsForAnEventThatArrivesLater(t *testing.T) {
	feed, srv := newRawFeed(t)
	s := Subscribe(t, srv.URL)
	feed.send("data: first\n\n")
	s.Next(0, "the first event", Contains("first"))
	from := s.Count()
	go feed.send("data: first again\n\n")
	i, ev := s.Next(from, "a later event", Contains("first"))
	if i != 1 || ev.Data != "first again" {
		t.Errorf("Next from %d = #%d %q, want #1 first again", from, i, ev.Data)
	}
}

func TestNextFailsWithWhatArrivedWhenTheStreamEnds(t *testing.T) {
	feed, srv := newRawFeed(t)
	s := Subscribe(t, srv.URL)
	feed.send("data: <p>only this</p>\n\n")
	s.Next(0, "the one event", Any)
	close(feed.chunks)
	<-s.Ended()
	if !errors.Is(s.Err(), io.EOF) {
		t.Errorf("Err = %v, want io.EOF for a clean end", s.Err())
	}

	f := &failures{TB: t}
	s.tb = f
	msg := f.run(func() { s.Next(0, "a row that never comes", IsRow("web", "stopped")) })
	for _, want := range []string{"no a row that never comes", "before the end (EOF)", "1 received", "data: <p>only this</p>"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure %q lacks %q", msg, want)
		}
	}
}

func TestNextFailsAtItsDeadlineWithWhatArrived(t *testing.T) {
	feed, srv := newRawFeed(t)
	s := Subscribe(t, srv.URL)
	s.Deadline = 50 * time.Millisecond
	feed.send("data: a\n\n")
	f := &failures{TB: t}
	s.tb = f
	msg := f.run(func() { s.Next(0, "b", Contains("b")) })
	if !strings.Contains(msg, "no b (from #0) within 50ms") || !strings.Contains(msg, "data: a") {
		t.Errorf("failure = %q, want the deadline and the dump", msg)
	}
}

func TestSubscribeRefusesAnAnswerThatIsNotAnEventStream(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unknown stream", http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	f := &failures{TB: t}
	msg := f.run(func() { Subscribe(f, srv.URL+"/events?stream=nosuch") })
	if !strings.Contains(msg, "400") || !strings.Contains(msg, "unknown stream") {
		t.Errorf("failure = %q, want the status and the body", msg)
	}
}

func TestEnvStreamsAnOperationAndRecordsItsEvents(t *testing.T) {
	e := New(t, Containers(fake.Running("web"), fake.Exited("db")))
	if got := strings.Join(e.States("web"), ","); got != "running" {
		t.Errorf("states of the first scan = %s, want running", got)
	}
	e.ResetEvents()
	feed := e.Subscribe()
	release := e.Hold(lifecycle.Stop, "web")

	row := assertOneRow(t, e.Post("/containers/web/stop", HTMX), "web")
	if row.State() != "stopping" || row.Label() != "Stopping…" {
		t.Errorf("answer row = %s %q, want stopping Stopping…", row.State(), row.Label())
	}
	i, ev := feed.Next(0, "web stopping", IsRow("web", "stopping"))
	if pushed, _ := PushedRow(ev, "web"); pushed.OOB() != "true" {
		t.Errorf("pushed row is not out of band: %q", pushed.OOB())
	}
	e.WaitCall("stop web")
	release()
	feed.Next(i+1, "web stopped", IsRow("web", "stopped"))
	e.WaitIdle()
	if got := strings.Join(e.States("web"), ","); got != "stopping,stopped" {
		t.Errorf("recorded states = %s, want stopping,stopped", got)
	}
	if _, ev := e.NextEvent(0, "the end of the stop", func(ev lifecycle.Event) bool { return ev.Ended != nil }); ev.Ended.Outcome != lifecycle.JobSucceeded {
		t.Errorf("the stop ended %s", ev.Ended.Outcome)
	}
	if log := e.Incidents(); !strings.Contains(log, "STOP BEGIN: web") || !strings.Contains(log, "STOP OK: web") {
		t.Errorf("incident log:\n%s", log)
	}
	if c, ok := e.APIContainer("web"); !ok || c.State != "stopped" {
		t.Errorf("API shows web as %+v", c)
	}
}

func assertOneRow(t *testing.T, r Response, name string) Row {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d:\n%s", r.Status, r.Body)
	}
	return r.Doc().Row(name)
}

func TestTeardownReleasesHoldsEndsStreamsWaitsForJobsThenClosesTheDatabase(t *testing.T) {
	var e *Env
	var feed *Stream
	t.Run("a test that ends with a stop in flight and a stream open", func(t *testing.T) {
		e = New(t, Containers(fake.Running("web")), ScanEvery(time.Hour))
		feed = e.Subscribe()
		e.Hold(lifecycle.Stop, "web")
		if r := e.Post("/containers/web/stop", JSON); r.Status != http.StatusAccepted {
			t.Fatalf("stop: %d %s", r.Status, r.Body)
		}
		e.WaitCall("stop web")
	})
	select {
	case <-feed.Ended():
	default:
		t.Error("the stream is still open after the test")
	}
	if got := e.Engine.State("web"); got != "exited" {
		t.Errorf("engine state after the teardown = %q: the held stop was not released and waited for", got)
	}
	if n := len(e.Manager.Running()); n != 0 {
		t.Errorf("%d jobs still running after the teardown", n)
	}
	if _, err := e.DB.Containers(context.Background()); err == nil {
		t.Error("the database is still open after the teardown")
	}
}

func TestCutStreamsEndsTheOpenStreams(t *testing.T) {
	e := New(t)
	feed := e.Subscribe()
	e.CutStreams()
	select {
	case <-feed.Ended():
	case <-time.After(Deadline):
		t.Fatal("the stream is still open after CutStreams")
	}
	e.Subscribe() // a page reconnects
}

func TestOptionsReachTheManagerAndThePage(t *testing.T) {
	var requests atomic.Int64
	e := New(t, NoScan(), Podman("unix:///run/podman/podman.sock"),
		Config(lifecycle.Config{LookupTimeout: 20 * time.Millisecond}),
		Logger(TestLogger(t)),
		Middleware(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1); next.ServeHTTP(w, r) })
		}))
	e.Engine.Put(fake.Running("web"))
	d := e.Get("/").Doc()
	if len(d.Rows()) != 0 {
		t.Errorf("NoScan: the page lists %v", d.RowNames())
	}
	if !strings.Contains(Text(d.Find("main")), "Podman: unix:///run/podman/podman.sock") {
		t.Errorf("the page does not show the Podman address given")
	}
	e.Hold("inspect", "web")
	if r := e.Post("/containers/web/stop", JSON); r.Status != http.StatusGatewayTimeout {
		t.Errorf("a lookup held past the 20 ms LookupTimeout answered %d, want 504", r.Status)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("the middleware saw %d requests, want 2", n)
	}
}

func TestDocFindsRowsStatesButtonsAndTheFlash(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	stopping := lifecycle.Container{Name: "web", Image: "img", State: lifecycle.Stopping, PrevState: lifecycle.Running, JobID: 3, StopTimeout: 10,
		Job: &lifecycle.Job{ID: 3, Op: lifecycle.Stop, StartedAt: now}}
	failed := lifecycle.Container{Name: `we"b`, State: lifecycle.Stopped, EngineState: "exited", Error: "start failed\nsecond line"}
	d := Render(t, templates.Dashboard(templates.Page{
		Flash: &templates.Flash{Kind: "error", Title: "No such container:", Message: "ghost"},
		Rows:  []templates.Row{templates.NewRow(stopping, now), templates.NewRow(failed, now)},
	}))

	if !d.IsPage() || d.Flash() != "No such container: ghost" {
		t.Errorf("page %v, flash %q", d.IsPage(), d.Flash())
	}
	if got := strings.Join(d.RowNames(), ","); got != `web,we"b` {
		t.Errorf("rows = %s", got)
	}
	web := d.Row("web")
	if web.State() != "stopping" || web.Label() != "Stopping…" || web.ID() != "row-web" || web.HasError() || web.OOB() != "" {
		t.Errorf("web: state %q label %q id %q error %v oob %q", web.State(), web.Label(), web.ID(), web.HasError(), web.OOB())
	}
	for _, btn := range web.Buttons() {
		if !btn.Disabled && btn.Op != "kill" { // the force stop is the way out
			t.Errorf("button %+v of a stopping row is enabled", btn)
		}
	}
	quoted := d.Row(`we"b`)
	if !quoted.HasError() || quoted.Error() != "start failed\nsecond line" || quoted.Label() != "Stopped" {
		t.Errorf(`we"b: error %v %q, label %q`, quoted.HasError(), quoted.Error(), quoted.Label())
	}
	if dismiss, ok := quoted.Button("dismiss"); !ok || dismiss.Disabled || dismiss.Label != "Dismiss" || dismiss.Action != `/containers/we"b/dismiss` {
		t.Errorf("dismiss button = %+v, %v; ops %v", dismiss, ok, quoted.Ops())
	}
	if start, ok := quoted.Button("start"); !ok || start.Disabled || start.Action != `/containers/we"b/start` {
		t.Errorf("start button = %+v, %v; ops %v", start, ok, quoted.Ops())
	}
	if _, ok := d.FindRow("ghost"); ok {
		t.Error("FindRow found a row that is not there")
	}

	fd := Render(t, templates.RowItem(templates.NewRow(failed, now), true))
	if fd.IsPage() || fd.Top().Length() != 1 || fd.Row(`we"b`).OOB() != "true" {
		t.Errorf("fragment: page %v, %d top elements, oob %q", fd.IsPage(), fd.Top().Length(), fd.Row(`we"b`).OOB())
	}
	if fd.Removes(`we"b`) {
		t.Error("an updated row reads as a removal")
	}
	removed := Render(t, templates.Removed("web"))
	if !removed.Removes("web") || removed.Removes("db") || removed.Removes("row-web") {
		t.Errorf("Removes misread the removal of web: %s", removed.HTML())
	}
	removal := Event{Data: removed.HTML()}
	if !IsRemoval("web")(removal) || IsRemoval("db")(removal) || IsRow("web", "")(removal) {
		t.Error("IsRemoval or IsRow misread a removal")
	}
}

func TestRenderFailsTheTestWhenTheComponentFails(t *testing.T) {
	broken := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		io.WriteString(w, "<p>half")
		return errors.New("disk full")
	})
	f := &failures{TB: t}
	if msg := f.run(func() { Render(f, broken) }); !strings.Contains(msg, "render: disk full") {
		t.Errorf("failure = %q, want the component's error", msg)
	}
}

func TestStatesFollowTheStoredOrderWhateverTheOrderOfArrival(t *testing.T) {
	e := New(t, NoScan(), DiscardEvents())
	row := func(name string, state lifecycle.State, seq int64) lifecycle.Event {
		return lifecycle.Event{Kind: lifecycle.Update, Container: lifecycle.Container{Name: name, State: state, Version: seq}, Seq: seq}
	}
	// Two goroutines announced web's changes in the other order than they
	// were stored; db's and the health event sit in between.
	for _, ev := range []lifecycle.Event{
		row("web", lifecycle.Stopped, 12),
		row("db", lifecycle.Running, 13),
		row("web", lifecycle.Stopping, 11),
		{Health: &lifecycle.Health{ScanErr: "down"}, Seq: 1},
		{Kind: lifecycle.Delete, Container: lifecycle.Container{Name: "web", Version: 14}, Seq: 14},
		row("web", lifecycle.Running, 10),
	} {
		e.events.add(ev)
	}
	if got := strings.Join(e.States("web"), ","); got != "running,stopping,stopped,removed" {
		t.Errorf("States(web) = %s, want running,stopping,stopped,removed", got)
	}
	if got := strings.Join(e.States("db"), ","); got != "running" {
		t.Errorf("States(db) = %s, want running", got)
	}
	if evs := e.Events(); len(evs) != 6 || evs[0].Seq != 12 || evs[5].Seq != 10 {
		t.Errorf("Events is not in the order of arrival: %s", e.dumpEvents())
	}
}

func TestWaitCallsCountsTheCallsMadeBeforeAndWaitsForTheNext(t *testing.T) {
	e := New(t, Containers(fake.Running("web")))
	e.WaitCall("list *") // the scan of New
	third := e.Engine.CalledTimes("list *", 3)
	release := e.Hold("list", "*")
	scanned := make(chan error)
	go func() { _, err := e.Manager.Scan(context.Background()); scanned <- err }()
	e.WaitCalls("list *", 2) // received, though its answer is held
	select {
	case <-third:
		t.Fatalf("the third list was signalled after two; calls: %v", e.Engine.Calls())
	default:
	}
	release()
	if err := <-scanned; err != nil {
		t.Fatalf("scan: %v", err)
	}
	e.Scan()
	select {
	case <-third:
	case <-time.After(Deadline):
		t.Fatalf("the third list was never signalled; calls: %v", e.Engine.Calls())
	}
}

func TestPushedRowsAreTheRowsAnEventSwapsInWithHowEachIsSwapped(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	row := func(name string) templates.Row {
		return templates.NewRow(lifecycle.Container{Name: name, Image: "img-" + name, State: lifecycle.Running}, now)
	}
	render := func(cs ...templ.Component) string {
		var b strings.Builder
		for _, c := range cs {
			b.WriteString(Render(t, c).HTML())
		}
		return b.String()
	}
	ev := Event{Data: render(templates.RowItem(row("web"), true), templates.Inserted(row("db")), templates.RowItem(row("answer"), false))}

	var got []string
	for _, r := range PushedRows(ev) {
		got = append(got, r.Name()+" "+r.Swap()+" "+r.Image())
	}
	if want := []string{"web true img-web", "db beforebegin:#empty img-db"}; !slices.Equal(got, want) {
		t.Errorf("pushed rows = %q, want %q (a row without hx-swap-oob answers a request)", got, want)
	}
	if r, ok := PushedRow(ev, "db"); !ok || r.Swap() != "beforebegin:#empty" || r.OOB() != "" {
		t.Errorf("PushedRow(db) = %v, swap %q oob %q", ok, r.Swap(), r.OOB())
	}
	if _, ok := PushedRow(ev, "answer"); ok {
		t.Error("PushedRow found a row the event does not swap in")
	}
	if answer := Parse(t, ev.Data).Row("answer"); answer.Swap() != "" {
		t.Errorf("a row that answers a request has swap %q", answer.Swap())
	}
	if rows := PushedRows(Event{Data: render(templates.Removed("web"))}); len(rows) != 0 {
		t.Errorf("a removal swaps in %d rows", len(rows))
	}
}
