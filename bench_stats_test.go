package main

// Item 8: what the containers' CPU and memory in the rows cost, with 50
// running containers: the dashboard's own CPU, and the Podman service's,
// with --stats on (one stats stream every 5 s) and off.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle/podman/podmantest"
)

// clockTick is the unit of /proc/PID/stat's CPU times (USER_HZ: 100 on
// every Linux this runs on).
const clockTick = 10 * time.Millisecond

// procCPU is the CPU time (user and system) process pid has used so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: the fields start after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * clockTick, nil
}

func benchStats(t *testing.T, sz benchSizes, rep *benchReport, svc *podmantest.Service, bin string) {
	names := benchNames("stats", sz.statsContainers)
	createMany(t, svc, names, podmantest.Workload{Start: true})
	share := func(d time.Duration) float64 { return 100 * d.Seconds() / sz.statsWindow.Seconds() }
	own := map[bool][]float64{}
	podman := map[bool][]float64{}
	for run := range sz.statsRuns {
		for _, on := range []bool{true, false} {
			p := startProc(t, bin, append(procArgs(svc, t.TempDir()), "--stats="+strconv.FormatBool(on))...)
			waitStates(t, p.url, names, "running")
			time.Sleep(sz.statsSettle) // the first scans and the stream's first reports
			pid := p.cmd.Process.Pid
			ownBefore, err1 := procCPU(pid)
			podBefore, err2 := procCPU(svc.PID())
			time.Sleep(sz.statsWindow)
			ownAfter, err3 := procCPU(pid)
			podAfter, err4 := procCPU(svc.PID())
			p.stop()
			for _, err := range []error{err1, err2, err3, err4} {
				if err != nil {
					t.Fatal(err)
				}
			}
			own[on] = append(own[on], share(ownAfter-ownBefore))
			podman[on] = append(podman[on], share(podAfter-podBefore))
			t.Logf("run %d, stats %t: podboard %.2f%%, podman service %.2f%% of one core", run+1, on, share(ownAfter-ownBefore), share(podAfter-podBefore))
		}
	}
	pct := func(v float64) string { return fmt.Sprintf("%.2f %%", v) }
	table := [][]string{{"--stats", "runs", "podboard's CPU (median)", "runs' spread", "the Podman service's CPU (median)", "runs' spread"}}
	for _, on := range []bool{true, false} {
		spread := func(v []float64) string {
			lo, hi := v[0], v[0]
			for _, x := range v {
				lo, hi = min(lo, x), max(hi, x)
			}
			return pct(lo) + "–" + pct(hi)
		}
		table = append(table, []string{strconv.FormatBool(on), fmt.Sprint(len(own[on])),
			pct(medianFloat(own[on])), spread(own[on]), pct(medianFloat(podman[on])), spread(podman[on])})
	}
	rep.info("8", fmt.Sprintf("podboard's CPU, %d running containers, stats on / off (share of one core)", sz.statsContainers),
		pct(medianFloat(own[true]))+" / "+pct(medianFloat(own[false])))
	rep.info("8", fmt.Sprintf("the Podman service's CPU meanwhile, stats on / off"), pct(medianFloat(podman[true]))+" / "+pct(medianFloat(podman[false])))
	rep.metric("8.containers", fmt.Sprint(sz.statsContainers))
	rep.metric("8.window", sz.statsWindow.String())
	rep.metric("8.settle", sz.statsSettle.String())
	rep.metric("8.runs", fmt.Sprint(sz.statsRuns))
	rep.table("8", table)
}
