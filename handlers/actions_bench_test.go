package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
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
	e := webtest.New(b, webtest.DiscardEvents())
	e.Hold(lifecycle.Stop, "*") // released by the teardown, which then waits for the jobs

	// Open pages read the live feed and throw it away: Subscribe would keep
	// every event of every iteration.
	for range pages {
		ctx, cancel := context.WithCancel(context.Background())
		b.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
		}()
	}

	// One running container per iteration, created outside the timer.
	for i := range b.N {
		e.Engine.Put(fake.Running(fmt.Sprintf("svc-%07d", i)))
	}
	e.Scan()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/containers/svc-%07d/stop", i), nil)
		req.Header.Set("HX-Request", "true")
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("POST stop: %d %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
}
