package main

// Item 4: the dashboard's time on top of Podman's own for an operation.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containers/podman/v5/pkg/bindings"
	"github.com/containers/podman/v5/pkg/bindings/containers"

	"podboard/lifecycle"
	"podboard/lifecycle/podman"
	"podboard/lifecycle/podman/podmantest"
)

// timedEngine is the Podman engine with the start and end of each
// operation noted, to split the dashboard's time from Podman's.
type timedEngine struct {
	*podman.Engine
	mu         sync.Mutex
	begun, end time.Time
}

func (e *timedEngine) timed(call func() error) error {
	e.mu.Lock()
	e.begun = time.Now()
	e.mu.Unlock()
	err := call()
	e.mu.Lock()
	e.end = time.Now()
	e.mu.Unlock()
	return err
}

func (e *timedEngine) Stop(ctx context.Context, name string, timeout int) error {
	return e.timed(func() error { return e.Engine.Stop(ctx, name, timeout) })
}

func (e *timedEngine) Start(ctx context.Context, name string) error {
	return e.timed(func() error { return e.Engine.Start(ctx, name) })
}

func (e *timedEngine) Restart(ctx context.Context, name string, timeout int) error {
	return e.timed(func() error { return e.Engine.Restart(ctx, name, timeout) })
}

func (e *timedEngine) last() (begun, end time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.begun, e.end
}

// clickToRow posts op on name as htmx does and returns when the final row
// arrived on feed, and how long the answer took.
func clickToRow(t *testing.T, url string, feed *sseReader, name string, op lifecycle.Op) (t0, at time.Time, answer time.Duration) {
	t.Helper()
	from := feed.count()
	req, _ := http.NewRequest(http.MethodPost, url+"/containers/"+name+"/"+string(op), nil)
	req.Header.Set("HX-Request", "true")
	t0 = time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	answer = time.Since(t0)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s %s: %s", op, name, resp.Status)
	}
	i, _ := feed.next(from, string(op.Transitional())+" row", isRow(name, string(op.Transitional())))
	_, final := feed.next(i+1, string(op.Final())+" row", isRow(name, string(op.Final())))
	return t0, final.at, answer
}

var overheadOps = []lifecycle.Op{lifecycle.Stop, lifecycle.Start, lifecycle.Restart}

func benchOverhead(t *testing.T, sz benchSizes, rep *benchReport, svc *podmantest.Service, bin string) {
	const name = "overhead"
	const stopTimeout = 10
	createMany(t, svc, []string{name}, podmantest.Workload{Start: true, StopTimeout: stopTimeout})
	conn, err := bindings.NewConnection(context.Background(), svc.URI)
	if err != nil {
		t.Fatal(err)
	}
	bare := map[lifecycle.Op]durations{}
	dash := map[lifecycle.Op]durations{}
	answer := map[lifecycle.Op]durations{}
	bareCall := func(op lifecycle.Op) error {
		switch op {
		case lifecycle.Stop:
			return containers.Stop(conn, name, nil)
		case lifecycle.Start:
			return containers.Start(conn, name, nil)
		}
		// The call the engine makes: the container's stop timeout, given
		// explicitly (see lifecycle/podman).
		timeout := stopTimeout
		return containers.Restart(conn, name, &containers.RestartOptions{Timeout: &timeout})
	}
	p := startProc(t, bin, procArgs(svc, t.TempDir())...)
	pid := p.cmd.Process.Pid
	waitStates(t, p.url, []string{name}, "running")
	feed := openSSE(t, http.DefaultClient, p.url)
	barePass := func() {
		// Bare Podman, with the dashboard process stopped (SIGSTOP) so
		// that nothing of it runs meanwhile; it catches up on Podman's
		// events once continued.
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		for _, op := range overheadOps {
			t0 := time.Now()
			if err := bareCall(op); err != nil {
				syscall.Kill(pid, syscall.SIGCONT)
				t.Fatalf("bare %s: %v", op, err)
			}
			bare[op] = append(bare[op], time.Since(t0))
			time.Sleep(sz.settle)
		}
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		time.Sleep(sz.settle)
		waitStates(t, p.url, []string{name}, "running")
	}
	dashPass := func() {
		// The same through the dashboard: click to final row on the feed.
		for _, op := range overheadOps {
			t0, at, ans := clickToRow(t, p.url, feed, name, op)
			dash[op] = append(dash[op], at.Sub(t0))
			answer[op] = append(answer[op], ans)
			time.Sleep(sz.settle)
		}
	}
	for i := range sz.overheadIterations {
		// Which goes first alternates, so that neither always follows
		// the other.
		if i%2 == 0 {
			barePass()
			dashPass()
		} else {
			dashPass()
			barePass()
		}
	}
	feed.close()
	p.stop()

	// Where the dashboard's time goes: the same clicks against newApp in
	// this process over the Podman engine with its calls timed.
	eng, err := podman.Connect(context.Background(), svc.URI, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	te := &timedEngine{Engine: eng}
	ta := startBenchApp(t, te)
	srv := ta.srv
	feed = openSSE(t, ta.client, srv.URL)
	waitStates(t, srv.URL, []string{name}, "running")
	before, call, after := map[lifecycle.Op]durations{}, map[lifecycle.Op]durations{}, map[lifecycle.Op]durations{}
	for range max(1, sz.overheadIterations/4) {
		for _, op := range overheadOps {
			time.Sleep(sz.settle)
			t0, at, _ := clickToRow(t, srv.URL, feed, name, op)
			begun, end := te.last()
			before[op] = append(before[op], begun.Sub(t0))
			call[op] = append(call[op], end.Sub(begun))
			after[op] = append(after[op], at.Sub(end))
		}
	}
	feed.close()
	ta.stop()

	table := [][]string{{"operation", "samples", "bare Podman call: median", "min–max", "click to final row: median", "min–max", "ratio of medians", "POST answer (median)"}}
	split := [][]string{{"operation", "samples", "click to Podman call (median)", "Podman call in the dashboard (median)", "call returned to row on the page (median)", "dashboard's own time / bare call"}}
	for _, op := range overheadOps {
		b, d := bare[op], dash[op]
		ratio := float64(d.median()) / float64(b.median())
		table = append(table, []string{string(op), fmt.Sprint(len(b)), fmtMS(b.median()), fmtMS(b.min()) + "–" + fmtMS(b.max()),
			fmtMS(d.median()), fmtMS(d.min()) + "–" + fmtMS(d.max()), fmt.Sprintf("%.3f", ratio), fmtMS(answer[op].median())})
		own := before[op].median() + after[op].median()
		split = append(split, []string{string(op), fmt.Sprint(len(call[op])), fmtMS(before[op].median()), fmtMS(call[op].median()), fmtMS(after[op].median()),
			fmt.Sprintf("%s / %s = %.1f %%", fmtMS(own), fmtMS(b.median()), 100*float64(own)/float64(b.median()))})
		rep.target("4", string(op)+": click to final row / bare Podman call (medians)", "< 1.05", fmt.Sprintf("%.3f (%s / %s)", ratio, fmtMS(d.median()), fmtMS(b.median())), ratio < 1.05)
		rep.metric("4."+string(op)+".own", fmtMS(own))
		rep.metric("4."+string(op)+".ratio", fmt.Sprintf("%.3f", ratio))
		rep.metric("4."+string(op)+".bare", fmtMS(b.median()))
		rep.metric("4."+string(op)+".spread", fmtMS(b.min())+"–"+fmtMS(b.max()))
	}
	rep.metric("4.stopTimeout", fmt.Sprint(stopTimeout))
	rep.metric("4.iterations", fmt.Sprint(sz.overheadIterations))
	rep.metric("4.settle", sz.settle.String())
	rep.table("4", table)
	rep.table("4.split", split)
}
