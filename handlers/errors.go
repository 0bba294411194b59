package handlers

import (
	"errors"
	"net/http"
	"strings"

	"podboard/lifecycle"
	"podboard/templates"
)

// classify maps an error to its HTTP status and a title an operator reads.
// It is the one place that knows how lifecycle errors look over HTTP.
func classify(err error) (int, string) {
	switch {
	case errors.Is(err, lifecycle.ErrInvalid):
		return http.StatusBadRequest, "Bad request"
	case errors.Is(err, lifecycle.ErrNoHost):
		return http.StatusNotFound, "No such host"
	case errors.Is(err, lifecycle.ErrNotFound):
		return http.StatusNotFound, "No such container"
	case errors.Is(err, lifecycle.ErrBusy):
		return http.StatusConflict, "Operation already running"
	case errors.Is(err, lifecycle.ErrState):
		return http.StatusConflict, "Not possible now"
	case errors.Is(err, lifecycle.ErrUnreachable):
		return http.StatusServiceUnavailable, "Podman unreachable"
	case errors.Is(err, lifecycle.ErrLost):
		return http.StatusServiceUnavailable, "Connection to Podman lost"
	case errors.Is(err, lifecycle.ErrTimeout):
		return http.StatusGatewayTimeout, "Podman did not answer in time"
	}
	return http.StatusInternalServerError, "Internal error"
}

// message is the error's text as an operator reads it: the specific part,
// without the sentinel's generic prefix.
func message(err error) string {
	s := err.Error()
	for _, sentinel := range []error{lifecycle.ErrInvalid, lifecycle.ErrNoHost, lifecycle.ErrNotFound, lifecycle.ErrBusy,
		lifecycle.ErrState, lifecycle.ErrUnreachable, lifecycle.ErrTimeout, lifecycle.ErrLost} {
		s = strings.TrimPrefix(s, sentinel.Error()+": ")
	}
	return s
}

// fail answers a request that failed: htmx gets a flash message retargeted
// to the top of the page, a script JSON, a plain form a whole page with the
// message. Internal errors are logged and shown without their details.
func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, title := classify(err)
	msg := message(err)
	if status == http.StatusInternalServerError {
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "See the dashboard's log for details."
	} else {
		h.log.Info("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	switch {
	case wantsJSON(r):
		writeJSON(w, status, apiError{Error: title + ": " + msg})
	case isHTMX(r):
		w.Header().Set("HX-Retarget", "#flash")
		w.Header().Set("HX-Reswap", "innerHTML")
		render(w, r, status, templates.FlashMessage(templates.Flash{Kind: "error", Title: title + ":", Message: msg}))
	default:
		h.failPage(w, r, status, err)
	}
}

// failPage renders the whole page with the error on top, for browsers
// without JavaScript.
func (h *Handlers) failPage(w http.ResponseWriter, r *http.Request, status int, err error) {
	_, title := classify(err)
	msg := message(err)
	if status == http.StatusInternalServerError {
		msg = "See the dashboard's log for details."
	}
	p, perr := h.page(r.Context(), &templates.Flash{Kind: "error", Title: title + ":", Message: msg}, "", "")
	if perr != nil {
		h.log.Error("render error page", "err", perr)
		http.Error(w, title+": "+msg, status)
		return
	}
	render(w, r, status, templates.Dashboard(p))
}
