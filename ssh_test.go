package main

// A Podman reached over SSH: the real binary through a private sshd on
// loopback, the host key accepted with `podboard hostkey add` only after
// its fingerprint matched, an unknown or changed key refused at start
// with what to do.

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"podboard/lifecycle/podman/podmantest"
	"podboard/lifecycle/podman/sshtunnel/sshdtest"
)

func TestTheDashboardReachesAPodmanOverSSHWithAHostKeyItWasToldToTrust(t *testing.T) {
	svc := sharedPodman(t)
	sshd := sshdtest.Start(t)
	createWorkload(t, svc, "far", podmantest.Workload{Start: true})
	bin := buildBinary(t)
	data := t.TempDir()
	uri := "ssh://" + sshd.User + "@" + sshd.Addr + svc.Socket
	args := []string{"--listen", "127.0.0.1:0", "--auth", "none", "--data", data, "--podman", uri, "--podman-identity", sshd.Identity}
	run := func(args ...string) (int, string) {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(sshd.HostKey))
	if err != nil {
		t.Fatal(err)
	}
	fp := ssh.FingerprintSHA256(key)

	// Unknown: the dashboard does not start, and says how to accept it.
	if code, out := run(args...); code != 1 || !strings.Contains(out, "host key not known") || !strings.Contains(out, "--fingerprint "+fp) {
		t.Fatalf("start with an unknown host key: exit %d:\n%s", code, out)
	}
	if code, out := run("hostkey", "add", uri, "--data", data, "--fingerprint", "SHA256:not-this-one"); code != 1 || !strings.Contains(out, "nothing added") {
		t.Errorf("hostkey add with the wrong fingerprint: exit %d:\n%s", code, out)
	}
	if code, out := run("hostkey", "add", uri, "--data", data); code != 1 || !strings.Contains(out, "--fingerprint "+fp) {
		t.Errorf("hostkey add without a fingerprint, not on a terminal: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(data, "known_hosts")); err == nil {
		t.Errorf("a refused hostkey add wrote known_hosts")
	}
	if code, out := run("hostkey", "add", uri, "--data", data, "--fingerprint", strings.TrimPrefix(fp, "SHA256:")); code != 0 || !strings.Contains(out, fp) {
		t.Fatalf("hostkey add (the fingerprint as pasted without SHA256:): exit %d:\n%s", code, out)
	}
	if code, out := run("hostkey", "add", uri, "--data", data, "--fingerprint", fp); code != 0 || !strings.Contains(out, "already in") {
		t.Errorf("hostkey add of a key already there: exit %d:\n%s", code, out)
	}

	p := startProc(t, bin, args...)
	waitUntil(t, "far listed over SSH", deadline, func() bool {
		c, ok := findContainer(listContainers(t, http.DefaultClient, p.url), "far")
		return ok && c.State == "running"
	})
	if code := p.post("far", "stop"); code != http.StatusAccepted {
		t.Fatalf("stop over SSH: %d", code)
	}
	waitStates(t, p.url, []string{"far"}, "stopped")
	if got := podmanState(t, svc, "far"); got != "exited" {
		t.Errorf("Podman says %s after the stop over SSH", got)
	}
	p.stop()

	// Changed: another key for the host in known_hosts.
	other := "[" + strings.Replace(sshd.Addr, ":", "]:", 1) + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJm6dLqUqcyhNR+JxtK5c3/MWq+uoLTjdXB2d/uAnNE3\n"
	if err := os.WriteFile(filepath.Join(data, "known_hosts"), []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := run(args...); code != 1 || !strings.Contains(out, "HOST KEY CHANGED") {
		t.Errorf("start with a changed host key: exit %d:\n%s", code, out)
	}
	if code, out := run("hostkey", "add", uri, "--data", data, "--fingerprint", fp); code != 1 || !strings.Contains(out, "HOST KEY CHANGED") {
		t.Errorf("hostkey add over a changed key: exit %d:\n%s", code, out)
	}
	if code, out := run("--podman", uri, "--data", data); code != 2 || !strings.Contains(out, "--podman-identity") {
		t.Errorf("ssh:// without an identity: exit %d:\n%s", code, out)
	}
}
