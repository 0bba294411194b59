package main

// Item 1: how long a click waits for its answer, over the fake engine.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
)

type loadResult struct {
	lat     durations
	elapsed time.Duration
}

func (l loadResult) throughput() float64 { return float64(len(l.lat)) / l.elapsed.Seconds() }

// How the clients of postLoad send their requests.
type loadModel int

const (
	// closedLoop: each client sends its next request as soon as it has
	// read the previous answer, as wrk or hey -c do: the server is
	// saturated and the latency is the queue in front of it.
	closedLoop loadModel = iota
	// burst: all clients send one request at the same instant, wait until
	// every answer is in, and do it again.
	burst
	// paced: each client clicks every pace, at a random phase, unless its
	// previous answer is still outstanding.
	paced
)

// pace is how often each client of the paced model clicks.
const pace = 100 * time.Millisecond

// postLoad sends POST /containers/{name}/{op} for every name from clients
// concurrent clients, each with its own keep-alive connection. Each
// latency is from before the request is written to the last byte of the
// answer read. Every answer must be 200 with the container's row in want.
func postLoad(t *testing.T, baseURL string, names []string, op, want string, clients int, model loadModel) loadResult {
	t.Helper()
	work := make(chan string, len(names))
	for _, n := range names {
		work <- n
	}
	close(work)
	var (
		mu       sync.Mutex
		lat      = make(durations, 0, len(names))
		firstErr error
		ready    sync.WaitGroup
		done     sync.WaitGroup
		start    = make(chan struct{})
		round    sync.WaitGroup // burst: the answers of the current round
		ticks    = make([]chan bool, clients)
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	wantState := []byte(`data-state="` + want + `"`)
	for w := range clients {
		ticks[w] = make(chan bool, 1)
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			// The connection is open before the clock starts, as a
			// browser's is once the page has loaded.
			if resp, err := client.Get(baseURL + "/healthz"); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			} else {
				fail(err)
			}
			ready.Done()
			<-start
			mine := make(durations, 0, len(names)/clients+1)
			defer func() {
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
			post := func(name string) bool {
				req, _ := http.NewRequest(http.MethodPost, baseURL+"/containers/"+name+"/"+op, nil)
				req.Header.Set("HX-Request", "true")
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					fail(err)
					return false
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, wantState) {
					fail(fmt.Errorf("POST %s %s: %s %v\n%s", op, name, resp.Status, err, body))
					return false
				}
				mine = append(mine, d)
				return true
			}
			switch model {
			case closedLoop:
				for name := range work {
					if !post(name) {
						return
					}
				}
			case burst:
				for <-ticks[w] {
					name, ok := <-work
					if ok {
						post(name)
					}
					round.Done()
				}
			case paced:
				next := time.Now().Add(time.Duration(rand.Int64N(int64(pace))))
				for name := range work {
					time.Sleep(time.Until(next))
					if !post(name) {
						return
					}
					next = next.Add(pace)
				}
			}
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	if model == burst {
		for sent := 0; sent < len(names); sent += clients {
			round.Add(clients)
			for _, tick := range ticks {
				tick <- true
			}
			round.Wait()
		}
		for _, tick := range ticks {
			tick <- false
		}
	}
	done.Wait()
	elapsed := time.Since(t0)
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	return loadResult{lat: lat, elapsed: elapsed}
}

// openPages connects n pages to the live feed that read and discard it.
func openPages(t *testing.T, baseURL string, n int) (closeAll func()) {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: n}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range n {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/events", nil)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	return func() { cancel(); wg.Wait(); tr.CloseIdleConnections() }
}

// minThroughput is the throughput item 1's target asks for at saturation:
// 64 clicks at once (its largest burst) all answered within burstTarget,
// the bound of item 1c, need at least 64 answers per 20 ms.
const minThroughput = 64 * float64(time.Second) / float64(burstTarget)

func benchActionLatency(t *testing.T, sz benchSizes, rep *benchReport) {
	type level struct {
		name    string
		clients int
		model   loadModel
		pages   int
	}
	var levels []level
	for _, c := range actionLevels {
		levels = append(levels, level{fmt.Sprintf("%d, closed loop", c), c, closedLoop, 0})
	}
	levels = append(levels, level{fmt.Sprintf("64, closed loop, %d pages open", sz.loadPages), 64, closedLoop, sz.loadPages})
	burstName := func(c int) string { return fmt.Sprintf("%d, all at once, repeated", c) }
	for _, c := range burstLevels {
		levels = append(levels, level{burstName(c), c, burst, 0})
	}
	pacedName := fmt.Sprintf("64, each clicking every %s", pace)
	levels = append(levels, level{pacedName, 64, paced, 0})
	closed64, closed1 := levels[2].name, levels[0].name
	lat := map[string]durations{}
	stalls := map[string]durations{}
	runP99 := map[string][]string{}
	rps := map[string][]float64{}
	for run := range sz.latencyRuns {
		for _, l := range levels {
			// A fresh dashboard per level, holding as many running
			// containers as the level stops.
			n := sz.latencyRequests[l.clients]
			names := make([]string, n)
			engine := fake.New()
			for i := range names {
				names[i] = fmt.Sprintf("act-%06d", i)
				engine.Put(fake.Running(names[i]))
			}
			engine.SetLatency(lifecycle.Stop, sz.engineLatency)
			ta := startBenchApp(t, engine)
			closePages := func() {}
			if l.pages > 0 {
				closePages = openPages(t, ta.srv.URL, l.pages)
			}
			stopMeter := stallMeter()
			res := postLoad(t, ta.srv.URL, names, "stop", "stopping", l.clients, l.model)
			stalls[l.name] = append(stalls[l.name], stopMeter()...)
			closePages()
			ta.stop()
			lat[l.name] = append(lat[l.name], res.lat...)
			runP99[l.name] = append(runP99[l.name], fmtMS(res.lat.pct(0.99)))
			rps[l.name] = append(rps[l.name], res.throughput())
			t.Logf("run %d, %s: p50 %s p99 %s max %s, %.0f req/s", run+1, l.name,
				fmtMS(res.lat.median()), fmtMS(res.lat.pct(0.99)), fmtMS(res.lat.max()), res.throughput())
		}
	}
	table := [][]string{{"clients, load", "samples", "p50", "p99", "max", "p99 of each run", "answers/s (median run)", "1 ms sleep overshot: p99, max"}}
	for _, l := range levels {
		d := lat[l.name]
		table = append(table, []string{l.name, fmt.Sprint(len(d)), fmtMS(d.median()), fmtMS(d.pct(0.99)), fmtMS(d.max()),
			strings.Join(runP99[l.name], ", "), fmt.Sprintf("%.0f", medianFloat(rps[l.name])),
			fmtMS(stalls[l.name].pct(0.99)) + ", " + fmtMS(stalls[l.name].max())})
	}
	paced := lat[pacedName]
	rep.metric("1.paced.stall.p99", fmtMS(stalls[pacedName].pct(0.99)))
	rep.metric("1.paced.stall.max", fmtMS(stalls[pacedName].max()))
	rep.metric("1.paced.p50", fmtMS(paced.median()))
	rep.metric("1.paced.p99", fmtMS(paced.pct(0.99)))
	rep.flag("1.paced.over5ms", paced.pct(0.99) >= 5*time.Millisecond)
	for _, c := range burstLevels {
		d := lat[burstName(c)]
		key := fmt.Sprintf("1.burst%d", c)
		rep.metric(key+".p50", fmtMS(d.median()))
		rep.metric(key+".p99", fmtMS(d.pct(0.99)))
		rep.metric(key+".max", fmtMS(d.max()))
		rep.metric(key+".samples", fmt.Sprint(len(d)))
	}

	// At saturation the latency is the queue (Little's law), so the target
	// is the throughput; the CPU per answer follows from it.
	tput := medianFloat(rps[closed64])
	cpu := time.Duration(float64(runtime.NumCPU()) * float64(time.Second) / tput)
	rep.target("1", "answers per second at saturation, 64 clients in a closed loop, fake engine (median run)",
		fmt.Sprintf("≥ %.0f", minThroughput), fmt.Sprintf("%.0f", tput), tput >= minThroughput)
	rep.info("1", fmt.Sprintf("CPU time per answer at that rate (%d cores / answers per second, load generator included)", runtime.NumCPU()), fmtUS(cpu))
	rep.info("1", "POST stop, p99, 64 clients in a closed loop, fake engine", fmtMS(lat[closed64].pct(0.99)))
	for _, c := range burstLevels {
		rep.info("1", fmt.Sprintf("POST stop, p99, %d clients all at once, fake engine", c), fmtMS(lat[burstName(c)].pct(0.99)))
	}
	rep.info("1", fmt.Sprintf("POST stop, p99, 64 clients each clicking every %s, fake engine", pace), fmtMS(paced.pct(0.99)))
	rep.metric("1.closed64.p50", fmtMS(lat[closed64].median()))
	rep.metric("1.closed64.p99", fmtMS(lat[closed64].pct(0.99)))
	rep.metric("1.closed64.rps", fmt.Sprintf("%.0f", tput))
	rep.metric("1.closed64.cpu", fmtUS(cpu))
	rep.metric("1.minThroughput", fmt.Sprintf("%.0f", minThroughput))
	rep.metric("1.minCPU", fmtUS(time.Duration(float64(runtime.NumCPU())*float64(time.Second)/minThroughput)))
	rep.metric("1.closed1.p50", fmtMS(lat[closed1].median()))
	rep.metric("1.engineLatency", sz.engineLatency.String())
	rep.metric("1.runs", fmt.Sprint(sz.latencyRuns))
	rep.metric("1.pace", pace.String())
	rep.table("1", table)
}

// fmtUS is a CPU time per operation, in microseconds.
func fmtUS(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}
