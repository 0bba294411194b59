package templates

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"podboard/lifecycle"
)

// ContainerView is a container's page, display-ready.
type ContainerView struct {
	Name string
	Row  Row
	// Facts are inspect's answer in an operator's words, in reading
	// order; DetailsErr replaces them when Podman could not answer.
	Facts      []Fact
	DetailsErr string

	HealthCmd     string // the healthcheck's command, "" without one
	HealthSummary string // "healthy, 0 failures in a row"
	HealthLog     []HealthCheckRow

	Jobs []JobRow

	ScanErr string // why the last scan failed, "" when it worked
	// Host is the container's host on a dashboard of several, whose
	// banner the page shows instead of ScanErr's; nil on one of one.
	Host               *HostState
	EventsURL, LogsURL string
	LogTail, LogKeep   string
	Podman             string
	User               User
}

// Fact is one labelled item of a container's details, with one value per
// line (a port, a mount, a label).
type Fact struct {
	Label  string
	Values []string
}

// HealthCheckRow is one run of a healthcheck.
type HealthCheckRow struct {
	Start, StartISO, ExitCode, Output string
}

// A container's page starts with the last LogTail lines of its logs and
// keeps the last LogKeep.
const (
	LogTail = 200
	LogKeep = 2000
)

// NewContainerView builds the page of c, whose row is row, from Podman's
// details d (or the reason they are missing) and its operations.
func NewContainerView(c lifecycle.Container, row Row, d lifecycle.Details, detailsErr string, jobs []lifecycle.Job, now time.Time) ContainerView {
	events := "/events?stream=containers&logs=" + c.Name
	if row.Host != "" {
		events += "&host=" + row.Host
	}
	v := ContainerView{
		Name:       c.Name,
		Row:        row,
		DetailsErr: detailsErr,
		EventsURL:  events,
		LogsURL:    ContainerPath(row.Host, c.Name) + "/logs.txt?tail=all",
		LogTail:    strconv.Itoa(LogTail),
		LogKeep:    strconv.Itoa(LogKeep),
	}
	for _, j := range jobs {
		v.Jobs = append(v.Jobs, NewJobRow(j, now, row.Host != ""))
	}
	if detailsErr != "" {
		return v
	}
	when := func(t time.Time) []string {
		if t.IsZero() {
			return nil
		}
		return []string{t.Local().Format("2006-01-02 15:04:05") + " (" + Ago(now, t) + ")"}
	}
	one := func(s string) []string {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	exit := one(strconv.Itoa(d.ExitCode))
	if d.Finished.IsZero() {
		exit = nil
	}
	stop := d.StopSignal
	if d.StopTimeout > 0 {
		stop += fmt.Sprintf(", then SIGKILL after %d s", d.StopTimeout)
	}
	restart := d.RestartPolicy
	if d.RestartCount > 0 {
		restart += fmt.Sprintf(" (restarted %d times)", d.RestartCount)
	}
	var mounts []string
	for _, m := range d.Mounts {
		s := fmt.Sprintf("%s %s → %s", m.Type, m.Source, m.Destination)
		if m.ReadOnly {
			s += " (read-only)"
		}
		mounts = append(mounts, s)
	}
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(d.Labels)) {
		labels = append(labels, k+"="+d.Labels[k])
	}
	v.Facts = []Fact{
		{"Image", one(d.Image)},
		{"Image ID", one(shortID(d.ImageID))},
		{"Container ID", one(d.ID)},
		{"Podman state", one(d.EngineState)},
		{"Created", when(d.Created)},
		{"Started", when(d.Started)},
		{"Finished", when(d.Finished)},
		{"Exit code", exit},
		{"Restart policy", one(restart)},
		{"Stop signal and timeout", one(stop)},
		{"Command", one(strings.Join(d.Command, " "))},
		{"Ports", d.Ports},
		{"Mounts", mounts},
		{"Networks", d.Networks},
		{"Labels", labels},
	}
	if len(d.HealthcheckConfig) > 0 {
		v.HealthCmd = strings.Join(d.HealthcheckConfig, " ")
		v.HealthSummary = "not running"
		if d.EngineState == "running" || d.EngineState == "paused" {
			v.HealthSummary = cmp.Or(d.Health, "no verdict") + fmt.Sprintf(", %d failing in a row", d.HealthFailStreak)
		}
		for i := len(d.HealthLog) - 1; i >= 0; i-- { // newest first
			h := d.HealthLog[i]
			v.HealthLog = append(v.HealthLog, HealthCheckRow{
				Start: h.Start.Local().Format("2006-01-02 15:04:05"), StartISO: h.Start.Format(time.RFC3339Nano),
				ExitCode: strconv.Itoa(h.ExitCode), Output: shorten(CleanLogText(h.Output), 300),
			})
		}
	}
	return v
}

// shortID is the 12-character form Podman's CLI prints, without the
// digest's algorithm.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// terminalControl matches the escape sequences programs write to colour
// a terminal or move its cursor: CSI (ESC [ … final byte), OSC (ESC ] …
// BEL or ESC \) and the two-byte escapes.
var terminalControl = regexp.MustCompile(`\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]`)

// CleanLogText is a log line as the page shows it: terminal escape
// sequences removed, other control characters (but tabs) shown as the
// replacement character, invalid UTF-8 replaced. The page escapes it as
// any text: a line is never HTML.
func CleanLogText(s string) string {
	s = terminalControl.ReplaceAllString(strings.ToValidUTF8(s, "\uFFFD"), "")
	return strings.Map(func(r rune) rune {
		if r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return '\uFFFD'
	}, s)
}

func logTime(l lifecycle.LogLine) string    { return l.Time.Local().Format("2006-01-02 15:04:05.000") }
func logTimeISO(l lifecycle.LogLine) string { return l.Time.Format(time.RFC3339Nano) }
