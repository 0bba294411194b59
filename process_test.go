package main

// The real podboard binary as a separate process, as an operator runs it,
// so that signals, exit codes and messages are the real ones.

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"podboard/lifecycle/podman/podmantest"
)

func TestSIGTERMLetsARunningStopFinishAndRecordsIt(t *testing.T) {
	svc := sharedPodman(t)
	bin := buildBinary(t)
	createWorkload(t, svc, "stop-during-shutdown", podmantest.Workload{StopDelay: 3 * time.Second, StopTimeout: 600, Start: true})
	data := t.TempDir()
	p := startProc(t, bin, "--listen", "127.0.0.1:0", "--auth", "none", "--podman", svc.URI, "--data", data)
	waitUntil(t, "first scan", 30*time.Second, func() bool { _, ok := p.container("stop-during-shutdown"); return ok })
	if code := p.post("stop-during-shutdown", "stop"); code != http.StatusAccepted {
		t.Fatalf("stop answered %d, want 202", code)
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", code, p.log())
	}
	if s := podmanState(t, svc, "stop-during-shutdown"); s != "exited" {
		t.Fatalf("podman state %q after shutdown, want exited", s)
	}
	b, _ := os.ReadFile(filepath.Join(data, "lifecycle.log"))
	if !strings.Contains(string(b), "STOP OK: stop-during-shutdown") {
		t.Fatalf("the stop's outcome was not recorded before exit:\n%s\nlog:\n%s", b, p.log())
	}
	if !strings.Contains(p.log(), "waiting for running operations") {
		t.Errorf("shutdown did not say it waits for the stop:\n%s", p.log())
	}
}

func TestUnreachablePodmanExitsNonZeroWithOneClearLine(t *testing.T) {
	bin := buildBinary(t)
	sock := filepath.Join(t.TempDir(), "none.sock")
	cmd := exec.Command(bin, "--podman", "unix://"+sock, "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("exit: %v, want exit code 1\n%s", err, out)
	}
	first := strings.SplitN(string(out), "\n", 2)[0]
	want := fmt.Sprintf("podboard: podman unreachable at unix://%s: no such file or directory", sock)
	if first != want {
		t.Fatalf("first line %q, want %q", first, want)
	}
	if !strings.Contains(string(out), "podman system service") {
		t.Errorf("no hint how to start Podman's API service:\n%s", out)
	}
	if strings.Contains(string(out), "goroutine") || strings.Contains(string(out), "panic") {
		t.Errorf("stack trace in the output:\n%s", out)
	}
}

func TestSecondDashboardOnTheSameDataDirectoryRefusesToStart(t *testing.T) {
	svc := sharedPodman(t)
	bin := buildBinary(t)
	data := t.TempDir()
	first := startProc(t, bin, "--listen", "127.0.0.1:0", "--auth", "none", "--podman", svc.URI, "--data", data)
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--auth", "none", "--podman", svc.URI, "--data", data)
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("second dashboard: %v, want exit code 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "another podboard is already using the data directory "+data) {
		t.Fatalf("second dashboard's message:\n%s", out)
	}
	first.signal(syscall.SIGTERM)
	if code := first.wait(30 * time.Second); code != 0 {
		t.Fatalf("first dashboard exited %d", code)
	}
}
