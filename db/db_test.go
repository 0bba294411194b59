package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"podboard/db"
	"podboard/lifecycle"
)

func TestOpenAppliesMigrationsOnceAndKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "podboard.db")
	first, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w := lifecycle.ScanWrite{Kind: lifecycle.Insert, Container: lifecycle.Container{Name: "web", State: lifecycle.Running, EngineState: "running"}}
	if _, err := first.ApplyScan(ctx, []lifecycle.ScanWrite{w}); err != nil {
		t.Fatal(err)
	}
	_, job := begin(t, first, "web", lifecycle.Stop, "test", time.Now())
	first.Close()

	second, err := db.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopening an existing database: %v", err)
	}
	defer second.Close()
	c, err := second.Container(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != lifecycle.Stopping || c.Job == nil || c.Job.Op != lifecycle.Stop {
		t.Fatalf("after reopening: %+v, want the stopping row with its job", c)
	}
	// The change sequence goes on from where it was.
	before := c.Version
	job.Outcome, job.FinishedAt = lifecycle.JobSucceeded, time.Now()
	after, ok, err := second.EndJob(ctx, job, settleAs(lifecycle.Stopped))
	if err != nil || !ok || after.Version <= before {
		t.Fatalf("EndJob after reopening: %+v ok=%v err=%v, want a version above %d", after, ok, err, before)
	}
}

func TestOpenOfAFileThatIsNotADatabaseSaysSo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "podboard.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := db.Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want an error naming %s", err, path)
	}
}
