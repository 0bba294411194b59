package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"podboard/templates"
	"podboard/web/auth"
)

// user is who the page is for.
func user(ctx context.Context) templates.User {
	p, ok := auth.From(ctx)
	if !ok || p.Kind == auth.KindNone {
		return templates.User{}
	}
	return templates.User{Name: p.Who, CanSignOut: p.Kind == auth.KindSession}
}

// LoginPage serves GET /login; with no user yet it says how to create one.
func (h *Handlers) LoginPage(w http.ResponseWriter, r *http.Request) {
	if h.auth.Mode() != auth.Password {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	p := templates.Login{Next: safeNext(r.URL.Query().Get("next")), SignedOut: r.URL.Query().Has("signed-out")}
	if who, err := h.auth.Authenticate(r); err == nil && who.Kind == auth.KindSession {
		// Signed in already (another tab signed in again): go on.
		next := p.Next
		if next == "" {
			next = "/"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, p)
}

func (h *Handlers) renderLogin(w http.ResponseWriter, r *http.Request, status int, p templates.Login) {
	has, err := h.auth.HasUsers(r.Context())
	if err != nil {
		h.log.Error("count users", "err", err)
	}
	if !has && err == nil {
		p.NoUsers, p.Hint = true, h.auth.CreateUserHint()
	}
	w.Header().Set("Cache-Control", "no-store")
	render(w, r, status, templates.LoginPage(p))
}

// Login serves POST /login (form fields username and password): on
// success a new session and a redirect to where the person was going.
func (h *Handlers) Login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "podboard: sign-in form too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "podboard: unreadable sign-in form: "+err.Error(), http.StatusBadRequest)
		return
	}
	name, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	if who, err := h.auth.Authenticate(r); err == nil && who.Kind == auth.KindSession && who.Who == name {
		// A form left open in a tab of a browser that is signed in as
		// that user already: a new session would sign out its other tabs.
		if next == "" {
			next = "/"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p := templates.Login{Next: next, Username: name}
	if len(name) > 64 {
		p.Username = ""
	}
	err := h.auth.Login(r, name, password)
	var throttled *auth.ThrottledError
	switch {
	case err == nil:
		if next == "" {
			next = "/"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(throttled.Seconds()))
		p.Error = "Too many failed sign-ins. Try again in " + strconv.Itoa(throttled.Seconds()) + " s."
		h.renderLogin(w, r, http.StatusTooManyRequests, p)
	case errors.Is(err, auth.ErrBadLogin):
		p.Error = "Wrong user name or password."
		h.renderLogin(w, r, http.StatusUnauthorized, p)
	case errors.Is(err, auth.ErrForbidden):
		http.Error(w, "podboard: "+err.Error(), http.StatusForbidden)
	case errors.Is(err, auth.ErrBusy):
		w.Header().Set("Retry-After", "5")
		p.Error = "The server is busy with other sign-ins. Try again in a few seconds."
		h.renderLogin(w, r, http.StatusServiceUnavailable, p)
	default:
		h.log.Error("sign-in", "err", err)
		p.Error = "Sign-in failed on the server; see the dashboard's log."
		h.renderLogin(w, r, http.StatusInternalServerError, p)
	}
}

// safeNext keeps a redirect target on this site: a path, never "//host"
// or a URL.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t") || len(next) > 512 || strings.HasPrefix(next, "/login") {
		return ""
	}
	return next
}

// Logout serves POST /logout: the session ends, with its live feeds.
func (h *Handlers) Logout(w http.ResponseWriter, r *http.Request) {
	sid, err := h.auth.Logout(r)
	if err != nil {
		h.log.Error("sign-out", "err", err)
		http.Error(w, "podboard: sign-out failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if sid != "" {
		h.endFeeds(sid)
	}
	http.Redirect(w, r, "/login?signed-out=1", http.StatusSeeOther)
}

// Sessions lists the signed-in sessions: GET /sessions.
func (h *Handlers) Sessions(w http.ResponseWriter, r *http.Request) {
	h.renderSessions(w, r, http.StatusOK, "")
}

func (h *Handlers) renderSessions(w http.ResponseWriter, r *http.Request, status int, notice string) {
	ss, err := h.auth.ListSessions(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.now()
	me, _ := auth.From(r.Context())
	p := templates.Sessions{Notice: notice}
	for _, s := range ss {
		p.Rows = append(p.Rows, templates.SessionRow{
			ID: s.ID, User: s.User, Addr: s.Addr, Agent: s.Agent, Current: me.Kind == auth.KindSession && s.ID == me.Session,
			Since: templates.Ago(now, s.Since), SinceExact: s.Since.UTC().Format(time.RFC3339), Seen: templates.Ago(now, s.Seen),
		})
	}
	w.Header().Set("Cache-Control", "no-store")
	render(w, r, status, templates.SessionsPage(p))
}

// EndSession ends another session: POST /sessions/{id}/end. Its pages
// are signed out at once.
func (h *Handlers) EndSession(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	ok, err := h.auth.EndSession(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !ok {
		h.renderSessions(w, r, http.StatusNotFound, "No such session: it has ended already.")
		return
	}
	h.endFeeds(id)
	h.log.Info("session ended", "session", id, "by", origin(r))
	http.Redirect(w, r, "/sessions", http.StatusSeeOther)
}
