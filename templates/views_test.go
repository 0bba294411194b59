package templates_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"

	"podboard/lifecycle"
	"podboard/templates"
	"podboard/web/webtest"
)

var now = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// rowOf renders c's row as the answer to a request and returns it parsed.
func rowOf(t *testing.T, c lifecycle.Container) webtest.Row {
	t.Helper()
	return webtest.Render(t, templates.RowItem(templates.NewRow(c, now), false)).Row(c.Name)
}

func TestNewRowShowsEachStateWithItsBadgeLabelStatusAndActions(t *testing.T) {
	job := &lifecycle.Job{ID: 7, Op: lifecycle.Stop, StartedAt: now.Add(-4 * time.Second)}
	tests := []struct {
		name        string
		c           lifecycle.Container
		badge       string
		label       string
		status      string // "" when the row shows the elapsed time instead
		actions     []string
		disabled    bool
		spinner     bool
		stopTimeout string
		force       bool // a force stop is offered
	}{
		{
			name:    "running for three hours",
			c:       lifecycle.Container{Name: "web", State: lifecycle.Running, EngineState: "running", StartedAt: now.Add(-3 * time.Hour), StopTimeout: 10},
			badge:   "badge-running",
			label:   "Running",
			status:  "Up 3 hours",
			actions: []string{"stop", "restart"},
		},
		{
			name:    "just started reads as a sentence",
			c:       lifecycle.Container{Name: "web", State: lifecycle.Running, EngineState: "running", StartedAt: now.Add(-300 * time.Millisecond)},
			badge:   "badge-running",
			label:   "Running",
			status:  "Up less than a second",
			actions: []string{"stop", "restart"},
		},
		{
			name:    "running with an unknown start time",
			c:       lifecycle.Container{Name: "web", State: lifecycle.Running, EngineState: "running"},
			badge:   "badge-running",
			label:   "Running",
			status:  "Up",
			actions: []string{"stop", "restart"},
		},
		{
			name:    "exited two minutes ago",
			c:       lifecycle.Container{Name: "db", State: lifecycle.Stopped, EngineState: "exited", FinishedAt: now.Add(-2 * time.Minute)},
			badge:   "badge-stopped",
			label:   "Stopped",
			status:  "Exited (0) 2 minutes ago",
			actions: []string{"start"},
		},
		{
			name:    "killed with exit code 137",
			c:       lifecycle.Container{Name: "db", State: lifecycle.Stopped, EngineState: "exited", ExitCode: 137, FinishedAt: now.Add(-26 * time.Hour)},
			badge:   "badge-stopped",
			label:   "Stopped",
			status:  "Exited (137) 26 hours ago",
			actions: []string{"start"},
		},
		{
			name:    "created and never started",
			c:       lifecycle.Container{Name: "new", State: lifecycle.Stopped, EngineState: "created", CreatedAt: now.Add(-time.Hour)},
			badge:   "badge-stopped",
			label:   "Stopped",
			status:  "Created",
			actions: []string{"start"},
		},
		{
			name:    "paused",
			c:       lifecycle.Container{Name: "p", State: lifecycle.Paused, EngineState: "paused", StartedAt: now.Add(-3 * time.Hour)},
			badge:   "badge-paused",
			label:   "Paused",
			status:  "Up 3 hours (Paused)",
			actions: []string{"stop"},
		},
		{
			name: "stopping a running container",
			c: lifecycle.Container{Name: "web", State: lifecycle.Stopping, EngineState: "running", PrevState: lifecycle.Running,
				JobID: 7, Job: job, StopTimeout: 600},
			badge:       "badge-transition",
			label:       "Stopping…",
			actions:     []string{"stop", "restart"},
			disabled:    true,
			spinner:     true,
			stopTimeout: "600 s",
			force:       true,
		},
		{
			name: "starting a stopped container",
			c: lifecycle.Container{Name: "db", State: lifecycle.Starting, EngineState: "exited", PrevState: lifecycle.Stopped,
				JobID: 7, Job: job},
			badge:    "badge-transition",
			label:    "Starting…",
			actions:  []string{"start"},
			disabled: true,
			spinner:  true,
		},
		{
			name: "restarting a running container",
			c: lifecycle.Container{Name: "web", State: lifecycle.Restarting, EngineState: "running", PrevState: lifecycle.Running,
				JobID: 7, Job: job, StopTimeout: 10},
			badge:       "badge-transition",
			label:       "Restarting…",
			actions:     []string{"stop", "restart"},
			disabled:    true,
			spinner:     true,
			stopTimeout: "10 s",
			force:       true,
		},
		{
			name:    "stopping outside the dashboard, with no job",
			c:       lifecycle.Container{Name: "ext", State: lifecycle.Stopping, EngineState: "stopping"},
			badge:   "badge-transition",
			label:   "Stopping… (outside podboard)",
			status:  "Stopping…",
			spinner: true,
			// Podman lets a second stop join, and a kill end it.
			actions: []string{"stop"},
			force:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := templates.NewRow(tt.c, now)
			if row.BadgeClass != tt.badge {
				t.Errorf("BadgeClass = %q, want %q", row.BadgeClass, tt.badge)
			}
			if row.StateLabel != tt.label {
				t.Errorf("StateLabel = %q, want %q", row.StateLabel, tt.label)
			}
			if row.State != string(tt.c.State) {
				t.Errorf("State = %q, want %q", row.State, tt.c.State)
			}
			if tt.status != "" && row.Status != tt.status {
				t.Errorf("Status = %q, want %q", row.Status, tt.status)
			}
			if row.Transitional != tt.spinner {
				t.Errorf("Transitional = %v, want %v", row.Transitional, tt.spinner)
			}
			var ops []string
			for _, a := range row.Actions {
				ops = append(ops, a.Op)
				if a.Disabled != tt.disabled {
					t.Errorf("action %s Disabled = %v, want %v", a.Op, a.Disabled, tt.disabled)
				}
				if want := "/containers/" + tt.c.Name + "/" + a.Op; a.URL != want {
					t.Errorf("action %s URL = %q, want %q", a.Op, a.URL, want)
				}
			}
			if strings.Join(ops, ",") != strings.Join(tt.actions, ",") {
				t.Errorf("actions = %v, want %v", ops, tt.actions)
			}

			d := webtest.Render(t, templates.RowItem(row, false))
			r := d.Row(tt.c.Name)
			if r.ID() != "row-"+tt.c.Name {
				t.Errorf("row id = %q, want row-%s:\n%s", r.ID(), tt.c.Name, r.HTML())
			}
			if r.State() != string(tt.c.State) {
				t.Errorf("row data-state = %q, want %q:\n%s", r.State(), tt.c.State, r.HTML())
			}
			if d.Has("[hx-swap-oob]") {
				t.Errorf("a row answered to a request must not be out of band:\n%s", r.HTML())
			}
			badge := r.TestID("state")
			if badge.Length() != 1 {
				t.Fatalf("%d state badges, want 1:\n%s", badge.Length(), r.HTML())
			}
			if !badge.HasClass(tt.badge) || r.Label() != tt.label {
				t.Errorf("state badge is %q %q, want badge %q label %q:\n%s", badge.AttrOr("class", ""), r.Label(), tt.badge, tt.label, r.HTML())
			}
			if got := badge.Find(".spinner").Length() > 0; got != tt.spinner {
				t.Errorf("spinner in the state badge = %v, want %v", got, tt.spinner)
			}
			if tt.status != "" && r.Status() != tt.status {
				t.Errorf("row shows status %q, want %q:\n%s", r.Status(), tt.status, r.HTML())
			}
			if tt.c.Job != nil {
				since := tt.c.Job.StartedAt.UTC().Format(time.RFC3339Nano)
				if got := r.Find("[data-since]").AttrOr("data-since", ""); got != since {
					t.Errorf("transitional row counts from %q, want data-since %q:\n%s", got, since, r.HTML())
				}
			}
			text := webtest.Text(r.Selection)
			if tt.stopTimeout != "" {
				if row.StopTimeout != tt.stopTimeout {
					t.Errorf("StopTimeout = %q, want %q", row.StopTimeout, tt.stopTimeout)
				}
				if want := "(stop timeout " + tt.stopTimeout + ")"; !strings.Contains(text, want) {
					t.Errorf("row does not show %q:\n%s", want, r.HTML())
				}
			} else if strings.Contains(text, "stop timeout") {
				t.Errorf("row shows a stop timeout it should not:\n%s", r.HTML())
			}
			got := slices.DeleteFunc(r.Ops(), func(op string) bool { return op == "kill" })
			if !slices.Equal(got, tt.actions) {
				t.Errorf("rendered buttons = %q, want %q", got, tt.actions)
			}
			if has := r.TestID("force-stop").Length() == 1; has != tt.force {
				t.Errorf("force stop offered = %v, want %v:\n%s", has, tt.force, r.HTML())
			}
			for _, b := range r.Buttons() {
				if b.Op == "kill" {
					if b.Disabled {
						t.Errorf("the force stop is disabled: it is the way out")
					}
					continue
				}
				if b.Disabled != tt.disabled {
					t.Errorf("rendered button %s disabled = %v, want %v", b.Op, b.Disabled, tt.disabled)
				}
			}
		})
	}
}

func TestNewRowShowsTheStopTimeoutOnlyWhenKnown(t *testing.T) {
	for _, tt := range []struct {
		seconds int
		want    string
	}{{0, ""}, {1, "1 s"}, {10, "10 s"}, {600, "600 s"}} {
		row := templates.NewRow(lifecycle.Container{Name: "web", State: lifecycle.Running, StopTimeout: tt.seconds}, now)
		if row.StopTimeout != tt.want {
			t.Errorf("StopTimeout for %d s = %q, want %q", tt.seconds, row.StopTimeout, tt.want)
		}
	}
}

func TestNewRowShortensTheErrorToItsFirstLineAndKeepsTheWholeOneOnDemand(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name  string
		err   string
		short string
	}{
		{"no error", "", ""},
		{"short one-line error", "stop web: timed out", "stop web: timed out"},
		{"surrounding space is trimmed", "  stop web: timed out \n", "stop web: timed out"},
		{"only the first line is kept", "stop web: exit status 125\nError: something\n  at line 3", "stop web: exit status 125 …"},
		{"a long line is cut to 160 runes", long, strings.Repeat("é", 159) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := lifecycle.Container{Name: "web", State: lifecycle.Running, Error: tt.err}
			row := templates.NewRow(c, now)
			if row.ErrorShort != tt.short {
				t.Errorf("ErrorShort = %q, want %q", row.ErrorShort, tt.short)
			}
			if row.Error != tt.err {
				t.Errorf("Error = %q, want the whole %q", row.Error, tt.err)
			}
			if n := utf8.RuneCountInString(row.ErrorShort); n > 160 {
				t.Errorf("ErrorShort has %d runes, want at most 160", n)
			}
			r := webtest.Render(t, templates.RowItem(row, false)).Row("web")
			if tt.err == "" {
				if r.TestID("error").Length() > 0 || r.HasClass("row-error") {
					t.Errorf("a row without error shows one:\n%s", r.HTML())
				}
				return
			}
			if got := r.TestID("error-short").Text(); got != tt.short {
				t.Errorf("row shows the short error %q, want %q:\n%s", got, tt.short, r.HTML())
			}
			if tt.short != tt.err && r.Error() != tt.err {
				t.Errorf("row does not keep the whole error on demand: %q:\n%s", r.Error(), r.HTML())
			}
			if b, ok := r.Button("dismiss"); !ok || b.Action != "/containers/web/dismiss" {
				t.Errorf("row with an error offers no way to dismiss it (dismiss %+v):\n%s", b, r.HTML())
			}
			if !r.HasClass("row-error") {
				t.Errorf("row with an error lacks the row-error class:\n%s", r.HTML())
			}
		})
	}
}

func TestRowItemForTheLiveFeedIsSwappedOutOfBand(t *testing.T) {
	row := templates.NewRow(lifecycle.Container{Name: "web", State: lifecycle.Running}, now)
	live := webtest.Render(t, templates.RowItem(row, true))
	if r := live.Row("web"); r.ID() != "row-web" || r.OOB() != "true" {
		t.Errorf("live row is not an out-of-band swap of #row-web:\n%s", live.HTML())
	}
	removed := webtest.Render(t, templates.Removed("web"))
	if !removed.Removes("web") || removed.Top().Length() != 1 {
		t.Errorf("removal is not an out-of-band delete of #row-web alone:\n%s", removed.HTML())
	}
}

func TestUntrustedTextRendersAsTextNeverAsMarkup(t *testing.T) {
	const evil = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`
	c := lifecycle.Container{
		Name: "web", Image: evil, State: lifecycle.Running, EngineState: `running"><script>alert(3)</script>`,
		Error: evil + "\nsecond line " + evil,
	}
	row := templates.NewRow(c, now)
	row.Notice = evil
	page := templates.Page{
		Rows:    []templates.Row{row},
		Flash:   &templates.Flash{Kind: "error", Title: evil, Message: evil},
		Podman:  evil,
		ScanErr: evil,
	}
	job := lifecycle.Job{Container: "web", Op: lifecycle.Stop, Outcome: lifecycle.JobFailed, Error: evil}
	outputs := map[string]*webtest.Doc{
		"row":       webtest.Render(t, templates.RowItem(row, false)),
		"live row":  webtest.Render(t, templates.RowItem(row, true)),
		"rows":      webtest.Render(t, templates.Rows(page.Rows, "")),
		"page":      webtest.Render(t, templates.Dashboard(page)),
		"flash":     webtest.Render(t, templates.FlashMessage(*page.Flash)),
		"toast":     webtest.Render(t, templates.Toast(job, false)),
		"removal":   webtest.Render(t, templates.Removed("web")),
		"page only": webtest.Render(t, templates.Dashboard(templates.Page{Podman: evil})),
	}
	for name, d := range outputs {
		t.Run(name, func(t *testing.T) {
			for _, m := range markupOfTheAttacker(d) {
				t.Errorf("output holds %s:\n%s", m, d.HTML())
			}
			if name != "removal" && !strings.Contains(d.Find("body").Text(), evil) {
				t.Errorf("output does not show the text as written:\n%s", d.HTML())
			}
		})
	}
	r := outputs["row"].Row("web")
	for attr, got := range map[string]string{"title": r.Find("[title]").AttrOr("title", ""), "data-image": r.AttrOr("data-image", "")} {
		if got != evil {
			t.Errorf("image %s attribute = %q, want the image name whole:\n%s", attr, got, r.HTML())
		}
	}
}

// markupOfTheAttacker lists what in d only injected text could have made:
// an image, an event handler attribute, a script that is not one of the
// page's own assets.
func markupOfTheAttacker(d *webtest.Doc) []string {
	var found []string
	d.Find("*").Each(func(_ int, s *goquery.Selection) {
		tag := goquery.NodeName(s)
		if tag == "img" {
			found = append(found, "an <img>")
		}
		if src := s.AttrOr("src", ""); tag == "script" && !strings.HasPrefix(src, "/static/") {
			found = append(found, "a <script> that is not an asset, src "+src)
		}
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "on") {
				found = append(found, "an event handler "+a.Key+" on <"+tag+">")
			}
		}
	})
	return found
}

func TestDashboardListsRowsAndConnectsToTheLiveFeed(t *testing.T) {
	page := templates.Page{
		Rows: []templates.Row{
			templates.NewRow(lifecycle.Container{Name: "db", State: lifecycle.Stopped, EngineState: "exited"}, now),
			templates.NewRow(lifecycle.Container{Name: "web", State: lifecycle.Running, EngineState: "running"}, now),
		},
		Podman:  "unix:///test.sock",
		ScanErr: "podman unreachable: connection refused",
	}
	d := webtest.Render(t, templates.Dashboard(page))
	if !d.IsPage() {
		t.Errorf("the dashboard is not a whole page with a doctype")
	}
	for _, sel := range []string{`[hx-ext=sse][sse-connect="/events?stream=containers"]`, "#rows", "#row-db", "#row-web", "#toasts", "#flash"} {
		if !d.Has(sel) {
			t.Errorf("page has no %s", sel)
		}
	}
	if text := webtest.Text(d.Find("main")); !strings.Contains(text, "Podman: unix:///test.sock") {
		t.Errorf("page does not name the engine it reads: %q", text)
	}
	if warning := d.Text("scan-error"); !strings.Contains(warning, "podman unreachable: connection refused") {
		t.Errorf("page shows the scan error as %q", warning)
	}
	if got := d.RowNames(); !slices.Equal(got, []string{"db", "web"}) {
		t.Errorf("rows = %q, want them in the given order db, web", got)
	}
	if d.TestID("flash").Length() > 0 {
		t.Errorf("page without flash shows one: %q", d.Flash())
	}
}

// states is a container of name in every state the table shows, with a
// failure on the stopped one.
func states(name string) map[string]lifecycle.Container {
	job := func(op lifecycle.Op) *lifecycle.Job {
		return &lifecycle.Job{ID: 3, Op: op, StartedAt: now.Add(-time.Second)}
	}
	return map[string]lifecycle.Container{
		"running": {Name: name, State: lifecycle.Running, EngineState: "running"},
		"stopped": {Name: name, State: lifecycle.Stopped, EngineState: "exited",
			Error: "start " + name + ": exit status 125\nError: OCI runtime"},
		"paused":     {Name: name, State: lifecycle.Paused, EngineState: "paused"},
		"stopping":   {Name: name, State: lifecycle.Stopping, PrevState: lifecycle.Running, JobID: 3, Job: job(lifecycle.Stop)},
		"starting":   {Name: name, State: lifecycle.Starting, PrevState: lifecycle.Stopped, JobID: 3, Job: job(lifecycle.Start)},
		"restarting": {Name: name, State: lifecycle.Restarting, PrevState: lifecycle.Running, JobID: 3, Job: job(lifecycle.Restart)},
	}
}

// focusable selects the elements of a row a user can focus, by keyboard or
// as the holder of a pressed button's focus.
const focusable = "[tabindex], button:not([disabled]), a[href], summary"

// Podman allows letters, digits, '_', '.' and '-' in names; these would
// collide with a naive "row-NAME-OP" scheme.
var trickyNames = []string{"web", "web-run", "web-stop", "run", "row-web", "web.v2", "web_2", "a", "a-history", "0"}

func TestEveryFocusableElementOfARowHasAnIdUniqueOnThePage(t *testing.T) {
	// A page holds one row per container: each state on a page of its own.
	for state := range states("x") {
		t.Run(state, func(t *testing.T) {
			var page []templates.Row
			for _, name := range trickyNames {
				page = append(page, templates.NewRow(states(name)[state], now))
			}
			d := webtest.Render(t, templates.Dashboard(templates.Page{Rows: page}))
			seen := map[string]bool{}
			d.Find("[id]").Each(func(_ int, s *goquery.Selection) {
				id := s.AttrOr("id", "")
				if seen[id] {
					t.Errorf("id %q appears twice", id)
				}
				seen[id] = true
			})
			rows := d.Find("#rows")
			if rows.Length() != 1 || len(d.Rows()) != len(trickyNames) {
				t.Fatalf("page has %d #rows holding %v, want one with a row per name", rows.Length(), d.RowNames())
			}
			rows.Find(focusable).Each(func(_ int, s *goquery.Selection) {
				if s.AttrOr("id", "") == "" {
					t.Errorf("a focusable <%s> of a row has no id: htmx cannot give it the focus back after a swap", goquery.NodeName(s))
				}
			})
		})
	}
}

func TestAControlKeepsItsIdFromOneStateOfTheRowToTheNext(t *testing.T) {
	// idOf is the id of the one element of name's row in state that pick
	// selects.
	idOf := func(t *testing.T, name, state string, pick func(webtest.Row) *goquery.Selection) string {
		t.Helper()
		s := pick(rowOf(t, states(name)[state]))
		if s.Length() != 1 {
			t.Fatalf("%s %s: %d matching elements, want 1", name, state, s.Length())
		}
		return s.AttrOr("id", "")
	}
	button := func(op string) func(webtest.Row) *goquery.Selection {
		return func(r webtest.Row) *goquery.Selection { return r.Find(`button[data-op="` + op + `"]`) }
	}
	badge := func(r webtest.Row) *goquery.Selection { return r.TestID("state") }
	history := func(r webtest.Row) *goquery.Selection { return r.Find("a[href$='/history']") }
	summary := func(r webtest.Row) *goquery.Selection { return r.Find("summary") }
	for _, name := range trickyNames {
		t.Run(name, func(t *testing.T) {
			// The focus travels along each chain: pressed button, the
			// transitional badge while the operation runs, the control the
			// final row offers in the same place.
			chains := [][]string{
				{idOf(t, name, "running", button("stop")), idOf(t, name, "stopping", badge), idOf(t, name, "stopped", button("start"))},
				{idOf(t, name, "stopped", button("start")), idOf(t, name, "starting", badge), idOf(t, name, "running", button("stop"))},
				{idOf(t, name, "running", button("restart")), idOf(t, name, "restarting", badge), idOf(t, name, "running", button("restart"))},
				{idOf(t, name, "paused", button("stop")), idOf(t, name, "stopping", badge)},
			}
			for _, chain := range chains {
				for _, id := range chain {
					if id != chain[0] || !strings.HasPrefix(id, templates.RowID(name)+":") {
						t.Errorf("ids along the focus chain %q: want one id, the row's %q and a control", chain, templates.RowID(name))
						break
					}
				}
			}
			if idOf(t, name, "running", button("stop")) == idOf(t, name, "running", button("restart")) {
				t.Errorf("Stop and Restart share an id")
			}
			want := templates.ControlID(name, "history")
			for state := range states(name) {
				if got := idOf(t, name, state, history); got != want {
					t.Errorf("history link in %s has id %q, want %q", state, got, want)
				}
			}
			if got := idOf(t, name, "stopped", button("dismiss")); got != templates.ControlID(name, "dismiss") {
				t.Errorf("Dismiss has id %q", got)
			}
			if got := idOf(t, name, "stopped", summary); got != templates.ControlID(name, "error") {
				t.Errorf("the error summary has id %q", got)
			}
			// Only a transitional badge takes the focus.
			for _, state := range []string{"running", "stopped", "paused"} {
				if _, ok := badge(rowOf(t, states(name)[state])).Attr("tabindex"); ok {
					t.Errorf("the %s badge is focusable", state)
				}
			}
		})
	}
}

func TestEachActionFormCarriesItsTransitionalLabelForTheFrameAfterTheClick(t *testing.T) {
	tests := []struct {
		state   string
		pending map[string]string // data-action → label
	}{
		{"running", map[string]string{"stop": "Stopping…", "restart": "Restarting…"}},
		{"stopped", map[string]string{"start": "Starting…"}},
		{"paused", map[string]string{"stop": "Stopping…"}},
		// Its buttons are disabled, but for the way out.
		{"stopping", map[string]string{"kill": "Force stopping…"}},
		{"starting", map[string]string{}},
		{"restarting", map[string]string{"kill": "Force stopping…"}},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			r := rowOf(t, states("web")[tt.state])
			got := map[string]string{}
			r.TestID("pending").Each(func(_ int, s *goquery.Selection) {
				action := s.AttrOr("data-action", "")
				got[action] = webtest.Text(s)
				if s.Find(".spinner").Length() != 1 {
					t.Errorf("the pending %s label has no spinner", action)
				}
				// The stylesheet shows .pending in place of .state-now.
				if !s.HasClass("pending") || !s.HasClass("badge") || !s.HasClass("badge-transition") {
					t.Errorf("the pending %s label is not a transitional badge the stylesheet can show: class %q", action, s.AttrOr("class", ""))
				}
			})
			if !maps.Equal(got, tt.pending) {
				t.Errorf("pending labels %v, want %v", got, tt.pending)
			}
			r.Find("form").Each(func(_ int, form *goquery.Selection) {
				action := form.AttrOr("data-action", "")
				post := form.AttrOr("hx-post", "")
				if sync := form.AttrOr("hx-sync", ""); sync != "closest [role=row]:drop" {
					t.Errorf("form %s: hx-sync %q, want a second submission from the row dropped", post, sync)
				}
				if method := form.AttrOr("method", ""); method != "post" {
					t.Errorf("form %s is no plain form: method %q", post, method)
				}
				if _, ok := form.Attr("hx-disabled-elt"); ok {
					t.Errorf("form %s disables its button while in flight: the focus would drop", post)
				}
				if action == "" {
					return
				}
				if want := "/containers/web/" + action; post != want {
					t.Errorf("form for %s posts to %q", action, post)
				}
				if _, ok := tt.pending[action]; !ok && form.Find("button[disabled]").Length() == 0 {
					t.Errorf("form %s is enabled and has no pending label", action)
				}
			})
			if n := r.Find(".state-now").Length(); n != 1 {
				t.Errorf("%d state-now wrappers, want the one the pending label replaces", n)
			}
		})
	}
}

// A host is said to be unreachable only when Podman is why its scans
// fail; the time is the reader's day's, with its zone.
func TestHostStateSaysUnreachableOnlyWhenPodmanIsWhy(t *testing.T) {
	now := time.Date(2026, 12, 1, 17, 30, 0, 0, time.UTC)
	since := now.Add(-5 * time.Minute)
	for _, tt := range []struct {
		name, err   string
		unreachable bool
		want        string
	}{
		{"up", "", false, ""},
		{"podman down", "scan: podman unreachable at unix:///x: connection refused", true, "host unreachable since " + since.Local().Format("15:04:05 MST")},
		{"the store failing", "scan: read stored containers: disk I/O error", false, "scans failing since " + since.Local().Format("15:04:05 MST")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := templates.NewHostState("nas", "unix:///x", tt.err, tt.unreachable, since, now)
			if h.Down != tt.want {
				t.Errorf("Down = %q, want %q", h.Down, tt.want)
			}
			if strings.HasPrefix(h.ScanErr, "scan: ") {
				t.Errorf("ScanErr %q keeps the scan's prefix", h.ScanErr)
			}
		})
	}
	if h := templates.NewHostState("nas", "", "scan: x", true, now.AddDate(0, 0, -2), now); !strings.Contains(h.Down, now.AddDate(0, 0, -2).Local().Format("2006-01-02")) {
		t.Errorf("a failure two days old: %q, want its date", h.Down)
	}
}
