package main

// Several Podman hosts, as an operator runs them: the real binary, one
// private Podman service on a unix socket and another reached over SSH
// through a private sshd on loopback. An action on each; one service
// killed, and only its host's banner and rows say so while the other host
// goes on acting at once; a wrong host key refused, with what to do.

import (
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"podboard/lifecycle/podman/podmantest"
	"podboard/lifecycle/podman/sshtunnel/sshdtest"
	"podboard/web/webtest"
)

// hostsSetup is two hosts: "a", a private Podman on its unix socket, and
// "b", the shared one over SSH, each with a running workload.
type hostsSetup struct {
	local, remote *podmantest.Service
	sshd          *sshdtest.Server
	bin, data     string
	args          []string
}

func startHosts(t *testing.T) *hostsSetup {
	t.Helper()
	s := &hostsSetup{local: podmantest.Start(t), remote: sharedPodman(t), sshd: sshdtest.Start(t), bin: buildBinary(t), data: t.TempDir()}
	createWorkload(t, s.local, "alpha", podmantest.Workload{Start: true})
	createWorkload(t, s.remote, "hosts-beta", podmantest.Workload{Start: true})
	t.Cleanup(func() { removeContainer(t, s.remote, "hosts-beta") })
	s.args = []string{"--listen", "127.0.0.1:0", "--auth", "none", "--data", s.data, "--scan-interval", "1s",
		"--podman", "a=unix://" + s.local.Socket,
		"--podman", "b=" + s.remoteURI(),
		"--podman-identity", "b=" + s.sshd.Identity}
	return s
}

func (s *hostsSetup) remoteURI() string {
	return "ssh://" + s.sshd.User + "@" + s.sshd.Addr + s.remote.Socket
}

// trust adds the sshd's host key, as an operator does once.
func (s *hostsSetup) trust(t *testing.T) {
	t.Helper()
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s.sshd.HostKey))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(s.bin, "hostkey", "add", s.remoteURI(), "--data", s.data, "--fingerprint", ssh.FingerprintSHA256(key)).CombinedOutput()
	if err != nil {
		t.Fatalf("podboard hostkey add: %v\n%s", err, out)
	}
}

// hostPost posts op on host's container name through the host's route.
func hostPost(t *testing.T, url, host, name, op string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/hosts/"+host+"/containers/"+name+"/"+op, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// onHost is the listed container of host named name.
func onHost(t *testing.T, url, host, name string) (apiContainerJSON, bool) {
	t.Helper()
	for _, c := range listContainers(t, http.DefaultClient, url) {
		if c.Host == host && c.Name == name {
			return c, true
		}
	}
	return apiContainerJSON{}, false
}

func waitOnHost(t *testing.T, url, host, name, state string) {
	t.Helper()
	waitUntil(t, host+"/"+name+" "+state, deadline, func() bool {
		c, ok := onHost(t, url, host, name)
		return ok && c.State == state && c.Job == nil
	})
}

func TestTwoHostsOneOverSSHEachActsAndOneDownLeavesTheOtherWorking(t *testing.T) {
	s := startHosts(t)
	s.trust(t)
	p := startProc(t, s.bin, s.args...)

	waitOnHost(t, p.url, "a", "alpha", "running")
	waitOnHost(t, p.url, "b", "hosts-beta", "running")

	// An action on each host, through the routes that name it.
	for _, hc := range []struct{ host, name string }{{"a", "alpha"}, {"b", "hosts-beta"}} {
		if code, body := hostPost(t, p.url, hc.host, hc.name, "stop"); code != http.StatusAccepted {
			t.Fatalf("stop %s/%s: %d %s", hc.host, hc.name, code, body)
		}
	}
	waitOnHost(t, p.url, "a", "alpha", "stopped")
	waitOnHost(t, p.url, "b", "hosts-beta", "stopped")
	if got := podmanState(t, s.local, "alpha"); got != "exited" {
		t.Errorf("host a's Podman says alpha is %s after its stop", got)
	}
	if got := podmanState(t, s.remote, "hosts-beta"); got != "exited" {
		t.Errorf("host b's Podman says hosts-beta is %s after its stop over SSH", got)
	}
	// A route without a host cannot say which one: refused, with how.
	if code := p.post("alpha", "start"); code != http.StatusNotFound {
		t.Errorf("POST /containers/alpha/start on two hosts: %d, want 404", code)
	}
	if code, body := hostPost(t, p.url, "c", "alpha", "start"); code != http.StatusNotFound || !strings.Contains(body, `No such host: \"c\"`) {
		t.Errorf("a host that is not there: %d %s", code, body)
	}
	incidents := readFile(t, filepath.Join(s.data, "lifecycle.log"))
	for _, want := range []string{"STOP OK: a/alpha", "STOP OK: b/hosts-beta"} {
		if !strings.Contains(incidents, want) {
			t.Errorf("the incident log lacks %q:\n%s", want, incidents)
		}
	}

	// The page groups the rows by host, under each host's header.
	d := webtest.Parse(t, getBody(t, p.url+"/"))
	for _, hc := range []struct{ host, name string }{{"a", "alpha"}, {"b", "hosts-beta"}} {
		if d.Find("#hostrows-"+hc.host+" #"+cssID(webtest.RowID(hc.name+"@"+hc.host))).Length() != 1 {
			t.Errorf("no row %s@%s in host %s's group", hc.name, hc.host, hc.host)
		}
	}

	// Host a's Podman dies: its banner and its rows say so; host b's do
	// not, and b goes on acting at once.
	feed := openSSE(t, http.DefaultClient, p.url)
	defer feed.close()
	if err := s.local.Kill(); err != nil {
		t.Fatal(err)
	}
	from, _ := feed.next(0, "host a's banner", func(data string) bool {
		return strings.Contains(data, `id="scan-status-a"`) && strings.Contains(data, "host unreachable since")
	})
	d = webtest.Parse(t, getBody(t, p.url+"/"))
	if n := d.Find(`[data-testid=scan-error][data-host=a]`).Length(); n != 1 {
		t.Errorf("host a's banner: %d, want 1", n)
	}
	if n := d.Find(`[data-testid=scan-error][data-host=b]`).Length(); n != 0 {
		t.Errorf("host b has a banner while only a is down")
	}
	if mark := strings.TrimSpace(d.Find("#" + cssID(webtest.RowID("alpha@a")) + " [data-testid=host-unreachable]").Text()); !strings.HasPrefix(mark, "host unreachable since ") {
		t.Errorf("alpha's row is marked %q, want host unreachable since …", mark)
	}
	if mark := strings.TrimSpace(d.Find("#" + cssID(webtest.RowID("hosts-beta@b")) + " [data-testid=host-unreachable]").Text()); mark != "" {
		t.Errorf("hosts-beta's row is marked %q while its host is up", mark)
	}
	began := time.Now()
	if code, body := hostPost(t, p.url, "b", "hosts-beta", "start"); code != http.StatusAccepted {
		t.Fatalf("start on host b while a is down: %d %s", code, body)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("host b's start answered in %s while host a is down, want within 1s", took)
	}
	feed.next(from, "hosts-beta running", func(data string) bool {
		return strings.Contains(data, `id="row-hosts-beta@b"`) && strings.Contains(data, `data-state="running"`)
	})
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("host b's start took %s to be pushed while host a is down", took)
	}

	// Host a comes back: its banner goes.
	if err := s.local.Restart(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "host a's banner gone", deadline, func() bool {
		return webtest.Parse(t, getBody(t, p.url+"/")).Find(`[data-testid=scan-error]`).Length() == 0
	})

	// Host a's Podman hangs (frozen): host b's actions and the page do
	// not wait for it.
	if err := s.local.Freeze(); err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	if code, body := hostPost(t, p.url, "b", "hosts-beta", "stop"); code != http.StatusAccepted {
		t.Fatalf("stop on host b while a hangs: %d %s", code, body)
	}
	getBody(t, p.url+"/")
	if took := time.Since(began); took > time.Second {
		t.Errorf("host b's stop and the page took %s while host a hangs, want within 1s", took)
	}
	if err := s.local.Thaw(); err != nil {
		t.Fatal(err)
	}
	waitOnHost(t, p.url, "b", "hosts-beta", "stopped")
	p.stop()
}

func TestAHostWithAWrongHostKeyIsRefusedAndTheOtherHostWorks(t *testing.T) {
	s := startHosts(t)
	// A key for the sshd's address that is not its own: a changed key, as
	// after a reinstall or in the middle of an attack.
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(s.sshd.Addr)}, other)
	if err := os.WriteFile(filepath.Join(s.data, "known_hosts"), []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, s.bin, s.args...)
	waitOnHost(t, p.url, "a", "alpha", "running")
	var banner string
	waitUntil(t, "host b's banner", deadline, func() bool {
		banner = webtest.Parse(t, getBody(t, p.url+"/")).Find(`[data-testid=scan-error][data-host=b]`).Text()
		return strings.Contains(banner, "HOST KEY CHANGED")
	})
	for _, want := range []string{"known_hosts:1", "SHA256:", "refusing"} {
		if !strings.Contains(banner, want) {
			t.Errorf("host b's banner lacks %q: %s", want, banner)
		}
	}
	if _, ok := onHost(t, p.url, "b", "hosts-beta"); ok {
		t.Errorf("hosts-beta listed through a host whose key changed")
	}
	if !strings.Contains(p.log(), "HOST KEY CHANGED") {
		t.Errorf("the log does not say why host b is refused:\n%s", p.log())
	}
	if code, body := hostPost(t, p.url, "a", "alpha", "stop"); code != http.StatusAccepted {
		t.Fatalf("stop on host a while b is refused: %d %s", code, body)
	}
	waitOnHost(t, p.url, "a", "alpha", "stopped")
	if data := readFile(t, filepath.Join(s.data, "known_hosts")); data != line+"\n" {
		t.Errorf("known_hosts was changed:\n%s", data)
	}
	p.stop()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cssID escapes an element id for a selector: ids of several hosts carry
// '@', and container names may carry '.'.
func cssID(id string) string {
	r := strings.NewReplacer("@", `\@`, ".", `\.`, ":", `\:`)
	return r.Replace(id)
}
