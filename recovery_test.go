package main

// A dashboard that dies while an operation runs: the next one marks the
// operation interrupted and takes the container's state from Podman.

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/podman/podmantest"
)

func TestRestartedDashboardMarksAStopItLostAsInterruptedAndTakesPodmansState(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "crashy", podmantest.Workload{StopDelay: 5 * time.Second, StopTimeout: 600, Start: true})
	data := t.TempDir()

	first := startApp(t, svc, data, 200*time.Millisecond)
	// Registered before the second app's cleanup, so it runs after it: the
	// first app's job, still waiting for Podman, ends before the test does
	// and fails to store its outcome, as a killed process would.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		if err := first.a.manager.Wait(ctx); err != nil {
			t.Errorf("the first dashboard's stop job did not end: %v", err)
			return
		}
		if log := first.log.String(); !strings.Contains(log, "operation outcome not stored") {
			t.Errorf("the first dashboard's job stored its outcome after the crash; its log:\n%s", log)
		}
	})
	if resp, body := first.post("crashy", "stop", true); resp.StatusCode != http.StatusOK || answeredState(t, body, "crashy") != "stopping" {
		t.Fatalf("POST stop: %s\n%s", resp.Status, body)
	}
	first.crash()

	second := startApp(t, svc, data, 200*time.Millisecond)
	c, ok := second.container("crashy")
	if !ok {
		t.Fatal("crashy is missing after the restart")
	}
	t.Logf("right after the restart: state %q, Podman's %q", c.State, c.PodmanState)
	if c.Job != nil {
		t.Errorf("the interrupted job is still on the row: %+v", c.Job)
	}
	if want := string(lifecycle.StateFromEngine(c.PodmanState)); c.State != want {
		t.Errorf("state %q, want %q, the dashboard's word for Podman's %q", c.State, want, c.PodmanState)
	}
	if !strings.Contains(c.Error, "interrupted") {
		t.Errorf("error %q does not say the stop was interrupted", c.Error)
	}
	if log := second.incidents(); !strings.Contains(log, "STOP INTERRUPTED: crashy") || countLines(log, "STOP BEGIN: crashy") != 1 {
		t.Errorf("incident log does not record the interrupted stop:\n%s", log)
	}

	// Podman finishes the stop on its own; the scan brings the outcome.
	c = second.waitContainer("crashy", "stopped as Podman says", isSettled("stopped", "exited"))
	if c.ExitCode != 0 {
		t.Errorf("exit code %d after the stop, want 0", c.ExitCode)
	}
}

func TestDashboardKilledMidStopRecoversTheOperationAtNextStart(t *testing.T) {
	svc := sharedPodman(t)
	bin := buildBinary(t)
	createWorkload(t, svc, "killed-mid-stop", podmantest.Workload{StopDelay: 4 * time.Second, StopTimeout: 600, Start: true})
	data := t.TempDir()
	args := []string{"--listen", "127.0.0.1:0", "--auth", "none", "--podman", svc.URI, "--data", data, "--scan-interval", "500ms"}

	first := startProc(t, bin, args...)
	waitUntil(t, "first scan", 30*time.Second, func() bool { _, ok := first.container("killed-mid-stop"); return ok })
	if code := first.post("killed-mid-stop", "stop"); code != http.StatusAccepted {
		t.Fatalf("stop answered %d, want 202", code)
	}
	// Kill it once Podman is really stopping the container, not before the
	// background job has sent its call.
	waitUntil(t, "podman stopping", 30*time.Second, func() bool { return podmanState(t, svc, "killed-mid-stop") == "stopping" })
	first.signal(syscall.SIGKILL)
	first.wait(10 * time.Second)

	second := startProc(t, bin, args...)
	c, ok := second.container("killed-mid-stop")
	if !ok {
		t.Fatal("container missing after restart")
	}
	if c.Job != nil {
		t.Fatalf("the interrupted stop is still shown as running: %+v", c)
	}
	if !strings.Contains(c.Error, "interrupted") {
		t.Fatalf("the row does not say the operation was interrupted: %q", c.Error)
	}
	// Podman finished the stop on its own; the scan follows it.
	var last apiContainerJSON
	waitUntil(t, "stopped after the restart", 30*time.Second, func() bool {
		last, _ = second.container("killed-mid-stop")
		if last.State == "stopped" && last.PodmanState == "exited" {
			return true
		}
		t.Logf("state %s, podman %s, podman inspect %s", last.State, last.PodmanState, podmanState(t, svc, "killed-mid-stop"))
		return false
	})
	b, err := os.ReadFile(filepath.Join(data, "lifecycle.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STOP BEGIN: killed-mid-stop", "STOP INTERRUPTED: killed-mid-stop"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("incident log lacks %q:\n%s", want, b)
		}
	}
	second.signal(syscall.SIGTERM)
	if code := second.wait(30 * time.Second); code != 0 {
		t.Fatalf("clean shutdown exited %d:\n%s", code, second.log())
	}
}
