package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/r3labs/sse/v2"

	"podboard/lifecycle"
	"podboard/web/auth"
)

// r3labs/sse hands an event to a stream's subscribers one after another,
// each with a blocking send into the subscriber's 64-event buffer: one page
// that stops reading would hold up every other page of its stream until its
// write timed out. So every connection gets a stream of its own, and the
// hub publishes to each without blocking (TryPublish). A connection whose
// queue is full is dropped: its request ends, the browser reconnects, and
// the page fetches the table again on every reconnection. (Telling it to
// resync instead would not work: the resync would queue behind the events
// it cannot read.)

// clientQueue is how many events a connection's stream holds on top of
// r3labs' 64 per subscriber: about 256 rows, more than a scan's burst on a
// host of a few hundred containers, so a page that keeps reading is never
// dropped for a burst it is reading through.
const clientQueue = 192

// closeGrace is how long Close lets each stream write what it still holds.
const closeGrace = time.Second

// errDropped fails the writes to a connection that was dropped.
var errDropped = errors.New("live page dropped: its queue was full")

// client is one /events connection.
type client struct {
	id      string // its internal stream: never a name a request can ask for
	remote  string
	addr    string             // the client's address, for the per-client cap
	who     auth.Principal     // who it was opened for
	cancel  context.CancelFunc // ends the request
	w       *deadlineWriter
	dropped bool // guarded by Hub.mu: dropped or signed out
	// only is the container a container's page shows: its connection
	// gets that container's rows, and of the others only their failure
	// toasts. "" for the table, which gets every row. onlyHost is its
	// host, whose banner alone it gets on a dashboard of several.
	only, onlyHost string
}

// shows reports whether c shows the row of host's container name.
func (c *client) shows(host, name string) bool {
	return c.only == "" || c.only == name && c.onlyHost == host
}

// ServeHTTP serves GET /events and GET /events?stream=containers, with
// &logs=NAME on a container's page (see followLogs). Any other stream is a
// 400, which also keeps the connections' own streams out of reach.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if name := q.Get("stream"); name != "" && name != Stream {
		http.Error(w, fmt.Sprintf("unknown stream %q: the only stream is %q (GET /events?stream=%s)", name, Stream, Stream), http.StatusBadRequest)
		return
	}
	logs := q.Get("logs")
	if q.Has("logs") {
		if err := lifecycle.ValidateName(logs); err != nil {
			http.Error(w, "logs: "+err.Error(), http.StatusBadRequest)
			return
		}
		if h.Logs == nil {
			http.Error(w, "logs: this dashboard cannot read logs", http.StatusBadRequest)
			return
		}
	}
	host := q.Get("host")
	hosts := h.hostNames()
	switch {
	case q.Has("host") && !slices.Contains(hosts, host):
		http.Error(w, fmt.Sprintf("host: no host %q", host), http.StatusBadRequest)
		return
	case host == "" && len(hosts) > 1 && logs != "":
		http.Error(w, "logs: this dashboard has several hosts: name the container's with &host=", http.StatusBadRequest)
		return
	case host == "":
		host = hosts[0] // the only one, or any: the table's feed has no host
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	// The request has been read: a live feed has no read deadline.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	dw := &deadlineWriter{ResponseWriter: w, rc: rc, timeout: h.WriteTimeout, cancel: cancel, began: make(chan struct{})}
	who, _ := auth.From(r.Context())
	c, err := h.connect(cancel, dw, r.RemoteAddr, h.clientAddr(r), who, logs, host)
	if err != nil {
		w.Header().Set("Retry-After", "30")
		http.Error(w, "podboard: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer h.disconnect(c)
	if logs != "" {
		// The follower ends with the request: its last sends must not
		// reach a response that has finished.
		done := make(chan struct{})
		go func() { defer close(done); h.followLogs(ctx, c, logs) }()
		defer func() { cancel(); <-done }()
	}

	// The library reads the stream's name from the query: give it this
	// connection's, on a copy of the URL (r.WithContext shares it).
	u := *r.URL
	u.RawQuery = url.Values{"stream": {c.id}}.Encode()
	r = r.WithContext(ctx)
	r.URL = &u
	h.srv.ServeHTTP(dw, r)
}

// connect creates the connection's stream, unless the hub is closed or
// the connection would pass a cap.
func (h *Hub) connect(cancel context.CancelFunc, w *deadlineWriter, remote, addr string, who auth.Principal, only, onlyHost string) (*client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shut {
		return nil, errors.New("the server is shutting down")
	}
	if h.MaxFeeds > 0 && len(h.conns) >= h.MaxFeeds {
		h.log.Warn("live feed refused: too many open", "open", len(h.conns), "limit", h.MaxFeeds, "from", addr)
		return nil, fmt.Errorf("too many live connections are open (%d, the limit is %d): close some pages and reload", len(h.conns), h.MaxFeeds)
	}
	if h.MaxFeedsPerClient > 0 && h.perAddr[addr] >= h.MaxFeedsPerClient {
		h.log.Warn("live feed refused: too many from one client", "from", addr, "limit", h.MaxFeedsPerClient)
		return nil, fmt.Errorf("too many live connections from %s (the limit is %d per client): close some pages and reload", addr, h.MaxFeedsPerClient)
	}
	h.nextID++
	c := &client{id: "conn-" + strconv.FormatUint(h.nextID, 10), remote: remote, addr: addr, who: who, cancel: cancel, w: w, only: only, onlyHost: onlyHost}
	h.srv.CreateStream(c.id)
	h.conns[c.id] = c
	h.perAddr[addr]++
	return c, nil
}

// disconnect removes the stream of a connection whose request has ended.
// By then the library has unsubscribed it, so removing the stream leaves
// no goroutine behind.
func (h *Hub) disconnect(c *client) {
	h.mu.Lock()
	c.dropped = true // nothing more is sent to it
	delete(h.conns, c.id)
	if h.perAddr[c.addr]--; h.perAddr[c.addr] <= 0 {
		delete(h.perAddr, c.addr)
	}
	h.mu.Unlock()
	h.srv.RemoveStream(c.id)
}

// Feeds is how many live connections are open now.
func (h *Hub) Feeds() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// publish hands ev to every connection without waiting for any, and drops
// the connections whose queue is full.
func (h *Hub) publish(ev *sse.Event) { h.publishTo(ev, nil) }

// publishTo is publish to the connections keep accepts (all when nil).
func (h *Hub) publishTo(ev *sse.Event, keep func(*client) bool) {
	var dropped []*client
	h.mu.Lock()
	for _, c := range h.conns {
		if keep != nil && !keep(c) {
			continue
		}
		if !h.offerLocked(c, ev) {
			dropped = append(dropped, c)
		}
	}
	h.mu.Unlock()
	for _, c := range dropped {
		h.logDropped(c)
	}
}

// sendTo hands ev to c alone, as publish does; false when c was dropped
// for it.
func (h *Hub) sendTo(c *client, ev *sse.Event) bool {
	h.mu.Lock()
	ok := h.offerLocked(c, ev)
	h.mu.Unlock()
	if !ok {
		h.logDropped(c)
	}
	return ok
}

// offerLocked queues ev to c without waiting; when c's queue is full it
// drops c and returns false.
func (h *Hub) offerLocked(c *client, ev *sse.Event) bool {
	if c.dropped || h.srv.TryPublish(c.id, ev) {
		return true
	}
	if !c.w.started() {
		// Its handler has not answered yet (the process is busy): it is
		// not a page that stopped reading. The event is lost to it, as
		// every event before its first byte is; the page fetches the
		// table once its stream opens.
		return true
	}
	c.dropped = true
	c.w.endBy(time.Unix(1, 0), true) // a write in progress fails now
	c.cancel()
	return false
}

func (h *Hub) logDropped(c *client) {
	h.log.Warn("live page dropped: it stopped reading; it will reconnect and fetch the table", "remote", c.remote)
}

// endAll ends every stream after what it holds is written (for at most
// closeGrace), so that the browsers see a clean end, and refuses new ones.
func (h *Hub) endAll() {
	h.mu.Lock()
	h.shut = true
	conns := make([]*client, 0, len(h.conns))
	for _, c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	limit := time.Now().Add(closeGrace)
	for _, c := range conns {
		c.w.endBy(limit, false)
		c.cancel()
	}
}

// deadlineWriter sets a write deadline before each write and, when a write
// fails, cancels the request so the SSE library unsubscribes the client.
// endBy moves the deadline earlier, for the write in progress too.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	cancel  context.CancelFunc

	// began is closed when the answer begins: the library has then
	// subscribed the connection to its stream.
	began chan struct{}

	mu          sync.Mutex
	limit       time.Time // no write may last past it; zero for none
	cut         bool      // every write fails
	wroteHeader bool
}

// arm sets the deadline of the next write.
func (d *deadlineWriter) arm() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cut {
		return errDropped
	}
	var deadline time.Time
	if d.timeout > 0 {
		deadline = time.Now().Add(d.timeout)
	}
	if !d.limit.IsZero() && (deadline.IsZero() || d.limit.Before(deadline)) {
		deadline = d.limit
	}
	if !deadline.IsZero() {
		_ = d.rc.SetWriteDeadline(deadline)
	}
	return nil
}

// endBy makes every write, the one in progress included, end by t; cut
// makes the writes to come fail at once. It is safe to call while a write
// is blocked: that is its purpose.
func (d *deadlineWriter) endBy(t time.Time, cut bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cut = d.cut || cut
	if d.limit.IsZero() || t.Before(d.limit) {
		d.limit = t
	}
	_ = d.rc.SetWriteDeadline(d.limit)
}

// WriteHeader records that the answer has begun and passes it on.
func (d *deadlineWriter) WriteHeader(status int) {
	d.mu.Lock()
	if !d.wroteHeader {
		close(d.began)
	}
	d.wroteHeader = true
	d.mu.Unlock()
	d.ResponseWriter.WriteHeader(status)
}

// started reports whether the library has begun the answer: until then
// the connection's queue may fill without the page being at fault.
func (d *deadlineWriter) started() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.wroteHeader
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if err := d.arm(); err != nil {
		d.cancel()
		return 0, err
	}
	n, err := d.ResponseWriter.Write(p)
	if err != nil {
		d.cancel()
	}
	return n, err
}

func (d *deadlineWriter) Flush() {
	if d.arm() != nil {
		d.cancel()
		return
	}
	if err := d.rc.Flush(); err != nil && !strings.Contains(err.Error(), "not supported") {
		d.cancel()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }
