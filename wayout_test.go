package main

// The operator's way out on the real Podman: a force stop during a stop
// that would take ten minutes, and of a stop begun from a shell.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/podman/podmantest"
	"podboard/web/webtest"
)

func TestForceStopEndsAStopThatWouldTakeTenMinutes(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "deaf", podmantest.Workload{IgnoreTerm: true, StopTimeout: 600, Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("deaf", "running")

	if resp, body := ta.do("deaf", "stop", jsonRequest); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("stop: %d %s", resp.StatusCode, body)
	}
	waitUntil(t, "Podman stopping deaf", deadline, func() bool { return podmanState(t, svc, "deaf") == "stopping" })
	killed := time.Now()
	if resp, body := ta.do("deaf", "kill", jsonRequest); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("kill: %d %s", resp.StatusCode, body)
	}
	ta.waitContainer("deaf", "stopped, killed", func(c apiContainerJSON, ok bool) bool {
		return isSettled("stopped", "exited")(c, ok) && c.ExitCode == 137
	})
	took := time.Since(killed)
	// The bound; it takes about 150 ms here, and without the kill
	// the stop would last 600 s.
	if took > 2*time.Second {
		t.Errorf("the force stop took %s", took)
	}
	t.Logf("force stop to stopped: %s", took.Round(time.Millisecond))
	ctx := context.Background()
	if err := ta.a.manager.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	jobs, err := ta.a.manager.Jobs(ctx, "deaf", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[0].Op != lifecycle.Kill || jobs[0].Outcome != lifecycle.JobSucceeded ||
		jobs[1].Op != lifecycle.Stop || jobs[1].Outcome != lifecycle.JobForceStopped || !strings.Contains(jobs[1].Note, "force-stopped by token:") {
		t.Errorf("history %+v: want the kill, and the stop force-stopped by the token", jobs)
	}
	ta.waitIncident("KILL BEGIN: deaf", "KILL OK: deaf", "STOP FORCED: deaf")
}

func TestForceStopEndsAStopBegunFromAShell(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "shelled", podmantest.Workload{IgnoreTerm: true, StopTimeout: 600, Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("shelled", "running")

	// podman stop -t 600 from a shell: it returns when the container dies.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shell := svc.Command(ctx, "stop", "-t", "600", "shelled")
	if err := shell.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}) // closed when the shell's podman stop has returned
	go func() { _ = shell.Wait(); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(deadline):
			t.Errorf("podman stop still running after its context ended")
		}
	})

	c := ta.waitContainer("shelled", "stopping, with no job of the dashboard", func(c apiContainerJSON, ok bool) bool {
		return ok && c.State == "stopping" && c.Job == nil
	})
	if c.PodmanState != "stopping" {
		t.Errorf("podman state %q", c.PodmanState)
	}
	if resp, body := ta.post("shelled", "kill", true); resp.StatusCode != http.StatusOK || !strings.Contains(body, "stopping") {
		t.Fatalf("kill: %d %s", resp.StatusCode, body)
	}
	ta.waitSettled("shelled", "stopped")
	select {
	case <-done:
	case <-time.After(deadline):
		t.Errorf("the shell's podman stop did not return after the kill")
	}
}

func jsonRequest(r *http.Request) { r.Header.Set("Accept", "application/json") }

// webSite is the dashboard of ta as the webtest helpers read it.
func (ta *testApp) webSite() webtest.Site {
	return webtest.Site{TB: ta.t, URL: ta.srv.URL, Client: ta.client}
}

// privateApp runs a dashboard on a Podman service of this test alone, for
// the tests that freeze or kill the service, with flags added.
func privateApp(t *testing.T, svc *podmantest.Service, flags ...string) *testApp {
	t.Helper()
	return serveApp(t, connectPodman(t, svc), testConfig(t, t.TempDir(), svc.URI, 200*time.Millisecond, flags...), &lockedBuffer{})
}

// stopMidway begins a stop of name and returns once Podman is stopping
// it: the call is in Podman's hands.
func stopMidway(t *testing.T, ta *testApp, svc *podmantest.Service, name string) {
	t.Helper()
	if resp, body := ta.do(name, "stop", jsonRequest); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("stop: %d %s", resp.StatusCode, body)
	}
	waitUntil(t, "Podman stopping "+name, deadline, func() bool { return podmanState(t, svc, name) == "stopping" })
}

func TestAFrozenPodmanIsGivenUpAtTheDeadlineAndTheRowConvergesOnceItAnswers(t *testing.T) {
	svc := podmantest.Start(t)
	// Its stop takes 3 s; the deadline is its stop timeout (5 s) and the
	// grace (1 s).
	svc.MustCreateWorkload(t, "frozen", podmantest.Workload{StopDelay: 3 * time.Second, StopTimeout: 5, Start: true})
	ta := privateApp(t, svc, "--op-grace", "1s")
	ta.waitSettled("frozen", "running")
	stopMidway(t, ta, svc, "frozen")
	if err := svc.Freeze(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Thaw() }) // whatever happens below

	ta.waitContainer("frozen", "given up, still stopping", func(c apiContainerJSON, ok bool) bool {
		return ok && c.State == "stopping" && c.Job == nil
	})
	row := ta.webSite().Get("/").Doc().Row("frozen")
	if w := webtest.Text(row.TestID("waiting")); !strings.Contains(w, "Podman did not answer within 6s") {
		t.Errorf("the row says %q, want that Podman did not answer within 6s", w)
	}
	if kill, ok := row.Button("kill"); !ok || kill.Disabled {
		t.Errorf("no force stop offered while Podman hangs:\n%s", row.HTML())
	}
	ta.waitIncident("STOP TIMEOUT: frozen")

	// An action on a container the dashboard has not seen needs Podman,
	// which does not answer: the answer says so, at once, and so does a
	// bulk action on many such containers.
	began := time.Now()
	resp, body := ta.do("unseen", "start", jsonRequest)
	took := time.Since(began)
	if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(body, "Podman did not answer") {
		t.Errorf("an action on an unseen container while Podman hangs: %d %s", resp.StatusCode, body)
	}
	form := url.Values{"op": {"start"}}
	for i := range 40 {
		form.Add("name", fmt.Sprintf("unseen-%d", i))
	}
	began = time.Now()
	bulk := ta.webSite().PostForm("/bulk", webtest.JSON, form)
	bulkTook := time.Since(began)
	if bulk.Status != http.StatusGatewayTimeout || strings.Count(bulk.Body, "Podman did not answer") != 40 {
		t.Errorf("a bulk action on 40 unseen containers while Podman hangs: %d %s", bulk.Status, bulk.Body)
	}
	t.Logf("answers while Podman hangs: one action %s, a bulk action on 40 unseen containers %s", took.Round(time.Millisecond), bulkTook.Round(time.Millisecond))
	// Generous: they took 5.6 s (one) and would take 36 s (40 in turn)
	// when each waited for Podman in its turn.
	if took > 3*time.Second || bulkTook > 3*time.Second {
		t.Errorf("answers while Podman hangs took %s and %s", took, bulkTook)
	}

	if err := svc.Thaw(); err != nil {
		t.Fatal(err)
	}
	ta.waitSettled("frozen", "stopped")
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := ta.a.manager.WaitAbandoned(ctx); err != nil {
		t.Fatal(err)
	}
	ta.waitIncident("STOP LATE: frozen")
	jobs, err := ta.a.manager.Jobs(ctx, "frozen", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Outcome != lifecycle.JobTimedOut || jobs[0].Note == "" {
		t.Errorf("history %+v: want the stop timed out, with the late answer noted", jobs)
	}
}

// The service dies during a stop of a service that ignores SIGTERM: the
// stop's outcome is unknown; once Podman is back the row takes its word,
// "stopping", since no process waits to kill the container at the end of
// its stop timeout any more (podman#11274): a stop stuck inside Podman,
// which the row's Force stop ends.
func TestAPodmanKilledMidStopIsAnUnknownOutcomeAndTheRowTakesPodmansWord(t *testing.T) {
	svc := podmantest.Start(t)
	svc.MustCreateWorkload(t, "orphan", podmantest.Workload{IgnoreTerm: true, StopTimeout: 600, Start: true})
	ta := privateApp(t, svc)
	ta.waitSettled("orphan", "running")
	stopMidway(t, ta, svc, "orphan")
	if err := svc.Kill(); err != nil {
		t.Fatal(err)
	}
	ta.waitContainer("orphan", "lost, still stopping", func(c apiContainerJSON, ok bool) bool {
		return ok && c.State == "stopping" && c.Job == nil
	})
	row := ta.webSite().Get("/").Doc().Row("orphan")
	if w := webtest.Text(row.TestID("waiting")); !strings.Contains(w, "connection to Podman lost") || !strings.Contains(w, "waiting for Podman") {
		t.Errorf("the row says %q, want the lost connection and that it waits for Podman", w)
	}
	if row.HasError() {
		t.Errorf("an unknown outcome shown as a failure:\n%s", row.HTML())
	}
	ta.waitIncident("STOP LOST: orphan")

	if err := svc.Restart(); err != nil {
		t.Fatal(err)
	}
	if truth := podmanState(t, svc, "orphan"); truth != "stopping" {
		t.Fatalf("Podman says %s after its restart, want stopping", truth)
	}
	ta.waitContainer("orphan", "Podman's stopping, not waiting", func(c apiContainerJSON, ok bool) bool {
		return ok && c.State == "stopping" && c.PodmanState == "stopping" && c.Job == nil
	})
	row = ta.webSite().Get("/").Doc().Row("orphan")
	if row.Label() != "Stopping… (outside podboard)" || row.TestID("waiting").Length() != 0 {
		t.Errorf("after Podman's restart the row is not Podman's stuck stop:\n%s", row.HTML())
	}
	if resp, body := ta.do("orphan", "kill", jsonRequest); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("force stop: %d %s", resp.StatusCode, body)
	}
	ta.waitSettled("orphan", "stopped")
	ctx := context.Background()
	if err := ta.a.manager.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	jobs, err := ta.a.manager.Jobs(ctx, "orphan", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 || jobs[1].Op != lifecycle.Stop || jobs[1].Outcome != lifecycle.JobLost ||
		jobs[0].Op != lifecycle.Kill || jobs[0].Outcome != lifecycle.JobSucceeded {
		t.Errorf("history %+v: want the stop lost, then the kill", jobs)
	}
}
