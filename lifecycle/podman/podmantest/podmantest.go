// Package podmantest gives tests a private Podman (package podmansvc): one
// service per test (Start) or one per test binary (Shared, from TestMain),
// stopped by its PID when the test or the binary ends, and Must… helpers
// that fail the test with Podman's own message. A test needs only this
// import: the service's types are repeated here.
//
// Without podman or runc the tests skip on a developer's machine but fail
// under CI=true, where a silent skip would hide that they never ran.
package podmantest

import (
	"os"
	"strconv"
	"testing"

	"podboard/lifecycle/podman/podmansvc"
)

// WorkloadImage is the image BuildWorkloadImage tags.
const WorkloadImage = podmansvc.WorkloadImage

// Workload describes a container of the workload image; see podmansvc.
type Workload = podmansvc.Workload

// CommandError is a failed podman command; see podmansvc.
type CommandError = podmansvc.CommandError

// Service is a private Podman service with helpers for tests.
type Service struct {
	*podmansvc.Service
}

// Start launches a Service for one test and stops it, by PID, when the test
// ends, pass or fail; its directory is removed then.
func Start(tb testing.TB) *Service {
	tb.Helper()
	RequireTools(tb)
	// Not tb.TempDir: its name grows with the test name, and its removal
	// would run before Close could stop the service.
	dir, err := os.MkdirTemp("", "podmantest-")
	if err != nil {
		tb.Fatalf("podmantest: %v", err)
	}
	s, err := podmansvc.Launch(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		tb.Fatalf("%v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("podman service log tail (%s):\n%s", s.LogPath, s.LogTail())
		}
		if err := s.Close(); err != nil {
			tb.Errorf("%v", err)
		}
		if err := os.RemoveAll(dir); err != nil {
			tb.Errorf("podmantest: removing %s: %v", dir, err)
		}
	})
	return &Service{s}
}

// RequireTools skips tb when podman or runc is missing, or fails it under
// CI=true.
func RequireTools(tb testing.TB) {
	tb.Helper()
	if err := podmansvc.MissingTool(); err != nil {
		if onCI() {
			tb.Fatalf("%v (required when CI=true)", err)
		}
		tb.Skipf("%v; skipping", err)
	}
}

func onCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// MustPodman is Podman for tests: a failing command fails the test with
// Podman's own message.
func (s *Service) MustPodman(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := s.Podman(args...)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return out
}

// MustCreateWorkload is CreateWorkload for tests.
func (s *Service) MustCreateWorkload(tb testing.TB, name string, w Workload) {
	tb.Helper()
	if err := s.CreateWorkload(name, w); err != nil {
		tb.Fatalf("%v", err)
	}
}
