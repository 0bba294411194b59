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
)

// Router builds the dashboard's routes.
func Router(h *handlers.Handlers, hub *Hub, log *slog.Logger) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(requestLog(log))
	// Every action is a plain form POST, so a page on another site could
	// submit one from the operator's browser; cross-origin POSTs are refused.
	r.Use(http.NewCrossOriginProtection().Handler)

	r.Get("/", h.Index)
	r.Get("/rows", h.Rows)
	r.Post("/containers/{name}/dismiss", h.Dismiss)
	r.Post("/containers/{name}/{op}", h.Action)
	r.Get("/containers/{name}/history", h.History)
	r.Get("/history", h.History)
	r.Get("/api/containers", h.APIContainers)
	r.Get("/events", hub.ServeHTTP)
	r.Handle("/static/*", http.StripPrefix("/static/", staticFiles()))
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	return r
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
