// Package sshdtest runs a private OpenSSH server on loopback for tests: its
// own host key, one client key allowed to log in as the current user, and
// nothing of the machine's own sshd configuration. It is stopped by its PID
// when the test ends, pass or fail.
package sshdtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is one private sshd.
type Server struct {
	Addr     string // 127.0.0.1:PORT
	User     string // who the client key logs in as
	Identity string // the client's private key file
	// HostKey is the server's public ed25519 host key, as a known_hosts
	// line needs it ("ssh-ed25519 AAAA…"); HostKeyECDSA its other one,
	// as a stock sshd has both.
	HostKey, HostKeyECDSA string
	Log                   string // sshd's own log

	cmd *exec.Cmd
}

// Tools are the programs a Server runs.
var Tools = []string{"sshd", "ssh-keygen"}

// Missing names the first tool not found, "" when all are there; sshd is
// looked for in /usr/sbin too, which a user's PATH may lack.
func Missing() string {
	for _, tool := range Tools {
		if _, err := lookPath(tool); err != nil {
			return tool
		}
	}
	return ""
}

func lookPath(tool string) (string, error) {
	if p, err := exec.LookPath(tool); err == nil {
		return p, nil
	}
	p := filepath.Join("/usr/sbin", tool)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found (Debian: apt-get install openssh-server)", tool)
	}
	return p, nil
}

// Start runs a Server for tb. Without sshd the test skips, or fails under
// CI=true, where a skip would hide that it never ran.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if tool := Missing(); tool != "" {
		msg := tool + " not found (Debian: apt-get install openssh-server)"
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			tb.Fatalf("%s (required when CI=true)", msg)
		}
		tb.Skip(msg)
	}
	// sshd insists that its files are not writable by others and lie in
	// directories that are not either.
	dir, err := os.MkdirTemp("", "sshdtest-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	keygen, _ := lookPath("ssh-keygen")
	for key, typ := range map[string]string{"host": "ed25519", "host-ecdsa": "ecdsa", "client": "ed25519"} {
		if out, err := exec.Command(keygen, "-q", "-t", typ, "-N", "", "-C", "sshdtest-"+key, "-f", filepath.Join(dir, key)).CombinedOutput(); err != nil {
			tb.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	clientPub, err := os.ReadFile(filepath.Join(dir, "client.pub"))
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), clientPub, 0o600); err != nil {
		tb.Fatal(err)
	}
	hostPub, err := os.ReadFile(filepath.Join(dir, "host.pub"))
	if err != nil {
		tb.Fatal(err)
	}
	ecdsaPub, err := os.ReadFile(filepath.Join(dir, "host-ecdsa.pub"))
	if err != nil {
		tb.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		tb.Fatal(err)
	}
	port := freePort(tb)
	config := fmt.Sprintf(`# Private sshd of package sshdtest.
ListenAddress 127.0.0.1
Port %d
HostKey %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers %s
AllowStreamLocalForwarding yes
X11Forwarding no
PermitTTY no
UsePAM no
StrictModes no
LogLevel VERBOSE
`, port, filepath.Join(dir, "host-ecdsa"), filepath.Join(dir, "host"), filepath.Join(dir, "sshd.pid"), filepath.Join(dir, "authorized_keys"), me.Username)
	cfgPath := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		tb.Fatal(err)
	}
	// sshd needs its privilege separation directory, which its package's
	// init script would create.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		tb.Fatalf("sshd's /run/sshd: %v", err)
	}
	sshd, _ := lookPath("sshd")
	s := &Server{
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), User: me.Username,
		Identity: filepath.Join(dir, "client"), HostKey: strings.Join(strings.Fields(string(hostPub))[:2], " "),
		HostKeyECDSA: strings.Join(strings.Fields(string(ecdsaPub))[:2], " "),
		Log:          filepath.Join(dir, "sshd.log"),
	}
	logFile, err := os.Create(s.Log)
	if err != nil {
		tb.Fatal(err)
	}
	defer logFile.Close()
	// -D: in the foreground, so that its PID is this child's; -e: log to
	// stderr.
	s.cmd = exec.Command(sshd, "-D", "-e", "-f", cfgPath)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("sshd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	tb.Cleanup(func() {
		// Its per-connection children are in its process group.
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
			c.Close()
			return s
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(s.Log)
			tb.Fatalf("sshd exited at start: %v\n%s", err, bytes.TrimSpace(log))
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("sshd did not listen on %s within 10s", s.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PID is the server's process ID.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// LogTail is the end of sshd's log, for a failing test.
func (s *Server) LogTail() string {
	b, _ := os.ReadFile(s.Log)
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}

func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// DropConnections ends every client connection (sshd's per-connection
// processes, its children), as a network break would; the server goes on
// listening.
func (s *Server) DropConnections() error {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == s.PID() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 2 && f[1] == strconv.Itoa(s.PID()) { // its parent is the listener
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return nil
}
