package lifecycle_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

func TestMergeRules(t *testing.T) {
	running := lifecycle.Container{Name: "web", ID: "id-web", Image: "img", State: lifecycle.Running, EngineState: "running", Version: 3}
	busy := running
	busy.State, busy.JobID, busy.PrevState = lifecycle.Stopping, 7, lifecycle.Running
	failed := running
	failed.Error = "boom"
	obs := lifecycle.Observed{Name: "web", ID: "id-web", Image: "img", EngineState: "running"}
	exited := obs
	exited.EngineState = "exited"
	created := obs
	created.EngineState = "created"
	sick := obs
	sick.Health = lifecycle.Unhealthy

	tests := []struct {
		name     string
		stored   []lifecycle.Container
		observed []lifecycle.Observed
		want     []string // "kind name state@version"
	}{
		{"nothing changed writes nothing", []lifecycle.Container{running}, []lifecycle.Observed{obs}, nil},
		{"new container is inserted", nil, []lifecycle.Observed{obs}, []string{"insert web running@0"}},
		{"vanished container is deleted", []lifecycle.Container{running}, nil, []string{"delete web @3"}},
		{"state change is an update on the read version", []lifecycle.Container{running}, []lifecycle.Observed{exited}, []string{"update web stopped@3"}},
		{"created maps to stopped", nil, []lifecycle.Observed{created}, []string{"insert web stopped@0"}},
		{"a live job's row is left alone", []lifecycle.Container{busy}, []lifecycle.Observed{exited}, nil},
		{"a live job's row is not deleted", []lifecycle.Container{busy}, nil, nil},
		{"the last failure is kept", []lifecycle.Container{failed}, []lifecycle.Observed{exited}, []string{"update web stopped@3 error=boom"}},
		{"a duplicate name in the engine's list counts once", nil, []lifecycle.Observed{obs, obs}, []string{"insert web running@0"}},
		{"a new healthcheck verdict alone is an update", []lifecycle.Container{running}, []lifecycle.Observed{sick}, []string{"update web running@3 health=unhealthy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, w := range lifecycle.Merge(tt.stored, tt.observed) {
				s := w.Kind.String() + " " + w.Container.Name + " " + string(w.Container.State) + "@" + strconv.FormatInt(w.Version, 10)
				if w.Container.Error != "" {
					s += " error=" + w.Container.Error
				}
				if w.Container.Health != "" {
					s += " health=" + w.Container.Health
				}
				got = append(got, s)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("Merge = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScanFollowsChangesMadeOutside(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web"), fake.Exited("old")))
	e.ResetEvents()
	e.Engine.Put(fake.Running("new"))
	e.Engine.Remove("old")
	stopped := fake.Exited("web")
	stopped.ExitCode = 143
	e.Engine.Put(stopped)

	if res := e.Scan(); res.Inserted != 1 || res.Deleted != 1 || res.Updated != 1 {
		t.Fatalf("scan result %+v, want 1 inserted, 1 deleted, 1 updated", res)
	}
	if got := e.States("new"); strings.Join(got, ",") != "running" {
		t.Errorf("new container published as %v", got)
	}
	if got := e.States("old"); strings.Join(got, ",") != "removed" {
		t.Errorf("removed container published as %v", got)
	}
	if c := e.Container("web"); c.State != lifecycle.Stopped || c.ExitCode != 143 || c.EngineState != "exited" {
		t.Errorf("web after an outside stop: %+v", c)
	}

	// A second scan with nothing new writes and publishes nothing.
	before := e.Container("web").Version
	e.ResetEvents()
	if res, err := e.Manager.Scan(context.Background()); err != nil || res.Changed() {
		t.Fatalf("idle scan: %+v, %v; want no change", res, err)
	}
	if e.Container("web").Version != before || len(e.States("web")) != 0 {
		t.Fatal("idle scan wrote or published")
	}
}

func TestScanNeverOverwritesLiveJob(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("node")))
	release := e.Hold(lifecycle.Stop, "node")
	if _, err := e.Manager.Do(context.Background(), "node", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	// Podman still says running: the stop has not finished.
	for range 3 {
		e.Scan()
		if c := e.Container("node"); c.State != lifecycle.Stopping || !c.Busy() {
			t.Fatalf("scan overwrote the live job's state: %+v", c)
		}
	}
	release()
	e.WaitIdle()
	if c := e.Container("node"); c.State != lifecycle.Stopped {
		t.Fatalf("final state %q, want stopped", c.State)
	}
}

// The race of a scan against a job's final write: the scan lists "running",
// the stop job then writes "stopped", and the scan must not write its stale
// "running" afterwards.
func TestScanDoesNotWriteBackWhatItReadBeforeAJobsFinalWrite(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("node")))
	// Something else differs too, so the scan really wants to write.
	o := fake.Running("node")
	o.Image = "localhost/node:v2"
	e.Engine.Put(o)

	releaseList := e.Hold("list", "*")
	type result struct {
		res lifecycle.ScanResult
		err error
	}
	done := make(chan result)
	go func() {
		res, err := e.Manager.Scan(context.Background())
		done <- result{res, err}
	}()
	e.WaitCalls("list *", 2) // New's scan, then this one's

	if _, err := e.Manager.Do(context.Background(), "node", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	e.WaitIdle()
	if c := e.Container("node"); c.State != lifecycle.Stopped {
		t.Fatalf("job's final state %q, want stopped", c.State)
	}
	releaseList()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if c := e.Container("node"); c.State != lifecycle.Stopped {
		t.Fatalf("the scan wrote back its stale view: state %q, want stopped", c.State)
	}
	if r.res.Skipped != 1 || r.res.Changed() {
		t.Fatalf("scan result %+v, want its one write skipped", r.res)
	}
	// The next scan sees the truth.
	e.Scan()
	if c := e.Container("node"); c.State != lifecycle.Stopped || c.Image != "localhost/node:v2" {
		t.Fatalf("next scan: %+v", c)
	}
}

func TestHungEngineDelaysScanButNotOperations(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web"), fake.Running("db")),
		webtest.Config(lifecycle.Config{ScanTimeout: 100 * time.Millisecond}))
	e.Hold("list", "*")
	scanErr := make(chan error)
	go func() {
		_, err := e.Manager.Scan(context.Background())
		scanErr <- err
	}()
	e.WaitCalls("list *", 2) // New's scan, then this one's
	// While the scan waits on the engine, an operation still answers at once.
	if c, err := e.Manager.Do(context.Background(), "web", lifecycle.Stop, "test"); err != nil || c.State != lifecycle.Stopping {
		t.Fatalf("Do during a hung scan: %+v, %v", c, err)
	}
	err := <-scanErr
	if !errors.Is(err, lifecycle.ErrTimeout) || !strings.Contains(err.Error(), "100ms") {
		t.Fatalf("scan error %v, want ErrTimeout naming the limit", err)
	}
	e.WaitIdle()
}

func TestRecoverEndsJobsOfAnEarlierProcess(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("btc"), fake.Running("web")))
	// An earlier process began a stop and died before writing its outcome.
	beginInStore(t, e, "btc", time.Now().Add(-time.Minute))
	// Meanwhile Podman finished the stop on its own.
	e.Engine.Put(fake.Exited("btc"))

	jobs, err := e.Manager.Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Container != "btc" || jobs[0].Outcome != lifecycle.JobInterrupted {
		t.Fatalf("recovered %+v, want btc's stop interrupted", jobs)
	}
	c := e.Container("btc")
	if c.Busy() || c.State != lifecycle.Stopped {
		t.Fatalf("after recovery: %+v, want stopped as Podman says, no job", c)
	}
	if !strings.Contains(c.Error, "interrupted") {
		t.Fatalf("row does not tell the operator: %q", c.Error)
	}
	if j := e.JobsOf("btc"); j[0].Outcome != lifecycle.JobInterrupted {
		t.Fatalf("job outcome %q", j[0].Outcome)
	}
	if !strings.Contains(e.Incidents(), "STOP INTERRUPTED: btc — job 1 begun") {
		t.Fatalf("incident log:\n%s", e.Incidents())
	}
	// A second start-up has nothing left to recover.
	if jobs, _ := e.Manager.Recover(context.Background()); len(jobs) != 0 {
		t.Fatalf("recovered again: %+v", jobs)
	}
}

func TestScanEveryKeepsGoingAfterFailures(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web")))
	e.Engine.Down(lifecycle.ErrUnreachable)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kick := make(chan struct{})
	stopped := make(chan struct{})
	go func() { e.Manager.ScanEvery(ctx, time.Hour, kick); close(stopped) }()
	kick <- struct{}{}
	e.NextEvent(0, "the scan's failure", func(ev lifecycle.Event) bool { return ev.Health != nil && ev.Health.ScanErr != "" })
	e.Engine.Down(nil)
	e.Engine.Put(fake.Running("late"))
	kick <- struct{}{}
	e.NextEvent(0, "late inserted by the next scan", func(ev lifecycle.Event) bool { return ev.Container.Name == "late" })
	cancel()
	<-stopped
}

func TestScanHealthIsAnnouncedWhenItChangesOnly(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web")))
	e.ResetEvents()
	health := func() []string {
		var out []string
		for _, ev := range e.Events() {
			if ev.Health != nil {
				out = append(out, "err="+ev.Health.ScanErr)
			}
		}
		return out
	}
	e.Engine.Down(errors.New("podman unreachable at unix:///x.sock: connection refused"))
	for range 3 {
		e.Manager.Scan(context.Background())
	}
	if e.Manager.ScanError() == nil {
		t.Fatal("ScanError is nil while the engine is down")
	}
	e.Engine.Down(nil)
	for range 2 {
		e.Manager.Scan(context.Background())
	}
	got := strings.Join(health(), "|")
	want := "err=scan: podman unreachable at unix:///x.sock: connection refused|err="
	if got != want {
		t.Fatalf("health events %q, want %q (one when it broke, one when it recovered)", got, want)
	}
	if e.Manager.ScanError() != nil {
		t.Fatalf("ScanError after recovery: %v", e.Manager.ScanError())
	}
}

func TestDismissClearsTheFailureOnce(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web")))
	e.Engine.Fail(lifecycle.Stop, "web", errors.New("boom"))
	e.Manager.Do(context.Background(), "web", lifecycle.Stop, "test")
	e.WaitIdle()
	e.ResetEvents()
	c, err := e.Manager.Dismiss(context.Background(), "web")
	if err != nil || c.Error != "" {
		t.Fatalf("Dismiss: %+v, %v", c, err)
	}
	if _, err := e.Manager.Dismiss(context.Background(), "web"); err != nil {
		t.Fatalf("second Dismiss: %v", err)
	}
	if got := e.States("web"); len(got) != 1 {
		t.Fatalf("published %v, want one change for two dismisses", got)
	}
	if _, err := e.Manager.Dismiss(context.Background(), "ghost"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("Dismiss(ghost) = %v, want ErrNotFound", err)
	}
}
