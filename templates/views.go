// Package templates renders the dashboard's HTML with templ. View models
// here turn lifecycle records into display-ready strings, so components stay
// free of logic; the POST answer and the live push render the same Row.
package templates

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"

	"podboard/lifecycle"
)

// Row is one container as the table shows it.
type Row struct {
	// Host is the container's host on a dashboard of several, "" on one
	// of one host: the ids and URLs then name the container alone, as
	// they always have.
	Host string
	// Key names the container across hosts: its name, or "name@host" on
	// a dashboard of several (Podman names have no '@'). The row's ids
	// are made from it. Select is the value its checkbox gives the bulk
	// form: the name, or "host/name".
	Key, Select string
	Name        string
	// Said is how the row's labels name the container to a screen
	// reader: its name, and its host on a dashboard of several ("web on
	// nas"), since names repeat across hosts.
	Said         string
	Image        string
	State        string // the dashboard's state word, for data attributes and tests
	StateLabel   string // "Running", "Stopping…"
	EngineState  string // Podman's own word
	Status       string // "Up 3 hours", "Exited (0) 2 minutes ago"
	BadgeClass   string
	Transitional bool
	Actions      []Action

	// JobStarted is when the operation in flight began (RFC 3339), so the
	// page can count the elapsed time from it rather than from its load.
	JobStarted  string
	StopTimeout string // "600 s", "" when unknown
	// KillAfter is the stop timeout of the stop (or restart) in flight, in
	// seconds: Podman kills the container that long after JobStarted; 0
	// when there is no such deadline to count down to.
	KillAfter int
	// KillIn is the countdown as of the rendering ("7 min 50 s"), which
	// the page then keeps counting.
	KillIn  string
	Elapsed int // seconds since JobStarted, as of the rendering

	// Outside: Podman says the container is stopping and no operation of
	// the dashboard runs on it (a stop begun from a shell, or one whose
	// process died).
	Outside bool
	// Waiting says why the row waits for Podman's word (a lost
	// connection, a call given up), "" when it does not.
	Waiting string
	// Kill is the force stop a stopping or restarting row offers, behind
	// a confirmation; nil when it offers none.
	Kill *Action

	// Usage is the container's CPU and memory while it runs ("CPU 3.2% ·
	// 120MiB / 1GiB"), "" when unknown; UsageID is its element's id,
	// which the live feed swaps on its own.
	Usage, UsageID string

	// Health is the healthcheck's verdict while the container runs
	// (lifecycle.Healthy, Unhealthy, HealthStarting), "" when it has none
	// or does not run; HealthLabel and HealthClass show it.
	Health, HealthLabel, HealthClass string

	PageURL    string // the container's own page
	HistoryURL string
	DismissURL string

	// Ids of the row's focusable elements, the same in every rendering of
	// the row, so that htmx gives the focus back to the element with the
	// same id when it swaps the row (answer, push or table resync).
	PageID, HistoryID, ErrorID, DismissID, SelectID string
	// BusyID is the id the state badge takes while an operation runs: that
	// of the control that started it, so the focus on a pressed button
	// rests on "Stopping…" while the stop runs and comes back to the same
	// control (now Start) when it ends. "" when no operation runs.
	BusyID string

	// Hidden: the view of the page does not keep this row.
	Hidden bool
	// Version is the stored row's version: a page never swaps a row for
	// an older rendering (an answer and a push travel on two connections
	// and may arrive in either order).
	Version string

	// HostDown marks the row while its host is unreachable ("host
	// unreachable since 17:02:03"); the page keeps it current from the
	// host's header.
	HostDown string

	Error      string // the last failure, in full
	ErrorShort string // the same trimmed to something readable in a row
	Notice     string // a one-off message for this answer, such as "already stopping"
}

// Action is a button of a row.
type Action struct {
	Op       string
	Label    string
	Class    string
	Disabled bool
	URL      string
	// ID is the button's element id, "" when the state badge holds it.
	ID string
	// Pending is the transitional label ("Stopping…") the row shows from
	// the frame after a click on this button until the answer arrives.
	Pending string
}

// RowID is the element id of a container's row, by its Key.
func RowID(key string) string { return "row-" + key }

// ControlID is the element id of one of the focusable controls of a
// container's row, by its Key. Podman names are made of letters, digits,
// '_', '.' and '-', and host names of lowercase letters, digits and '-',
// so the ':' separates the key from the control: no id of one container
// can be an id of another, nor a row's id.
func ControlID(key, control string) string { return RowID(key) + ":" + control }

// Key is how the ids name a container: host is "" on a dashboard of one
// host.
func Key(host, name string) string {
	if host == "" {
		return name
	}
	return name + "@" + host
}

// emptyID is the id of the empty-table line new rows of host go before.
func emptyID(host string) string {
	if host == "" {
		return "empty"
	}
	return "empty-" + host
}

// usageKey is the Key of u's row.
func usageKey(u lifecycle.Usage, several bool) string {
	if several {
		return Key(u.Host, u.Name)
	}
	return u.Name
}

// ContainerPath is the path of a container's page, under which its
// actions, row, history and logs are: /containers/NAME on a dashboard of
// one host, /hosts/HOST/containers/NAME on one of several.
func ContainerPath(host, name string) string {
	if host == "" {
		return "/containers/" + name
	}
	return "/hosts/" + host + "/containers/" + name
}

// control names the row control that offers op. Start and Stop are two
// faces of one control (a row offers one or the other, never both), so a
// keyboard user who stops a container finds the focus on its Start button
// when the stop ends.
func control(op lifecycle.Op) string {
	switch op {
	case lifecycle.Start, lifecycle.Stop:
		return "run"
	}
	return string(op)
}

// NewRow builds the view of c as of now, on a dashboard of one host.
func NewRow(c lifecycle.Container, now time.Time) Row { return RowOn(c, now, false) }

// RowOn builds the view of c as of now; several says the dashboard has
// several hosts, so that the row names c's host in its ids and URLs.
func RowOn(c lifecycle.Container, now time.Time, several bool) Row {
	host := ""
	if several {
		host = c.Host
	}
	key, base := Key(host, c.Name), ContainerPath(host, c.Name)
	r := Row{
		Host:         host,
		Key:          key,
		Select:       c.Name,
		Name:         c.Name,
		Said:         c.Name,
		Image:        c.Image,
		State:        string(c.State),
		StateLabel:   c.State.Label(),
		EngineState:  c.EngineState,
		Status:       Status(c, now),
		Transitional: c.State.Transitional(),
		Error:        c.Error,
		ErrorShort:   shorten(c.Error, 160),
		PageURL:      base,
		HistoryURL:   base + "/history",
		DismissURL:   base + "/dismiss",
		PageID:       ControlID(key, "page"),
		HistoryID:    ControlID(key, "history"),
		ErrorID:      ControlID(key, "error"),
		DismissID:    ControlID(key, "dismiss"),
		SelectID:     ControlID(key, "select"),
		UsageID:      ControlID(key, "usage"),
		Version:      strconv.FormatInt(c.Version, 10),
		Health:       c.HealthNow(),
	}
	if host != "" {
		r.Select, r.Said = lifecycle.HostName(host, c.Name), c.Name+" on "+host
	}
	switch r.Health {
	case lifecycle.Healthy:
		r.HealthLabel, r.HealthClass = "healthy", "badge-running"
	case lifecycle.Unhealthy:
		r.HealthLabel, r.HealthClass = "unhealthy", "badge-unhealthy"
	case lifecycle.HealthStarting:
		r.HealthLabel, r.HealthClass = "health starting", "badge-stopped"
	}
	r.Outside = c.State == lifecycle.Stopping && !c.Busy() && c.Waiting == ""
	r.Waiting = c.Waiting
	if r.Outside {
		r.StateLabel = "Stopping… (outside podboard)"
	}
	if r.Transitional && c.Busy() {
		r.BusyID = ControlID(key, control(c.State.InFlight()))
	}
	if c.StopTimeout > 0 {
		r.StopTimeout = fmt.Sprintf("%d s", c.StopTimeout)
	}
	if c.Job != nil {
		r.JobStarted = c.Job.StartedAt.UTC().Format(time.RFC3339Nano)
		r.Elapsed = max(0, int(now.Sub(c.Job.StartedAt)/time.Second))
		if (c.Job.Op == lifecycle.Stop || c.Job.Op == lifecycle.Restart) && c.Job.StopTimeout > 0 {
			r.KillAfter = c.Job.StopTimeout
			r.KillIn = Countdown(time.Duration(r.KillAfter-r.Elapsed) * time.Second)
			r.StopTimeout = fmt.Sprintf("%d s", c.Job.StopTimeout) // the one this call uses
		}
	}
	switch {
	case r.Transitional:
		r.BadgeClass = "badge-transition"
	case c.State == lifecycle.Running:
		r.BadgeClass = "badge-running"
	case c.State == lifecycle.Paused:
		r.BadgeClass = "badge-paused"
	default:
		r.BadgeClass = "badge-stopped"
	}
	if c.State == lifecycle.Stopping || c.State == lifecycle.Restarting {
		r.Kill = &Action{
			Op: string(lifecycle.Kill), Label: "Force stop", Class: "btn-kill",
			URL: base + "/kill", ID: ControlID(key, "kill"),
			Pending: "Force stopping…",
		}
	}
	for _, op := range lifecycle.Ops {
		if op == lifecycle.Kill {
			continue // offered apart, behind its confirmation
		}
		if !op.AllowedFrom(c.State) && !(r.Transitional && op.AllowedFrom(c.PrevState)) {
			continue
		}
		a := Action{
			Op:    string(op),
			Label: strings.ToUpper(string(op[:1])) + string(op[1:]),
			Class: "btn-" + string(op),
			// A transitional row with no job of the dashboard (a stop from
			// a shell, a call given up) offers what Podman allows now.
			Disabled: c.Busy() || (r.Transitional && !op.AllowedFrom(c.State)),
			URL:      base + "/" + string(op),
			ID:       ControlID(key, control(op)),
			Pending:  op.Transitional().Label(),
		}
		if a.ID == r.BusyID {
			a.ID = "" // the badge holds it
		}
		r.Actions = append(r.Actions, a)
	}
	return r
}

// WithUsage is r showing u, when ok and the container runs.
func (r Row) WithUsage(u lifecycle.Usage, ok bool) Row {
	if ok && !u.Gone && (r.State == string(lifecycle.Running) || r.State == string(lifecycle.Paused)) {
		r.Usage = UsageText(u)
	}
	return r
}

// UsageText is how a row reads a container's usage: "CPU 3.2% ·
// 120MiB / 1GiB".
func UsageText(u lifecycle.Usage) string {
	if u.Gone {
		return ""
	}
	s := fmt.Sprintf("CPU %.1f%% · %s", u.CPU, units.BytesSize(float64(u.MemUsed)))
	if u.MemLimit > 0 {
		s += " / " + units.BytesSize(float64(u.MemLimit))
	}
	return s
}

// Shows are the table's views: which rows a filter keeps, by its value
// in ?show= and the page's select.
var Shows = []struct{ Value, Label string }{
	{"", "All containers"},
	{"unhealthy", "Unhealthy"},
	{"running", "Running"},
	{"stopped", "Stopped"},
	{"busy", "Operations in flight"},
}

// ValidShow reports whether show is one of Shows.
func ValidShow(show string) bool {
	for _, s := range Shows {
		if s.Value == show {
			return true
		}
	}
	return false
}

// Shown reports whether the view show keeps r; static/js/app.js applies
// the same rule in the page.
func (r Row) Shown(show string) bool {
	switch show {
	case "unhealthy":
		return r.Health == lifecycle.Unhealthy
	case "running":
		return r.State == string(lifecycle.Running)
	case "stopped":
		return r.State == string(lifecycle.Stopped)
	case "busy":
		return r.Transitional
	}
	return true
}

// inView marks the rows the view show does not keep as hidden.
func inView(rows []Row, show string) []Row {
	if show == "" {
		return rows
	}
	out := make([]Row, len(rows))
	for i, r := range rows {
		r.Hidden = !r.Shown(show)
		out[i] = r
	}
	return out
}

// Countdown reads a time left as the row shows it, in the words of the
// page's own counter: "40 s", "7 min 50 s", "1 h 5 min"; "now" once over.
func Countdown(d time.Duration) string {
	s := int(d / time.Second)
	switch {
	case s <= 0:
		return "now"
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
	return fmt.Sprintf("%d h %d min", s/3600, s/60%60)
}

// Status is the human status Podman's own CLI would print.
func Status(c lifecycle.Container, now time.Time) string {
	switch c.State {
	case lifecycle.Running, lifecycle.Paused:
		if c.StartedAt.IsZero() {
			return "Up"
		}
		s := "Up " + humanDuration(now.Sub(c.StartedAt))
		if c.State == lifecycle.Paused {
			s += " (Paused)"
		}
		return s
	case lifecycle.Stopped:
		if c.EngineState == "created" || c.EngineState == "configured" || c.FinishedAt.IsZero() {
			return "Created"
		}
		return fmt.Sprintf("Exited (%d) %s ago", c.ExitCode, humanDuration(now.Sub(c.FinishedAt)))
	}
	return c.State.Label()
}

// humanDuration is go-units' wording ("3 hours", "About a minute") made to
// read inside a sentence: "Up less than a second".
func humanDuration(d time.Duration) string {
	s := units.HumanDuration(d)
	return strings.ToLower(s[:1]) + s[1:]
}

// shorten keeps the first line of s, cut to n runes.
func shorten(s string, n int) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " …"
	}
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

// Page is the whole dashboard page.
type Page struct {
	Rows []Row
	// Show is the view of the table (one of Shows); rows it does not keep
	// are rendered hidden, so a page without JavaScript shows the view.
	Show      string
	Unhealthy int // how many containers are unhealthy
	Flash     *Flash
	// Bulk is the outcome of the last bulk action, for a page without
	// JavaScript; nil otherwise.
	Bulk    *Bulk
	Podman  string // the engine URI, for the footer and error pages
	ScanErr string // why the last scan failed, "" when it worked
	User    User

	// Groups are the rows host by host on a dashboard of several hosts,
	// in the operator's order; nil on one of one host, which shows Rows.
	Groups []HostGroup
	// HostFilter is the one host the page shows (?host=), "" for all.
	HostFilter string
}

// HostGroup is one host's part of the table.
type HostGroup struct {
	State HostState
	Rows  []Row
	// Hidden: the host filter does not keep this host.
	Hidden bool
}

// HostState is a host and whether the dashboard can read its Podman.
type HostState struct {
	Name   string
	Podman string // the host's Podman URI, redacted
	// ScanErr is why the host's last scan failed, "" when it worked; Down
	// says since when ("host unreachable since 17:02:03"), "" when up.
	ScanErr, Down string
}

// NewHostState is host's state as of now: its scans have failed since
// since with scanErr, or work when scanErr is "". unreachable says
// Podman is why; otherwise the dashboard's own store is, and the host is
// not said to be unreachable.
func NewHostState(host, podman, scanErr string, unreachable bool, since, now time.Time) HostState {
	h := HostState{Name: host, Podman: podman, ScanErr: strings.TrimPrefix(scanErr, "scan: ")}
	switch {
	case scanErr != "" && unreachable:
		h.Down = "host unreachable since " + clock(since, now)
	case scanErr != "":
		h.Down = "scans failing since " + clock(since, now)
	}
	return h
}

// clock is t as a reader of the page at now wants it: the time of day
// when it is today, with the date otherwise.
func clock(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05 MST")
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

// Bulk is what a bulk operation did: the containers it started on, and
// those it refused with why.
type Bulk struct {
	Op      string
	Started []string
	Refused []Refusal
}

// Refusal is one container a bulk operation did not start on.
type Refusal struct{ Name, Reason string }

// Title sums b up: "Stop: 3 started, 1 refused".
func (b Bulk) Title() string {
	op := strings.ToUpper(b.Op[:1]) + b.Op[1:]
	if b.Op == string(lifecycle.Kill) {
		op = "Force stop"
	}
	return fmt.Sprintf("%s: %d started, %d refused", op, len(b.Started), len(b.Refused))
}

// Flash is a message at the top of the page about the last request.
type Flash struct {
	Kind    string // "error" or "info"
	Title   string
	Message string
}

// HistoryPage is the list of recent operations.
type HistoryPage struct {
	Title string
	Jobs  []JobRow
}

// JobRow is one operation in the history.
type JobRow struct {
	Op, Container, ContainerURL, Origin string
	Started, StartedISO                 string
	Duration                            string
	Outcome, BadgeClass                 string
	Error                               string
}

// NewJobRow builds the history view of j as of now; several says the
// dashboard has several hosts, so that the row names j's host.
func NewJobRow(j lifecycle.Job, now time.Time, several bool) JobRow {
	host, container := "", j.Container
	if several {
		host, container = j.Host, lifecycle.HostName(j.Host, j.Container)
	}
	r := JobRow{
		Op:           string(j.Op),
		Container:    container,
		ContainerURL: ContainerPath(host, j.Container) + "/history",
		Origin:       j.Origin,
		Started:      j.StartedAt.Local().Format("2006-01-02 15:04:05"),
		StartedISO:   j.StartedAt.UTC().Format(time.RFC3339),
		Duration:     formatDuration(j.Duration(now)),
		Outcome:      string(j.Outcome),
		Error:        j.Error,
	}
	switch j.Outcome {
	case lifecycle.JobSucceeded:
		r.BadgeClass = "badge-running"
	case lifecycle.JobFailed:
		r.BadgeClass = "badge-error"
	case lifecycle.JobRunning:
		r.BadgeClass = "badge-transition"
		r.Duration += " so far"
	default:
		r.BadgeClass = "badge-paused"
	}
	return r
}

// formatDuration prints "850 ms", "12.4 s" or "2 min 10 s".
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// Login is the sign-in page.
type Login struct {
	Next      string // where to go after signing in
	Username  string // as typed, after a failed attempt
	Error     string
	SignedOut bool   // the page was reached because a session ended
	NoUsers   bool   // nobody can sign in yet
	Hint      string // the command that creates a user
}

// User is who the page is for.
type User struct {
	Name       string
	CanSignOut bool // a password session, rather than a proxy's user
}

// Sessions is the list of signed-in browsers.
type Sessions struct {
	Rows   []SessionRow
	Notice string
}

// SessionRow is one session, display-ready.
type SessionRow struct {
	ID, User, Since, SinceExact, Seen, Addr, Agent string
	Current                                        bool
}

// Ago says how long ago t was ("3 minutes ago"), "" for a zero time.
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return humanDuration(now.Sub(t)) + " ago"
}
