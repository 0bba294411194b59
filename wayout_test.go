package main

// The operator's way out on the real Podman: a force stop during a stop
// that would take ten minutes, and of a stop begun from a shell.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/podman/podmantest"
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
	// Generous: without the kill the stop would last 600 s.
	if took > 20*time.Second {
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
