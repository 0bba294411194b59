package main

// Item 2: how long a change takes to reach every open page.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
)

// fanTarget is the row every page must receive: the line carrying row and
// state.
type fanTarget struct {
	row, state []byte
	want       int32
	got        atomic.Int32
	done       chan struct{}
	at         time.Time // when the last page received it
}

func newFanTarget(name, state string, want int) *fanTarget {
	return &fanTarget{row: []byte(`id="row-` + name + `"`), state: []byte(`data-state="` + state + `"`), want: int32(want), done: make(chan struct{})}
}

// fanClient is one page: it reads the stream and counts the target row.
func fanClient(ctx context.Context, client *http.Client, url string, target *atomic.Pointer[fanTarget]) (<-chan struct{}, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET /events: %s", resp.Status)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer resp.Body.Close()
		br := bufio.NewReaderSize(resp.Body, 16<<10)
		prefix := []byte(`data: <div id="row-`)
		for {
			line, err := br.ReadSlice('\n')
			long := err == bufio.ErrBufferFull
			if err != nil && !long {
				return
			}
			if bytes.HasPrefix(line, prefix) {
				tg := target.Load()
				if tg != nil && bytes.Contains(line, tg.row) && bytes.Contains(line, tg.state) {
					if tg.got.Add(1) == tg.want {
						tg.at = time.Now()
						close(tg.done)
					}
				}
			}
			// A line longer than the buffer: its start is what counts.
			for long {
				_, err = br.ReadSlice('\n')
				long = err == bufio.ErrBufferFull
				if err != nil && !long {
					return
				}
			}
		}
	}()
	return ended, nil
}

func benchFanout(t *testing.T, sz benchSizes, rep *benchReport) {
	table := [][]string{{"pages", "samples", "final row: p50", "p99", "max", "\"Stopping…\" row from Do: p50", "p99"}}
	var p99At1000 time.Duration
	var largest int
	for _, n := range sz.fanoutClients {
		engine := fake.New()
		for i := range sz.fanoutIterations {
			engine.Put(fake.Running(fmt.Sprintf("fan-%05d", i)))
		}
		ta := startBenchApp(t, engine)
		a, srv := ta.a, ta.srv
		var target atomic.Pointer[fanTarget]
		ctx, cancel := context.WithCancel(context.Background())
		tr := &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true}
		client := &http.Client{Transport: tr}
		ends := make([]<-chan struct{}, n)
		var wg sync.WaitGroup
		var connErr atomic.Pointer[error]
		sem := make(chan struct{}, 32)
		for i := range n {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				end, err := fanClient(ctx, client, srv.URL, &target)
				if err != nil {
					connErr.Store(&err)
					return
				}
				ends[i] = end
			}()
		}
		wg.Wait()
		if err := connErr.Load(); err != nil {
			cancel()
			t.Fatalf("connecting %d pages: %v", n, *err)
		}
		wait := func(tg *fanTarget, what string) {
			select {
			case <-tg.done:
			case <-time.After(30 * time.Second):
				t.Fatalf("%s: %d of %d pages received it within 30s", what, tg.got.Load(), n)
			}
		}
		var final, begin durations
		for i := range sz.fanoutIterations {
			name := fmt.Sprintf("fan-%05d", i)
			release := engine.Hold(lifecycle.Stop, name)
			stopping := newFanTarget(name, "stopping", n)
			target.Store(stopping)
			t0 := time.Now()
			if _, err := a.manager.Do(ctx, name, lifecycle.Stop, "bench"); err != nil {
				t.Fatal(err)
			}
			wait(stopping, "stopping row of "+name)
			begin = append(begin, stopping.at.Sub(t0))

			stopped := newFanTarget(name, "stopped", n)
			target.Store(stopped)
			t0 = time.Now()
			release() // the engine call returns; the job writes its final state
			wait(stopped, "stopped row of "+name)
			final = append(final, stopped.at.Sub(t0))
		}
		cancel()
		for _, end := range ends {
			<-end
		}
		tr.CloseIdleConnections()
		ta.stop()
		table = append(table, []string{fmt.Sprint(n), fmt.Sprint(len(final)), fmtMS(final.median()), fmtMS(final.pct(0.99)), fmtMS(final.max()),
			fmtMS(begin.median()), fmtMS(begin.pct(0.99))})
		t.Logf("%d pages: final row p50 %s p99 %s max %s", n, fmtMS(final.median()), fmtMS(final.pct(0.99)), fmtMS(final.max()))
		if n >= largest {
			largest, p99At1000 = n, final.pct(0.99)
		}
	}
	rep.target("2", fmt.Sprintf("final row on every page, p99 at %d pages", largest), "< 50 ms", fmtMS(p99At1000), p99At1000 < 50*time.Millisecond)
	rep.table("2", table)
}
