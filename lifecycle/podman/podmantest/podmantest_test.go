package podmantest

import (
	"os"
	"syscall"
	"testing"
)

// TestStartStopsTheServiceAndRemovesItsDirectoryWhenTheTestEnds checks the
// promise every test relies on: nothing of a per-test service outlives the
// test.
func TestStartStopsTheServiceAndRemovesItsDirectoryWhenTheTestEnds(t *testing.T) {
	t.Parallel()
	RequireTools(t)
	var pid int
	var dir string
	t.Run("with a service", func(t *testing.T) {
		s := Start(t)
		pid, dir = s.PID(), s.Dir
		s.MustCreateWorkload(t, "left-running", Workload{Start: true})
		if got := s.MustPodman(t, "inspect", "--format", "{{.State.Status}}", "left-running"); got != "running" {
			t.Fatalf("state %q, want running", got)
		}
	})
	if pid == 0 {
		t.Fatal("the service had no PID")
	}
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Errorf("service pid %d still exists after its test ended (kill 0: %v)", pid, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the service's directory %s is left after its test ended (stat: %v)", dir, err)
	}
}
