package sshtunnel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"podboard/lifecycle/podman/sshtunnel"
	"podboard/lifecycle/podman/sshtunnel/sshdtest"
)

// backend is an HTTP server on a unix socket, standing in for Podman's.
func backend(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tunnel-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "api.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "pong %s", r.URL.Path)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sock
}

func knownHosts(t *testing.T, lines ...string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func config(t *testing.T, s *sshdtest.Server, remote, known string) sshtunnel.Config {
	t.Helper()
	local, err := os.MkdirTemp("", "tunnel-local-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(local) })
	return sshtunnel.Config{
		Target:   sshtunnel.Target{User: s.User, Addr: s.Addr, Socket: remote},
		Identity: s.Identity, KnownHosts: known, Socket: filepath.Join(local, "podman.sock"),
		DialTimeout: 5 * time.Second,
	}
}

// get asks the tunnel's local socket for path.
func get(t *testing.T, tun *sshtunnel.Tunnel, path string) (string, error) {
	t.Helper()
	sock := strings.TrimPrefix(tun.URI(), "unix://")
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	defer c.CloseIdleConnections()
	resp, err := c.Get("http://podman" + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestATunnelForwardsToTheRemoteSocketAndComesBackAfterABreak(t *testing.T) {
	s := sshdtest.Start(t)
	remote := backend(t)
	tun, err := sshtunnel.Open(context.Background(), config(t, s, remote, knownHosts(t, "["+strings.Replace(s.Addr, ":", "]:", 1)+" "+s.HostKey)))
	if err != nil {
		t.Fatalf("%v\nsshd log:\n%s", err, s.LogTail())
	}
	defer tun.Close()
	for i := range 3 {
		got, err := get(t, tun, fmt.Sprintf("/ping/%d", i))
		if err != nil || got != fmt.Sprintf("pong /ping/%d", i) {
			t.Fatalf("through the tunnel: %q, %v\nsshd log:\n%s", got, err, s.LogTail())
		}
	}
	// The SSH connection breaks: a request may fail with it, and the next
	// opens a new one.
	if err := s.DropConnections(); err != nil {
		t.Fatal(err)
	}
	var got string
	for try := range 5 {
		if got, err = get(t, tun, "/again"); err == nil {
			break
		}
		t.Logf("try %d after the break: %v", try+1, err)
	}
	if got != "pong /again" {
		t.Fatalf("after the break: %q, %v", got, err)
	}
	if n := strings.Count(s.LogTail(), "Accepted publickey"); n != 2 {
		t.Errorf("%d logins, want a second one after the break:\n%s", n, s.LogTail())
	}
	if err := tun.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := os.Stat(strings.TrimPrefix(tun.URI(), "unix://")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the local socket is left after Close: %v", err)
	}
}

func TestAnUnknownOrChangedHostKeyIsRefusedWithItsFingerprint(t *testing.T) {
	s := sshdtest.Start(t)
	remote := backend(t)
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s.HostKey))
	if err != nil {
		t.Fatal(err)
	}
	fp := ssh.FingerprintSHA256(key)
	host := "[" + strings.Replace(s.Addr, ":", "]:", 1)
	other := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJm6dLqUqcyhNR+JxtK5c3/MWq+uoLTjdXB2d/uAnNE3"
	tests := []struct {
		name  string
		known string
		want  error
	}{
		{"no known_hosts file", filepath.Join(t.TempDir(), "missing"), sshtunnel.ErrUnknownHostKey},
		{"the host not in it", knownHosts(t, "[10.0.0.9]:22 "+other), sshtunnel.ErrUnknownHostKey},
		{"another key for the host", knownHosts(t, host+" "+other), sshtunnel.ErrHostKeyChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tun, err := sshtunnel.Open(context.Background(), config(t, s, remote, tt.known))
			if err == nil {
				tun.Close()
				t.Fatal("the tunnel opened")
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), fp) {
				t.Errorf("error %q, want %v naming %s", err, tt.want, fp)
			}
		})
	}
	// Accepting it, after comparing the fingerprint, lets the tunnel open.
	got, err := sshtunnel.FetchHostKey(context.Background(), s.Addr, 5*time.Second)
	if err != nil || ssh.FingerprintSHA256(got) != fp {
		t.Fatalf("fetched %v, %v; want %s", got, err, fp)
	}
	known := filepath.Join(t.TempDir(), "dir", "known_hosts")
	if err := sshtunnel.AddKnownHost(known, s.Addr, got); err != nil {
		t.Fatal(err)
	}
	tun, err := sshtunnel.Open(context.Background(), config(t, s, remote, known))
	if err != nil {
		t.Fatalf("after accepting the key: %v", err)
	}
	tun.Close()
}

func TestOnlyAnIdentityWithoutPassphraseLogsIn(t *testing.T) {
	s := sshdtest.Start(t)
	known := knownHosts(t, "["+strings.Replace(s.Addr, ":", "]:", 1)+" "+s.HostKey)
	dir := t.TempDir()
	locked := filepath.Join(dir, "locked")
	if out, err := execCommand("ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", locked); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	stranger := filepath.Join(dir, "stranger")
	if out, err := execCommand("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	for identity, want := range map[string]string{
		locked:                      "protected by a passphrase",
		stranger:                    "unable to authenticate",
		filepath.Join(dir, "nokey"): "no such file",
	} {
		cfg := config(t, s, "/run/podman/podman.sock", known)
		cfg.Identity = identity
		tun, err := sshtunnel.Open(context.Background(), cfg)
		if err == nil {
			tun.Close()
			t.Errorf("%s: logged in", identity)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", filepath.Base(identity), err, want)
		}
	}
}

func TestParseTargetReadsAnSSHURIOfAPodmanSocket(t *testing.T) {
	got, err := sshtunnel.ParseTarget("ssh://core@nas.lan:2222/run/podman/podman.sock")
	if err != nil || got != (sshtunnel.Target{User: "core", Addr: "nas.lan:2222", Socket: "/run/podman/podman.sock"}) {
		t.Errorf("%+v, %v", got, err)
	}
	if got, _ := sshtunnel.ParseTarget("ssh://root@10.0.0.5/run/podman/podman.sock"); got.Addr != "10.0.0.5:22" {
		t.Errorf("default port: %+v", got)
	}
	for _, bad := range []string{"unix:///run/podman/podman.sock", "ssh://nas/run/podman/podman.sock", "ssh://core:pw@nas/run/podman/podman.sock", "ssh://core@nas", "ssh://core@nas:99999/x"} {
		if _, err := sshtunnel.ParseTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func execCommand(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

// A host with several keys is asked for the kind known_hosts holds, so a
// genuine key is never taken for a changed one; one not known yet offers
// its ed25519 key, the one an operator compares.
func TestTheHostIsAskedForTheKindOfKeyKnownHostsHolds(t *testing.T) {
	s := sshdtest.Start(t)
	host := "[" + strings.Replace(s.Addr, ":", "]:", 1)
	for name, key := range map[string]string{"ecdsa only": s.HostKeyECDSA, "ed25519 only": s.HostKey} {
		t.Run(name, func(t *testing.T) {
			tun, err := sshtunnel.Open(context.Background(), config(t, s, backend(t), knownHosts(t, host+" "+key)))
			if err != nil {
				t.Fatalf("%v", err)
			}
			tun.Close()
		})
	}
	if err := sshtunnel.CheckKnown(knownHosts(t, host+" "+s.HostKeyECDSA), s.Addr, mustKey(t, s.HostKeyECDSA)); err != nil {
		t.Errorf("CheckKnown of the known key: %v", err)
	}
	if err := sshtunnel.CheckKnown(knownHosts(t, host+" "+s.HostKeyECDSA), s.Addr, mustKey(t, s.HostKey)); !errors.Is(err, sshtunnel.ErrHostKeyChanged) {
		t.Errorf("CheckKnown of another key: %v, want changed", err)
	}
	got, err := sshtunnel.FetchHostKey(context.Background(), s.Addr, 5*time.Second)
	if err != nil || got.Type() != ssh.KeyAlgoED25519 {
		t.Errorf("a host not known yet offers %v (%v), want its ed25519 key", got, err)
	}
}

func mustKey(t *testing.T, line string) ssh.PublicKey {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
