package web_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/web"
)

// benchEvent is a job's final write: the row leaves "Stopping…".
func benchEvent(name string) lifecycle.Event {
	c := lifecycle.Container{Name: name, ID: "0123456789ab", Image: "localhost/bitcoind:27.0", State: lifecycle.Stopped,
		EngineState: "exited", FinishedAt: time.Now().Add(-time.Second), StopTimeout: 600, Version: 7}
	job := lifecycle.Job{ID: 9, Container: name, Op: lifecycle.Stop, PrevState: lifecycle.Running,
		Outcome: lifecycle.JobSucceeded, StartedAt: time.Now().Add(-20 * time.Second), FinishedAt: time.Now()}
	return lifecycle.Event{Container: c, Ended: &job}
}

// BenchmarkHubRender is the SSE payload of one event: the row and the
// screen reader announcement.
func BenchmarkHubRender(b *testing.B) {
	hub := web.NewHub(slog.New(slog.DiscardHandler))
	defer hub.Close()
	e := benchEvent("bitcoind")
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(hub.Render(e))
	}
	b.SetBytes(int64(n))
}

// BenchmarkHubNotify is one event's whole trip to the pages: Notify queues
// it, the hub's goroutine renders it and hands it to every connection,
// and each connection's goroutine writes it. clients is how many pages
// are connected; every iteration waits until each has read the event, so
// no queue fills. With clients=0 it is the cost of queueing alone.
func BenchmarkHubNotify(b *testing.B) {
	for _, clients := range []int{0, 10, 100} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			hub := web.NewHub(slog.New(slog.DiscardHandler))
			srv := newBenchServer(b, hub)
			got := make(chan struct{}, clients)
			for range clients {
				benchClient(b, srv, got)
			}
			e := benchEvent("bitcoind")
			b.ReportAllocs()
			for b.Loop() {
				hub.Notify(e)
				for range clients {
					<-got
				}
			}
		})
	}
}

// BenchmarkHubNotifyCaller is what Notify costs the code that calls it
// (the lifecycle manager, after each stored write) with 100 pages
// connected: the fan-out to the pages is not waited for. Every 100 events
// (fewer than a page's own queue holds) the clock stops until the hub has
// caught up, so no queue fills and every Notify queues its event (a full
// queue would time the drop instead).
func BenchmarkHubNotifyCaller(b *testing.B) {
	hub := web.NewHub(slog.New(slog.DiscardHandler))
	srv := newBenchServer(b, hub)
	got := make(chan struct{}, 1<<20)
	for range 100 {
		benchClient(b, srv, got)
	}
	e := benchEvent("bitcoind")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		hub.Notify(e)
		if n++; n%100 == 0 {
			b.StopTimer()
			hub.Sync()
			for len(got) > 0 {
				<-got
			}
			b.StartTimer()
		}
	}
}

// BenchmarkHubStalledClients publishes rows of about 8 KiB to 50 pages
// that read and 5 that stopped reading, at the pace of the slowest reader,
// and reports the longest silence of any reader (max-gap-ms) and how long
// a page that connects at the 100th event, when the stalled pages' kernel
// buffers are long full, waits for its first byte (first-byte-ms). With
// -benchtime 200x the stalled pages stay connected throughout.
// stalled=0 is the same run without them, for comparison: the difference
// is what the stalled pages cost the others.
func BenchmarkHubStalledClients(b *testing.B) {
	for _, stalled := range []int{0, 5} {
		b.Run(fmt.Sprintf("stalled=%d", stalled), func(b *testing.B) {
			rig := newStallRig(b, 50, stalled, 0)
			res := rig.run(b, 100, func(int) bool { return b.Loop() })
			b.ReportMetric(float64(res.maxGap.Microseconds())/1000, "max-gap-ms")
			b.ReportMetric(float64(res.firstByte.Microseconds())/1000, "first-byte-ms")
			if len(res.missed)+len(res.short) > 0 {
				b.Errorf("readers missed events: %v %v", res.missed, res.short)
			}
		})
	}
}

type benchServer struct {
	url    string
	client *http.Client
}

func newBenchServer(b *testing.B, hub *web.Hub) *benchServer {
	b.Helper()
	mux := http.NewServeMux()
	mux.Handle("/events", hub)
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	b.Cleanup(hub.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 1000, MaxConnsPerHost: 0}
	b.Cleanup(tr.CloseIdleConnections)
	return &benchServer{url: srv.URL, client: &http.Client{Transport: tr}}
}

// benchClient connects one page and signals got for every row it reads.
func benchClient(b *testing.B, srv *benchServer, got chan<- struct{}) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.url+"/events", nil)
	resp, err := srv.client.Do(req)
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	b.Cleanup(func() { cancel(); resp.Body.Close(); wg.Wait() })
	go func() {
		defer wg.Done()
		br := bufio.NewReaderSize(resp.Body, 64<<10)
		row := false
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			switch {
			case len(line) == 1: // the blank line that ends an event
				if row {
					got <- struct{}{}
				}
				row = false
			case strings.HasPrefix(string(line), `data: <div id="row-`):
				row = true
			}
		}
	}()
}
