package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"podboard/db"
	"podboard/handlers"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web"
)

// BenchmarkActionStop is POST /containers/{name}/stop from htmx through the
// real router, manager, SQLite file and hub, up to the written answer with
// the "Stopping…" row. The engine holds every stop, so jobs stay in flight
// as they do while a service shuts down; each iteration stops a container of
// its own, since a container can only be stopped once.
func BenchmarkActionStop(b *testing.B) {
	for _, clients := range []int{0, 10} {
		b.Run(fmt.Sprintf("pages=%d", clients), func(b *testing.B) {
			benchActionStop(b, clients)
		})
	}
}

func benchActionStop(b *testing.B, pages int) {
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	store, err := db.Open(ctx, filepath.Join(b.TempDir(), "podboard.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	incid, err := lifecycle.OpenIncidentLog(filepath.Join(b.TempDir(), "lifecycle.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer incid.Close()

	engine := fake.New()
	hub := web.NewHub(logger)
	defer hub.Close()
	m := lifecycle.NewManager(lifecycle.Config{Store: store, Engine: engine, Notifier: hub, Incident: incid, Logger: logger})
	router := web.Router(handlers.New(m, "unix:///bench.sock", logger), hub, logger)
	release := engine.Hold(lifecycle.Stop, "*")
	defer func() {
		release()
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := m.Wait(wctx); err != nil {
			b.Errorf("jobs still running: %v", err)
		}
	}()

	if pages > 0 {
		srv := httptest.NewServer(router)
		defer srv.Close()
		for range pages {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			defer resp.Body.Close()
			go func() { _, _ = io.Copy(io.Discard, resp.Body) }()
		}
		defer hub.Close() // before srv.Close, which waits for the streams
	}

	// One running container per iteration, created outside the timer.
	for i := range b.N {
		engine.Put(fake.Running(fmt.Sprintf("svc-%07d", i)))
	}
	if _, err := m.Scan(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/containers/svc-%07d/stop", i), nil)
		req.Header.Set("HX-Request", "true")
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("POST stop: %d %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
}
