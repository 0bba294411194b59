package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

func TestForceStopIsOfferedDuringAStopAndEndsIt(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("btc")))
	e.Hold(lifecycle.Stop, "btc")
	r := e.Post("/containers/btc/stop", htmx)
	row := r.Doc().Row("btc")
	kill, ok := row.Button("kill")
	if !ok || kill.Disabled || kill.Action != "/containers/btc/kill" {
		t.Fatalf("the stopping row offers no enabled force stop: %+v\n%s", kill, row.HTML())
	}
	if text := webtest.Text(row.TestID("force-stop")); !strings.Contains(text, "loses its clean shutdown") {
		t.Errorf("the force stop does not say what it costs: %q", text)
	}
	e.WaitCall("stop btc")
	r = e.Post("/containers/btc/kill", htmx)
	if r.Status != http.StatusOK || r.Doc().Row("btc").State() != "stopping" {
		t.Fatalf("kill during the stop: status %d:\n%s", r.Status, r.Body)
	}
	e.WaitIdle()
	if c := e.Container("btc"); c.State != lifecycle.Stopped {
		t.Errorf("after the kill: %s, want stopped", c.State)
	}
	// A plain form, without JavaScript, works too.
	e.Engine.Put(fake.Running("btc"))
	e.Scan()
	e.Hold(lifecycle.Stop, "btc")
	e.Post("/containers/btc/stop", plain)
	e.WaitCalls("stop btc", 2)
	if r := e.Post("/containers/btc/kill", plain); r.Status != http.StatusSeeOther {
		t.Errorf("plain kill: status %d", r.Status)
	}
	e.WaitIdle()
	if c := e.Container("btc"); c.State != lifecycle.Stopped {
		t.Errorf("after the plain kill: %s, want stopped", c.State)
	}
}

func TestScriptsChooseASignalAndAStopTimeout(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("a"), fake.Running("b")))
	if r := e.Post("/containers/a/kill?signal=SIGTERM", api); r.Status != http.StatusAccepted {
		t.Fatalf("kill with a signal: %d %s", r.Status, r.Body)
	}
	e.Hold(lifecycle.Stop, "b")
	r := e.Post("/containers/b/stop?timeout=30", api)
	if r.Status != http.StatusAccepted {
		t.Fatalf("stop with a timeout: %d %s", r.Status, r.Body)
	}
	if row := e.Get("/").Doc().Row("b"); !strings.Contains(webtest.Text(row.Selection), "SIGKILL in 30 s") && !strings.Contains(webtest.Text(row.Selection), "SIGKILL in 29 s") {
		t.Errorf("the row does not count down from the chosen 30 s:\n%s", row.HTML())
	}
	for _, bad := range []string{"/containers/a/kill?signal=SIGNOPE", "/containers/a/stop?timeout=soon", "/containers/a/stop?timeout=-1", "/containers/a/start?timeout=5", "/containers/a/stop?signal=SIGTERM"} {
		if r := e.Post(bad, api); r.Status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400: %s", bad, r.Status, r.Body)
		}
	}
	if log := e.Incidents(); !strings.Contains(log, "SIGTERM") || !strings.Contains(log, "stop timeout 30 s") {
		t.Errorf("incident log:\n%s", log)
	}
}

func TestAStopBegunOutsideShowsAsSuchAndOffersStopAndForceStop(t *testing.T) {
	o := fake.Running("shell")
	o.EngineState = "stopping"
	e := webtest.New(t, webtest.Containers(o))
	row := e.Get("/").Doc().Row("shell")
	if row.Label() != "Stopping… (outside podboard)" {
		t.Errorf("label %q", row.Label())
	}
	for _, op := range []string{"stop", "kill"} {
		if b, ok := row.Button(op); !ok || b.Disabled {
			t.Errorf("%s not offered: %+v\n%s", op, b, row.HTML())
		}
	}
	c, ok := e.APIContainer("shell")
	if !ok || c.State != "stopping" || c.Job != nil {
		t.Errorf("API: %+v, want stopping with no job", c)
	}
	if r := e.Post("/containers/shell/kill", api); r.Status != http.StatusAccepted {
		t.Fatalf("kill: %d %s", r.Status, r.Body)
	}
	e.WaitIdle()
	if c := e.Container("shell"); c.State != lifecycle.Stopped {
		t.Errorf("after the kill: %s", c.State)
	}
}

func TestHealthShowsInTheRowTheAPIAndTheUnhealthyView(t *testing.T) {
	sick, well, plain := fake.Running("sick"), fake.Running("well"), fake.Running("plain")
	sick.Health, well.Health = lifecycle.Unhealthy, lifecycle.Healthy
	off := fake.Exited("off")
	off.Health = lifecycle.Unhealthy // Podman's last verdict before it stopped
	e := newEnv(t, sick, well, plain, off)
	d := e.Get("/").Doc()
	for name, want := range map[string]string{"sick": "unhealthy", "well": "healthy", "plain": "", "off": ""} {
		row := d.Row(name)
		if got := webtest.Text(row.TestID("health")); got != want {
			t.Errorf("%s shows health %q, want %q", name, got, want)
		}
		if got := row.AttrOr("data-health", ""); got != want {
			t.Errorf("%s: data-health %q, want %q", name, got, want)
		}
		c, _ := e.APIContainer(name)
		if got := ""; c.Health != nil {
			got = *c.Health
			if got != want {
				t.Errorf("API health of %s = %q, want %q", name, got, want)
			}
		} else if want != "" {
			t.Errorf("API health of %s = null, want %q", name, want)
		}
	}
	if !d.Row("sick").HasClass("row-unhealthy") {
		t.Errorf("the unhealthy row is not marked:\n%s", d.Row("sick").HTML())
	}
	if got := d.Text("unhealthy-count"); got != "1 unhealthy" {
		t.Errorf("unhealthy count %q", got)
	}
	// The view of unhealthy containers, without JavaScript too.
	v := e.Get("/?show=unhealthy").Doc()
	for _, row := range v.Rows() {
		_, hidden := row.Attr("hidden")
		if hidden != (row.Name() != "sick") {
			t.Errorf("view unhealthy: %s hidden=%v", row.Name(), hidden)
		}
	}
	if r := e.Get("/?show=nosuch"); r.Status != http.StatusBadRequest {
		t.Errorf("unknown view: status %d, want 400", r.Status)
	}
}

func TestAStartedContainerSaysHealthStartingUntilItsFirstCheck(t *testing.T) {
	o := fake.Exited("web")
	o.Health = lifecycle.Unhealthy
	e := newEnv(t, o)
	e.Post("/containers/web/start", api)
	e.WaitIdle()
	row := e.Get("/").Doc().Row("web")
	if got := webtest.Text(row.Find("[role=cell] .state-now")); !strings.HasPrefix(got, "Running · health starting") {
		t.Errorf("after the start the row says %q, want Running · health starting", got)
	}
	e.Engine.SetHealth("web", lifecycle.Healthy)
	e.Scan()
	if got := webtest.Text(e.Get("/").Doc().Row("web").TestID("health")); got != "healthy" {
		t.Errorf("after the first check: %q", got)
	}
}
