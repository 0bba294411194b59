package lifecycle_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

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
			e := webtest.New(t, webtest.Containers(tt.from))
			e.ResetEvents()
			release := e.Hold(tt.op, "web")
			before := e.Container("web").State

			c, err := e.Manager.Do(context.Background(), "web", tt.op, "test")
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if c.State != tt.transitional || !c.Busy() {
				t.Fatalf("Do returned state %q busy=%v, want %q and busy", c.State, c.Busy(), tt.transitional)
			}
			if got := e.Container("web"); got.State != tt.transitional || got.PrevState != before {
				t.Fatalf("stored state %q (prev %q) while the engine works, want %q (prev %q)", got.State, got.PrevState, tt.transitional, before)
			}

			release()
			e.WaitIdle()
			got := e.Container("web")
			if got.State != tt.final || got.Busy() || got.Error != "" {
				t.Fatalf("after the engine returned: state %q busy=%v error=%q, want %q, idle, no error", got.State, got.Busy(), got.Error, tt.final)
			}
			if s := e.Engine.State("web"); s != tt.engineAfter {
				t.Fatalf("engine state %q, want %q", s, tt.engineAfter)
			}
			if want := []string{string(tt.transitional), string(tt.final)}; strings.Join(e.States("web"), ",") != strings.Join(want, ",") {
				t.Fatalf("published %v, want %v", e.States("web"), want)
			}
			jobs := e.JobsOf("web")
			if len(jobs) != 1 || jobs[0].Outcome != lifecycle.JobSucceeded || jobs[0].Op != tt.op || jobs[0].FinishedAt.IsZero() {
				t.Fatalf("jobs = %+v, want one succeeded %s job", jobs, tt.op)
			}
			log := e.Incidents()
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
			e := webtest.New(t, webtest.Containers(tt.from))
			e.Engine.Fail(tt.op, "db", errors.New("OCI runtime error: boom\nsecond line"))
			if _, err := e.Manager.Do(context.Background(), "db", tt.op, "test"); err != nil {
				t.Fatal(err)
			}
			e.WaitIdle()
			c := e.Container("db")
			if c.State != tt.want || c.Busy() {
				t.Fatalf("state %q busy=%v, want reverted to %q", c.State, c.Busy(), tt.want)
			}
			if !strings.Contains(c.Error, "OCI runtime error: boom") {
				t.Fatalf("row error %q does not carry the engine's reason", c.Error)
			}
			jobs := e.JobsOf("db")
			if jobs[0].Outcome != lifecycle.JobFailed || !strings.Contains(jobs[0].Error, "boom") {
				t.Fatalf("job = %+v, want failed with the reason", jobs[0])
			}
			events := e.EventsOf("db")
			if last := events[len(events)-1]; last.Ended == nil || last.Ended.Outcome != lifecycle.JobFailed || last.Container.Error == "" {
				t.Fatalf("last event %+v does not announce the failure", last)
			}
			if want := tt.op.Upper() + " FAIL: db — OCI runtime error: boom second line\n"; !strings.Contains(e.Incidents(), want) {
				t.Fatalf("incident log lacks %q:\n%s", want, e.Incidents())
			}

			// The reason stays until the next operation starts.
			e.Scan()
			if c := e.Container("db"); c.Error == "" {
				t.Fatal("a scan cleared the failure reason")
			}
			e.Engine.Fail(tt.op, "db", nil)
			e.Manager.Do(context.Background(), "db", tt.op, "test")
			if c := e.Container("db"); c.Error != "" {
				t.Fatalf("the next operation kept the old reason %q", c.Error)
			}
		})
	}
}

func TestSecondOperationWhileOneRunsIsRefused(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("node")))
	release := e.Hold(lifecycle.Stop, "node")
	if _, err := e.Manager.Do(context.Background(), "node", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	for _, op := range []lifecycle.Op{lifecycle.Stop, lifecycle.Start, lifecycle.Restart} { // a kill is the way out: see wayout_test.go
		c, err := e.Manager.Do(context.Background(), "node", op, "test")
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
	e.WaitIdle()
	if calls := e.Engine.OpCalls(); strings.Join(calls, ",") != "stop node" {
		t.Fatalf("engine calls %v, want exactly one stop", calls)
	}
}

func TestDoubleClickStartsOneEngineCall(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("node")))
	release := e.Hold(lifecycle.Stop, "node")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, busy int
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.Manager.Do(context.Background(), "node", lifecycle.Stop, "test")
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
	e.WaitIdle()
	if ok != 1 || busy != 19 {
		t.Fatalf("%d accepted, %d refused as busy; want 1 and 19", ok, busy)
	}
	if n := len(e.Engine.OpCalls()); n != 1 {
		t.Fatalf("%d engine calls, want 1", n)
	}
	if n := len(e.JobsOf("node")); n != 1 {
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
			e := webtest.New(t, webtest.Containers(fake.Running("web"), fake.Exited("old")))
			e.ResetEvents()
			before := e.Versions()
			_, err := e.Manager.Do(context.Background(), tt.target, tt.op, "test")
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tt.wantErr, tt.wantMsg)
			}
			if after := e.Versions(); !maps.Equal(before, after) {
				t.Fatalf("rows changed: versions %v → %v", before, after)
			}
			if jobs := e.Jobs(); len(jobs) != 0 {
				t.Fatalf("jobs recorded: %+v", jobs)
			}
			if calls := e.Engine.OpCalls(); len(calls) != 0 {
				t.Fatalf("engine called: %v", calls)
			}
			if len(e.States(tt.target)) != 0 {
				t.Fatalf("published %v", e.States(tt.target))
			}
		})
	}
	if _, err := lifecycle.ParseOp("nuke"); !errors.Is(err, lifecycle.ErrInvalid) {
		t.Fatalf("ParseOp(kill) = %v, want ErrInvalid", err)
	}
}

func TestOperationOnContainerNotScannedYetRuns(t *testing.T) {
	e := webtest.New(t)
	e.Engine.Put(fake.Running("fresh"))
	c, err := e.Manager.Do(context.Background(), "fresh", lifecycle.Stop, "test")
	if err != nil {
		t.Fatalf("Do on a container Podman knows but the scan has not seen: %v", err)
	}
	if c.State != lifecycle.Stopping {
		t.Fatalf("state %q, want stopping", c.State)
	}
	e.WaitIdle()
	e.Scan()
	if c := e.Container("fresh"); c.State != lifecycle.Stopped || c.Image != "localhost/fresh:latest" {
		t.Fatalf("after the job and a scan: %+v, want stopped with its image", c)
	}
}

func TestLookupOfUnscannedContainerIsBounded(t *testing.T) {
	e := webtest.New(t, webtest.Config(lifecycle.Config{LookupTimeout: 50 * time.Millisecond}))
	e.Hold("inspect", "slow")
	_, err := e.Manager.Do(context.Background(), "slow", lifecycle.Stop, "test")
	if !errors.Is(err, lifecycle.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
}

func TestContainerRemovedDuringJobIsDropped(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("gone")))
	e.ResetEvents()
	release := e.Hold(lifecycle.Stop, "gone")
	if _, err := e.Manager.Do(context.Background(), "gone", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	e.Engine.Remove("gone")
	// A scan while the job runs leaves the row to the job.
	e.Scan()
	if c := e.Container("gone"); c.State != lifecycle.Stopping {
		t.Fatalf("scan touched a row with a live job: %+v", c)
	}
	release()
	e.WaitIdle()
	if _, err := e.DB.Container(context.Background(), "gone"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("row still there after the container vanished: %v", err)
	}
	if got := strings.Join(e.States("gone"), ","); got != "stopping,removed" {
		t.Fatalf("published %s, want stopping,removed", got)
	}
	if !strings.Contains(e.Incidents(), "STOP FAIL: gone — container gone no longer exists") {
		t.Fatalf("incident log:\n%s", e.Incidents())
	}
}

func TestEngineFailuresReachTheOperator(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web")))
	e.Engine.Down(errors.New("podman unreachable at unix:///run/podman/podman.sock: connection refused"))
	c, err := e.Manager.Do(context.Background(), "web", lifecycle.Stop, "test")
	if err != nil || c.State != lifecycle.Stopping {
		t.Fatalf("a known container's operation must start even when Podman is down: %v %+v", err, c)
	}
	e.WaitIdle()
	if c := e.Container("web"); c.State != lifecycle.Running || !strings.Contains(c.Error, "connection refused") {
		t.Fatalf("after the failed call: %+v, want running with the reason", c)
	}
	if _, err := e.Manager.Scan(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("scan with Podman down: %v", err)
	}
}

// beginInStore records a stop of name as an earlier process would have,
// straight in the store, without running it.
func beginInStore(t *testing.T, e *webtest.Env, name string, at time.Time) {
	t.Helper()
	_, _, err := e.DB.BeginJob(context.Background(), name, func(c lifecycle.Container) (lifecycle.Container, lifecycle.Job, error) {
		next := c
		next.PrevState, next.State = c.State, lifecycle.Stopping
		return next, lifecycle.Job{Container: name, Op: lifecycle.Stop, PrevState: c.State,
			Outcome: lifecycle.JobRunning, StartedAt: at, Origin: "test"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
