package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"podboard/db"
	"podboard/handlers"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web"
)

// env is the dashboard's HTTP surface over a real SQLite file and a fake
// engine, served by the real router.
type env struct {
	t      *testing.T
	db     *db.DB
	engine *fake.Engine
	m      *lifecycle.Manager
	srv    *httptest.Server
	client *http.Client
}

func newEnv(t *testing.T, cs ...lifecycle.Observed) *env {
	t.Helper()
	return newEnvWith(t, lifecycle.Config{}, cs...)
}

func newEnvWith(t *testing.T, cfg lifecycle.Config, cs ...lifecycle.Observed) *env {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "podboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &env{t: t, db: store, engine: fake.New(cs...)}
	hub := web.NewHub(logger)
	cfg.Store, cfg.Engine, cfg.Notifier, cfg.Logger = store, e.engine, hub, logger
	e.m = lifecycle.NewManager(cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.m.Wait(ctx); err != nil {
			t.Errorf("jobs still running at the end of the test: %v", e.m.Running())
		}
	})
	if _, err := e.m.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(web.Router(handlers.New(e.m, "unix:///test.sock", logger), hub, logger))
	t.Cleanup(e.srv.Close)
	t.Cleanup(hub.Close)
	e.client = &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return e
}

// client kinds: how a request announces what answer it wants.
const (
	htmx  = "htmx"
	plain = "plain form"
	api   = "json"
)

type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(method, path, kind string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	switch kind {
	case htmx:
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", "row-web")
	case api:
		req.Header.Set("Accept", "application/json")
	default:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s (%s): %v", method, path, kind, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (e *env) post(path, kind string) response {
	e.t.Helper()
	return e.do(http.MethodPost, path, kind)
}

func (e *env) get(path string) response {
	e.t.Helper()
	return e.do(http.MethodGet, path, "")
}

func (e *env) container(name string) lifecycle.Container {
	e.t.Helper()
	c, err := e.db.Container(context.Background(), name)
	if err != nil {
		e.t.Fatalf("container %s: %v", name, err)
	}
	return c
}

// versions maps every stored container to its version.
func (e *env) versions() map[string]int64 {
	e.t.Helper()
	cs, err := e.db.Containers(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range cs {
		out[c.Name] = c.Version
	}
	return out
}

func (e *env) jobs() []lifecycle.Job {
	e.t.Helper()
	jobs, err := e.m.Jobs(context.Background(), "", 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return jobs
}

func (e *env) waitIdle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.m.Wait(ctx); err != nil {
		e.t.Fatalf("jobs did not end: %v", e.m.Running())
	}
}

// waitForOpCall waits until the engine has been asked for call ("stop web").
func (e *env) waitForOpCall(call string) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, c := range e.engine.OpCalls() {
			if c == call {
				return
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("engine never got %q; calls: %v", call, e.engine.Calls())
		}
		time.Sleep(time.Millisecond)
	}
}

// hold holds op on name in the engine until the test ends or release is
// called.
func (e *env) hold(op lifecycle.Op, name string) (release func()) {
	release = e.engine.Hold(op, name)
	e.t.Cleanup(release)
	return release
}

// apiContainer is a container as the JSON API reports it.
type apiContainer struct {
	Name        string `json:"name"`
	ID          string `json:"id"`
	Image       string `json:"image"`
	State       string `json:"state"`
	PodmanState string `json:"podman_state"`
	Status      string `json:"status"`
	ExitCode    int    `json:"exit_code"`
	StopTimeout int    `json:"stop_timeout"`
	Error       string `json:"error"`
	Job         *struct {
		ID        int64  `json:"id"`
		Op        string `json:"op"`
		PrevState string `json:"prev_state"`
	} `json:"job"`
}

type apiError struct {
	Error     string        `json:"error"`
	Container *apiContainer `json:"container"`
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
	return v
}

var buttonTag = regexp.MustCompile(`<button[^>]*>`)

// assertRow checks that body is exactly one row fragment for name in state,
// with every button disabled when disabled is true.
func assertRow(t *testing.T, body, name, state string, disabled bool) {
	t.Helper()
	if strings.Contains(strings.ToLower(body), "<html") {
		t.Errorf("answer is a whole page, want the row fragment:\n%s", body)
	}
	if !strings.HasPrefix(strings.TrimSpace(body), `<div id="row-`+name+`"`) {
		t.Errorf("answer does not start with the row of %s:\n%s", name, body)
	}
	if n := strings.Count(body, `role="row"`); n != 1 {
		t.Errorf("answer has %d rows, want 1:\n%s", n, body)
	}
	if !strings.Contains(body, `data-state="`+state+`"`) {
		t.Errorf("row is not in state %s:\n%s", state, body)
	}
	if strings.Contains(body, "hx-swap-oob") {
		t.Errorf("a row answering the request must not be out of band:\n%s", body)
	}
	tags := buttonTag.FindAllString(body, -1)
	if len(tags) == 0 {
		t.Errorf("row has no buttons:\n%s", body)
	}
	for _, tag := range tags {
		if got := strings.Contains(tag, " disabled"); got != disabled {
			t.Errorf("button %s: disabled = %v, want %v", tag, got, disabled)
		}
	}
}

func TestStopAnswersAtOnceWithTheStoppingStateWhileTheEngineStillWorks(t *testing.T) {
	tests := []struct {
		kind  string
		check func(t *testing.T, r response)
	}{
		{htmx, func(t *testing.T, r response) {
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body:\n%s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", ct)
			}
			assertRow(t, r.body, "web", "stopping", true)
			for _, want := range []string{"Stopping…", `class="spinner"`, "badge-transition", "(stop timeout 10 s)", `data-op="stop"`, `data-op="restart"`} {
				if !strings.Contains(r.body, want) {
					t.Errorf("row lacks %q:\n%s", want, r.body)
				}
			}
		}},
		{plain, func(t *testing.T, r response) {
			if r.status != http.StatusSeeOther {
				t.Fatalf("status = %d, want 303; body:\n%s", r.status, r.body)
			}
			if loc := r.header.Get("Location"); loc != "/" {
				t.Errorf("Location = %q, want /", loc)
			}
		}},
		{api, func(t *testing.T, r response) {
			if r.status != http.StatusAccepted {
				t.Fatalf("status = %d, want 202; body:\n%s", r.status, r.body)
			}
			c := decode[apiContainer](t, r)
			if c.Name != "web" || c.State != "stopping" || c.Error != "" {
				t.Errorf("answer = %+v, want web stopping without error", c)
			}
			if c.Job == nil || c.Job.Op != "stop" || c.Job.PrevState != "running" {
				t.Errorf("answer job = %+v, want the stop from running", c.Job)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			e := newEnv(t, fake.Running("web"), fake.Exited("db"))
			release := e.hold(lifecycle.Stop, "web")

			r := e.post("/containers/web/stop", tt.kind)
			tt.check(t, r)

			// The engine is still holding the stop: the answer did not wait.
			e.waitForOpCall("stop web")
			if got := e.container("web").State; got != lifecycle.Stopping {
				t.Errorf("stored state while the engine works = %s, want stopping", got)
			}
			if n := len(e.m.Running()); n != 1 {
				t.Errorf("%d jobs running, want 1", n)
			}
			if s := e.engine.State("web"); s != "running" {
				t.Errorf("engine state before release = %q, want running", s)
			}

			release()
			e.waitIdle()
			c := e.container("web")
			if c.State != lifecycle.Stopped || c.EngineState != "exited" || c.Busy() {
				t.Errorf("after the engine finished: state %s (%s), busy %v; want stopped (exited), idle", c.State, c.EngineState, c.Busy())
			}
			jobs := e.jobs()
			if len(jobs) != 1 || jobs[0].Outcome != lifecycle.JobSucceeded || jobs[0].Op != lifecycle.Stop {
				t.Errorf("jobs = %+v, want one succeeded stop", jobs)
			}
			if jobs[0].Origin != "127.0.0.1" {
				t.Errorf("job origin = %q, want the client address 127.0.0.1", jobs[0].Origin)
			}
		})
	}
}

func TestSecondOperationWhileOneRunsIsRefusedWithConflict(t *testing.T) {
	tests := []struct {
		kind  string
		op    string
		check func(t *testing.T, r response)
	}{
		{htmx, "stop", func(t *testing.T, r response) {
			assertRow(t, r.body, "web", "stopping", true)
			m := regexp.MustCompile(`data-testid="notice">([^<]*)<`).FindStringSubmatch(r.body)
			if m == nil || !strings.Contains(m[1], "already") {
				t.Errorf("row has no notice saying the operation already runs:\n%s", r.body)
			}
			if r.header.Get("HX-Retarget") != "" {
				t.Errorf("a conflict must replace the clicked row, not retarget to %q", r.header.Get("HX-Retarget"))
			}
		}},
		{htmx, "restart", func(t *testing.T, r response) {
			assertRow(t, r.body, "web", "stopping", true)
			if !strings.Contains(r.body, `data-testid="notice">web is already Stopping…<`) {
				t.Errorf("row has no notice saying web is already stopping:\n%s", r.body)
			}
		}},
		{api, "stop", func(t *testing.T, r response) {
			v := decode[apiError](t, r)
			if !strings.Contains(v.Error, "already") {
				t.Errorf("error = %q, want it to say the operation already runs", v.Error)
			}
			if v.Container == nil || v.Container.Name != "web" || v.Container.State != "stopping" {
				t.Errorf("container = %+v, want web stopping", v.Container)
			}
		}},
		{plain, "stop", func(t *testing.T, r response) {
			if !strings.HasPrefix(r.body, "<!doctype html>") {
				t.Errorf("plain form did not get the whole page:\n%s", r.body)
			}
			flash := regexp.MustCompile(`(?s)data-testid="flash">(.*?)</div>`).FindStringSubmatch(r.body)
			if flash == nil || !strings.Contains(flash[1], "already") || !strings.Contains(flash[1], "Operation already running") {
				t.Errorf("page has no flash saying the operation already runs:\n%s", r.body)
			}
			if !strings.Contains(r.body, `id="row-web"`) || !strings.Contains(r.body, `data-state="stopping"`) {
				t.Errorf("page does not list web as stopping:\n%s", r.body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.op, func(t *testing.T) {
			e := newEnv(t, fake.Running("web"))
			release := e.hold(lifecycle.Stop, "web")
			if r := e.post("/containers/web/stop", api); r.status != http.StatusAccepted {
				t.Fatalf("first stop: status %d, want 202; body:\n%s", r.status, r.body)
			}
			e.waitForOpCall("stop web")
			version := e.container("web").Version

			r := e.post("/containers/web/"+tt.op, tt.kind)
			if r.status != http.StatusConflict {
				t.Fatalf("second %s: status %d, want 409; body:\n%s", tt.op, r.status, r.body)
			}
			tt.check(t, r)
			if v := e.container("web").Version; v != version {
				t.Errorf("refused request wrote the row: version %d → %d", version, v)
			}
			if n := len(e.jobs()); n != 1 {
				t.Errorf("%d jobs recorded, want only the first", n)
			}

			release()
			e.waitIdle()
			if calls := e.engine.OpCalls(); len(calls) != 1 || calls[0] != "stop web" {
				t.Errorf("engine op calls = %v, want only the first stop", calls)
			}
		})
	}
}

func TestRequestsThatCannotStartChangeNothing(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		kind   string
		status []int // any of these
		check  func(t *testing.T, r response)
	}{
		{"unknown container, htmx", "/containers/ghost/stop", htmx, []int{404}, func(t *testing.T, r response) {
			assertFlash(t, r, "No such container", "ghost")
		}},
		{"unknown container, json", "/containers/ghost/stop", api, []int{404}, func(t *testing.T, r response) {
			v := decode[apiError](t, r)
			if !strings.Contains(v.Error, "No such container") || !strings.Contains(v.Error, "ghost") || v.Container != nil {
				t.Errorf("error = %+v, want no such container ghost without a container", v)
			}
		}},
		{"unknown container, plain form", "/containers/ghost/stop", plain, []int{404}, func(t *testing.T, r response) {
			assertPage(t, r, "No such container")
		}},
		{"unknown operation, htmx", "/containers/web/kill", htmx, []int{400}, func(t *testing.T, r response) {
			assertFlash(t, r, "Bad request", `unknown operation &#34;kill&#34;`)
		}},
		{"unknown operation, json", "/containers/web/kill", api, []int{400}, func(t *testing.T, r response) {
			v := decode[apiError](t, r)
			if !strings.Contains(v.Error, `unknown operation "kill"`) {
				t.Errorf("error = %q, want it to name the unknown operation", v.Error)
			}
		}},
		{"unknown operation, plain form", "/containers/web/kill", plain, []int{400}, func(t *testing.T, r response) {
			assertPage(t, r, "Bad request")
		}},
		{"operation in upper case", "/containers/web/STOP", api, []int{400}, nil},
		{"name with an encoded slash", "/containers/..%2Fx/stop", api, []int{400, 404}, nil},
		{"name with an encoded slash, htmx", "/containers/..%2Fweb/stop", htmx, []int{400, 404}, func(t *testing.T, r response) {
			if r.header.Get("HX-Retarget") != "#flash" {
				t.Errorf("HX-Retarget = %q, want #flash", r.header.Get("HX-Retarget"))
			}
		}},
		{"name with spaces", "/containers/my%20web/stop", api, []int{400, 404}, nil},
		{"name starting with a dot", "/containers/.web/stop", api, []int{400, 404}, nil},
		{"name with a quote", "/containers/we%22b/stop", api, []int{400, 404}, nil},
		{"name too long", "/containers/" + strings.Repeat("a", 254) + "/stop", api, []int{400}, nil},
		{"stop a stopped container, htmx", "/containers/db/stop", htmx, []int{409}, func(t *testing.T, r response) {
			assertRow(t, r.body, "db", "stopped", false)
			if !strings.Contains(r.body, `data-testid="notice">cannot stop db while it is stopped<`) {
				t.Errorf("row has no notice saying db cannot be stopped:\n%s", r.body)
			}
		}},
		{"stop a stopped container, json", "/containers/db/stop", api, []int{409}, func(t *testing.T, r response) {
			v := decode[apiError](t, r)
			if !strings.Contains(v.Error, "cannot stop") || v.Container == nil || v.Container.State != "stopped" {
				t.Errorf("answer = %+v, want cannot stop with db stopped", v)
			}
		}},
		{"stop a stopped container, plain form", "/containers/db/stop", plain, []int{409}, func(t *testing.T, r response) {
			assertPage(t, r, "cannot stop db")
		}},
		{"start a running container", "/containers/web/start", api, []int{409}, func(t *testing.T, r response) {
			if v := decode[apiError](t, r); !strings.Contains(v.Error, "cannot start") {
				t.Errorf("error = %q, want cannot start", v.Error)
			}
		}},
		{"restart a stopped container", "/containers/db/restart", api, []int{409}, func(t *testing.T, r response) {
			if v := decode[apiError](t, r); !strings.Contains(v.Error, "cannot restart") {
				t.Errorf("error = %q, want cannot restart", v.Error)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fake.Running("web"), fake.Exited("db"))
			before := e.versions()

			r := e.post(tt.path, tt.kind)
			ok := false
			for _, s := range tt.status {
				ok = ok || r.status == s
			}
			if !ok {
				t.Fatalf("status = %d, want one of %v; body:\n%s", r.status, tt.status, r.body)
			}
			if tt.check != nil {
				tt.check(t, r)
			}

			e.waitIdle()
			if jobs := e.jobs(); len(jobs) != 0 {
				t.Errorf("jobs recorded: %+v", jobs)
			}
			after := e.versions()
			if fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("stored containers changed: %v → %v", before, after)
			}
			if calls := e.engine.OpCalls(); len(calls) != 0 {
				t.Errorf("engine got op calls %v", calls)
			}
		})
	}
}

// assertFlash checks an htmx error answer: a flash message retargeted to
// the top of the page.
func assertFlash(t *testing.T, r response, want ...string) {
	t.Helper()
	if got := r.header.Get("HX-Retarget"); got != "#flash" {
		t.Errorf("HX-Retarget = %q, want #flash", got)
	}
	if got := r.header.Get("HX-Reswap"); got != "innerHTML" {
		t.Errorf("HX-Reswap = %q, want innerHTML", got)
	}
	if !strings.HasPrefix(strings.TrimSpace(r.body), "<div") || !strings.Contains(r.body, `data-testid="flash"`) || !strings.Contains(r.body, `role="alert"`) {
		t.Errorf("answer is not the flash fragment:\n%s", r.body)
	}
	if strings.Contains(r.body, "<html") || strings.Contains(r.body, `role="row"`) {
		t.Errorf("flash answer carries more than the flash:\n%s", r.body)
	}
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Errorf("flash lacks %q:\n%s", w, r.body)
		}
	}
}

// assertPage checks a plain form's error answer: the whole page with a
// flash on top.
func assertPage(t *testing.T, r response, want string) {
	t.Helper()
	if !strings.HasPrefix(r.body, "<!doctype html>") {
		t.Errorf("answer is not a whole page:\n%s", r.body)
	}
	flash := regexp.MustCompile(`(?s)data-testid="flash">(.*?)</div>`).FindStringSubmatch(r.body)
	if flash == nil || !strings.Contains(flash[1], want) {
		t.Errorf("page has no flash with %q:\n%s", want, r.body)
	}
	if !strings.Contains(r.body, `id="row-web"`) {
		t.Errorf("error page does not list the containers:\n%s", r.body)
	}
}

func TestOperationOnAnUnscannedContainerNamesTheEngineProblem(t *testing.T) {
	unreachable := fmt.Errorf("%w: dial unix /test.sock: connect: connection refused", lifecycle.ErrUnreachable)
	tests := []struct {
		name   string
		setup  func(e *env)
		kind   string
		status int
		want   []string
	}{
		{"podman unreachable, json", func(e *env) { e.engine.Down(unreachable) }, api, 503,
			[]string{"Podman unreachable", "connection refused"}},
		{"podman unreachable, htmx", func(e *env) { e.engine.Down(unreachable) }, htmx, 503,
			[]string{"Podman unreachable", "dial unix /test.sock: connect: connection refused"}},
		{"podman unreachable, plain form", func(e *env) { e.engine.Down(unreachable) }, plain, 503,
			[]string{"Podman unreachable", "connection refused"}},
		{"podman too slow to answer", func(e *env) { e.hold("inspect", "newbie") }, api, 504,
			[]string{"Podman did not answer in time", "newbie"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, lifecycle.Config{LookupTimeout: 50 * time.Millisecond}, fake.Running("web"))
			e.engine.Put(fake.Running("newbie")) // exists in Podman, not scanned yet
			tt.setup(e)
			before := e.versions()

			r := e.post("/containers/newbie/stop", tt.kind)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d; body:\n%s", r.status, tt.status, r.body)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("answer lacks %q:\n%s", w, r.body)
				}
			}
			if tt.kind == htmx && r.header.Get("HX-Retarget") != "#flash" {
				t.Errorf("HX-Retarget = %q, want #flash", r.header.Get("HX-Retarget"))
			}
			if strings.Contains(r.body, "See the dashboard's log") {
				t.Errorf("an engine problem is hidden as an internal error:\n%s", r.body)
			}
			e.waitIdle()
			if jobs := e.jobs(); len(jobs) != 0 {
				t.Errorf("jobs recorded: %+v", jobs)
			}
			if after := e.versions(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("stored containers changed: %v → %v", before, after)
			}
			if calls := e.engine.OpCalls(); len(calls) != 0 {
				t.Errorf("engine got op calls %v", calls)
			}
		})
	}
}

func TestOperationOnAContainerTheScanHasNotSeenYetStarts(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	e.engine.Put(fake.Exited("late"))
	r := e.post("/containers/late/start", api)
	if r.status != http.StatusAccepted {
		t.Fatalf("status = %d, want 202; body:\n%s", r.status, r.body)
	}
	if c := decode[apiContainer](t, r); c.State != "starting" {
		t.Errorf("state = %q, want starting", c.State)
	}
	e.waitIdle()
	if c := e.container("late"); c.State != lifecycle.Running {
		t.Errorf("late is %s after the start, want running", c.State)
	}
}

func TestPagesListContainersFromTheDatabase(t *testing.T) {
	created := fake.Exited("fresh")
	created.EngineState = "created"
	paused := fake.Running("paused")
	paused.EngineState = "paused"
	e := newEnv(t, fake.Running("web"), fake.Exited("db"), created, paused)

	t.Run("the page", func(t *testing.T) {
		r := e.get("/")
		if r.status != http.StatusOK {
			t.Fatalf("status = %d, want 200", r.status)
		}
		if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		for _, want := range []string{
			"<!doctype html>", `sse-connect="/events?stream=containers"`, `id="rows"`, "Podman: unix:///test.sock",
			`id="row-web"`, `id="row-db"`, `id="row-fresh"`, `id="row-paused"`,
		} {
			if !strings.Contains(r.body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		for name, label := range map[string]string{"web": "Running", "db": "Stopped", "fresh": "Stopped", "paused": "Paused"} {
			row := rowOf(t, r.body, name)
			if !strings.Contains(row, `data-testid="state">`+label+`</span>`) {
				t.Errorf("row %s does not show %s:\n%s", name, label, row)
			}
		}
		if !strings.Contains(rowOf(t, r.body, "fresh"), `data-testid="status">Created<`) {
			t.Errorf("created container does not show Created")
		}
		if strings.Contains(r.body, `id="scan-error"`) || strings.Contains(r.body, `data-testid="flash"`) {
			t.Errorf("a healthy page shows an error")
		}
	})

	t.Run("the rows", func(t *testing.T) {
		r := e.get("/rows")
		if r.status != http.StatusOK {
			t.Fatalf("status = %d, want 200", r.status)
		}
		if !strings.HasPrefix(r.body, `<div id="rows"`) || strings.Contains(r.body, "<html") || strings.Contains(r.body, "sse-connect") {
			t.Errorf("answer is not #rows alone:\n%s", r.body)
		}
		if n := strings.Count(r.body, `role="row"`); n != 4 {
			t.Errorf("%d rows, want 4", n)
		}
		names := regexp.MustCompile(`data-name="([^"]*)"`).FindAllStringSubmatch(r.body, -1)
		var got []string
		for _, n := range names {
			got = append(got, n[1])
		}
		if strings.Join(got, ",") != "db,fresh,paused,web" {
			t.Errorf("rows = %v, want ordered by name", got)
		}
	})

	t.Run("the API", func(t *testing.T) {
		r := e.get("/api/containers")
		if r.status != http.StatusOK {
			t.Fatalf("status = %d, want 200", r.status)
		}
		cs := decode[[]apiContainer](t, r)
		want := []apiContainer{
			{Name: "db", Image: "localhost/db:latest", State: "stopped", PodmanState: "exited"},
			{Name: "fresh", Image: "localhost/fresh:latest", State: "stopped", PodmanState: "created"},
			{Name: "paused", Image: "localhost/paused:latest", State: "paused", PodmanState: "paused"},
			{Name: "web", Image: "localhost/web:latest", State: "running", PodmanState: "running"},
		}
		if len(cs) != len(want) {
			t.Fatalf("got %d containers, want %d: %+v", len(cs), len(want), cs)
		}
		for i, w := range want {
			c := cs[i]
			if c.Name != w.Name || c.Image != w.Image || c.State != w.State || c.PodmanState != w.PodmanState || c.Error != "" {
				t.Errorf("container %d = %+v, want %+v", i, c, w)
			}
			if c.ID != "id-"+w.Name || c.StopTimeout != 10 || c.Job != nil {
				t.Errorf("container %d = %+v, want id, stop timeout 10, no job", i, c)
			}
		}
		for _, field := range []string{`"name"`, `"image"`, `"state"`, `"podman_state"`, `"error"`} {
			if !strings.Contains(r.body, field) {
				t.Errorf("JSON lacks field %s", field)
			}
		}
	})
}

// rowOf returns the part of a page from name's row to the next row.
func rowOf(t *testing.T, page, name string) string {
	t.Helper()
	i := strings.Index(page, `<div id="row-`+name+`"`)
	if i < 0 {
		t.Fatalf("page has no row %s", name)
	}
	rest := page[i+1:]
	if j := strings.Index(rest, `<div id="row-`); j >= 0 {
		rest = rest[:j]
	}
	return page[i:i+1] + rest
}

func TestEmptyDashboardAnswersWithAnEmptyList(t *testing.T) {
	e := newEnv(t)
	if r := e.get("/api/containers"); r.status != http.StatusOK || strings.TrimSpace(r.body) != "[]" {
		t.Errorf("API = %d %q, want 200 []", r.status, r.body)
	}
	if r := e.get("/"); r.status != http.StatusOK || strings.Contains(r.body, `role="row" data-name`) {
		t.Errorf("page = %d, want 200 without rows", r.status)
	}
}

func TestPageWarnsWhenTheLastScanFailed(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	e.engine.Down(fmt.Errorf("%w: dial unix /test.sock: no such file", lifecycle.ErrUnreachable))
	if _, err := e.m.Scan(context.Background()); err == nil {
		t.Fatal("scan with the engine down worked")
	}
	r := e.get("/")
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", r.status)
	}
	if !strings.Contains(r.body, `id="scan-error"`) || !strings.Contains(r.body, "no such file") {
		t.Errorf("page does not say the scan failed:\n%s", r.body)
	}
	if !strings.Contains(r.body, `id="row-web"`) {
		t.Errorf("page does not keep showing the last known rows")
	}
}

func TestFailedOperationRevertsTheStateAndShowsTheError(t *testing.T) {
	tests := []struct {
		op, name  string
		err       error
		wantState string
		wantError string
	}{
		{"stop", "web", errors.New("stop web: container did not stop\nsecond line"), "running", "stop web: container did not stop\nsecond line"},
		{"restart", "web", errors.New("restart web: exit status 125"), "running", "restart web: exit status 125"},
		{"start", "db", errors.New("start db: OCI runtime error"), "stopped", "start db: OCI runtime error"},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			e := newEnv(t, fake.Running("web"), fake.Exited("db"))
			e.engine.Fail(lifecycle.Op(tt.op), tt.name, tt.err)

			r := e.post("/containers/"+tt.name+"/"+tt.op, api)
			if r.status != http.StatusAccepted {
				t.Fatalf("status = %d, want 202; body:\n%s", r.status, r.body)
			}
			e.waitIdle()

			var got *apiContainer
			for _, c := range decode[[]apiContainer](t, e.get("/api/containers")) {
				if c.Name == tt.name {
					got = &c
				}
			}
			if got == nil {
				t.Fatalf("%s missing from the API", tt.name)
			}
			if got.State != tt.wantState || got.Error != tt.wantError || got.Job != nil {
				t.Errorf("API shows %+v, want state %s, error %q, no job", *got, tt.wantState, tt.wantError)
			}
			jobs := e.jobs()
			if len(jobs) != 1 || jobs[0].Outcome != lifecycle.JobFailed || jobs[0].Error != tt.wantError {
				t.Errorf("jobs = %+v, want one failed job with the error", jobs)
			}

			page := e.get("/")
			row := rowOf(t, page.body, tt.name)
			if !strings.Contains(row, `data-testid="error"`) || !strings.Contains(row, "row-error") {
				t.Errorf("page row does not show the error:\n%s", row)
			}
			if !strings.Contains(row, `data-state="`+tt.wantState+`"`) {
				t.Errorf("page row is not back to %s:\n%s", tt.wantState, row)
			}

			// The next operation clears the error.
			e.engine.Fail(lifecycle.Op(tt.op), tt.name, nil)
			if r := e.post("/containers/"+tt.name+"/"+tt.op, api); r.status != http.StatusAccepted {
				t.Fatalf("retry: status %d, want 202", r.status)
			}
			e.waitIdle()
			if c := e.container(tt.name); c.Error != "" {
				t.Errorf("error after a successful retry = %q, want none", c.Error)
			}
		})
	}
}

func TestOperationOnAContainerThatVanishedRemovesIt(t *testing.T) {
	e := newEnv(t, fake.Running("web"), fake.Running("other"))
	release := e.hold(lifecycle.Stop, "web")
	if r := e.post("/containers/web/stop", htmx); r.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", r.status)
	}
	e.waitForOpCall("stop web")
	e.engine.Remove("web")
	release()
	e.waitIdle()
	cs := decode[[]apiContainer](t, e.get("/api/containers"))
	if len(cs) != 1 || cs[0].Name != "other" {
		t.Errorf("API lists %+v, want only other", cs)
	}
	if r := e.post("/containers/web/start", api); r.status != http.StatusNotFound {
		t.Errorf("start of the removed container: status %d, want 404", r.status)
	}
}
