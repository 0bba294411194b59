package podman

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/podman/sshtunnel"
)

// Redial is the engine of a host that may be down when the dashboard
// starts: Keep connects in the background, again and again with a growing
// delay, until it works. Until then every call fails at once with
// lifecycle.ErrUnreachable and the reason of the last attempt, so a host
// that is down never delays the others, the page or a click; the event
// and stats streams wait for the connection.
//
// Once connected it stays connected: the bindings dial the service for
// each request (a restarted service is simply answered by the new one),
// and an SSH tunnel dials its connection again by itself.
type Redial struct {
	uri  string // redacted, for messages
	dial func(ctx context.Context) (*Engine, error)
	log  *slog.Logger

	mu       sync.Mutex
	engine   *Engine
	lastErr  error
	ready    chan struct{} // closed once connected
	tried    chan struct{} // closed after the first attempt
	tellOnce sync.Once
	closed   bool
}

// Backoff bounds of Redial's attempts.
const (
	redialFirst = time.Second
	redialMax   = 30 * time.Second
)

// NewRedial returns the engine of uri (its password is redacted from
// messages), which dial connects to; call Keep to connect.
func NewRedial(uri string, dial func(ctx context.Context) (*Engine, error), log *slog.Logger) *Redial {
	return &Redial{uri: Redact(uri), dial: dial, log: log, ready: make(chan struct{}), tried: make(chan struct{}),
		lastErr: fmt.Errorf("%w at %s: not connected yet", lifecycle.ErrUnreachable, Redact(uri))}
}

// Keep connects, retrying with a delay that doubles from 1 s to 30 s,
// until it works or ctx ends.
func (r *Redial) Keep(ctx context.Context) {
	defer r.tell() // even when ctx ended before any attempt
	delay := redialFirst
	logged := ""
	for {
		e, err := r.dial(ctx)
		if err == nil {
			r.mu.Lock()
			if r.closed {
				r.mu.Unlock()
				e.Close()
				return
			}
			r.engine = e
			close(r.ready)
			r.mu.Unlock()
			r.log.Info("connected to Podman", "podman", r.uri)
			return
		}
		if ctx.Err() != nil {
			return
		}
		r.mu.Lock()
		r.lastErr = err
		r.mu.Unlock()
		r.tell()
		// Once per reason, with what the operator can do about it.
		if err.Error() != logged {
			logged = err.Error()
			level := slog.LevelWarn
			if errors.Is(err, sshtunnel.ErrUnknownHostKey) || errors.Is(err, sshtunnel.ErrHostKeyChanged) {
				level = slog.LevelError
			}
			r.log.Log(ctx, level, "Podman not reached; trying again", "podman", r.uri, "err", err, "retry_in", delay)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(delay*2, redialMax)
	}
}

// tell closes Tried, once.
func (r *Redial) tell() { r.tellOnce.Do(func() { close(r.tried) }) }

// Tried is closed once the first attempt to connect has ended, however.
func (r *Redial) Tried() <-chan struct{} { return r.tried }

// Close ends the connection (an SSH tunnel), if any, and any later one.
func (r *Redial) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.engine != nil {
		return r.engine.Close()
	}
	return nil
}

// URI is the address of the Podman API, its password redacted.
func (r *Redial) URI() string { return r.uri }

// get is the connected engine, or why there is none.
func (r *Redial) get() (*Engine, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.engine != nil {
		return r.engine, nil
	}
	err := r.lastErr
	if !errors.Is(err, lifecycle.ErrUnreachable) {
		err = fmt.Errorf("%w: %w", lifecycle.ErrUnreachable, err)
	}
	return nil, err
}

// await is the engine once connected, for the streams.
func (r *Redial) await(ctx context.Context) (*Engine, error) {
	select {
	case <-r.ready:
		return r.get()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var (
	_ lifecycle.Engine        = (*Redial)(nil)
	_ lifecycle.Watcher       = (*Redial)(nil)
	_ lifecycle.Describer     = (*Redial)(nil)
	_ lifecycle.LogReader     = (*Redial)(nil)
	_ lifecycle.StatsStreamer = (*Redial)(nil)
)

func (r *Redial) List(ctx context.Context) ([]lifecycle.Observed, error) {
	e, err := r.get()
	if err != nil {
		return nil, err
	}
	return e.List(ctx)
}

func (r *Redial) Inspect(ctx context.Context, name string) (lifecycle.Observed, error) {
	e, err := r.get()
	if err != nil {
		return lifecycle.Observed{}, err
	}
	return e.Inspect(ctx, name)
}

func (r *Redial) Stop(ctx context.Context, name string, timeout int) error {
	e, err := r.get()
	if err != nil {
		return err
	}
	return e.Stop(ctx, name, timeout)
}

func (r *Redial) Start(ctx context.Context, name string) error {
	e, err := r.get()
	if err != nil {
		return err
	}
	return e.Start(ctx, name)
}

func (r *Redial) Restart(ctx context.Context, name string, timeout int) error {
	e, err := r.get()
	if err != nil {
		return err
	}
	return e.Restart(ctx, name, timeout)
}

func (r *Redial) Kill(ctx context.Context, name, signal string) error {
	e, err := r.get()
	if err != nil {
		return err
	}
	return e.Kill(ctx, name, signal)
}

func (r *Redial) Details(ctx context.Context, name string) (lifecycle.Details, error) {
	e, err := r.get()
	if err != nil {
		return lifecycle.Details{}, err
	}
	return e.Details(ctx, name)
}

func (r *Redial) Logs(ctx context.Context, name string, opts lifecycle.LogOptions, line func(lifecycle.LogLine)) error {
	e, err := r.get()
	if err != nil {
		return err
	}
	return e.Logs(ctx, name, opts, line)
}

// Watch waits for the connection, asks for a scan at once (the host's
// first real one), then follows the events.
func (r *Redial) Watch(ctx context.Context, changed func()) error {
	e, err := r.await(ctx)
	if err != nil {
		return err
	}
	changed()
	return e.Watch(ctx, changed)
}

// Stats waits for the connection, then follows the stats.
func (r *Redial) Stats(ctx context.Context, interval time.Duration, each func([]lifecycle.Usage)) error {
	e, err := r.await(ctx)
	if err != nil {
		return err
	}
	return e.Stats(ctx, interval, each)
}
