package lifecycle

import (
	"context"
	"math"
	"sync"
	"time"
)

// Usage is what a running container uses of the machine, as Podman's
// stats report it.
type Usage struct {
	Host     string // the host of the container, as Container.Host
	Name     string
	CPU      float64 // percent of one CPU over the last interval
	MemUsed  uint64  // bytes
	MemLimit uint64  // bytes; the machine's memory when the container has no limit
	// Gone: the container stopped reporting (it stopped); its usage is
	// forgotten.
	Gone bool
}

// StatsStreamer is an engine that reports the usage of every running
// container in one stream: stats calls each with every container's usage,
// about every interval, until ctx ends or the stream breaks.
type StatsStreamer interface {
	Stats(ctx context.Context, interval time.Duration, each func([]Usage)) error
}

// noticeable reports whether next differs enough from the usage the pages
// show to be worth pushing: one CPU percentage point, or a twentieth of
// the memory in use (and at least 1 MiB).
func noticeable(shown, next Usage) bool {
	if math.Abs(next.CPU-shown.CPU) >= 1 {
		return true
	}
	d := float64(next.MemUsed) - float64(shown.MemUsed)
	return math.Abs(d) >= math.Max(1<<20, float64(shown.MemUsed)/20) || next.MemLimit != shown.MemLimit
}

// usage is the usage the pages were last sent, by container name.
type usage struct {
	mu    sync.Mutex
	shown map[string]Usage
}

// Usage returns the named container's usage as the pages show it; false
// when it has none (not running, or stats are off).
func (m *Manager) Usage(name string) (Usage, bool) {
	m.usage.mu.Lock()
	defer m.usage.mu.Unlock()
	u, ok := m.usage.shown[name]
	return u, ok
}

// applyUsage records a report of the engine's and returns what changed
// noticeably, for the pages: containers whose usage moved, and those that
// stopped reporting (Gone).
func (m *Manager) applyUsage(report []Usage) []Usage {
	m.usage.mu.Lock()
	defer m.usage.mu.Unlock()
	if m.usage.shown == nil {
		m.usage.shown = map[string]Usage{}
	}
	var changed []Usage
	seen := make(map[string]bool, len(report))
	for _, u := range report {
		seen[u.Name] = true
		old, ok := m.usage.shown[u.Name]
		if ok && !noticeable(old, u) {
			continue
		}
		u.Host = m.host
		m.usage.shown[u.Name] = u
		changed = append(changed, u)
	}
	for name := range m.usage.shown {
		if !seen[name] {
			delete(m.usage.shown, name)
			changed = append(changed, Usage{Host: m.host, Name: name, Gone: true})
		}
	}
	return changed
}

// statsRetry is how long WatchStats waits before opening the stream again
// after it broke.
const statsRetry = 5 * time.Second

// WatchStats follows the engine's stats of every running container, one
// stream for all, until ctx ends, and announces to the pages the usages
// that changed noticeably. It does nothing when the engine has no stats.
func (m *Manager) WatchStats(ctx context.Context, interval time.Duration) {
	s, ok := m.engine.(StatsStreamer)
	if !ok {
		return
	}
	warned := ""
	for ctx.Err() == nil {
		err := s.Stats(ctx, interval, func(report []Usage) {
			if changed := m.applyUsage(report); len(changed) > 0 {
				m.notify.Notify(Event{Usage: changed})
			}
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil && err.Error() != warned {
			// Once per reason: where Podman has no stats (rootless on
			// cgroups v1) it would say so every few seconds.
			warned = err.Error()
			m.log.Warn("container stats unavailable; trying again", "err", err, "every", statsRetry)
		}
		// Forget what can no longer be kept current.
		if changed := m.applyUsage(nil); len(changed) > 0 {
			m.notify.Notify(Event{Usage: changed})
		}
		t := time.NewTimer(statsRetry)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}
