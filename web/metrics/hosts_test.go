package metrics_test

// The metrics of a dashboard of several hosts: every series of
// operations, scans and containers carries a host label, exists for each
// host from the start, and counts what happened on that host only.

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"podboard/db"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/metrics"
)

// onHost is j as host's.
func onHost(host string, j lifecycle.Job) lifecycle.Job {
	j.Host = host
	return j
}

// hasHost reports whether name has a series of host, whatever its other
// labels.
func hasHost(fams []*dto.MetricFamily, name, host string) bool {
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "host" && l.GetValue() == host {
					return true
				}
			}
		}
	}
	return false
}

func TestEverySeriesExistsForEachHostFromTheStart(t *testing.T) {
	hosts := []string{"a", "b"}
	m := metrics.New(metrics.Config{
		Hosts:      hosts,
		Containers: func(context.Context) ([]lifecycle.Container, error) { return nil, nil },
		Log:        quiet(),
	})
	fams := gather(t, m)
	for _, h := range hosts {
		for _, op := range lifecycle.Ops {
			for _, o := range metrics.Outcomes {
				if got := value(t, fams, "podboard_operations_total", "host", h, "op", string(op), "outcome", string(o)); got != 0 {
					t.Errorf("podboard_operations_total{host=%q,op=%q,outcome=%q} = %v at start", h, op, o, got)
				}
			}
			if s, ok := sample(fams, "podboard_operation_duration_seconds", "host", h, "op", string(op)); !ok || s.GetHistogram().GetSampleCount() != 0 {
				t.Errorf("podboard_operation_duration_seconds{host=%q,op=%q}: %v (present %t), want an empty histogram", h, op, s, ok)
			}
		}
		for _, name := range []string{"podboard_operations_in_flight", "podboard_scan_errors_total", "podboard_podman_up"} {
			if got := value(t, fams, name, "host", h); got != 0 {
				t.Errorf("%s{host=%q} = %v at start, want 0", name, h, got)
			}
		}
		if s, ok := sample(fams, "podboard_scan_duration_seconds", "host", h); !ok || s.GetHistogram().GetSampleCount() != 0 {
			t.Errorf("podboard_scan_duration_seconds{host=%q}: %v (present %t), want an empty histogram", h, s, ok)
		}
		for _, st := range metrics.States {
			if got := value(t, fams, "podboard_containers", "host", h, "state", string(st)); got != 0 {
				t.Errorf("podboard_containers{host=%q,state=%q} = %v with no container", h, st, got)
			}
		}
	}
	// The given hosts only: no series of the host "local".
	for _, tt := range []struct {
		name    string
		perHost int
	}{
		{"podboard_operations_total", len(lifecycle.Ops) * len(metrics.Outcomes)},
		{"podboard_operation_duration_seconds", len(lifecycle.Ops)},
		{"podboard_operations_in_flight", 1},
		{"podboard_scan_duration_seconds", 1},
		{"podboard_scan_errors_total", 1},
		{"podboard_podman_up", 1},
		{"podboard_containers", len(metrics.States)},
	} {
		if n := testutil.CollectAndCount(m.Registry(), tt.name); n != tt.perHost*len(hosts) {
			t.Errorf("%d series of %s, want %d for each of %d hosts", n, tt.name, tt.perHost, len(hosts))
		}
		if hasHost(fams, tt.name, lifecycle.DefaultHost) {
			t.Errorf("a series of %s for the host %q, which is not one of %q", tt.name, lifecycle.DefaultHost, hosts)
		}
	}
}

func TestOperationsAndScansCountUnderTheirHostOnly(t *testing.T) {
	m := metrics.New(metrics.Config{Hosts: []string{"a", "b"}, Log: quiet()})
	type want struct {
		host, op, outcome string
		n                 float64
	}
	steps := []struct {
		name     string
		do       func()
		inFlight map[string]float64
		counts   []want
	}{
		{"a stop begun on b", func() { m.OperationBegun(onHost("b", job(lifecycle.Stop, lifecycle.JobRunning, 0))) },
			map[string]float64{"a": 0, "b": 1},
			[]want{{"b", "stop", "succeeded", 0}}},
		{"the stop ended on b", func() { m.OperationEnded(onHost("b", job(lifecycle.Stop, lifecycle.JobSucceeded, 3*time.Second))) },
			map[string]float64{"a": 0, "b": 0},
			[]want{{"b", "stop", "succeeded", 1}, {"a", "stop", "succeeded", 0}}},
		{"a start failed on a", func() {
			j := onHost("a", job(lifecycle.Start, lifecycle.JobFailed, time.Second))
			m.OperationBegun(j)
			m.OperationEnded(j)
		}, map[string]float64{"a": 0, "b": 0},
			[]want{{"a", "start", "failed", 1}, {"b", "start", "failed", 0}, {"b", "stop", "succeeded", 1}}},
		{"b's restart interrupted by an earlier process", func() {
			m.OperationInterrupted(onHost("b", job(lifecycle.Restart, lifecycle.JobInterrupted, time.Hour)))
		}, map[string]float64{"a": 0, "b": 0},
			[]want{{"b", "restart", "interrupted", 1}, {"a", "restart", "interrupted", 0}}},
	}
	for _, s := range steps {
		s.do()
		fams := gather(t, m)
		for h, n := range s.inFlight {
			if got := value(t, fams, "podboard_operations_in_flight", "host", h); got != n {
				t.Errorf("after %s: in flight on %s %v, want %v", s.name, h, got, n)
			}
		}
		for _, w := range s.counts {
			if got := value(t, fams, "podboard_operations_total", "host", w.host, "op", w.op, "outcome", w.outcome); got != w.n {
				t.Errorf("after %s: podboard_operations_total{host=%q,op=%q,outcome=%q} = %v, want %v", s.name, w.host, w.op, w.outcome, got, w.n)
			}
		}
	}
	fams := gather(t, m)
	for _, tt := range []struct {
		host, op string
		count    uint64
		sum      float64
	}{
		{"b", "stop", 1, 3}, {"a", "stop", 0, 0}, {"a", "start", 1, 1}, {"b", "start", 0, 0},
		{"b", "restart", 0, 0}, // interrupted: counted, not timed
	} {
		s, ok := sample(fams, "podboard_operation_duration_seconds", "host", tt.host, "op", tt.op)
		if h := s.GetHistogram(); !ok || h.GetSampleCount() != tt.count || h.GetSampleSum() != tt.sum {
			t.Errorf("podboard_operation_duration_seconds{host=%q,op=%q}: %v, want %d samples summing %v", tt.host, tt.op, h, tt.count, tt.sum)
		}
	}

	m.ScanDone(lifecycle.ScanReport{Host: "a", Took: time.Millisecond, Listed: true})
	m.ScanDone(lifecycle.ScanReport{Host: "b", Took: 10 * time.Second, Err: lifecycle.ErrUnreachable})
	m.ScanDone(lifecycle.ScanReport{Host: "b", Took: 10 * time.Second, Err: lifecycle.ErrUnreachable})
	fams = gather(t, m)
	for _, tt := range []struct {
		host     string
		up, errs float64
		scans    uint64
	}{
		{"a", 1, 0, 1},
		{"b", 0, 2, 2},
	} {
		if got := value(t, fams, "podboard_podman_up", "host", tt.host); got != tt.up {
			t.Errorf("podboard_podman_up{host=%q} = %v, want %v", tt.host, got, tt.up)
		}
		if got := value(t, fams, "podboard_scan_errors_total", "host", tt.host); got != tt.errs {
			t.Errorf("podboard_scan_errors_total{host=%q} = %v, want %v", tt.host, got, tt.errs)
		}
		if s, _ := sample(fams, "podboard_scan_duration_seconds", "host", tt.host); s.GetHistogram().GetSampleCount() != tt.scans {
			t.Errorf("podboard_scan_duration_seconds{host=%q}: %d scans, want %d", tt.host, s.GetHistogram().GetSampleCount(), tt.scans)
		}
	}
}

func TestContainersAreCountedByHostAndState(t *testing.T) {
	cs := []lifecycle.Container{
		{Host: "a", Name: "web", State: lifecycle.Running},
		{Host: "a", Name: "db", State: lifecycle.Running},
		{Host: "a", Name: "old", State: lifecycle.Stopped},
		{Host: "b", Name: "web", State: lifecycle.Stopping},
		{Host: "b", Name: "cache", State: lifecycle.Running},
	}
	m := metrics.New(metrics.Config{
		Hosts:      []string{"a", "b"},
		Containers: func(context.Context) ([]lifecycle.Container, error) { return cs, nil },
		Log:        quiet(),
	})
	fams := gather(t, m)
	want := map[[2]string]float64{
		{"a", "running"}: 2, {"a", "stopped"}: 1,
		{"b", "stopping"}: 1, {"b", "running"}: 1,
	}
	for _, h := range []string{"a", "b"} {
		for _, st := range metrics.States {
			k := [2]string{h, string(st)}
			if got := value(t, fams, "podboard_containers", "host", h, "state", string(st)); got != want[k] {
				t.Errorf("podboard_containers{host=%q,state=%q} = %v, want %v", h, st, got, want[k])
			}
		}
	}
}

// Through the real parts: two managers over one database's rows of hosts
// a and b, reporting to the metrics; the jobs and the rows carry their
// host from the store.
func TestAFleetsOperationsAndRowsAreCountedUnderTheirHost(t *testing.T) {
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "podboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var fleet *lifecycle.Fleet
	m := metrics.New(metrics.Config{
		Hosts:      []string{"a", "b"},
		Containers: func(ctx context.Context) ([]lifecycle.Container, error) { return fleet.Containers(ctx) },
		Log:        quiet(),
	})
	a := fake.New(fake.Running("web"), fake.Exited("db"))
	b := fake.New(fake.Running("web"), fake.Running("cache"))
	var managers []*lifecycle.Manager
	for _, h := range []struct {
		name   string
		engine *fake.Engine
	}{{"a", a}, {"b", b}} {
		mgr := lifecycle.NewManager(lifecycle.Config{Store: store.Host(h.name), Engine: h.engine, Observer: m, Logger: quiet(), Host: h.name, Named: true})
		if _, err := mgr.Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		managers = append(managers, mgr)
	}
	if fleet, err = lifecycle.NewFleet(managers...); err != nil {
		t.Fatal(err)
	}
	mb, _ := fleet.Manager("b")
	release := b.Hold(lifecycle.Stop, "web")
	defer release()
	if _, err := mb.Do(context.Background(), "web", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	fams := gather(t, m)
	for _, tt := range []struct {
		host, state string
		n           float64
	}{
		{"a", "running", 1}, {"a", "stopped", 1}, {"a", "stopping", 0},
		{"b", "running", 1}, {"b", "stopping", 1}, {"b", "stopped", 0},
	} {
		if got := value(t, fams, "podboard_containers", "host", tt.host, "state", tt.state); got != tt.n {
			t.Errorf("while b's web stops: podboard_containers{host=%q,state=%q} = %v, want %v", tt.host, tt.state, got, tt.n)
		}
	}
	if got := value(t, fams, "podboard_operations_in_flight", "host", "b"); got != 1 {
		t.Errorf("while b's web stops: in flight on b %v, want 1", got)
	}
	if got := value(t, fams, "podboard_operations_in_flight", "host", "a"); got != 0 {
		t.Errorf("while b's web stops: in flight on a %v, want 0", got)
	}
	release()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := fleet.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	fams = gather(t, m)
	if got := value(t, fams, "podboard_operations_total", "host", "b", "op", "stop", "outcome", "succeeded"); got != 1 {
		t.Errorf("b's stops that succeeded: %v, want 1", got)
	}
	if got := value(t, fams, "podboard_operations_total", "host", "a", "op", "stop", "outcome", "succeeded"); got != 0 {
		t.Errorf("a's stops that succeeded: %v, want 0", got)
	}
	if got := value(t, fams, "podboard_operations_in_flight", "host", "b"); got != 0 {
		t.Errorf("in flight on b once the stop ended: %v", got)
	}
	if got := value(t, fams, "podboard_containers", "host", "b", "state", "stopped"); got != 1 {
		t.Errorf("b's stopped containers once the stop ended: %v, want 1", got)
	}
	for _, h := range []string{"a", "b"} {
		if got := value(t, fams, "podboard_podman_up", "host", h); got != 1 {
			t.Errorf("podboard_podman_up{host=%q} = %v after its scan listed it", h, got)
		}
	}
	for _, name := range []string{"podboard_operations_total", "podboard_operations_in_flight", "podboard_containers", "podboard_podman_up"} {
		if hasHost(fams, name, lifecycle.DefaultHost) {
			t.Errorf("a series of %s for the host %q, which the fleet does not have", name, lifecycle.DefaultHost)
		}
	}
}
