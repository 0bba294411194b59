package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

// The three clients of an action, as the tables below name them.
const (
	htmx  = webtest.HTMX
	plain = webtest.Form
	api   = webtest.JSON
)

type response = webtest.Response

func newEnv(t *testing.T, cs ...lifecycle.Observed) *webtest.Env {
	t.Helper()
	return webtest.New(t, webtest.Containers(cs...))
}

// assertRow checks that r is exactly one row fragment for name in state,
// answering the request (not out of band), with every button disabled when
// disabled is true. It returns the row for further checks.
func assertRow(t *testing.T, r response, name, state string, disabled bool) webtest.Row {
	t.Helper()
	d := r.Doc()
	if d.IsPage() {
		t.Errorf("answer is a whole page, want the row fragment:\n%s", r.Body)
	}
	if top := d.Top(); top.Length() != 1 || !top.Is("[role=row]") {
		t.Errorf("answer is not one row alone (%d top-level elements):\n%s", top.Length(), r.Body)
	}
	if n := d.Find("[role=row]").Length(); n != 1 {
		t.Errorf("answer has %d rows, want 1:\n%s", n, r.Body)
	}
	row := d.Row(name)
	if row.ID() != webtest.RowID(name) {
		t.Errorf("row id = %q, want %q", row.ID(), webtest.RowID(name))
	}
	if row.State() != state {
		t.Errorf("row is in state %q, want %s:\n%s", row.State(), state, row.HTML())
	}
	if d.Has("[hx-swap-oob]") {
		t.Errorf("a row answering the request must not be out of band:\n%s", r.Body)
	}
	buttons := row.Buttons()
	if len(buttons) == 0 {
		t.Errorf("row has no buttons:\n%s", row.HTML())
	}
	for _, b := range buttons {
		if b.Op == "kill" {
			continue // the way out of a stop or restart is never disabled
		}
		if b.Disabled != disabled {
			t.Errorf("button %s: disabled = %v, want %v", b.Op, b.Disabled, disabled)
		}
	}
	return row
}

func TestStopAnswersAtOnceWithTheStoppingStateWhileTheEngineStillWorks(t *testing.T) {
	tests := []struct {
		kind  webtest.Kind
		check func(t *testing.T, r response)
	}{
		{htmx, func(t *testing.T, r response) {
			if r.Status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body:\n%s", r.Status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want text/html", ct)
			}
			row := assertRow(t, r, "web", "stopping", true)
			if got := row.Label(); got != "Stopping…" {
				t.Errorf("state label = %q, want Stopping…", got)
			}
			badge := row.TestID("state")
			if !badge.HasClass("badge-transition") || badge.Find(".spinner").Length() != 1 {
				t.Errorf("state badge is not a transition with a spinner:\n%s", row.HTML())
			}
			if !strings.Contains(webtest.Text(row.Selection), "SIGKILL in 10 s") {
				t.Errorf("row does not count down to Podman's SIGKILL:\n%s", row.HTML())
			}
			for _, op := range []string{"stop", "restart"} {
				if _, ok := row.Button(op); !ok {
					t.Errorf("row has no %s button: %v", op, row.Ops())
				}
			}
		}},
		{plain, func(t *testing.T, r response) {
			if r.Status != http.StatusSeeOther {
				t.Fatalf("status = %d, want 303; body:\n%s", r.Status, r.Body)
			}
			if loc := r.Header.Get("Location"); loc != "/" {
				t.Errorf("Location = %q, want /", loc)
			}
		}},
		{api, func(t *testing.T, r response) {
			if r.Status != http.StatusAccepted {
				t.Fatalf("status = %d, want 202; body:\n%s", r.Status, r.Body)
			}
			c := webtest.Decode[webtest.APIContainer](t, r)
			if c.Name != "web" || c.State != "stopping" || c.Error != "" {
				t.Errorf("answer = %+v, want web stopping without error", c)
			}
			if c.Job == nil || c.Job.Op != "stop" || c.Job.PrevState != "running" {
				t.Errorf("answer job = %+v, want the stop from running", c.Job)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			e := newEnv(t, fake.Running("web"), fake.Exited("db"))
			release := e.Hold(lifecycle.Stop, "web")

			r := e.Post("/containers/web/stop", tt.kind)
			tt.check(t, r)

			// The engine is still holding the stop: the answer did not wait.
			e.WaitCall("stop web")
			if got := e.Container("web").State; got != lifecycle.Stopping {
				t.Errorf("stored state while the engine works = %s, want stopping", got)
			}
			if n := len(e.Manager.Running()); n != 1 {
				t.Errorf("%d jobs running, want 1", n)
			}
			if s := e.Engine.State("web"); s != "running" {
				t.Errorf("engine state before release = %q, want running", s)
			}

			release()
			e.WaitIdle()
			c := e.Container("web")
			if c.State != lifecycle.Stopped || c.EngineState != "exited" || c.Busy() {
				t.Errorf("after the engine finished: state %s (%s), busy %v; want stopped (exited), idle", c.State, c.EngineState, c.Busy())
			}
			jobs := e.Jobs()
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
		kind  webtest.Kind
		op    string
		check func(t *testing.T, r response)
	}{
		{htmx, "stop", func(t *testing.T, r response) {
			row := assertRow(t, r, "web", "stopping", true)
			if !strings.Contains(row.Notice(), "already") {
				t.Errorf("notice = %q, want it to say the operation already runs", row.Notice())
			}
			if r.Header.Get("HX-Retarget") != "" {
				t.Errorf("a conflict must replace the clicked row, not retarget to %q", r.Header.Get("HX-Retarget"))
			}
		}},
		{htmx, "restart", func(t *testing.T, r response) {
			row := assertRow(t, r, "web", "stopping", true)
			if got := row.Notice(); got != "web is already Stopping…" {
				t.Errorf("notice = %q, want web is already Stopping…", got)
			}
		}},
		{api, "stop", func(t *testing.T, r response) {
			v := webtest.Decode[webtest.APIError](t, r)
			if !strings.Contains(v.Error, "already") {
				t.Errorf("error = %q, want it to say the operation already runs", v.Error)
			}
			if v.Container == nil || v.Container.Name != "web" || v.Container.State != "stopping" {
				t.Errorf("container = %+v, want web stopping", v.Container)
			}
		}},
		{plain, "stop", func(t *testing.T, r response) {
			d := r.Doc()
			if !d.IsPage() {
				t.Errorf("plain form did not get the whole page:\n%s", r.Body)
			}
			if flash := d.Flash(); !strings.Contains(flash, "Operation already running") || !strings.Contains(flash, "already Stopping") {
				t.Errorf("flash = %q, want it to say the operation already runs", flash)
			}
			if row, ok := d.FindRow("web"); !ok || row.State() != "stopping" {
				t.Errorf("page does not list web as stopping: %v", d.RowNames())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+" "+tt.op, func(t *testing.T) {
			e := newEnv(t, fake.Running("web"))
			release := e.Hold(lifecycle.Stop, "web")
			if r := e.Post("/containers/web/stop", api); r.Status != http.StatusAccepted {
				t.Fatalf("first stop: status %d, want 202; body:\n%s", r.Status, r.Body)
			}
			e.WaitCall("stop web")
			version := e.Container("web").Version

			r := e.Post("/containers/web/"+tt.op, tt.kind)
			if r.Status != http.StatusConflict {
				t.Fatalf("second %s: status %d, want 409; body:\n%s", tt.op, r.Status, r.Body)
			}
			tt.check(t, r)
			if v := e.Container("web").Version; v != version {
				t.Errorf("refused request wrote the row: version %d → %d", version, v)
			}
			if n := len(e.Jobs()); n != 1 {
				t.Errorf("%d jobs recorded, want only the first", n)
			}

			release()
			e.WaitIdle()
			if calls := e.Engine.OpCalls(); len(calls) != 1 || calls[0] != "stop web" {
				t.Errorf("engine op calls = %v, want only the first stop", calls)
			}
		})
	}
}

func TestRequestsThatCannotStartChangeNothing(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		kind   webtest.Kind
		status []int // any of these
		check  func(t *testing.T, r response)
	}{
		{"unknown container, htmx", "/containers/ghost/stop", htmx, []int{404}, func(t *testing.T, r response) {
			assertFlash(t, r, "No such container", "ghost")
		}},
		{"unknown container, json", "/containers/ghost/stop", api, []int{404}, func(t *testing.T, r response) {
			v := webtest.Decode[webtest.APIError](t, r)
			if !strings.Contains(v.Error, "No such container") || !strings.Contains(v.Error, "ghost") || v.Container != nil {
				t.Errorf("error = %+v, want no such container ghost without a container", v)
			}
		}},
		{"unknown container, plain form", "/containers/ghost/stop", plain, []int{404}, func(t *testing.T, r response) {
			assertPage(t, r, "No such container")
		}},
		{"unknown operation, htmx", "/containers/web/nuke", htmx, []int{400}, func(t *testing.T, r response) {
			assertFlash(t, r, "Bad request", `unknown operation "nuke"`)
		}},
		{"unknown operation, json", "/containers/web/nuke", api, []int{400}, func(t *testing.T, r response) {
			v := webtest.Decode[webtest.APIError](t, r)
			if !strings.Contains(v.Error, `unknown operation "nuke"`) {
				t.Errorf("error = %q, want it to name the unknown operation", v.Error)
			}
		}},
		{"unknown operation, plain form", "/containers/web/nuke", plain, []int{400}, func(t *testing.T, r response) {
			assertPage(t, r, "Bad request")
		}},
		{"operation in upper case", "/containers/web/STOP", api, []int{400}, nil},
		{"name with an encoded slash", "/containers/..%2Fx/stop", api, []int{400, 404}, nil},
		{"name with an encoded slash, htmx", "/containers/..%2Fweb/stop", htmx, []int{400, 404}, func(t *testing.T, r response) {
			if r.Header.Get("HX-Retarget") != "#flash" {
				t.Errorf("HX-Retarget = %q, want #flash", r.Header.Get("HX-Retarget"))
			}
		}},
		{"name with spaces", "/containers/my%20web/stop", api, []int{400, 404}, nil},
		{"name starting with a dot", "/containers/.web/stop", api, []int{400, 404}, nil},
		{"name with a quote", "/containers/we%22b/stop", api, []int{400, 404}, nil},
		{"name too long", "/containers/" + strings.Repeat("a", 254) + "/stop", api, []int{400}, nil},
		{"stop a stopped container, htmx", "/containers/db/stop", htmx, []int{409}, func(t *testing.T, r response) {
			row := assertRow(t, r, "db", "stopped", false)
			if got := row.Notice(); got != "cannot stop db while it is stopped" {
				t.Errorf("notice = %q, want cannot stop db while it is stopped", got)
			}
		}},
		{"stop a stopped container, json", "/containers/db/stop", api, []int{409}, func(t *testing.T, r response) {
			v := webtest.Decode[webtest.APIError](t, r)
			if !strings.Contains(v.Error, "cannot stop") || v.Container == nil || v.Container.State != "stopped" {
				t.Errorf("answer = %+v, want cannot stop with db stopped", v)
			}
		}},
		{"stop a stopped container, plain form", "/containers/db/stop", plain, []int{409}, func(t *testing.T, r response) {
			assertPage(t, r, "cannot stop db")
		}},
		{"start a running container", "/containers/web/start", api, []int{409}, func(t *testing.T, r response) {
			if v := webtest.Decode[webtest.APIError](t, r); !strings.Contains(v.Error, "cannot start") {
				t.Errorf("error = %q, want cannot start", v.Error)
			}
		}},
		{"restart a stopped container", "/containers/db/restart", api, []int{409}, func(t *testing.T, r response) {
			if v := webtest.Decode[webtest.APIError](t, r); !strings.Contains(v.Error, "cannot restart") {
				t.Errorf("error = %q, want cannot restart", v.Error)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, fake.Running("web"), fake.Exited("db"))
			before := e.Versions()

			r := e.Post(tt.path, tt.kind)
			if !slices.Contains(tt.status, r.Status) {
				t.Fatalf("status = %d, want one of %v; body:\n%s", r.Status, tt.status, r.Body)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			assertNothingChanged(t, e, before)
		})
	}
}

// assertNothingChanged checks that a refused request started no job, wrote
// no row and called no engine operation.
func assertNothingChanged(t *testing.T, e *webtest.Env, before map[string]int64) {
	t.Helper()
	e.WaitIdle()
	if jobs := e.Jobs(); len(jobs) != 0 {
		t.Errorf("jobs recorded: %+v", jobs)
	}
	if after := e.Versions(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("stored containers changed: %v → %v", before, after)
	}
	if calls := e.Engine.OpCalls(); len(calls) != 0 {
		t.Errorf("engine got op calls %v", calls)
	}
}

// assertFlash checks an htmx error answer: a flash message alone,
// retargeted to the top of the page.
func assertFlash(t *testing.T, r response, want ...string) {
	t.Helper()
	if got := r.Header.Get("HX-Retarget"); got != "#flash" {
		t.Errorf("HX-Retarget = %q, want #flash", got)
	}
	if got := r.Header.Get("HX-Reswap"); got != "innerHTML" {
		t.Errorf("HX-Reswap = %q, want innerHTML", got)
	}
	d := r.Doc()
	if top := d.Top(); d.IsPage() || top.Length() != 1 || !top.Is(`div[data-testid=flash][role=alert]`) {
		t.Errorf("answer is not the flash fragment alone:\n%s", r.Body)
	}
	if d.Has("[role=row]") {
		t.Errorf("flash answer carries a row:\n%s", r.Body)
	}
	flash := d.Flash()
	for _, w := range want {
		if !strings.Contains(flash, w) {
			t.Errorf("flash %q lacks %q", flash, w)
		}
	}
}

// assertPage checks a plain form's error answer: the whole page with a
// flash on top.
func assertPage(t *testing.T, r response, want string) {
	t.Helper()
	d := r.Doc()
	if !d.IsPage() {
		t.Errorf("answer is not a whole page:\n%s", r.Body)
	}
	if flash := d.Flash(); !strings.Contains(flash, want) {
		t.Errorf("flash = %q, want it to contain %q", flash, want)
	}
	if _, ok := d.FindRow("web"); !ok {
		t.Errorf("error page does not list the containers: %v", d.RowNames())
	}
}

func TestOperationOnAnUnscannedContainerNamesTheEngineProblem(t *testing.T) {
	unreachable := fmt.Errorf("%w: dial unix /test.sock: connect: connection refused", lifecycle.ErrUnreachable)
	tests := []struct {
		name   string
		setup  func(e *webtest.Env)
		kind   webtest.Kind
		status int
		want   []string
	}{
		{"podman unreachable, json", func(e *webtest.Env) { e.Engine.Down(unreachable) }, api, 503,
			[]string{"Podman unreachable", "connection refused"}},
		{"podman unreachable, htmx", func(e *webtest.Env) { e.Engine.Down(unreachable) }, htmx, 503,
			[]string{"Podman unreachable", "dial unix /test.sock: connect: connection refused"}},
		{"podman unreachable, plain form", func(e *webtest.Env) { e.Engine.Down(unreachable) }, plain, 503,
			[]string{"Podman unreachable", "connection refused"}},
		{"podman too slow to answer", func(e *webtest.Env) { e.Hold("inspect", "newbie") }, api, 504,
			[]string{"Podman did not answer in time", "newbie"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := webtest.New(t, webtest.Config(lifecycle.Config{LookupTimeout: 50 * time.Millisecond}), webtest.Containers(fake.Running("web")))
			e.Engine.Put(fake.Running("newbie")) // exists in Podman, not scanned yet
			tt.setup(e)
			before := e.Versions()

			r := e.Post("/containers/newbie/stop", tt.kind)
			if r.Status != tt.status {
				t.Fatalf("status = %d, want %d; body:\n%s", r.Status, tt.status, r.Body)
			}
			shown := ""
			switch tt.kind {
			case api:
				shown = webtest.Decode[webtest.APIError](t, r).Error
			case htmx:
				assertFlash(t, r)
				shown = r.Doc().Flash()
			default:
				assertPage(t, r, "Podman")
				shown = r.Doc().Flash()
			}
			for _, w := range tt.want {
				if !strings.Contains(shown, w) {
					t.Errorf("answer %q lacks %q", shown, w)
				}
			}
			if strings.Contains(shown, "See the dashboard's log") {
				t.Errorf("an engine problem is hidden as an internal error: %q", shown)
			}
			assertNothingChanged(t, e, before)
		})
	}
}

func TestOperationOnAContainerTheScanHasNotSeenYetStarts(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	e.Engine.Put(fake.Exited("late"))
	r := e.Post("/containers/late/start", api)
	if r.Status != http.StatusAccepted {
		t.Fatalf("status = %d, want 202; body:\n%s", r.Status, r.Body)
	}
	if c := webtest.Decode[webtest.APIContainer](t, r); c.State != "starting" {
		t.Errorf("state = %q, want starting", c.State)
	}
	e.WaitIdle()
	if c := e.Container("late"); c.State != lifecycle.Running {
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
		r := e.Get("/")
		if r.Status != http.StatusOK {
			t.Fatalf("status = %d, want 200", r.Status)
		}
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		d := r.Doc()
		if !d.IsPage() {
			t.Errorf("answer is not a whole page")
		}
		for _, sel := range []string{`[hx-ext=sse][sse-connect="/events?stream=containers"]`, "#rows", "#flash", "#toasts"} {
			if !d.Has(sel) {
				t.Errorf("page has no %s", sel)
			}
		}
		if text := webtest.Text(d.Find("main")); !strings.Contains(text, "Podman: unix:///test.sock") {
			t.Errorf("page does not name the engine it reads")
		}
		for name, label := range map[string]string{"web": "Running", "db": "Stopped", "fresh": "Stopped", "paused": "Paused"} {
			if got := d.Row(name).Label(); got != label {
				t.Errorf("row %s shows %q, want %s", name, got, label)
			}
		}
		if got := d.Row("fresh").Status(); got != "Created" {
			t.Errorf("created container's status = %q, want Created", got)
		}
		if d.TestID("scan-error").Length() != 0 || d.Flash() != "" {
			t.Errorf("a healthy page shows an error")
		}
	})

	t.Run("the rows", func(t *testing.T) {
		r := e.Get("/rows")
		if r.Status != http.StatusOK {
			t.Fatalf("status = %d, want 200", r.Status)
		}
		d := r.Doc()
		if top := d.Top(); d.IsPage() || top.Length() != 1 || !top.Is("#rows") || d.Has("[sse-connect]") {
			t.Errorf("answer is not #rows alone:\n%s", r.Body)
		}
		if got := strings.Join(d.RowNames(), ","); got != "db,fresh,paused,web" {
			t.Errorf("rows = %s, want the four ordered by name", got)
		}
	})

	t.Run("the API", func(t *testing.T) {
		r := e.Get("/api/containers")
		if r.Status != http.StatusOK {
			t.Fatalf("status = %d, want 200", r.Status)
		}
		cs := webtest.Decode[[]webtest.APIContainer](t, r)
		want := []webtest.APIContainer{
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
			if !strings.Contains(r.Body, field) {
				t.Errorf("JSON lacks field %s", field)
			}
		}
	})
}

func TestEmptyDashboardAnswersWithAnEmptyList(t *testing.T) {
	e := newEnv(t)
	if r := e.Get("/api/containers"); r.Status != http.StatusOK || strings.TrimSpace(r.Body) != "[]" {
		t.Errorf("API = %d %q, want 200 []", r.Status, r.Body)
	}
	r := e.Get("/")
	if rows := r.Doc().Rows(); r.Status != http.StatusOK || len(rows) != 0 {
		t.Errorf("page = %d with %d rows, want 200 without rows", r.Status, len(rows))
	}
}

func TestPageWarnsWhenTheLastScanFailed(t *testing.T) {
	e := newEnv(t, fake.Running("web"))
	e.Engine.Down(fmt.Errorf("%w: dial unix /test.sock: no such file", lifecycle.ErrUnreachable))
	if _, err := e.Manager.Scan(context.Background()); err == nil {
		t.Fatal("scan with the engine down worked")
	}
	r := e.Get("/")
	if r.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200", r.Status)
	}
	d := r.Doc()
	if warning := d.Text("scan-error"); !strings.Contains(warning, "no such file") {
		t.Errorf("scan warning = %q, want it to say why the scan failed", warning)
	}
	if _, ok := d.FindRow("web"); !ok {
		t.Errorf("page does not keep showing the last known rows: %v", d.RowNames())
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
			e.Engine.Fail(lifecycle.Op(tt.op), tt.name, tt.err)

			r := e.Post("/containers/"+tt.name+"/"+tt.op, api)
			if r.Status != http.StatusAccepted {
				t.Fatalf("status = %d, want 202; body:\n%s", r.Status, r.Body)
			}
			e.WaitIdle()

			got, ok := e.APIContainer(tt.name)
			if !ok {
				t.Fatalf("%s missing from the API", tt.name)
			}
			if got.State != tt.wantState || got.Error != tt.wantError || got.Job != nil {
				t.Errorf("API shows %+v, want state %s, error %q, no job", got, tt.wantState, tt.wantError)
			}
			jobs := e.Jobs()
			if len(jobs) != 1 || jobs[0].Outcome != lifecycle.JobFailed || jobs[0].Error != tt.wantError {
				t.Errorf("jobs = %+v, want one failed job with the error", jobs)
			}

			row := e.Get("/").Doc().Row(tt.name)
			if !row.HasError() || row.Error() != tt.wantError {
				t.Errorf("page row shows error %q, want %q:\n%s", row.Error(), tt.wantError, row.HTML())
			}
			if row.State() != tt.wantState {
				t.Errorf("page row is %s, want back to %s", row.State(), tt.wantState)
			}

			// The next operation clears the error.
			e.Engine.Fail(lifecycle.Op(tt.op), tt.name, nil)
			if r := e.Post("/containers/"+tt.name+"/"+tt.op, api); r.Status != http.StatusAccepted {
				t.Fatalf("retry: status %d, want 202", r.Status)
			}
			e.WaitIdle()
			if c := e.Container(tt.name); c.Error != "" {
				t.Errorf("error after a successful retry = %q, want none", c.Error)
			}
		})
	}
}

func TestOperationOnAContainerThatVanishedRemovesIt(t *testing.T) {
	e := newEnv(t, fake.Running("web"), fake.Running("other"))
	release := e.Hold(lifecycle.Stop, "web")
	if r := e.Post("/containers/web/stop", htmx); r.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200", r.Status)
	}
	e.WaitCall("stop web")
	e.Engine.Remove("web")
	release()
	e.WaitIdle()
	if cs := e.API(); len(cs) != 1 || cs[0].Name != "other" {
		t.Errorf("API lists %+v, want only other", cs)
	}
	if r := e.Post("/containers/web/start", api); r.Status != http.StatusNotFound {
		t.Errorf("start of the removed container: status %d, want 404", r.Status)
	}
}
