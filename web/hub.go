package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/r3labs/sse/v2"

	"podboard/lifecycle"
	"podboard/templates"
)

// Stream is the one SSE stream every page listens to.
const Stream = "containers"

// Hub carries lifecycle events to every open page over Server-Sent Events:
// each event becomes a re-rendered row that htmx swaps in out of band.
type Hub struct {
	srv  *sse.Server
	log  *slog.Logger
	now  func() time.Time
	once sync.Once

	dropped atomic.Bool // an event was dropped since the last resync

	// WriteTimeout bounds each write to one client, so that a client that
	// stopped reading (a laptop asleep with its connection open) is dropped
	// instead of stalling the stream for everyone.
	WriteTimeout time.Duration
}

var _ lifecycle.Notifier = (*Hub)(nil)

// NewHub returns a hub with its stream created.
func NewHub(log *slog.Logger) *Hub {
	srv := sse.New()
	// Pages render the current state from the database when they load, so
	// old events must not be replayed (the default keeps every event forever).
	srv.AutoReplay = false
	// Rows are multi-line HTML: every line needs its own "data:" field.
	srv.SplitData = true
	srv.AutoStream = false
	srv.Headers["X-Accel-Buffering"] = "no"
	srv.CreateStream(Stream)
	return &Hub{srv: srv, log: log, now: time.Now, WriteTimeout: 10 * time.Second}
}

// Notify implements lifecycle.Notifier: it renders the event's fragment and
// queues it for every client without blocking the caller.
func (h *Hub) Notify(e lifecycle.Event) {
	h.resyncIfDropped()
	if !h.srv.TryPublish(Stream, &sse.Event{Data: h.Render(e)}) {
		// The pages missed this row; once the queue has room again they
		// are told to fetch the whole table.
		h.dropped.Store(true)
		h.log.Warn("live update dropped: the event queue is full; pages will resync", "container", e.Container.Name)
	}
}

// resyncIfDropped tells the pages to fetch the table again when events were
// dropped since the last time, as soon as the queue takes the message.
func (h *Hub) resyncIfDropped() {
	if h.dropped.Load() && h.srv.TryPublish(Stream, &sse.Event{Event: []byte(ResyncEvent), Data: []byte("resync")}) {
		h.dropped.Store(false)
	}
}

// ResyncEvent is the SSE event name that makes pages fetch the table again
// after live updates were dropped.
const ResyncEvent = "resync"

// Render is the SSE payload for e: the row, swapped in place out of band
// (or deleted), and for an operation that ended with a failure a toast.
func (h *Hub) Render(e lifecycle.Event) []byte {
	var buf bytes.Buffer
	ctx := context.Background()
	switch {
	case e.Health != nil:
		_ = templates.ScanStatus(e.Health.ScanErr, true).Render(ctx, &buf)
	case e.Removed():
		_ = templates.Removed(e.Container.Name).Render(ctx, &buf)
		_ = templates.Announce(e.Container.Name+" was removed").Render(ctx, &buf)
	default:
		_ = templates.RowItem(templates.NewRow(e.Container, h.now()), true).Render(ctx, &buf)
		_ = templates.Announce(announcement(e)).Render(ctx, &buf)
	}
	if e.Ended != nil && e.Ended.Outcome == lifecycle.JobFailed {
		_ = templates.Toast(*e.Ended).Render(ctx, &buf)
	}
	// A carriage return would end an SSE line early.
	return bytes.ReplaceAll(buf.Bytes(), []byte("\r"), nil)
}

// announcement is what a screen reader says about a changed row.
func announcement(e lifecycle.Event) string {
	c := e.Container
	if e.Ended != nil && e.Ended.Outcome == lifecycle.JobFailed {
		return fmt.Sprintf("%s of %s failed; it is %s", e.Ended.Op, c.Name, c.State.Label())
	}
	return fmt.Sprintf("%s is %s", c.Name, c.State.Label())
}

// Heartbeat sends a comment to every client at each interval until ctx
// ends, so that proxies keep idle connections open and clients notice a
// dead server.
func (h *Hub) Heartbeat(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.resyncIfDropped()
			h.srv.TryPublish(Stream, &sse.Event{Comment: []byte("ping")})
		}
	}
}

// ServeHTTP serves GET /events. The stream defaults to the only one there
// is, so a bare /events works.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("stream") == "" {
		q := r.URL.Query()
		q.Set("stream", Stream)
		r.URL.RawQuery = q.Encode()
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	dw := &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: h.WriteTimeout, cancel: cancel}
	h.srv.ServeHTTP(dw, r.WithContext(ctx))
}

// Close ends every client's stream. Call it before the HTTP server's
// Shutdown, which otherwise waits for the streams forever.
func (h *Hub) Close() { h.once.Do(h.srv.Close) }

// deadlineWriter sets a write deadline before each write and, when a write
// fails, cancels the request so the SSE library unsubscribes the client.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	cancel  context.CancelFunc
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if d.timeout > 0 {
		_ = d.rc.SetWriteDeadline(time.Now().Add(d.timeout))
	}
	n, err := d.ResponseWriter.Write(p)
	if err != nil {
		d.cancel()
	}
	return n, err
}

func (d *deadlineWriter) Flush() {
	if err := d.rc.Flush(); err != nil && !strings.Contains(err.Error(), "not supported") {
		d.cancel()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }
