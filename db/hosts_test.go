package db_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"podboard/db"
	"podboard/lifecycle"
)

// Two hosts may each have a container of the same name: each host's rows,
// jobs and running jobs are its own.
func TestEachHostHasItsOwnRowsAndJobs(t *testing.T) {
	local := openDB(t)
	nas := local.Host("nas")
	insert(t, local, "web", "db")
	insert(t, nas, "web")
	begin(t, nas, "web", lifecycle.Stop, "alice", time.Now())

	ctx := context.Background()
	lw, err := local.Container(ctx, "web")
	if err != nil || lw.Host != db.DefaultHost || lw.Busy() || lw.State != lifecycle.Running {
		t.Errorf("local web: %+v, %v; want it running, untouched by nas's stop", lw, err)
	}
	nw, err := nas.Container(ctx, "web")
	if err != nil || nw.Host != "nas" || !nw.Busy() || nw.Job == nil || nw.Job.Host != "nas" {
		t.Errorf("nas web: %+v, %v; want it stopping with its job", nw, err)
	}
	if _, err := nas.Container(ctx, "db"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("nas sees local's db: %v", err)
	}
	for store, want := range map[*db.DB]int{local: 2, nas: 1} {
		cs, err := store.Containers(ctx)
		if err != nil || len(cs) != want {
			t.Errorf("%s lists %d containers (%v), want %d", store.HostName(), len(cs), err, want)
		}
	}
	for store, want := range map[*db.DB]int{local: 0, nas: 1} {
		if jobs, _ := store.RunningJobs(ctx); len(jobs) != want {
			t.Errorf("%s has %d running jobs, want %d", store.HostName(), len(jobs), want)
		}
		if jobs, _ := store.Jobs(ctx, "web", 10); len(jobs) != want {
			t.Errorf("%s's history of web has %d jobs, want %d", store.HostName(), len(jobs), want)
		}
	}
	// A scan of one host deletes nothing of another.
	if _, err := nas.ApplyScan(ctx, []lifecycle.ScanWrite{{Kind: lifecycle.Delete, Container: lifecycle.Container{Name: "db"}, Version: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := local.Container(ctx, "db"); err != nil {
		t.Errorf("nas's scan deleted local's db: %v", err)
	}
}

// A database of the schema before hosts keeps its rows and its history,
// as the host "local", a job in flight included.
func TestTheMigrationToHostsKeepsTheRowsAndTheirHistory(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "podboard.db")
	old, err := sql.Open("sqlite", "file:"+file+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := old.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT`)
	for v, name := range []string{"0001_init.sql", "0002_change_seq.sql", "0003_auth.sql", "0004_way_out.sql"} {
		body, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		exec(string(body))
		exec(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, v+1, name)
	}
	now := time.Now().UnixNano()
	exec(`INSERT INTO jobs (id, container, op, prev_state, outcome, started_at, finished_at, origin) VALUES
		(1, 'web', 'restart', 'running', 'succeeded', ?, ?, 'alice'),
		(2, 'web', 'stop', 'running', 'running', ?, 0, 'bob')`, now-2e9, now-1e9, now)
	exec(`INSERT INTO containers (name, id, state, engine_state, job_id, prev_state, version, health) VALUES
		('web', 'id-web', 'stopping', 'running', 2, 'running', 5, 'healthy'),
		('db', 'id-db', 'stopped', 'exited', NULL, '', 3, '')`)
	exec(`UPDATE change_seq SET n = 5`)
	old.Close()

	store, err := db.Open(ctx, file)
	if err != nil {
		t.Fatalf("migrating: %v", err)
	}
	defer store.Close()
	web, err := store.Container(ctx, "web")
	if err != nil || web.Host != db.DefaultHost || web.State != lifecycle.Stopping || web.Job == nil || web.Job.ID != 2 || web.Job.Origin != "bob" || web.Health != "healthy" || web.Version != 5 {
		t.Fatalf("web after the migration: %+v (job %+v), %v", web, web.Job, err)
	}
	jobs, err := store.Jobs(ctx, "web", 10)
	if err != nil || len(jobs) != 2 || jobs[1].Origin != "alice" || jobs[0].Host != db.DefaultHost {
		t.Errorf("web's history: %+v, %v", jobs, err)
	}
	if running, _ := store.RunningJobs(ctx); len(running) != 1 || running[0].ID != 2 {
		t.Errorf("running jobs: %+v", running)
	}
	// Writes go on over the migrated rows, above their versions.
	insert(t, store.Host("nas"), "web")
	job := *web.Job
	job.Outcome, job.FinishedAt = lifecycle.JobSucceeded, time.Now()
	after, ok, err := store.EndJob(ctx, job, settleAs(lifecycle.Stopped))
	if err != nil || !ok || after.State != lifecycle.Stopped || after.Version <= 5 {
		t.Errorf("ending the migrated job: %+v ok=%v err=%v", after, ok, err)
	}
}
