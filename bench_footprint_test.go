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
	rep.metric("2b.perPage", fmt.Sprintf("%.1f KB", float64(med)/1024))
	rep.metric("2b.settle", sz.idleSettle.String())
	rep.metric("2b.clients", fmt.Sprint(sz.idleClients))
	rep.metric("2b.runs", fmt.Sprint(sz.idleRuns))
	rep.table("2b", append([][]string{{"process", "RSS before", fmt.Sprintf("RSS with %d pages", sz.idleClients), "per page"}}, rows...))
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
	rep.metric("1b.real64.p99", fmtMS(stops[64].pct(0.99)))
	rep.metric("1b.containers", fmt.Sprint(sz.loadContainers))
	rep.metric("1b.stopDelay", sz.loadStopDelay.String())
	rep.metric("1b.idle", fmt.Sprint(sz.idleContainers))
	rep.metric("1b.rounds", fmt.Sprint(sz.loadRounds))
	rep.table("1b", table)

	rep.info("5", "resident memory peak under the load of 1 (real Podman)", fmtMB(peak.Load()))
	rep.metric("5.binary", fmtMB(full))
	rep.metric("5.stripped", fmtMB(strippedSize))
	rep.metric("5.idle", fmt.Sprint(sz.idleContainers))
	rep.metric("5.idleWait", sz.idleWait.String())
	rep.metric("5.runs", fmt.Sprint(sz.footprintRuns))
	rep.metric("5.loadTook", loadTook.Round(time.Second).String())
	rep.metric("5.peak", fmtMB(peak.Load()))
	rep.metric("5.hwm", fmtMB(hwm))
	rep.table("5", append([][]string{{"process", "VmRSS idle", "of which RssAnon (heap, stacks)", "RssFile (mostly the binary's pages)", "VmHWM"}}, idleRows...))
}
