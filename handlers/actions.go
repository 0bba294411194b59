package handlers

import (
	"errors"
	"net/http"

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
	op, err := lifecycle.ParseOp(chi.URLParam(r, "op"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, run, err := h.lc.Begin(r.Context(), name, op, origin(r))
	if err != nil {
		h.refuse(w, r, c, err)
		return
	}
	// However the answer goes (the client may have gone), the operation
	// that is stored as begun must run.
	defer run()
	h.answer(w, r, http.StatusAccepted, c)
	_ = http.NewResponseController(w).Flush()
}

// answer shows c after a request changed it: htmx gets the row, a script
// JSON with jsonStatus, a plain form a redirect to the page.
func (h *Handlers) answer(w http.ResponseWriter, r *http.Request, jsonStatus int, c lifecycle.Container) {
	switch {
	case wantsJSON(r):
		writeJSON(w, jsonStatus, toAPI(c, h.now()))
	case isHTMX(r):
		render(w, r, http.StatusOK, templates.RowItem(templates.NewRow(c, h.now()), false))
	default:
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

// refuse answers an operation that did not start. When the container
// exists (busy, wrong state), htmx gets its current row with the reason, so
// the clicked row shows the truth; every other failure goes to fail.
func (h *Handlers) refuse(w http.ResponseWriter, r *http.Request, c lifecycle.Container, err error) {
	if c.Name == "" || !(errors.Is(err, lifecycle.ErrBusy) || errors.Is(err, lifecycle.ErrState)) {
		h.fail(w, r, err)
		return
	}
	status, _ := classify(err)
	h.log.Info("operation refused", "container", c.Name, "status", status, "err", err)
	switch {
	case wantsJSON(r):
		_, title := classify(err)
		writeJSON(w, status, apiError{Error: title + ": " + message(err), Container: ptr(toAPI(c, h.now()))})
	case isHTMX(r):
		row := templates.NewRow(c, h.now())
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
	c, err := h.lc.Dismiss(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.answer(w, r, http.StatusOK, c)
}
