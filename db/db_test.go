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
	if _, _, err := first.BeginJob(ctx, "web", lifecycle.Stop, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
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
