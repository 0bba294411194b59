package lifecycle

import (
	"testing"
	"time"
)

func started(ch <-chan string) (string, bool) {
	select {
	case s := <-ch:
		return s, true
	default:
		return "", false
	}
}

func waitStarted(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case s := <-ch:
		if s != want {
			t.Fatalf("started %q, want %q", s, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%q never started", want)
	}
}

// The engine calls of a burst start once every answer of the burst is
// written, not while later clicks are still being answered.
func TestEngineCallsWaitForTheAnswersOfOperationsBegunWithThem(t *testing.T) {
	l := &launcher{quiet: time.Millisecond, maxWait: time.Hour}
	calls := make(chan string, 3)
	call := func(s string) func() { return func() { calls <- s } }

	l.enter()
	l.enter()
	l.leave(call("first"))
	if s, ok := started(calls); ok {
		t.Fatalf("%q started while another operation was still being answered", s)
	}
	l.leave(call("second"))
	got := map[string]bool{}
	for range 2 {
		select {
		case s := <-calls:
			got[s] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("started %v, want first and second", got)
		}
	}

	// A refused operation (leave without a call) starts nothing.
	l.enter()
	l.leave(nil)
	if s, ok := started(calls); ok {
		t.Fatalf("%q started after a refused operation", s)
	}
}

// A steady stream of operations being begun cannot hold a call back for
// longer than maxWait.
func TestAnEngineCallNeverWaitsLongerThanMaxWait(t *testing.T) {
	l := &launcher{quiet: time.Millisecond, maxWait: 20 * time.Millisecond}
	calls := make(chan string, 1)
	l.enter()
	l.enter() // never leaves: a lookup that hangs
	l.leave(func() { calls <- "held" })
	waitStarted(t, calls, "held")
}

func TestALoneCallStartsWithoutAQuietSpellToWaitFor(t *testing.T) {
	l := &launcher{maxWait: time.Hour}
	calls := make(chan string, 1)
	l.enter()
	l.leave(func() { calls <- "alone" })
	waitStarted(t, calls, "alone")
}
