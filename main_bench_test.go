package main

// The benchmark harness: TestBenchReport measures the whole dashboard on
// this machine and, with PODBOARD_BENCH=full, writes docs/BENCHMARKS.md.
//
//	PODBOARD_BENCH=full  make bench: every measurement at full size (minutes)
//	PODBOARD_BENCH=smoke make bench-smoke: every measurement at tiny sizes,
//	                     nothing written; it keeps the harness working
//	(unset)              skipped, so `go test ./...` stays fast
//
// PODBOARD_BENCH_ONLY=1,3 runs only those items (1 to 6) and writes
// nothing, for working on one of them.
//
// Nothing here asserts a duration: a missed target is reported, never a
// test failure. The test fails only when the dashboard misbehaves (a wrong
// answer, a write where none is allowed) or a measurement cannot be made.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/containers/podman/v5/pkg/bindings"
	"github.com/containers/podman/v5/pkg/bindings/containers"

	"podboard/db"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/lifecycle/podman"
	"podboard/lifecycle/podman/podmantest"
	"podboard/web"
)

const benchReportPath = "docs/BENCHMARKS.md"

// benchPackages hold the Go benchmarks of the hot paths (item 6).
var benchPackages = []string{"./templates", "./lifecycle", "./web", "./handlers"}

// benchSizes are the sizes of one harness run.
type benchSizes struct {
	mode string

	// 1. Action latency, fake engine: runs, POSTs per run and level, and
	// how long each engine stop takes.
	latencyRuns     int
	latencyRequests map[int]int
	engineLatency   time.Duration
	loadPages       int // SSE pages open for the "with pages" row

	// 2. Fan-out: iterations per client count; idle clients for the
	// memory figure and how many processes measure it.
	fanoutClients    []int
	fanoutIterations int
	idleClients      int
	idleRuns         int
	idleSettle       time.Duration

	// 3. Scan: unchanged passes per fleet size.
	scanSizes  []int
	scanPasses map[int]int

	// 4. Overhead: iterations per operation, alternating bare Podman and
	// the dashboard, with a pause between operations.
	overheadIterations int
	settle             time.Duration

	// 5. Footprint: containers for the idle figure, processes measured,
	// and the real-engine load: containers and rounds per level.
	idleContainers int
	footprintRuns  int
	idleWait       time.Duration
	loadContainers int
	loadRounds     int
	loadStopDelay  time.Duration

	// 6. Go benchmarks.
	goBenchArgs []string

	calibrationRuns int
}

var actionLevels = []int{1, 16, 64}

func benchSizesFor(mode string) benchSizes {
	if mode == "full" {
		return benchSizes{
			mode:               mode,
			latencyRuns:        3,
			latencyRequests:    map[int]int{1: 1000, 16: 3000, 64: 4000},
			engineLatency:      2 * time.Second,
			loadPages:          10,
			fanoutClients:      []int{10, 100, 1000},
			fanoutIterations:   200,
			idleClients:        1000,
			idleRuns:           3,
			idleSettle:         2 * time.Second,
			scanSizes:          []int{100, 1000, 10000},
			scanPasses:         map[int]int{100: 500, 1000: 200, 10000: 50},
			overheadIterations: 40,
			settle:             500 * time.Millisecond,
			idleContainers:     50,
			footprintRuns:      3,
			idleWait:           6 * time.Second,
			loadContainers:     64,
			loadRounds:         4,
			loadStopDelay:      2 * time.Second,
			goBenchArgs:        []string{"-count", "3", "-benchtime", "0.5s"},
			calibrationRuns:    20,
		}
	}
	return benchSizes{
		mode:               mode,
		latencyRuns:        1,
		latencyRequests:    map[int]int{1: 20, 16: 64, 64: 128},
		engineLatency:      50 * time.Millisecond,
		loadPages:          2,
		fanoutClients:      []int{2, 10},
		fanoutIterations:   5,
		idleClients:        20,
		idleRuns:           1,
		idleSettle:         200 * time.Millisecond,
		scanSizes:          []int{10, 100},
		scanPasses:         map[int]int{10: 5, 100: 5},
		overheadIterations: 1,
		settle:             100 * time.Millisecond,
		idleContainers:     3,
		footprintRuns:      1,
		idleWait:           300 * time.Millisecond,
		loadContainers:     3,
		loadRounds:         1,
		loadStopDelay:      200 * time.Millisecond,
		goBenchArgs:        []string{"-count", "1", "-benchtime", "1x"},
		calibrationRuns:    3,
	}
}

func TestBenchReport(t *testing.T) {
	mode := os.Getenv("PODBOARD_BENCH")
	switch mode {
	case "":
		t.Skip("benchmarks run with PODBOARD_BENCH=full (make bench) or PODBOARD_BENCH=smoke (make bench-smoke)")
	case "full", "smoke":
	default:
		t.Fatalf("PODBOARD_BENCH=%q: want full or smoke", mode)
	}
	sz := benchSizesFor(mode)
	only := os.Getenv("PODBOARD_BENCH_ONLY")
	want := func(item string) bool { return only == "" || slices.Contains(strings.Split(only, ","), item) }
	rep := &benchReport{started: time.Now(), mode: mode}
	rep.machine = describeMachine()
	steadyBefore := cpuSteadiness(sz.calibrationRuns)

	if want("1") {
		t.Run("1-action-latency", func(t *testing.T) { benchActionLatency(t, sz, rep) })
	}
	if want("2") {
		t.Run("2-fanout", func(t *testing.T) { benchFanout(t, sz, rep) })
	}
	if want("3") {
		t.Run("3-scan", func(t *testing.T) { benchScan(t, sz, rep) })
	}
	t.Run("real-podman", func(t *testing.T) {
		if !want("1") && !want("2") && !want("4") && !want("5") {
			t.Skip("not asked for")
		}
		svc := sharedPodman(t)
		// The binary as make build builds it, and stripped for its size;
		// both links at once.
		stripped := filepath.Join(t.TempDir(), "podboard-stripped")
		built := make(chan error, 1)
		go func() {
			out, err := exec.Command("go", "build", "-tags", buildTags, "-ldflags=-s -w", "-o", stripped, ".").CombinedOutput()
			if err != nil {
				err = fmt.Errorf("go build -ldflags='-s -w': %v\n%s", err, out)
			}
			built <- err
		}()
		bin := buildBinary(t)
		if err := <-built; err != nil {
			t.Fatal(err)
		}
		if want("2") {
			t.Run("2-idle-clients", func(t *testing.T) { benchIdleClients(t, sz, rep, svc, bin) })
		}
		if want("1") || want("5") {
			t.Run("5-footprint-and-1-real-latency", func(t *testing.T) { benchFootprint(t, sz, rep, svc, bin, stripped) })
		}
		if want("4") {
			t.Run("4-overhead", func(t *testing.T) { benchOverhead(t, sz, rep, svc, bin) })
		}
	})
	if want("6") {
		t.Run("6-go-benchmarks", func(t *testing.T) { benchGo(t, sz, rep) })
	}
	rep.machine = append(rep.machine, [2]string{"CPU steadiness",
		fmt.Sprintf("the same CPU-bound loop (SHA-256 of 16 MB), %d times at the start: %s; at the end: %s", sz.calibrationRuns, steadyBefore, cpuSteadiness(sz.calibrationRuns))})

	rep.took = time.Since(rep.started)
	out := rep.markdown()
	if t.Failed() {
		t.Logf("a measurement failed; %s is left as it was. Partial report:\n%s", benchReportPath, out)
		return
	}
	if mode != "full" || only != "" {
		t.Logf("%s run of items %q (nothing written):\n%s", mode, cmp.Or(only, "all"), out)
		return
	}
	if err := os.MkdirAll(filepath.Dir(benchReportPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(benchReportPath, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s:\n%s", benchReportPath, out)
}

// ---- statistics ----

type durations []time.Duration

// pct is the nearest-rank percentile q (0 < q <= 1).
func (d durations) pct(q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func (d durations) median() time.Duration { return d.pct(0.5) }
func (d durations) max() time.Duration    { return d.pct(1) }
func (d durations) min() time.Duration    { return d.pct(1e-9) }

func medianInt(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[(len(s)-1)/2]
}

func medianFloat(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[(len(s)-1)/2]
}

func fmtMS(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

func fmtMB(bytes int64) string { return fmt.Sprintf("%.1f MB", float64(bytes)/(1<<20)) }

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// ---- the report ----

type benchReport struct {
	mode    string
	started time.Time
	took    time.Duration
	machine [][2]string

	mu       sync.Mutex
	summary  [][]string // item, measure, target, result, verdict
	sections []benchSection
	metrics  map[string]string // figures the notes quote
	pacedP99 time.Duration
}

type benchSection struct {
	order int
	title string
	text  []string
	table [][]string // first row is the header
	after []string
}

func (r *benchReport) target(item, measure, target, result string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.summary = append(r.summary, []string{item, measure, target, result, verdict(ok)})
}

func (r *benchReport) info(item, measure, result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.summary = append(r.summary, []string{item, measure, "-", result, "info"})
}

// metric keeps a figure for the notes.
func (r *benchReport) metric(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.metrics == nil {
		r.metrics = map[string]string{}
	}
	r.metrics[key] = value
}

func (r *benchReport) section(s benchSection) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sections = append(r.sections, s)
}

func (r *benchReport) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks\n\n")
	p("Measured by `make bench` (`PODBOARD_BENCH=full go test -run '^TestBenchReport$' .` with the build tags) on %s, in %s. ",
		r.started.UTC().Format("2006-01-02 15:04 MST"), r.took.Round(time.Second))
	p("The file is written by that command; edit `main_bench_test.go`, not this file. ")
	p("Percentiles (p50, p99, max) are nearest-rank over every sample of a row; whole-run figures (memory, scan passes, ratios) are medians of several runs. No test asserts a duration: the targets are checked here only.\n\n")
	p("## Machine\n\n")
	writeTable(&b, append([][]string{{"", ""}}, func() [][]string {
		var rows [][]string
		for _, kv := range r.machine {
			rows = append(rows, []string{kv[0], kv[1]})
		}
		return rows
	}()...))
	p("\n## Summary\n\n")
	slices.SortStableFunc(r.summary, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	writeTable(&b, append([][]string{{"item", "measure", "target", "result", "verdict"}}, r.summary...))
	slices.SortStableFunc(r.sections, func(a, b benchSection) int { return a.order - b.order })
	for _, s := range r.sections {
		p("\n## %s\n\n", s.title)
		for _, t := range s.text {
			p("%s\n\n", t)
		}
		if len(s.table) > 0 {
			writeTable(&b, s.table)
			b.WriteString("\n")
		}
		for _, t := range s.after {
			p("%s\n\n", t)
		}
	}
	p("\n## Notes\n\n")
	for _, n := range r.benchNotes() {
		p("%s\n\n", n)
	}
	return b.String()
}

func writeTable(b *strings.Builder, rows [][]string) {
	for i, row := range rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		if i == 0 {
			sep := make([]string, len(row))
			for j := range sep {
				sep[j] = "---"
			}
			b.WriteString("| " + strings.Join(sep, " | ") + " |\n")
		}
	}
}

func describeMachine() [][2]string {
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	kernel := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	osName := "unknown"
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				osName = strings.Trim(v, `"`)
			}
		}
	}
	podmanVersion := "not installed"
	if out, err := exec.Command("podman", "--version").Output(); err == nil {
		podmanVersion = strings.TrimSpace(string(out))
	}
	return [][2]string{
		{"CPU", fmt.Sprintf("%s, %d cores (runtime.NumCPU)", cpu, runtime.NumCPU())},
		{"RAM", mem},
		{"OS", osName},
		{"kernel", kernel},
		{"Go", runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH},
		{"Podman", podmanVersion + " (a private service, runc, cgroupfs)"},
		{"date", time.Now().UTC().Format("2006-01-02")},
	}
}

// cpuSteadiness times a fixed CPU-bound loop runs times: on a shared
// virtual machine the same work does not always take the same time, and
// every figure here moves with it.
func cpuSteadiness(runs int) string {
	data := make([]byte, 1<<20)
	var d durations
	for range runs {
		t0 := time.Now()
		for range 16 {
			sum := sha256.Sum256(data)
			data[0] = sum[0]
		}
		d = append(d, time.Since(t0))
	}
	return fmt.Sprintf("min %s, median %s, max %s", fmtMS(d.min()), fmtMS(d.median()), fmtMS(d.max()))
}

// ---- an in-process dashboard over the fake engine ----

// startBenchApp is newApp, exactly as main wires it, over the given engine
// and served on loopback. Its log is formatted as in production and
// discarded. stop shuts it down, waiting for its jobs; it also runs when the
// test ends.
func startBenchApp(t *testing.T, engine lifecycle.Engine) (a *app, srv *httptest.Server, stop func()) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := newApp(ctx, config{data: t.TempDir(), scanInterval: 5 * time.Second, podman: "fake://bench", logLevel: "info"}, engine, log)
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(a.srv.Handler)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			a.shutdown()
			srv.Close()
			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if err := a.manager.Wait(wctx); err != nil {
				t.Errorf("jobs still running: %v", a.manager.Running())
			}
			a.close()
		})
	}
	t.Cleanup(stop)
	return a, srv, stop
}

// stallMeter asks to sleep 1 ms again and again and records by how much
// each sleep overshot: while the process as a whole cannot run (the
// garbage collector stopping the world, every core busy, the virtual CPU
// not scheduled), every request waits at least that long.
func stallMeter() (stop func() durations) {
	done := make(chan struct{})
	out := make(chan durations, 1)
	go func() {
		var d durations
		for {
			select {
			case <-done:
				out <- d
				return
			default:
			}
			t0 := time.Now()
			time.Sleep(time.Millisecond)
			d = append(d, time.Since(t0)-time.Millisecond)
		}
	}()
	return func() durations { close(done); return <-out }
}

// ---- load: POST an action as htmx does ----

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

// ---- 1. action latency with the fake engine ----

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
	levels = append(levels,
		level{fmt.Sprintf("64, closed loop, %d pages open", sz.loadPages), 64, closedLoop, sz.loadPages},
		level{"64, all at once, repeated", 64, burst, 0},
		level{fmt.Sprintf("64, each clicking every %s", pace), 64, paced, 0},
	)
	target := levels[2].name
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
			_, srv, stopApp := startBenchApp(t, engine)
			closePages := func() {}
			if l.pages > 0 {
				closePages = openPages(t, srv.URL, l.pages)
			}
			stopMeter := stallMeter()
			res := postLoad(t, srv.URL, names, "stop", "stopping", l.clients, l.model)
			stalls[l.name] = append(stalls[l.name], stopMeter()...)
			closePages()
			stopApp()
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
	rep.metric("1.paced.stall.p99", fmtMS(stalls[levels[5].name].pct(0.99)))
	rep.metric("1.paced.stall.max", fmtMS(stalls[levels[5].name].max()))
	rep.metric("1.paced.p50", fmtMS(lat[levels[5].name].median()))
	rep.metric("1.paced.p99", fmtMS(lat[levels[5].name].pct(0.99)))
	rep.mu.Lock()
	rep.pacedP99 = lat[levels[5].name].pct(0.99)
	rep.mu.Unlock()
	rep.metric("1.burst.p99", fmtMS(lat[levels[4].name].pct(0.99)))
	rep.metric("1.burst.p50", fmtMS(lat[levels[4].name].median()))
	rep.metric("1.closed64.p50", fmtMS(lat[target].median()))
	p99 := lat[target].pct(0.99)
	rep.target("1", "POST stop, p99, 64 clients in a closed loop, fake engine", "< 5 ms", fmtMS(p99), p99 < 5*time.Millisecond)
	rep.info("1", "POST stop, p99, 64 clients all at once, fake engine", fmtMS(lat[levels[4].name].pct(0.99)))
	rep.info("1", fmt.Sprintf("POST stop, p99, 64 clients each clicking every %s, fake engine", pace), fmtMS(lat[levels[5].name].pct(0.99)))
	rep.metric("1.closed64.p99", fmtMS(p99))
	rep.metric("1.closed64.rps", fmt.Sprintf("%.0f", medianFloat(rps[target])))
	rep.metric("1.closed64.cpu", fmt.Sprintf("%.0f µs", 2e6/medianFloat(rps[target])))
	rep.metric("1.closed1.p50", fmtMS(lat[levels[0].name].median()))
	rep.section(benchSection{
		order: 10,
		title: "1. Action latency, fake engine",
		text: []string{
			fmt.Sprintf("`POST /containers/{name}/stop` as htmx sends it, from the request written to the last byte of the answer (the \"Stopping…\" row) read, over loopback HTTP against `newApp` as `main` wires it (SQLite file, incident log, hub, router, periodic scan; log lines formatted and discarded). The fake engine takes %s per stop, so jobs are in flight and finishing (a second SQLite write each) during the load. Each client has its own keep-alive connection; every request stops a container of its own. The load generator runs in the same process, on the same 2 cores. Each row of each of the %d runs starts a fresh dashboard with as many running containers as it stops. The last column is a goroutine of the same process that sleeps 1 ms again and again: by how much its sleeps overshot, the time the whole process could not run (garbage collection pauses, both cores busy, the virtual CPU not scheduled).",
				sz.engineLatency, sz.latencyRuns),
			fmt.Sprintf("Loads: *closed loop* sends the next request as soon as the answer is read (like `wrk -c N`: the server is saturated, and the latency is the queue in front of it); *all at once* has the 64 clients click at the same instant, waits for the 64 answers and starts again; *every %s* has each of the 64 clients click every %s at a random phase (640 clicks a second in all).", pace, pace),
		},
		table: table,
	})
}

// ---- 2. fan-out ----

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
		a, srv, stopApp := startBenchApp(t, engine)
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
		stopApp()
		table = append(table, []string{fmt.Sprint(n), fmt.Sprint(len(final)), fmtMS(final.median()), fmtMS(final.pct(0.99)), fmtMS(final.max()),
			fmtMS(begin.median()), fmtMS(begin.pct(0.99))})
		t.Logf("%d pages: final row p50 %s p99 %s max %s", n, fmtMS(final.median()), fmtMS(final.pct(0.99)), fmtMS(final.max()))
		if n >= largest {
			largest, p99At1000 = n, final.pct(0.99)
		}
	}
	rep.target("2", fmt.Sprintf("final row on every page, p99 at %d pages", largest), "< 50 ms", fmtMS(p99At1000), p99At1000 < 50*time.Millisecond)
	rep.section(benchSection{
		order: 20,
		title: "2. Live fan-out",
		text: []string{
			"N pages connected to `GET /events` (raw HTTP readers, each on its own connection, in the same process as the server). A stop is begun through the manager with the fake engine holding the call; once every page has the \"Stopping…\" row, the engine call is released and the clock runs from that release (so it includes the job's SQLite write, the render and the publish) to the moment the last of the N pages has read the final row. The last column pair is the same for the transitional row, timed from the call to `Manager.Do`.",
		},
		table: table,
	})
}

// ---- 2. idle clients and 5. footprint: the real binary ----

// procStatus reads VmRSS and VmHWM of pid in bytes.
func procStatus(pid int) (rss, hwm int64, err error) {
	st, err := procFields(pid)
	return st["VmRSS:"], st["VmHWM:"], err
}

// procFields reads the kB fields of /proc/pid/status, in bytes.
func procFields(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[2] == "kB" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			out[f[0]] = kb << 10
		}
	}
	return out, nil
}

func mustRSS(t *testing.T, p *proc) int64 {
	t.Helper()
	rss, _, err := procStatus(p.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return rss
}

func stopProc(t *testing.T, p *proc) {
	t.Helper()
	p.signal(syscall.SIGTERM)
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("podboard exited %d:\n%s", code, p.log())
	}
}

// listContainers is GET /api/containers of a running binary.
func listContainers(t *testing.T, url string) []apiContainerJSON {
	t.Helper()
	resp, err := http.Get(url + "/api/containers")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cs []apiContainerJSON
	if err := json.NewDecoder(resp.Body).Decode(&cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// waitStates waits until every name is listed in state with no job.
func waitStates(t *testing.T, url string, names []string, state string) {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	waitUntil(t, fmt.Sprintf("%d containers %s", len(names), state), 2*time.Minute, func() bool {
		n := 0
		for _, c := range listContainers(t, url) {
			if want[c.Name] && c.State == state && c.Job == nil {
				n++
			}
		}
		return n == len(names)
	})
}

// createMany creates the workloads four at a time and removes them all, in
// one command, when the test ends.
func createMany(t *testing.T, svc *podmantest.Service, names []string, w podmantest.Workload) {
	t.Helper()
	t.Cleanup(func() {
		args := append([]string{"rm", "--force", "--time", "0", "--ignore"}, names...)
		if _, err := svc.Podman(args...); err != nil {
			t.Errorf("removing the bench containers: %v", err)
		}
	})
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	for _, name := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := svc.CreateWorkload(name, w); err != nil {
				firstErr.CompareAndSwap(nil, &err)
			}
		}()
	}
	wg.Wait()
	if err := firstErr.Load(); err != nil {
		t.Fatal(*err)
	}
}

func benchNames(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return names
}

func procArgs(svc *podmantest.Service, data string) []string {
	return []string{"--listen", "127.0.0.1:0", "--podman", svc.URI, "--data", data}
}

func benchIdleClients(t *testing.T, sz benchSizes, rep *benchReport, svc *podmantest.Service, bin string) {
	var perClient []int64
	var rows [][]string
	for run := range sz.idleRuns {
		p := startProc(t, bin, procArgs(svc, t.TempDir())...)
		time.Sleep(sz.idleSettle)
		before := mustRSS(t, p)
		ctx, cancel := context.WithCancel(context.Background())
		tr := &http.Transport{MaxIdleConnsPerHost: sz.idleClients}
		client := &http.Client{Transport: tr}
		var target atomic.Pointer[fanTarget]
		ends := make([]<-chan struct{}, 0, sz.idleClients)
		for range sz.idleClients {
			end, err := fanClient(ctx, client, p.url, &target)
			if err != nil {
				cancel()
				t.Fatal(err)
			}
			ends = append(ends, end)
		}
		time.Sleep(sz.idleSettle)
		after := mustRSS(t, p)
		cancel()
		for _, end := range ends {
			<-end
		}
		tr.CloseIdleConnections()
		stopProc(t, p)
		per := (after - before) / int64(sz.idleClients)
		perClient = append(perClient, per)
		rows = append(rows, []string{fmt.Sprint(run + 1), fmtMB(before), fmtMB(after), fmt.Sprintf("%.1f KB", float64(per)/1024)})
	}
	med := medianInt(perClient)
	rep.info("2", "memory per idle page (SSE client), RSS of the binary", fmt.Sprintf("%.1f KB", float64(med)/1024))
	rep.section(benchSection{
		order: 21,
		title: "2b. Cost of an idle page",
		text: []string{fmt.Sprintf("The real binary against the private Podman; resident memory (VmRSS) %s after start, and %s after %d idle pages connected to `/events`. Per page: the difference divided by %d; the median of %d processes is in the summary.",
			sz.idleSettle, sz.idleSettle, sz.idleClients, sz.idleClients, sz.idleRuns)},
		table: append([][]string{{"process", "RSS before", fmt.Sprintf("RSS with %d pages", sz.idleClients), "per page"}}, rows...),
	})
}

func benchFootprint(t *testing.T, sz benchSizes, rep *benchReport, svc *podmantest.Service, bin, stripped string) {
	size := func(path string) int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	full, strippedSize := size(bin), size(stripped)
	rep.info("5", "binary size (go build / -ldflags='-s -w')", fmtMB(full)+" / "+fmtMB(strippedSize))

	// Idle with 50 containers.
	idle := benchNames("idle", sz.idleContainers)
	createMany(t, svc, idle, podmantest.Workload{})
	var idleRSS []int64
	var idleRows [][]string
	for run := range sz.footprintRuns {
		p := startProc(t, bin, procArgs(svc, t.TempDir())...)
		waitStates(t, p.url, idle, "stopped")
		resp, err := http.Get(p.url + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		time.Sleep(sz.idleWait) // at least one more scan
		st, err := procFields(p.cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		stopProc(t, p)
		rss := st["VmRSS:"]
		idleRSS = append(idleRSS, rss)
		idleRows = append(idleRows, []string{fmt.Sprint(run + 1), fmtMB(rss), fmtMB(st["RssAnon:"]), fmtMB(st["RssFile:"]), fmtMB(st["VmHWM:"])})
	}
	idleMed := medianInt(idleRSS)
	rep.target("5", fmt.Sprintf("resident memory idle with %d containers", sz.idleContainers), "< 40 MB", fmtMB(idleMed), idleMed < 40<<20)

	// The load of item 1 against the real engine.
	load := benchNames("load", sz.loadContainers)
	createMany(t, svc, load, podmantest.Workload{Start: true, StopDelay: sz.loadStopDelay, StopTimeout: 30})
	p := startProc(t, bin, procArgs(svc, t.TempDir())...)
	waitStates(t, p.url, load, "running")
	var peak atomic.Int64
	sampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, _, err := procStatus(p.cmd.Process.Pid); err == nil && rss > peak.Load() {
				peak.Store(rss)
			}
			select {
			case <-sampling:
				return
			case <-tick.C:
			}
		}
	}()
	stops := map[int]durations{}
	starts := map[int]durations{}
	var loadTook time.Duration
	began := time.Now()
	for _, c := range actionLevels {
		for range sz.loadRounds {
			res := postLoad(t, p.url, load, "stop", "stopping", c, closedLoop)
			stops[c] = append(stops[c], res.lat...)
			waitStates(t, p.url, load, "stopped")
			res = postLoad(t, p.url, load, "start", "starting", c, closedLoop)
			starts[c] = append(starts[c], res.lat...)
			waitStates(t, p.url, load, "running")
		}
		t.Logf("real engine, %d clients: stop p50 %s p99 %s max %s", c, fmtMS(stops[c].median()), fmtMS(stops[c].pct(0.99)), fmtMS(stops[c].max()))
	}
	loadTook = time.Since(began)
	close(sampling)
	<-sampled
	_, hwm, _ := procStatus(p.cmd.Process.Pid)
	stopProc(t, p)

	table := [][]string{{"concurrent clients", "samples", "stop p50", "stop p99", "stop max", "start p50", "start p99", "start max"}}
	for _, c := range actionLevels {
		s, st := stops[c], starts[c]
		table = append(table, []string{fmt.Sprint(c), fmt.Sprint(len(s)), fmtMS(s.median()), fmtMS(s.pct(0.99)), fmtMS(s.max()),
			fmtMS(st.median()), fmtMS(st.pct(0.99)), fmtMS(st.max())})
	}
	rep.info("1", "POST stop, p99, 64 clients in a closed loop, real Podman", fmtMS(stops[64].pct(0.99)))
	rep.metric("1.real64.p99", fmtMS(stops[64].pct(0.99)))
	rep.section(benchSection{
		order: 11,
		title: "1b. Action latency, real Podman",
		text: []string{fmt.Sprintf("The real binary (`go build`, default flags, scan every 5 s and Podman's event stream) against the private Podman, with %d running workload containers that take %s to stop after SIGTERM, plus the %d idle ones. A round stops all %d through the dashboard with N concurrent clients (closed loop, as in 1), waits until every stop has finished, starts them all the same way (the start answers are timed too) and waits again; %d rounds per level. Podman, conmon and runc share the 2 cores with the dashboard and the load generator.",
			sz.loadContainers, sz.loadStopDelay, sz.idleContainers, sz.loadContainers, sz.loadRounds)},
		table: table,
	})

	rep.info("5", "resident memory peak under the load of 1 (real Podman)", fmtMB(peak.Load()))
	rep.section(benchSection{
		order: 50,
		title: "5. Footprint",
		text: []string{
			fmt.Sprintf("Binary: %s as `make build` builds it, %s with `-ldflags='-s -w'`.", fmtMB(full), fmtMB(strippedSize)),
			fmt.Sprintf("Idle: the real binary with %d created containers, after its first scans, one page load and %s more; VmRSS, split into anonymous memory and pages of the binary file, and VmHWM (the peak since start). %d processes; the summary has the median.",
				sz.idleContainers, sz.idleWait, sz.footprintRuns),
		},
		table: append([][]string{{"process", "VmRSS idle", "of which RssAnon (heap, stacks)", "RssFile (mostly the binary's pages)", "VmHWM"}}, idleRows...),
		after: []string{fmt.Sprintf("Under load: during the real-Podman load of 1b (%s, %d + %d containers), VmRSS sampled every 50 ms peaked at %s; VmHWM at the end was %s.",
			loadTook.Round(time.Second), sz.loadContainers, sz.idleContainers, fmtMB(peak.Load()), fmtMB(hwm))},
	})
}

// ---- 3. scan ----

// countingStore counts the writes a scan asks of the store.
type countingStore struct {
	*db.DB
	writes atomic.Int64
}

func (s *countingStore) ApplyScan(ctx context.Context, w []lifecycle.ScanWrite) ([]lifecycle.ScanWrite, error) {
	s.writes.Add(1)
	return s.DB.ApplyScan(ctx, w)
}

func (s *countingStore) BeginJob(ctx context.Context, name string, decide func(lifecycle.Container) (lifecycle.Container, lifecycle.Job, error)) (lifecycle.Container, lifecycle.Job, error) {
	s.writes.Add(1)
	return s.DB.BeginJob(ctx, name, decide)
}

func (s *countingStore) UpdateContainer(ctx context.Context, name string, change func(lifecycle.Container) (lifecycle.Container, bool)) (lifecycle.Container, bool, error) {
	s.writes.Add(1)
	return s.DB.UpdateContainer(ctx, name, change)
}

// fileState is the size and modification time of the database files.
func fileState(t *testing.T, path string) string {
	t.Helper()
	var parts []string
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			parts = append(parts, p+": none")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %d bytes %s", p, fi.Size(), fi.ModTime().Format(time.RFC3339Nano)))
	}
	return strings.Join(parts, "; ")
}

func benchScan(t *testing.T, sz benchSizes, rep *benchReport) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	table := [][]string{{"containers", "first scan (all inserted)", "unchanged: passes", "p50", "p99", "max", "writes", "db files touched", "1 % changed: median pass"}}
	var at10k time.Duration
	var writes10k int64
	largest := 0
	for _, n := range sz.scanSizes {
		path := filepath.Join(t.TempDir(), "podboard.db")
		store, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		cs := &countingStore{DB: store}
		engine := fake.New()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		for i := range n {
			o := fake.Running(fmt.Sprintf("scan-%05d", i))
			o.CreatedAt, o.StartedAt = t0, t0.Add(time.Minute)
			if i%3 == 0 {
				o.EngineState, o.StartedAt, o.FinishedAt = "exited", time.Time{}, t0.Add(time.Hour)
			}
			engine.Put(o)
		}
		hub := web.NewHub(log)
		m := lifecycle.NewManager(lifecycle.Config{Store: cs, Engine: engine, Notifier: hub, Logger: log})
		start := time.Now()
		if res, err := m.Scan(ctx); err != nil || res.Inserted != n {
			t.Fatalf("first scan of %d: %+v %v", n, res, err)
		}
		first := time.Since(start)

		cs.writes.Store(0)
		filesBefore := fileState(t, path)
		var passes durations
		for range sz.scanPasses[n] {
			start := time.Now()
			res, err := m.Scan(ctx)
			passes = append(passes, time.Since(start))
			if err != nil || res.Changed() || res.Skipped != 0 {
				t.Fatalf("unchanged scan of %d: %+v %v", n, res, err)
			}
		}
		writes := cs.writes.Load()
		filesAfter := fileState(t, path)
		touched := "no"
		if filesAfter != filesBefore {
			touched = "yes"
		}
		if writes != 0 || touched != "no" {
			t.Errorf("an unchanged scan of %d containers wrote: %d store writes; files before %s, after %s", n, writes, filesBefore, filesAfter)
		}

		// One container in a hundred changes state between passes.
		var changed durations
		for round := range 5 {
			state := "paused"
			if round%2 == 1 {
				state = "running"
			}
			for i := 1; i < n; i += 100 {
				o := fake.Running(fmt.Sprintf("scan-%05d", i))
				o.CreatedAt, o.StartedAt, o.EngineState = t0, t0.Add(time.Minute), state
				engine.Put(o)
			}
			start := time.Now()
			res, err := m.Scan(ctx)
			changed = append(changed, time.Since(start))
			if err != nil || res.Updated != (n+98)/100 {
				t.Fatalf("scan with 1%% changed of %d: %+v %v", n, res, err)
			}
		}
		hub.Close()
		store.Close()
		table = append(table, []string{fmt.Sprint(n), fmtMS(first), fmt.Sprint(len(passes)), fmtMS(passes.median()), fmtMS(passes.pct(0.99)), fmtMS(passes.max()),
			fmt.Sprint(writes), touched, fmtMS(changed.median())})
		t.Logf("scan %d: unchanged p50 %s p99 %s max %s, writes %d", n, fmtMS(passes.median()), fmtMS(passes.pct(0.99)), fmtMS(passes.max()), writes)
		if n >= largest {
			largest, at10k, writes10k = n, passes.median(), writes
			rep.metric("3.largest.p50", fmtMS(passes.median()))
			rep.metric("3.largest.first", fmtMS(first))
			rep.metric("3.largest.changed", fmtMS(changed.median()))
		}
	}
	rep.target("3", fmt.Sprintf("one scan pass, nothing changed, %d containers (median)", largest), "< 100 ms", fmtMS(at10k), at10k < 100*time.Millisecond)
	rep.target("3", fmt.Sprintf("SQLite writes of that pass, %d containers", largest), "0", fmt.Sprint(writes10k), writes10k == 0)
	rep.section(benchSection{
		order: 30,
		title: "3. Scan merge",
		text:  []string{"One reconciler pass, `Manager.Scan`, over a SQLite file and the fake engine: read the stored rows, list the engine, merge, write what changed. A third of the containers are exited. \"writes\" counts the store's write calls during the unchanged passes, and \"db files touched\" compares the size and modification time of the database and its WAL before and after them. The last column flips one container in a hundred between running and paused before each of 5 passes (those are SQLite writes and live events, rendered by a hub with no page connected)."},
		table: table,
	})
}

// ---- 4. overhead over Podman ----

// liveFeed is a page's stream with the arrival time of every event.
type liveFeed struct {
	mu     sync.Mutex
	events []liveEvent
	more   chan struct{}
	cancel context.CancelFunc
	ended  chan struct{}
}

type liveEvent struct {
	at   time.Time
	data string
}

func openFeed(t *testing.T, url string) *liveFeed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	f := &liveFeed{more: make(chan struct{}, 1), cancel: cancel, ended: make(chan struct{})}
	go func() {
		defer close(f.ended)
		defer resp.Body.Close()
		br := bufio.NewReaderSize(resp.Body, 64<<10)
		var data []string
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "" && len(data) > 0:
				at := time.Now()
				f.mu.Lock()
				f.events = append(f.events, liveEvent{at: at, data: strings.Join(data, "\n")})
				f.mu.Unlock()
				select {
				case f.more <- struct{}{}:
				default:
				}
				data = nil
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	t.Cleanup(f.close)
	return f
}

func (f *liveFeed) close() { f.cancel(); <-f.ended }

func (f *liveFeed) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

// next waits for the first event at index from or later that matches.
func (f *liveFeed) next(t *testing.T, from int, what string, match func(string) bool) (int, time.Time) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		f.mu.Lock()
		for i := from; i < len(f.events); i++ {
			if match(f.events[i].data) {
				at := f.events[i].at
				f.mu.Unlock()
				return i, at
			}
		}
		f.mu.Unlock()
		select {
		case <-f.more:
		case <-f.ended:
			t.Fatalf("the live feed ended before %s", what)
		case <-timeout:
			t.Fatalf("no %s on the live feed within a minute", what)
		}
	}
}

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

func (e *timedEngine) Stop(ctx context.Context, name string) error {
	return e.timed(func() error { return e.Engine.Stop(ctx, name) })
}

func (e *timedEngine) Start(ctx context.Context, name string) error {
	return e.timed(func() error { return e.Engine.Start(ctx, name) })
}

func (e *timedEngine) Restart(ctx context.Context, name string) error {
	return e.timed(func() error { return e.Engine.Restart(ctx, name) })
}

func (e *timedEngine) last() (begun, end time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.begun, e.end
}

// clickToRow posts op on name as htmx does and returns when the final row
// arrived on feed, and how long the answer took.
func clickToRow(t *testing.T, url string, feed *liveFeed, name string, op lifecycle.Op) (t0, at time.Time, answer time.Duration) {
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
	i, _ := feed.next(t, from, string(op.Transitional())+" row", isRow(name, string(op.Transitional())))
	_, at = feed.next(t, i+1, string(op.Final())+" row", isRow(name, string(op.Final())))
	return t0, at, answer
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
	feed := openFeed(t, p.url)
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
	stopProc(t, p)

	// Where the dashboard's time goes: the same clicks against newApp in
	// this process over the Podman engine with its calls timed.
	eng, err := podman.Connect(context.Background(), svc.URI, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	te := &timedEngine{Engine: eng}
	_, srv, stopApp := startBenchApp(t, te)
	feed = openFeed(t, srv.URL)
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
	stopApp()

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
	rep.section(benchSection{
		order: 40,
		title: "4. Overhead over Podman",
		text: []string{fmt.Sprintf("One workload container (exits at once on SIGTERM, stop timeout %d s) on the private Podman. *Bare*: the bindings call alone (`containers.Stop`, `containers.Start`, `containers.Restart` with the stop timeout, as the engine sends it), from call to return, while the dashboard process is stopped with SIGSTOP so that none of its work overlaps. *Dashboard*: the real binary, from the POST written to the final row read from `/events`. Each of the %d iterations runs stop, start, restart bare and the same through the dashboard, the two in alternating order, with %s between operations so that Podman's cleanup after one does not overlap the next.",
			stopTimeout, sz.overheadIterations, sz.settle)},
		table: table,
		after: []string{
			"Where the time goes: the same clicks against `newApp` in the test process over the Podman engine, with the engine's call timed (for restart it includes the engine's own lookup of the stop timeout, when it is not known from the scan). The last column is the dashboard's own share, before and after the Podman call, over the median bare call.",
			tableString(split),
		},
	})
}

func tableString(rows [][]string) string {
	var b strings.Builder
	writeTable(&b, rows)
	return strings.TrimRight(b.String(), "\n")
}

// ---- 6. Go benchmarks ----

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) MB/s)?(?:\s+(\d+) B/op\s+(\d+) allocs/op)?`)

func benchGo(t *testing.T, sz benchSizes, rep *benchReport) {
	// -p 1: one package's benchmarks at a time, or two would share the
	// 2 cores and slow each other down.
	args := append([]string{"test", "-tags", buildTags, "-p", "1", "-run", "^$", "-bench", ".", "-benchmem"}, sz.goBenchArgs...)
	args = append(args, benchPackages...)
	cmd := exec.Command("go", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	type result struct {
		pkg          string
		ns           []float64
		bytes, alloc string
	}
	var order []string
	results := map[string]*result{}
	pkg := ""
	for line := range strings.SplitSeq(string(out), "\n") {
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := pkg + " " + m[1]
		r := results[key]
		if r == nil {
			r = &result{pkg: pkg}
			results[key] = r
			order = append(order, key)
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		r.ns = append(r.ns, ns)
		r.bytes, r.alloc = m[4], m[5]
	}
	if len(order) == 0 {
		t.Fatalf("no benchmark results in:\n%s", out)
	}
	table := [][]string{{"package", "benchmark", "time/op (median)", "B/op", "allocs/op"}}
	for _, key := range order {
		r := results[key]
		name := strings.TrimPrefix(key, r.pkg+" ")
		table = append(table, []string{strings.TrimPrefix(r.pkg, "podboard/"), "`" + name + "`", fmtNS(medianFloat(r.ns)), r.bytes, r.alloc})
		rep.metric("go."+name, fmtNS(medianFloat(r.ns)))
	}
	rep.section(benchSection{
		order: 60,
		title: "6. Go benchmarks of the hot paths",
		text:  []string{"`go " + strings.Join(args, " ") + "`; the median of the runs. `BenchmarkActionStop` is the POST handler through the router, manager, SQLite and hub with the engine holding every stop (no network); `BenchmarkHubNotify/clients=N` waits until N connected pages have read the event; `BenchmarkScan` is a whole unchanged pass over SQLite."},
		table: table,
	})
}

func fmtNS(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.2f ms", ns/1e6)
}

// benchBefore are figures this harness measured on this machine on
// 2026-11-28 on the code as it was before the fixes the notes describe
// (commit 7f57b02, with PODBOARD_BENCH=full PODBOARD_BENCH_ONLY=1,3,4,6).
// They are recorded here rather than measured again: that code is gone.
var benchBefore = []struct{ fix, measure, key, before string }{
	{"Fix 1", "POST stop handler alone, CPU per action (`BenchmarkActionStop/pages=0`)", "go.BenchmarkActionStop/pages=0", "278.1 µs"},
	{"Fix 1", "answers/s, 64 clients, closed loop", "1.closed64.rps", "2321"},
	{"Fixes 1, 2", "p50, 64 clients, closed loop", "1.closed64.p50", "24.8 ms"},
	{"Fixes 1, 2", "p99, 64 clients, closed loop", "1.closed64.p99", "50.5 ms"},
	{"Fixes 1, 2", "p99, 64 clients all at once", "1.burst.p99", "76.3 ms"},
	{"Fix 2", "p99, 64 clients each clicking every 100 ms", "1.paced.p99", "187 ms"},
	{"Fixes 1, 2", "p99, 64 clients, closed loop, real Podman (1b)", "1.real64.p99", "114 ms"},
	{"Fix 3", "scan pass, 10,000 containers, nothing changed (median)", "3.largest.p50", "79.7 ms"},
	{"Fix 3", "the same, `BenchmarkScan/unchanged/10000`", "go.BenchmarkScan/unchanged/10000", "73.27 ms"},
	{"Fix 1", "first scan of 10,000 containers (all inserted)", "3.largest.first", "921 ms"},
}

// benchNotes explain the fixes, the misses and the targets, with the
// figures of this run.
func (r *benchReport) benchNotes() []string {
	m := func(key string) string {
		if v, ok := r.metrics[key]; ok {
			return v
		}
		return "(not measured in this run)"
	}
	item1 := fmt.Sprintf("**Item 1, p99 under 5 ms at 64 concurrent clients: the target is wrong for a closed loop.** In a closed loop the mean latency is the number of clients divided by the throughput (Little's law), whatever the code: p99 under 5 ms with 64 clients needs more than 12,800 answered stops a second on 2 cores, under 156 µs of CPU per stop with the load generator's own HTTP client included. A stop is one SQLite write transaction through the single writer when it begins and another when its job ends, plus two renders of its row and the HTTP exchange; the handler alone costs %s of CPU with no network (item 6), and the measured throughput, %s answers a second, is %s of the 2 cores' time per stop in all, so 64 clients wait %s at the median. 64 clients clicking at the same instant wait %s at p99 for the same reason: the writes are serialised. Clicking as people do, each of 64 clients every 100 ms (640 clicks a second, far more than 64 people click), p50 is %s and p99 %s.",
		m("go.BenchmarkActionStop/pages=0"), m("1.closed64.rps"), m("1.closed64.cpu"), m("1.closed64.p50"), m("1.burst.p99"), m("1.paced.p50"), m("1.paced.p99"))
	if r.pacedP99 >= 5*time.Millisecond {
		item1 += fmt.Sprintf(" Much of what is left at that p99 is the process not running at all: in the same runs a goroutine that only sleeps 1 ms overslept by %s at p99 and %s at worst (with GODEBUG=gctrace=1, the garbage collector's stop-the-world phases took up to 3 to 5 ms on this virtual machine under this load).",
			m("1.paced.stall.p99"), m("1.paced.stall.max"))
	}
	item1 += " Meeting 5 ms at p99 in a closed loop would take answering before the transitional state is committed, which gives up the guarantee that a \"Stopping…\" shown was stored, or batching concurrent clicks into shared transactions; neither is worth it for a dashboard."
	before := [][]string{{"by", "measure", "before", "now"}}
	for _, b := range benchBefore {
		before = append(before, []string{b.fix, b.measure, b.before, m(b.key)})
	}
	return []string{
		"Fixes, each found with pprof or the figures above and measured before and after with this harness (before: the recorded figures of `benchBefore` in `main_bench_test.go`; now: this run). The machine's figures move from run to run (see CPU steadiness above), so read differences of a few per cent as noise.\n\n" +
			tableString(before) + "\n",
		"**Fix 1, SQL parsed again on every call (`db/`).** pprof of `BenchmarkActionStop` showed SQLite's parser (`sqlite3RunParser`) as the largest single cost, a third of all the CPU and more than running the statements: through `database/sql` the pure-Go driver parses and plans the statement text again on every `Exec` and `Query`, and an action ran five statements, two of them the 24-column container join. The statements of actions, job outcomes and scans are now prepared once per connection (`db/statements.go`) and bound to each transaction with `tx.StmtContext`, which reuses them.",
		"**Fix 2, a scan held the manager's lock for all its writes at once (`lifecycle/scan.go`).** Every job's final write is followed, at the next scan, by an update with Podman's exact timestamps; after many operations a scan wrote thousands of rows in one transaction under the lock that every click waits for, and clicks stalled for as long (before: p99 of 187 ms with 64 clients clicking every 100 ms; 256 to 515 ms per run at 64 clients in the harness's first version, where one dashboard held 12,000 containers). A scan now writes in transactions of 32 rows, each write still conditional on the row it read.",
		"**Fix 3, the container list joined every row with its job (`db/store.go`).** The scan reads every row at every interval; the join read 24 columns per row, ten of them for jobs that are almost always absent, and each column costs the driver a mutex round trip. `Containers` now reads the 14 container columns and, in the same read transaction, the few jobs in flight.",
		"**Fix 4, every restart began with an inspect (`lifecycle/podman`).** The engine read the stop timeout again (one Podman API call, 1.7 ms median here) although the scan knows it. Restart now goes to the container ID the scan saw, with that container's timeout; if the name was removed and created again since, Podman answers 404 for the old ID and the engine inspects by name as before, so a timeout is never applied to another container (`TestRestartOfANameRecreatedSinceTheLastListUsesTheNewContainersStopTimeout`). One round trip of under 2 ms in a restart of about 180 ms is below what the ratio of item 4 can resolve here (see the note on item 4), so there is no before/after row for it.",
		item1,
		fmt.Sprintf("**Item 4, the ratios.** The dashboard's own part of an operation (the POST and the job's start, then the final write and the live push) is %s for stop, %s for start and %s for restart, a few per cent of the bare call (the split table in 4): the Podman call dominates everything (runc, conmon, and for a stop the workload's exit and Podman's cleanup). The ratio of medians is the issue's measure, but Podman's own time varies far more than 5 %% from one call to the next (bare stop %s, start %s, restart %s here), so with 40 samples the ratio moves by several per cent between runs (an earlier version of this harness, with 15 samples in blocks, measured start at 1.13 and restart at 1.18 while the dashboard's own part was the same 1 to 3 ms). The split table in 4 is the figure that holds still.",
			m("4.stop.own"), m("4.start.own"), m("4.restart.own"), m("4.stop.spread"), m("4.start.spread"), m("4.restart.spread")),
		"**Item 5, memory.** Idle, about three quarters of the resident memory is the binary's own file pages (RssFile in 5): package initialisation touches code all over the binary, the kernel maps the file in blocks around each touch, and the Podman bindings bring a large tree of packages (containers/image, storage, …), so nearly all of the binary's code and read-only data is resident after start-up. These pages are clean, shared with the page cache and the first to go under memory pressure; the process's own memory (RssAnon) is the smaller part. Each idle page costs about 29 KB (2b): its connection, its goroutines and the SSE library's 64-event channel.",
		"**Item 1b, the real engine.** The answer is written before the Podman call begins, so it never waits for Podman; it does share the 2 cores with Podman's own processes: with 64 clients, 64 real stops and starts put runc, conmon and a `podman container cleanup` process per container on the cores while the POSTs are being answered, and the answers queue behind them for the CPU. At 1 client the answer takes about as long as with the fake engine.",
		"**The harness itself.** Its first version ran the Go benchmarks of the four packages two at a time (`go test` runs test binaries in parallel), each slowing the other down; they now run with `-p 1`. Load generator and server share the 2 cores in items 1 and 2, so every latency here includes the client's own cost.",
	}
}
