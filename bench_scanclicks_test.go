package main

// Item 3b: what a scan that changes many rows costs the clicks answered
// meanwhile.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
)

// Clicks of item 3b: scanClickers clients, each clicking every scanPace
// (at a random phase) unless its previous answer is still outstanding.
const (
	scanClickers = 8
	scanPace     = 25 * time.Millisecond
)

// click is one answered POST: when it was sent and how long it took.
type click struct {
	at time.Time
	d  time.Duration
}

// clickStream has scanClickers clients stop one container of pool each at
// their pace until stop is called, which returns every answered click;
// sofar returns those answered until now. Every answer must be the
// "Stopping…" row.
func clickStream(t *testing.T, baseURL string, pool <-chan string) (sofar, stop func() []click) {
	t.Helper()
	done := make(chan struct{})
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		clicks   []click
		firstErr error
	)
	want := []byte(`data-state="stopping"`)
	for range scanClickers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			tick := time.NewTimer(time.Duration(rand.Int64N(int64(scanPace))))
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				tick.Reset(scanPace)
				var name string
				select {
				case name = <-pool:
				default:
					continue // every container was clicked: idle until stopped
				}
				req, _ := http.NewRequest(http.MethodPost, baseURL+"/containers/"+name+"/stop", nil)
				req.Header.Set("HX-Request", "true")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, err)
					mu.Unlock()
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				mu.Lock()
				if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, want) {
					firstErr = cmpErr(firstErr, fmt.Errorf("POST stop %s: %s %v\n%s", name, resp.Status, err, body))
				} else {
					clicks = append(clicks, click{t0, d})
				}
				mu.Unlock()
			}
		}()
	}
	sofar = func() []click {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(clicks)
	}
	return sofar, func() []click {
		close(done)
		wg.Wait()
		if firstErr != nil {
			t.Fatal(firstErr)
		}
		return clicks
	}
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// within is the latencies of the clicks sent in one of the windows.
func within(clicks []click, windows [][2]time.Time) durations {
	var d durations
	for _, c := range clicks {
		for _, w := range windows {
			if !c.at.Before(w[0]) && c.at.Before(w[1]) {
				d = append(d, c.d)
				break
			}
		}
	}
	return d
}

func benchClicksDuringScan(t *testing.T, sz benchSizes, rep *benchReport) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	observed := func(name, state string) lifecycle.Observed {
		o := fake.Running(name)
		o.CreatedAt, o.StartedAt, o.EngineState = t0, t0.Add(time.Minute), state
		return o
	}
	table := [][]string{{"rows the scan changes", "scans", "scan: median", "clicks", "p50", "p99", "max", "the same clicks, no scan: clicks", "p50", "p99", "max"}}
	for _, n := range sz.scanChanged {
		engine := fake.New()
		flipping := benchNames("flip", n)
		for _, name := range flipping {
			engine.Put(observed(name, "running"))
		}
		pool := make(chan string, sz.scanClickTarget)
		for i := range sz.scanClickTarget {
			name := fmt.Sprintf("click-%05d", i)
			engine.Put(observed(name, "running"))
			pool <- name
		}
		engine.SetLatency(lifecycle.Stop, sz.engineLatency)
		// The first scan (newApp's) inserts every row; the periodic one
		// must not land the flips before the measured scan does.
		ta := serveApp(t, engine, testConfig(t, t.TempDir(), "unix:///fake/bench.sock", time.Hour, append([]string{"--auth", "none"}, benchFeedCaps...)...), nil)
		closePage := openPages(t, ta.srv.URL, 1)
		state := "running"
		scan := func() (time.Duration, int) {
			state = map[string]string{"running": "paused", "paused": "running"}[state]
			for _, name := range flipping {
				engine.Put(observed(name, state))
			}
			began := time.Now()
			res, err := ta.a.manager.Scan(ctx)
			took := time.Since(began)
			if err != nil || res.Updated < n {
				t.Fatalf("a scan changing %d rows: %+v %v", n, res, err)
			}
			ta.a.hub.Sync() // the hub has handed every change to the page
			return took, res.Updated
		}
		// An unmeasured scan, for the length of the first window without
		// one.
		took, _ := scan()
		sofar, stream := clickStream(t, ta.srv.URL, pool)
		var scans, quiet [][2]time.Time
		var tooks durations
		// The rounds asked for, and more while either window has fewer
		// clicks than asked for (a short scan catches few), within ten
		// times as many rounds and the clicks' containers.
		enough := func() bool {
			c := sofar()
			return len(within(c, scans)) >= sz.scanMinClicks && len(within(c, quiet)) >= sz.scanMinClicks
		}
		for round := 0; round < sz.scanRounds[n] || (!enough() && round < 10*sz.scanRounds[n] && len(pool) > 0); round++ {
			// A window as long as the last scan with no scan, then a scan.
			began := time.Now()
			time.Sleep(took)
			quiet = append(quiet, [2]time.Time{began, time.Now()})
			began = time.Now()
			took, _ = scan()
			scans = append(scans, [2]time.Time{began, began.Add(took)})
			tooks = append(tooks, took)
		}
		clicks := stream()
		closePage()
		ta.stop()
		during, without := within(clicks, scans), within(clicks, quiet)
		if len(during) == 0 || len(without) == 0 {
			t.Fatalf("%d rows: %d clicks during the scans and %d without: the pool of %d ran out or the scans were too short",
				n, len(during), len(without), sz.scanClickTarget)
		}
		table = append(table, []string{fmt.Sprint(n), fmt.Sprint(len(tooks)), fmtMS(tooks.median()),
			fmt.Sprint(len(during)), fmtMS(during.median()), fmtMS(during.pct(0.99)), fmtMS(during.max()),
			fmt.Sprint(len(without)), fmtMS(without.median()), fmtMS(without.pct(0.99)), fmtMS(without.max())})
		t.Logf("scan of %d changed rows (median %s): clicks p50 %s p99 %s max %s; without a scan p50 %s p99 %s max %s", n, fmtMS(tooks.median()),
			fmtMS(during.median()), fmtMS(during.pct(0.99)), fmtMS(during.max()), fmtMS(without.median()), fmtMS(without.pct(0.99)), fmtMS(without.max()))
		rep.info("3", fmt.Sprintf("POST answer, p99, while a scan lands %d changed rows (without a scan)", n),
			fmt.Sprintf("%s (%s)", fmtMS(during.pct(0.99)), fmtMS(without.pct(0.99))))
		// The prose quotes the largest scan (the sizes grow).
		rep.metric("3b.largest", fmt.Sprint(n))
		rep.metric("3b.largest.scan", fmtMS(tooks.median()))
		rep.metric("3b.largest.p50", fmtMS(during.median()))
		rep.metric("3b.largest.p99", fmtMS(during.pct(0.99)))
		rep.metric("3b.largest.max", fmtMS(during.max()))
		rep.metric("3b.largest.quiet.p99", fmtMS(without.pct(0.99)))
	}
	rep.metric("3b.clickTargets", fmt.Sprint(sz.scanClickTarget))
	rep.metric("3b.clickers", fmt.Sprint(scanClickers))
	rep.metric("3b.pace", scanPace.String())
	rep.metric("3b.engineLatency", sz.engineLatency.String())
	rep.table("3b", table)
}
