package main

// Item 6: the Go benchmarks of the hot paths, run and tabled.

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

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
		rep.metric("6."+name, fmtNS(medianFloat(r.ns)))
	}
	rep.metric("6.command", "go "+strings.Join(args, " "))
	rep.table("6", table)
}
