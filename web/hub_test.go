package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"

	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/web"
	"podboard/web/webtest"
)

// sseEvent is one event as a client parses it.
type sseEvent struct {
	data     string   // the data lines joined with "\n"
	lines    []string // every line of the event, as sent
	comments []string
}

// event is the event as webtest's matchers and parsers take it.
func (ev sseEvent) event() webtest.Event {
	return webtest.Event{Data: ev.data, Lines: ev.lines, Comments: ev.comments}
}

// sseClient is one page's stream, read by the project's live-feed reader
// (webtest.Stream), taken one event at a time.
type sseClient struct {
	s    *webtest.Stream
	resp *http.Response
	pos  int // the next event to take
}

// connect opens path on srv as an EventSource would and parses what arrives.
// The stream is closed when the test ends.
func connect(t *testing.T, srv *httptest.Server, path string) *sseClient {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := webtest.SubscribeRequest(t, srv.Client(), req)
	s.Deadline = 5 * time.Second
	return &sseClient{s: s, resp: s.Response()}
}

// next returns the next event that carries data, skipping heartbeats.
func (c *sseClient) next(t *testing.T) sseEvent {
	t.Helper()
	return c.take(t, "an event with data", webtest.Any)
}

// nextAny returns the next event, heartbeats included.
func (c *sseClient) nextAny(t *testing.T) sseEvent {
	t.Helper()
	return c.take(t, "an event or a heartbeat", func(webtest.Event) bool { return true })
}

func (c *sseClient) take(t *testing.T, what string, match func(webtest.Event) bool) sseEvent {
	t.Helper()
	i, ev := c.s.Next(c.pos, what, match)
	c.pos = i + 1
	return sseEvent{data: ev.Data, lines: ev.Lines, comments: ev.Comments}
}

// newHubServer serves a fresh hub at /events.
func newHubServer(t *testing.T, log *slog.Logger) (*web.Hub, *httptest.Server) {
	t.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hub := web.NewHub(log)
	mux := http.NewServeMux()
	mux.Handle("/events", hub)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(hub.Close) // runs first: the streams end, so srv.Close does not wait
	return hub, srv
}

// marker is an event a test publishes to learn that everything before it
// has arrived.
func marker(n int) lifecycle.Event {
	return lifecycle.Event{Container: lifecycle.Container{Name: fmt.Sprintf("marker-%d", n), State: lifecycle.Running}}
}

func isMarker(ev sseEvent, n int) bool {
	return webtest.IsRow(fmt.Sprintf("marker-%d", n), "")(ev.event())
}

func TestEventsWithoutAStreamParameterAnswerAnEventStream(t *testing.T) {
	_, srv := newHubServer(t, nil)
	for _, path := range []string{"/events", "/events?stream=containers"} {
		t.Run(path, func(t *testing.T) {
			c := connect(t, srv, path)
			if c.resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", c.resp.StatusCode)
			}
			for header, want := range map[string]string{
				"Content-Type":      "text/event-stream",
				"Cache-Control":     "no-cache",
				"X-Accel-Buffering": "no",
			} {
				if got := c.resp.Header.Get(header); got != want {
					t.Errorf("%s = %q, want %q", header, got, want)
				}
			}
		})
	}
}

func TestAnUnknownStreamIsABadRequestThatNamesTheStream(t *testing.T) {
	hub, srv := newHubServer(t, nil)
	connect(t, srv, "/events") // so that a connection's own stream exists
	ids := web.StreamIDs(hub)
	if len(ids) != 1 {
		t.Fatalf("%d internal streams for one connection, want 1", len(ids))
	}
	for _, stream := range []string{"nosuch", "Containers", ids[0]} {
		t.Run(stream, func(t *testing.T) {
			resp, err := srv.Client().Get(srv.URL + "/events?stream=" + url.QueryEscape(stream))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
			if want := `the only stream is "containers"`; !strings.Contains(string(body), want) {
				t.Errorf("body %q does not say %s", body, want)
			}
		})
	}
}

// inPlace is name's row in d, which the live feed must swap in place of
// the row the page shows.
func inPlace(t *testing.T, d *webtest.Doc, name string) webtest.Row {
	t.Helper()
	r := d.Row(name)
	if r.OOB() != "true" {
		t.Errorf("%s's row has hx-swap-oob %q, want \"true\":\n%s", name, r.OOB(), d.HTML())
	}
	return r
}

// toast is the text of the toast d appends to the page's toasts, "" when
// it adds none there.
func toast(d *webtest.Doc) string {
	return webtest.Text(d.Find(`[hx-swap-oob="beforeend:#toasts"] [data-testid=toast]`))
}

// noToast fails the test when d shows a toast anywhere.
func noToast(t *testing.T, d *webtest.Doc) {
	t.Helper()
	if d.TestID("toast").Length() > 0 {
		t.Errorf("a toast in:\n%s", d.HTML())
	}
}

func TestNotifySendsEachChangeAsOneWholeOutOfBandFragment(t *testing.T) {
	running := lifecycle.Container{Name: "web", Image: "localhost/web:latest", State: lifecycle.Running, EngineState: "running", StopTimeout: 10}
	failed := running
	failed.Error = "stop web: container did not stop"
	tests := []struct {
		name  string
		event lifecycle.Event
		check func(t *testing.T, d *webtest.Doc)
	}{
		{
			name:  "a changed row replaces the row in place",
			event: lifecycle.Event{Container: running},
			check: func(t *testing.T, d *webtest.Doc) {
				if r := inPlace(t, d, "web"); r.State() != "running" {
					t.Errorf("state %q, want running", r.State())
				}
				noToast(t, d)
				if d.Removes("web") {
					t.Error("the change also deletes the row")
				}
			},
		},
		{
			name: "a transitional row shows the spinner",
			event: lifecycle.Event{Container: lifecycle.Container{Name: "web", State: lifecycle.Stopping, PrevState: lifecycle.Running, JobID: 3,
				Job: &lifecycle.Job{ID: 3, Op: lifecycle.Stop, StartedAt: time.Unix(1700000000, 0)}}},
			check: func(t *testing.T, d *webtest.Doc) {
				r := inPlace(t, d, "web")
				if r.State() != "stopping" || r.TestID("state").Find(".spinner").Length() != 1 {
					t.Errorf("state %q, label %q: want stopping with a spinner:\n%s", r.State(), r.Label(), r.HTML())
				}
				buttons := r.Buttons()
				if len(buttons) == 0 {
					t.Error("the stopping row has no buttons")
				}
				for _, b := range buttons {
					if !b.Disabled && b.Op != "kill" { // the force stop is the way out
						t.Errorf("button %+v of the stopping row is enabled", b)
					}
				}
			},
		},
		{
			name:  "a removed container deletes its row",
			event: lifecycle.Event{Kind: lifecycle.Delete, Container: lifecycle.Container{Name: "web"}},
			check: func(t *testing.T, d *webtest.Doc) {
				if !d.Removes("web") || len(d.Rows()) > 0 || d.Has(`[hx-swap-oob="true"]`) {
					t.Errorf("removes web %v, rows %v, in-place swaps %d: want the deletion alone",
						d.Removes("web"), d.RowNames(), d.Find(`[hx-swap-oob="true"]`).Length())
				}
				noToast(t, d)
			},
		},
		{
			name: "a failed operation adds a toast",
			event: lifecycle.Event{Container: failed, Ended: &lifecycle.Job{Container: "web", Op: lifecycle.Stop,
				Outcome: lifecycle.JobFailed, Error: failed.Error}},
			check: func(t *testing.T, d *webtest.Doc) {
				if r := inPlace(t, d, "web"); !r.HasError() || r.Error() != failed.Error {
					t.Errorf("row error %v %q, want %q", r.HasError(), r.Error(), failed.Error)
				}
				if got, want := toast(d), "stop web failed: "+failed.Error; got != want {
					t.Errorf("toast %q, want %q", got, want)
				}
			},
		},
		{
			name: "a succeeded operation adds no toast",
			event: lifecycle.Event{Container: running, Ended: &lifecycle.Job{Container: "web", Op: lifecycle.Start,
				Outcome: lifecycle.JobSucceeded}},
			check: func(t *testing.T, d *webtest.Doc) {
				inPlace(t, d, "web")
				noToast(t, d)
			},
		},
		{
			name: "a container that vanished during its operation is deleted with a toast",
			event: lifecycle.Event{Kind: lifecycle.Delete, Container: lifecycle.Container{Name: "web"}, Ended: &lifecycle.Job{Container: "web",
				Op: lifecycle.Stop, Outcome: lifecycle.JobFailed, Error: "container web no longer exists"}},
			check: func(t *testing.T, d *webtest.Doc) {
				if !d.Removes("web") {
					t.Error("the row is not deleted")
				}
				if got, want := toast(d), "stop web failed: container web no longer exists"; got != want {
					t.Errorf("toast %q, want %q", got, want)
				}
			},
		},
		{
			name: "blank lines and carriage returns in the HTML do not cut the event",
			event: lifecycle.Event{Container: lifecycle.Container{Name: "web", State: lifecycle.Running,
				Image: "img\r\n\r\nwith blank line", Error: "first line\r\n\r\n\n  third line\r\nlast"}},
			check: func(t *testing.T, d *webtest.Doc) {
				// Bytes, not elements: what is tested is the framing of
				// HTML that holds blank lines, and a carriage return
				// would end an SSE line early.
				if strings.Contains(d.HTML(), "\r") {
					t.Errorf("a carriage return in the data: %q", d.HTML())
				}
				if !strings.Contains(d.HTML(), "\n\n") {
					t.Errorf("no blank line in the data, so the test tests nothing: %q", d.HTML())
				}
				r := inPlace(t, d, "web")
				if want := "first line\n\n\n  third line\nlast"; r.Error() != want {
					t.Errorf("error %q, want %q", r.Error(), want)
				}
				if want := "img\n\nwith blank line"; r.Image() != want {
					t.Errorf("image %q, want %q", r.Image(), want)
				}
				if !d.Has("#announce") {
					t.Error("the event lacks its end, the announcement")
				}
			},
		},
	}
	hub, srv := newHubServer(t, nil)
	c := connect(t, srv, "/events")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub.Notify(tt.event)
			hub.Notify(marker(i))

			ev := c.next(t)
			if want := string(hub.Render(tt.event)); ev.data != want {
				t.Errorf("event data differs from the rendered fragment:\n got: %q\nwant: %q", ev.data, want)
			}
			tt.check(t, webtest.Parse(t, ev.data))
			for _, line := range ev.lines {
				if !strings.HasPrefix(line, "data: ") && !strings.HasPrefix(line, "id:") {
					t.Errorf("event line without a data field: %q", line)
				}
			}
			if n := strings.Count(ev.data, "\n") + 1; n != len(ev.lines)-1 {
				t.Errorf("%d data lines for %d lines of HTML", len(ev.lines)-1, n)
			}
			if next := c.next(t); !isMarker(next, i) {
				t.Errorf("the event was cut in two: next event is\n%s", next.data)
			}
		})
	}
}

func TestAClientThatConnectsLaterGetsNoOldEvents(t *testing.T) {
	hub, srv := newHubServer(t, nil)
	early := connect(t, srv, "/events")
	hub.Notify(marker(1))
	if ev := early.next(t); !isMarker(ev, 1) {
		t.Fatalf("early client got %s, want marker 1", ev.data)
	}

	late := connect(t, srv, "/events")
	hub.Notify(marker(2))
	if ev := late.next(t); !isMarker(ev, 2) {
		t.Errorf("late client's first event is %s, want marker 2 (no replay)", ev.data)
	}
	if ev := early.next(t); !isMarker(ev, 2) {
		t.Errorf("early client got %s, want marker 2", ev.data)
	}
}

func TestHeartbeatSendsPingComments(t *testing.T) {
	hub, srv := newHubServer(t, nil)
	c := connect(t, srv, "/events")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { hub.Heartbeat(ctx, 10*time.Millisecond); close(stopped) }()

	for range 2 {
		ev := c.nextAny(t)
		if ev.data != "" {
			t.Fatalf("heartbeat sent data %q", ev.data)
		}
		if len(ev.lines) != 1 || ev.lines[0] != ": ping" {
			t.Fatalf("heartbeat = %q, want the one comment line \": ping\"", ev.lines)
		}
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Heartbeat did not return when its context ended")
	}
	// The stream still works after the pings.
	hub.Notify(marker(1))
	if ev := c.next(t); !isMarker(ev, 1) {
		t.Errorf("got %s, want marker 1", ev.data)
	}
}

func TestCloseEndsEveryStreamSoTheServerCanClose(t *testing.T) {
	hub := web.NewHub(slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	mux.Handle("/events", hub)
	srv := httptest.NewServer(mux)
	clients := []*sseClient{connect(t, srv, "/events"), connect(t, srv, "/events?stream=containers")}

	hub.Close()
	for i, c := range clients {
		select {
		case <-c.s.Ended():
			if err := c.s.Err(); !errors.Is(err, io.EOF) {
				t.Errorf("client %d: stream ended with %v, want a clean end", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("client %d: stream still open 5s after Close", i)
		}
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("httptest server Close hangs after hub.Close")
	}
	hub.Close() // a second Close is harmless
	hub.Notify(marker(1))
}

// countingHandler counts log records by message.
type countingHandler struct {
	dropped atomic.Int64
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "dropped") {
		h.dropped.Add(1)
	}
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// row is a Running container whose image carries a label, so a test can
// tell which event a page received.
func row(name, label string) lifecycle.Container {
	return lifecycle.Container{Name: name, Image: "img-" + label, State: lifecycle.Running}
}

// labelOf is the label of the row an event pushes, "" for none.
func labelOf(ev sseEvent) string {
	rows := webtest.PushedRows(ev.event())
	if len(rows) == 0 {
		return ""
	}
	label, _ := strings.CutPrefix(rows[0].Image(), "img-")
	return label
}

// scanError is the reason the scan status gives for Podman being out of
// reach, the text after its heading up to the first full stop; "" when the
// status warns of nothing.
func scanError(d *webtest.Doc) string {
	warning := d.TestID("scan-error")
	msg := strings.TrimPrefix(webtest.Text(warning), webtest.Text(warning.Find("strong")))
	msg, _, _ = strings.Cut(msg, ".")
	return strings.TrimSpace(msg)
}

// received notifies events then a marker, and returns what the page got
// before the marker: the label of each row, "toast" for a toast alone,
// "delete" for a deletion, "scan:<error>" for a scan status.
func received(t *testing.T, hub *web.Hub, c *sseClient, events []lifecycle.Event) []string {
	t.Helper()
	for _, e := range events {
		hub.Notify(e)
	}
	hub.Notify(marker(0))
	var names []string
	for _, e := range events {
		names = append(names, e.Container.Name)
	}
	var got []string
	for {
		ev := c.next(t)
		d := webtest.Parse(t, ev.data)
		switch {
		case isMarker(ev, 0):
			return got
		case slices.ContainsFunc(names, d.Removes):
			got = append(got, "delete")
		case d.Has("#scan-status"):
			got = append(got, "scan:"+scanError(d))
		case labelOf(ev) != "":
			got = append(got, labelOf(ev))
		case d.TestID("toast").Length() > 0:
			got = append(got, "toast")
		default:
			got = append(got, ev.data)
		}
	}
}

func TestEventsReachPagesInTheOrderTheyWereStoredWhateverOrderTheyArriveIn(t *testing.T) {
	failedStop := &lifecycle.Job{Container: "web", Op: lifecycle.Stop, Outcome: lifecycle.JobFailed, Error: "did not stop"}
	update := func(seq int64, label string) lifecycle.Event {
		return lifecycle.Event{Kind: lifecycle.Update, Seq: seq, Container: row("web", label)}
	}
	health := func(seq int64, msg string) lifecycle.Event {
		return lifecycle.Event{Seq: seq, Health: &lifecycle.Health{ScanErr: msg}}
	}
	tests := []struct {
		name   string
		events []lifecycle.Event
		want   []string
	}{
		{
			name:   "changes in order are all sent",
			events: []lifecycle.Event{update(1, "a"), update(2, "b"), update(3, "c")},
			want:   []string{"a", "b", "c"},
		},
		{
			name:   "an older change that arrives later is not sent",
			events: []lifecycle.Event{update(1, "a"), update(3, "c"), update(2, "b")},
			want:   []string{"a", "c"},
		},
		{
			name:   "the same change twice is sent once",
			events: []lifecycle.Event{update(4, "a"), update(4, "a")},
			want:   []string{"a"},
		},
		{
			name:   "each container has its own order",
			events: []lifecycle.Event{update(5, "a"), {Kind: lifecycle.Update, Seq: 1, Container: row("db", "b")}},
			want:   []string{"a", "b"},
		},
		{
			name:   "an unordered change (Seq 0) is always sent",
			events: []lifecycle.Event{update(5, "a"), update(0, "b"), update(0, "c")},
			want:   []string{"a", "b", "c"},
		},
		{
			name: "a stale failure is not shown over the newer row but its toast is",
			events: []lifecycle.Event{update(2, "newer"),
				{Kind: lifecycle.Update, Seq: 1, Container: row("web", "older"), Ended: failedStop}},
			want: []string{"newer", "toast"},
		},
		{
			name: "a stale success is not sent at all",
			events: []lifecycle.Event{update(2, "newer"), {Kind: lifecycle.Update, Seq: 1, Container: row("web", "older"),
				Ended: &lifecycle.Job{Container: "web", Op: lifecycle.Start, Outcome: lifecycle.JobSucceeded}}},
			want: []string{"newer"},
		},
		{
			name: "a container created again under its name after its delete is shown",
			events: []lifecycle.Event{update(7, "old"), {Kind: lifecycle.Delete, Seq: 8, Container: lifecycle.Container{Name: "web"}},
				{Kind: lifecycle.Insert, Seq: 9, Container: row("web", "new")}},
			want: []string{"old", "delete", "new"},
		},
		{
			name: "a change older than the delete that arrives after it is not sent",
			events: []lifecycle.Event{update(7, "old"), {Kind: lifecycle.Delete, Seq: 9, Container: lifecycle.Container{Name: "web"}},
				update(8, "stale")},
			want: []string{"old", "delete"},
		},
		{
			name:   "an older scan status that arrives later is not sent",
			events: []lifecycle.Event{health(1, "down"), health(3, ""), health(2, "still down")},
			want:   []string{"scan:down", "scan:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub, srv := newHubServer(t, nil)
			c := connect(t, srv, "/events")
			if got := received(t, hub, c, tt.events); !slices.Equal(got, tt.want) {
				t.Errorf("the page received %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEachKindOfChangeIsRenderedAsItsOwnSwap(t *testing.T) {
	hub := web.NewHub(slog.New(slog.DiscardHandler))
	t.Cleanup(hub.Close)
	tests := []struct {
		kind     lifecycle.WriteKind
		swap     string // the hx-swap-oob that swaps web's row in, or "delete"
		announce string // what a screen reader is told
	}{
		{lifecycle.Insert, "beforebegin:#empty", "web is Running"},
		{lifecycle.Update, "true", "web is Running"},
		{0, "true", "web is Running"},
		{lifecycle.Delete, "delete", "web was removed"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.kind), func(t *testing.T) {
			ev := webtest.Event{Data: string(hub.Render(lifecycle.Event{Kind: tt.kind, Seq: 1, Container: row("web", "a")}))}
			d := ev.Doc(t)
			swap := ""
			if r, ok := webtest.PushedRow(ev, "web"); ok {
				swap = r.Swap()
			} else if d.Removes("web") && len(d.Rows()) == 0 {
				swap = "delete"
			}
			if n := d.Find("#" + webtest.RowID("web")).Length(); swap != tt.swap || n != 1 {
				t.Errorf("web's row is swapped by %q, %d times; want %q once:\n%s", swap, n, tt.swap, ev.Data)
			}
			if got := webtest.Text(d.Find("#announce")); got != tt.announce {
				t.Errorf("announces %q, want %q", got, tt.announce)
			}
		})
	}
}

func TestConcurrentNotifiesReachEveryPageInStoredOrder(t *testing.T) {
	const containers, writes, callers = 8, 20, 8
	hub, srv := newHubServer(t, nil)
	pages := []*sseClient{connect(t, srv, "/events"), connect(t, srv, "/events")}

	// Every write of every container, dealt at random to callers that each
	// notify their share in a random order, all at once.
	var all []lifecycle.Event
	for c := range containers {
		for seq := int64(1); seq <= writes; seq++ {
			name := fmt.Sprintf("c%d", c)
			all = append(all, lifecycle.Event{Kind: lifecycle.Update, Seq: seq, Container: row(name, fmt.Sprintf("%s-%d", name, seq))})
		}
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	var wg sync.WaitGroup
	for i := range callers {
		share := all[i*len(all)/callers : (i+1)*len(all)/callers]
		wg.Go(func() {
			for _, e := range share {
				hub.Notify(e)
			}
		})
	}
	wg.Wait()
	hub.Sync()
	hub.Notify(marker(0))

	for p, page := range pages {
		last := map[string]int{}
		for {
			ev := page.next(t)
			if isMarker(ev, 0) {
				break
			}
			name, seq, ok := strings.Cut(labelOf(ev), "-")
			n, err := strconv.Atoi(seq)
			if !ok || err != nil {
				t.Fatalf("page %d: unexpected event %q", p, ev.data)
			}
			if n <= last[name] {
				t.Errorf("page %d: %s's write %d arrived after its write %d", p, name, n, last[name])
			}
			last[name] = n
		}
		for c := range containers {
			if name := fmt.Sprintf("c%d", c); last[name] != writes {
				t.Errorf("page %d: %s's last write shown is %d, want %d", p, name, last[name], writes)
			}
		}
	}
}

func TestNotifyNeverWaitsAndAFullQueueEndsInOneResync(t *testing.T) {
	logs := &countingHandler{}
	hub, srv := newHubServer(t, slog.New(logs))
	c := connect(t, srv, "/events")

	// The hub is held (a starved process) while more events arrive than
	// its queue holds; all but the first are stale, so that the page's own
	// queue does not overflow when the hub catches up.
	release := web.HoldPublishing(hub)
	hub.Notify(lifecycle.Event{Kind: lifecycle.Update, Seq: 10, Container: row("web", "first")})
	for range web.QueueSize + 10 {
		hub.Notify(lifecycle.Event{Kind: lifecycle.Update, Seq: 1, Container: row("web", "stale")})
	}
	release()

	if ev := c.next(t); labelOf(ev) != "first" {
		t.Fatalf("first event is %q, want the row labelled first", ev.data)
	}
	ev := c.next(t)
	if !slices.Contains(ev.lines, "event: "+web.ResyncEvent) {
		t.Fatalf("after the drops the page got %q, want a %q event", ev.lines, web.ResyncEvent)
	}
	hub.Notify(marker(1))
	if ev := c.next(t); !isMarker(ev, 1) {
		t.Errorf("after the resync the page got %q, want the marker", ev.data)
	}
	if n := logs.dropped.Load(); n != 1 {
		t.Errorf("%d warnings about dropped events, want 1 for the whole burst", n)
	}
}

func TestPagesThatStopReadingDelayNoOtherPage(t *testing.T) {
	if testing.Short() {
		t.Skip("sends about 35 MB to 50 pages")
	}
	// More events than a stalled page's queue (about 256) and its kernel
	// buffers (about 15 of these events) hold, so that the stalled pages
	// are dropped for their full queue; the write timeout is long enough
	// that it cannot be what drops them.
	const events = 340
	rig := newStallRig(t, 50, 5, 30*time.Second)
	rig.eventSize = 2 << 10
	res := rig.run(t, events/2, func(n int) bool { return n < events })
	t.Logf("%d events of about %d KiB to %d readers: the longest silence of a reader %v, a new page's first byte after %v",
		res.events, rig.eventSize>>10, len(rig.readers), res.maxGap.Round(time.Millisecond), res.firstByte.Round(time.Millisecond))
	if res.maxGap > time.Second {
		t.Errorf("a reader went %v without an event, want at most 1s", res.maxGap)
	}
	if res.firstByte > time.Second {
		t.Errorf("a page that connected while the others were stalled waited %v for its first byte, want at most 1s", res.firstByte)
	}
	if len(res.missed)+len(res.short) > 0 {
		t.Errorf("readers missed events: %q %q", res.missed, res.short)
	}

	// The stalled pages fell further behind than their queue holds: the
	// server closed their connections so that they reconnect.
	stuck := map[string]bool{}
	for _, c := range rig.stuck {
		stuck[c.LocalAddr().String()] = true
	}
	timeout := time.After(10 * time.Second)
	for len(stuck) > 0 {
		select {
		case addr := <-rig.dropped:
			delete(stuck, addr)
		case <-timeout:
			t.Fatalf("%d of %d stalled pages still connected", len(stuck), len(rig.stuck))
		}
	}
}

func TestCloseLetsTheServerCloseWithinASecondEvenWithAStalledPage(t *testing.T) {
	rig := newStallRig(t, 0, 1, 0)
	rig.run(t, -1, func(n int) bool { return n < 100 }) // its kernel buffers fill; its queue does not
	rig.hub.Sync()

	start := time.Now()
	rig.hub.Close()
	closed := make(chan struct{})
	go func() { rig.srv.Close(); close(closed) }()
	select {
	case <-closed:
		t.Logf("the server closed %v after the hub", time.Since(start).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("the server still waits for the stalled page's stream 5s after hub.Close")
	}
}
