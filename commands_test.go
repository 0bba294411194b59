package main

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

func TestAuthFlagsAreCheckedAtStart(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // "" for accepted; else part of the error
	}{
		{"the default is password sign-in", nil, ""},
		{"none on loopback", []string{"--auth", "none", "--listen", "127.0.0.1:8080"}, ""},
		{"none on localhost", []string{"--auth", "none", "--listen", "localhost:8080"}, ""},
		{"none on every address", []string{"--auth", "none", "--listen", "0.0.0.0:8080"}, "only allowed with a loopback --listen"},
		{"none on no address", []string{"--auth", "none", "--listen", ":8080"}, "only allowed with a loopback --listen"},
		{"none on a LAN address", []string{"--auth", "none", "--listen", "192.168.1.5:8080"}, "only allowed with a loopback --listen"},
		{"an unknown mode", []string{"--auth", "open"}, "want password, proxy or none"},
		{"proxy without its proxies", []string{"--auth", "proxy"}, "needs --trusted-proxies"},
		{"proxy with its proxies", []string{"--auth", "proxy", "--trusted-proxies", "127.0.0.1/32,10.0.0.0/8"}, ""},
		{"a bad CIDR", []string{"--trusted-proxies", "10.0.0.0/40"}, "invalid --trusted-proxies"},
		{"a certificate without its key", []string{"--tls-cert", "c.pem"}, "go together"},
		{"a secure cookie behind a TLS proxy", []string{"--secure-cookie"}, ""},
		{"days of session", []string{"--session-lifetime", "30d", "--session-idle", "2h"}, ""},
		{"a session of nothing", []string{"--session-idle", "0"}, "invalid --session-idle"},
		{"no feeds at all", []string{"--max-feeds", "0"}, "at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, func(string) string { return "" })
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestAuthNoneOnAnOpenAddressExitsWithOneClearLine(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "--auth", "none", "--listen", "0.0.0.0:0", "--data", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); err == nil || code != 2 {
		t.Fatalf("exit code %d (%v), want 2", code, err)
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "--auth none") {
		t.Errorf("stderr %q, want one line about --auth none", stderr.String())
	}
}

// run runs the binary's command and returns its exit code and output.
func runBin(t *testing.T, bin, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func TestUserAndTokenCommandsWorkWhileTheDashboardRuns(t *testing.T) {
	bin := buildBinary(t)
	data := t.TempDir()
	// The dashboard runs on the data directory (its router over the real
	// database; the commands are separate processes).
	ta := serveApp(t, fake.New(fake.Running("web")), testConfig(t, data, "unix:///fake/test.sock", time.Hour), nil)
	site := webtest.Site{TB: t, URL: ta.srv.URL}

	if code, out, errOut := runBin(t, bin, "correct horse battery\n", "user", "add", "alice", "--password-stdin", "--data", data); code != 0 || !strings.Contains(out, "alice") {
		t.Fatalf("user add: exit %d: %s%s", code, out, errOut)
	}
	s := site.Login("alice", "correct horse battery")
	if r := s.Get("/"); r.Status != http.StatusOK {
		t.Fatalf("the page as alice: status %d", r.Status)
	}
	if code, _, errOut := runBin(t, bin, "another password\n", "user", "add", "alice", "--password-stdin", "--data", data); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("a second user add alice: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runBin(t, bin, "short\n", "user", "add", "bob", "--password-stdin", "--data", data); code != 1 || !strings.Contains(errOut, "at least 8") {
		t.Errorf("a short password: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runBin(t, bin, "", "user", "add", "bob", "--data", data); code != 1 || !strings.Contains(errOut, "--password-stdin") {
		t.Errorf("no password: exit %d: %s", code, errOut)
	}
	code, out, _ := runBin(t, bin, "", "user", "list", "--data", data)
	if code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, testUser) {
		t.Errorf("user list: exit %d:\n%s", code, out)
	}

	code, out, errOut := runBin(t, bin, "", "token", "add", "backup", "--data", data)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	tok := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(tok, "pbt_") {
		t.Fatalf("token add: exit %d, last line %q: %s", code, tok, errOut)
	}
	scripted := site.Bearer(tok)
	if got := scripted.API(); len(got) != 1 {
		t.Errorf("the API with the new token: %v", got)
	}
	if code, out, _ := runBin(t, bin, "", "token", "list", "--data", data); code != 0 || !strings.Contains(out, "backup") || strings.Contains(out, tok) {
		t.Errorf("token list: exit %d, want backup without its token:\n%s", code, out)
	}
	if code, _, _ := runBin(t, bin, "", "token", "del", "backup", "--data", data); code != 0 {
		t.Errorf("token del: exit %d", code)
	}
	if r := scripted.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusUnauthorized {
		t.Errorf("a deleted token: status %d, want 401", r.Status)
	}

	// A new password ends alice's session; the old password no longer works.
	if code, _, errOut := runBin(t, bin, "a brand new password\n", "user", "passwd", "alice", "--password-stdin", "--data", data); code != 0 {
		t.Fatalf("user passwd: exit %d: %s", code, errOut)
	}
	if r := s.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusUnauthorized {
		t.Errorf("alice's session after passwd: status %d, want 401", r.Status)
	}
	if r := site.LoginForm("alice", "correct horse battery"); r.Status != http.StatusUnauthorized {
		t.Errorf("the old password: status %d, want 401", r.Status)
	}
	s = site.Login("alice", "a brand new password")
	if code, _, _ := runBin(t, bin, "", "user", "del", "alice", "--data", data); code != 0 {
		t.Errorf("user del: exit %d", code)
	}
	if r := s.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusUnauthorized {
		t.Errorf("a deleted user's session: status %d, want 401", r.Status)
	}
	if code, _, errOut := runBin(t, bin, "", "user", "del", "alice", "--data", data); code != 1 || !strings.Contains(errOut, "no user") {
		t.Errorf("deleting alice twice: exit %d: %s", code, errOut)
	}
	for _, args := range [][]string{{"user"}, {"user", "frobnicate"}, {"token", "passwd", "x"}, {"user", "add"}, {"user", "list", "extra"}} {
		if code, _, _ := runBin(t, bin, "", append(args, "--data", data)...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, code)
		}
	}
	if us, err := ta.a.store.Users(context.Background()); err != nil || len(us) != 1 || us[0].Name != testUser {
		t.Errorf("users left: %+v (%v), want only %s", us, err, testUser)
	}
}

func TestWithNoUserTheLogSaysHowToCreateOne(t *testing.T) {
	logs := &lockedBuffer{}
	data := t.TempDir()
	serveApp(t, fake.New(), testConfig(t, data, "unix:///fake/test.sock", time.Hour), logs)
	if want := "podboard user add NAME --password-stdin --data " + data; !strings.Contains(logs.String(), want) {
		t.Errorf("the log does not say %q:\n%s", want, logs.String())
	}
}
