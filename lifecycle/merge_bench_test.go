package lifecycle_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"podboard/db"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
)

var benchSizes = []int{100, 1000, 10000}

// benchFleet is n containers as the engine reports them and as the
// dashboard stored them after a scan: nothing differs.
func benchFleet(n int) ([]lifecycle.Container, []lifecycle.Observed) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	stored := make([]lifecycle.Container, 0, n)
	observed := make([]lifecycle.Observed, 0, n)
	for i := range n {
		o := fake.Running(fmt.Sprintf("svc-%05d", i))
		o.CreatedAt, o.StartedAt = t0, t0.Add(time.Minute)
		if i%3 == 0 {
			o.EngineState, o.StartedAt, o.FinishedAt, o.ExitCode = "exited", time.Time{}, t0.Add(time.Hour), 137
		}
		observed = append(observed, o)
		c := lifecycle.Container{Name: o.Name, ID: o.ID, Image: o.Image, State: lifecycle.StateFromEngine(o.EngineState),
			EngineState: o.EngineState, ExitCode: o.ExitCode, CreatedAt: o.CreatedAt, StartedAt: o.StartedAt,
			FinishedAt: o.FinishedAt, StopTimeout: o.StopTimeout, Version: 2}
		stored = append(stored, c)
	}
	return stored, observed
}

// BenchmarkMerge is the pure comparison of one scan: stored rows against
// the engine's list. "unchanged" is the common case; "1pct" has one
// container in a hundred changed state.
func BenchmarkMerge(b *testing.B) {
	for _, n := range benchSizes {
		stored, observed := benchFleet(n)
		b.Run(fmt.Sprintf("unchanged/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if w := lifecycle.Merge(stored, observed); len(w) != 0 {
					b.Fatalf("%d writes for an unchanged fleet", len(w))
				}
			}
		})
		changed := append([]lifecycle.Observed(nil), observed...)
		for i := 0; i < n; i += 100 {
			changed[i].EngineState = "paused"
		}
		b.Run(fmt.Sprintf("1pct/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if w := lifecycle.Merge(stored, changed); len(w) != (n+99)/100 {
					b.Fatalf("%d writes, want %d", len(w), (n+99)/100)
				}
			}
		})
	}
}

// writeCounter is a store that counts the writes a scan asks for.
type writeCounter struct {
	*db.DB
	applied int
}

func (w *writeCounter) ApplyScan(ctx context.Context, writes []lifecycle.ScanWrite) ([]lifecycle.ScanWrite, error) {
	w.applied++
	return w.DB.ApplyScan(ctx, writes)
}

// BenchmarkScan is one whole reconciler pass when nothing changed: read the
// stored rows from SQLite, list the (fake) engine, merge. It must not write.
func BenchmarkScan(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("unchanged/%d", n), func(b *testing.B) {
			ctx := context.Background()
			store, err := db.Open(ctx, filepath.Join(b.TempDir(), "podboard.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			_, observed := benchFleet(n)
			counter := &writeCounter{DB: store}
			m := lifecycle.NewManager(lifecycle.Config{Store: counter, Engine: fake.New(observed...), Logger: slog.New(slog.DiscardHandler)})
			if res, err := m.Scan(ctx); err != nil || res.Inserted != n {
				b.Fatalf("first scan: %+v, %v", res, err)
			}
			counter.applied = 0
			b.ReportAllocs()
			for b.Loop() {
				if res, err := m.Scan(ctx); err != nil || res.Changed() {
					b.Fatalf("scan of an unchanged fleet: %+v, %v", res, err)
				}
			}
			if counter.applied != 0 {
				b.Fatalf("%d writes for an unchanged fleet", counter.applied)
			}
		})
	}
}
