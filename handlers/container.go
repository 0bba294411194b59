package handlers

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"podboard/lifecycle"
	"podboard/templates"
)

// containerJobs is how many operations a container's page lists.
const containerJobs = 50

// Container serves a container's page: GET /containers/{name}. It renders
// from the database and asks Podman for the details; when Podman does not
// answer the page still shows the row, its actions and its history, and
// says why the details are missing.
func (h *Handlers) Container(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	hst, c, err := h.container(r, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := hst.Lifecycle.Details(r.Context(), name)
	detailsErr := ""
	switch {
	case errors.Is(err, lifecycle.ErrNotFound):
		h.fail(w, r, err) // gone from Podman since the last scan
		return
	case err != nil:
		h.log.Info("container details unavailable", "container", name, "host", hst.Name, "err", err)
		_, title := classify(err)
		detailsErr = title + ": " + message(err) + ". The row, its actions and its history are the dashboard's own; reload for the details."
	}
	jobs, err := hst.Lifecycle.Jobs(r.Context(), name, containerJobs)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.now()
	v := templates.NewContainerView(c, h.row(hst, c, now), d, detailsErr, jobs, now)
	v.Podman, v.User = hst.Podman, user(r.Context())
	if h.several() {
		v.Host = ptr(hst.state(now))
	} else if err := hst.Lifecycle.ScanError(); err != nil {
		v.ScanErr = err.Error()
	}
	render(w, r, http.StatusOK, templates.ContainerPage(v))
}

// Row serves one container's row alone: GET /containers/{name}/row, which
// a container's page fetches after its live connection came back.
func (h *Handlers) Row(w http.ResponseWriter, r *http.Request) {
	hst, c, err := h.container(r, chi.URLParam(r, "name"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	render(w, r, http.StatusOK, templates.RowItem(h.row(hst, c, h.now()), false))
}

// container is the stored row of the container a URL names.
func (h *Handlers) container(r *http.Request, name string) (*Host, lifecycle.Container, error) {
	hst, err := h.hostOf(r)
	if err != nil {
		return nil, lifecycle.Container{}, err
	}
	if err := lifecycle.ValidateName(name); err != nil {
		return nil, lifecycle.Container{}, err
	}
	c, err := hst.Lifecycle.Container(r.Context(), name)
	return hst, c, err
}

// maxLogTail bounds ?tail=N; "all" has no bound.
const maxLogTail = 1_000_000

// LogsText streams a container's logs as plain text: GET
// /containers/{name}/logs.txt?tail=N (a number, or all, the default), one
// line per line the container wrote, stdout and stderr in the order Podman
// gives them; ?timestamps=true puts Podman's time in front of each.
func (h *Handlers) LogsText(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	q := r.URL.Query()
	tail := -1
	if t := q.Get("tail"); t != "" && t != "all" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > maxLogTail {
			h.fail(w, r, fmt.Errorf("%w: tail %q: want a number of lines from 0 to %d, or all", lifecycle.ErrInvalid, t, maxLogTail))
			return
		}
		tail = n
	}
	stamps, err := strconv.ParseBool(cmp.Or(q.Get("timestamps"), "false"))
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: timestamps %q: want true or false", lifecycle.ErrInvalid, q.Get("timestamps")))
		return
	}
	hst, _, err := h.container(r, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// A long log takes its time: no write deadline, the client's going
	// away ends it.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	started := false
	start := func() {
		if !started {
			started = true
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", name+".log"))
			w.WriteHeader(http.StatusOK)
		}
	}
	n := 0
	err = hst.Lifecycle.Logs(r.Context(), name, lifecycle.LogOptions{Tail: tail}, func(l lifecycle.LogLine) {
		start()
		if stamps && !l.Time.IsZero() {
			fmt.Fprint(w, l.Time.Format(time.RFC3339Nano), " ")
		}
		fmt.Fprintln(w, l.Text)
		if n++; n%512 == 0 {
			_ = rc.Flush()
		}
	})
	if err != nil && !started && r.Context().Err() == nil {
		h.fail(w, r, err)
		return
	}
	start() // an empty log is an empty answer
	if err != nil && r.Context().Err() == nil {
		h.log.Warn("log download cut short", "container", name, "err", err)
		fmt.Fprintf(w, "\n[podboard: the log stream broke: %v]\n", err)
	}
}
