// Package handlers translates HTTP requests into lifecycle calls and renders
// the answers: HTML fragments for htmx, whole pages and redirects for plain
// forms, JSON for scripts. It holds no state and no rules of its own.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"

	"podboard/lifecycle"
	"podboard/templates"
	"podboard/web/auth"
)

// Lifecycle is what the handlers need of the lifecycle manager.
type Lifecycle interface {
	// Begin stores and announces op's transitional state; run starts the
	// engine call, after the answer is written.
	BeginWith(ctx context.Context, name string, op lifecycle.Op, origin string, opts lifecycle.Options) (c lifecycle.Container, run func(), err error)
	// BeginEach does the same for several containers at once, each on its
	// own; err refuses the whole request.
	BeginEach(ctx context.Context, names []string, op lifecycle.Op, origin string, opts lifecycle.Options) (begun []lifecycle.Begun, run func(), err error)
	Container(ctx context.Context, name string) (lifecycle.Container, error)
	Containers(ctx context.Context) ([]lifecycle.Container, error)
	Dismiss(ctx context.Context, name string) (lifecycle.Container, error)
	Jobs(ctx context.Context, container string, limit int) ([]lifecycle.Job, error)
	Details(ctx context.Context, name string) (lifecycle.Details, error)
	// Usage is a running container's CPU and memory, when stats are on.
	Usage(name string) (lifecycle.Usage, bool)
	Logs(ctx context.Context, name string, opts lifecycle.LogOptions, line func(lifecycle.LogLine)) error
	ScanError() error
	// Unreachable is since when the scans fail and why; a nil error when
	// the last one worked.
	Unreachable() (since time.Time, err error)
}

// Auth is what the handlers need of the authentication.
type Auth interface {
	Mode() auth.Mode
	Authenticate(r *http.Request) (auth.Principal, error)
	Login(r *http.Request, name, password string) error
	Logout(r *http.Request) (session string, err error)
	ListSessions(ctx context.Context) ([]auth.Session, error)
	EndSession(ctx context.Context, id string) (bool, error)
	HasUsers(ctx context.Context) (bool, error)
	CreateUserHint() string
}

// Config is what the handlers are built from.
type Config struct {
	// Hosts are the Podman hosts, in the operator's order; with none,
	// Lifecycle and Podman are the one host, DefaultHost.
	Hosts     []Host
	Lifecycle Lifecycle
	Auth      Auth
	// EndFeeds ends the live feeds of a session that was ended.
	EndFeeds func(session string)
	Podman   string // the engine's URI (redacted), for the footer
	Log      *slog.Logger
}

// Handlers serves the dashboard's pages, fragments and API.
type Handlers struct {
	hosts    []Host // at least one
	auth     Auth
	endFeeds func(string)
	log      *slog.Logger
	podman   string
	now      func() time.Time
	bulk     bulkResults // summaries for the page a plain bulk form lands on
}

// New returns the handlers of c.
func New(c Config) *Handlers {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.EndFeeds == nil {
		c.EndFeeds = func(string) {}
	}
	if len(c.Hosts) == 0 {
		c.Hosts = []Host{{Name: lifecycle.DefaultHost, Podman: c.Podman, Lifecycle: c.Lifecycle}}
	}
	return &Handlers{hosts: c.Hosts, auth: c.Auth, endFeeds: c.EndFeeds, log: c.Log, podman: c.Hosts[0].Podman, now: time.Now}
}

func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// wantsJSON reports whether a script asked for JSON rather than a browser
// for HTML.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// origin names who asked, for the job history: the signed-in user, the
// token, the proxy's user, or (with no sign-in) the client address.
func origin(r *http.Request) string {
	if p, ok := auth.From(r.Context()); ok {
		return p.Who
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		slog.Default().Warn("render", "path", r.URL.Path, "err", err)
	}
}

// page is the dashboard with flash on top, showing the view show of the
// host filter ("" for every host).
func (h *Handlers) page(ctx context.Context, flash *templates.Flash, show, filter string) (templates.Page, error) {
	now := h.now()
	p := templates.Page{Flash: flash, Podman: h.podman, User: user(ctx), Show: show, HostFilter: filter}
	if h.several() {
		groups, err := h.groups(ctx, filter, now)
		if err != nil {
			return templates.Page{}, err
		}
		for _, g := range groups {
			for _, r := range g.Rows {
				if r.Health == lifecycle.Unhealthy && !g.Hidden {
					p.Unhealthy++
				}
			}
		}
		p.Groups = groups
		return p, nil
	}
	hst := &h.hosts[0]
	cs, err := hst.Lifecycle.Containers(ctx)
	if err != nil {
		return templates.Page{}, err
	}
	for _, c := range cs {
		row := h.rowOn(hst, c, now, "")
		if row.Health == lifecycle.Unhealthy {
			p.Unhealthy++
		}
		p.Rows = append(p.Rows, row)
	}
	if err := hst.Lifecycle.ScanError(); err != nil {
		p.ScanErr = err.Error()
	}
	return p, nil
}

// row is c's row on hst as of now, with its usage and its host's state.
func (h *Handlers) row(hst *Host, c lifecycle.Container, now time.Time) templates.Row {
	down := ""
	if h.several() {
		down = hst.state(now).Down
	}
	return h.rowOn(hst, c, now, down)
}

// Index serves the dashboard page, rendered from the database so that a
// fresh page is current without waiting for the live feed. ?show= picks
// the view of the table (templates.Shows).
func (h *Handlers) Index(w http.ResponseWriter, r *http.Request) {
	show := r.URL.Query().Get("show")
	if !templates.ValidShow(show) {
		h.fail(w, r, fmt.Errorf("%w: unknown view %q (want unhealthy, running, stopped or busy)", lifecycle.ErrInvalid, show))
		return
	}
	filter := r.URL.Query().Get("host")
	if filter != "" {
		if _, err := h.host(filter); err != nil {
			h.fail(w, r, fmt.Errorf("%w: host filter: no such host %s", lifecycle.ErrInvalid, message(err)))
			return
		}
	}
	var flash *templates.Flash
	summary, kept := templates.Bulk{}, false
	if id := r.URL.Query().Get("bulk"); id != "" {
		if summary, kept = h.bulk.get(id); !kept {
			flash = &templates.Flash{Kind: "info", Title: "That bulk action's summary is gone:", Message: "it is kept for 10 minutes. The rows show what became of each container."}
		}
	}
	p, err := h.page(r.Context(), flash, show, filter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if kept {
		p.Bulk = &summary
	}
	render(w, r, http.StatusOK, templates.Dashboard(p))
}

// Rows serves the table body alone: the page fetches it after its live
// connection came back, since changes made meanwhile were not pushed to it.
func (h *Handlers) Rows(w http.ResponseWriter, r *http.Request) {
	p, err := h.page(r.Context(), nil, "", "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p.Groups != nil {
		render(w, r, http.StatusOK, templates.HostRows(p.Groups, ""))
		return
	}
	render(w, r, http.StatusOK, templates.Rows(p.Rows, ""))
}
