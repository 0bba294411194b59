package podman

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containers/podman/v5/libpod/define"
	"github.com/containers/podman/v5/pkg/bindings/containers"

	"podboard/lifecycle"
)

var (
	_ lifecycle.Describer = (*Engine)(nil)
	_ lifecycle.LogReader = (*Engine)(nil)
)

// Details implements lifecycle.Describer.
func (e *Engine) Details(ctx context.Context, name string) (lifecycle.Details, error) {
	data, err := await(ctx, func() (*define.InspectContainerData, error) {
		return containers.Inspect(e.withConn(ctx), name, nil)
	})
	if err != nil {
		return lifecycle.Details{}, e.wrap("inspect", name, err)
	}
	return details(data), nil
}

// details reads Podman's inspect as an operator reads it.
func details(data *define.InspectContainerData) lifecycle.Details {
	d := lifecycle.Details{
		Name:         strings.TrimPrefix(data.Name, "/"),
		ID:           data.ID,
		Image:        data.ImageName,
		ImageID:      data.Image,
		Created:      data.Created.UTC(),
		RestartCount: int(data.RestartCount),
	}
	if s := data.State; s != nil {
		d.EngineState = s.Status
		d.ExitCode = int(s.ExitCode)
		if s.StartedAt.Unix() > 0 {
			d.Started = s.StartedAt.UTC()
		}
		if s.FinishedAt.Unix() > 0 {
			d.Finished = s.FinishedAt.UTC()
		}
		if h := s.Health; h != nil {
			d.Health = lifecycle.ParseHealth(h.Status)
			d.HealthFailStreak = h.FailingStreak
			for _, l := range h.Log {
				d.HealthLog = append(d.HealthLog, lifecycle.HealthCheck{
					Start: podmanTime(l.Start), End: podmanTime(l.End), ExitCode: l.ExitCode, Output: strings.TrimSpace(l.Output),
				})
			}
		}
	}
	if c := data.Config; c != nil {
		// What runs: the entrypoint and its command, as the container was
		// created with them.
		d.Command = append(slices.Clone(c.Entrypoint), c.Cmd...)
		d.StopSignal = c.StopSignal
		d.StopTimeout = int(c.StopTimeout)
		d.Labels = c.Labels
		if c.Healthcheck != nil && len(c.Healthcheck.Test) > 0 && c.Healthcheck.Test[0] != "NONE" {
			d.HealthcheckConfig = c.Healthcheck.Test
		}
	}
	if h := data.HostConfig; h != nil && h.RestartPolicy != nil {
		d.RestartPolicy = restartPolicy(*h.RestartPolicy)
	}
	if n := data.NetworkSettings; n != nil {
		for _, port := range slices.Sorted(maps.Keys(n.Ports)) {
			for _, b := range n.Ports[port] {
				d.Ports = append(d.Ports, fmt.Sprintf("%s:%s → %s", cmp.Or(b.HostIP, "0.0.0.0"), b.HostPort, port))
			}
			if len(n.Ports[port]) == 0 {
				d.Ports = append(d.Ports, port+" (not published)")
			}
		}
		d.Networks = slices.Sorted(maps.Keys(n.Networks))
	}
	for _, m := range data.Mounts {
		d.Mounts = append(d.Mounts, lifecycle.Mount{Type: m.Type, Source: cmp.Or(m.Name, m.Source), Destination: m.Destination, ReadOnly: !m.RW})
	}
	return d
}

func restartPolicy(p define.InspectRestartPolicy) string {
	switch p.Name {
	case "", "no":
		return "no"
	case "on-failure":
		if p.MaximumRetryCount > 0 {
			return fmt.Sprintf("on-failure (%d retries)", p.MaximumRetryCount)
		}
	}
	return p.Name
}

// podmanTime reads the times of a healthcheck's log, which Podman writes
// as strings; a zero time when they do not parse.
func podmanTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// Logs implements lifecycle.LogReader. The bindings' containers.Logs
// blocks until the stream ends, sends each frame on a channel and never
// closes its channels: it runs in a goroutine of its own, both channels
// are read until it has returned (a send it blocks on would keep it alive
// forever), and cancelling ctx ends it by closing its connection.
func (e *Engine) Logs(ctx context.Context, name string, opts lifecycle.LogOptions, line func(lifecycle.LogLine)) error {
	yes := true
	tail := "all"
	if opts.Tail >= 0 {
		tail = strconv.Itoa(opts.Tail)
	}
	lo := &containers.LogOptions{Stdout: &yes, Stderr: &yes, Timestamps: &yes, Tail: &tail, Follow: &opts.Follow}
	if !opts.Since.IsZero() {
		since := opts.Since.Format(time.RFC3339Nano)
		lo.Since = &since
	}
	// Unbuffered: the bindings send one frame at a time, so the lines
	// come in the order Podman wrote them, whichever stream each is on.
	stdout, stderr := make(chan string), make(chan string)
	done := make(chan error, 1)
	go func() { done <- containers.Logs(e.withConn(ctx), name, lo, stdout, stderr) }()
	for {
		select {
		case s := <-stdout:
			emit(lifecycle.Stdout, s, line)
		case s := <-stderr:
			emit(lifecycle.Stderr, s, line)
		case err := <-done:
			// The channels are unbuffered: every frame it sent was read.
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return e.wrap("logs", name, err)
		}
	}
}

// emit splits a frame into lines, each with the timestamp Podman put in
// front of it.
func emit(stream, frame string, line func(lifecycle.LogLine)) {
	for _, s := range strings.Split(strings.TrimRight(frame, "\n"), "\n") {
		l := lifecycle.LogLine{Stream: stream, Text: s}
		if ts, rest, ok := strings.Cut(s, " "); ok {
			if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
				l.Time, l.Text = t.UTC(), rest
			}
		}
		line(l)
	}
}

var _ lifecycle.StatsStreamer = (*Engine)(nil)

// Stats implements lifecycle.StatsStreamer with one Podman stats stream
// for every running container. The bindings' goroutine sends each report
// with a blocking send and closes the channel when the stream ends, ctx's
// end included: the channel is read to its close.
func (e *Engine) Stats(ctx context.Context, interval time.Duration, each func([]lifecycle.Usage)) error {
	stream := true
	seconds := max(1, int(interval/time.Second))
	ch, err := containers.Stats(e.withConn(ctx), nil, &containers.StatsOptions{Stream: &stream, Interval: &seconds})
	if err != nil {
		return e.wrap("stats", "", err)
	}
	var streamErr error
	for report := range ch {
		if report.Error != nil {
			streamErr = report.Error
			continue
		}
		us := make([]lifecycle.Usage, 0, len(report.Stats))
		for _, s := range report.Stats {
			if s.MemLimit == 0 && s.MemUsage == 0 {
				continue // it stopped since the stream began: it uses nothing
			}
			us = append(us, lifecycle.Usage{Name: s.Name, CPU: s.CPU, MemUsed: s.MemUsage, MemLimit: s.MemLimit})
		}
		each(us)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if streamErr != nil {
		return e.wrap("stats", "", streamErr)
	}
	return fmt.Errorf("stats: %w at %s: the stream ended", lifecycle.ErrUnreachable, e.uri)
}
