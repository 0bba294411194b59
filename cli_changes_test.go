package main

// Changes made outside the dashboard, with Podman's own CLI, reach the API
// and every page without any action of the dashboard.

import (
	"strings"
	"testing"
	"time"

	"podboard/lifecycle/podman/podmantest"
	"podboard/web/webtest"
)

func TestChangesMadeWithPodmansCLIReachTheAPIAndEveryPage(t *testing.T) {
	svc := sharedPodman(t)
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	live := ta.subscribe()

	createWorkload(t, svc, "outside", podmantest.Workload{Start: true})
	createWorkload(t, svc, "outside-created", podmantest.Workload{})
	// Each wait is for the whole of what is asserted: a scan can land
	// between two of Podman's own steps.
	c := ta.waitContainer("outside", "running as Podman says", isSettled("running", "running"))
	if c.Image != podmantest.WorkloadImage || c.StopTimeout != 10 {
		t.Errorf("/api/containers for a container run from the CLI: %+v", c)
	}
	ta.waitContainer("outside-created", "stopped, created in Podman", isSettled("stopped", "created"))
	live.next(0, "row of the container run from the CLI", isRow("outside", "running"))
	live.next(0, "row of the container created from the CLI", isRow("outside-created", "stopped"))

	n := live.count()
	svc.MustPodman(t, "stop", "outside")
	// Podman says "stopped" for a moment before "exited"; both are the
	// dashboard's stopped.
	ta.waitContainer("outside", "stopped, exited in Podman", isSettled("stopped", "exited"))
	live.next(n, "stopped row saying Exited (0) after podman stop", func(data string) bool {
		r, ok := webtest.PushedRow(webtest.Event{Data: data}, "outside")
		return ok && r.State() == "stopped" && strings.HasPrefix(r.Status(), "Exited (0)")
	})

	svc.MustPodman(t, "rm", "--force", "outside")
	ta.waitContainer("outside", "gone", func(_ apiContainerJSON, ok bool) bool { return !ok })
	live.next(0, "deletion of the removed container's row", isRemoval("outside"))

	if log := ta.incidents(); log != "" {
		t.Errorf("changes made outside wrote to the incident log:\n%s", log)
	}
}
