package main

// Operations through the dashboard on a real Podman: what a browser receives
// (the POST answers, the live feed), the JSON API, and the incident log an
// operator greps afterwards.

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle/podman/podmantest"
	"podboard/web/webtest"
)

func TestStopAnswersAtOnceAndPushesTheStoppedRowWhenPodmanIsDone(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "slow", podmantest.Workload{StopDelay: 3 * time.Second, StopTimeout: 600, Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	live := ta.subscribe()

	resp, body := ta.post("slow", "stop", true)
	if resp.StatusCode != http.StatusOK || answeredState(t, body, "slow") != "stopping" {
		t.Fatalf("POST stop: %s\n%s\nwant 200 with the stopping row", resp.Status, body)
	}
	// The answer came while Podman was still stopping the workload.
	if got := podmanState(t, svc, "slow"); got != "running" && got != "stopping" {
		t.Errorf("Podman says %q once the answer arrived; want the stop still running", got)
	}
	if c, _ := ta.container("slow"); c.State != "stopping" || c.Job == nil || c.Job.Op != "stop" || c.Job.PrevState != "running" {
		t.Errorf("/api/containers during the stop: %+v", c)
	}

	i, _ := live.next(0, "stopping row of slow", isRow("slow", "stopping"))
	live.next(i+1, "stopped row of slow after the stopping one", isRow("slow", "stopped"))

	c := ta.waitSettled("slow", "stopped")
	if c.PodmanState != "exited" || c.Error != "" {
		t.Errorf("/api/containers after the stop: %+v, want podman_state exited and no error", c)
	}
	if got := svc.MustPodman(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "slow"); got != "exited 0" {
		t.Errorf("Podman after the stop: %q, want a clean \"exited 0\"", got)
	}
	ta.waitIncident("STOP BEGIN: slow", "STOP OK: slow")
}

func TestPlainFormPostIsRedirectedToTheDashboard(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "form", podmantest.Workload{Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)

	resp, body := ta.post("form", "stop", false)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("POST stop from a plain form: %s, Location %q\n%s\nwant 303 to /", resp.Status, resp.Header.Get("Location"), body)
	}
	ta.waitSettled("form", "stopped")
}

func TestFailedStartRevertsToStoppedAndEveryPageGetsTheRowAndAToast(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "broken", podmantest.Workload{BrokenEntrypoint: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	live := ta.subscribe()

	resp, body := ta.post("broken", "start", true)
	if resp.StatusCode != http.StatusOK || answeredState(t, body, "broken") != "starting" {
		t.Fatalf("POST start: %s\n%s\nwant 200 with the starting row", resp.Status, body)
	}

	i, _ := live.next(0, "starting row of broken", isRow("broken", "starting"))
	_, ev := live.next(i+1, "reverted row of broken with a toast", func(data string) bool {
		return isRow("broken", "stopped")(data) && webtest.Parse(t, data).Text("toast") != ""
	})
	pushed, _ := webtest.PushedRow(webtest.Event{Data: ev.data}, "broken")
	if toast := webtest.Parse(t, ev.data).Text("toast"); !pushed.HasError() || !strings.HasPrefix(toast, "start broken failed:") {
		t.Errorf("the pushed event does not show the failure: row error %v, toast %q\n%s", pushed.HasError(), toast, ev.data)
	}

	c := ta.waitSettled("broken", "stopped")
	if c.Error == "" || !strings.Contains(c.Error, "not found") {
		t.Errorf("/api/containers error %q, want Podman's \"not found\" message", c.Error)
	}
	line := regexp.MustCompile(`(?m)^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z START FAIL: broken — .*not found`)
	if log := ta.waitIncident("START FAIL: broken"); !line.MatchString(log) {
		t.Errorf("incident log has no timestamped START FAIL line for broken:\n%s", log)
	}
}

func TestRestartEndsRunningAfterTheWorkloadShutDownGracefully(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "restartee", podmantest.Workload{StopDelay: time.Second, StopTimeout: 60, Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	live := ta.subscribe()

	resp, body := ta.post("restartee", "restart", true)
	if resp.StatusCode != http.StatusOK || answeredState(t, body, "restartee") != "restarting" {
		t.Fatalf("POST restart: %s\n%s\nwant 200 with the restarting row", resp.Status, body)
	}
	i, _ := live.next(0, "restarting row", isRow("restartee", "restarting"))
	live.next(i+1, "running row after the restart", isRow("restartee", "running"))
	ta.waitSettled("restartee", "running")

	if got := podmanState(t, svc, "restartee"); got != "running" {
		t.Errorf("Podman says %q after the restart, want running", got)
	}
	// The run that ended exited by itself after SIGTERM (0), not by
	// SIGKILL (137). Podman may write the died event after the restart
	// has returned.
	// Filtered by the container's ID: the service outlives the test, and
	// an earlier run's container of the same name has died events too.
	id := strings.TrimSpace(svc.MustPodman(t, "inspect", "--format", "{{.Id}}", "restartee"))
	var died []string
	waitUntil(t, "Podman's died event of the restart", deadline, func() bool {
		died = strings.Fields(svc.MustPodman(t, "events", "--stream=false", "--filter", "container="+id,
			"--filter", "event=died", "--format", "{{.ContainerExitCode}}"))
		return len(died) > 0
	})
	if strings.Join(died, ",") != "0" {
		t.Errorf("exit codes of the ended runs: %v, want one clean 0", died)
	}
	// The new run prints its start line once it runs, which can be after
	// Podman answered the restart.
	var logs string
	waitUntil(t, "the second run's start line in the workload's log", deadline, func() bool {
		logs = svc.MustPodman(t, "logs", "restartee")
		return strings.Count(logs, "workload started") >= 2
	})
	if !strings.Contains(logs, "workload got terminated") || strings.Count(logs, "workload started") != 2 {
		t.Errorf("the workload's log does not show SIGTERM and a second start:\n%s", logs)
	}
	ta.waitIncident("RESTART OK: restartee")
}

func TestSecondRequestWhileAStopRunsIsRefusedAndPodmanIsAskedOnce(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "busy", podmantest.Workload{StopDelay: 3 * time.Second, StopTimeout: 600, Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)

	if resp, body := ta.post("busy", "stop", true); resp.StatusCode != http.StatusOK {
		t.Fatalf("first POST stop: %s\n%s", resp.Status, body)
	}
	first, _ := ta.container("busy")
	if first.Job == nil {
		t.Fatalf("no job after the first stop: %+v", first)
	}

	resp, body := ta.post("busy", "stop", true)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("second POST stop: %s\n%s\nwant 409", resp.Status, body)
	}
	if r, ok := webtest.Parse(t, body).FindRow("busy"); !ok || r.ID() != webtest.RowID("busy") || r.State() != "stopping" || r.Notice() == "" {
		t.Errorf("409 body is not the stopping row with a notice:\n%s", body)
	}
	// A script asking for a restart meanwhile is refused too.
	resp, body = ta.do("busy", "restart", func(r *http.Request) { r.Header.Set("Accept", "application/json") })
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already") {
		t.Errorf("POST restart during the stop: %s\n%s\nwant 409 saying an operation is already running", resp.Status, body)
	}
	if c, _ := ta.container("busy"); c.Job == nil || c.Job.ID != first.Job.ID {
		t.Errorf("the refused requests changed the job: %+v, want job %d", c.Job, first.Job.ID)
	}

	ta.waitSettled("busy", "stopped")
	// Nothing is recorded after the stop's outcome.
	log := ta.waitIncident("STOP OK: busy")
	if n := countLines(log, "STOP BEGIN: busy"); n != 1 {
		t.Errorf("%d STOP BEGIN lines, want 1:\n%s", n, log)
	}
	if n := countLines(log, "STOP OK: busy"); n != 1 {
		t.Errorf("%d STOP OK lines, want 1:\n%s", n, log)
	}
	if strings.Contains(log, "RESTART") {
		t.Errorf("the refused restart reached the incident log:\n%s", log)
	}
}

func TestUnknownContainerOrOperationIsRefusedWithoutWritingAnything(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "steady", podmantest.Workload{Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("steady", "running")

	// Status changes with the clock ("Up 2 seconds"); everything else is
	// what a write would change.
	snapshot := func() []apiContainerJSON {
		cs := ta.containers()
		for i := range cs {
			cs[i].Status = ""
		}
		return cs
	}
	beforeAPI, beforeLog := snapshot(), ta.incidents()

	tests := []struct {
		name, op string
		hx       bool
		want     int
	}{
		{"ghost", "stop", true, http.StatusNotFound},
		{"ghost", "stop", false, http.StatusNotFound},
		{"steady", "explode", true, http.StatusBadRequest},
		{"steady", "explode", false, http.StatusBadRequest},
		{"-bad", "stop", true, http.StatusBadRequest},
	}
	for _, tt := range tests {
		resp, body := ta.post(tt.name, tt.op, tt.hx)
		if resp.StatusCode != tt.want {
			t.Errorf("POST /containers/%s/%s (htmx %t): %s, want %d\n%s", tt.name, tt.op, tt.hx, resp.Status, tt.want, body)
		}
	}

	if after := snapshot(); !reflect.DeepEqual(after, beforeAPI) {
		t.Errorf("/api/containers changed:\nbefore %+v\nafter  %+v", beforeAPI, after)
	}
	if after := ta.incidents(); after != beforeLog {
		t.Errorf("incident log changed:\nbefore:\n%s\nafter:\n%s", beforeLog, after)
	}
	if got := podmanState(t, svc, "steady"); got != "running" {
		t.Errorf("Podman says %q, want the container left running", got)
	}
}

func TestOperationOnAContainerCreatedSinceTheLastScanWorks(t *testing.T) {
	svc := sharedPodman(t)
	// The only scan is the one at start-up.
	ta := startApp(t, svc, t.TempDir(), time.Hour)
	createWorkload(t, svc, "late", podmantest.Workload{})
	if _, ok := ta.container("late"); ok {
		t.Fatal("the dashboard knows the new container before any scan could have seen it")
	}

	resp, body := ta.post("late", "start", true)
	if resp.StatusCode != http.StatusOK || answeredState(t, body, "late") != "starting" {
		t.Fatalf("POST start: %s\n%s\nwant 200 with the starting row", resp.Status, body)
	}
	ta.waitSettled("late", "running")
	if got := podmanState(t, svc, "late"); got != "running" {
		t.Errorf("Podman says %q, want running", got)
	}
	ta.waitIncident("START OK: late")
}
