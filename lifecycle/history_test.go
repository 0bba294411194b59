package lifecycle_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

// testClock is the manager's clock, moved by the test.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *testClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPruneHistoryDeletesTheJobsThatEndedMoreThanKeepAgo(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name    string
		keep    time.Duration
		age     time.Duration // how long ago the job ended when the prune runs
		running bool          // the job has not ended
		pruned  bool
	}{
		{"a job that ended 91 days ago goes with 90 days kept", 90 * day, 91 * day, false, true},
		{"a job that ended 89 days ago stays with 90 days kept", 90 * day, 89 * day, false, false},
		{"a job that ended exactly keep ago stays", 90 * day, 90 * day, false, false},
		{"a job that ended 2 hours ago goes with 1 hour kept", time.Hour, 2 * time.Hour, false, true},
		{"keep 0 keeps a job that ended ten years ago", 0, 3650 * day, false, false},
		{"a job still running after 2 hours stays with 1 hour kept", time.Hour, 2 * time.Hour, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &testClock{}
			clock.Set(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
			var logs syncBuffer
			e := webtest.New(t, webtest.Containers(fake.Running("web")), webtest.Config(lifecycle.Config{
				Now: clock.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			}))
			if tt.running {
				e.Hold(lifecycle.Stop, "web")
			}
			if _, err := e.Manager.Do(context.Background(), "web", lifecycle.Stop, "test"); err != nil {
				t.Fatal(err)
			}
			if !tt.running {
				e.WaitIdle()
			}
			clock.Add(tt.age)

			n, err := e.Manager.PruneHistory(context.Background(), tt.keep)
			if err != nil {
				t.Fatalf("PruneHistory: %v", err)
			}
			jobs := e.JobsOf("web")
			if tt.pruned && (n != 1 || len(jobs) != 0) {
				t.Fatalf("PruneHistory deleted %d jobs, left %+v; want the one job deleted", n, jobs)
			}
			if !tt.pruned && (n != 0 || len(jobs) != 1) {
				t.Fatalf("PruneHistory deleted %d jobs, left %+v; want the job kept", n, jobs)
			}
			logged := strings.Contains(logs.String(), `msg="pruned the job history" jobs=1`)
			if logged != tt.pruned {
				t.Errorf("log says pruned: %v, want %v:\n%s", logged, tt.pruned, logs.String())
			}
		})
	}
}

func TestPruneHistoryEveryPrunesAtEachTickUntilCancelled(t *testing.T) {
	clock := &testClock{}
	clock.Set(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	e := webtest.New(t, webtest.Containers(fake.Running("web")), webtest.Config(lifecycle.Config{Now: clock.Now}))
	if _, err := e.Manager.Do(context.Background(), "web", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	e.WaitIdle()
	clock.Add(2 * time.Hour)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Manager.PruneHistoryEvery(ctx, time.Hour, 5*time.Millisecond)
	}()
	deadline := time.Now().Add(webtest.Deadline)
	for len(e.JobsOf("web")) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the periodic prune never deleted the old job")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(webtest.Deadline):
		t.Fatal("PruneHistoryEvery did not return after its context was cancelled")
	}
}
