package templates_test

import (
	"bytes"
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"podboard/lifecycle"
	"podboard/templates"
)

var now = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	return buf.String()
}

// parse reads an HTML fragment rendered inside the page's body.
func parse(t *testing.T, s string) *html.Node {
	t.Helper()
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	for _, n := range nodes {
		body.AppendChild(n)
	}
	return body
}

// find returns the elements under root that match, in document order.
func find(root *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range root.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasAttr(key, val string) func(*html.Node) bool {
	return func(n *html.Node) bool { v, ok := attr(n, key); return ok && v == val }
}

func hasClass(c string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		v, _ := attr(n, "class")
		return slices.Contains(strings.Fields(v), c)
	}
}

// text is n's text content with its white space collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

var buttonTag = regexp.MustCompile(`<button[^>]*>`)

// buttons returns the data-op of every button in html, and whether each is
// disabled.
func buttons(t *testing.T, html string) (ops []string, disabled []bool) {
	t.Helper()
	for _, tag := range buttonTag.FindAllString(html, -1) {
		m := regexp.MustCompile(`data-op="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			t.Fatalf("button without data-op: %s", tag)
		}
		ops = append(ops, m[1])
		disabled = append(disabled, regexp.MustCompile(`\sdisabled[\s>=]`).MatchString(tag))
	}
	return ops, disabled
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
		},
		{
			name:    "stopping outside the dashboard, with no job",
			c:       lifecycle.Container{Name: "ext", State: lifecycle.Stopping, EngineState: "stopping"},
			badge:   "badge-transition",
			label:   "Stopping…",
			status:  "Stopping…",
			spinner: true,
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

			html := render(t, templates.RowItem(row, false))
			if !strings.Contains(html, `id="row-`+tt.c.Name+`"`) {
				t.Errorf("row has no id row-%s:\n%s", tt.c.Name, html)
			}
			if !strings.Contains(html, `data-state="`+string(tt.c.State)+`"`) {
				t.Errorf("row has no data-state %q:\n%s", tt.c.State, html)
			}
			if strings.Contains(html, "hx-swap-oob") {
				t.Errorf("a row answered to a request must not be out of band:\n%s", html)
			}
			if !strings.Contains(html, tt.badge) || !strings.Contains(html, tt.label) {
				t.Errorf("row lacks badge %q or label %q:\n%s", tt.badge, tt.label, html)
			}
			badge := find(parse(t, html), hasAttr("data-testid", "state"))
			if len(badge) != 1 {
				t.Fatalf("%d state badges, want 1:\n%s", len(badge), html)
			}
			if got := len(find(badge[0], hasClass("spinner"))) > 0; got != tt.spinner {
				t.Errorf("spinner in the state badge = %v, want %v", got, tt.spinner)
			}
			if tt.status != "" && !strings.Contains(html, `data-testid="status">`+tt.status+`<`) {
				t.Errorf("row does not show status %q:\n%s", tt.status, html)
			}
			if tt.c.Job != nil {
				since := `data-since="` + tt.c.Job.StartedAt.UTC().Format(time.RFC3339Nano) + `"`
				if !strings.Contains(html, since) {
					t.Errorf("transitional row lacks %s:\n%s", since, html)
				}
			}
			if tt.stopTimeout != "" {
				if row.StopTimeout != tt.stopTimeout {
					t.Errorf("StopTimeout = %q, want %q", row.StopTimeout, tt.stopTimeout)
				}
				if want := "(stop timeout " + tt.stopTimeout + ")"; !strings.Contains(html, want) {
					t.Errorf("row does not show %q:\n%s", want, html)
				}
			} else if strings.Contains(html, "stop timeout") {
				t.Errorf("row shows a stop timeout it should not:\n%s", html)
			}
			htmlOps, htmlDisabled := buttons(t, html)
			if strings.Join(htmlOps, ",") != strings.Join(tt.actions, ",") {
				t.Errorf("rendered buttons = %v, want %v", htmlOps, tt.actions)
			}
			for i, d := range htmlDisabled {
				if d != tt.disabled {
					t.Errorf("rendered button %s disabled = %v, want %v", htmlOps[i], d, tt.disabled)
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
			html := render(t, templates.RowItem(row, false))
			if tt.err == "" {
				if strings.Contains(html, `data-testid="error"`) || strings.Contains(html, "row-error") {
					t.Errorf("a row without error shows one:\n%s", html)
				}
				return
			}
			if !strings.Contains(html, `data-testid="error-short">`+tt.short+`</`) {
				t.Errorf("row does not show the short error:\n%s", html)
			}
			if tt.short != tt.err && !strings.Contains(html, `data-testid="error-full">`+tt.err+`</pre>`) {
				t.Errorf("row does not keep the whole error on demand:\n%s", html)
			}
			if !strings.Contains(html, `action="/containers/web/dismiss"`) {
				t.Errorf("row with an error offers no way to dismiss it:\n%s", html)
			}
			if !strings.Contains(html, "row-error") {
				t.Errorf("row with an error lacks the row-error class:\n%s", html)
			}
		})
	}
}

func TestRowItemForTheLiveFeedIsSwappedOutOfBand(t *testing.T) {
	row := templates.NewRow(lifecycle.Container{Name: "web", State: lifecycle.Running}, now)
	html := render(t, templates.RowItem(row, true))
	if !strings.Contains(html, `id="row-web"`) || !strings.Contains(html, `hx-swap-oob="true"`) {
		t.Errorf("live row is not an out-of-band swap of #row-web:\n%s", html)
	}
	removed := render(t, templates.Removed("web"))
	if !strings.Contains(removed, `id="row-web"`) || !strings.Contains(removed, `hx-swap-oob="delete"`) {
		t.Errorf("removal is not an out-of-band delete of #row-web:\n%s", removed)
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
	outputs := map[string]string{
		"row":       render(t, templates.RowItem(row, false)),
		"live row":  render(t, templates.RowItem(row, true)),
		"rows":      render(t, templates.Rows(page.Rows)),
		"page":      render(t, templates.Dashboard(page)),
		"flash":     render(t, templates.FlashMessage(*page.Flash)),
		"toast":     render(t, templates.Toast(job)),
		"removal":   render(t, templates.Removed("web")),
		"page only": render(t, templates.Dashboard(templates.Page{Podman: evil})),
	}
	for name, html := range outputs {
		t.Run(name, func(t *testing.T) {
			for _, raw := range []string{"<script>alert", "<img", `"'>`} {
				if strings.Contains(html, raw) {
					t.Errorf("output contains raw %q:\n%s", raw, html)
				}
			}
			if name != "removal" && name != "page only" && !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("output does not show the text escaped:\n%s", html)
			}
		})
	}
	// Every <script> of the page is one of its own assets.
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(outputs["page"], -1) {
		if !strings.Contains(tag, `src="/static/`) {
			t.Errorf("page has an unexpected script tag %s", tag)
		}
	}
	if !strings.Contains(outputs["row"], `title="&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&gt;`) {
		t.Errorf("image title attribute is not escaped:\n%s", outputs["row"])
	}
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
	html := render(t, templates.Dashboard(page))
	for _, want := range []string{
		"<!doctype html>",
		`sse-connect="/events?stream=containers"`,
		`id="rows"`, `id="row-db"`, `id="row-web"`, `id="toasts"`, `id="flash"`,
		"Podman: unix:///test.sock",
		`id="scan-error"`, "podman unreachable: connection refused",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Index(html, `id="row-db"`) > strings.Index(html, `id="row-web"`) {
		t.Errorf("rows are not in the given order")
	}
	if strings.Contains(html, `data-testid="flash"`) {
		t.Errorf("page without flash shows one")
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

// focusable are the elements of a row a user can focus, by keyboard or as
// the holder of a pressed button's focus.
func focusable(n *html.Node) bool {
	if _, ok := attr(n, "tabindex"); ok {
		return true
	}
	_, disabled := attr(n, "disabled")
	_, href := attr(n, "href")
	return (n.Data == "button" && !disabled) || (n.Data == "a" && href) || n.Data == "summary"
}

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
			doc := parse(t, render(t, templates.Dashboard(templates.Page{Rows: page})))
			seen := map[string]bool{}
			for _, n := range find(doc, func(n *html.Node) bool { _, ok := attr(n, "id"); return ok }) {
				id, _ := attr(n, "id")
				if seen[id] {
					t.Errorf("id %q appears twice", id)
				}
				seen[id] = true
			}
			for _, n := range find(find(doc, hasAttr("id", "rows"))[0], focusable) {
				if id, _ := attr(n, "id"); id == "" {
					t.Errorf("a focusable <%s> of a row has no id: htmx cannot give it the focus back after a swap", n.Data)
				}
			}
		})
	}
}

func TestAControlKeepsItsIdFromOneStateOfTheRowToTheNext(t *testing.T) {
	// idOf is the id of the one element of name's row in state that matches.
	idOf := func(t *testing.T, name, state string, match func(*html.Node) bool) string {
		t.Helper()
		ns := find(parse(t, render(t, templates.RowItem(templates.NewRow(states(name)[state], now), false))), match)
		if len(ns) != 1 {
			t.Fatalf("%s %s: %d matching elements, want 1", name, state, len(ns))
		}
		id, _ := attr(ns[0], "id")
		return id
	}
	button := func(op string) func(*html.Node) bool {
		return func(n *html.Node) bool { return n.Data == "button" && hasAttr("data-op", op)(n) }
	}
	badge := hasAttr("data-testid", "state")
	history := func(n *html.Node) bool { return n.Data == "a" }
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
			if got := idOf(t, name, "stopped", func(n *html.Node) bool { return n.Data == "summary" }); got != templates.ControlID(name, "error") {
				t.Errorf("the error summary has id %q", got)
			}
			// Only a transitional badge takes the focus.
			for _, state := range []string{"running", "stopped", "paused"} {
				if _, ok := attr(find(parse(t, render(t, templates.RowItem(templates.NewRow(states(name)[state], now), false))), badge)[0], "tabindex"); ok {
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
		{"stopping", map[string]string{}}, // its buttons are disabled
		{"starting", map[string]string{}},
		{"restarting", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.state, func(t *testing.T) {
			doc := parse(t, render(t, templates.RowItem(templates.NewRow(states("web")[tt.state], now), false)))
			got := map[string]string{}
			for _, n := range find(doc, hasClass("pending")) {
				action, _ := attr(n, "data-action")
				got[action] = text(n)
				if len(find(n, hasClass("spinner"))) != 1 {
					t.Errorf("the pending %s label has no spinner", action)
				}
				if !hasClass("badge")(n) || !hasClass("badge-transition")(n) {
					t.Errorf("the pending %s label is not a transitional badge", action)
				}
			}
			if !maps.Equal(got, tt.pending) {
				t.Errorf("pending labels %v, want %v", got, tt.pending)
			}
			for _, form := range find(doc, func(n *html.Node) bool { return n.Data == "form" }) {
				action, _ := attr(form, "data-action")
				post, _ := attr(form, "hx-post")
				if sync, _ := attr(form, "hx-sync"); sync != "closest [role=row]:drop" {
					t.Errorf("form %s: hx-sync %q, want a second submission from the row dropped", post, sync)
				}
				if method, _ := attr(form, "method"); method != "post" {
					t.Errorf("form %s is no plain form: method %q", post, method)
				}
				if _, ok := attr(form, "hx-disabled-elt"); ok {
					t.Errorf("form %s disables its button while in flight: the focus would drop", post)
				}
				if action == "" {
					continue
				}
				if want := "/containers/web/" + action; post != want {
					t.Errorf("form for %s posts to %q", action, post)
				}
				if _, ok := tt.pending[action]; !ok && len(find(form, func(n *html.Node) bool { _, d := attr(n, "disabled"); return d })) == 0 {
					t.Errorf("form %s is enabled and has no pending label", action)
				}
			}
			if n := len(find(doc, hasClass("state-now"))); n != 1 {
				t.Errorf("%d state-now wrappers, want the one the pending label replaces", n)
			}
		})
	}
}
