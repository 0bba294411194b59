package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"podboard/lifecycle"
	"podboard/templates"
)

// Action starts an operation: POST /containers/{name}/{op}. It answers as
// soon as the transitional state is stored, never waiting for Podman: htmx
// gets the row fragment, a plain form a redirect to the page, a script JSON.
// The engine call starts only once the answer is written and flushed, so
// that Podman, busy with earlier clicks, never competes with this answer.
func (h *Handlers) Action(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	hst, err := h.hostOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	op, err := lifecycle.ParseOp(chi.URLParam(r, "op"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	opts, err := options(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, run, err := hst.Lifecycle.BeginWith(r.Context(), name, op, origin(r), opts)
	if err != nil {
		h.refuse(w, r, hst, op, c, err)
		return
	}
	// However the answer goes (the client may have gone), the operation
	// that is stored as begun must run.
	defer run()
	h.answer(w, r, hst, http.StatusAccepted, c)
	_ = http.NewResponseController(w).Flush()
}

// options reads a script's choices from the query: ?signal= for a kill,
// ?timeout=SECONDS for a stop or a restart. lifecycle checks that they fit
// the operation.
func options(r *http.Request) (lifecycle.Options, error) {
	var o lifecycle.Options
	q := r.URL.Query()
	o.Signal = q.Get("signal")
	if t := q.Get("timeout"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil {
			return o, fmt.Errorf("%w: timeout %q: want a number of seconds", lifecycle.ErrInvalid, t)
		}
		o.Timeout = &n
	}
	return o, nil
}

// answer shows c after a request changed it: htmx gets the row, a script
// JSON with jsonStatus, a plain form a redirect to the page.
func (h *Handlers) answer(w http.ResponseWriter, r *http.Request, hst *Host, jsonStatus int, c lifecycle.Container) {
	switch {
	case wantsJSON(r):
		writeJSON(w, jsonStatus, toAPI(c, h.now()))
	case isHTMX(r):
		render(w, r, http.StatusOK, templates.RowItem(h.row(hst, c, h.now()), false))
	default:
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

// refuse answers an operation that did not start. When the container
// exists (busy, wrong state), htmx gets its current row with the reason, so
// the clicked row shows the truth; every other failure goes to fail.
func (h *Handlers) refuse(w http.ResponseWriter, r *http.Request, hst *Host, op lifecycle.Op, c lifecycle.Container, err error) {
	if c.Name == "" || !(errors.Is(err, lifecycle.ErrBusy) || errors.Is(err, lifecycle.ErrState)) {
		h.fail(w, r, err)
		return
	}
	status, _ := classify(err)
	// No job was made: job is null, so that every operation line has the
	// same fields.
	h.log.Info("operation refused", "op", op, "container", c.Name, "job", nil, "user", origin(r), "status", status, "err", err, "host", hst.Name)
	switch {
	case wantsJSON(r):
		_, title := classify(err)
		writeJSON(w, status, apiError{Error: title + ": " + message(err), Container: ptr(toAPI(c, h.now()))})
	case isHTMX(r):
		row := h.row(hst, c, h.now())
		row.Notice = message(err)
		render(w, r, status, templates.RowItem(row, false))
	default:
		h.failPage(w, r, status, err)
	}
}

func ptr[T any](v T) *T { return &v }

// Dismiss clears the failure shown on a container: POST
// /containers/{name}/dismiss.
func (h *Handlers) Dismiss(w http.ResponseWriter, r *http.Request) {
	hst, err := h.hostOf(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := hst.Lifecycle.Dismiss(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.answer(w, r, hst, http.StatusOK, c)
}
