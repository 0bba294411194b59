package podman_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/podman"
	"podboard/lifecycle/podman/podmansvc"
	"podboard/lifecycle/podman/podmantest"
	"podboard/lifecycle/podman/sshtunnel"
	"podboard/lifecycle/podman/sshtunnel/sshdtest"
)

// The tests of this package share one private Podman service, started by
// TestMain with the workload image already built; each test uses container
// names of its own and removes its containers when it ends.
var shared podmantest.Shared

func TestMain(m *testing.M) { os.Exit(podmantest.RunShared(m, &shared)) }

// service returns the shared Podman service.
func service(t *testing.T) *podmantest.Service {
	t.Helper()
	return shared.Service(t)
}

// connect opens an Engine on svc.
func connect(t *testing.T, svc *podmantest.Service) *podman.Engine {
	t.Helper()
	e, err := podman.Connect(context.Background(), svc.URI, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// workload creates a container that is removed when the test ends.
func workload(t *testing.T, svc *podmantest.Service, name string, w podmantest.Workload) {
	t.Helper()
	t.Cleanup(func() {
		if _, err := svc.Podman("rm", "--force", "--time", "0", "--ignore", name); err != nil {
			t.Errorf("removing %s: %v", name, err)
		}
	})
	svc.MustCreateWorkload(t, name, w)
}

// opContext bounds an engine call so that a bug cannot hang the test run
// for a container's whole stop timeout.
func opContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// diedExitCodes lists the exit codes of the "died" events of the container
// now named name, oldest first. It filters by the container's ID: the
// service outlives the test, and an earlier run's container of the same
// name (removed with a kill at its cleanup) has events of its own.
func diedExitCodes(t *testing.T, svc *podmantest.Service, name string) []string {
	t.Helper()
	id := svc.MustPodman(t, "inspect", "--format", "{{.Id}}", name)
	out := svc.MustPodman(t, "events", "--stream=false", "--filter", "container="+strings.TrimSpace(id),
		"--filter", "event=died", "--format", "{{.ContainerExitCode}}")
	return strings.Fields(out)
}

func TestListReportsNameImageStateAndStopTimeout(t *testing.T) {
	svc := service(t)
	workload(t, svc, "list-created", podmantest.Workload{StopTimeout: 600})
	workload(t, svc, "list-running", podmantest.Workload{Start: true})
	e := connect(t, svc)

	list, err := e.List(opContext(t))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]lifecycle.Observed{}
	for _, o := range list {
		byName[o.Name] = o
	}
	tests := []struct {
		name, state string
		stopTimeout int
	}{
		{"list-created", "created", 600},
		{"list-running", "running", 10}, // Podman's default
	}
	for _, tt := range tests {
		o, ok := byName[tt.name]
		if !ok {
			t.Fatalf("List does not report %s; got %+v", tt.name, list)
		}
		id := svc.MustPodman(t, "inspect", "--format", "{{.Id}}", tt.name)
		if o.ID != id || o.Image != podmantest.WorkloadImage || o.EngineState != tt.state || o.StopTimeout != tt.stopTimeout {
			t.Errorf("List reports %+v; want id %s, image %s, state %s, stop timeout %d",
				o, id, podmantest.WorkloadImage, tt.state, tt.stopTimeout)
		}
		if o.CreatedAt.IsZero() {
			t.Errorf("%s: no creation time", tt.name)
		}
	}
	if byName["list-running"].StartedAt.IsZero() {
		t.Error("a running container reports no start time")
	}
	if !byName["list-created"].StartedAt.IsZero() {
		t.Errorf("a container that never ran reports a start time %s", byName["list-created"].StartedAt)
	}

	// Inspect agrees with List.
	o, err := e.Inspect(opContext(t), "list-created")
	if err != nil {
		t.Fatal(err)
	}
	if o.Name != "list-created" || o.StopTimeout != 600 || o.EngineState != "created" {
		t.Errorf("Inspect reports %+v", o)
	}
}

func TestStopWaitsForTheGracefulShutdownAndDoesNotKill(t *testing.T) {
	svc := service(t)
	const delay = 3 * time.Second
	workload(t, svc, "stop-slow", podmantest.Workload{StopDelay: delay, StopTimeout: 600, Start: true})
	e := connect(t, svc)

	begin := time.Now()
	if err := e.Stop(opContext(t), "stop-slow", -1); err != nil {
		t.Fatal(err)
	}
	took := time.Since(begin)
	t.Logf("Stop of a workload with a %s shutdown took %s", delay, took)
	// The workload exits only delay after its SIGTERM, so a Stop that
	// returned earlier did not wait for it.
	if took < delay {
		t.Errorf("Stop returned after %s, before the workload's %s shutdown ended", took, delay)
	}
	if got := svc.MustPodman(t, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "stop-slow"); got != "exited 0" {
		t.Errorf("after Stop: %q, want \"exited 0\" (a clean exit, not SIGKILL's 137)", got)
	}
	if logs := svc.MustPodman(t, "logs", "stop-slow"); !strings.Contains(logs, "workload got terminated") {
		t.Errorf("the workload never got SIGTERM; logs:\n%s", logs)
	}
}

func TestRestartLetsTheWorkloadShutDownGracefullyBeforeStartingAgain(t *testing.T) {
	svc := service(t)
	const delay = 2 * time.Second
	workload(t, svc, "restart-slow", podmantest.Workload{StopDelay: delay, StopTimeout: 60, Start: true})
	e := connect(t, svc)

	begin := time.Now()
	if err := e.Restart(opContext(t), "restart-slow", -1); err != nil {
		t.Fatal(err)
	}
	took := time.Since(begin)
	t.Logf("Restart of a workload with a %s shutdown took %s", delay, took)
	if took < delay {
		t.Errorf("Restart returned after %s, before the workload's %s shutdown ended: it was killed", took, delay)
	}
	if got := svc.MustPodman(t, "inspect", "--format", "{{.State.Status}}", "restart-slow"); got != "running" {
		t.Errorf("after Restart the container is %q, want running", got)
	}
	if codes := diedExitCodes(t, svc, "restart-slow"); strings.Join(codes, ",") != "0" {
		t.Errorf("exit codes of the runs that ended: %v, want one clean exit 0 (137 is SIGKILL)", codes)
	}
	logs := svc.MustPodman(t, "logs", "restart-slow")
	if !strings.Contains(logs, "workload got terminated: exiting in "+delay.String()) {
		t.Errorf("the workload never got SIGTERM; logs:\n%s", logs)
	}
	if n := strings.Count(logs, "workload started"); n != 2 {
		t.Errorf("the workload started %d times, want 2; logs:\n%s", n, logs)
	}
}

func TestRestartOfANameRecreatedSinceTheLastListUsesTheNewContainersStopTimeout(t *testing.T) {
	svc := service(t)
	const name = "restart-recreated"
	workload(t, svc, name, podmantest.Workload{StopTimeout: 1, Start: true})
	e := connect(t, svc)
	if _, err := e.List(opContext(t)); err != nil { // the engine now knows the name's ID and timeout
		t.Fatal(err)
	}
	// The same name, now a container that needs 2 s to stop and may take 60.
	svc.MustPodman(t, "rm", "--force", "--time", "0", name)
	const delay = 2 * time.Second
	workload(t, svc, name, podmantest.Workload{StopDelay: delay, StopTimeout: 60, Start: true})
	id := svc.MustPodman(t, "inspect", "--format", "{{.Id}}", name)

	begin := time.Now()
	if err := e.Restart(opContext(t), name, -1); err != nil {
		t.Fatal(err)
	}
	took := time.Since(begin)
	// With the old container's 1 s timeout the new one would be killed
	// (exit 137) halfway through its shutdown.
	if codes := diedExitCodes(t, svc, id); strings.Join(codes, ",") != "0" {
		t.Errorf("exit codes of the recreated container: %v, want one clean exit 0 (137 is SIGKILL)", codes)
	}
	if took < delay {
		t.Errorf("Restart returned after %s, before the workload's %s shutdown ended", took, delay)
	}
	if got := svc.MustPodman(t, "inspect", "--format", "{{.State.Status}}", name); got != "running" {
		t.Errorf("after Restart the container is %q, want running", got)
	}
}

func TestStartOfAContainerWithAMissingEntrypointFailsWithPodmansMessage(t *testing.T) {
	svc := service(t)
	workload(t, svc, "start-broken", podmantest.Workload{BrokenEntrypoint: true})
	e := connect(t, svc)

	err := e.Start(opContext(t), "start-broken")
	if err == nil {
		t.Fatal("Start of a container whose entrypoint does not exist succeeded")
	}
	t.Logf("Start: %v", err)
	if !strings.Contains(err.Error(), "not found") {
		t.Errorf("error %q does not carry Podman's \"not found\"", err)
	}
	// The container exists: treating this as ErrNotFound would make the
	// dashboard drop its row.
	if errors.Is(err, lifecycle.ErrNotFound) || errors.Is(err, lifecycle.ErrUnreachable) {
		t.Errorf("error %q is classified as a missing container or an unreachable Podman", err)
	}
	if _, err := e.Inspect(opContext(t), "start-broken"); err != nil {
		t.Errorf("the container is gone after its failed start: %v", err)
	}
}

func TestOperationsOnAMissingContainerWrapErrNotFound(t *testing.T) {
	svc := service(t)
	e := connect(t, svc)
	const name = "no-such-container"
	ops := map[string]func(context.Context, string) error{
		"Stop":    func(ctx context.Context, name string) error { return e.Stop(ctx, name, -1) },
		"Start":   e.Start,
		"Restart": func(ctx context.Context, name string) error { return e.Restart(ctx, name, -1) },
		"Kill":    func(ctx context.Context, name string) error { return e.Kill(ctx, name, "SIGKILL") },
		"Inspect": func(ctx context.Context, name string) error {
			_, err := e.Inspect(ctx, name)
			return err
		},
	}
	for op, call := range ops {
		err := call(opContext(t), name)
		if !errors.Is(err, lifecycle.ErrNotFound) {
			t.Errorf("%s of a missing container: %v, want ErrNotFound", op, err)
			continue
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the container", op, err)
		}
	}
}

func TestConnectToAMissingSocketFailsAtOnceWithErrUnreachable(t *testing.T) {
	uri := "unix://" + filepath.Join(t.TempDir(), "podman.sock")
	const timeout = time.Minute
	e, err := podman.Connect(context.Background(), uri, timeout)
	if err == nil {
		t.Fatalf("Connect to %s succeeded: %+v", uri, e)
	}
	t.Logf("Connect: %v", err)
	if !errors.Is(err, lifecycle.ErrUnreachable) {
		t.Errorf("error %q does not wrap ErrUnreachable", err)
	}
	if !strings.Contains(err.Error(), uri) {
		t.Errorf("error %q does not name %s", err, uri)
	}
	// Failing on its own, not by running out the caller's timeout.
	if strings.Contains(err.Error(), "no answer within") {
		t.Errorf("Connect waited for its timeout instead of failing on the missing socket: %v", err)
	}
}

func TestListFailsWithErrUnreachableOnceTheServiceIsGone(t *testing.T) {
	// A service of its own: closing the shared one would end every test.
	svc := podmantest.Start(t)
	e := connect(t, svc)
	if _, err := e.List(opContext(t)); err != nil {
		t.Fatalf("List before the service closed: %v", err)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := e.List(opContext(t))
	t.Logf("List: %v", err)
	if !errors.Is(err, lifecycle.ErrUnreachable) {
		t.Fatalf("List after the service closed: %v, want ErrUnreachable", err)
	}
	if !strings.Contains(err.Error(), svc.URI) {
		t.Errorf("error %q does not name %s", err, svc.URI)
	}
}

// Podman's verdict of a healthcheck reaches the list and inspect: starting
// until a check passes, then healthy, then unhealthy once a check fails;
// and each check's health_status event reaches Watch.
func TestHealthOfAContainerWithAHealthcheck(t *testing.T) {
	svc := service(t)
	e := connect(t, svc)
	workload(t, svc, "health-check", podmantest.Workload{Start: true, Healthcheck: true})
	workload(t, svc, "health-none", podmantest.Workload{Start: true})
	ctx, cancel := context.WithCancel(opContext(t))
	defer cancel()
	events := make(chan struct{}, 64)
	go e.Watch(ctx, func() {
		select {
		case events <- struct{}{}:
		default:
		}
	})
	health := func(name string) (listed, inspected string) {
		t.Helper()
		list, err := e.List(opContext(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list {
			if o.Name == name {
				listed = o.Health
			}
		}
		o, err := e.Inspect(opContext(t), name)
		if err != nil {
			t.Fatal(err)
		}
		return listed, o.Health
	}
	if l, i := health("health-none"); l != "" || i != "" {
		t.Errorf("no healthcheck: list %q, inspect %q, want none", l, i)
	}
	if l, i := health("health-check"); l != lifecycle.HealthStarting || i != lifecycle.HealthStarting {
		t.Errorf("before any check: list %q, inspect %q, want starting", l, i)
	}
	check := func(want string) {
		t.Helper()
		// The event of an earlier step may still be queued.
		for len(events) > 0 {
			<-events
		}
		svc.Podman("healthcheck", "run", "health-check") // fails with exit 1 when unhealthy
		select {
		case <-events:
		case <-time.After(30 * time.Second):
			t.Fatal("no event after a healthcheck")
		}
		if l, i := health("health-check"); l != want || i != want {
			t.Errorf("after a check: list %q, inspect %q, want %s", l, i, want)
		}
	}
	check(lifecycle.Healthy)
	if _, err := svc.Podman("exec", "health-check", "/workload", "sicken"); err != nil {
		t.Fatal(err)
	}
	check(lifecycle.Unhealthy)
}

// Logs reads the last lines, stdout and stderr told apart with Podman's
// timestamps, follows new ones, and ends with its context: a hundred
// follows opened and closed leave no goroutine or connection behind.
func TestLogsTailFollowAndEndWithTheirContext(t *testing.T) {
	svc := service(t)
	e := connect(t, svc)
	workload(t, svc, "chatty", podmantest.Workload{Start: true, LogEvery: 20 * time.Millisecond})
	follow := func(tail int, until func([]lifecycle.LogLine) bool) []lifecycle.LogLine {
		t.Helper()
		ctx, cancel := context.WithCancel(opContext(t))
		defer cancel()
		var mu sync.Mutex
		var got []lifecycle.LogLine
		done := make(chan error, 1)
		go func() {
			done <- e.Logs(ctx, "chatty", lifecycle.LogOptions{Tail: tail, Follow: true}, func(l lifecycle.LogLine) {
				mu.Lock()
				got = append(got, l)
				if until(got) {
					cancel()
				}
				mu.Unlock()
			})
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Logs ended with %v, want the context's end", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Logs did not end with its context")
		}
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	lines := follow(-1, func(ls []lifecycle.LogLine) bool {
		n := 0
		for _, l := range ls {
			if l.Stream == lifecycle.Stderr && strings.HasPrefix(l.Text, "err ") {
				n++
			}
		}
		return n >= 5
	})
	var out, errs int
	for _, l := range lines {
		switch {
		case l.Stream == lifecycle.Stdout && strings.HasPrefix(l.Text, "out "):
			out++
		case l.Stream == lifecycle.Stderr && strings.HasPrefix(l.Text, "err ") && strings.Contains(l.Text, "\x1b[31m"):
			errs++
		}
		if l.Time.IsZero() || time.Since(l.Time) > time.Minute {
			t.Errorf("line %+v without Podman's timestamp", l)
		}
	}
	if out == 0 || errs < 5 {
		t.Errorf("read %d stdout and %d stderr lines of %d: %+v", out, errs, len(lines), lines)
	}
	if tail := follow(3, func(ls []lifecycle.LogLine) bool { return len(ls) >= 3 }); len(tail) != 3 {
		t.Errorf("tail 3: %d lines", len(tail))
	}

	goroutines, fds := runtime.NumGoroutine(), openFiles(t)
	for range 100 {
		follow(1, func(ls []lifecycle.LogLine) bool { return len(ls) >= 1 })
	}
	waitUntil(t, "goroutines and connections back to where they were", func() bool {
		return runtime.NumGoroutine() <= goroutines+2 && openFiles(t) <= fds+2
	})
}

// openFiles counts this process's open file descriptors (sockets to
// Podman among them).
func openFiles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Details reads inspect as an operator reads it.
func TestDetailsOfAWorkload(t *testing.T) {
	svc := service(t)
	e := connect(t, svc)
	workload(t, svc, "described", podmantest.Workload{Start: true, StopTimeout: 42, Healthcheck: true})
	svc.MustPodman(t, "healthcheck", "run", "described")
	d, err := e.Details(opContext(t), "described")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "described" || d.EngineState != "running" || d.StopTimeout != 42 || d.StopSignal != "SIGTERM" || d.RestartPolicy != "no" {
		t.Errorf("details %+v", d)
	}
	if strings.Join(d.Command, " ") != "/workload" || d.Image != podmansvc.WorkloadImage || d.Started.IsZero() || d.Created.IsZero() {
		t.Errorf("command %q, image %q, started %v", d.Command, d.Image, d.Started)
	}
	if d.Health != lifecycle.Healthy || len(d.HealthLog) != 1 || d.HealthLog[0].ExitCode != 0 || d.HealthLog[0].Output != "healthy" ||
		strings.Join(d.HealthcheckConfig, " ") != "CMD /workload health" {
		t.Errorf("health %q, log %+v, config %q", d.Health, d.HealthLog, d.HealthcheckConfig)
	}
	if _, err := e.Details(opContext(t), "nosuch"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("details of a missing container: %v", err)
	}
}

// One stats stream reports every running container: one started after
// the stream began appears, one that stopped leaves it.
func TestStatsOfEveryRunningContainerInOneStream(t *testing.T) {
	svc := service(t)
	e := connect(t, svc)
	workload(t, svc, "stats-a", podmantest.Workload{Start: true})
	ctx, cancel := context.WithCancel(opContext(t))
	defer cancel()
	reports := make(chan map[string]lifecycle.Usage, 64)
	done := make(chan error, 1)
	go func() {
		done <- e.Stats(ctx, time.Second, func(us []lifecycle.Usage) {
			m := map[string]lifecycle.Usage{}
			for _, u := range us {
				m[u.Name] = u
			}
			select {
			case reports <- m:
			default:
			}
		})
	}()
	until := func(what string, cond func(map[string]lifecycle.Usage) bool) map[string]lifecycle.Usage {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case r := <-reports:
				if cond(r) {
					return r
				}
			case <-timeout:
				t.Fatalf("no stats report with %s within 30s", what)
			}
		}
	}
	r := until("stats-a", func(r map[string]lifecycle.Usage) bool { _, ok := r["stats-a"]; return ok })
	if u := r["stats-a"]; u.MemUsed == 0 || u.MemLimit == 0 {
		t.Errorf("stats-a uses %+v", u)
	}
	workload(t, svc, "stats-b", podmantest.Workload{Start: true})
	until("stats-b, started since", func(r map[string]lifecycle.Usage) bool { _, ok := r["stats-b"]; return ok })
	svc.MustPodman(t, "stop", "--time", "0", "stats-a")
	until("stats-a gone", func(r map[string]lifecycle.Usage) bool {
		_, a := r["stats-a"]
		_, b := r["stats-b"]
		return !a && b
	})
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Stats ended with %v, want the context's end", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Stats did not end with its context")
	}
}

// A Podman reached over SSH through a private sshd: listed and acted on
// as a local one; a break of the SSH connection costs one attempt; a
// host key it does not know is refused with a message that says so.
func TestAPodmanOverSSH(t *testing.T) {
	svc := service(t)
	sshd := sshdtest.Start(t)
	workload(t, svc, "remote", podmantest.Workload{Start: true})
	known := filepath.Join(t.TempDir(), "known_hosts")
	host := "[" + strings.Replace(sshd.Addr, ":", "]:", 1)
	if err := os.WriteFile(known, []byte(host+" "+sshd.HostKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	uri := "ssh://" + sshd.User + "@" + sshd.Addr + svc.Socket
	// A relative directory for the tunnel's socket, as --data ./data gives.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Rel(wd, t.TempDir())
	if err != nil || len(dir) > 80 {
		dir = ""
	}
	e, err := podman.ConnectSSH(context.Background(), uri, podman.SSH{Identity: sshd.Identity, KnownHosts: known, SocketDir: dir}, 30*time.Second)
	if err != nil {
		t.Fatalf("%v\nsshd log:\n%s", err, sshd.LogTail())
	}
	defer e.Close()
	if e.URI() != uri {
		t.Errorf("the engine names %q, want the ssh URI", e.URI())
	}
	state := func() string {
		t.Helper()
		list, err := e.List(opContext(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list {
			if o.Name == "remote" {
				return o.EngineState
			}
		}
		return "missing"
	}
	if got := state(); got != "running" {
		t.Fatalf("remote is %s over SSH", got)
	}
	if err := e.Stop(opContext(t), "remote", 5); err != nil {
		t.Fatalf("stop over SSH: %v", err)
	}
	if err := sshd.DropConnections(); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != "exited" {
		t.Errorf("after the stop and a broken SSH connection: %s", got)
	}

	empty := filepath.Join(t.TempDir(), "known_hosts")
	_, err = podman.ConnectSSH(context.Background(), uri, podman.SSH{Identity: sshd.Identity, KnownHosts: empty}, 10*time.Second)
	if !errors.Is(err, lifecycle.ErrUnreachable) || !errors.Is(err, sshtunnel.ErrUnknownHostKey) || !strings.Contains(err.Error(), "podboard hostkey add") {
		t.Errorf("an unknown host key: %v", err)
	}
	if _, err := podman.ConnectSSH(context.Background(), uri, podman.SSH{KnownHosts: known}, 10*time.Second); !errors.Is(err, lifecycle.ErrInvalid) {
		t.Errorf("no identity: %v", err)
	}
}
