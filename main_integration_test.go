package main

// End-to-end tests: the whole dashboard as main wires it (newApp), served
// over HTTP, against a private Podman. They assert what a browser receives:
// the POST answers, the SSE stream, the JSON API, and the incident log an
// operator greps afterwards.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/podman"
	"podboard/lifecycle/podman/podmantest"
)

// deadline bounds every wait of these tests. Nothing here should take more
// than a few seconds; the margin is for a loaded machine.
const deadline = 30 * time.Second

// The tests share one private Podman service started by TestMain. They run
// one after the other (every app scans the whole service), use container
// names of their own and remove their containers when they end.
var podmanShared podmantest.Shared

func TestMain(m *testing.M) { os.Exit(podmantest.RunShared(m, &podmanShared)) }

// sharedPodman returns the shared Podman service.
func sharedPodman(t *testing.T) *podmantest.Service {
	t.Helper()
	return podmanShared.Service(t)
}

// createWorkload creates a container on svc that is removed when the test
// ends.
func createWorkload(t *testing.T, svc *podmantest.Service, name string, w podmantest.Workload) {
	t.Helper()
	t.Cleanup(func() { removeContainer(t, svc, name) })
	svc.MustCreateWorkload(t, name, w)
}

func removeContainer(t *testing.T, svc *podmantest.Service, name string) {
	t.Helper()
	if _, err := svc.Podman("rm", "--force", "--time", "0", "--ignore", name); err != nil {
		t.Errorf("removing %s: %v", name, err)
	}
}

func podmanState(t *testing.T, svc *podmantest.Service, name string) string {
	t.Helper()
	return svc.MustPodman(t, "inspect", "--format", "{{.State.Status}}", name)
}

// lockedBuffer is the app's log. Writes may come from a job goroutine that
// outlives its test, so the log must not be tied to t.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testApp is one dashboard process: newApp served by an httptest server.
type testApp struct {
	t      *testing.T
	svc    *podmantest.Service
	a      *app
	srv    *httptest.Server
	client *http.Client // does not follow redirects
	data   string
	log    *lockedBuffer

	mu      sync.Mutex
	crashed bool
}

// startApp runs the dashboard on data against svc. It is shut down when the
// test ends: streams closed, the server closed, jobs waited for, files
// closed — unless crash already ended it.
func startApp(t *testing.T, svc *podmantest.Service, data string, scanInterval time.Duration) *testApp {
	t.Helper()
	ctx := context.Background()
	engine, err := podman.Connect(ctx, svc.URI, deadline)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := newApp(ctx, config{data: data, scanInterval: scanInterval, podman: svc.URI, logLevel: "info"}, engine, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.srv.Handler)
	ta := &testApp{
		t: t, svc: svc, a: a, srv: srv, data: data, log: logs,
		client: &http.Client{
			Transport:     srv.Client().Transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dashboard log:\n%s", logs.String())
		}
		ta.mu.Lock()
		crashed := ta.crashed
		ta.mu.Unlock()
		if crashed {
			return
		}
		a.shutdown()
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		if err := a.manager.Wait(ctx); err != nil {
			t.Errorf("jobs still running when the test ended: %v", a.manager.Running())
		}
		a.close()
	})
	return ta
}

// crash ends the app the way a killed process ends: no waiting for its
// jobs, which then fail to record their outcome.
func (ta *testApp) crash() {
	ta.mu.Lock()
	ta.crashed = true
	ta.mu.Unlock()
	ta.a.shutdown()
	ta.srv.Close()
	ta.a.close()
}

// post sends POST /containers/{name}/{op} as htmx does (hx) or as a plain
// form, and returns the answer with its body read.
func (ta *testApp) post(name, op string, hx bool) (*http.Response, string) {
	ta.t.Helper()
	return ta.do(name, op, func(r *http.Request) {
		if hx {
			r.Header.Set("HX-Request", "true")
		}
	})
}

func (ta *testApp) do(name, op string, prepare func(*http.Request)) (*http.Response, string) {
	ta.t.Helper()
	req, err := http.NewRequest(http.MethodPost, ta.srv.URL+"/containers/"+name+"/"+op, strings.NewReader(""))
	if err != nil {
		ta.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	prepare(req)
	resp, err := ta.client.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		ta.t.Fatal(err)
	}
	return resp, string(body)
}

// apiContainerJSON is a container as GET /api/containers reports it.
type apiContainerJSON struct {
	Name        string     `json:"name"`
	ID          string     `json:"id"`
	Image       string     `json:"image"`
	State       string     `json:"state"`
	PodmanState string     `json:"podman_state"`
	Status      string     `json:"status"`
	ExitCode    int        `json:"exit_code"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	StopTimeout int        `json:"stop_timeout"`
	Error       string     `json:"error"`
	Job         *struct {
		ID        int64  `json:"id"`
		Op        string `json:"op"`
		PrevState string `json:"prev_state"`
	} `json:"job"`
}

func (ta *testApp) containers() []apiContainerJSON {
	ta.t.Helper()
	resp, err := ta.client.Get(ta.srv.URL + "/api/containers")
	if err != nil {
		ta.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		ta.t.Fatalf("GET /api/containers: %s: %s", resp.Status, b)
	}
	var out []apiContainerJSON
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		ta.t.Fatal(err)
	}
	return out
}

func (ta *testApp) container(name string) (apiContainerJSON, bool) {
	ta.t.Helper()
	for _, c := range ta.containers() {
		if c.Name == name {
			return c, true
		}
	}
	return apiContainerJSON{}, false
}

// waitContainer polls GET /api/containers until cond holds for name's
// entry (ok is false while the API does not list it).
func (ta *testApp) waitContainer(name, want string, cond func(c apiContainerJSON, ok bool) bool) apiContainerJSON {
	ta.t.Helper()
	end := time.Now().Add(deadline)
	for {
		c, ok := ta.container(name)
		if cond(c, ok) {
			return c
		}
		if time.Now().After(end) {
			ta.t.Fatalf("/api/containers: %s is not %s within %s; last seen (listed %t): %+v", name, want, deadline, ok, c)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// isSettled is a waitContainer condition: listed in the dashboard's state
// with Podman's own podmanState, and no job.
func isSettled(state, podmanState string) func(apiContainerJSON, bool) bool {
	return func(c apiContainerJSON, ok bool) bool {
		return ok && c.State == state && c.PodmanState == podmanState && c.Job == nil
	}
}

// waitSettled waits until name is listed in state with no job.
func (ta *testApp) waitSettled(name, state string) apiContainerJSON {
	ta.t.Helper()
	return ta.waitContainer(name, state+" with no job", func(c apiContainerJSON, ok bool) bool {
		return ok && c.State == state && c.Job == nil
	})
}

func (ta *testApp) incidents() string {
	ta.t.Helper()
	b, err := os.ReadFile(filepath.Join(ta.data, "lifecycle.log"))
	if err != nil {
		ta.t.Fatal(err)
	}
	return string(b)
}

// waitIncident returns the incident log once it holds every line in want.
// A job records its outcome after storing it, so a row that reads settled
// does not yet mean that its line is written.
func (ta *testApp) waitIncident(want ...string) string {
	ta.t.Helper()
	var log string
	waitUntil(ta.t, fmt.Sprintf("incident log lines %q", want), deadline, func() bool {
		log = ta.incidents()
		for _, w := range want {
			if !strings.Contains(log, w) {
				return false
			}
		}
		return true
	})
	return log
}

// sseReader is a browser's view of GET /events: each event's data lines,
// joined, in the order they arrived.
type sseReader struct {
	t      *testing.T
	mu     sync.Mutex
	events []string
	err    error // why the stream ended
	more   chan struct{}
	done   chan struct{}
}

// subscribe opens the live stream. It returns once the server has
// answered, by which time the hub has registered the client, so every event
// published afterwards reaches it.
func (ta *testApp) subscribe() *sseReader {
	t := ta.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ta.srv.URL+"/events", nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := ta.client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		cancel()
		t.Fatalf("GET /events: %s, Content-Type %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	r := &sseReader{t: t, more: make(chan struct{}, 1), done: make(chan struct{})}
	go r.read(resp.Body)
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// read collects the data lines of each event until a blank line ends it.
// Comments (heartbeats) and other fields are ignored, as browsers do.
func (r *sseReader) read(body io.ReadCloser) {
	defer close(r.done)
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if len(data) > 0 {
				r.add(strings.Join(data, "\n"))
			}
			data = nil
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	r.mu.Lock()
	r.err = sc.Err()
	if r.err == nil {
		r.err = io.EOF
	}
	r.mu.Unlock()
	r.signal()
}

func (r *sseReader) add(ev string) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	r.signal()
}

func (r *sseReader) signal() {
	select {
	case r.more <- struct{}{}:
	default:
	}
}

// next waits for the first event at index from or later that matches, and
// returns its index and data.
func (r *sseReader) next(from int, want string, match func(string) bool) (int, string) {
	r.t.Helper()
	timeout := time.After(deadline)
	for {
		r.mu.Lock()
		for i := from; i < len(r.events); i++ {
			if match(r.events[i]) {
				ev := r.events[i]
				r.mu.Unlock()
				return i, ev
			}
		}
		n, err := len(r.events), r.err
		r.mu.Unlock()
		if err != nil {
			r.t.Fatalf("SSE: stream ended (%v) before %s; %d events received:\n%s", err, want, n, r.dump())
		}
		select {
		case <-r.more:
		case <-timeout:
			r.t.Fatalf("SSE: no %s within %s; %d events received:\n%s", want, deadline, n, r.dump())
		}
	}
}

// count is how many events have arrived so far.
func (r *sseReader) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *sseReader) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.events, "\n---\n")
}

// isRow matches a pushed row of name in state, swapped in out of band.
func isRow(name, state string) func(string) bool {
	return func(ev string) bool {
		return strings.Contains(ev, `id="row-`+name+`"`) &&
			strings.Contains(ev, `data-state="`+state+`"`) &&
			strings.Contains(ev, `hx-swap-oob="true"`)
	}
}

// isRemoval matches the event that deletes name's row from every page.
func isRemoval(name string) func(string) bool {
	return func(ev string) bool {
		return strings.Contains(ev, `<div id="row-`+name+`" hx-swap-oob="delete">`)
	}
}

func countLines(log, substr string) int {
	n := 0
	for line := range strings.SplitSeq(log, "\n") {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

func TestStopAnswersAtOnceAndPushesTheStoppedRowWhenPodmanIsDone(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "slow", podmantest.Workload{StopDelay: 3 * time.Second, StopTimeout: 600, Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	live := ta.subscribe()

	resp, body := ta.post("slow", "stop", true)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="row-slow"`) || !strings.Contains(body, `data-state="stopping"`) {
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
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-state="starting"`) {
		t.Fatalf("POST start: %s\n%s\nwant 200 with the starting row", resp.Status, body)
	}

	i, _ := live.next(0, "starting row of broken", isRow("broken", "starting"))
	_, ev := live.next(i+1, "reverted row of broken with a toast", func(ev string) bool {
		return isRow("broken", "stopped")(ev) && strings.Contains(ev, `data-testid="toast"`)
	})
	if !strings.Contains(ev, "start broken failed") || !strings.Contains(ev, `data-testid="error"`) {
		t.Errorf("the pushed event does not show the failure:\n%s", ev)
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
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-state="restarting"`) {
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
	var died []string
	waitUntil(t, "Podman's died event of the restart", deadline, func() bool {
		died = strings.Fields(svc.MustPodman(t, "events", "--stream=false", "--filter", "container=restartee",
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
	if !strings.Contains(body, `id="row-busy"`) || !strings.Contains(body, `data-testid="notice"`) || !strings.Contains(body, `data-state="stopping"`) {
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
	live.next(n, "stopped row saying Exited (0) after podman stop", func(ev string) bool {
		return isRow("outside", "stopped")(ev) && strings.Contains(ev, "Exited (0)")
	})

	svc.MustPodman(t, "rm", "--force", "outside")
	ta.waitContainer("outside", "gone", func(_ apiContainerJSON, ok bool) bool { return !ok })
	live.next(0, "deletion of the removed container's row", isRemoval("outside"))

	if log := ta.incidents(); log != "" {
		t.Errorf("changes made outside wrote to the incident log:\n%s", log)
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
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="row-late"`) || !strings.Contains(body, `data-state="starting"`) {
		t.Fatalf("POST start: %s\n%s\nwant 200 with the starting row", resp.Status, body)
	}
	ta.waitSettled("late", "running")
	if got := podmanState(t, svc, "late"); got != "running" {
		t.Errorf("Podman says %q, want running", got)
	}
	ta.waitIncident("START OK: late")
}

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
	if resp, body := first.post("crashy", "stop", true); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-state="stopping"`) {
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
