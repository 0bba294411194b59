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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, w := range lifecycle.Merge(tt.stored, tt.observed) {
				s := w.Kind.String() + " " + w.Container.Name + " " + string(w.Container.State) + "@" + strconv.FormatInt(w.Version, 10)
				if w.Container.Error != "" {
					s += " error=" + w.Container.Error
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
	h := newHarness(t, fake.Running("web"), fake.Exited("old"))
	h.engine.Put(fake.Running("new"))
	h.engine.Remove("old")
	stopped := fake.Exited("web")
	stopped.ExitCode = 143
	h.engine.Put(stopped)

	res, err := h.m.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Inserted != 1 || res.Deleted != 1 || res.Updated != 1 {
		t.Fatalf("scan result %+v, want 1 inserted, 1 deleted, 1 updated", res)
	}
	if got := h.states("new"); strings.Join(got, ",") != "running" {
		t.Errorf("new container published as %v", got)
	}
	if got := h.states("old"); strings.Join(got, ",") != "removed" {
		t.Errorf("removed container published as %v", got)
	}
	if c := h.container("web"); c.State != lifecycle.Stopped || c.ExitCode != 143 || c.EngineState != "exited" {
		t.Errorf("web after an outside stop: %+v", c)
	}

	// A second scan with nothing new writes and publishes nothing.
	before := h.container("web").Version
	h.reset()
	if res, err := h.m.Scan(context.Background()); err != nil || res.Changed() {
		t.Fatalf("idle scan: %+v, %v; want no change", res, err)
	}
	if h.container("web").Version != before || len(h.states("web")) != 0 {
		t.Fatal("idle scan wrote or published")
	}
}

func TestScanNeverOverwritesLiveJob(t *testing.T) {
	h := newHarness(t, fake.Running("node"))
	release := h.engine.Hold(lifecycle.Stop, "node")
	if _, err := h.m.Do(context.Background(), "node", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	// Podman still says running: the stop has not finished.
	for range 3 {
		if _, err := h.m.Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		if c := h.container("node"); c.State != lifecycle.Stopping || !c.Busy() {
			t.Fatalf("scan overwrote the live job's state: %+v", c)
		}
	}
	release()
	h.waitIdle()
	if c := h.container("node"); c.State != lifecycle.Stopped {
		t.Fatalf("final state %q, want stopped", c.State)
	}
}

// The race of a scan against a job's final write: the scan lists "running",
// the stop job then writes "stopped", and the scan must not write its stale
// "running" afterwards.
func TestScanDoesNotWriteBackWhatItReadBeforeAJobsFinalWrite(t *testing.T) {
	h := newHarness(t, fake.Running("node"))
	// Something else differs too, so the scan really wants to write.
	o := fake.Running("node")
	o.Image = "localhost/node:v2"
	h.engine.Put(o)

	releaseList := h.engine.HoldList()
	type result struct {
		res lifecycle.ScanResult
		err error
	}
	done := make(chan result)
	go func() {
		res, err := h.m.Scan(context.Background())
		done <- result{res, err}
	}()
	waitForListCalls(t, h, 2)

	if _, err := h.m.Do(context.Background(), "node", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	h.waitIdle()
	if c := h.container("node"); c.State != lifecycle.Stopped {
		t.Fatalf("job's final state %q, want stopped", c.State)
	}
	releaseList()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if c := h.container("node"); c.State != lifecycle.Stopped {
		t.Fatalf("the scan wrote back its stale view: state %q, want stopped", c.State)
	}
	if r.res.Skipped != 1 || r.res.Changed() {
		t.Fatalf("scan result %+v, want its one write skipped", r.res)
	}
	// The next scan sees the truth.
	if _, err := h.m.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := h.container("node"); c.State != lifecycle.Stopped || c.Image != "localhost/node:v2" {
		t.Fatalf("next scan: %+v", c)
	}
}

func TestHungEngineDelaysScanButNotOperations(t *testing.T) {
	h := newHarnessWith(t, lifecycle.Config{ScanTimeout: 100 * time.Millisecond}, fake.Running("web"), fake.Running("db"))
	release := h.engine.HoldList()
	defer release()
	scanErr := make(chan error)
	go func() {
		_, err := h.m.Scan(context.Background())
		scanErr <- err
	}()
	waitForListCalls(t, h, 2)
	// While the scan waits on the engine, an operation still answers at once.
	if c, err := h.m.Do(context.Background(), "web", lifecycle.Stop, "test"); err != nil || c.State != lifecycle.Stopping {
		t.Fatalf("Do during a hung scan: %+v, %v", c, err)
	}
	err := <-scanErr
	if !errors.Is(err, lifecycle.ErrTimeout) || !strings.Contains(err.Error(), "100ms") {
		t.Fatalf("scan error %v, want ErrTimeout naming the limit", err)
	}
	h.waitIdle()
}

func TestRecoverEndsJobsOfAnEarlierProcess(t *testing.T) {
	h := newHarness(t, fake.Running("btc"), fake.Running("web"))
	// An earlier process began a stop and died before writing its outcome.
	beginInStore(t, h, "btc", time.Now().Add(-time.Minute))
	// Meanwhile Podman finished the stop on its own.
	h.engine.Put(fake.Exited("btc"))

	jobs, err := h.m.Recover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Container != "btc" || jobs[0].Outcome != lifecycle.JobInterrupted {
		t.Fatalf("recovered %+v, want btc's stop interrupted", jobs)
	}
	c := h.container("btc")
	if c.Busy() || c.State != lifecycle.Stopped {
		t.Fatalf("after recovery: %+v, want stopped as Podman says, no job", c)
	}
	if !strings.Contains(c.Error, "interrupted") {
		t.Fatalf("row does not tell the operator: %q", c.Error)
	}
	if j := h.jobs("btc"); j[0].Outcome != lifecycle.JobInterrupted {
		t.Fatalf("job outcome %q", j[0].Outcome)
	}
	if !strings.Contains(h.incidents(), "STOP INTERRUPTED: btc — job 1 begun") {
		t.Fatalf("incident log:\n%s", h.incidents())
	}
	// A second start-up has nothing left to recover.
	if jobs, _ := h.m.Recover(context.Background()); len(jobs) != 0 {
		t.Fatalf("recovered again: %+v", jobs)
	}
}

func TestScanEveryKeepsGoingAfterFailures(t *testing.T) {
	h := newHarness(t, fake.Running("web"))
	h.engine.Down(lifecycle.ErrUnreachable)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kick := make(chan struct{})
	stopped := make(chan struct{})
	go func() { h.m.ScanEvery(ctx, time.Hour, kick); close(stopped) }()
	kick <- struct{}{}
	h.engine.Down(nil)
	h.engine.Put(fake.Running("late"))
	kick <- struct{}{}
	waitFor(t, func() bool { return len(h.states("late")) > 0 })
	cancel()
	<-stopped
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// waitForListCalls waits until the engine has been asked to list n times
// (the harness's first scan is one).
func waitForListCalls(t *testing.T, h *harness, n int) {
	t.Helper()
	waitFor(t, func() bool {
		count := 0
		for _, c := range h.engine.Calls() {
			if c == "list *" {
				count++
			}
		}
		return count >= n
	})
}

func TestScanHealthIsAnnouncedWhenItChangesOnly(t *testing.T) {
	h := newHarness(t, fake.Running("web"))
	health := func() []string {
		h.mu.Lock()
		defer h.mu.Unlock()
		var out []string
		for _, e := range h.events {
			if e.Health != nil {
				out = append(out, "err="+e.Health.ScanErr)
			}
		}
		return out
	}
	h.engine.Down(errors.New("podman unreachable at unix:///x.sock: connection refused"))
	for range 3 {
		h.m.Scan(context.Background())
	}
	if h.m.ScanError() == nil {
		t.Fatal("ScanError is nil while the engine is down")
	}
	h.engine.Down(nil)
	for range 2 {
		h.m.Scan(context.Background())
	}
	got := strings.Join(health(), "|")
	want := "err=scan: podman unreachable at unix:///x.sock: connection refused|err="
	if got != want {
		t.Fatalf("health events %q, want %q (one when it broke, one when it recovered)", got, want)
	}
	if h.m.ScanError() != nil {
		t.Fatalf("ScanError after recovery: %v", h.m.ScanError())
	}
}

func TestDismissClearsTheFailureOnce(t *testing.T) {
	h := newHarness(t, fake.Running("web"))
	h.engine.Fail(lifecycle.Stop, "web", errors.New("boom"))
	h.m.Do(context.Background(), "web", lifecycle.Stop, "test")
	h.waitIdle()
	h.reset()
	c, err := h.m.Dismiss(context.Background(), "web")
	if err != nil || c.Error != "" {
		t.Fatalf("Dismiss: %+v, %v", c, err)
	}
	if _, err := h.m.Dismiss(context.Background(), "web"); err != nil {
		t.Fatalf("second Dismiss: %v", err)
	}
	if got := h.states("web"); len(got) != 1 {
		t.Fatalf("published %v, want one change for two dismisses", got)
	}
	if _, err := h.m.Dismiss(context.Background(), "ghost"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("Dismiss(ghost) = %v, want ErrNotFound", err)
	}
}
