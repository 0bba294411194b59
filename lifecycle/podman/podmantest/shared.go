package podmantest

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"podboard/lifecycle/podman/podmansvc"
)

// Shared is one private service for every test of a package: starting
// Podman and building the image once per test binary keeps the suites fast.
// Tests using it choose container names of their own and remove their
// containers when they end.
type Shared struct {
	svc  *Service
	skip string // why the tests cannot run here
	err  error  // why the service did not start
}

// RunShared starts the shared service with the workload image built, runs
// the tests and stops the service by its PID. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(podmantest.RunShared(m, &shared)) }
//
// Without podman or runc the tests that use it skip, except under CI=true
// where a silent skip would hide that they never ran.
func RunShared(m *testing.M, s *Shared) int {
	stop, err := s.start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func (s *Shared) start() (stop func() error, err error) {
	noop := func() error { return nil }
	if err := podmansvc.MissingTool(); err != nil {
		if onCI() {
			return nil, fmt.Errorf("%v (required when CI=true)", err)
		}
		s.skip = err.Error()
		return noop, nil
	}
	dir, err := os.MkdirTemp("", "podmantest-")
	if err != nil {
		return nil, err
	}
	svc, err := podmansvc.Launch(dir)
	if err != nil {
		os.RemoveAll(dir)
		s.err = err
		return noop, nil
	}
	stop = func() error { return errors.Join(svc.Close(), os.RemoveAll(dir)) }
	if _, err := svc.BuildWorkloadImage(); err != nil {
		s.err = err
		return stop, nil
	}
	s.svc = &Service{svc}
	return stop, nil
}

// Service returns the shared service, skipping or failing tb when it could
// not start.
func (s *Shared) Service(tb testing.TB) *Service {
	tb.Helper()
	if s.skip != "" {
		tb.Skip(s.skip)
	}
	if s.err != nil {
		tb.Fatal(s.err)
	}
	return s.svc
}
