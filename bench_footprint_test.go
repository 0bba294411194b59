package main

// Items 2b, 5 and 1b: the real binary's memory, idle, per open page and
// under the load of item 1 against the real Podman.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"podboard/lifecycle/podman/podmantest"
)

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
		p.stop()
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
		p.stop()
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
	p.stop()

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
