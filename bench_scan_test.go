package main

// Item 3: one scan pass over many containers, and what it writes.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"podboard/db"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web"
)

// countingStore counts the writes a scan asks of the store.
type countingStore struct {
	*db.DB
	writes atomic.Int64
}

func (s *countingStore) ApplyScan(ctx context.Context, w []lifecycle.ScanWrite) ([]lifecycle.ScanWrite, error) {
	s.writes.Add(1)
	return s.DB.ApplyScan(ctx, w)
}

func (s *countingStore) BeginJob(ctx context.Context, name string, decide func(lifecycle.Container) (lifecycle.Container, lifecycle.Job, error)) (lifecycle.Container, lifecycle.Job, error) {
	s.writes.Add(1)
	return s.DB.BeginJob(ctx, name, decide)
}

func (s *countingStore) UpdateContainer(ctx context.Context, name string, change func(lifecycle.Container) (lifecycle.Container, bool)) (lifecycle.Container, bool, error) {
	s.writes.Add(1)
	return s.DB.UpdateContainer(ctx, name, change)
}

// fileState is the size and modification time of the database files.
func fileState(t *testing.T, path string) string {
	t.Helper()
	var parts []string
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			parts = append(parts, p+": none")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %d bytes %s", p, fi.Size(), fi.ModTime().Format(time.RFC3339Nano)))
	}
	return strings.Join(parts, "; ")
}

func benchScan(t *testing.T, sz benchSizes, rep *benchReport) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	table := [][]string{{"containers", "first scan (all inserted)", "unchanged: passes", "p50", "p99", "max", "writes", "db files touched", "1 % changed: median pass"}}
	var at10k time.Duration
	var writes10k int64
	largest := 0
	for _, n := range sz.scanSizes {
		path := filepath.Join(t.TempDir(), "podboard.db")
		store, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		cs := &countingStore{DB: store}
		engine := fake.New()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for i := range n {
			o := fake.Running(fmt.Sprintf("scan-%05d", i))
			o.CreatedAt, o.StartedAt = t0, t0.Add(time.Minute)
			if i%3 == 0 {
				o.EngineState, o.StartedAt, o.FinishedAt = "exited", time.Time{}, t0.Add(time.Hour)
			}
			engine.Put(o)
		}
		hub := web.NewHub(log)
		m := lifecycle.NewManager(lifecycle.Config{Store: cs, Engine: engine, Notifier: hub, Logger: log})
		start := time.Now()
		if res, err := m.Scan(ctx); err != nil || res.Inserted != n {
			t.Fatalf("first scan of %d: %+v %v", n, res, err)
		}
		first := time.Since(start)

		cs.writes.Store(0)
		filesBefore := fileState(t, path)
		var passes durations
		for range sz.scanPasses[n] {
			start := time.Now()
			res, err := m.Scan(ctx)
			passes = append(passes, time.Since(start))
			if err != nil || res.Changed() || res.Skipped != 0 {
				t.Fatalf("unchanged scan of %d: %+v %v", n, res, err)
			}
		}
		writes := cs.writes.Load()
		filesAfter := fileState(t, path)
		touched := "no"
		if filesAfter != filesBefore {
			touched = "yes"
		}
		if writes != 0 || touched != "no" {
			t.Errorf("an unchanged scan of %d containers wrote: %d store writes; files before %s, after %s", n, writes, filesBefore, filesAfter)
		}

		// One container in a hundred changes state between passes.
		var changed durations
		for round := range 5 {
			state := "paused"
			if round%2 == 1 {
				state = "running"
			}
			for i := 1; i < n; i += 100 {
				o := fake.Running(fmt.Sprintf("scan-%05d", i))
				o.CreatedAt, o.StartedAt, o.EngineState = t0, t0.Add(time.Minute), state
				engine.Put(o)
			}
			start := time.Now()
			res, err := m.Scan(ctx)
			changed = append(changed, time.Since(start))
			if err != nil || res.Updated != (n+98)/100 {
				t.Fatalf("scan with 1%% changed of %d: %+v %v", n, res, err)
			}
		}
		hub.Close()
		store.Close()
		table = append(table, []string{fmt.Sprint(n), fmtMS(first), fmt.Sprint(len(passes)), fmtMS(passes.median()), fmtMS(passes.pct(0.99)), fmtMS(passes.max()),
			fmt.Sprint(writes), touched, fmtMS(changed.median())})
		t.Logf("scan %d: unchanged p50 %s p99 %s max %s, writes %d", n, fmtMS(passes.median()), fmtMS(passes.pct(0.99)), fmtMS(passes.max()), writes)
		if n >= largest {
			largest, at10k, writes10k = n, passes.median(), writes
			rep.metric("3.largest.p50", fmtMS(passes.median()))
			rep.metric("3.largest.first", fmtMS(first))
			rep.metric("3.largest.changed", fmtMS(changed.median()))
		}
	}
	rep.target("3", fmt.Sprintf("one scan pass, nothing changed, %d containers (median)", largest), "< 100 ms", fmtMS(at10k), at10k < 100*time.Millisecond)
	rep.target("3", fmt.Sprintf("SQLite writes of that pass, %d containers", largest), "0", fmt.Sprint(writes10k), writes10k == 0)
	rep.table("3", table)
}
