package db_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"podboard/db"
	"podboard/lifecycle"
)

// openDB opens a fresh database file in t's temporary directory.
func openDB(t *testing.T) *db.DB {
	t.Helper()
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "podboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// insert stores running containers with the given names, as a scan would.
func insert(t *testing.T, store *db.DB, names ...string) {
	t.Helper()
	var writes []lifecycle.ScanWrite
	for _, name := range names {
		writes = append(writes, lifecycle.ScanWrite{Kind: lifecycle.Insert, Container: lifecycle.Container{
			Name: name, ID: "id-" + name, Image: "img", State: lifecycle.Running, EngineState: "running", StopTimeout: 7}})
	}
	if _, err := store.ApplyScan(context.Background(), writes); err != nil {
		t.Fatal(err)
	}
}

// startJob is a decision that always starts op: the store's tests are
// about storing, the rules are lifecycle's.
func startJob(op lifecycle.Op, origin string, now time.Time) func(lifecycle.Container) (lifecycle.Container, lifecycle.Job, error) {
	return func(c lifecycle.Container) (lifecycle.Container, lifecycle.Job, error) {
		next := c
		next.PrevState, next.State = c.State, op.Transitional()
		return next, lifecycle.Job{Container: c.Name, Op: op, PrevState: c.State, Outcome: lifecycle.JobRunning,
			StartedAt: now, StopTimeout: c.StopTimeout, Origin: origin}, nil
	}
}

// settleAs ends a job with the container in state s.
func settleAs(s lifecycle.State) func(lifecycle.Container) (lifecycle.Container, bool) {
	return func(c lifecycle.Container) (lifecycle.Container, bool) {
		c.State, c.JobID, c.PrevState = s, 0, ""
		return c, false
	}
}

func begin(t *testing.T, store *db.DB, name string, op lifecycle.Op, origin string, now time.Time) (lifecycle.Container, lifecycle.Job) {
	t.Helper()
	c, j, err := store.BeginJob(context.Background(), name, startJob(op, origin, now))
	if err != nil {
		t.Fatal(err)
	}
	return c, j
}
