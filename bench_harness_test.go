package main

// The benchmark harness: TestBenchReport measures the whole dashboard on
// this machine and, with PODBOARD_BENCH=full, writes docs/BENCHMARKS.md:
// the prose of docs/BENCHMARKS.tmpl.md filled with the tables and figures
// the bench_*_test.go files record, one file per item.
//
//	PODBOARD_BENCH=full  make bench: every measurement at full size (minutes)
//	PODBOARD_BENCH=smoke make bench-smoke: every measurement at tiny sizes,
//	                     nothing written; it keeps the harness working
//	(unset)              skipped, so `go test ./...` stays fast
//
// PODBOARD_BENCH_ONLY=1,1c,7 runs only those sections of the report
// (benchSections) and writes nothing, for working on one of them. 1b and 5
// are one measurement: either runs both.
//
// Nothing here asserts a duration: a missed target is reported, never a
// test failure. The test fails only when the dashboard misbehaves (a wrong
// answer, a write where none is allowed) or a measurement cannot be made.

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"maps"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/template"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/podman/podmantest"
)

const benchReportPath = "docs/BENCHMARKS.md"

// benchPackages hold the Go benchmarks of the hot paths (item 6).
var benchPackages = []string{"./templates", "./lifecycle", "./web", "./web/auth", "./handlers"}

// The sections of the report, the names PODBOARD_BENCH_ONLY takes.
var benchSections = []string{"1", "1b", "1c", "2", "2b", "2c", "3", "3b", "4", "5", "6", "7", "8", "9"}

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

	// 1c. Clicks all at once on the real Podman: containers (one client
	// each) and rounds of stop all, start all.
	burstContainers int
	burstRounds     int

	// 2c. The stalled-clients benchmark: events per run (-benchtime Nx)
	// and runs (-count).
	stallEvents, stallRuns int

	// 3b. Clicks during a scan: rows the scan changes, with the rounds
	// of each, the clicks wanted during scans (and without), and the
	// containers the clicks stop.
	scanChanged     []int
	scanRounds      map[int]int
	scanMinClicks   int
	scanClickTarget int

	// 6. Go benchmarks.
	goBenchArgs []string

	// 7. Clicks in Chromium.
	frameClicks int

	// 8. The cost of --stats: running containers, the CPU measured over
	// a window after a settle, runs of each setting.
	statsContainers          int
	statsWindow, statsSettle time.Duration
	statsRuns                int

	// 9. Many hosts: hosts and the containers of each (the same names
	// on every host); rounds of first scans, the unchanged scans after
	// each; page loads; clicks at once per round, rounds over the fake
	// engines and with one host the real Podman.
	hosts, hostContainers       int
	hostScanRounds, hostRescans int
	hostPageLoads               int
	hostClicks, hostClickRounds int
	hostRealRounds              int

	calibrationRuns int
}

var actionLevels = []int{1, 16, 64}

// burstLevels are the client counts of item 1's "all at once" rows.
var burstLevels = []int{32, 64}

func benchSizesFor(mode string) benchSizes {
	if mode == "full" {
		return benchSizes{
			mode:               mode,
			latencyRuns:        3,
			latencyRequests:    map[int]int{1: 1000, 16: 3000, 32: 3200, 64: 4000},
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
			burstContainers:    32,
			burstRounds:        10,
			stallEvents:        200,
			stallRuns:          5,
			scanChanged:        []int{1000, 10000},
			scanRounds:         map[int]int{1000: 20, 10000: 5},
			scanMinClicks:      100,
			scanClickTarget:    6000,
			goBenchArgs:        []string{"-count", "3", "-benchtime", "0.5s"},
			frameClicks:        100,
			statsContainers:    50,
			statsWindow:        60 * time.Second,
			statsSettle:        10 * time.Second,
			statsRuns:          3,
			hosts:              10,
			hostContainers:     200,
			hostScanRounds:     5,
			hostRescans:        20,
			hostPageLoads:      30,
			hostClicks:         32,
			hostClickRounds:    40,
			hostRealRounds:     10,
			calibrationRuns:    20,
		}
	}
	return benchSizes{
		mode:               mode,
		latencyRuns:        1,
		latencyRequests:    map[int]int{1: 20, 16: 64, 32: 64, 64: 128},
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
		burstContainers:    4,
		burstRounds:        1,
		stallEvents:        120, // the new page connects at the 100th
		stallRuns:          1,
		scanChanged:        []int{100},
		scanRounds:         map[int]int{100: 2},
		scanMinClicks:      1,
		scanClickTarget:    300,
		goBenchArgs:        []string{"-count", "1", "-benchtime", "1x"},
		frameClicks:        3,
		statsContainers:    3,
		statsWindow:        2 * time.Second,
		statsSettle:        time.Second,
		statsRuns:          1,
		hosts:              3,
		hostContainers:     20,
		hostScanRounds:     1,
		hostRescans:        2,
		hostPageLoads:      2,
		hostClicks:         8,
		hostClickRounds:    2,
		hostRealRounds:     1,
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
	want, err := benchSelection(only)
	if err != nil {
		t.Fatal(err)
	}
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
	if want("3b") {
		t.Run("3b-clicks-during-a-scan", func(t *testing.T) { benchClicksDuringScan(t, sz, rep) })
	}
	t.Run("real-podman", func(t *testing.T) {
		if !want("1b") && !want("1c") && !want("2b") && !want("4") && !want("5") && !want("8") {
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
		// First, so that no earlier section's Podman work overlaps it.
		if want("1c") {
			t.Run("1c-real-burst", func(t *testing.T) { benchRealBurst(t, sz, rep, svc, bin) })
		}
		if want("2b") {
			t.Run("2-idle-clients", func(t *testing.T) { benchIdleClients(t, sz, rep, svc, bin) })
		}
		if want("1b") || want("5") {
			t.Run("5-footprint-and-1-real-latency", func(t *testing.T) { benchFootprint(t, sz, rep, svc, bin, stripped) })
		}
		if want("4") {
			t.Run("4-overhead", func(t *testing.T) { benchOverhead(t, sz, rep, svc, bin) })
		}
		if want("8") {
			t.Run("8-stats", func(t *testing.T) { benchStats(t, sz, rep, svc, bin) })
		}
	})
	if want("2c") {
		t.Run("2c-stalled-clients", func(t *testing.T) { benchStalledClients(t, sz, rep) })
	}
	if want("9") {
		t.Run("9-many-hosts", func(t *testing.T) { benchHosts(t, sz, rep) })
	}
	if want("6") {
		t.Run("6-go-benchmarks", func(t *testing.T) { benchGo(t, sz, rep) })
	}
	if want("7") {
		t.Run("7-click-to-frame", func(t *testing.T) { benchClickFrame(t, sz, rep) })
	}
	rep.besideRealBurst()
	rep.machine = append(rep.machine, [2]string{"CPU steadiness",
		fmt.Sprintf("the same CPU-bound loop (SHA-256 of 16 MB), %d times at the start: %s; at the end: %s", sz.calibrationRuns, steadyBefore, cpuSteadiness(sz.calibrationRuns))})

	rep.took = time.Since(rep.started)
	out, err := rep.markdown()
	if t.Failed() {
		t.Logf("a measurement failed; %s is left as it was. Partial report (%v):\n%s", benchReportPath, err, out)
		return
	}
	if err != nil {
		t.Fatalf("filling %s: %v", benchTemplatePath, err)
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

// benchSelection reads PODBOARD_BENCH_ONLY: empty runs every section,
// otherwise the sections named.
func benchSelection(only string) (func(section string) bool, error) {
	if only == "" {
		return func(string) bool { return true }, nil
	}
	asked := strings.Split(only, ",")
	for _, a := range asked {
		if !slices.Contains(benchSections, a) {
			return nil, fmt.Errorf("PODBOARD_BENCH_ONLY=%q: %q is no section; the sections are %s", only, a, strings.Join(benchSections, ","))
		}
	}
	return func(s string) bool { return slices.Contains(asked, s) }, nil
}

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

func fmtNS(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.2f ms", ns/1e6)
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// benchReport collects what one run measured: the summary rows, and for
// the report's prose (benchTemplatePath) the tables and figures of each
// section.
type benchReport struct {
	mode    string
	started time.Time
	took    time.Duration
	machine [][2]string

	mu      sync.Mutex
	summary [][]string            // item, measure, target, result, verdict
	ran     map[string]bool       // the sections measured
	tables  map[string][][]string // first row is the header
	metrics map[string]string     // figures the prose quotes
	flags   map[string]bool
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

// section is the part of key before its first dot: "1b" of "1b.rounds".
func section(key string) string {
	s, _, _ := strings.Cut(key, ".")
	return s
}

// metric keeps a figure for the prose; the key starts with its section.
func (r *benchReport) metric(key, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.metrics == nil {
		r.metrics = map[string]string{}
	}
	r.metrics[key] = value
}

// flag keeps a yes/no the prose depends on.
func (r *benchReport) flag(key string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.flags == nil {
		r.flags = map[string]bool{}
	}
	r.flags[key] = on
}

// table keeps a table for the prose, and marks its section as measured.
func (r *benchReport) table(key string, rows [][]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tables == nil {
		r.tables, r.ran = map[string][][]string{}, map[string]bool{}
	}
	r.tables[key] = rows
	r.ran[section(key)] = true
}

// benchTemplatePath holds the report's prose, read by markdown.
const benchTemplatePath = "docs/BENCHMARKS.tmpl.md"

// markdown fills the template with this run's tables and figures. A figure
// or table the template names but a measured section did not record is an
// error, so that make bench-smoke catches a mistake in either.
func (r *benchReport) markdown() (string, error) {
	src, err := os.ReadFile(benchTemplatePath)
	if err != nil {
		return "", fmt.Errorf("the report's template: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	machine := [][]string{{"", ""}}
	for _, kv := range r.machine {
		machine = append(machine, []string{kv[0], kv[1]})
	}
	summary := slices.Clone(r.summary)
	slices.SortStableFunc(summary, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	tables := maps.Clone(r.tables)
	if tables == nil {
		tables = map[string][][]string{}
	}
	tables["machine"] = machine
	tables["summary"] = append([][]string{{"item", "measure", "target", "result", "verdict"}}, summary...)

	funcs := template.FuncMap{
		"ran":  func(key string) bool { return r.ran[key] },
		"flag": func(key string) bool { return r.flags[key] },
		"m": func(key string) (string, error) {
			if v, ok := r.metrics[key]; ok {
				return v, nil
			}
			if !r.ran[section(key)] {
				return "(not measured in this run)", nil
			}
			return "", fmt.Errorf("section %s was measured but recorded no figure %q", section(key), key)
		},
		"table": func(key string) (string, error) {
			rows, ok := tables[key]
			if !ok {
				return "", fmt.Errorf("no table %q in this run", key)
			}
			return tableString(rows), nil
		},
	}
	tmpl, err := template.New(benchTemplatePath).Funcs(funcs).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = tmpl.Execute(&b, map[string]string{
		"Started": r.started.UTC().Format("2006-01-02 15:04 MST"),
		"Took":    r.took.Round(time.Second).String(),
	})
	return b.String(), err
}

// tableString renders rows as a Markdown table, the first row its header.
func tableString(rows [][]string) string {
	var b strings.Builder
	for i, row := range rows {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |")
		if i == 0 {
			sep := make([]string, len(row))
			for j := range sep {
				sep[j] = "---"
			}
			b.WriteString("\n| " + strings.Join(sep, " | ") + " |")
		}
	}
	return b.String()
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

// startBenchApp is the dashboard of serveApp over engine, with its log
// formatted as in production and discarded. It runs with --auth none, so
// that the load generators need no credentials; what the sign-in gate
// adds to a request is measured on its own (BenchmarkActionStop/auth=…).
func startBenchApp(t *testing.T, engine lifecycle.Engine) *testApp {
	t.Helper()
	return serveApp(t, engine, testConfig(t, t.TempDir(), "unix:///fake/bench.sock", 5*time.Second, append([]string{"--auth", "none"}, benchFeedCaps...)...), nil)
}

// benchFeedCaps lift the live-feed caps (256 in all, 32 per client) above
// the thousand pages the measurements open from one address.
var benchFeedCaps = []string{"--max-feeds", "100000", "--max-feeds-per-client", "100000"}

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
	return append([]string{"--listen", "127.0.0.1:0", "--auth", "none", "--podman", svc.URI, "--data", data}, benchFeedCaps...)
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
		for _, c := range listContainers(t, http.DefaultClient, url) {
			if want[c.Name] && c.State == state && c.Job == nil {
				n++
			}
		}
		return n == len(names)
	})
}

// TestBenchReportTemplateFillsWhatWasMeasuredAndSaysWhatWasNot keeps the
// report's template working without running a benchmark: it parses, a
// section appears only when its item was measured, and a figure a measured
// section forgot to record is an error rather than a blank in the report.
func TestBenchReportTemplateFillsWhatWasMeasuredAndSaysWhatWasNot(t *testing.T) {
	fanout := [][]string{{"pages", "p99"}, {"10", "0.25 ms"}}
	tests := []struct {
		name    string
		fill    func(r *benchReport)
		want    []string
		notWant []string
		err     string
	}{
		{
			name:    "nothing measured",
			fill:    func(*benchReport) {},
			want:    []string{"# Benchmarks", "## Summary", "## Notes", "(not measured in this run)"},
			notWant: []string{"## 1. Action latency", "## 2. Live fan-out"},
		},
		{
			name:    "one section measured",
			fill:    func(r *benchReport) { r.table("2", fanout) },
			want:    []string{"## 2. Live fan-out", "| pages | p99 |\n| --- | --- |\n| 10 | 0.25 ms |"},
			notWant: []string{"## 1. Action latency"},
		},
		{
			name: "a measured section without a figure the prose quotes",
			fill: func(r *benchReport) { r.table("4", fanout); r.table("4.split", fanout) },
			err:  `section 4 was measured but recorded no figure "4.`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &benchReport{started: time.Now()}
			tt.fill(r)
			out, err := r.markdown()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("the report lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("the report has %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestBenchSelectionRunsTheSectionsNamedAndRefusesAnUnknownOne keeps
// PODBOARD_BENCH_ONLY's meaning: exact section names, a typo an error
// rather than a run that measures nothing.
func TestBenchSelectionRunsTheSectionsNamedAndRefusesAnUnknownOne(t *testing.T) {
	tests := []struct {
		only string
		runs []string
		err  bool
	}{
		{only: "", runs: benchSections},
		{only: "1", runs: []string{"1"}},
		{only: "1c,7", runs: []string{"1c", "7"}},
		{only: "3b,3", runs: []string{"3", "3b"}},
		{only: "10", err: true},
		{only: "1,", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.only, func(t *testing.T) {
			want, err := benchSelection(tt.only)
			if tt.err {
				if err == nil {
					t.Fatalf("PODBOARD_BENCH_ONLY=%q accepted", tt.only)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var runs []string
			for _, s := range benchSections {
				if want(s) {
					runs = append(runs, s)
				}
			}
			if !slices.Equal(runs, tt.runs) {
				t.Errorf("PODBOARD_BENCH_ONLY=%q runs %v, want %v", tt.only, runs, tt.runs)
			}
		})
	}
}
