package fake

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"podboard/lifecycle"
)

var (
	_ lifecycle.Describer = (*Engine)(nil)
	_ lifecycle.LogReader = (*Engine)(nil)
)

// logs holds what the containers wrote, and the readers following them.
type logs struct {
	mu       sync.Mutex
	lines    map[string][]lifecycle.LogLine
	wake     map[string]chan struct{} // closed when a line is written
	followed map[string]int           // readers following each container now
}

// Details implements lifecycle.Describer with what the engine knows.
func (e *Engine) Details(ctx context.Context, name string) (lifecycle.Details, error) {
	o, err := e.Inspect(ctx, name)
	if err != nil {
		return lifecycle.Details{}, err
	}
	return lifecycle.Details{
		Name: o.Name, ID: o.ID, Image: o.Image, Created: o.CreatedAt, Started: o.StartedAt, Finished: o.FinishedAt,
		ExitCode: o.ExitCode, EngineState: o.EngineState, RestartPolicy: "no", StopSignal: "SIGTERM",
		StopTimeout: o.StopTimeout, Command: []string{"/" + o.Name}, Health: o.Health,
	}, nil
}

// Log writes a line to a container's logs, as its program would.
func (e *Engine) Log(name, stream, text string) {
	e.logs.mu.Lock()
	defer e.logs.mu.Unlock()
	e.logs.init()
	e.logs.lines[name] = append(e.logs.lines[name], lifecycle.LogLine{Stream: stream, Time: e.now().UTC(), Text: text})
	if ch, ok := e.logs.wake[name]; ok {
		close(ch)
		delete(e.logs.wake, name)
	}
}

// Following is how many readers follow a container's logs now.
func (e *Engine) Following(name string) int {
	e.logs.mu.Lock()
	defer e.logs.mu.Unlock()
	return e.logs.followed[name]
}

func (l *logs) init() {
	if l.lines == nil {
		l.lines, l.wake, l.followed = map[string][]lifecycle.LogLine{}, map[string]chan struct{}{}, map[string]int{}
	}
}

// Logs implements lifecycle.LogReader.
func (e *Engine) Logs(ctx context.Context, name string, opts lifecycle.LogOptions, line func(lifecycle.LogLine)) error {
	if _, err := e.Inspect(ctx, name); err != nil {
		return err
	}
	l := &e.logs
	l.mu.Lock()
	l.init()
	all := l.lines[name]
	next := 0
	if opts.Tail >= 0 && len(all) > opts.Tail {
		next = len(all) - opts.Tail
	}
	if opts.Follow {
		l.followed[name]++
		defer func() {
			l.mu.Lock()
			l.followed[name]--
			l.mu.Unlock()
		}()
	}
	l.mu.Unlock()
	for {
		l.mu.Lock()
		batch := l.lines[name][next:]
		if !opts.Since.IsZero() {
			for len(batch) > 0 && batch[0].Time.Before(opts.Since) {
				batch, next = batch[1:], next+1
			}
		}
		next += len(batch)
		wake, ok := l.wake[name]
		if !ok {
			wake = make(chan struct{})
			l.wake[name] = wake
		}
		l.mu.Unlock()
		for _, ln := range batch {
			line(ln)
		}
		if !opts.Follow {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

var _ lifecycle.StatsStreamer = (*Engine)(nil)

// SetUsage sets what a running container uses, as the next stats report
// says it.
func (e *Engine) SetUsage(u lifecycle.Usage) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.usage == nil {
		e.usage = map[string]lifecycle.Usage{}
	}
	e.usage[u.Name] = u
}

// Stats implements lifecycle.StatsStreamer: a report of the running
// containers with a usage set, at once and then every interval.
func (e *Engine) Stats(ctx context.Context, interval time.Duration, each func([]lifecycle.Usage)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		e.mu.Lock()
		var report []lifecycle.Usage
		for _, name := range slices.Sorted(maps.Keys(e.usage)) {
			if c, ok := e.containers[name]; ok && c.EngineState == "running" {
				report = append(report, e.usage[name])
			}
		}
		down := e.down
		e.mu.Unlock()
		if down != nil {
			return down
		}
		each(report)
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
