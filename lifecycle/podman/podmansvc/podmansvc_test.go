package podmansvc_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"podboard/lifecycle/podman/podmansvc"
	"podboard/lifecycle/podman/podmantest"
)

// TestWorkloadLifecycle checks that each Workload behaviour shows up in a
// real Podman the way the dashboard will see it.
func TestWorkloadLifecycle(t *testing.T) {
	t.Parallel()
	s := podmantest.Start(t)

	image, err := s.BuildWorkloadImage()
	if err != nil {
		t.Fatal(err)
	}
	if image != podmansvc.WorkloadImage {
		t.Fatalf("image = %q, want %q", image, podmansvc.WorkloadImage)
	}
	s.MustPodman(t, "image", "exists", image)

	names := []string{"slow", "stop-at-once", "ignore-term", "exit-by-itself", "broken"}
	t.Run("group", func(t *testing.T) {
		t.Run("slow stop", func(t *testing.T) {
			t.Parallel()
			const delay = 2 * time.Second
			s.MustCreateWorkload(t, "slow", podmansvc.Workload{StopDelay: delay, StopTimeout: 30, Start: true})
			if got := state(t, s, "slow"); got != "running" {
				t.Fatalf("state after run = %q, want running", got)
			}
			begin := time.Now()
			s.MustPodman(t, "stop", "slow")
			took := time.Since(begin)
			t.Logf("podman stop of a %s shutdown took %s", delay, took)
			if took < delay {
				t.Errorf("stop took %s, want at least the workload's %s shutdown", took, delay)
			}
			if took > delay+5*time.Second {
				t.Errorf("stop took %s, far more than the workload's %s shutdown", took, delay)
			}
			if got := s.MustPodman(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "slow"); got != "exited 0" {
				t.Errorf("after stop: %q, want \"exited 0\"", got)
			}
			logs := s.MustPodman(t, "logs", "slow")
			if !strings.Contains(logs, "workload started") || !strings.Contains(logs, "workload got terminated") {
				t.Errorf("logs do not show start and SIGTERM:\n%s", logs)
			}
		})

		t.Run("stop at once after start", func(t *testing.T) {
			t.Parallel()
			// A SIGTERM that came before the program could catch it would
			// be dropped, and the stop would end in SIGKILL after 30 s. The
			// API, as the dashboard calls it, sends it within milliseconds.
			s.MustCreateWorkload(t, "stop-at-once", podmansvc.Workload{StopTimeout: 30, Start: true})
			apiStop(t, s, "stop-at-once")
			if got := s.MustPodman(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "stop-at-once"); got != "exited 0" {
				t.Errorf("after a stop right after the start: %q, want \"exited 0\" (137 is SIGKILL)", got)
			}
		})

		t.Run("ignore term", func(t *testing.T) {
			t.Parallel()
			s.MustCreateWorkload(t, "ignore-term", podmansvc.Workload{IgnoreTerm: true, StopTimeout: 1, Start: true})
			begin := time.Now()
			out := s.MustPodman(t, "stop", "ignore-term")
			took := time.Since(begin)
			t.Logf("podman stop with --stop-timeout 1 took %s; output: %q", took, out)
			if took < time.Second || took > 8*time.Second {
				t.Errorf("stop took %s, want about the 1s stop timeout", took)
			}
			if got := s.MustPodman(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "ignore-term"); got != "exited 137" {
				t.Errorf("after stop: %q, want \"exited 137\" (SIGKILL)", got)
			}
		})

		t.Run("exit by itself", func(t *testing.T) {
			t.Parallel()
			s.MustCreateWorkload(t, "exit-by-itself", podmansvc.Workload{ExitAfter: 500 * time.Millisecond, ExitCode: 3, Start: true})
			if got := s.MustPodman(t, "wait", "exit-by-itself"); got != "3" {
				t.Errorf("podman wait = %q, want 3", got)
			}
			// podman wait's "stopped" can come before Podman's exited.
			waitState(t, s, "exit-by-itself", "exited")
		})

		t.Run("broken entrypoint", func(t *testing.T) {
			t.Parallel()
			s.MustCreateWorkload(t, "broken", podmansvc.Workload{BrokenEntrypoint: true})
			if got := state(t, s, "broken"); got != "created" {
				t.Errorf("state after create = %q, want created", got)
			}
			out, err := s.Podman("start", "broken")
			var cerr *podmansvc.CommandError
			if !errors.As(err, &cerr) {
				t.Fatalf("start of a missing entrypoint: out %q, err %v; want a *CommandError", out, err)
			}
			t.Logf("start error (exit %d): %s", cerr.ExitCode, cerr.Stderr)
			if !strings.Contains(cerr.Stderr, "not found") {
				t.Errorf("start error does not say \"not found\": %v", err)
			}
			t.Logf("state after failed start: %s",
				s.MustPodman(t, "inspect", "--format", "{{.State.Status}} exit={{.State.ExitCode}} error={{.State.Error}}", "broken"))
		})

		t.Run("missing container", func(t *testing.T) {
			t.Parallel()
			for _, args := range [][]string{
				{"inspect", "--format", "{{.State.Status}}", "no-such-container"},
				{"stop", "no-such-container"},
				{"start", "no-such-container"},
			} {
				out, err := s.Podman(args...)
				var cerr *podmansvc.CommandError
				if !errors.As(err, &cerr) {
					t.Errorf("podman %v: out %q, err %v; want a *CommandError", args, out, err)
					continue
				}
				t.Logf("podman %s (exit %d): %s", args[0], cerr.ExitCode, cerr.Stderr)
				if !strings.Contains(cerr.Stderr, "no such") {
					t.Errorf("podman %v error does not say \"no such\": %v", args, err)
				}
			}
		})
	})

	ps := s.MustPodman(t, "ps", "--all")
	t.Logf("podman ps --all:\n%s", ps)
	for _, name := range names {
		if !strings.Contains(ps, name) {
			t.Errorf("podman ps --all does not list %s", name)
		}
	}
}

// TestServicesAreIsolated runs two services at once, as concurrently tested
// packages do: same container names, separate stores, separate image builds.
func TestServicesAreIsolated(t *testing.T) {
	t.Parallel()
	services := make([]*podmantest.Service, 2)
	for i := range services {
		services[i] = podmantest.Start(t)
	}
	if services[0].Socket == services[1].Socket {
		t.Fatalf("both services use socket %s", services[0].Socket)
	}

	var wg sync.WaitGroup
	errs := make([]error, len(services))
	for i, s := range services {
		wg.Go(func() {
			errs[i] = s.CreateWorkload("same-name", podmansvc.Workload{Start: true})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range services {
		ids := strings.Fields(s.MustPodman(t, "ps", "--all", "--quiet"))
		if len(ids) != 1 {
			t.Errorf("service in %s sees %d containers, want only its own: %v", s.Dir, len(ids), ids)
		}
	}
}

// TestCloseLeavesNothing checks the promise tests rely on: after Close no
// process or mount of the service's store is left, even for a container
// that ignores SIGTERM. It also covers a Dir too long to hold the runroot
// (Podman's 50-character limit) and the socket.
func TestCloseLeavesNothing(t *testing.T) {
	t.Parallel()
	podmantest.RequireTools(t)
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc")
	}
	base, err := os.MkdirTemp("", "podmantest-long-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, strings.Repeat("d", 60), strings.Repeat("e", 60))

	long, err := podmansvc.Launch(dir)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			long.Close()
		}
	})
	if strings.HasPrefix(long.Socket, dir) || strings.HasPrefix(long.RunRoot(), dir) {
		t.Errorf("socket %s or runroot %s is inside the over-long dir", long.Socket, long.RunRoot())
	}
	if err := long.CreateWorkload("stubborn", podmansvc.Workload{IgnoreTerm: true, StopTimeout: 30, Start: true}); err != nil {
		t.Fatal(err)
	}
	if got := processesMentioning(t, dir); len(got) < 2 {
		t.Fatalf("expected the service and a conmon to mention %s, found %v", dir, got)
	}

	pid := long.PID()
	begin := time.Now()
	err = long.Close()
	closed = true
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("Close took %s", time.Since(begin))
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("service pid %d still exists after Close (kill 0: %v)", pid, err)
	}
	if got := processesMentioning(t, dir); len(got) != 0 {
		t.Errorf("processes left after Close: %v", got)
	}
	if _, err := os.Stat(filepath.Dir(long.Socket)); !os.IsNotExist(err) {
		t.Errorf("short runtime directory %s left after Close (stat: %v)", filepath.Dir(long.Socket), err)
	}
	if mounts, err := podmansvc.MountPointsUnder([]string{dir}); err != nil || len(mounts) != 0 {
		t.Errorf("mounts left under %s after Close: %v (err %v)", dir, mounts, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Errorf("Dir cannot be removed after Close: %v", err)
	}
	if err := long.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func state(t *testing.T, s *podmantest.Service, name string) string {
	t.Helper()
	return s.MustPodman(t, "inspect", "--format", "{{.State.Status}}", name)
}

// apiStop stops name through the service's API, as the dashboard does,
// without the CLI's start-up time.
func apiStop(t *testing.T, s *podmantest.Service, name string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", s.Socket)
		},
	}}
	defer client.CloseIdleConnections()
	resp, err := client.Post("http://podman/v4.0.0/libpod/containers/"+name+"/stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("stop %s through the API: %s: %s", name, resp.Status, body)
	}
}

// waitState waits until Podman says name is in want.
func waitState(t *testing.T, s *podmantest.Service, name, want string) {
	t.Helper()
	const limit = 10 * time.Second
	var got string
	for end := time.Now().Add(limit); ; time.Sleep(20 * time.Millisecond) {
		if got = state(t, s, name); got == want {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("state of %s is %q after %s, want %q", name, got, limit, want)
		}
	}
}

// processesMentioning lists live processes whose command line contains
// needle; zombies have an empty command line and are not counted.
func processesMentioning(t *testing.T, needle string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // gone meanwhile
		}
		cmdline := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmdline, needle) {
			if len(cmdline) > 120 {
				cmdline = cmdline[:120] + "..."
			}
			found = append(found, e.Name()+": "+cmdline)
		}
	}
	return found
}
