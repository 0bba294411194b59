package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ScanResult counts what one scan changed.
type ScanResult struct {
	Inserted, Updated, Deleted int
	// Skipped counts writes that lost to a newer write (a job's) made
	// while the engine was being listed; the next scan looks again.
	Skipped int
}

// Changed reports whether the scan wrote anything.
func (r ScanResult) Changed() bool { return r.Inserted+r.Updated+r.Deleted > 0 }

// Scan brings the dashboard in line with the engine once. The stored rows
// are read before the engine is listed, and every write is conditional on
// the row still being the one read: a job's write that lands while the
// engine is being listed always wins over the scan's older view.
func (m *Manager) Scan(ctx context.Context) (ScanResult, error) {
	began, at := time.Now(), m.now()
	res, listed, err := m.scan(ctx)
	if err == nil || ctx.Err() == nil {
		m.observe.ScanDone(ScanReport{Host: m.host, Took: time.Since(began), Result: res, Err: err, Listed: listed})
	}
	var next *scanFailure
	prev := m.scanErr.Load()
	if err != nil {
		next = &scanFailure{err: err, since: at} // when the scan that failed began
		if prev != nil {
			next.since = prev.since // failing since the first failure
		}
	}
	m.scanErr.Store(next)
	defer m.scanOnce.Do(func() { close(m.scanned) })
	// Pages hear when the scan starts failing, when its reason changes and
	// when it works again.
	if msg := next.text(); msg != prev.text() {
		h := &Health{Host: m.host, ScanErr: msg}
		if next != nil {
			h.Since, h.Unreachable = next.since, EngineDown(next.err)
		}
		m.notify.Notify(Event{Health: h, Seq: m.healthSeq.Add(1)})
	}
	return res, err
}

// scanFailure is why the scans fail, and since when they do.
type scanFailure struct {
	err   error
	since time.Time
}

func (f *scanFailure) text() string {
	if f == nil {
		return ""
	}
	return f.err.Error()
}

// EngineDown reports whether err says the engine cannot be read (it is
// unreachable, too slow, or its connection broke), as opposed to a
// failure of the dashboard's own.
func EngineDown(err error) bool {
	return errors.Is(err, ErrUnreachable) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrLost)
}

// Scanned is closed once the first scan has ended, whether it worked or
// not.
func (m *Manager) Scanned() <-chan struct{} { return m.scanned }

// ScanError is why the last scan failed, nil when it worked.
func (m *Manager) ScanError() error {
	if f := m.scanErr.Load(); f != nil {
		return f.err
	}
	return nil
}

// Unreachable is the engine's state as the scans see it: since when the
// scans have failed and why the last one did, or the zero time and nil
// when the last one worked.
func (m *Manager) Unreachable() (since time.Time, err error) {
	if f := m.scanErr.Load(); f != nil {
		return f.since, f.err
	}
	return time.Time{}, nil
}

func (m *Manager) scan(ctx context.Context) (res ScanResult, listed bool, err error) {
	stored, err := m.store.Containers(ctx)
	if err != nil {
		return res, false, fmt.Errorf("scan: read stored containers: %w", err)
	}
	lctx, cancel := context.WithTimeout(ctx, m.scanTimeout)
	observed, err := m.engine.List(lctx)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return res, false, fmt.Errorf("scan: %w: listing containers took longer than %s", ErrTimeout, m.scanTimeout)
		}
		return res, false, fmt.Errorf("scan: %w", err)
	}
	writes := Merge(stored, observed)
	for len(writes) > 0 {
		n := min(len(writes), scanBatch)
		if err := m.applyScan(ctx, writes[:n], &res); err != nil {
			return res, true, err
		}
		writes = writes[n:]
	}
	return res, true, nil
}

// scanBatch bounds the writes of one scan transaction. SQLite has one
// writer: a click's transaction waits for the scan's to commit. When a
// scan lands thousands of changes (the first scan of a large host, a burst
// of operations made outside), one transaction for all of them kept every
// click waiting as long. Without the lock of earlier versions that is
// much less than it was, but still measurable: clicks sent during a scan
// of 10,000 changes answered at p99 in 68 ms with one transaction, 37 ms
// with batches (13 and 8 ms at 1,000 changes; docs/BENCHMARKS.md, 3b).
// Batches let clicks in between; each write stays conditional on the row
// it read, so splitting them changes nothing else.
const scanBatch = 32

// applyScan writes one batch of a scan and announces what landed.
func (m *Manager) applyScan(ctx context.Context, writes []ScanWrite, res *ScanResult) error {
	landed, err := m.store.ApplyScan(ctx, writes)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	for _, w := range landed {
		switch w.Kind {
		case Insert:
			res.Inserted++
		case Update:
			res.Updated++
		case Delete:
			res.Deleted++
		}
		m.notify.Notify(changed(w.Kind, w.Container))
	}
	res.Skipped += len(writes) - len(landed)
	return nil
}

// ScanEvery scans at every interval until ctx ends. A scan that fails
// (Podman unreachable, too slow) is logged and retried at the next tick;
// it never blocks operations or pages, which do not wait for scans. kick
// asks for a scan before the next tick (for example after an engine event);
// it may be nil.
func (m *Manager) ScanEvery(ctx context.Context, interval time.Duration, kick <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
		res, err := m.Scan(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			if !failing {
				m.log.Error("scan failed; the page shows the last known states", "err", err)
			}
			failing = true
		default:
			if failing {
				m.log.Info("scan works again")
			}
			failing = false
			if res.Changed() {
				m.log.Debug("scan", "inserted", res.Inserted, "updated", res.Updated, "deleted", res.Deleted, "skipped", res.Skipped)
			}
		}
	}
}

// Run keeps the dashboard in line with the engine until ctx ends: a scan at
// every interval and, when the engine reports changes as they happen, a
// scan soon after each burst of changes.
func (m *Manager) Run(ctx context.Context, interval time.Duration) { m.follow(ctx, interval, false) }

// RunNow is Run with a first scan at once, for a manager whose Recover
// did not scan (RecoverJobs).
func (m *Manager) RunNow(ctx context.Context, interval time.Duration) { m.follow(ctx, interval, true) }

func (m *Manager) follow(ctx context.Context, interval time.Duration, now bool) {
	kick := make(chan struct{}, 1)
	if now {
		kick <- struct{}{}
	}
	if w, ok := m.engine.(Watcher); ok {
		go m.watch(ctx, w, kick)
	}
	m.ScanEvery(ctx, interval, kick)
}

// watch follows the engine's events, reconnecting with a growing delay.
func (m *Manager) watch(ctx context.Context, w Watcher, kick chan<- struct{}) {
	delay := time.Second
	for {
		start := time.Now()
		err := w.Watch(ctx, func() {
			select {
			case kick <- struct{}{}:
			default: // a scan is already due
			}
		})
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			delay = time.Second
		}
		m.log.Debug("engine events interrupted; the periodic scan goes on", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Minute)
	}
}

// Recover ends the jobs an earlier process left running (it crashed or was
// killed mid-operation), so that no row stays transitional forever: each
// job is marked interrupted, its container goes back to the state it had,
// the incident log says so, and a scan then takes the real state from the
// engine. Call it once at start-up, before serving.
func (m *Manager) Recover(ctx context.Context) ([]Job, error) {
	jobs, err := m.RecoverJobs(ctx)
	if err != nil {
		return nil, err
	}
	// The rows are no longer transitional whatever the scan does; when it
	// fails, the periodic scan takes the states from the engine later.
	if _, err := m.Scan(ctx); err != nil {
		m.log.Warn("first scan failed; retrying at the scan interval", "err", err)
	}
	return jobs, nil
}

// RecoverJobs is Recover without its scan, which reads only the store: a
// dashboard of several hosts recovers each host's jobs before serving and
// scans the hosts in the background (RunNow), so that a host whose Podman
// hangs never delays the start of the others.
func (m *Manager) RecoverJobs(ctx context.Context) ([]Job, error) {
	jobs, err := m.store.RunningJobs(ctx)
	if err != nil {
		return nil, fmt.Errorf("recover interrupted operations: %w", err)
	}
	now := m.now()
	for i, j := range jobs {
		j = ended(j, JobInterrupted, interruptedMsg, now)
		if _, _, err := m.store.EndJob(ctx, j, revertRule(interruptedMsg)); err != nil {
			return nil, fmt.Errorf("recover interrupted operation %d on %s: %w", j.ID, j.Container, err)
		}
		jobs[i] = j
		m.observe.OperationInterrupted(j)
		m.record(now, j.Op, "INTERRUPTED", j.Container,
			fmt.Sprintf("job %d begun %s; the dashboard stopped before it ended; state re-read from Podman",
				j.ID, j.StartedAt.UTC().Format(time.RFC3339)))
		m.opLog(j).Warn("operation interrupted by a restart of the dashboard")
	}
	return jobs, nil
}

const interruptedMsg = "interrupted: the dashboard stopped while this operation ran; the state shown is Podman's"
