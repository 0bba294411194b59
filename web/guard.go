package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"podboard/web/auth"
)

// SecurityHeaders are set on every answer. The policy allows only the
// dashboard's own files: no inline script or style exists, htmx is told
// not to evaluate code or inject styles, and no other site may frame the
// page (a click in a frame would be a same-origin POST).
var SecurityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "same-origin",
	"X-Frame-Options":         "DENY",
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range SecurityHeaders {
			h.Set(k, v)
		}
		next.ServeHTTP(w, r)
	})
}

// MaxBody is the largest request body accepted: the login form and the
// bulk form are the only bodies the dashboard reads; the actions have none.
// MaxBulkBody is the bulk form's: lifecycle.MaxBulk names of Podman's
// longest.
const (
	MaxBody     = 8 << 10
	MaxBulkBody = 64 << 10
)

// limitBody refuses a body announced larger than limit at once and cuts
// one that turns out larger. Limits nest: the smallest holds.
func limitBody(limit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > limit {
				w.Header().Set("Connection", "close")
				http.Error(w, fmt.Sprintf("podboard: request body too large (%d bytes; the limit is %d)", r.ContentLength, limit), http.StatusRequestEntityTooLarge)
				return
			}
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, limit)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Hosts is the Host check against DNS rebinding: a page on evil.example
// that makes evil.example resolve to this machine sends requests that
// carry its own name as Host (and Origin, so that a same-origin check
// passes). Only names the operator reaches podboard by are allowed.
type Hosts struct {
	names map[string]bool // "name" (any port) or "name:port"
	addrs map[netip.Addr]bool
}

// NewHosts allows loopback names and addresses on any port, the address
// podboard listens on (every address of this machine when it listens on
// all of them: an address cannot be rebound) and the allowed names, each
// "name" for any port or "name:port".
func NewHosts(listen string, allowed []string) (*Hosts, error) {
	h := &Hosts{names: map[string]bool{}, addrs: map[netip.Addr]bool{}}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", listen, err)
	}
	switch a, err := netip.ParseAddr(host); {
	case host == "" || (err == nil && a.IsUnspecified()):
		ifaces, err := net.InterfaceAddrs()
		if err != nil {
			return nil, fmt.Errorf("list this machine's addresses: %w", err)
		}
		for _, ia := range ifaces {
			if p, err := netip.ParsePrefix(ia.String()); err == nil {
				h.addrs[p.Addr().Unmap()] = true
			}
		}
	case err == nil:
		h.addrs[a.Unmap()] = true
	default:
		h.names[strings.ToLower(host)] = true
	}
	for _, n := range allowed {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		if strings.ContainsAny(n, "/ ") {
			return nil, fmt.Errorf("allowed host %q: want a name or name:port, without a scheme or path", n)
		}
		name, port, err := net.SplitHostPort(n)
		if err != nil {
			name, port = strings.Trim(n, "[]"), ""
		}
		name = strings.TrimSuffix(name, ".")
		if a, err := netip.ParseAddr(name); err == nil {
			h.addrs[a.Unmap()] = true // an address cannot be rebound: any port
			continue
		}
		if port != "" {
			name += ":" + port
		}
		h.names[name] = true
	}
	return h, nil
}

// Allowed reports whether a request's Host names this dashboard.
func (h *Hosts) Allowed(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		return a.IsLoopback() || h.addrs[a]
	}
	return h.names[host] || (port != "" && h.names[host+":"+port])
}

func (h *Hosts) check(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.Allowed(r.Host) {
			http.Error(w, fmt.Sprintf("podboard: host %q is not allowed: a page may have pointed that name at this machine (DNS rebinding). If you reach podboard by that name, start it with --allowed-hosts %s", r.Host, hostOnly(r.Host)), http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// crossOrigin refuses state-changing requests sent by another site's page
// (Go's CrossOriginProtection: Sec-Fetch-Site, else Origin against Host).
func crossOrigin(trustedOrigins []string) (func(http.Handler) http.Handler, error) {
	p := http.NewCrossOriginProtection()
	for _, o := range trustedOrigins {
		if err := p.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("trusted origin %q: %w", o, err)
		}
	}
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, fmt.Sprintf("podboard: cross-origin request refused: a page at %s may not act on this dashboard. Behind a proxy that rewrites Origin, start podboard with --trusted-origin", orUnknown(r.Header.Get("Origin"))), http.StatusForbidden)
	}))
	return p.Handler, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "another site"
	}
	return s
}

// requireAuth lets through the requests auth accepts, with their
// principal in the context, and answers the others in the way their
// client understands: htmx is sent to the login page (HX-Redirect, never
// a half-swapped fragment), a browser asking for a page is redirected
// there, a script gets a 401 or 403 that says why.
func requireAuth(a *auth.Auth, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := a.Authenticate(r)
			if err == nil {
				// What a signed-in request sees is for it alone: no cache
				// (a shared proxy's, the browser's after sign-out) keeps it.
				w.Header().Set("Cache-Control", "no-store")
				next.ServeHTTP(w, r.WithContext(auth.With(r.Context(), p)))
				return
			}
			refuse(w, r, a.Mode(), err, log)
		})
	}
}

func refuse(w http.ResponseWriter, r *http.Request, mode auth.Mode, err error, log *slog.Logger) {
	switch {
	case errors.Is(err, auth.ErrForbidden):
		log.Warn("request refused", "path", r.URL.Path, "from", r.RemoteAddr, "err", err)
		http.Error(w, "podboard: "+err.Error(), http.StatusForbidden)
		return
	case !errors.Is(err, auth.ErrUnauthenticated):
		log.Error("authentication failed", "path", r.URL.Path, "err", err)
		http.Error(w, "podboard: authentication failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	bearer := r.Header.Get("Authorization") != ""
	switch {
	case mode == auth.Password && !bearer && r.Header.Get("HX-Request") == "true":
		w.Header().Set("HX-Redirect", "/login?signed-out=1")
		http.Error(w, "signed out", http.StatusUnauthorized)
	case mode == auth.Password && !bearer && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		strings.Contains(r.Header.Get("Accept"), "text/html"):
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	default:
		w.Header().Set("WWW-Authenticate", `Bearer realm="podboard"`)
		msg := "podboard: " + err.Error()
		if err == auth.ErrUnauthenticated { // no credentials at all: say how to bring some
			msg += ": sign in at /login, or send Authorization: Bearer TOKEN (podboard token add NAME makes one)"
		}
		http.Error(w, msg, http.StatusUnauthorized)
	}
}
