// Package metrics owns the dashboard's Prometheus metrics: it counts and
// times the operations and scans the lifecycle manager reports to it (it is
// a lifecycle.Observer), reads the open live feeds and the stored
// containers when Prometheus scrapes, and serves them as /metrics. It has
// a registry of its own, so nothing registered elsewhere in the process
// (by a library, on the global default) is exposed by accident.
package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"podboard/lifecycle"
	"podboard/web"
)

// DurationBuckets are the upper bounds of podboard_operation_duration_seconds.
// The default buckets stop at 10 s; a service's clean stop can take
// minutes (a bitcoin node may need 600 s), and a stop given up ends at its
// stop timeout plus the grace.
var DurationBuckets = []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800}

// ScanBuckets are the upper bounds of podboard_scan_duration_seconds: an
// unchanged scan of a few containers takes about a millisecond, one of
// 10,000 about 40 ms; each engine call of a scan is bounded by 10 s.
var ScanBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Outcomes are the ways an operation ends, as podboard_operations_total's
// outcome label says them.
var Outcomes = []lifecycle.JobOutcome{
	lifecycle.JobSucceeded, lifecycle.JobFailed, lifecycle.JobInterrupted,
	lifecycle.JobLost, lifecycle.JobTimedOut, lifecycle.JobForceStopped,
}

// States are the container states podboard_containers always has a series
// for, 0 when no container is in it.
var States = []lifecycle.State{
	lifecycle.Running, lifecycle.Stopped, lifecycle.Paused,
	lifecycle.Stopping, lifecycle.Starting, lifecycle.Restarting,
}

// containersTimeout bounds the store read of one scrape.
const containersTimeout = 5 * time.Second

// Config is what the metrics read at scrape time.
type Config struct {
	// Hosts are the Podman hosts, whose series exist from the start; nil
	// is lifecycle.DefaultHost alone. Every series of operations, scans
	// and containers has a host label.
	Hosts []string
	// Feeds is how many live connections are open (web.Hub.Feeds); nil
	// reports 0.
	Feeds func() int
	// Containers reads the stored containers (the store's or the
	// manager's Containers); nil leaves podboard_containers out.
	Containers func(context.Context) ([]lifecycle.Container, error)
	// Log gets the errors of a scrape; nil: slog.Default().
	Log *slog.Logger
	// Version and Revision label podboard_build_info, as `podboard
	// version` says them; empty: what the Go toolchain stamped.
	Version, Revision string
}

// Metrics is the dashboard's registry and the metrics it maintains.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	operations *prometheus.CounterVec
	durations  *prometheus.HistogramVec
	inFlight   *prometheus.GaugeVec
	scans      *prometheus.HistogramVec
	scanErrors *prometheus.CounterVec
	podmanUp   *prometheus.GaugeVec
}

var _ lifecycle.Observer = (*Metrics)(nil)

// New builds the registry: podboard's own metrics, the Go runtime's and
// the process's collectors, and the build's version.
func New(cfg Config) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: cfg.Log,
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "podboard_operations_total",
			Help: "Operations (stop, start, restart, kill) ended, by host, operation and outcome.",
		}, []string{"host", "op", "outcome"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "podboard_operation_duration_seconds",
			Help:    "How long operations ran, from the click to Podman's answer (or to the deadline of a call given up).",
			Buckets: DurationBuckets,
		}, []string{"host", "op"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "podboard_operations_in_flight",
			Help: "Operations this process runs now, by host.",
		}, []string{"host"}),
		scans: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "podboard_scan_duration_seconds",
			Help:    "How long each scan of a host's containers took, failed ones included.",
			Buckets: ScanBuckets,
		}, []string{"host"}),
		scanErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "podboard_scan_errors_total",
			Help: "Scans that failed (Podman unreachable or too slow, or the store failed), by host.",
		}, []string{"host"}),
		podmanUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "podboard_podman_up",
			Help: "1 when the last scan listed the host's containers, 0 when it could not.",
		}, []string{"host"}),
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	// Every series exists from the start, at 0, so that rate() and
	// increase() see the first operation of each kind.
	hosts := cfg.Hosts
	if len(hosts) == 0 {
		hosts = []string{lifecycle.DefaultHost}
	}
	for _, h := range hosts {
		for _, op := range lifecycle.Ops {
			for _, o := range Outcomes {
				m.operations.WithLabelValues(h, string(op), string(o))
			}
			m.durations.WithLabelValues(h, string(op))
		}
		m.inFlight.WithLabelValues(h)
		m.scans.WithLabelValues(h)
		m.scanErrors.WithLabelValues(h)
		m.podmanUp.WithLabelValues(h)
	}
	feeds := cfg.Feeds
	if feeds == nil {
		feeds = func() int { return 0 }
	}
	m.reg.MustRegister(
		m.operations, m.durations, m.inFlight, m.scans, m.scanErrors, m.podmanUp,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "podboard_sse_clients",
			Help: "Live connections (GET /events) open now.",
		}, func() float64 { return float64(feeds()) }),
		buildInfo(cfg.Version, cfg.Revision),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if cfg.Containers != nil {
		m.reg.MustRegister(&containers{read: cfg.Containers, hosts: hosts})
	}
	return m
}

// Registry is the registry the metrics are in, for a test to gather.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves /metrics in Prometheus's formats, and nothing else. It
// has no sign-in: serve it on an address only Prometheus reaches.
func (m *Metrics) Handler() http.Handler {
	prom := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A store that cannot be read leaves podboard_containers out of
		// one scrape; the rest is still served.
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
	})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", prom)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range web.SecurityHeaders {
			h.Set(k, v)
		}
		mux.ServeHTTP(w, r)
	})
}

// OperationBegun implements lifecycle.Observer.
func (m *Metrics) OperationBegun(j lifecycle.Job) { m.inFlight.WithLabelValues(hostOf(j.Host)).Inc() }

// hostOf is the host label of a job or scan of host.
func hostOf(host string) string { return cmp.Or(host, lifecycle.DefaultHost) }

// OperationEnded implements lifecycle.Observer.
func (m *Metrics) OperationEnded(j lifecycle.Job) {
	h := hostOf(j.Host)
	m.inFlight.WithLabelValues(h).Dec()
	m.operations.WithLabelValues(h, string(j.Op), string(j.Outcome)).Inc()
	if !j.FinishedAt.IsZero() {
		m.durations.WithLabelValues(h, string(j.Op)).Observe(j.FinishedAt.Sub(j.StartedAt).Seconds())
	}
}

// OperationInterrupted implements lifecycle.Observer. It counts the
// outcome only: the job ran in an earlier process, and its duration would
// include the time the dashboard was down.
func (m *Metrics) OperationInterrupted(j lifecycle.Job) {
	m.operations.WithLabelValues(hostOf(j.Host), string(j.Op), string(j.Outcome)).Inc()
}

// ScanDone implements lifecycle.Observer.
func (m *Metrics) ScanDone(r lifecycle.ScanReport) {
	h := hostOf(r.Host)
	m.scans.WithLabelValues(h).Observe(r.Took.Seconds())
	if r.Err != nil {
		m.scanErrors.WithLabelValues(h).Inc()
	}
	if r.Listed {
		m.podmanUp.WithLabelValues(h).Set(1)
	} else {
		m.podmanUp.WithLabelValues(h).Set(0)
	}
}

// containers is podboard_containers, counted from the store at each
// scrape: the dashboard's own states, transitional ones included.
type containers struct {
	read  func(context.Context) ([]lifecycle.Container, error)
	hosts []string
}

var containersDesc = prometheus.NewDesc("podboard_containers",
	"Containers the dashboard shows, by host and by its state.", []string{"host", "state"}, nil)

func (c *containers) Describe(ch chan<- *prometheus.Desc) { ch <- containersDesc }

func (c *containers) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), containersTimeout)
	defer cancel()
	cs, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(containersDesc, err)
		return
	}
	type key struct {
		host  string
		state lifecycle.State
	}
	counts := make(map[key]int, len(States)*len(c.hosts))
	for _, h := range c.hosts {
		for _, s := range States {
			counts[key{h, s}] = 0
		}
	}
	for _, ct := range cs {
		counts[key{hostOf(ct.Host), ct.State}]++
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(containersDesc, prometheus.GaugeValue, float64(n), k.host, string(k.state))
	}
}

// buildInfo is podboard_build_info: 1, labelled with the version and VCS
// revision given, else the module's as the Go toolchain stamped them, and
// the Go version.
func buildInfo(version, revision string) prometheus.Collector {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; version == "" && v != "" {
			version = v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && revision == "" {
				revision = s.Value
			}
		}
	}
	if version == "" {
		version = "unknown"
	}
	if revision == "" {
		revision = "unknown"
	}
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "podboard_build_info",
		Help: "1, labelled with the version podboard was built from and the Go version it was built with.",
	}, []string{"version", "revision", "goversion"})
	g.WithLabelValues(version, revision, runtime.Version()).Set(1)
	return g
}
