package lifecycle_test

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"podboard/db"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
)

// harness is a Manager over a real SQLite file and a fake engine, with the
// events it published recorded in order.
type harness struct {
	t       *testing.T
	m       *lifecycle.Manager
	db      *db.DB
	engine  *fake.Engine
	logPath string

	mu     sync.Mutex
	events []lifecycle.Event
	signal chan struct{}
}

func newHarness(t *testing.T, cs ...lifecycle.Observed) *harness {
	t.Helper()
	return newHarnessWith(t, lifecycle.Config{}, cs...)
}

func newHarnessWith(t *testing.T, cfg lifecycle.Config, cs ...lifecycle.Observed) *harness {
	t.Helper()
	dir := t.TempDir()
	store, err := db.Open(context.Background(), filepath.Join(dir, "podboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	incid, err := lifecycle.OpenIncidentLog(filepath.Join(dir, "lifecycle.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { incid.Close() })
	h := &harness{t: t, db: store, engine: fake.New(cs...), logPath: incid.Path(), signal: make(chan struct{}, 1000)}
	cfg.Store, cfg.Engine, cfg.Incident = store, h.engine, incid
	cfg.Notifier = lifecycle.NotifierFunc(h.record)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h.m = lifecycle.NewManager(cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.m.Wait(ctx); err != nil {
			t.Errorf("jobs still running at the end of the test: %v", h.m.Running())
		}
	})
	if _, err := h.m.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.reset()
	return h
}

func (h *harness) record(e lifecycle.Event) {
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
	h.signal <- struct{}{}
}

func (h *harness) reset() {
	h.mu.Lock()
	h.events = nil
	h.mu.Unlock()
}

// states lists, in the order they were stored (their Seq), the states
// published for name ("removed" for a removal).
func (h *harness) states(name string) []string {
	h.mu.Lock()
	var events []lifecycle.Event
	for _, e := range h.events {
		if e.Container.Name == name {
			events = append(events, e)
		}
	}
	h.mu.Unlock()
	slices.SortStableFunc(events, func(a, b lifecycle.Event) int { return cmp.Compare(a.Seq, b.Seq) })
	var out []string
	for _, e := range events {
		if e.Removed() {
			out = append(out, "removed")
		} else {
			out = append(out, string(e.Container.State))
		}
	}
	return out
}

func (h *harness) container(name string) lifecycle.Container {
	h.t.Helper()
	c, err := h.db.Container(context.Background(), name)
	if err != nil {
		h.t.Fatalf("container %s: %v", name, err)
	}
	return c
}

// waitIdle waits until no job runs.
func (h *harness) waitIdle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.m.Wait(ctx); err != nil {
		h.t.Fatalf("jobs did not end: %v", h.m.Running())
	}
}

func (h *harness) incidents() string {
	h.t.Helper()
	b, err := os.ReadFile(h.logPath)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}

func (h *harness) jobs(name string) []lifecycle.Job {
	h.t.Helper()
	jobs, err := h.db.Jobs(context.Background(), name, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return jobs
}

func TestOperationShowsTransitionalStateThenFinalState(t *testing.T) {
	tests := []struct {
		op           lifecycle.Op
		from         lifecycle.Observed
		transitional lifecycle.State
		final        lifecycle.State
		engineAfter  string
	}{
		{lifecycle.Stop, fake.Running("web"), lifecycle.Stopping, lifecycle.Stopped, "exited"},
		{lifecycle.Start, fake.Exited("web"), lifecycle.Starting, lifecycle.Running, "running"},
		{lifecycle.Restart, fake.Running("web"), lifecycle.Restarting, lifecycle.Running, "running"},
	}
	for _, tt := range tests {
		t.Run(string(tt.op), func(t *testing.T) {
			h := newHarness(t, tt.from)
			release := h.engine.Hold(tt.op, "web")
			before := h.container("web").State

			c, err := h.m.Do(context.Background(), "web", tt.op, "test")
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if c.State != tt.transitional || !c.Busy() {
				t.Fatalf("Do returned state %q busy=%v, want %q and busy", c.State, c.Busy(), tt.transitional)
			}
			if got := h.container("web"); got.State != tt.transitional || got.PrevState != before {
				t.Fatalf("stored state %q (prev %q) while the engine works, want %q (prev %q)", got.State, got.PrevState, tt.transitional, before)
			}

			release()
			h.waitIdle()
			got := h.container("web")
			if got.State != tt.final || got.Busy() || got.Error != "" {
				t.Fatalf("after the engine returned: state %q busy=%v error=%q, want %q, idle, no error", got.State, got.Busy(), got.Error, tt.final)
			}
			if s := h.engine.State("web"); s != tt.engineAfter {
				t.Fatalf("engine state %q, want %q", s, tt.engineAfter)
			}
			if want := []string{string(tt.transitional), string(tt.final)}; strings.Join(h.states("web"), ",") != strings.Join(want, ",") {
				t.Fatalf("published %v, want %v", h.states("web"), want)
			}
			jobs := h.jobs("web")
			if len(jobs) != 1 || jobs[0].Outcome != lifecycle.JobSucceeded || jobs[0].Op != tt.op || jobs[0].FinishedAt.IsZero() {
				t.Fatalf("jobs = %+v, want one succeeded %s job", jobs, tt.op)
			}
			log := h.incidents()
			for _, want := range []string{tt.op.Upper() + " BEGIN: web", tt.op.Upper() + " OK: web"} {
				if !strings.Contains(log, want) {
					t.Errorf("incident log lacks %q:\n%s", want, log)
				}
			}
		})
	}
}

func TestFailedOperationRevertsAndKeepsTheReason(t *testing.T) {
	for _, tt := range []struct {
		op   lifecycle.Op
		from lifecycle.Observed
		want lifecycle.State
	}{
		{lifecycle.Stop, fake.Running("db"), lifecycle.Running},
		{lifecycle.Start, fake.Exited("db"), lifecycle.Stopped},
		{lifecycle.Restart, fake.Running("db"), lifecycle.Running},
	} {
		t.Run(string(tt.op), func(t *testing.T) {
			h := newHarness(t, tt.from)
			h.engine.Fail(tt.op, "db", errors.New("OCI runtime error: boom\nsecond line"))
			if _, err := h.m.Do(context.Background(), "db", tt.op, "test"); err != nil {
				t.Fatal(err)
			}
			h.waitIdle()
			c := h.container("db")
			if c.State != tt.want || c.Busy() {
				t.Fatalf("state %q busy=%v, want reverted to %q", c.State, c.Busy(), tt.want)
			}
			if !strings.Contains(c.Error, "OCI runtime error: boom") {
				t.Fatalf("row error %q does not carry the engine's reason", c.Error)
			}
			jobs := h.jobs("db")
			if jobs[0].Outcome != lifecycle.JobFailed || !strings.Contains(jobs[0].Error, "boom") {
				t.Fatalf("job = %+v, want failed with the reason", jobs[0])
			}
			h.mu.Lock()
			last := h.events[len(h.events)-1]
			h.mu.Unlock()
			if last.Ended == nil || last.Ended.Outcome != lifecycle.JobFailed || last.Container.Error == "" {
				t.Fatalf("last event %+v does not announce the failure", last)
			}
			if want := tt.op.Upper() + " FAIL: db — OCI runtime error: boom second line\n"; !strings.Contains(h.incidents(), want) {
				t.Fatalf("incident log lacks %q:\n%s", want, h.incidents())
			}

			// The reason stays until the next operation starts.
			if _, err := h.m.Scan(context.Background()); err != nil {
				t.Fatal(err)
			}
			if c := h.container("db"); c.Error == "" {
				t.Fatal("a scan cleared the failure reason")
			}
			h.engine.Fail(tt.op, "db", nil)
			h.m.Do(context.Background(), "db", tt.op, "test")
			if c := h.container("db"); c.Error != "" {
				t.Fatalf("the next operation kept the old reason %q", c.Error)
			}
		})
	}
}

func TestSecondOperationWhileOneRunsIsRefused(t *testing.T) {
	h := newHarness(t, fake.Running("node"))
	release := h.engine.Hold(lifecycle.Stop, "node")
	defer release()
	if _, err := h.m.Do(context.Background(), "node", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	for _, op := range lifecycle.Ops {
		c, err := h.m.Do(context.Background(), "node", op, "test")
		if !errors.Is(err, lifecycle.ErrBusy) {
			t.Fatalf("%s during a stop: err = %v, want ErrBusy", op, err)
		}
		if c.State != lifecycle.Stopping || c.Name != "node" {
			t.Fatalf("%s during a stop returned %+v, want the current (stopping) row", op, c)
		}
		if !strings.Contains(err.Error(), "already Stopping…") {
			t.Errorf("message %q does not say what is running", err)
		}
	}
	release()
	h.waitIdle()
	if calls := h.engine.OpCalls(); strings.Join(calls, ",") != "stop node" {
		t.Fatalf("engine calls %v, want exactly one stop", calls)
	}
}

func TestDoubleClickStartsOneEngineCall(t *testing.T) {
	h := newHarness(t, fake.Running("node"))
	release := h.engine.Hold(lifecycle.Stop, "node")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, busy int
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.m.Do(context.Background(), "node", lifecycle.Stop, "test")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, lifecycle.ErrBusy):
				busy++
			default:
				t.Errorf("unexpected error %v", err)
			}
		}()
	}
	wg.Wait()
	release()
	h.waitIdle()
	if ok != 1 || busy != 19 {
		t.Fatalf("%d accepted, %d refused as busy; want 1 and 19", ok, busy)
	}
	if n := len(h.engine.OpCalls()); n != 1 {
		t.Fatalf("%d engine calls, want 1", n)
	}
	if n := len(h.jobs("node")); n != 1 {
		t.Fatalf("%d jobs recorded, want 1", n)
	}
}

func TestBadRequestsChangeNothing(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		op      lifecycle.Op
		wantErr error
		wantMsg string
	}{
		{"unknown container", "ghost", lifecycle.Stop, lifecycle.ErrNotFound, "ghost"},
		{"invalid name", "../etc", lifecycle.Stop, lifecycle.ErrInvalid, "not a valid container name"},
		{"empty name", "", lifecycle.Stop, lifecycle.ErrInvalid, "not a valid container name"},
		{"start a running container", "web", lifecycle.Start, lifecycle.ErrState, "cannot start web while it is running"},
		{"stop a stopped container", "old", lifecycle.Stop, lifecycle.ErrState, "cannot stop old while it is stopped"},
		{"restart a stopped container", "old", lifecycle.Restart, lifecycle.ErrState, "cannot restart old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, fake.Running("web"), fake.Exited("old"))
			before, _ := h.db.Containers(context.Background())
			_, err := h.m.Do(context.Background(), tt.target, tt.op, "test")
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tt.wantErr, tt.wantMsg)
			}
			after, _ := h.db.Containers(context.Background())
			for i := range before {
				if before[i].Version != after[i].Version || before[i].State != after[i].State {
					t.Fatalf("%s changed: %+v → %+v", before[i].Name, before[i], after[i])
				}
			}
			if len(before) != len(after) {
				t.Fatalf("%d rows before, %d after", len(before), len(after))
			}
			if jobs := h.jobs(""); len(jobs) != 0 {
				t.Fatalf("jobs recorded: %+v", jobs)
			}
			if calls := h.engine.OpCalls(); len(calls) != 0 {
				t.Fatalf("engine called: %v", calls)
			}
			if len(h.states(tt.target)) != 0 {
				t.Fatalf("published %v", h.states(tt.target))
			}
		})
	}
	if _, err := lifecycle.ParseOp("kill"); !errors.Is(err, lifecycle.ErrInvalid) {
		t.Fatalf("ParseOp(kill) = %v, want ErrInvalid", err)
	}
}

func TestOperationOnContainerNotScannedYetRuns(t *testing.T) {
	h := newHarness(t)
	h.engine.Put(fake.Running("fresh"))
	c, err := h.m.Do(context.Background(), "fresh", lifecycle.Stop, "test")
	if err != nil {
		t.Fatalf("Do on a container Podman knows but the scan has not seen: %v", err)
	}
	if c.State != lifecycle.Stopping {
		t.Fatalf("state %q, want stopping", c.State)
	}
	h.waitIdle()
	if _, err := h.m.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := h.container("fresh"); c.State != lifecycle.Stopped || c.Image != "localhost/fresh:latest" {
		t.Fatalf("after the job and a scan: %+v, want stopped with its image", c)
	}
}

func TestLookupOfUnscannedContainerIsBounded(t *testing.T) {
	h := newHarnessWith(t, lifecycle.Config{LookupTimeout: 50 * time.Millisecond})
	release := h.engine.Hold("inspect", "slow")
	defer release()
	_, err := h.m.Do(context.Background(), "slow", lifecycle.Stop, "test")
	if !errors.Is(err, lifecycle.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
}

func TestContainerRemovedDuringJobIsDropped(t *testing.T) {
	h := newHarness(t, fake.Running("gone"))
	release := h.engine.Hold(lifecycle.Stop, "gone")
	if _, err := h.m.Do(context.Background(), "gone", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	h.engine.Remove("gone")
	// A scan while the job runs leaves the row to the job.
	if _, err := h.m.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := h.container("gone"); c.State != lifecycle.Stopping {
		t.Fatalf("scan touched a row with a live job: %+v", c)
	}
	release()
	h.waitIdle()
	if _, err := h.db.Container(context.Background(), "gone"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("row still there after the container vanished: %v", err)
	}
	if got := strings.Join(h.states("gone"), ","); got != "stopping,removed" {
		t.Fatalf("published %s, want stopping,removed", got)
	}
	if !strings.Contains(h.incidents(), "STOP FAIL: gone — container gone no longer exists") {
		t.Fatalf("incident log:\n%s", h.incidents())
	}
}

func TestEngineFailuresReachTheOperator(t *testing.T) {
	h := newHarness(t, fake.Running("web"))
	h.engine.Down(errors.New("podman unreachable at unix:///run/podman/podman.sock: connection refused"))
	c, err := h.m.Do(context.Background(), "web", lifecycle.Stop, "test")
	if err != nil || c.State != lifecycle.Stopping {
		t.Fatalf("a known container's operation must start even when Podman is down: %v %+v", err, c)
	}
	h.waitIdle()
	if c := h.container("web"); c.State != lifecycle.Running || !strings.Contains(c.Error, "connection refused") {
		t.Fatalf("after the failed call: %+v, want running with the reason", c)
	}
	if _, err := h.m.Scan(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("scan with Podman down: %v", err)
	}
}

// beginInStore records a stop of name as an earlier process would have,
// straight in the store, without running it.
func beginInStore(t *testing.T, h *harness, name string, at time.Time) {
	t.Helper()
	_, _, err := h.db.BeginJob(context.Background(), name, func(c lifecycle.Container) (lifecycle.Container, lifecycle.Job, error) {
		next := c
		next.PrevState, next.State = c.State, lifecycle.Stopping
		return next, lifecycle.Job{Container: name, Op: lifecycle.Stop, PrevState: c.State,
			Outcome: lifecycle.JobRunning, StartedAt: at, Origin: "test"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
