package webtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Event is one server-sent event: the lines the server sent up to the blank
// line that ended them. A heartbeat is an event with Comments and no Data,
// which a browser never dispatches; the matchers of this package never
// match one.
type Event struct {
	Name     string    // the "event:" field; "" is a browser's "message"
	Data     string    // the "data:" lines joined with "\n", as a browser's event.data
	ID       string    // the "id:" field
	Comments []string  // the comment lines (":" lines), without the colon and one space
	Lines    []string  // every line as sent, without its line end
	At       time.Time // when the blank line that ended the event arrived
}

// Doc parses the event's data as HTML.
func (ev Event) Doc(tb testing.TB) *Doc {
	tb.Helper()
	return Parse(tb, ev.Data)
}

// Stream reads a live feed in the background, keeping every event with
// its arrival time, until the test ends or Close. Its methods may be
// called from any goroutine, but Next fails the test and so, like
// t.Fatal, belongs to the test's own goroutine.
type Stream struct {
	tb   testing.TB
	resp *http.Response

	// Deadline bounds each Next. Set it right after Subscribe, before
	// calling Next; default the package's Deadline.
	Deadline time.Duration

	events record[Event]
	cancel context.CancelFunc
	done   chan struct{}
}

// streamClient has no timeout: a stream lasts as long as its test.
var streamClient = &http.Client{}

// Subscribe opens the live feed at url (the whole URL of /events) as an
// EventSource does. It returns once the server has answered 200 with
// text/event-stream, by which time the hub has subscribed the client: every
// event published afterwards reaches the stream. Any other answer fails the
// test. The stream is closed when the test ends.
func Subscribe(tb testing.TB, url string) *Stream {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatalf("subscribe: %v", err)
	}
	return SubscribeRequest(tb, streamClient, req)
}

// SubscribeRequest is Subscribe with the caller's client and request (its
// own headers, a Last-Event-ID, a proxy): req's context is wrapped so that
// Close can end the stream.
func SubscribeRequest(tb testing.TB, client *http.Client, req *http.Request) *Stream {
	tb.Helper()
	ctx, cancel := context.WithCancel(req.Context())
	req = req.WithContext(ctx)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/event-stream")
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		tb.Fatalf("GET %s: %v", req.URL, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		cancel()
		tb.Fatalf("GET %s: %s, Content-Type %q, want 200 text/event-stream:\n%s", req.URL, resp.Status, resp.Header.Get("Content-Type"), b)
	}
	s := &Stream{tb: tb, resp: resp, Deadline: Deadline, cancel: cancel, done: make(chan struct{})}
	go s.read(resp.Body)
	tb.Cleanup(s.Close)
	return s
}

// read splits the stream into events as the SSE specification does: lines
// end with "\n", "\r\n" or "\r"; a blank line ends an event; a field's value
// loses one leading space.
func (s *Stream) read(body io.ReadCloser) {
	defer close(s.done)
	defer body.Close()
	br := bufio.NewReaderSize(body, 64<<10)
	var ev Event
	var data []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			// A partial event at the end is dropped, as a browser does.
			s.events.end(err)
			return
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		for _, l := range strings.Split(line, "\r") {
			if l == "" {
				if len(ev.Lines) > 0 {
					ev.Data = strings.Join(data, "\n")
					ev.At = time.Now()
					s.events.add(ev)
				}
				ev, data = Event{}, nil
				continue
			}
			ev.Lines = append(ev.Lines, l)
			field, value, _ := strings.Cut(l, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "":
				ev.Comments = append(ev.Comments, value)
			case "data":
				data = append(data, value)
			case "event":
				ev.Name = value
			case "id":
				ev.ID = value
			}
		}
	}
}

// Response is the server's answer that opened the stream (status and
// headers; its body belongs to the stream).
func (s *Stream) Response() *http.Response { return s.resp }

// Next waits for the first event at index from or later that matches and
// returns its index and the event. Pass Count() taken before an action as
// from to look only at what came after it. what names the awaited event
// in the failure: when the stream ends or Deadline passes first, the test
// fails with a dump of what was received.
func (s *Stream) Next(from int, what string, match func(Event) bool) (int, Event) {
	s.tb.Helper()
	return s.events.next(s.tb, s.Deadline, from, what, match, s.Dump)
}

// Count is how many events (heartbeats included) have arrived so far.
func (s *Stream) Count() int { return s.events.len() }

// Events returns the events received so far.
func (s *Stream) Events() []Event { return s.events.snapshot() }

// Ended is closed when the stream has ended (server closed it, Close, an
// error); Err then says why.
func (s *Stream) Ended() <-chan struct{} { return s.done }

// Err is why the stream ended: io.EOF for a clean end by the server, nil
// while it is open.
func (s *Stream) Err() error {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return s.events.ended
}

// Close ends the stream and waits for its reader. It may be called more
// than once; the test's cleanup calls it too.
func (s *Stream) Close() {
	s.cancel()
	<-s.done
}

// dumpLimit bounds a failure's dump: the last events, each cut short, so
// that a test of thousands of big events still prints something readable.
const (
	dumpEvents = 40
	dumpBytes  = 2 << 10
)

// Dump describes the events received so far, for a failure message.
func (s *Stream) Dump() string {
	evs := s.Events()
	var b strings.Builder
	first := max(0, len(evs)-dumpEvents)
	if first > 0 {
		fmt.Fprintf(&b, "(%d earlier events left out)\n", first)
	}
	for i := first; i < len(evs); i++ {
		text := strings.Join(evs[i].Lines, "\n")
		if len(text) > dumpBytes {
			text = text[:dumpBytes] + fmt.Sprintf("… (%d bytes)", len(text))
		}
		fmt.Fprintf(&b, "--- #%d\n%s\n", i, text)
	}
	if err := s.Err(); err != nil {
		fmt.Fprintf(&b, "--- stream ended: %v\n", err)
	}
	return b.String()
}

// Matchers for Next. Each looks at the event's data as a browser would see
// it, parsing HTML with goquery where the question is about elements.

// Any matches every event that carries data.
func Any(ev Event) bool { return ev.Data != "" }

// OnData adapts a matcher of the data alone (as the older readers of the
// feed took) to Next.
func OnData(match func(data string) bool) func(Event) bool {
	return func(ev Event) bool { return ev.Data != "" && match(ev.Data) }
}

// Named matches the events of the given name ("resync").
func Named(name string) func(Event) bool {
	return func(ev Event) bool { return ev.Name == name }
}

// Contains matches an event whose data contains every one of subs.
func Contains(subs ...string) func(Event) bool {
	return func(ev Event) bool {
		if ev.Data == "" {
			return false
		}
		for _, s := range subs {
			if !strings.Contains(ev.Data, s) {
				return false
			}
		}
		return true
	}
}

// IsRow matches an event that swaps in name's row in state ("" for any),
// out of band, in place or inserted as new.
func IsRow(name, state string) func(Event) bool {
	return func(ev Event) bool {
		r, ok := PushedRow(ev, name)
		return ok && (state == "" || r.State() == state)
	}
}

// IsRowOn is IsRow for host's container name, on a dashboard of several
// hosts, where names repeat.
func IsRowOn(host, name, state string) func(Event) bool {
	return func(ev Event) bool {
		for _, r := range PushedRows(ev) {
			if r.Host() == host && r.Name() == name && (state == "" || r.State() == state) {
				return true
			}
		}
		return false
	}
}

// Has matches an event whose data, parsed as HTML, has an element that
// selector selects.
func Has(selector string) func(Event) bool {
	return func(ev Event) bool {
		if ev.Data == "" {
			return false
		}
		d, err := parse(ev.Data)
		return err == nil && d.Find(selector).Length() > 0
	}
}

// IsRemoval matches the event that deletes name's row from every page.
func IsRemoval(name string) func(Event) bool {
	return func(ev Event) bool {
		if !strings.Contains(ev.Data, "delete") {
			return false
		}
		d, err := parse(ev.Data)
		return err == nil && (&Doc{root: d.Selection, html: ev.Data}).Removes(name)
	}
}

// PushedRow finds name's row in a live event: a row swapped in place
// (hx-swap-oob on the row) or inserted (inside an element with
// hx-swap-oob). ok is false when the event carries no such row.
func PushedRow(ev Event, name string) (Row, bool) {
	for _, r := range PushedRows(ev) {
		if r.Name() == name {
			return r, true
		}
	}
	return Row{}, false
}

// PushedRows are the rows a live event swaps in (see PushedRow), in
// document order, for a test that does not know which container changed.
func PushedRows(ev Event) []Row {
	if ev.Data == "" || !strings.Contains(ev.Data, "data-name") {
		return nil
	}
	d, err := parse(ev.Data)
	if err != nil {
		return nil
	}
	var rows []Row
	for _, r := range (&Doc{root: d.Selection, html: ev.Data}).Rows() {
		if r.Swap() != "" {
			rows = append(rows, r)
		}
	}
	return rows
}
