package main

// Item 1c: clicks on many containers at the same instant, answered while
// the real Podman works through them.

import (
	"fmt"
	"testing"
	"time"

	"podboard/lifecycle/podman/podmantest"
)

// burstTarget is item 1c's target for the answers' p99.
const burstTarget = 20 * time.Millisecond

// benchRealBurst runs the real binary against the private Podman and, in
// each round, has one client per container click Stop at the same instant,
// waits until every container is stopped, has them click Start at the same
// instant and waits until every container runs again.
func benchRealBurst(t *testing.T, sz benchSizes, rep *benchReport, svc *podmantest.Service, bin string) {
	n := sz.burstContainers
	names := benchNames("burst", n)
	// Workloads that exit at once on SIGTERM: Podman's and runc's work for
	// the stops overlaps the answers as much as it can.
	createMany(t, svc, names, podmantest.Workload{Start: true, StopTimeout: 10})
	p := startProc(t, bin, procArgs(svc, t.TempDir())...)
	waitStates(t, p.url, names, "running")
	var stops, starts durations
	for round := range sz.burstRounds {
		res := postLoad(t, p.url, names, "stop", "stopping", n, burst)
		stops = append(stops, res.lat...)
		waitStates(t, p.url, names, "stopped")
		// Podman's cleanup of the last stops (a process per container)
		// may outlast the state the dashboard shows.
		time.Sleep(sz.settle)
		res = postLoad(t, p.url, names, "start", "starting", n, burst)
		starts = append(starts, res.lat...)
		waitStates(t, p.url, names, "running")
		time.Sleep(sz.settle)
		t.Logf("round %d: stop p50 %s max %s; start p50 %s max %s", round+1,
			fmtMS(stops[len(stops)-n:].median()), fmtMS(stops[len(stops)-n:].max()),
			fmtMS(starts[len(starts)-n:].median()), fmtMS(starts[len(starts)-n:].max()))
	}
	p.stop()

	all := append(append(durations{}, stops...), starts...)
	row := func(what string, d durations) []string {
		return []string{what, fmt.Sprint(len(d)), fmtMS(d.median()), fmtMS(d.pct(0.99)), fmtMS(d.max())}
	}
	rep.table("1c", [][]string{
		{"engine, clicks", "samples", "p50", "p99", "max"},
		row(fmt.Sprintf("real Podman, %d stops at once", n), stops),
		row(fmt.Sprintf("real Podman, %d starts at once", n), starts),
		row("real Podman, both", all),
	})
	p99 := all.pct(0.99)
	rep.target("1", fmt.Sprintf("POST answer, p99, %d clicks at once on %d containers, real Podman (stops and starts)", n, n),
		"< "+fmtMS(burstTarget), fmtMS(p99), p99 < burstTarget)
	rep.metric("1c.containers", fmt.Sprint(n))
	rep.metric("1c.rounds", fmt.Sprint(sz.burstRounds))
	rep.metric("1c.settle", sz.settle.String())
	rep.metric("1c.p50", fmtMS(all.median()))
	rep.metric("1c.p99", fmtMS(p99))
	rep.metric("1c.max", fmtMS(all.max()))
	rep.metric("1c.stop.p99", fmtMS(stops.pct(0.99)))
	rep.metric("1c.start.p99", fmtMS(starts.pct(0.99)))
}

// besideRealBurst puts item 1's "all at once" rows of the fake engine under
// the real Podman's rows of 1c, when both were measured.
func (r *benchReport) besideRealBurst() {
	r.mu.Lock()
	defer r.mu.Unlock()
	rows, ok := r.tables["1c"]
	if !ok {
		return
	}
	for _, c := range burstLevels {
		key := fmt.Sprintf("1.burst%d", c)
		what := fmt.Sprintf("fake engine, %d stops at once (item 1)", c)
		if _, ok := r.metrics[key+".p99"]; !ok {
			rows = append(rows, []string{what, "-", "(not measured in this run)", "", ""})
			continue
		}
		rows = append(rows, []string{what, r.metrics[key+".samples"], r.metrics[key+".p50"], r.metrics[key+".p99"], r.metrics[key+".max"]})
	}
	r.tables["1c"] = rows
}
