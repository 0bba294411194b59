package lifecycle_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

// A kill during the dashboard's own stop ends it: the stop job ends as
// Podman's stop returns, force-stopped by whom and after how long; the
// kill is a job of its own; the incident log has both.
func TestAForceStopDuringAStopEndsIt(t *testing.T) {
	for _, op := range []lifecycle.Op{lifecycle.Stop, lifecycle.Restart} {
		t.Run(string(op), func(t *testing.T) {
			e := webtest.New(t, webtest.Containers(fake.Running("btc")))
			e.Hold(op, "btc") // a service that takes its time; the kill ends the wait
			ctx := context.Background()
			if _, err := e.Manager.Do(ctx, "btc", op, "alice"); err != nil {
				t.Fatal(err)
			}
			e.WaitCall(string(op) + " btc")
			c, err := e.Manager.Do(ctx, "btc", lifecycle.Kill, "bob")
			if err != nil {
				t.Fatalf("kill during the %s: %v", op, err)
			}
			if c.State != op.Transitional() {
				t.Errorf("the kill's answer shows %s, want the %s's %s", c.State, op, op.Transitional())
			}
			e.WaitIdle()
			got := e.Container("btc")
			if got.State != op.Final() || got.Busy() || got.Error != "" {
				t.Errorf("after: %+v, want %s with no job", got, op.Final())
			}
			jobs := e.JobsOf("btc") // newest first
			if len(jobs) != 2 || jobs[0].Op != lifecycle.Kill || jobs[0].Outcome != lifecycle.JobSucceeded || jobs[0].Origin != "bob" {
				t.Fatalf("jobs %+v: want the kill by bob, then the %s", jobs, op)
			}
			if j := jobs[1]; j.Op != op || j.Outcome != lifecycle.JobForceStopped || !strings.Contains(j.Note, "force-stopped by bob after") {
				t.Errorf("the %s job %+v: want force-stopped by bob", op, j)
			}
			log := e.Incidents()
			for _, want := range []string{"KILL BEGIN: btc", "SIGKILL", fmt.Sprintf("during job %d", jobs[1].ID), "KILL OK: btc", op.Upper() + " FORCED: btc"} {
				if !strings.Contains(log, want) {
					t.Errorf("incident log lacks %q:\n%s", want, log)
				}
			}
		})
	}
}

func TestAForceStopOfARunningOrOutsideStoppingContainerIsItsOwnJob(t *testing.T) {
	stopping := fake.Running("shell")
	stopping.EngineState = "stopping" // podman stop -t 600 from a shell
	e := webtest.New(t, webtest.Containers(fake.Running("web"), stopping))
	if c := e.Container("shell"); c.State != lifecycle.Stopping || c.Busy() {
		t.Fatalf("an outside stop: %+v, want stopping with no job", c)
	}
	for _, name := range []string{"web", "shell"} {
		if _, err := e.Manager.Do(context.Background(), name, lifecycle.Kill, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	e.WaitIdle()
	for _, name := range []string{"web", "shell"} {
		if c := e.Container(name); c.State != lifecycle.Stopped || c.Busy() {
			t.Errorf("%s after the kill: %+v", name, c)
		}
	}
	if calls := strings.Join(e.Engine.OpCalls(), ","); !strings.Contains(calls, "kill web") || !strings.Contains(calls, "kill shell") {
		t.Errorf("engine calls %s", calls)
	}
}

func TestAStopTimeoutChosenForOneCallIsUsedAndRecorded(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web")))
	release := e.Hold(lifecycle.Stop, "web")
	n := 5
	c, run, err := e.Manager.BeginWith(context.Background(), "web", lifecycle.Stop, "alice", lifecycle.Options{Timeout: &n})
	if err != nil {
		t.Fatal(err)
	}
	run()
	if c.Job == nil || c.Job.StopTimeout != 5 {
		t.Errorf("the job carries stop timeout %+v, want 5", c.Job)
	}
	release()
	e.WaitIdle()
	if !strings.Contains(e.Incidents(), "stop timeout 5 s") {
		t.Errorf("incident log:\n%s", e.Incidents())
	}
}

// A connection that breaks during the call leaves the outcome unknown:
// not a failure, no revert; the row waits, then takes Podman's word.
func TestALostConnectionIsNotAFailure(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("slow")))
	e.Engine.Fail(lifecycle.Stop, "slow", fmt.Errorf("stop slow: %w at unix:///podman.sock: EOF", lifecycle.ErrLost))
	if _, err := e.Manager.Do(context.Background(), "slow", lifecycle.Stop, "alice"); err != nil {
		t.Fatal(err)
	}
	e.WaitIdle()
	c := e.Container("slow")
	if c.State != lifecycle.Stopping || c.Busy() || c.Error != "" || !strings.Contains(c.Waiting, "connection to Podman lost after") {
		t.Fatalf("after the lost call: %+v, want stopping, waiting, no failure", c)
	}
	if j := e.JobsOf("slow")[0]; j.Outcome != lifecycle.JobLost {
		t.Errorf("job %+v, want lost", j)
	}
	if log := e.Incidents(); !strings.Contains(log, "STOP LOST: slow") || strings.Contains(log, "STOP FAIL") {
		t.Errorf("incident log:\n%s", log)
	}
	// Podman did stop it, as the connection broke.
	o := fake.Exited("slow")
	e.Engine.Put(o)
	e.Scan()
	if c := e.Container("slow"); c.State != lifecycle.Stopped || c.Waiting != "" {
		t.Errorf("after the scan: %+v, want Podman's stopped", c)
	}
}

// A call that does not return by its deadline is given up: timed out, the
// row handed to the scan with why, and the late answer kept in history.
func TestTheWatchdogGivesUpACallPodmanDoesNotAnswer(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("hung")), webtest.Config(lifecycle.Config{OpGrace: 50 * time.Millisecond, StartTimeout: 50 * time.Millisecond}))
	release := e.Hold(lifecycle.Start, "hung")
	e.Engine.Put(fake.Exited("hung"))
	e.Scan()
	if _, err := e.Manager.Do(context.Background(), "hung", lifecycle.Start, "alice"); err != nil {
		t.Fatal(err)
	}
	e.WaitIdle() // the job ends at its deadline, the call still held
	c := e.Container("hung")
	if c.State != lifecycle.Starting || c.Busy() || !strings.Contains(c.Waiting, "Podman did not answer within") {
		t.Fatalf("after the deadline: %+v", c)
	}
	j := e.JobsOf("hung")[0]
	if j.Outcome != lifecycle.JobTimedOut {
		t.Errorf("job %+v, want timed-out", j)
	}
	release()
	if err := e.Manager.WaitAbandoned(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := e.JobsOf("hung")[0].Note; !strings.Contains(n, "Podman answered") {
		t.Errorf("the job's note %q, want the late answer", n)
	}
	if log := e.Incidents(); !strings.Contains(log, "START TIMEOUT: hung") || !strings.Contains(log, "START LATE: hung") {
		t.Errorf("incident log:\n%s", log)
	}
	e.Scan()
	if c := e.Container("hung"); c.State != lifecycle.Running || c.Waiting != "" {
		t.Errorf("after the scan: %+v, want running", c)
	}
}
