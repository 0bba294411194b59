// Package web owns the HTTP surface: the router, its middleware, the
// embedded static files and the SSE hub that pushes rows to every page.
package web

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"podboard/handlers"
	"podboard/static"
	"podboard/web/auth"
)

// Site is what the router serves and how it guards it.
type Site struct {
	Handlers       *handlers.Handlers
	Hub            *Hub
	Auth           *auth.Auth
	Hosts          *Hosts
	TrustedOrigins []string // origins a proxy rewrites requests to (--trusted-origin)
	Log            *slog.Logger
}

// Router builds the dashboard's routes. Every answer carries the security
// headers; every request must name an allowed host; state changes from
// other sites are refused; every route but the login page, the static
// files and the health check needs a session or a token.
func Router(s Site) (http.Handler, error) {
	cross, err := crossOrigin(s.TrustedOrigins)
	if err != nil {
		return nil, err
	}
	h := s.Handlers
	r := chi.NewRouter()
	r.Use(securityHeaders)
	r.Use(middleware.Recoverer)
	r.Use(compressReads)
	r.Use(requestLog(s.Log))
	r.Use(s.Hosts.check)
	// The largest body any route reads, the bulk form's; every other
	// route takes MaxBody below.
	r.Use(limitBody(MaxBulkBody))
	// Every action is a plain form POST, so a page on another site could
	// submit one from the operator's browser; cross-origin POSTs are refused.
	r.Use(cross)

	small := limitBody(MaxBody)
	r.With(small).Handle("/static/*", http.StripPrefix("/static/", staticFiles()))
	r.With(small).Get("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	r.With(s.Auth.Sessions, requireAuth(s.Auth, s.Log)).Post("/bulk", h.Bulk)
	r.Group(func(r chi.Router) {
		r.Use(s.Auth.Sessions, small)
		r.Get("/login", h.LoginPage)
		r.Post("/login", h.Login)
		r.Post("/logout", h.Logout)
		r.Group(func(r chi.Router) {
			r.Use(requireAuth(s.Auth, s.Log))
			r.Get("/", h.Index)
			r.Get("/rows", h.Rows)
			r.Post("/containers/{name}/dismiss", h.Dismiss)
			r.Post("/containers/{name}/{op}", h.Action)
			r.Get("/containers/{name}", h.Container)
			r.Get("/containers/{name}/row", h.Row)
			r.Get("/containers/{name}/logs.txt", h.LogsText)
			r.Get("/containers/{name}/history", h.History)
			r.Get("/history", h.History)
			// The same under a host's name, for a dashboard of several
			// hosts (and, for scripts, of one).
			r.Route("/hosts/{host}", func(r chi.Router) {
				r.Post("/containers/{name}/dismiss", h.Dismiss)
				r.Post("/containers/{name}/{op}", h.Action)
				r.Get("/containers/{name}", h.Container)
				r.Get("/containers/{name}/row", h.Row)
				r.Get("/containers/{name}/logs.txt", h.LogsText)
				r.Get("/containers/{name}/history", h.History)
				r.Get("/history", h.History)
			})
			r.Get("/sessions", h.Sessions)
			r.Post("/sessions/{id}/end", h.EndSession)
			r.Get("/api/containers", h.APIContainers)
			r.Get("/events", s.Hub.ServeHTTP)
		})
	})
	return r, nil
}

// compressReads sends the answers to GET requests gzipped to a client
// that takes them: pages, the table, JSON, logs and static files. A table
// of a few thousand rows is megabytes of HTML and a twentieth of that
// gzipped. The live feed (text/event-stream) is never compressed, so its
// events are not held in a compressor; nor are the answers to actions,
// one row each, whose latency matters more than their few kilobytes.
func compressReads(next http.Handler) http.Handler {
	gzipped := middleware.Compress(5)(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			gzipped.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// staticFiles serves the embedded assets. They change only with the
// binary, so browsers may cache them for a while.
func staticFiles() http.Handler {
	fs := http.FileServerFS(static.FS)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		fs.ServeHTTP(w, r)
	})
}

// requestLog logs each request at debug level, and failures at info.
func requestLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			start := time.Now()
			next.ServeHTTP(ww, r)
			level := slog.LevelDebug
			if ww.Status() >= 500 {
				level = slog.LevelInfo
			}
			log.Log(r.Context(), level, "http", "method", r.Method, "path", r.URL.Path, "status", ww.Status(), "took", time.Since(start))
		})
	}
}
