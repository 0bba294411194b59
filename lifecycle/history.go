package lifecycle

import (
	"context"
	"fmt"
	"time"
)

// PruneHistory deletes the jobs that ended more than keep ago, so that the
// history of a long-running dashboard does not grow without end. A job
// still running, or one a container still carries, is never deleted; keep
// 0 (or less) keeps every job. It logs how many jobs went when any did.
func (m *Manager) PruneHistory(ctx context.Context, keep time.Duration) (int64, error) {
	if keep <= 0 {
		return 0, nil
	}
	before := m.now().Add(-keep)
	n, err := m.store.PruneJobs(ctx, before)
	if err != nil {
		return n, fmt.Errorf("prune the job history: %w", err)
	}
	if n > 0 {
		m.log.Info("pruned the job history", "jobs", n, "ended_before", before.UTC().Format(time.RFC3339))
	}
	return n, nil
}

// PruneHistoryEvery prunes the history (see PruneHistory) at every interval
// until ctx ends. A prune that fails is logged and tried again at the next
// tick. With keep 0 it returns at once.
func (m *Manager) PruneHistoryEvery(ctx context.Context, keep, interval time.Duration) {
	if keep <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := m.PruneHistory(ctx, keep); err != nil && ctx.Err() == nil {
			m.log.Error("job history not pruned; trying again later", "err", err)
		}
	}
}
