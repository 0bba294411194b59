package main

// The Prometheus metrics of --metrics-listen, read over HTTP as Prometheus
// reads them, after operations on the real Podman; and the flag itself.

import (
	"context"
	"io"
	"net"
	"net/http"
	"podboard/lifecycle"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"podboard/lifecycle/fake"
	"podboard/lifecycle/podman"
	"podboard/lifecycle/podman/podmantest"
)

func TestMetricsCountAStopAStartAndAFailedStartOnTheRealPodman(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "metered", podmantest.Workload{Start: true})
	createWorkload(t, svc, "metered-broken", podmantest.Workload{BrokenEntrypoint: true})
	engine, err := podman.Connect(context.Background(), svc.URI, deadline)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, t.TempDir(), svc.URI, 200*time.Millisecond, "--metrics-listen", "127.0.0.1:0")
	logs := &lockedBuffer{}
	ta := serveApp(t, engine, cfg, logs)
	url := ta.serveMetrics(cfg)
	live := ta.subscribe() // one open page
	defer live.close()

	ta.waitSettled("metered", "running")
	for _, step := range []struct{ name, op, state string }{
		{"metered", "stop", "stopped"},
		{"metered", "start", "running"},
		{"metered-broken", "start", "stopped"},
	} {
		if resp, body := ta.do(step.name, step.op, jsonRequest); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s %s: %d %s", step.op, step.name, resp.StatusCode, body)
		}
		ta.waitSettled(step.name, step.state)
	}
	if c, _ := ta.container("metered-broken"); c.Error == "" {
		t.Fatalf("the broken start did not fail: %+v", c)
	}
	// A job reports its end after storing it: once no job runs, every
	// end is counted.
	if err := ta.a.manager.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}

	fams := scrape(t, url) // no credentials: /metrics has no login
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"podboard_operations_total", []string{"op", "stop", "outcome", "succeeded"}, 1},
		{"podboard_operations_total", []string{"op", "start", "outcome", "succeeded"}, 1},
		{"podboard_operations_total", []string{"op", "start", "outcome", "failed"}, 1},
		{"podboard_operations_total", []string{"op", "stop", "outcome", "failed"}, 0},
		{"podboard_operations_total", []string{"op", "restart", "outcome", "succeeded"}, 0},
		{"podboard_operations_in_flight", nil, 0},
		{"podboard_podman_up", nil, 1},
		{"podboard_scan_errors_total", nil, 0},
		{"podboard_sse_clients", nil, 1},
	} {
		if got := metricValue(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for op, want := range map[string]uint64{"stop": 1, "start": 2, "restart": 0, "kill": 0} {
		h := metricSeries(t, fams, "podboard_operation_duration_seconds", "op", op).GetHistogram()
		if h.GetSampleCount() != want {
			t.Errorf("podboard_operation_duration_seconds_count{op=%q} = %d, want %d", op, h.GetSampleCount(), want)
		}
		var le900 bool
		for _, b := range h.GetBucket() {
			if b.GetUpperBound() == 900 {
				le900 = true
				if b.GetCumulativeCount() != want {
					t.Errorf("%s: bucket le=900 holds %d, want every one of %d", op, b.GetCumulativeCount(), want)
				}
			}
		}
		if !le900 {
			t.Errorf("%s: no bucket le=900 in %v", op, h.GetBucket())
		}
	}
	if h := metricSeries(t, fams, "podboard_scan_duration_seconds").GetHistogram(); h.GetSampleCount() == 0 {
		t.Error("no scan was timed")
	}

	// The containers by state are the table's.
	want := map[string]float64{"running": 0, "stopped": 0, "paused": 0, "stopping": 0, "starting": 0, "restarting": 0}
	for _, c := range ta.containers() {
		want[c.State]++
	}
	if want["running"] < 1 || want["stopped"] < 1 {
		t.Fatalf("the table %v lacks metered or metered-broken", want)
	}
	for state, n := range want {
		if got := metricValue(t, fams, "podboard_containers", "state", state); got != n {
			t.Errorf("podboard_containers{state=%q} = %v, want %v", state, got, n)
		}
	}

	build := metricSeries(t, fams, "podboard_build_info")
	if build.GetGauge().GetValue() != 1 || !hasLabel(build, "goversion", runtime.Version()) {
		t.Errorf("podboard_build_info %v", build)
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	if !strings.Contains(logs.String(), `msg="metrics serving" url=`+url) {
		t.Errorf("the log does not say where the metrics are:\n%s", logs.String())
	}
}

func TestTheBinaryServesMetricsOnTheirOwnAddressUntilItExits(t *testing.T) {
	svc := sharedPodman(t)
	bin := buildBinary(t)
	p := startProc(t, bin, "--listen", "127.0.0.1:0", "--auth", "none", "--podman", svc.URI, "--data", t.TempDir(),
		"--metrics-listen", "127.0.0.1:0")
	// run logs where the metrics are before it says it serves.
	m := metricsURL.FindStringSubmatch(p.log())
	if m == nil {
		t.Fatalf("no metrics URL in the log:\n%s", p.log())
	}
	fams := scrape(t, m[1])
	if got := metricValue(t, fams, "podboard_podman_up"); got != 1 {
		t.Errorf("podboard_podman_up = %v after the first scan, want 1", got)
	}
	if b := metricSeries(t, fams, "podboard_build_info"); hasLabel(b, "version", "unknown") {
		t.Errorf("the binary's build info has no version: %v", b)
	}
	// The dashboard's own address does not serve them.
	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET %s/metrics: %s, want 404: the metrics have their own address", p.url, resp.Status)
	}
	p.stop()
	if _, err := http.Get(m[1]); err == nil {
		t.Errorf("%s still answers after the process exited", m[1])
	}
}

var metricsURL = regexp.MustCompile(`msg="metrics serving" url=(http://\S+)`)

func TestTheMetricsFlagIsOffByDefaultAndTakesAnAddress(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
		bad  bool
	}{
		{name: "off by default"},
		{name: "from the flag", args: []string{"--metrics-listen", "127.0.0.1:9090"}, want: "127.0.0.1:9090"},
		{name: "from the environment", env: map[string]string{"PODBOARD_METRICS_LISTEN": "10.0.0.5:9090"}, want: "10.0.0.5:9090"},
		{name: "the flag wins", args: []string{"--metrics-listen", ":9091"}, env: map[string]string{"PODBOARD_METRICS_LISTEN": ":9090"}, want: ":9091"},
		{name: "no port", args: []string{"--metrics-listen", "127.0.0.1"}, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, func(k string) string { return tt.env[k] })
			if tt.bad {
				if err == nil || !strings.Contains(err.Error(), "metrics listen") {
					t.Fatalf("parseConfig(%q): %v, want an error naming the metrics address", tt.args, err)
				}
				return
			}
			if err != nil || c.metricsListen != tt.want {
				t.Fatalf("parseConfig(%q) = %q, %v; want %q", tt.args, c.metricsListen, err, tt.want)
			}
		})
	}
}

func TestMetricsOnAnOpenAddressAreServedWithAWarningThatTheyHaveNoLogin(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "unix:///test.sock", time.Minute, "--metrics-listen", "192.0.2.1:9090")
	logs := &lockedBuffer{}
	ta := serveApp(t, fake.New(fake.Running("web")), cfg, logs)
	// The test listens on loopback, as every test here must; the app is
	// told its listener has the address of the flag.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := &addressed{Listener: ln, addr: &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 9090}}
	ta.a.serveMetrics(open)
	fams := scrape(t, "http://"+ln.Addr().String()+"/metrics")
	if got := metricValue(t, fams, "podboard_containers", "state", "running"); got != 1 {
		t.Errorf("podboard_containers{state=\"running\"} = %v, want 1", got)
	}
	if !strings.Contains(logs.String(), "/metrics has no login: anyone who reaches 192.0.2.1:9090 can read it") {
		t.Errorf("no warning in the log:\n%s", logs.String())
	}
}

// addressed is a listener that says it listens on addr.
type addressed struct {
	net.Listener
	addr net.Addr
}

func (a *addressed) Addr() net.Addr { return a.addr }

// serveMetrics listens on cfg's --metrics-listen and serves the app's
// metrics there, as run does, and returns their URL.
func (ta *testApp) serveMetrics(cfg config) string {
	ta.t.Helper()
	ln, err := net.Listen("tcp", cfg.metricsListen)
	if err != nil {
		ta.t.Fatal(err)
	}
	ta.a.serveMetrics(ln)
	return "http://" + ln.Addr().String() + "/metrics"
}

// scrape reads url in Prometheus's text format, as Prometheus would.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: not the text format: %v", url, err)
	}
	return fams
}

// metricSeries is the series of name with exactly the label pairs given
// ("op", "stop", …); a series of a host is the local host's unless the
// pairs name one.
func metricSeries(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	labels = withHost(f, labels)
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel())*2 != len(labels) && name != "podboard_build_info" {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if !hasLabel(m, labels[i], labels[i+1]) {
				continue next
			}
		}
		return m
	}
	t.Fatalf("no series %s%v", name, labels)
	return nil
}

// withHost is labels with the host "local" when the series of f have a
// host and labels name none.
func withHost(f *dto.MetricFamily, labels []string) []string {
	if ms := f.GetMetric(); len(ms) == 0 || !slices.ContainsFunc(ms[0].GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == "host" }) || slices.Contains(labels, "host") {
		return labels
	}
	return append([]string{"host", lifecycle.DefaultHost}, labels...)
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue() == value
		}
	}
	return false
}

// metricValue is the value of a counter or gauge series.
func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	m := metricSeries(t, fams, name, labels...)
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.GetGauge().GetValue()
}
