package web_test

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/web"
)

// stallRig is an httptest server over a hub with pages that read every
// event and pages that stopped reading (connected and subscribed, their
// kernel buffers full), as when a laptop sleeps with its page open.
//
// Every socket the server accepts gets a small send buffer and every
// stalled client a small receive buffer, so that a stalled connection
// absorbs a few events, not megabytes, before the server's writes to it
// block.
type stallRig struct {
	hub     *web.Hub
	srv     *httptest.Server
	readers []*stallReader
	stuck   []net.Conn
	dropped chan string // remote addresses of connections the server closed

	progress chan struct{} // a reader got an event

	// eventSize is about how many bytes one published event weighs on the
	// wire: enough that a few fill a stalled client's kernel buffers.
	eventSize int
}

// newStallRig connects the pages; writeTimeout, if not zero, replaces the
// hub's default.
func newStallRig(tb testing.TB, readers, stalled int, writeTimeout time.Duration) *stallRig {
	tb.Helper()
	hub := web.NewHub(slog.New(slog.DiscardHandler))
	if writeTimeout != 0 {
		hub.WriteTimeout = writeTimeout
	}
	mux := http.NewServeMux()
	mux.Handle("/events", hub)
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = smallSendBuffers{srv.Listener}
	rig := &stallRig{hub: hub, srv: srv, dropped: make(chan string, 1024), progress: make(chan struct{}, 1), eventSize: 8 << 10}
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateClosed || s == http.StateHijacked {
			select {
			case rig.dropped <- c.RemoteAddr().String():
			default:
			}
		}
	}
	srv.Start()
	tb.Cleanup(srv.Close)
	tb.Cleanup(hub.Close) // runs before srv.Close: the streams end first
	tb.Cleanup(func() {
		// Closing a client with unread data resets its connection, so the
		// server's blocked write fails at once.
		for _, c := range rig.stuck {
			c.Close()
		}
	})

	for range stalled {
		rig.stuck = append(rig.stuck, dialStalled(tb, srv.Listener.Addr().String()))
	}
	for range readers {
		rig.readers = append(rig.readers, startReader(tb, srv, rig.progress))
	}
	return rig
}

// smallSendBuffers gives every accepted connection a small kernel send
// buffer, so that the server's writes to a client that stopped reading
// block after a few events.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}

// dialStalled connects a client that sends its request, reads the response
// head (so it is known to be subscribed) and never reads again.
func dialStalled(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
	if head, err := readHead(c, addr); err != nil {
		c.Close()
		tb.Fatalf("stalled client: %v", err)
	} else if !strings.HasPrefix(head, "HTTP/1.1 200") {
		c.Close()
		tb.Fatalf("stalled client: response head %q", head)
	}
	return c
}

// readHead sends GET /events on c and reads the response head byte by
// byte, so that nothing of the body is consumed.
func readHead(c net.Conn, addr string) (string, error) {
	if _, err := fmt.Fprintf(c, "GET /events?stream=containers HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", addr); err != nil {
		return "", fmt.Errorf("send the request: %w", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	head := make([]byte, 0, 512)
	b := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := c.Read(b); err != nil {
			return string(head), fmt.Errorf("read the response head: %w (got %q)", err, head)
		}
		head = append(head, b[0])
	}
	return string(head), nil
}

// stallReader is a page that reads every event as soon as it arrives.
type stallReader struct {
	mu      sync.Mutex
	got     int           // events received
	missed  []string      // numbers that did not follow the one before
	last    time.Time     // when the last event arrived (or the run began)
	maxGap  time.Duration // the longest silence while the run went on
	running bool

	count atomic.Int64 // got, for the publisher's pacing
	ended chan error   // the read error that ended the stream
}

// startReader connects a reader that parses the event number out of each
// row (its image starts with "n" and six digits).
func startReader(tb testing.TB, srv *httptest.Server, progress chan<- struct{}) *stallReader {
	tb.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if head, err := readHead(c, srv.Listener.Addr().String()); err != nil {
		tb.Fatalf("reader: %v", err)
	} else if !strings.HasPrefix(head, "HTTP/1.1 200") {
		tb.Fatalf("reader: response head %q", head)
	}
	r := &stallReader{ended: make(chan error, 1)}
	go r.read(c, progress)
	return r
}

func (r *stallReader) read(c net.Conn, progress chan<- struct{}) {
	// The body is chunked; chunk-size lines never start with "data:", so
	// the reader needs no decoding to find the rows.
	br := bufio.NewReaderSize(c, 64<<10)
	marker := []byte(`data-image="n`)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A very long line: its start, which holds the number, was in
			// the part already returned.
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
		}
		if err != nil {
			r.ended <- err
			return
		}
		i := bytes.Index(line, marker)
		if i < 0 || !bytes.HasPrefix(line, []byte("data: ")) {
			continue
		}
		digits := line[i+len(marker):]
		if len(digits) < 6 {
			continue
		}
		n, err := strconv.Atoi(string(digits[:6]))
		if err != nil {
			continue
		}
		r.arrived(n, time.Now())
		select {
		case progress <- struct{}{}:
		default:
		}
	}
}

func (r *stallReader) arrived(n int, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n != r.got {
		r.missed = append(r.missed, fmt.Sprintf("got %d after %d", n, r.got-1))
	}
	r.got = n + 1
	if r.running {
		r.maxGap = max(r.maxGap, at.Sub(r.last))
	}
	r.last = at
	r.count.Store(int64(r.got))
}

func (r *stallReader) start(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running, r.last = true, at
}

// stallResult is what a run measured.
type stallResult struct {
	events    int
	maxGap    time.Duration // the longest any reader went without an event
	firstByte time.Duration // how long a page that connected mid-run waited for its response
	missed    []string      // what readers missed, "reader 3: got 17 after 15"
	short     []string      // readers that did not receive every event
}

// stallWindow is how far the publisher may run ahead of the slowest reader:
// containers change a few times a second, not thousands, so a reader that
// keeps reading is never hundreds of events behind.
const stallWindow = 32

// run publishes events (each one a container's new row, with its number in
// the image) at the pace of the slowest reader while more returns true,
// and before event probeAt (if not negative) connects a new page and times
// its first byte.
func (rig *stallRig) run(tb testing.TB, probeAt int, more func(n int) bool) stallResult {
	tb.Helper()
	pad := strings.Repeat("x", rig.eventSize/3) // the image shows three times in a row
	start := time.Now()
	for _, r := range rig.readers {
		r.start(start)
	}
	probe := make(chan time.Duration, 1)
	n := 0
	for ; more(n); n++ {
		if n == probeAt {
			go rig.probe(tb, probe)
		}
		rig.waitReaders(tb, n-stallWindow)
		rig.hub.Notify(lifecycle.Event{Kind: lifecycle.Update, Seq: int64(n + 1), Container: lifecycle.Container{
			Name: fmt.Sprintf("c%d", n%20), Image: fmt.Sprintf("n%06d-%s", n, pad), State: lifecycle.Running}})
	}
	rig.waitReaders(tb, n)

	res := stallResult{events: n}
	if probeAt >= 0 && n > probeAt {
		select {
		case res.firstByte = <-probe:
		case <-time.After(30 * time.Second):
			tb.Fatal("the page that connected mid-run got no response within 30s")
		}
	}
	for i, r := range rig.readers {
		r.mu.Lock()
		res.maxGap = max(res.maxGap, r.maxGap)
		for _, m := range r.missed {
			res.missed = append(res.missed, fmt.Sprintf("reader %d: %s", i, m))
		}
		if r.got != n {
			res.short = append(res.short, fmt.Sprintf("reader %d: %d of %d events", i, r.got, n))
		}
		r.mu.Unlock()
	}
	return res
}

// waitReaders waits until every reader has received more than n events,
// or until one of them has ended.
func (rig *stallRig) waitReaders(tb testing.TB, n int) {
	if n < 0 {
		return
	}
	deadline := time.After(60 * time.Second)
	for _, r := range rig.readers {
		for r.count.Load() < int64(n) {
			select {
			case <-rig.progress:
			case err := <-r.ended:
				r.ended <- err
				return
			case <-deadline:
				tb.Fatalf("a reader is stuck at %d events of %d for 60s", r.count.Load(), n)
			}
		}
	}
}

// probe connects a new page and sends how long its response head took.
func (rig *stallRig) probe(tb testing.TB, took chan<- time.Duration) {
	start := time.Now()
	addr := rig.srv.Listener.Addr().String()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Error(err)
		took <- time.Hour
		return
	}
	defer c.Close()
	if _, err := readHead(c, addr); err != nil {
		tb.Errorf("the page that connected mid-run: %v", err)
		took <- time.Hour
		return
	}
	took <- time.Since(start)
}
