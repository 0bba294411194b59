package webtest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"podboard/lifecycle"
)

// record is an append-only list that tests wait on: the live feed's events
// and the manager's notifications both use it.
type record[T any] struct {
	mu      sync.Mutex
	items   []T
	ended   error         // why no more items will come; nil while open
	changed chan struct{} // closed and replaced at every change, so any number of waiters wake
}

func (r *record[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items = append(r.items, v)
	r.wake()
}

func (r *record[T]) end(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended == nil {
		r.ended = err
	}
	r.wake()
}

// wake tells the waiters something changed; r.mu is held.
func (r *record[T]) wake() {
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
}

func (r *record[T]) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.items = nil
}

func (r *record[T]) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.items)
}

func (r *record[T]) snapshot() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.items...)
}

// next waits for the first item at index from or later that matches, and
// fails tb with dump() when the record ends or deadline passes first.
func (r *record[T]) next(tb testing.TB, deadline time.Duration, from int, what string, match func(T) bool, dump func() string) (int, T) {
	tb.Helper()
	timeout := time.After(deadline)
	for {
		r.mu.Lock()
		for i := max(from, 0); i < len(r.items); i++ {
			if match(r.items[i]) {
				v := r.items[i]
				r.mu.Unlock()
				return i, v
			}
		}
		n, ended := len(r.items), r.ended
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		changed := r.changed
		r.mu.Unlock()
		if ended != nil {
			tb.Fatalf("no %s (from #%d) before the end (%v); %d received:\n%s", what, from, ended, n, dump())
		}
		select {
		case <-changed:
		case <-timeout:
			tb.Fatalf("no %s (from #%d) within %s; %d received:\n%s", what, from, deadline, n, dump())
		}
	}
}

// eventLog is every lifecycle.Event the manager published, in order.
type eventLog struct{ record[lifecycle.Event] }

// Events returns the events the manager published (to the hub) so far, in
// order, including those of the first scan unless ResetEvents was called.
func (e *Env) Events() []lifecycle.Event { return e.events.snapshot() }

// ResetEvents forgets the events published so far.
func (e *Env) ResetEvents() { e.events.reset() }

// EventCount is how many events were published so far: the from of a
// later NextEvent.
func (e *Env) EventCount() int { return e.events.len() }

// NextEvent waits for the first published event at index from or later
// that matches; what names it in the failure message.
func (e *Env) NextEvent(from int, what string, match func(lifecycle.Event) bool) (int, lifecycle.Event) {
	e.TB.Helper()
	return e.events.next(e.TB, Deadline, from, what, match, e.dumpEvents)
}

// EventsOf returns the events published for the container name, in the
// order their changes were stored (by Seq). The manager publishes without
// a lock, so two changes may reach the notifier in the other order; Events
// keeps the order of arrival, EventsOf the order of the rows' versions.
func (e *Env) EventsOf(name string) []lifecycle.Event {
	var out []lifecycle.Event
	for _, ev := range e.Events() {
		if ev.Health == nil && ev.Container.Name == name {
			out = append(out, ev)
		}
	}
	slices.SortStableFunc(out, func(a, b lifecycle.Event) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// States lists the states published for name in the order they were
// stored (see EventsOf), with "removed" for a removal.
func (e *Env) States(name string) []string {
	var out []string
	for _, ev := range e.EventsOf(name) {
		if ev.Removed() {
			out = append(out, "removed")
		} else {
			out = append(out, string(ev.Container.State))
		}
	}
	return out
}

func (e *Env) dumpEvents() string {
	var b strings.Builder
	for i, ev := range e.Events() {
		fmt.Fprintf(&b, "#%d kind %v seq %d: %s %s", i, ev.Kind, ev.Seq, ev.Container.Name, ev.Container.State)
		if ev.Ended != nil {
			fmt.Fprintf(&b, " (ended %s %s %q)", ev.Ended.Op, ev.Ended.Outcome, ev.Ended.Error)
		}
		if ev.Health != nil {
			fmt.Fprintf(&b, " (health %+v)", *ev.Health)
		}
		b.WriteString("\n")
	}
	return b.String()
}
