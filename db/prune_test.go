package db_test

import (
	"context"
	"testing"
	"time"

	"podboard/db"
	"podboard/lifecycle"
)

// endAt ends job with outcome at the given time. When carried, the
// container goes on carrying the job, as a row whose final write lost does.
func endAt(t *testing.T, store *db.DB, job lifecycle.Job, outcome lifecycle.JobOutcome, at time.Time, carried bool) {
	t.Helper()
	job.Outcome, job.FinishedAt = outcome, at
	settle := settleAs(lifecycle.Stopped)
	if carried {
		settle = func(c lifecycle.Container) (lifecycle.Container, bool) { return c, false }
	}
	if _, _, err := store.EndJob(context.Background(), job, settle); err != nil {
		t.Fatal(err)
	}
}

func TestPruneJobsDeletesOnlyEndedJobsOlderThanTheCutoffThatNoContainerCarries(t *testing.T) {
	cutoff := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	long := cutoff.Add(-30 * 24 * time.Hour)
	tests := []struct {
		name     string
		outcome  lifecycle.JobOutcome // JobRunning: the job never ends
		finished time.Time
		carried  bool
		pruned   bool
	}{
		{"a job that succeeded long before the cutoff goes", lifecycle.JobSucceeded, long, false, true},
		{"a job that failed long before the cutoff goes", lifecycle.JobFailed, long, false, true},
		{"a job interrupted long before the cutoff goes", lifecycle.JobInterrupted, long, false, true},
		{"a job that ended just before the cutoff goes", lifecycle.JobSucceeded, cutoff.Add(-time.Nanosecond), false, true},
		{"a job that ended at the cutoff stays", lifecycle.JobSucceeded, cutoff, false, false},
		{"a job that ended after the cutoff stays", lifecycle.JobFailed, cutoff.Add(time.Hour), false, false},
		{"a job still running, begun long before, stays", lifecycle.JobRunning, time.Time{}, true, false},
		{"an old ended job its container still carries stays", lifecycle.JobSucceeded, long, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := openDB(t)
			insert(t, store, "web")
			_, job := begin(t, store, "web", lifecycle.Stop, "test", long.Add(-time.Hour))
			if tt.outcome != lifecycle.JobRunning {
				endAt(t, store, job, tt.outcome, tt.finished, tt.carried)
			}

			n, err := store.PruneJobs(ctx, cutoff)
			if err != nil {
				t.Fatalf("PruneJobs: %v", err)
			}
			jobs, err := store.Jobs(ctx, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int64{true: 1, false: 0}[tt.pruned]; n != want {
				t.Errorf("PruneJobs deleted %d jobs, want %d", n, want)
			}
			if kept := len(jobs) == 1; kept == tt.pruned {
				t.Errorf("jobs after the prune: %+v, want pruned=%v", jobs, tt.pruned)
			}
			if c, err := store.Container(ctx, "web"); err != nil || c.JobID != 0 && c.JobID != job.ID {
				t.Errorf("container after the prune: %+v, %v", c, err)
			}
		})
	}
}

func TestPruneJobsOfALongHistoryDeletesThemAllInBatches(t *testing.T) {
	ctx := context.Background()
	db.SetPruneBatch(t, 10)
	store := openDB(t)
	insert(t, store, "web", "db")
	began := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const old = 25 // two batches and a half
	for i := range old {
		at := began.Add(time.Duration(i) * time.Minute)
		_, job := begin(t, store, "web", lifecycle.Stop, "test", at)
		endAt(t, store, job, lifecycle.JobSucceeded, at.Add(time.Second), false)
	}
	cutoff := began.Add(365 * 24 * time.Hour)
	_, carried := begin(t, store, "db", lifecycle.Stop, "test", began)
	endAt(t, store, carried, lifecycle.JobFailed, began.Add(time.Second), true)
	_, recent := begin(t, store, "web", lifecycle.Start, "test", cutoff.Add(time.Hour))
	endAt(t, store, recent, lifecycle.JobSucceeded, cutoff.Add(2*time.Hour), false)

	n, err := store.PruneJobs(ctx, cutoff)
	if err != nil {
		t.Fatalf("PruneJobs: %v", err)
	}
	if n != old {
		t.Errorf("PruneJobs deleted %d jobs, want %d", n, old)
	}
	jobs, err := store.Jobs(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].ID != recent.ID || jobs[1].ID != carried.ID {
		t.Fatalf("jobs left %+v, want the recent job %d and the carried job %d", jobs, recent.ID, carried.ID)
	}
	if n, err := store.PruneJobs(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("a second prune deleted %d jobs (%v), want 0", n, err)
	}
}
