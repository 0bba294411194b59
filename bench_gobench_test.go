package main

// Item 6: the Go benchmarks of the hot paths, run and tabled; and item 2c,
// the stalled-clients benchmark of the hub, run at its own size.

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stallBench is the hub's benchmark of readers beside stalled clients: its
// run needs a fixed count of events (see web/hub_bench_test.go), so item 6
// leaves it to 2c.
const stallBench = "BenchmarkHubStalledClients"

// goBench is one benchmark's results over its runs: every value of each
// unit ("ns/op", "B/op", "allocs/op" and the benchmark's own metrics such
// as "max-gap-ms").
type goBench struct {
	pkg, name string
	values    map[string][]float64
}

func (b *goBench) median(unit string) float64 { return medianFloat(b.values[unit]) }

func (b *goBench) max(unit string) float64 {
	m := 0.0
	for _, v := range b.values[unit] {
		m = max(m, v)
	}
	return m
}

// last is the unit's value in the last run, as go test printed it, or ""
// (B/op and allocs/op hardly move from run to run).
func (b *goBench) last(unit string) string {
	v := b.values[unit]
	if len(v) == 0 {
		return ""
	}
	return strconv.FormatFloat(v[len(v)-1], 'f', -1, 64)
}

// benchProcs is the -N suffix go test adds to a benchmark's name.
var benchProcs = regexp.MustCompile(`-\d+$`)

// parseGoBench reads go test -bench output: each result line is a name, an
// iteration count and pairs of value and unit, in whatever order and number
// the benchmark reported them (b.ReportMetric adds its own pairs between
// ns/op and B/op).
func parseGoBench(out string) []*goBench {
	var order []*goBench
	byKey := map[string]*goBench{}
	pkg := ""
	for line := range strings.SplitSeq(out, "\n") {
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := benchProcs.ReplaceAllString(f[0], "")
		key := pkg + " " + name
		b := byKey[key]
		if b == nil {
			b = &goBench{pkg: pkg, name: name, values: map[string][]float64{}}
			byKey[key] = b
			order = append(order, b)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			b.values[f[i+1]] = append(b.values[f[i+1]], v)
		}
	}
	return order
}

// runGoBench runs go test with the harness's tags and these arguments, and
// returns the results and the command as run.
func runGoBench(t *testing.T, args ...string) ([]*goBench, string) {
	t.Helper()
	args = append([]string{"test", "-tags", buildTags}, args...)
	command := "go " + strings.Join(args, " ")
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", command, err, out)
	}
	res := parseGoBench(string(out))
	if len(res) == 0 {
		t.Fatalf("no benchmark results in:\n%s", out)
	}
	return res, command
}

func benchGo(t *testing.T, sz benchSizes, rep *benchReport) {
	// -p 1: one package's benchmarks at a time, or two would share the
	// 2 cores and slow each other down.
	args := append([]string{"-p", "1", "-run", "^$", "-bench", ".", "-skip", "^" + stallBench + "$", "-benchmem"}, sz.goBenchArgs...)
	results, command := runGoBench(t, append(args, benchPackages...)...)
	table := [][]string{{"package", "benchmark", "time/op (median)", "B/op", "allocs/op"}}
	for _, b := range results {
		ns := fmtNS(b.median("ns/op"))
		table = append(table, []string{strings.TrimPrefix(b.pkg, "podboard/"), "`" + b.name + "`", ns, b.last("B/op"), b.last("allocs/op")})
		rep.metric("6."+b.name, ns)
	}
	rep.metric("6.command", command)
	rep.table("6", table)
}

// stallTarget is how much longer than with no stalled client a reading
// page may go without an event while clients are stalled.
const stallTarget = 100 * time.Millisecond

func benchStalledClients(t *testing.T, sz benchSizes, rep *benchReport) {
	results, command := runGoBench(t, "-run", "^$", "-bench", "^"+stallBench+"$", "-benchmem",
		"-count", fmt.Sprint(sz.stallRuns), "-benchtime", fmt.Sprintf("%dx", sz.stallEvents), "./web")
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	byStalled := map[string]*goBench{}
	table := [][]string{{"stalled clients", "runs", "longest silence of a reader: median run", "worst run", "new page's first byte: median run", "worst run"}}
	for _, b := range results {
		stalled, ok := strings.CutPrefix(b.name, stallBench+"/stalled=")
		if !ok {
			t.Fatalf("unexpected benchmark %s in %s", b.name, command)
		}
		if len(b.values["max-gap-ms"]) == 0 || len(b.values["first-byte-ms"]) == 0 {
			t.Fatalf("%s reported no max-gap-ms or first-byte-ms: %v", b.name, b.values)
		}
		byStalled[stalled] = b
		table = append(table, []string{stalled, fmt.Sprint(len(b.values["max-gap-ms"])),
			fmtMS(ms(b.median("max-gap-ms"))), fmtMS(ms(b.max("max-gap-ms"))),
			fmtMS(ms(b.median("first-byte-ms"))), fmtMS(ms(b.max("first-byte-ms")))})
	}
	none, five := byStalled["0"], byStalled["5"]
	if none == nil || five == nil {
		t.Fatalf("%s: want stalled=0 and stalled=5, got %v", command, table)
	}
	// The worst runs, compared: what the stalled clients cost the readers
	// at worst, with the machine's own hiccups of the run without them
	// taken off.
	gap5, gap0 := ms(five.max("max-gap-ms")), ms(none.max("max-gap-ms"))
	delay := max(gap5-gap0, 0)
	rep.target("2", "delay the 5 stalled clients cause a reading page (longest silence: with them − without, worst runs)",
		"< "+fmtMS(stallTarget), fmt.Sprintf("%s (%s − %s)", fmtMS(delay), fmtMS(gap5), fmtMS(gap0)), delay < stallTarget)
	rep.info("2", "first byte of a page that connects while 5 clients are stalled (worst run)", fmtMS(ms(five.max("first-byte-ms"))))
	rep.metric("2c.command", command)
	rep.metric("2c.gap5", fmtMS(gap5))
	rep.metric("2c.gap0", fmtMS(gap0))
	rep.metric("2c.first5", fmtMS(ms(five.max("first-byte-ms"))))
	rep.metric("2c.first0", fmtMS(ms(none.max("first-byte-ms"))))
	rep.metric("2c.runs", fmt.Sprint(len(five.values["max-gap-ms"])))
	rep.metric("2c.events", fmt.Sprint(sz.stallEvents))
	rep.table("2c", table)
}
