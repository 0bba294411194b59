package lifecycle

import (
	"sync"
	"time"
)

// launcher starts engine calls only once the answers of the operations
// begun at the same time are written. Podman and its runtime need the CPU
// to stop or start a container; on a small server, the calls of the first
// clicks of a burst (an operator's "stop all", a script) would otherwise
// compete with the answers to the later clicks. A call waits until no
// operation is being begun and a short quiet spell has passed, and never
// longer than maxWait, so a steady stream of clicks cannot hold calls
// back.
type launcher struct {
	quiet, maxWait time.Duration

	mu      sync.Mutex
	pending int       // operations begun whose answer is not written yet
	queued  []func()  // engine calls waiting for the answers
	since   time.Time // when the oldest queued call was queued
	timer   *time.Timer
}

// enter says an operation is being begun.
func (l *launcher) enter() {
	l.mu.Lock()
	l.pending++
	l.mu.Unlock()
}

// leave says an operation's answer is written (or it was refused); call,
// when not nil, is its engine call, to start in the background.
func (l *launcher) leave(call func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending--
	if call != nil {
		if len(l.queued) == 0 {
			l.since = time.Now()
		}
		l.queued = append(l.queued, call)
	}
	if len(l.queued) == 0 {
		return
	}
	// Wait for a quiet spell, counted from the last answer.
	wait := l.quiet
	if left := l.maxWait - time.Since(l.since); left < wait {
		wait = max(left, 0)
	}
	if l.timer != nil {
		l.timer.Stop()
	}
	l.timer = time.AfterFunc(wait, l.fire)
}

// fire starts the queued calls unless operations are being begun again
// (their leave sets a new timer), or they have waited maxWait.
func (l *launcher) fire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.queued) == 0 {
		return
	}
	waited := time.Since(l.since)
	if l.pending == 0 || waited >= l.maxWait {
		l.startLocked()
		return
	}
	// An operation is still being begun (a lookup of a container the scan
	// has not seen may take seconds): its answer may start the calls
	// sooner, maxWait does at the latest.
	l.timer = time.AfterFunc(l.maxWait-waited, l.fire)
}

func (l *launcher) startLocked() {
	for _, call := range l.queued {
		go call()
	}
	l.queued = nil
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
}
