// Package fake is an in-memory container engine for tests and benchmarks:
// deterministic, with injectable latency, failures and hooks that hold an
// engine call until the test lets it go.
package fake

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"podboard/lifecycle"
)

// Engine implements lifecycle.Engine in memory. The zero value is not
// usable; call New.
type Engine struct {
	mu         sync.Mutex
	containers map[string]*lifecycle.Observed
	latency    map[lifecycle.Op]time.Duration
	fail       map[string]error // "op/name" or "op/*" → error
	hold       map[string]chan struct{}
	killed     map[string]chan struct{} // closed by a kill: the calls held on the container return
	down       error
	calls      []string
	counts     map[string]int // call → how many times it was received
	waiters    []waiter       // the Called channels not closed yet
	now        func() time.Time
	logs       logs
	usage      map[string]lifecycle.Usage
}

// waiter is a channel of Called, closed once call has been received n times.
type waiter struct {
	call string
	n    int
	ch   chan struct{}
}

var _ lifecycle.Engine = (*Engine)(nil)

// New returns an engine holding the given containers.
func New(cs ...lifecycle.Observed) *Engine {
	e := &Engine{
		containers: map[string]*lifecycle.Observed{},
		latency:    map[lifecycle.Op]time.Duration{},
		fail:       map[string]error{},
		hold:       map[string]chan struct{}{},
		killed:     map[string]chan struct{}{},
		counts:     map[string]int{},
		now:        time.Now,
	}
	for _, c := range cs {
		e.Put(c)
	}
	return e
}

// Running and Exited are shorthands for an observed container.
func Running(name string) lifecycle.Observed {
	return lifecycle.Observed{Name: name, ID: "id-" + name, Image: "localhost/" + name + ":latest", EngineState: "running", StopTimeout: 10}
}

// Exited is a stopped container.
func Exited(name string) lifecycle.Observed {
	o := Running(name)
	o.EngineState = "exited"
	return o
}

// Put adds or replaces a container, as a change made outside the dashboard.
func (e *Engine) Put(o lifecycle.Observed) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.containers[o.Name] = &o
}

// SetHealth gives a container's healthcheck a verdict, as a check run by
// Podman would; it reports whether the container exists.
func (e *Engine) SetHealth(name, health string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[name]
	if ok {
		c.Health = health
	}
	return ok
}

// Remove deletes a container, as `podman rm` from a shell would.
func (e *Engine) Remove(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.containers, name)
}

// SetLatency makes every call of op take d.
func (e *Engine) SetLatency(op lifecycle.Op, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.latency[op] = d
}

// Fail makes op on name (or on every container when name is "*") return err.
// A nil err clears the failure.
func (e *Engine) Fail(op lifecycle.Op, name string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err == nil {
		delete(e.fail, string(op)+"/"+name)
		return
	}
	e.fail[string(op)+"/"+name] = err
}

// Down makes every call fail with err, as an unreachable engine would;
// nil brings it back.
func (e *Engine) Down(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.down = err
}

// Hold makes the next calls of op on name block until the returned function
// is called (or the call's context ends). It lets a test act while an
// operation is in flight. Name "*" holds the calls of op on every container
// that has no hold of its own.
func (e *Engine) Hold(op lifecycle.Op, name string) (release func()) {
	ch := make(chan struct{})
	e.mu.Lock()
	e.hold[string(op)+"/"+name] = ch
	e.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Lock()
			delete(e.hold, string(op)+"/"+name)
			e.mu.Unlock()
			close(ch)
		})
	}
}

// HoldList makes the next List calls block until release is called.
func (e *Engine) HoldList() (release func()) { return e.Hold("list", "*") }

// Calls returns the engine calls made so far, as "op name".
func (e *Engine) Calls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.calls...)
}

// Called returns a channel closed once the engine has received call, as
// Calls writes it ("stop web", "list *"): at once if it already has. A test
// waits on it instead of polling Calls. The call counts when it arrives,
// before any hold or latency delays its answer.
func (e *Engine) Called(call string) <-chan struct{} { return e.CalledTimes(call, 1) }

// CalledTimes is Called for the n-th time call is received, counting from
// New: a test whose set-up scanned once waits for the next scan's list with
// CalledTimes("list *", 2).
func (e *Engine) CalledTimes(call string, n int) <-chan struct{} {
	ch := make(chan struct{})
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.counts[call] >= n {
		close(ch)
		return ch
	}
	e.waiters = append(e.waiters, waiter{call: call, n: n, ch: ch})
	return ch
}

// received records call and wakes the waiters it satisfies; e.mu is held.
func (e *Engine) received(call string) {
	e.calls = append(e.calls, call)
	e.counts[call]++
	waiting := e.waiters[:0]
	for _, w := range e.waiters {
		if w.call == call && e.counts[call] >= w.n {
			close(w.ch)
			continue
		}
		waiting = append(waiting, w)
	}
	clear(e.waiters[len(waiting):]) // drop the closed channels' references
	e.waiters = waiting
}

// OpCalls returns the stop, start and restart calls made so far.
func (e *Engine) OpCalls() []string {
	var out []string
	for _, c := range e.Calls() {
		if !strings.HasPrefix(c, "list ") && !strings.HasPrefix(c, "inspect ") {
			out = append(out, c)
		}
	}
	return out
}

// State returns Podman's word for the container's state, "" when absent.
func (e *Engine) State(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.containers[name]; ok {
		return c.EngineState
	}
	return ""
}

// enter records a call, then waits for its hold and latency, and returns
// the failure injected for it.
func (e *Engine) enter(ctx context.Context, op lifecycle.Op, name string) error {
	e.mu.Lock()
	e.received(string(op) + " " + name)
	hold := e.hold[string(op)+"/"+name]
	if hold == nil {
		hold = e.hold[string(op)+"/*"]
	}
	lat := e.latency[op]
	killed := e.killedLocked(name)
	e.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-killed:
			// Killed while held: a stop returns as Podman's does once the
			// container is gone.
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if lat > 0 {
		t := time.NewTimer(lat)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.down != nil {
		return e.down
	}
	if err := e.fail[string(op)+"/"+name]; err != nil {
		return err
	}
	return e.fail[string(op)+"/*"]
}

// List implements lifecycle.Engine. The answer is what the engine saw when
// the call arrived, even if a hold delays it: a slow answer is a stale one,
// which is what the scan must cope with.
func (e *Engine) List(ctx context.Context) ([]lifecycle.Observed, error) {
	e.mu.Lock()
	out := make([]lifecycle.Observed, 0, len(e.containers))
	for _, c := range e.containers {
		out = append(out, *c)
	}
	e.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if err := e.enter(ctx, "list", "*"); err != nil {
		return nil, err
	}
	return out, nil
}

// Inspect implements lifecycle.Engine.
func (e *Engine) Inspect(ctx context.Context, name string) (lifecycle.Observed, error) {
	if err := e.enter(ctx, "inspect", name); err != nil {
		return lifecycle.Observed{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[name]
	if !ok {
		return lifecycle.Observed{}, notFound(name)
	}
	return *c, nil
}

func notFound(name string) error {
	return fmt.Errorf("%w: %s", lifecycle.ErrNotFound, name)
}

// killedLocked is the channel a kill of name closes.
func (e *Engine) killedLocked(name string) chan struct{} {
	ch, ok := e.killed[name]
	if !ok {
		ch = make(chan struct{})
		e.killed[name] = ch
	}
	return ch
}

// Stop implements lifecycle.Engine.
func (e *Engine) Stop(ctx context.Context, name string, timeout int) error {
	return e.do(ctx, lifecycle.Stop, name, "exited")
}

// Kill implements lifecycle.Engine: the container exits, and the calls
// held on it (a stop that waits for the container) return.
func (e *Engine) Kill(ctx context.Context, name, signal string) error {
	if err := e.enter(ctx, lifecycle.Kill, name); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[name]
	if !ok {
		return notFound(name)
	}
	if c.EngineState != "running" && c.EngineState != "paused" && c.EngineState != "stopping" {
		return fmt.Errorf("can only kill running containers. %s is in state %s: container state improper", name, c.EngineState)
	}
	c.EngineState, c.ExitCode, c.FinishedAt = "exited", 137, e.now().UTC()
	close(e.killedLocked(name))
	delete(e.killed, name)
	return nil
}

// Start implements lifecycle.Engine.
func (e *Engine) Start(ctx context.Context, name string) error {
	return e.do(ctx, lifecycle.Start, name, "running")
}

// Restart implements lifecycle.Engine.
func (e *Engine) Restart(ctx context.Context, name string, timeout int) error {
	return e.do(ctx, lifecycle.Restart, name, "running")
}

func (e *Engine) do(ctx context.Context, op lifecycle.Op, name, to string) error {
	if err := e.enter(ctx, op, name); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.containers[name]
	if !ok {
		return notFound(name)
	}
	c.EngineState = to
	now := e.now().UTC()
	if to == "running" {
		c.StartedAt = now
		if c.Health != "" {
			c.Health = lifecycle.HealthStarting // as Podman: no check has run yet
		}
	} else {
		c.FinishedAt = now
	}
	return nil
}
