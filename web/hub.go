package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/r3labs/sse/v2"

	"podboard/lifecycle"
	"podboard/templates"
)

// Stream is the name of the one public stream: pages connect to
// /events?stream=containers (a bare /events is the same). Inside, every
// connection gets a stream of its own; see ServeHTTP.
const Stream = "containers"

// ResyncEvent is the SSE event name that makes pages fetch the table again
// after live updates were dropped.
const ResyncEvent = "resync"

// queueSize is how many events Notify holds for the hub's goroutine. A
// scan's burst is one event per changed container; the goroutine renders
// an event in about 10 µs and never waits for a page, so the queue fills
// only when more containers change at once than this (the first scan of a
// very large host) or the process is starved of CPU. Pages then get one
// resync, a fetch of the whole table, instead of the rows one by one.
const queueSize = 4096

// Hub carries lifecycle events to every open page over Server-Sent Events:
// each event becomes a rendered fragment that htmx swaps in out of band.
//
// Notify only queues the event. One goroutine, started by NewHub and
// stopped by Close, takes the events in turn, drops those older than what
// the pages were already sent (Event.Seq), renders each once and hands the
// same bytes to every connection without waiting for any of them.
type Hub struct {
	srv *sse.Server
	log *slog.Logger
	now func() time.Time

	queue   chan queued
	wake    chan struct{} // nudges the goroutine after a drop
	quit    chan struct{} // closed by Close
	done    chan struct{} // closed when the goroutine has returned
	once    sync.Once
	closed  atomic.Bool
	dropped atomic.Bool // an event was dropped since the last resync

	mu      sync.Mutex
	conns   map[string]*client // by internal stream id
	perAddr map[string]int     // open connections by client address
	nextID  uint64
	shut    bool // Close ran: no new connections

	// MaxFeeds caps the open live connections, MaxFeedsPerClient those of
	// one client address; 0 for no cap. Each holds a goroutine and a
	// socket, so without a cap anyone who can reach the port can exhaust
	// them.
	MaxFeeds, MaxFeedsPerClient int
	// ClientAddr names a request's client for MaxFeedsPerClient; nil for
	// the connection's address.
	ClientAddr func(*http.Request) string

	// Logs reads a container's logs for its page; nil when the engine
	// cannot.
	Logs LogSource
	// Usage is a container's CPU and memory for its row; nil without
	// stats.
	Usage func(host, name string) (lifecycle.Usage, bool)

	// HostURIs are the hosts' Podman URIs (redacted), by host name. With
	// more than one, rows name their host in their ids and URLs, and each
	// host has its own banner and header; with one or none, the hub
	// renders as for a dashboard of one host. Set before the first event.
	HostURIs map[string]string
	// down is the hosts that are unreachable, as the pages were last
	// told; it belongs to the hub's goroutine.
	down map[string]templates.HostState

	// WriteTimeout bounds each write to one client. A client that stops
	// reading is dropped as soon as its queue is full; this bounds how
	// long its last write may hang before that.
	WriteTimeout time.Duration
}

// queued is one item of the hub's queue: an event, or a Sync's marker.
type queued struct {
	event  lifecycle.Event
	synced chan struct{} // closed once the items before it are published
}

var _ lifecycle.Notifier = (*Hub)(nil)

// NewHub returns a hub whose goroutine runs until Close.
func NewHub(log *slog.Logger) *Hub {
	srv := sse.New()
	// Pages render the current state from the database when they load, so
	// old events must not be replayed (the default keeps every event forever).
	srv.AutoReplay = false
	// Rows are multi-line HTML: every line needs its own "data:" field.
	srv.SplitData = true
	srv.AutoStream = false
	srv.BufferSize = clientQueue
	srv.Headers["X-Accel-Buffering"] = "no"
	h := &Hub{
		srv:          srv,
		log:          log,
		now:          time.Now,
		queue:        make(chan queued, queueSize),
		wake:         make(chan struct{}, 1),
		quit:         make(chan struct{}),
		done:         make(chan struct{}),
		conns:        map[string]*client{},
		perAddr:      map[string]int{},
		WriteTimeout: 10 * time.Second,
	}
	go h.run()
	return h
}

// Notify implements lifecycle.Notifier: it queues the event and returns at
// once. When the queue is full the event is dropped, and once the queue
// has drained the pages are told to fetch the whole table.
func (h *Hub) Notify(e lifecycle.Event) {
	if h.closed.Load() {
		return
	}
	select {
	case h.queue <- queued{event: e}:
	default:
		if !h.dropped.Swap(true) {
			h.log.Warn("live updates dropped: the hub's queue is full; pages will fetch the table again", "container", e.Container.Name)
		}
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// Sync returns once every event queued before it has been handed to the
// connections (not necessarily written to them), or the hub is closed.
// Tests use it to know the hub has caught up without waiting for time.
func (h *Hub) Sync() {
	synced := make(chan struct{})
	select {
	case h.queue <- queued{synced: synced}:
	case <-h.done:
		return
	}
	select {
	case <-synced:
	case <-h.done:
	}
}

// Close stops the hub's goroutine and ends every client's stream; events
// still queued are dropped. Call it before the HTTP server's Shutdown,
// which otherwise waits for the streams forever. A second Close does
// nothing.
func (h *Hub) Close() {
	h.once.Do(func() {
		h.closed.Store(true)
		close(h.quit)
		<-h.done
		h.endAll()
	})
}

// run renders and publishes the queued events in order until Close.
func (h *Hub) run() {
	defer close(h.done)
	seen := newOrder()
	for {
		var q queued
		select {
		case <-h.quit:
			return
		case q = <-h.queue:
			if q.synced == nil {
				h.deliver(seen, q.event)
			}
		case <-h.wake:
		}
		// The resync goes after every event queued before the drop, so
		// that the table the pages fetch is not older than what they were
		// sent.
		if len(h.queue) == 0 && h.dropped.CompareAndSwap(true, false) {
			h.publish(&sse.Event{Event: []byte(ResyncEvent), Data: []byte("resync")})
		}
		if q.synced != nil {
			close(q.synced)
		}
	}
}

// deliver publishes e, or only its failure toast when the pages already
// have a newer row: the operator must still learn that the job failed.
//
// A container's page is sent its own container's rows and usage, and of
// the others only their failure toasts: it has no row to swap them into.
func (h *Hub) deliver(seen *order, e lifecycle.Event) {
	host, name := e.Container.Host, e.Container.Name
	switch {
	case len(e.Usage) > 0:
		h.publishTo(&sse.Event{Data: h.Render(e)}, func(c *client) bool { return c.only == "" })
		for _, u := range e.Usage {
			only := lifecycle.Event{Usage: []lifecycle.Usage{u}}
			if h.hasPage(u.Host, u.Name) {
				h.publishTo(&sse.Event{Data: h.Render(only)}, func(c *client) bool { return c.only != "" && c.shows(u.Host, u.Name) })
			}
		}
	case e.Health != nil && h.several():
		if seen.admit(e) {
			h.noteHealth(*e.Health)
			// The table gets the host's banner and header; a container's
			// page of that host the banner alone (it has no header), which
			// its row's mark follows.
			s := h.hostState(*e.Health)
			h.publishTo(&sse.Event{Data: renderHost(s, true)}, func(c *client) bool { return c.only == "" })
			h.publishTo(&sse.Event{Data: renderHost(s, false)}, func(c *client) bool { return c.only != "" && c.onlyHost == s.Name })
		}
	case e.Health != nil:
		if seen.admit(e) {
			h.publish(&sse.Event{Data: h.Render(e)})
		}
	case seen.admit(e):
		h.publishTo(&sse.Event{Data: h.Render(e)}, func(c *client) bool { return c.shows(host, name) })
		if failed(e) {
			h.publishTo(&sse.Event{Data: renderToast(*e.Ended, h.several())}, func(c *client) bool { return !c.shows(host, name) })
		}
	case failed(e):
		h.publish(&sse.Event{Data: renderToast(*e.Ended, h.several())})
	}
}

// several reports whether the dashboard has several hosts.
func (h *Hub) several() bool { return len(h.HostURIs) > 1 }

// hostNames are the hosts' names, sorted; DefaultHost alone when
// HostURIs is not set.
func (h *Hub) hostNames() []string {
	if len(h.HostURIs) == 0 {
		return []string{lifecycle.DefaultHost}
	}
	return slices.Sorted(maps.Keys(h.HostURIs))
}

// noteHealth records whether a host is down, for the rows rendered from
// now on.
func (h *Hub) noteHealth(s lifecycle.Health) {
	if !h.several() {
		return
	}
	if h.down == nil {
		h.down = map[string]templates.HostState{}
	}
	if s.ScanErr == "" {
		delete(h.down, s.Host)
		return
	}
	h.down[s.Host] = h.hostState(s)
}

// hostState is the state a health event reports, as the pages show it.
func (h *Hub) hostState(s lifecycle.Health) templates.HostState {
	return templates.NewHostState(s.Host, h.HostURIs[s.Host], s.ScanErr, s.Unreachable, s.Since, h.now())
}

// hasPage reports whether the page of host's container name is open.
func (h *Hub) hasPage(host, name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		if c.only != "" && c.shows(host, name) {
			return true
		}
	}
	return false
}

// order remembers what the pages were sent, so that an event that reaches
// the hub after a newer one of the same container (Notify runs outside the
// lifecycle lock, so events race) is not shown over it. It belongs to the
// hub's goroutine.
type order struct {
	rows   map[string]int64 // the Seq last sent, by host and container name
	health map[string]int64 // the Seq of the last health event sent, by host
}

func newOrder() *order { return &order{rows: map[string]int64{}, health: map[string]int64{}} }

// admit reports whether e's row (or scan status) should be sent, and
// records it. Seq 0 is unordered and always sent.
//
// A Delete is remembered like any change: Seq comes from one sequence for
// every row of the store, so a container created again under the same
// name gets a higher one, and an older update that arrives after the
// delete is not sent.
func (o *order) admit(e lifecycle.Event) bool {
	if e.Health != nil {
		if e.Seq == 0 {
			return true
		}
		if e.Seq <= o.health[e.Health.Host] {
			return false
		}
		o.health[e.Health.Host] = e.Seq
		return true
	}
	name := lifecycle.HostName(e.Container.Host, e.Container.Name)
	if e.Seq != 0 && e.Seq <= o.rows[name] {
		return false
	}
	if e.Seq != 0 {
		o.rows[name] = e.Seq
	}
	return true
}

// failed reports whether e ends a job that failed.
func failed(e lifecycle.Event) bool {
	return e.Ended != nil && e.Ended.Outcome == lifecycle.JobFailed
}

// Render is the SSE payload for e, by its kind: a new row inserted before
// the empty-table line, a row swapped in place, or a row deleted, each out
// of band, with what a screen reader should say; for an operation that
// ended with a failure, a toast too.
func (h *Hub) Render(e lifecycle.Event) []byte {
	if e.Health != nil && h.several() {
		return renderHost(h.hostState(*e.Health), true) // a health event ends no job
	}
	var buf bytes.Buffer
	ctx := context.Background()
	switch {
	case e.Health != nil:
		_ = templates.ScanStatus(e.Health.ScanErr, true).Render(ctx, &buf)
	case len(e.Usage) > 0:
		_ = templates.UsageUpdates(e.Usage, h.several()).Render(ctx, &buf)
	case e.Kind == lifecycle.Delete:
		_ = templates.Removed(h.row(e.Container).Key).Render(ctx, &buf)
		_ = templates.Announce(h.named(e.Container)+" was removed").Render(ctx, &buf)
	case e.Kind == lifecycle.Insert:
		_ = templates.Inserted(h.row(e.Container)).Render(ctx, &buf)
		_ = templates.Announce(h.announcement(e)).Render(ctx, &buf)
	default:
		_ = templates.RowItem(h.row(e.Container), true).Render(ctx, &buf)
		_ = templates.Announce(h.announcement(e)).Render(ctx, &buf)
	}
	if failed(e) {
		_ = templates.Toast(*e.Ended, h.several()).Render(ctx, &buf)
	}
	return sseSafe(buf.Bytes())
}

// named is how the pages name c: on a dashboard of several hosts, with
// its host.
func (h *Hub) named(c lifecycle.Container) string {
	if h.several() {
		return lifecycle.HostName(c.Host, c.Name)
	}
	return c.Name
}

// row is c's row as of now, with its usage as the pages were last sent
// it: rendered in the hub's goroutine, in order with the usage events.
func (h *Hub) row(c lifecycle.Container) templates.Row {
	r := templates.RowOn(c, h.now(), h.several())
	if h.Usage != nil {
		r = r.WithUsage(h.Usage(c.Host, c.Name))
	}
	if s, ok := h.down[c.Host]; ok {
		r.HostDown = s.Down
	}
	return r
}

// renderHost is a host's banner, with its header in the table (head).
func renderHost(s templates.HostState, head bool) []byte {
	var buf bytes.Buffer
	ctx := context.Background()
	_ = templates.HostStatus(s, true).Render(ctx, &buf)
	if head {
		_ = templates.HostHead(s, true).Render(ctx, &buf)
	}
	return sseSafe(buf.Bytes())
}

// renderToast is the toast of a failed job alone.
func renderToast(j lifecycle.Job, several bool) []byte {
	var buf bytes.Buffer
	_ = templates.Toast(j, several).Render(context.Background(), &buf)
	return sseSafe(buf.Bytes())
}

// sseSafe strips carriage returns, which would end an SSE line early.
func sseSafe(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\r"), nil) }

// announcement is what a screen reader says about a changed row.
func (h *Hub) announcement(e lifecycle.Event) string {
	c := e.Container
	if failed(e) {
		return fmt.Sprintf("%s of %s failed; it is %s", e.Ended.Op, h.named(c), c.State.Label())
	}
	return fmt.Sprintf("%s is %s", h.named(c), c.State.Label())
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
			h.publish(&sse.Event{Comment: []byte("ping")})
		}
	}
}
