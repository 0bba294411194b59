package handlers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/auth"
	"podboard/web/webtest"
)

// BenchmarkActionStop is POST /containers/{name}/stop from htmx through the
// real router (its guards and a signed-in session, renewed on every
// request as the idle timeout wants), manager, SQLite file and hub, up to
// the written answer with the "Stopping…" row. The engine holds every stop, so jobs stay in flight
// as they do while a service shuts down; each iteration stops a container of
// its own, since a container can only be stopped once.
func BenchmarkActionStop(b *testing.B) {
	for _, clients := range []int{0, 10} {
		b.Run(fmt.Sprintf("pages=%d", clients), func(b *testing.B) {
			benchActionStop(b, clients, "session")
		})
	}
	// What the sign-in gate costs a click: none (--auth none), a script's
	// bearer token, against the session above.
	for _, how := range []string{"none", "token"} {
		b.Run("auth="+how, func(b *testing.B) { benchActionStop(b, 0, how) })
	}
}

func benchActionStop(b *testing.B, pages int, how string) {
	mode := auth.Password
	if how == "none" {
		mode = auth.None
	}
	e := webtest.New(b, webtest.DiscardEvents(), webtest.Auth(auth.Config{Mode: mode}))
	e.Hold(lifecycle.Stop, "*") // released by the teardown, which then waits for the jobs
	var name, value string
	switch how {
	case "session":
		e.AddUser("operator", "correct horse battery")
		name, value = "Cookie", e.Login("operator", "correct horse battery").Header.Get("Cookie")
	case "token":
		name, value = "Authorization", "Bearer "+e.AddToken("bench")
	}

	// Open pages read the live feed and throw it away: Subscribe would keep
	// every event of every iteration.
	for range pages {
		ctx, cancel := context.WithCancel(context.Background())
		b.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/events", nil)
		if name != "" {
			req.Header.Set(name, value)
		}
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
		req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("http://127.0.0.1:8080/containers/svc-%07d/stop", i), nil)
		req.Header.Set("HX-Request", "true")
		if name != "" {
			req.Header.Set(name, value)
		}
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("POST stop: %d %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
}

// BenchmarkBulkStop is POST /bulk from htmx stopping 50 containers in one
// request (a "stop all" from the page), up to the written answer with
// their 50 "Stopping…" rows and the summary; time/op is per request.
func BenchmarkBulkStop(b *testing.B) {
	const per = 50
	e := webtest.New(b, webtest.DiscardEvents(), webtest.Auth(auth.Config{Mode: auth.None}))
	e.Hold(lifecycle.Stop, "*")
	for i := range b.N * per {
		e.Engine.Put(fake.Running(fmt.Sprintf("svc-%07d", i)))
	}
	e.Scan()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		form := url.Values{"op": {"stop"}}
		for j := range per {
			form.Add("name", fmt.Sprintf("svc-%07d", i*per+j))
		}
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/bulk", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("POST /bulk: %d %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
}
