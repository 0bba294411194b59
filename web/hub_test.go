package web_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/web"
)

// sseEvent is one event as a client parses it.
type sseEvent struct {
	data     string   // the data lines joined with "\n"
	lines    []string // every line of the event, as sent
	comments []string
}

// sseClient reads an event stream in the background.
type sseClient struct {
	resp   *http.Response
	events chan sseEvent // closed when the stream ends
	ended  chan error    // the read error that ended the stream (io.EOF for a clean end)
}

// connect opens path on srv as an EventSource would and parses what arrives.
// The stream is closed when the test ends.
func connect(t *testing.T, srv *httptest.Server, path string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := srv.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", path, err)
	}
	c := &sseClient{resp: resp, events: make(chan sseEvent, 16), ended: make(chan error, 1)}
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		cancel()
		resp.Body.Close()
	})
	go func() {
		defer close(c.events)
		br := bufio.NewReaderSize(resp.Body, 256<<10)
		var ev sseEvent
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				c.ended <- err
				return
			}
			line = strings.TrimSuffix(line, "\n")
			if line == "" {
				if len(ev.lines) > 0 {
					select {
					case c.events <- ev:
					case <-done:
						return
					}
				}
				ev = sseEvent{}
				continue
			}
			ev.lines = append(ev.lines, line)
			switch {
			case strings.HasPrefix(line, ":"):
				ev.comments = append(ev.comments, strings.TrimPrefix(strings.TrimPrefix(line, ":"), " "))
			case strings.HasPrefix(line, "data:"):
				v := strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
				if len(ev.lines) > 1 && hasData(ev.lines[:len(ev.lines)-1]) {
					ev.data += "\n"
				}
				ev.data += v
			}
		}
	}()
	return c
}

func hasData(lines []string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, "data:") {
			return true
		}
	}
	return false
}

// next returns the next event that carries data, skipping heartbeats.
func (c *sseClient) next(t *testing.T) sseEvent {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatalf("stream ended while waiting for an event: %v", <-c.ended)
			}
			if ev.data != "" {
				return ev
			}
		case <-timeout:
			t.Fatal("no event within 5s")
		}
	}
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
	return strings.Contains(ev.data, fmt.Sprintf(`id="row-marker-%d"`, n))
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
	t.Run("unknown stream", func(t *testing.T) {
		resp, err := srv.Client().Get(srv.URL + "/events?stream=other")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("an unknown stream was served")
		}
	})
}

func TestNotifySendsEachChangeAsOneWholeOutOfBandFragment(t *testing.T) {
	running := lifecycle.Container{Name: "web", Image: "localhost/web:latest", State: lifecycle.Running, EngineState: "running", StopTimeout: 10}
	failed := running
	failed.Error = "stop web: container did not stop"
	tests := []struct {
		name    string
		event   lifecycle.Event
		want    []string
		notWant []string
	}{
		{
			name:    "a changed row replaces the row in place",
			event:   lifecycle.Event{Container: running},
			want:    []string{`<div id="row-web"`, `hx-swap-oob="true"`, `data-state="running"`},
			notWant: []string{"toast", "delete"},
		},
		{
			name: "a transitional row shows the spinner",
			event: lifecycle.Event{Container: lifecycle.Container{Name: "web", State: lifecycle.Stopping, PrevState: lifecycle.Running, JobID: 3,
				Job: &lifecycle.Job{ID: 3, Op: lifecycle.Stop, StartedAt: time.Unix(1700000000, 0)}}},
			want: []string{`<div id="row-web"`, `hx-swap-oob="true"`, `data-state="stopping"`, `class="spinner"`, "disabled"},
		},
		{
			name:    "a removed container deletes its row",
			event:   lifecycle.Event{Kind: lifecycle.Delete, Container: lifecycle.Container{Name: "web"}},
			want:    []string{`<div id="row-web" hx-swap-oob="delete"></div>`},
			notWant: []string{`hx-swap-oob="true"`, "toast", "data-state"},
		},
		{
			name: "a failed operation adds a toast",
			event: lifecycle.Event{Container: failed, Ended: &lifecycle.Job{Container: "web", Op: lifecycle.Stop,
				Outcome: lifecycle.JobFailed, Error: failed.Error}},
			want: []string{`<div id="row-web"`, `hx-swap-oob="true"`, `hx-swap-oob="beforeend:#toasts"`, `data-testid="toast"`,
				"stop web failed:", "container did not stop"},
		},
		{
			name: "a succeeded operation adds no toast",
			event: lifecycle.Event{Container: running, Ended: &lifecycle.Job{Container: "web", Op: lifecycle.Start,
				Outcome: lifecycle.JobSucceeded}},
			want:    []string{`hx-swap-oob="true"`},
			notWant: []string{"toast"},
		},
		{
			name: "a container that vanished during its operation is deleted with a toast",
			event: lifecycle.Event{Kind: lifecycle.Delete, Container: lifecycle.Container{Name: "web"}, Ended: &lifecycle.Job{Container: "web",
				Op: lifecycle.Stop, Outcome: lifecycle.JobFailed, Error: "container web no longer exists"}},
			want: []string{`hx-swap-oob="delete"`, `hx-swap-oob="beforeend:#toasts"`, "no longer exists"},
		},
		{
			name: "blank lines and carriage returns in the HTML do not cut the event",
			event: lifecycle.Event{Container: lifecycle.Container{Name: "web", State: lifecycle.Running,
				Image: "img\r\n\r\nwith blank line", Error: "first line\r\n\r\n\n  third line\r\nlast"}},
			want:    []string{`data-testid="error-full">first line` + "\n\n\n" + `  third line` + "\nlast</pre>", "img\n\nwith blank line</div>", "</div></div>"},
			notWant: []string{"\r"},
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
			for _, w := range tt.want {
				if !strings.Contains(ev.data, w) {
					t.Errorf("event lacks %q:\n%s", w, ev.data)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(ev.data, w) {
					t.Errorf("event contains %q:\n%s", w, ev.data)
				}
			}
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

	timeout := time.After(5 * time.Second)
	pings := 0
	for pings < 2 {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatalf("stream ended: %v", <-c.ended)
			}
			if ev.data != "" {
				t.Fatalf("heartbeat sent data %q", ev.data)
			}
			if len(ev.lines) != 1 || ev.lines[0] != ": ping" {
				t.Fatalf("heartbeat = %q, want the one comment line \": ping\"", ev.lines)
			}
			pings++
		case <-timeout:
			t.Fatalf("%d pings within 5s, want 2", pings)
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
		case err := <-c.ended:
			if !errors.Is(err, io.EOF) {
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

func TestAClientThatStopsReadingDoesNotStallTheStreamForOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes about 200 MB of events")
	}
	logs := &countingHandler{}
	hub := web.NewHub(slog.New(logs))
	hub.WriteTimeout = 500 * time.Millisecond
	mux := http.NewServeMux()
	mux.Handle("/events", hub)
	srv := httptest.NewUnstartedServer(mux)
	var closedMu sync.Mutex
	closed := map[string]bool{} // remote addresses of connections the server closed
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateClosed || s == http.StateHijacked {
			closedMu.Lock()
			closed[c.RemoteAddr().String()] = true
			closedMu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(hub.Close)

	// The stuck client: it sends its request, reads the response head so
	// that it is known to be subscribed, and never reads again.
	addr := srv.Listener.Addr().String()
	stuck, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stuck.Close() })
	_ = stuck.(*net.TCPConn).SetReadBuffer(4 << 10)
	if _, err := fmt.Fprintf(stuck, "GET /events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", addr); err != nil {
		t.Fatal(err)
	}
	_ = stuck.SetReadDeadline(time.Now().Add(5 * time.Second))
	head := make([]byte, 0, 512)
	for !strings.HasSuffix(string(head), "\r\n\r\n") {
		b := make([]byte, 1)
		if _, err := stuck.Read(b); err != nil {
			t.Fatalf("stuck client: reading the response head: %v (got %q)", err, head)
		}
		head = append(head, b[0])
	}
	if !strings.HasPrefix(string(head), "HTTP/1.1 200") {
		t.Fatalf("stuck client: response head %q", head)
	}

	// The healthy client reads everything and waits for the final marker.
	healthy := connect(t, srv, "/events")
	const final = 999999
	got := make(chan time.Time, 1)
	var received atomic.Int64
	var resynced atomic.Bool
	go func() {
		for ev := range healthy.events {
			for _, l := range ev.lines {
				if l == "event: "+web.ResyncEvent {
					resynced.Store(true)
				}
			}
			if isMarker(ev, final) {
				got <- time.Now()
				return
			}
			if ev.data != "" {
				received.Add(1)
			}
		}
	}()

	const events, size = 3000, 64 << 10
	big := strings.Repeat("x", size/2) // the image shows twice in a row: title and text
	start := time.Now()
	for i := range events {
		hub.Notify(lifecycle.Event{Container: lifecycle.Container{Name: fmt.Sprintf("c%d", i%50), Image: big, State: lifecycle.Running}})
	}
	published := time.Since(start)

	// The final marker is published until it arrives: while the stream is
	// stalled the queue is full and Notify drops events, the marker too.
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var arrived time.Time
wait:
	for {
		hub.Notify(marker(final))
		select {
		case arrived = <-got:
			break wait
		case <-tick.C:
		case <-deadline:
			t.Fatalf("the healthy client got no final marker within 20s after %d events (%d dropped): "+
				"a client that stopped reading stalls the stream for everyone", received.Load(), logs.dropped.Load())
		}
	}
	t.Logf("published %d events of %d KiB in %v; the healthy client received %d and the final marker %v after the start; %d dropped",
		events, size>>10, published.Round(time.Millisecond), received.Load(), arrived.Sub(start).Round(time.Millisecond), logs.dropped.Load())

	// The healthy page missed the dropped rows, so it was told to fetch the
	// table again before the marker.
	if logs.dropped.Load() > 0 && !resynced.Load() {
		t.Errorf("%d events were dropped but the healthy client got no %q event", logs.dropped.Load(), web.ResyncEvent)
	}

	// The stuck client was dropped: the server closed its connection. (Its
	// own side may never learn it, as the kernel gives up on a peer that
	// keeps its window shut without telling it.)
	dropped := func() bool {
		closedMu.Lock()
		defer closedMu.Unlock()
		return closed[stuck.LocalAddr().String()]
	}
	for end := time.Now().Add(10 * time.Second); !dropped(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the server never closed the stuck client's connection")
		}
	}
}
