package main

// The root package's tests run the whole dashboard: newApp as main wires it
// (served by an httptest server) or the real binary (a separate process),
// against one private Podman service shared by the test binary, and in the
// browser tests Debian's chromium on top. This file holds what they share:
// the Podman service and its containers, the in-process dashboard and its
// HTTP answers, the reader of the live feed, and the dashboard as a process.
//
// The files by concern: actions_test.go (operations over real Podman),
// cli_changes_test.go (changes made with Podman's CLI), recovery_test.go
// (operations a dead dashboard left running), process_test.go (signals,
// exit codes, the data directory lock), browser_*_test.go (what an operator
// sees; helpers in browser_helpers_test.go) and bench_*_test.go (the
// benchmark harness of make bench).

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/podman"
	"podboard/lifecycle/podman/podmantest"
	"podboard/web/auth"
	"podboard/web/webtest"
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

// removeContainer removes name from svc, running or not.
func removeContainer(t *testing.T, svc *podmantest.Service, name string) {
	t.Helper()
	if _, err := svc.Podman("rm", "--force", "--time", "0", "--ignore", name); err != nil {
		t.Errorf("removing %s: %v", name, err)
	}
}

// podmanState is Podman's own word for name's state.
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

// testApp is one dashboard in the test process: newApp served by an
// httptest server.
type testApp struct {
	t      *testing.T
	a      *app
	srv    *httptest.Server
	client *http.Client // does not follow redirects
	data   string
	log    *lockedBuffer // nil when the log is discarded
	end    sync.Once     // stop or crash, whichever comes first
}

// startApp runs the dashboard on data against svc. It is stopped when the
// test ends, unless crash already ended it.
func startApp(t *testing.T, svc *podmantest.Service, data string, scanInterval time.Duration) *testApp {
	t.Helper()
	return serveApp(t, connectPodman(t, svc), testConfig(t, data, svc.URI, scanInterval), &lockedBuffer{})
}

// connectPodman is the engine on svc, as main connects it.
func connectPodman(t *testing.T, svc *podmantest.Service) *podman.Engine {
	t.Helper()
	engine, err := podman.Connect(context.Background(), svc.URI, deadline)
	if err != nil {
		t.Fatal(err)
	}
	return engine
}

// The person the in-process dashboards know: the browser tests sign in as
// them through the login form; the HTTP tests use the token testApp holds.
const (
	testUser     = "operator"
	testPassword = "correct horse battery staple"
)

// appStarts numbers the dashboards the tests start, for their tokens.
var appStarts atomic.Int64

// testConfig is the configuration main would read from these flags, with
// sign-in on (the default).
func testConfig(t testing.TB, data, podmanURI string, scanInterval time.Duration, flags ...string) config {
	t.Helper()
	args := append([]string{"--listen", "127.0.0.1:0", "--data", data, "--podman", podmanURI,
		"--scan-interval", scanInterval.String()}, flags...)
	cfg, err := parseConfig(args, func(string) string { return "" })
	if err != nil {
		t.Fatalf("parseConfig(%q): %v", args, err)
	}
	return cfg
}

// bearer adds a token to every request of a client.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "" && r.Header.Get("Cookie") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}

// serveApp is newApp, exactly as main wires it, over engine, served on
// loopback. Its log is formatted as in production and kept in logs, or
// discarded when logs is nil. It is stopped when the test ends.
func serveApp(t *testing.T, engine lifecycle.Engine, cfg config, logs *lockedBuffer) *testApp {
	t.Helper()
	var w io.Writer = io.Discard
	if logs != nil {
		w = logs
	}
	log := newLogger(w, cfg.logFormat, slog.LevelInfo)
	a, err := newApp(context.Background(), cfg, []hostEngine{{name: lifecycle.DefaultHost, podman: podman.Redact(cfg.podman), engine: engine}}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.srv.Handler)
	ta := &testApp{
		t: t, a: a, srv: srv, data: cfg.data, log: logs,
		client: &http.Client{
			Transport:     srv.Client().Transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	if cfg.auth == auth.Password {
		// A dashboard restarted on the same data keeps its user; every
		// start gets a token of its own.
		acc := auth.Accounts{DB: a.store}
		if us, err := acc.Users(context.Background()); err != nil {
			t.Fatal(err)
		} else if len(us) == 0 {
			if err := acc.AddUser(context.Background(), testUser, testPassword); err != nil {
				t.Fatal(err)
			}
		}
		tok, err := acc.AddToken(context.Background(), "tests-"+strconv.Itoa(int(appStarts.Add(1))))
		if err != nil {
			t.Fatal(err)
		}
		ta.client.Transport = bearer{token: tok, next: ta.client.Transport}
	}
	t.Cleanup(func() {
		if t.Failed() && logs != nil {
			t.Logf("dashboard log:\n%s", logs.String())
		}
		ta.stop()
	})
	return ta
}

// stop shuts the app down as main does on SIGTERM: streams closed, the
// server closed, jobs waited for, files closed.
func (ta *testApp) stop() { ta.end.Do(func() { stopApp(ta.t, ta.a, ta.srv) }) }

// stopApp shuts a down as main does on SIGTERM: streams closed, srv
// closed, every host's jobs waited for, files closed.
func stopApp(t testing.TB, a *app, srv *httptest.Server) {
	t.Helper()
	a.shutdown()
	srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := a.fleet.Wait(ctx); err != nil {
		t.Errorf("jobs still running when the dashboard stopped: %v", a.fleet.Running())
	}
	a.close()
}

// crash ends the app the way a killed process ends: no waiting for its
// jobs, which then fail to record their outcome.
func (ta *testApp) crash() {
	ta.end.Do(func() {
		ta.a.shutdown()
		ta.srv.Close()
		ta.a.close()
	})
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
type apiContainerJSON = webtest.APIContainer

// listContainers is GET /api/containers of the dashboard at url.
func listContainers(t *testing.T, client *http.Client, url string) []apiContainerJSON {
	t.Helper()
	return webtest.Site{TB: t, URL: url, Client: client}.API()
}

// findContainer picks name's entry out of cs.
func findContainer(cs []apiContainerJSON, name string) (apiContainerJSON, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return apiContainerJSON{}, false
}

func (ta *testApp) containers() []apiContainerJSON {
	ta.t.Helper()
	return listContainers(ta.t, ta.client, ta.srv.URL)
}

func (ta *testApp) container(name string) (apiContainerJSON, bool) {
	ta.t.Helper()
	return findContainer(ta.containers(), name)
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

// incidents is the app's incident log as it is now.
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

// sseEvent is one event of the live feed.
type sseEvent struct {
	data string    // its data lines, joined
	at   time.Time // when it arrived
}

// sseReader is a page's view of GET /events, read by the project's one
// live-feed reader (webtest.Stream); heartbeats are left out, as browsers
// leave them.
type sseReader struct{ s *webtest.Stream }

// subscribe opens the app's live feed; see openSSE.
func (ta *testApp) subscribe() *sseReader {
	ta.t.Helper()
	return openSSE(ta.t, ta.client, ta.srv.URL)
}

// openSSE opens the live feed of the dashboard at url. It returns once the
// server has answered, by which time the hub has registered the client, so
// every event published afterwards reaches it. The feed is closed when the
// test ends, if close did not close it before.
func openSSE(t *testing.T, client *http.Client, url string) *sseReader {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := webtest.SubscribeRequest(t, client, req)
	s.Deadline = deadline
	return &sseReader{s: s}
}

// close ends the stream and waits for its reader.
func (r *sseReader) close() { r.s.Close() }

// next waits for the first event at index from or later whose data
// matches, and returns its index and the event.
func (r *sseReader) next(from int, want string, match func(string) bool) (int, sseEvent) {
	i, ev := r.s.Next(from, want, func(ev webtest.Event) bool { return ev.Data != "" && match(ev.Data) })
	return i, sseEvent{data: ev.Data, at: ev.At}
}

// count is how many events have arrived so far.
func (r *sseReader) count() int { return r.s.Count() }

func (r *sseReader) dump() string { return r.s.Dump() }

// answeredState is the data-state of name's row in the answer to an htmx
// POST, "" unless the answer holds that row with the id the page's live
// swaps look for.
func answeredState(t *testing.T, body, name string) string {
	t.Helper()
	r, ok := webtest.Parse(t, body).FindRow(name)
	if !ok || r.ID() != webtest.RowID(name) {
		return ""
	}
	return r.State()
}

// isRow matches a pushed row of name in state, swapped in place or
// inserted out of band.
func isRow(name, state string) func(string) bool {
	match := webtest.IsRow(name, state)
	return func(data string) bool { return match(webtest.Event{Data: data}) }
}

// isRemoval matches the event that deletes name's row from every page.
func isRemoval(name string) func(string) bool {
	match := webtest.IsRemoval(name)
	return func(data string) bool { return match(webtest.Event{Data: data}) }
}

// countLines counts the lines of log that contain substr.
func countLines(log, substr string) int {
	n := 0
	for line := range strings.SplitSeq(log, "\n") {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

// waitUntil polls cond until it holds, failing the test after limit.
func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %s", what, limit)
		}
	}
}

// buildTags are the Makefile's TAGS, for the binaries the tests build.
const buildTags = "containers_image_openpgp exclude_graphdriver_btrfs exclude_graphdriver_devicemapper"

// buildBinary builds podboard into a directory of the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "podboard")
	cmd := exec.Command("go", "build", "-tags", buildTags, "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one podboard process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr strings.Builder
	exited chan struct{}
	err    error
}

// servingURL finds the address in the line the binary logs once it serves.
var servingURL = regexp.MustCompile(`msg="podboard serving" url=(https?://\S+)`)

// startProc starts the binary and waits until it serves. It is killed by
// its PID when the test ends, whatever happened.
func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			if m := servingURL.FindStringSubmatch(line); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	select {
	case p.url = <-urls:
	case <-p.exited:
		t.Fatalf("podboard exited before serving: %v\n%s", p.err, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("podboard did not serve within 60s:\n%s", p.log())
	}
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(limit time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(limit):
		p.t.Fatalf("podboard still running after %s:\n%s", limit, p.log())
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

func (p *proc) post(name, op string) int {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.url+"/containers/"+name+"/"+op, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (p *proc) container(name string) (apiContainerJSON, bool) {
	p.t.Helper()
	return findContainer(listContainers(p.t, http.DefaultClient, p.url), name)
}

// stop ends the process with SIGTERM and fails the test unless it exits
// cleanly.
func (p *proc) stop() {
	p.t.Helper()
	p.signal(syscall.SIGTERM)
	if code := p.wait(2 * deadline); code != 0 {
		p.t.Fatalf("podboard exited %d:\n%s", code, p.log())
	}
}

// addUser runs `podboard user add NAME --password-stdin --data DIR`.
func addUser(t *testing.T, bin, data, name, password string) {
	t.Helper()
	cmd := exec.Command(bin, "user", "add", name, "--password-stdin", "--data", data)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("podboard user add %s: %v\n%s", name, err, out)
	}
}
