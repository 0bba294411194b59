package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"podboard/lifecycle"
	"podboard/web"
	"podboard/web/metrics"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// job is a job of op that ran for took and ended with outcome.
func job(op lifecycle.Op, outcome lifecycle.JobOutcome, took time.Duration) lifecycle.Job {
	return lifecycle.Job{ID: 1, Container: "web", Op: op, Outcome: outcome, StartedAt: t0, FinishedAt: t0.Add(took)}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// gather collects every metric of m.
func gather(t *testing.T, m *metrics.Metrics) []*dto.MetricFamily {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	return fams
}

// sample finds the series of name with exactly the given label pairs
// ("op", "stop", …).
func sample(fams []*dto.MetricFamily, name string, labels ...string) (*dto.Metric, bool) {
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		// A series of a host is the local host's unless labels name one.
		if ms := f.GetMetric(); len(ms) > 0 && ms[0].GetLabel() != nil && ms[0].GetLabel()[0].GetName() == "host" && !slices.Contains(labels, "host") {
			labels = append([]string{"host", lifecycle.DefaultHost}, labels...)
		}
	next:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel())*2 != len(labels) {
				continue
			}
			for i, l := range m.GetLabel() {
				if l.GetName() != labels[2*i] || l.GetValue() != labels[2*i+1] {
					continue next
				}
			}
			return m, true
		}
	}
	return nil, false
}

// value is the value of a counter or gauge series, failing the test when
// there is none.
func value(t *testing.T, fams []*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	m, ok := sample(fams, name, labels...)
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("%s%v is neither a counter nor a gauge", name, labels)
	return 0
}

func TestOperationsAreCountedByOpAndOutcomeAndEverySeriesStartsAtZero(t *testing.T) {
	m := metrics.New(metrics.Config{Log: quiet()})
	for _, j := range []lifecycle.Job{
		job(lifecycle.Stop, lifecycle.JobSucceeded, time.Second),
		job(lifecycle.Stop, lifecycle.JobSucceeded, 2*time.Second),
		job(lifecycle.Start, lifecycle.JobFailed, time.Second),
		job(lifecycle.Stop, lifecycle.JobForceStopped, time.Minute),
		job(lifecycle.Kill, lifecycle.JobSucceeded, time.Millisecond),
		job(lifecycle.Restart, lifecycle.JobLost, time.Second),
		job(lifecycle.Start, lifecycle.JobTimedOut, 2*time.Minute),
	} {
		m.OperationBegun(j)
		m.OperationEnded(j)
	}
	fams := gather(t, m)
	want := map[[2]string]float64{
		{"stop", "succeeded"}: 2, {"start", "failed"}: 1, {"stop", "force-stopped"}: 1,
		{"kill", "succeeded"}: 1, {"restart", "lost"}: 1, {"start", "timed-out"}: 1,
	}
	for _, op := range lifecycle.Ops {
		for _, o := range metrics.Outcomes {
			k := [2]string{string(op), string(o)}
			if got := value(t, fams, "podboard_operations_total", "op", k[0], "outcome", k[1]); got != want[k] {
				t.Errorf("podboard_operations_total{op=%q,outcome=%q} = %v, want %v", k[0], k[1], got, want[k])
			}
		}
	}
	if n := testutil.CollectAndCount(m.Registry(), "podboard_operations_total"); n != len(lifecycle.Ops)*len(metrics.Outcomes) {
		t.Errorf("%d series of podboard_operations_total, want one per op and outcome", n)
	}
}

func TestOperationDurationsReachBucketsOfMinutes(t *testing.T) {
	m := metrics.New(metrics.Config{Log: quiet()})
	// A bitcoin node's clean stop, and a quick one.
	for _, took := range []time.Duration{600 * time.Second, 300 * time.Millisecond} {
		j := job(lifecycle.Stop, lifecycle.JobSucceeded, took)
		m.OperationBegun(j)
		m.OperationEnded(j)
	}
	s, ok := sample(gather(t, m), "podboard_operation_duration_seconds", "op", "stop")
	if !ok || s.Histogram == nil {
		t.Fatal("no histogram podboard_operation_duration_seconds{op=\"stop\"}")
	}
	h := s.Histogram
	if h.GetSampleCount() != 2 || math.Abs(h.GetSampleSum()-600.3) > 1e-9 {
		t.Errorf("count %d, sum %v; want 2 and 600.3", h.GetSampleCount(), h.GetSampleSum())
	}
	cumulative := map[float64]uint64{}
	for _, b := range h.GetBucket() {
		cumulative[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	for le, want := range map[float64]uint64{0.1: 0, 0.5: 1, 10: 1, 300: 1, 600: 2, 900: 2, 1800: 2} {
		if got, ok := cumulative[le]; !ok || got != want {
			t.Errorf("bucket le=%v: %d (present %t), want %d", le, got, ok, want)
		}
	}
	if top := metrics.DurationBuckets[len(metrics.DurationBuckets)-1]; top < 900 {
		t.Errorf("the highest bucket is %v s; a stop may take 900 s", top)
	}
}

func TestInFlightFollowsBeginsAndEndsAndAnInterruptedJobIsOnlyCounted(t *testing.T) {
	m := metrics.New(metrics.Config{Log: quiet()})
	stop := job(lifecycle.Stop, lifecycle.JobRunning, 0)
	m.OperationBegun(stop)
	m.OperationBegun(job(lifecycle.Start, lifecycle.JobRunning, 0))
	if got := value(t, gather(t, m), "podboard_operations_in_flight"); got != 2 {
		t.Errorf("in flight %v after two begins, want 2", got)
	}
	m.OperationEnded(job(lifecycle.Stop, lifecycle.JobSucceeded, time.Second))
	// A job of an earlier process, ended at start-up.
	m.OperationInterrupted(job(lifecycle.Restart, lifecycle.JobInterrupted, time.Hour))
	fams := gather(t, m)
	if got := value(t, fams, "podboard_operations_in_flight"); got != 1 {
		t.Errorf("in flight %v, want 1", got)
	}
	if got := value(t, fams, "podboard_operations_total", "op", "restart", "outcome", "interrupted"); got != 1 {
		t.Errorf("interrupted restarts %v, want 1", got)
	}
	if s, _ := sample(fams, "podboard_operation_duration_seconds", "op", "restart"); s.GetHistogram().GetSampleCount() != 0 {
		t.Errorf("an interrupted job's time was measured: %v", s)
	}
}

func TestScansAreTimedAndPodmanUpIsTheLastScansWord(t *testing.T) {
	m := metrics.New(metrics.Config{Log: quiet()})
	steps := []struct {
		report lifecycle.ScanReport
		up     float64
		errors float64
	}{
		{lifecycle.ScanReport{Took: 2 * time.Millisecond, Listed: true}, 1, 0},
		{lifecycle.ScanReport{Took: 10 * time.Second, Err: lifecycle.ErrTimeout}, 0, 1},
		{lifecycle.ScanReport{Took: time.Millisecond, Err: errors.New("store: disk I/O error"), Listed: true}, 1, 2},
		{lifecycle.ScanReport{Took: time.Millisecond, Listed: true}, 1, 2},
	}
	for i, s := range steps {
		m.ScanDone(s.report)
		fams := gather(t, m)
		if got := value(t, fams, "podboard_podman_up"); got != s.up {
			t.Errorf("after scan %d: podman up %v, want %v", i, got, s.up)
		}
		if got := value(t, fams, "podboard_scan_errors_total"); got != s.errors {
			t.Errorf("after scan %d: scan errors %v, want %v", i, got, s.errors)
		}
	}
	s, _ := sample(gather(t, m), "podboard_scan_duration_seconds")
	if h := s.GetHistogram(); h.GetSampleCount() != 4 || h.GetBucket()[0].GetUpperBound() >= 0.01 {
		t.Errorf("scan histogram %v: want 4 scans and buckets below 10 ms", h)
	}
}

func TestLiveFeedsAndContainersAreReadAtEachScrape(t *testing.T) {
	var feeds atomic.Int64
	var cs []lifecycle.Container
	var readErr error
	m := metrics.New(metrics.Config{
		Feeds:      func() int { return int(feeds.Load()) },
		Containers: func(context.Context) ([]lifecycle.Container, error) { return cs, readErr },
		Log:        quiet(),
	})
	fams := gather(t, m)
	for _, s := range metrics.States {
		if got := value(t, fams, "podboard_containers", "state", string(s)); got != 0 {
			t.Errorf("no containers: %s = %v, want 0", s, got)
		}
	}
	if got := value(t, fams, "podboard_sse_clients"); got != 0 {
		t.Errorf("sse clients %v, want 0", got)
	}

	feeds.Store(3)
	cs = []lifecycle.Container{{Name: "a", State: lifecycle.Running}, {Name: "b", State: lifecycle.Running}, {Name: "c", State: lifecycle.Stopping}}
	fams = gather(t, m)
	if got := value(t, fams, "podboard_sse_clients"); got != 3 {
		t.Errorf("sse clients %v, want 3", got)
	}
	for s, want := range map[lifecycle.State]float64{lifecycle.Running: 2, lifecycle.Stopping: 1, lifecycle.Stopped: 0, lifecycle.Paused: 0} {
		if got := value(t, fams, "podboard_containers", "state", string(s)); got != want {
			t.Errorf("containers %s = %v, want %v", s, got, want)
		}
	}

	// A store that cannot be read leaves podboard_containers out; the rest
	// is served.
	readErr = errors.New("database is locked")
	body, resp := get(t, m, "/metrics")
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "podboard_containers{") || !strings.Contains(body, "podboard_sse_clients 3") {
		t.Errorf("with the store failing: %s\n%s", resp.Status, body)
	}
}

func TestTheRegistryHasTheGoAndProcessCollectorsAndTheBuildInfo(t *testing.T) {
	fams := gather(t, metrics.New(metrics.Config{Log: quiet()}))
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
	}
	for _, n := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes", "podboard_build_info"} {
		if !names[n] {
			t.Errorf("no %s", n)
		}
	}
	for _, f := range fams {
		if f.GetName() != "podboard_build_info" {
			continue
		}
		m := f.GetMetric()[0]
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if m.GetGauge().GetValue() != 1 || labels["goversion"] != runtime.Version() || labels["version"] == "" || labels["revision"] == "" {
			t.Errorf("build info %v = %v", labels, m.GetGauge().GetValue())
		}
	}
}

func TestTheBuildInfoSaysTheVersionItIsGiven(t *testing.T) {
	fams := gather(t, metrics.New(metrics.Config{Log: quiet(), Version: "v1.2.3-4-gabcdef", Revision: "abcdef0123456789"}))
	for _, f := range fams {
		if f.GetName() != "podboard_build_info" {
			continue
		}
		labels := map[string]string{}
		for _, l := range f.GetMetric()[0].GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["version"] != "v1.2.3-4-gabcdef" || labels["revision"] != "abcdef0123456789" || labels["goversion"] != runtime.Version() {
			t.Errorf("build info %v, want the version and revision given and %s", labels, runtime.Version())
		}
		return
	}
	t.Error("no podboard_build_info")
}

// get asks m's handler for path.
func get(t *testing.T, m *metrics.Metrics, path string) (string, *http.Response) {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	resp := rec.Result()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp
}

func TestTheHandlerServesOnlyMetricsWithTheDashboardsHeaders(t *testing.T) {
	m := metrics.New(metrics.Config{Log: quiet()})
	body, resp := get(t, m, "/metrics")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, "# TYPE podboard_operation_duration_seconds histogram") ||
		!strings.Contains(body, `podboard_operation_duration_seconds_bucket{host="local",op="stop",le="900"} 0`) {
		t.Errorf("the text format lacks the duration histogram:\n%s", body)
	}
	for k, v := range web.SecurityHeaders {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("header %s %q, want %q", k, got, v)
		}
	}
	for _, path := range []string{"/", "/events", "/metrics/x"} {
		if _, resp := get(t, m, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", path, resp.Status)
		}
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/metrics", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d, want 405", rec.Code)
	}
}
