package db_test

import (
	"context"
	"testing"
	"time"

	"podboard/lifecycle"
)

// Containers reads the rows and the jobs they carry with two queries; each
// row must get its own running job and only that.
func TestContainersCarryTheirRunningJobOnly(t *testing.T) {
	ctx := context.Background()
	store := openDB(t)
	insert(t, store, "alpha", "bravo", "charlie", "delta")
	began := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	// bravo: a job that ended; charlie and delta: jobs still running.
	_, done := begin(t, store, "bravo", lifecycle.Stop, "10.0.0.1", began)
	done.Outcome, done.FinishedAt = lifecycle.JobSucceeded, began.Add(time.Second)
	if _, _, err := store.EndJob(ctx, done, settleAs(lifecycle.Stopped)); err != nil {
		t.Fatal(err)
	}
	_, stop := begin(t, store, "charlie", lifecycle.Stop, "10.0.0.2", began)
	_, restart := begin(t, store, "delta", lifecycle.Restart, "10.0.0.3", began.Add(time.Minute))

	cs, err := store.Containers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*lifecycle.Job{"alpha": nil, "bravo": nil, "charlie": &stop, "delta": &restart}
	if len(cs) != len(want) {
		t.Fatalf("%d containers, want %d: %+v", len(cs), len(want), cs)
	}
	for i, c := range cs {
		if i > 0 && cs[i-1].Name >= c.Name {
			t.Errorf("not ordered by name: %s before %s", cs[i-1].Name, c.Name)
		}
		// Each row as Containers reads it is the row Container reads.
		one, err := store.Container(ctx, c.Name)
		if err != nil {
			t.Fatal(err)
		}
		if (c.Job == nil) != (one.Job == nil) || c.Job != nil && *c.Job != *one.Job {
			t.Errorf("%s: job %+v from Containers, %+v from Container", c.Name, c.Job, one.Job)
		}
		c.Job, one.Job = nil, nil
		if c != one {
			t.Errorf("%s: %+v from Containers, %+v from Container", c.Name, c, one)
		}
		j := want[c.Name]
		switch {
		case j == nil && (cs[i].Job != nil || cs[i].JobID != 0):
			t.Errorf("%s carries job %d (%+v), want none", c.Name, cs[i].JobID, cs[i].Job)
		case j != nil && (cs[i].Job == nil || cs[i].Job.ID != j.ID || cs[i].JobID != j.ID):
			t.Errorf("%s carries job %d (%+v), want job %d", c.Name, cs[i].JobID, cs[i].Job, j.ID)
		case j != nil && (cs[i].Job.Op != j.Op || !cs[i].Job.StartedAt.Equal(j.StartedAt) || cs[i].Job.Origin != j.Origin ||
			cs[i].Job.Outcome != lifecycle.JobRunning || cs[i].Job.StopTimeout != 7):
			t.Errorf("%s: job read back as %+v, want %+v", c.Name, *cs[i].Job, *j)
		}
	}
}
