package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"podboard/lifecycle"
)

// Every write takes its version from one sequence, so versions grow across
// rows in the order the writes were stored: the live feed orders events by
// them.
func TestEveryWriteTakesTheNextVersionOfOneSequence(t *testing.T) {
	ctx := context.Background()
	store := openDB(t)
	insert(t, store, "alpha", "bravo")
	var seen []int64
	for _, name := range []string{"alpha", "bravo"} {
		c, err := store.Container(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, c.Version)
	}
	c, job := begin(t, store, "bravo", lifecycle.Stop, "test", time.Now())
	seen = append(seen, c.Version)
	c, ok, err := store.UpdateContainer(ctx, "alpha", func(c lifecycle.Container) (lifecycle.Container, bool) {
		c.Error = "boom"
		return c, true
	})
	if err != nil || !ok {
		t.Fatalf("UpdateContainer: ok=%v err=%v", ok, err)
	}
	seen = append(seen, c.Version)
	job.Outcome, job.FinishedAt = lifecycle.JobFailed, time.Now()
	gone, ok, err := store.EndJob(ctx, job, func(c lifecycle.Container) (lifecycle.Container, bool) { return c, true })
	if err != nil || !ok || gone.Name != "bravo" {
		t.Fatalf("EndJob removing the row: %+v ok=%v err=%v", gone, ok, err)
	}
	seen = append(seen, gone.Version)
	for i := 1; i < len(seen); i++ {
		if seen[i] != seen[i-1]+1 {
			t.Fatalf("versions in write order %v, want consecutive values", seen)
		}
	}
	if _, err := store.Container(ctx, "bravo"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("the removed row is still there: %v", err)
	}
}

func TestWritesThatDoNotApplyChangeNothing(t *testing.T) {
	ctx := context.Background()
	refused := errors.New("refused by the rule")
	tests := []struct {
		name  string
		write func(t *testing.T, s storeT) error
	}{
		{"a decision that refuses", func(t *testing.T, s storeT) error {
			c, _, err := s.BeginJob(ctx, "web", func(c lifecycle.Container) (lifecycle.Container, lifecycle.Job, error) {
				return c, lifecycle.Job{}, refused
			})
			if !errors.Is(err, refused) || c.Name != "web" {
				t.Errorf("BeginJob = %+v, %v; want the row as read and the rule's error", c, err)
			}
			return nil
		}},
		{"a change that does not write", func(t *testing.T, s storeT) error {
			_, ok, err := s.UpdateContainer(ctx, "web", func(c lifecycle.Container) (lifecycle.Container, bool) {
				c.Error = "not stored"
				return c, false
			})
			if ok {
				t.Error("UpdateContainer reports a write it should not have made")
			}
			return err
		}},
		{"the end of a job the row does not carry", func(t *testing.T, s storeT) error {
			_, ok, err := s.EndJob(ctx, lifecycle.Job{ID: 99, Container: "web", Outcome: lifecycle.JobSucceeded},
				settleAs(lifecycle.Stopped))
			if ok {
				t.Error("EndJob settled a row that carries no such job")
			}
			return err
		}},
		{"a scan write over a version that changed", func(t *testing.T, s storeT) error {
			c, _ := s.Container(ctx, "web")
			stale := c
			stale.State = lifecycle.Stopped
			landed, err := s.ApplyScan(ctx, []lifecycle.ScanWrite{
				{Kind: lifecycle.Update, Container: stale, Version: c.Version - 1},
				{Kind: lifecycle.Delete, Container: lifecycle.Container{Name: "web"}, Version: c.Version - 1},
				{Kind: lifecycle.Insert, Container: stale},
			})
			if len(landed) != 0 {
				t.Errorf("stale scan writes landed: %+v", landed)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := openDB(t)
			insert(t, store, "web")
			before, err := store.Container(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.write(t, store); err != nil {
				t.Fatal(err)
			}
			after, err := store.Container(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			if after != before {
				t.Errorf("row changed:\nbefore %+v\nafter  %+v", before, after)
			}
			if jobs, _ := store.Jobs(ctx, "web", 10); len(jobs) != 0 {
				t.Errorf("jobs written: %+v", jobs)
			}
		})
	}
}

type storeT = lifecycle.Store
