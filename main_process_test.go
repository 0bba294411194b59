package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"podboard/lifecycle/podman/podmantest"
)

// These tests run the real podboard binary as a separate process, as an
// operator does, so that signals, kill -9 and exit codes are the real ones.

const buildTags = "containers_image_openpgp exclude_graphdriver_btrfs exclude_graphdriver_devicemapper"

// buildBinary builds podboard into a directory of the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "podboard")
	cmd := exec.Command("go", "build", "-tags", buildTags, "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one podboard process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr strings.Builder
	exited chan struct{}
	err    error
}

var servingURL = regexp.MustCompile(`msg="podboard serving" url=(http://\S+)`)

// startProc starts the binary and waits until it serves. It is killed by
// its PID when the test ends, whatever happened.
func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			if m := servingURL.FindStringSubmatch(line); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	select {
	case p.url = <-urls:
	case <-p.exited:
		t.Fatalf("podboard exited before serving: %v\n%s", p.err, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("podboard did not serve within 60s:\n%s", p.log())
	}
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(limit time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(limit):
		p.t.Fatalf("podboard still running after %s:\n%s", limit, p.log())
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

func (p *proc) post(name, op string) int {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.url+"/containers/"+name+"/"+op, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (p *proc) container(name string) (apiContainerJSON, bool) {
	p.t.Helper()
	resp, err := http.Get(p.url + "/api/containers")
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var cs []apiContainerJSON
	if err := json.NewDecoder(resp.Body).Decode(&cs); err != nil {
		p.t.Fatal(err)
	}
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return apiContainerJSON{}, false
}

func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %s", what, limit)
		}
	}
}

func TestDashboardKilledMidStopRecoversTheOperationAtNextStart(t *testing.T) {
	svc := sharedPodman(t)
	bin := buildBinary(t)
	createWorkload(t, svc, "killed-mid-stop", podmantest.Workload{StopDelay: 4 * time.Second, StopTimeout: 600, Start: true})
	data := t.TempDir()
	args := []string{"--listen", "127.0.0.1:0", "--podman", svc.URI, "--data", data, "--scan-interval", "500ms"}

	first := startProc(t, bin, args...)
	waitUntil(t, "first scan", 30*time.Second, func() bool { _, ok := first.container("killed-mid-stop"); return ok })
	if code := first.post("killed-mid-stop", "stop"); code != http.StatusAccepted {
		t.Fatalf("stop answered %d, want 202", code)
	}
	// Kill it once Podman is really stopping the container, not before the
	// background job has sent its call.
	waitUntil(t, "podman stopping", 30*time.Second, func() bool { return podmanState(t, svc, "killed-mid-stop") == "stopping" })
	first.signal(syscall.SIGKILL)
	first.wait(10 * time.Second)

	second := startProc(t, bin, args...)
	c, ok := second.container("killed-mid-stop")
	if !ok {
		t.Fatal("container missing after restart")
	}
	if c.Job != nil {
		t.Fatalf("the interrupted stop is still shown as running: %+v", c)
	}
	if !strings.Contains(c.Error, "interrupted") {
		t.Fatalf("the row does not say the operation was interrupted: %q", c.Error)
	}
	// Podman finished the stop on its own; the scan follows it.
	var last apiContainerJSON
	waitUntil(t, "stopped after the restart", 30*time.Second, func() bool {
		last, _ = second.container("killed-mid-stop")
		if last.State == "stopped" && last.PodmanState == "exited" {
			return true
		}
		t.Logf("state %s, podman %s, podman inspect %s", last.State, last.PodmanState, podmanState(t, svc, "killed-mid-stop"))
		return false
	})
	b, err := os.ReadFile(filepath.Join(data, "lifecycle.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"STOP BEGIN: killed-mid-stop", "STOP INTERRUPTED: killed-mid-stop"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("incident log lacks %q:\n%s", want, b)
		}
	}
	second.signal(syscall.SIGTERM)
	if code := second.wait(30 * time.Second); code != 0 {
		t.Fatalf("clean shutdown exited %d:\n%s", code, second.log())
	}
}

func TestSIGTERMLetsARunningStopFinishAndRecordsIt(t *testing.T) {
	svc := sharedPodman(t)
	bin := buildBinary(t)
	createWorkload(t, svc, "stop-during-shutdown", podmantest.Workload{StopDelay: 3 * time.Second, StopTimeout: 600, Start: true})
	data := t.TempDir()
	p := startProc(t, bin, "--listen", "127.0.0.1:0", "--podman", svc.URI, "--data", data)
	waitUntil(t, "first scan", 30*time.Second, func() bool { _, ok := p.container("stop-during-shutdown"); return ok })
	if code := p.post("stop-during-shutdown", "stop"); code != http.StatusAccepted {
		t.Fatalf("stop answered %d, want 202", code)
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", code, p.log())
	}
	if s := podmanState(t, svc, "stop-during-shutdown"); s != "exited" {
		t.Fatalf("podman state %q after shutdown, want exited", s)
	}
	b, _ := os.ReadFile(filepath.Join(data, "lifecycle.log"))
	if !strings.Contains(string(b), "STOP OK: stop-during-shutdown") {
		t.Fatalf("the stop's outcome was not recorded before exit:\n%s\nlog:\n%s", b, p.log())
	}
	if !strings.Contains(p.log(), "waiting for running operations") {
		t.Errorf("shutdown did not say it waits for the stop:\n%s", p.log())
	}
}

func TestUnreachablePodmanExitsNonZeroWithOneClearLine(t *testing.T) {
	bin := buildBinary(t)
	sock := filepath.Join(t.TempDir(), "none.sock")
	cmd := exec.Command(bin, "--podman", "unix://"+sock, "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("exit: %v, want exit code 1\n%s", err, out)
	}
	first := strings.SplitN(string(out), "\n", 2)[0]
	want := fmt.Sprintf("podboard: podman unreachable at unix://%s: no such file or directory", sock)
	if first != want {
		t.Fatalf("first line %q, want %q", first, want)
	}
	if !strings.Contains(string(out), "podman system service") {
		t.Errorf("no hint how to start Podman's API service:\n%s", out)
	}
	if strings.Contains(string(out), "goroutine") || strings.Contains(string(out), "panic") {
		t.Errorf("stack trace in the output:\n%s", out)
	}
}

func TestSecondDashboardOnTheSameDataDirectoryRefusesToStart(t *testing.T) {
	svc := sharedPodman(t)
	bin := buildBinary(t)
	data := t.TempDir()
	first := startProc(t, bin, "--listen", "127.0.0.1:0", "--podman", svc.URI, "--data", data)
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--podman", svc.URI, "--data", data)
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("second dashboard: %v, want exit code 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "another podboard is already using the data directory "+data) {
		t.Fatalf("second dashboard's message:\n%s", out)
	}
	first.signal(syscall.SIGTERM)
	if code := first.wait(30 * time.Second); code != 0 {
		t.Fatalf("first dashboard exited %d", code)
	}
}
