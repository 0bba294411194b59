package templates_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"

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
			if got := strings.Contains(html, `class="spinner"`); got != tt.spinner {
				t.Errorf("spinner shown = %v, want %v", got, tt.spinner)
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
