package main

// Item 9: many hosts. newApp as main wires several hosts (one manager per
// host over one SQLite file, one hub, one router) over ten fake engines
// of 200 containers each, with the same names on every host: the scans,
// the page of every row, clicks spread over the hosts, clicks while one
// host's Podman hangs, and clicks with one host the real Podman.

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/lifecycle/podman"
	"podboard/lifecycle/podman/podmantest"
	"podboard/templates"
)

// hostsApp is newApp over several hosts, served on loopback.
type hostsApp struct {
	t   *testing.T
	a   *app
	srv *httptest.Server
	end sync.Once
}

// startHostsApp runs newApp over engines, as main runs it with one
// --podman NAME=URI per host, with --auth none and the bench's feed caps.
// It returns how long newApp took: it opens the data, recovers each host's
// jobs and starts the scans, each host's first one at once; it then waits
// (up to a second) for those first scans.
func startHostsApp(t *testing.T, engines []hostEngine, scanInterval time.Duration) (*hostsApp, time.Duration) {
	t.Helper()
	flags := append([]string{"--auth", "none"}, benchFeedCaps...)
	for _, e := range engines[1:] {
		flags = append(flags, "--podman", e.name+"="+e.podman)
	}
	cfg := testConfig(t, t.TempDir(), engines[0].name+"="+engines[0].podman, scanInterval, flags...)
	log := newLogger(io.Discard, cfg.logFormat, slog.LevelInfo)
	began := time.Now()
	a, err := newApp(context.Background(), cfg, engines, log)
	took := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	// Each host's first scan runs in the background: wait for those that
	// can end (a host held from the start cannot).
	for _, e := range engines {
		m, _ := a.fleet.Manager(e.name)
		select {
		case <-m.Scanned():
		case <-time.After(time.Second):
		}
	}
	ha := &hostsApp{t: t, a: a, srv: httptest.NewServer(a.srv.Handler)}
	t.Cleanup(ha.stop)
	return ha, took
}

// stop shuts the app down as main does: streams and server closed, every
// host's jobs waited for, files closed.
func (ha *hostsApp) stop() { ha.end.Do(func() { stopApp(ha.t, ha.a, ha.srv) }) }

func (ha *hostsApp) manager(host string) *lifecycle.Manager {
	m, ok := ha.a.fleet.Manager(host)
	if !ok {
		ha.t.Fatalf("no host %q", host)
	}
	return m
}

func benchHostNames(n int) []string {
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("h%d", i)
	}
	return hosts
}

// fakeHosts is a fake engine per host, each holding names running (none
// when names is nil), with stops taking stopLatency.
func fakeHosts(hosts, names []string, stopLatency time.Duration) ([]hostEngine, []*fake.Engine) {
	var hes []hostEngine
	var fakes []*fake.Engine
	for _, h := range hosts {
		e := fake.New()
		for _, n := range names {
			e.Put(fake.Running(n))
		}
		e.SetLatency(lifecycle.Stop, stopLatency)
		hes = append(hes, hostEngine{name: h, podman: "unix:///fake/" + h + "/podman.sock", engine: e})
		fakes = append(fakes, e)
	}
	return hes, fakes
}

// hostClick is one click: stop name on host.
type hostClick struct{ host, name string }

// spreadClicks is rounds of per clicks, click k (counting over every
// round) on hosts[k % len(hosts)], each on a container never clicked
// before: the index'th name of that host, index = k / len(hosts).
func spreadClicks(hosts []string, rounds, per int, name func(host string, index int) string) [][]hostClick {
	out := make([][]hostClick, rounds)
	for r := range out {
		for i := range per {
			k := r*per + i
			h := hosts[k%len(hosts)]
			out[r] = append(out[r], hostClick{h, name(h, k/len(hosts))})
		}
	}
	return out
}

// clickRounds sends each round's clicks at the same instant, one client
// per click, each on a keep-alive connection opened beforehand (as a
// browser's is once the page has loaded), then waits for every answer
// before the next round. A click is POST /hosts/{host}/containers/{name}/stop
// as htmx sends it, timed from before the request is written to the last
// byte of the answer read; the answer must be 200 with the host's row of
// that container in "stopping". The latencies are returned by host.
func clickRounds(t *testing.T, url string, rounds [][]hostClick) map[string]durations {
	t.Helper()
	per := 0
	for _, r := range rounds {
		per = max(per, len(r))
	}
	clients := make([]*http.Client, per)
	for i := range clients {
		tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
		defer tr.CloseIdleConnections()
		clients[i] = &http.Client{Transport: tr}
		resp, err := clients[i].Get(url + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	type answer struct {
		host string
		d    time.Duration
		err  error
	}
	out := map[string]durations{}
	stopping := []byte(`data-state="stopping"`)
	for _, round := range rounds {
		answers := make([]answer, len(round))
		var ready, done sync.WaitGroup
		start := make(chan struct{})
		for i, c := range round {
			ready.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				req, _ := http.NewRequest(http.MethodPost, url+"/hosts/"+c.host+"/containers/"+c.name+"/stop", nil)
				req.Header.Set("HX-Request", "true")
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				key := []byte(`data-key="` + templates.Key(c.host, c.name) + `"`)
				ready.Done()
				<-start
				t0 := time.Now()
				resp, err := clients[i].Do(req)
				if err != nil {
					answers[i] = answer{err: err}
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(body, key) || !bytes.Contains(body, stopping) {
					answers[i] = answer{err: fmt.Errorf("POST stop %s/%s: %s %v\n%.2000s", c.host, c.name, resp.Status, err, body)}
					return
				}
				answers[i] = answer{host: c.host, d: d}
			}()
		}
		ready.Wait()
		close(start)
		done.Wait()
		for _, a := range answers {
			if a.err != nil {
				t.Fatal(a.err)
			}
			out[a.host] = append(out[a.host], a.d)
		}
	}
	return out
}

// of is the latencies of the hosts named, together.
func of(lat map[string]durations, hosts ...string) durations {
	var d durations
	for _, h := range hosts {
		d = append(d, lat[h]...)
	}
	return d
}

// getPage times GET path n times on one keep-alive connection, after one
// request not timed; it returns the latencies and the last body.
func getPage(t *testing.T, url, path string, n int) (durations, []byte) {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var lat durations
	var body []byte
	for i := range n + 1 {
		t0 := time.Now()
		resp, err := client.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %v\n%.2000s", path, resp.Status, err, body)
		}
		if i > 0 {
			lat = append(lat, d)
		}
	}
	return lat, body
}

func gzipSize(b []byte) int {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Len()
}

func fmtKB(n int) string { return fmt.Sprintf("%.0f KB", float64(n)/1000) }

func benchHosts(t *testing.T, sz benchSizes, rep *benchReport) {
	hosts := benchHostNames(sz.hosts)
	names := benchNames("svc", sz.hostContainers)
	rows := sz.hosts * sz.hostContainers
	fakeName := func(_ string, i int) string { return names[i] }

	t.Run("scan", func(t *testing.T) { benchHostsScan(t, sz, rep, hosts, names) })

	// Page loads and clicks, every host healthy.
	clicks := [][]string{{"hosts, clicks on", "clicks", "p50", "p99", "max", "1 ms sleep overshot: p99, max"}}
	row := func(what string, d, stalls durations) []string {
		return []string{what, fmt.Sprint(len(d)), fmtMS(d.median()), fmtMS(d.pct(0.99)), fmtMS(d.max()),
			fmtMS(stalls.pct(0.99)) + ", " + fmtMS(stalls.max())}
	}
	pages := [][]string{{"page, hosts", "loads", "p50", "p99", "max", "size", "gzipped", "rows in it"}}
	pageRow := func(what string, lat durations, body []byte) []string {
		return []string{what, fmt.Sprint(len(lat)), fmtMS(lat.median()), fmtMS(lat.pct(0.99)), fmtMS(lat.max()),
			fmtKB(len(body)), fmtKB(gzipSize(body)), fmt.Sprint(bytes.Count(body, []byte(` data-key="`)))}
	}
	var healthyP99, startTook time.Duration
	t.Run("healthy", func(t *testing.T) {
		engines, _ := fakeHosts(hosts, names, sz.engineLatency)
		var ha *hostsApp
		ha, startTook = startHostsApp(t, engines, time.Second)
		rep.metric("9.start", fmtMS(startTook))
		lat, body := getPage(t, ha.srv.URL, "/", sz.hostPageLoads)
		if n := bytes.Count(body, []byte(` data-key="`)); n != rows {
			t.Fatalf("GET / has %d rows, want %d", n, rows)
		}
		pages = append(pages, pageRow(fmt.Sprintf("GET /, %d hosts healthy", sz.hosts), lat, body))
		rep.metric("9.page.p50", fmtMS(lat.median()))
		rep.metric("9.page.size", fmtKB(len(body)))
		rep.info("9", fmt.Sprintf("GET / of %d hosts × %d containers (%d rows): p50, size", sz.hosts, sz.hostContainers, rows),
			fmtMS(lat.median())+", "+fmtKB(len(body)))
		filter := hosts[min(3, len(hosts)-1)]
		lat, body = getPage(t, ha.srv.URL, "/?host="+filter, sz.hostPageLoads)
		pages = append(pages, pageRow(fmt.Sprintf("GET /?host=%s, %d hosts healthy", filter, sz.hosts), lat, body))
		rep.metric("9.filter", filter)
		rep.metric("9.filter.p50", fmtMS(lat.median()))
		rep.metric("9.filter.size", fmtKB(len(body)))

		closePages := openPages(t, ha.srv.URL, 1)
		stopMeter := stallMeter()
		lat2 := clickRounds(t, ha.srv.URL, spreadClicks(hosts, sz.hostClickRounds, sz.hostClicks, fakeName))
		stalls := stopMeter()
		closePages()
		all := of(lat2, hosts...)
		healthyP99 = all.pct(0.99)
		clicks = append(clicks, row(fmt.Sprintf("%d fake, all healthy: every host", sz.hosts), all, stalls))
		rep.info("9", fmt.Sprintf("POST stop, p99, %d clicks at once spread over %d hosts, fake engines", sz.hostClicks, sz.hosts), fmtMS(healthyP99))
		ha.stop()
	})

	// One host's Podman hangs once the dashboard has its rows: every
	// list, inspect and stop it is asked blocks until its deadline.
	hung := hosts[0]
	others := hosts[1:]
	t.Run("one-hung", func(t *testing.T) {
		engines, fakes := fakeHosts(hosts, names, sz.engineLatency)
		ha, _ := startHostsApp(t, engines, time.Second)
		var releases []func()
		for _, op := range []lifecycle.Op{"list", "inspect", lifecycle.Stop} {
			releases = append(releases, fakes[0].Hold(op, "*"))
		}
		defer func() {
			for _, r := range releases {
				r()
			}
		}()
		// Its periodic scan (the first was newApp's) is now waiting for
		// the list.
		select {
		case <-fakes[0].CalledTimes("list *", 2):
		case <-time.After(deadline):
			t.Fatalf("%s's periodic scan did not start", hung)
		}
		lat, body := getPage(t, ha.srv.URL, "/", sz.hostPageLoads)
		pages = append(pages, pageRow(fmt.Sprintf("GET /, %s hung, its scan waiting", hung), lat, body))
		rep.metric("9.hungPage.p50", fmtMS(lat.median()))

		closePages := openPages(t, ha.srv.URL, 1)
		stopMeter := stallMeter()
		lat2 := clickRounds(t, ha.srv.URL, spreadClicks(hosts, sz.hostClickRounds, sz.hostClicks, fakeName))
		stalls := stopMeter()
		closePages()
		if err := ha.manager(hung).ScanError(); err != nil {
			t.Logf("%s's scan failed during the clicks (longer than the scan timeout): %v", hung, err)
		}
		healthy, onHung := of(lat2, others...), of(lat2, hung)
		clicks = append(clicks,
			row(fmt.Sprintf("%d fake, %s hung: the %d others", sz.hosts, hung, len(others)), healthy, stalls),
			row(fmt.Sprintf("%d fake, %s hung: %s itself", sz.hosts, hung, hung), onHung, stalls))
		p99 := healthy.pct(0.99)
		rep.target("9", fmt.Sprintf("POST stop, p99, %d clicks at once over %d hosts, one host's Podman hung: the clicks on the others", sz.hostClicks, sz.hosts),
			"< "+fmtMS(burstTarget), fmtMS(p99), p99 < burstTarget)
		rep.metric("9.hung.p99", fmtMS(p99))
		rep.metric("9.hung.self.p99", fmtMS(onHung.pct(0.99)))
		rep.metric("9.hung.held", fmt.Sprint(len(ha.manager(hung).Running())))
		for _, r := range releases {
			r()
		}
		ha.stop()
	})

	// The same host hung from the start: its first scan, in the
	// background, must keep neither the start nor the other hosts waiting.
	t.Run("hung-at-start", func(t *testing.T) {
		engines, fakes := fakeHosts(hosts, names, sz.engineLatency)
		release := fakes[0].HoldList()
		defer release()
		ha, took := startHostsApp(t, engines, time.Hour)
		release()
		for _, h := range others {
			if cs, err := ha.manager(h).Containers(context.Background()); err != nil || len(cs) != len(names) {
				t.Fatalf("%s after start: %d rows, %v", h, len(cs), err)
			}
		}
		rep.metric("9.startHung", took.Round(time.Millisecond).String())
		rep.flag("9.startHung.slow", took > time.Second)
		rep.info("9", fmt.Sprintf("start-up (newApp, until it serves) with %d hosts × %d containers: all healthy / the first host's Podman hung", sz.hosts, sz.hostContainers),
			fmtMS(startTook)+" / "+took.Round(time.Millisecond).String())
		ha.stop()
	})

	t.Run("real", func(t *testing.T) {
		svc := sharedPodman(t)
		rounds := spreadClicks(hosts, sz.hostRealRounds, sz.hostClicks, func(h string, i int) string {
			if h == hung {
				return fmt.Sprintf("hosts-%03d", i)
			}
			return names[i]
		})
		var real []string
		for _, r := range rounds {
			for _, c := range r {
				if c.host == hung {
					real = append(real, c.name)
				}
			}
		}
		// Workloads that exit at once on SIGTERM, as in 1c.
		createMany(t, svc, real, podmantest.Workload{Start: true, StopTimeout: 10})
		engine := connectPodman(t, svc)
		t.Cleanup(func() { engine.Close() })
		engines, _ := fakeHosts(others, names, sz.engineLatency)
		engines = append([]hostEngine{{name: hung, podman: podman.Redact(svc.URI), engine: engine}}, engines...)
		ha, _ := startHostsApp(t, engines, time.Second)
		waitUntil(t, fmt.Sprintf("%d containers running on %s", len(real), hung), deadline, func() bool {
			n := 0
			for _, name := range real {
				if c, err := ha.manager(hung).Container(context.Background(), name); err == nil && c.State == lifecycle.Running && c.Job == nil {
					n++
				}
			}
			return n == len(real)
		})
		closePages := openPages(t, ha.srv.URL, 1)
		stopMeter := stallMeter()
		lat := clickRounds(t, ha.srv.URL, rounds)
		stalls := stopMeter()
		closePages()
		onReal, onFake := of(lat, hung), of(lat, others...)
		clicks = append(clicks,
			row(fmt.Sprintf("%s the real Podman, %d fake: %s", hung, len(others), hung), onReal, stalls),
			row(fmt.Sprintf("%s the real Podman, %d fake: the fake ones", hung, len(others)), onFake, stalls))
		all := append(append(durations{}, onReal...), onFake...)
		rep.info("9", fmt.Sprintf("POST stop, p99, %d clicks at once over %d hosts, one of them the real Podman", sz.hostClicks, sz.hosts), fmtMS(all.pct(0.99)))
		rep.metric("9.real.p99", fmtMS(onReal.pct(0.99)))
		rep.metric("9.real.containers", fmt.Sprint(len(real)))
		rep.flag("9.real", true)
		ha.stop() // every stop ended, before the containers are removed
	})

	rep.metric("9.hosts", fmt.Sprint(sz.hosts))
	rep.metric("9.containers", fmt.Sprint(sz.hostContainers))
	rep.metric("9.rows", fmt.Sprint(rows))
	rep.metric("9.hung", hung)
	rep.metric("9.clicks", fmt.Sprint(sz.hostClicks))
	rep.metric("9.rounds", fmt.Sprint(sz.hostClickRounds))
	rep.metric("9.realRounds", fmt.Sprint(sz.hostRealRounds))
	rep.metric("9.loads", fmt.Sprint(sz.hostPageLoads))
	rep.metric("9.engineLatency", sz.engineLatency.String())
	rep.metric("9.healthy.p99", fmtMS(healthyP99))
	rep.table("9.page", pages)
	rep.table("9", clicks)
}

// benchHostsScan times the scans of every host, one host after the other
// and all at once, each in a fresh dashboard: the first scan (every
// container inserted) and unchanged ones. newApp's own first scans find
// the engines empty; the containers are put in afterwards.
func benchHostsScan(t *testing.T, sz benchSizes, rep *benchReport, hosts, names []string) {
	ctx := context.Background()
	type scans struct{ each, wall durations }
	var first, again [2]scans // [0] one host after the other, [1] all at once
	for round := range sz.hostScanRounds {
		for mode, together := range []bool{false, true} {
			engines, fakes := fakeHosts(hosts, nil, 0)
			ha, _ := startHostsApp(t, engines, time.Hour)
			for _, e := range fakes {
				for _, n := range names {
					e.Put(fake.Running(n))
				}
			}
			scanAll := func(what string, ok func(lifecycle.ScanResult) bool) (each durations, wall time.Duration) {
				took := make(durations, len(hosts))
				errs := make([]error, len(hosts))
				scan := func(i int) {
					t0 := time.Now()
					res, err := ha.manager(hosts[i]).Scan(ctx)
					took[i] = time.Since(t0)
					if err == nil && !ok(res) {
						err = fmt.Errorf("%+v", res)
					}
					errs[i] = err
				}
				began := time.Now()
				if together {
					var wg sync.WaitGroup
					for i := range hosts {
						wg.Add(1)
						go func() { defer wg.Done(); scan(i) }()
					}
					wg.Wait()
				} else {
					for i := range hosts {
						scan(i)
					}
				}
				wall = time.Since(began)
				for i, err := range errs {
					if err != nil {
						t.Fatalf("round %d, %s scan of %s (all at once: %t): %v", round+1, what, hosts[i], together, err)
					}
				}
				return took, wall
			}
			each, wall := scanAll("first", func(r lifecycle.ScanResult) bool { return r.Inserted == len(names) && r.Skipped == 0 })
			first[mode].each = append(first[mode].each, each...)
			first[mode].wall = append(first[mode].wall, wall)
			for range sz.hostRescans {
				each, wall := scanAll("unchanged", func(r lifecycle.ScanResult) bool { return !r.Changed() && r.Skipped == 0 })
				again[mode].each = append(again[mode].each, each...)
				again[mode].wall = append(again[mode].wall, wall)
			}
			ha.stop()
		}
	}
	how := []string{"one after the other", "all at once"}
	table := [][]string{{"scan", "hosts scanning", "scans", "each: p50", "p99", "max", "every host scanned (median)"}}
	for mode := range how {
		for _, s := range []struct {
			what string
			s    scans
		}{{fmt.Sprintf("first (%d inserted each)", len(names)), first[mode]}, {"unchanged", again[mode]}} {
			table = append(table, []string{s.what, how[mode], fmt.Sprint(len(s.s.each)), fmtMS(s.s.each.median()), fmtMS(s.s.each.pct(0.99)), fmtMS(s.s.each.max()), fmtMS(s.s.wall.median())})
		}
	}
	rep.info("9", fmt.Sprintf("unchanged scan of %d hosts × %d containers, all at once: until every host is scanned (median)", len(hosts), len(names)), fmtMS(again[1].wall.median()))
	rep.metric("9.scanRounds", fmt.Sprint(sz.hostScanRounds))
	rep.metric("9.rescans", fmt.Sprint(sz.hostRescans))
	rep.metric("9.scan.first.together", fmtMS(first[1].wall.median()))
	rep.metric("9.scan.first.apart", fmtMS(first[0].wall.median()))
	rep.metric("9.scan.again.together", fmtMS(again[1].wall.median()))
	rep.metric("9.scan.again.each", fmtMS(again[0].each.median()))
	rep.table("9.scan", table)
}
