// Package sshtunnel reaches a Podman API socket on another machine over
// SSH, with the checks a service needs and the bindings' own SSH path
// lacks: the host key must be in a known_hosts file (an unknown key is
// refused until the operator accepts it, a changed key always), only the
// identity file authenticates (never a password prompt), and nothing is
// ever written to known_hosts behind the operator's back.
//
// A Tunnel listens on a local unix socket and forwards each connection
// made to it to the remote socket through one SSH connection, which it
// opens again when it breaks. The Podman bindings then talk to the local
// socket as to a local Podman.
package sshtunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Errors of a host key check, wrapped with the host and the key's
// fingerprint.
var (
	// ErrUnknownHostKey: known_hosts has no key for the host.
	ErrUnknownHostKey = errors.New("host key not known")
	// ErrHostKeyChanged: known_hosts has another key for the host.
	ErrHostKeyChanged = errors.New("HOST KEY CHANGED")
)

// Target is a remote Podman socket: ssh://user@host[:port]/path.
type Target struct {
	User   string
	Addr   string // host:port, the port 22 when the URI has none
	Socket string // the remote socket's path
}

// ParseTarget reads an ssh:// URI of a Podman socket. Its errors never
// quote a password the URI holds.
func ParseTarget(uri string) (Target, error) {
	u, err := url.Parse(uri)
	if err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return Target{}, fmt.Errorf("%q: a password in the URI is not used: podboard authenticates with an identity file only", u.Redacted())
		}
	}
	if err != nil || u.Scheme != "ssh" {
		return Target{}, fmt.Errorf("%q: want ssh://user@host[:port]/path/to/podman.sock", uri)
	}
	if u.User == nil || u.User.Username() == "" {
		return Target{}, fmt.Errorf("%q: the URI names no user (ssh://user@host/…)", uri)
	}
	if u.Hostname() == "" || u.Path == "" || u.Path == "/" {
		return Target{}, fmt.Errorf("%q: want ssh://user@host[:port]/path/to/podman.sock", uri)
	}
	port := u.Port()
	if port == "" {
		port = "22"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return Target{}, fmt.Errorf("%q: port %q", uri, port)
	}
	return Target{User: u.User.Username(), Addr: net.JoinHostPort(u.Hostname(), port), Socket: u.Path}, nil
}

// Config is what a Tunnel needs.
type Config struct {
	Target     Target
	Identity   string // private key file; it must not need a passphrase
	KnownHosts string // known_hosts file holding the host's key
	// Socket is the local unix socket to listen on; its directory must
	// exist. It is removed when the tunnel closes.
	Socket string
	// DialTimeout bounds the SSH connection and its handshake (10 s
	// when zero).
	DialTimeout time.Duration
	Log         *slog.Logger
}

// Tunnel forwards a local unix socket to a remote Podman socket.
type Tunnel struct {
	cfg    Config
	ssh    *ssh.ClientConfig
	ln     net.Listener
	closed chan struct{}
	wg     sync.WaitGroup

	dialMu sync.Mutex // one dial at a time; never held with mu

	mu     sync.Mutex
	client *ssh.Client
	conns  map[net.Conn]struct{}
}

// keepalive is how often the SSH connection is checked: a connection
// that died silently (a cable pulled, a host gone) is noticed within
// about twice this, not when TCP gives up minutes later.
const keepalive = 15 * time.Second

// Open connects once, so that a wrong host key, a missing identity or a
// refused login fails here with its reason, then listens on cfg.Socket.
func Open(ctx context.Context, cfg Config) (*Tunnel, error) {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	sc, err := clientConfig(cfg)
	if err != nil {
		return nil, err
	}
	t := &Tunnel{cfg: cfg, ssh: sc, closed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	if _, err := t.dial(ctx); err != nil {
		return nil, err
	}
	_ = os.Remove(cfg.Socket) // one left by a process that was killed
	ln, err := net.Listen("unix", cfg.Socket)
	if err != nil {
		t.closeClient()
		return nil, fmt.Errorf("ssh tunnel to %s: %w", cfg.Target.Addr, err)
	}
	_ = os.Chmod(cfg.Socket, 0o600)
	t.ln = ln
	t.wg.Add(1)
	go t.serve()
	return t, nil
}

// clientConfig is the SSH client configuration: the identity file as the
// only way to log in, and the host key checked against known_hosts.
func clientConfig(cfg Config) (*ssh.ClientConfig, error) {
	pem, err := os.ReadFile(cfg.Identity)
	if err != nil {
		return nil, fmt.Errorf("ssh identity: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("ssh identity %s is protected by a passphrase: a service cannot type it; use a key without one, readable by podboard only", cfg.Identity)
	}
	if err != nil {
		return nil, fmt.Errorf("ssh identity %s: %w", cfg.Identity, err)
	}
	check, err := hostKeyCheck(cfg.KnownHosts)
	if err != nil {
		return nil, err
	}
	return &ssh.ClientConfig{
		User:              cfg.Target.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   check,
		HostKeyAlgorithms: hostKeyAlgorithms(cfg.KnownHosts, cfg.Target.Addr),
		Timeout:           cfg.DialTimeout,
	}, nil
}

// preferred is the order of host key algorithms asked for a host that
// known_hosts does not hold yet: ed25519 first, the key `ssh-keygen -lf
// /etc/ssh/ssh_host_ed25519_key.pub` shows on the host.
var preferred = []string{
	ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}

// hostKeyAlgorithms asks the host for the kinds of key known_hosts holds
// for it, as OpenSSH does: a host with several keys offers the one the
// file knows, not another that would look changed.
func hostKeyAlgorithms(file, addr string) []string {
	b, err := os.ReadFile(file)
	if err != nil {
		return preferred
	}
	want := knownhosts.Normalize(addr)
	var algos []string
	for len(b) > 0 {
		_, hosts, key, _, rest, err := ssh.ParseKnownHosts(b)
		if err != nil {
			break
		}
		b = rest
		for _, h := range hosts {
			if h != want {
				continue
			}
			switch t := key.Type(); t {
			case ssh.KeyAlgoRSA:
				algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256)
			default:
				algos = append(algos, t)
			}
		}
	}
	if len(algos) == 0 {
		return preferred // hashed entries, or none: the check still decides
	}
	return algos
}

// CheckKnown reports whether known_hosts holds key for addr: nil when it
// does, ErrUnknownHostKey when it holds none, ErrHostKeyChanged when it
// holds another.
func CheckKnown(file, addr string, key ssh.PublicKey) error {
	check, err := hostKeyCheck(file)
	if err != nil {
		return err
	}
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		tcp = &net.TCPAddr{}
	}
	return check(knownhosts.Normalize(addr), tcp, key)
}

// hostKeyCheck checks a host's key against the known_hosts file, with an
// error that says what to do.
func hostKeyCheck(file string) (ssh.HostKeyCallback, error) {
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		// No file yet: every key is unknown, with the same message.
		return func(host string, remote net.Addr, key ssh.PublicKey) error {
			return unknownKey(file, host, key)
		}, nil
	}
	known, err := knownhosts.New(file)
	if err != nil {
		return nil, fmt.Errorf("known hosts: %w", err)
	}
	return func(host string, remote net.Addr, key ssh.PublicKey) error {
		err := known(host, remote, key)
		var ke *knownhosts.KeyError
		switch {
		case errors.As(err, &ke) && len(ke.Want) == 0:
			return unknownKey(file, host, key)
		case errors.As(err, &ke):
			return fmt.Errorf("%w for %s: it offers %s %s, and %s:%d holds another; refusing (someone may be in the middle; if the host was reinstalled, remove its old line and accept the new key)",
				ErrHostKeyChanged, host, key.Type(), ssh.FingerprintSHA256(key), ke.Want[0].Filename, ke.Want[0].Line)
		}
		return err
	}, nil
}

func unknownKey(file, host string, key ssh.PublicKey) error {
	return fmt.Errorf("%w: %s offers %s %s, which %s does not hold; check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub), then accept it with: podboard hostkey add ssh://%s --fingerprint %s",
		ErrUnknownHostKey, host, key.Type(), ssh.FingerprintSHA256(key), file, keyFileType(key), host, ssh.FingerprintSHA256(key))
}

// keyFileType is the name sshd's host key file has for key's type.
func keyFileType(key ssh.PublicKey) string {
	switch key.Type() {
	case ssh.KeyAlgoED25519:
		return "ed25519"
	case ssh.KeyAlgoRSA:
		return "rsa"
	}
	if strings.HasPrefix(key.Type(), "ecdsa") {
		return "ecdsa"
	}
	return "*"
}

// URI is the local socket as the Podman bindings name it.
func (t *Tunnel) URI() string { return "unix://" + t.cfg.Socket }

// current is the SSH connection, nil when there is none or the tunnel is
// closed.
func (t *Tunnel) current() (*ssh.Client, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.closed:
		return nil, false
	default:
	}
	return t.client, true
}

// dial returns the SSH connection, opening it when there is none. Dials
// take turns, outside the lock Close takes.
func (t *Tunnel) dial(ctx context.Context) (*ssh.Client, error) {
	if c, open := t.current(); c != nil || !open {
		if !open {
			return nil, errors.New("the tunnel is closed")
		}
		return c, nil
	}
	t.dialMu.Lock()
	defer t.dialMu.Unlock()
	if c, open := t.current(); c != nil || !open { // another dial won
		if !open {
			return nil, errors.New("the tunnel is closed")
		}
		return c, nil
	}
	d := net.Dialer{Timeout: t.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", t.cfg.Target.Addr)
	if err != nil {
		return nil, fmt.Errorf("ssh to %s: %w", t.cfg.Target.Addr, err)
	}
	_ = conn.SetDeadline(time.Now().Add(t.cfg.DialTimeout))
	c, chans, reqs, err := ssh.NewClientConn(conn, t.cfg.Target.Addr, t.ssh)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("ssh to %s as %s: %w", t.cfg.Target.Addr, t.cfg.Target.User, err)
	}
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(c, chans, reqs)
	t.mu.Lock()
	select {
	case <-t.closed:
		t.mu.Unlock()
		client.Close()
		return nil, errors.New("the tunnel is closed")
	default:
	}
	t.client = client
	t.mu.Unlock()
	go func() {
		_ = client.Wait()
		t.mu.Lock()
		if t.client == client {
			t.client = nil
		}
		t.mu.Unlock()
	}()
	go t.keepAlive(client)
	return client, nil
}

// keepAlive closes client once it stops answering.
func (t *Tunnel) keepAlive(client *ssh.Client) {
	tick := time.NewTicker(keepalive)
	defer tick.Stop()
	for range tick.C {
		answered := make(chan error, 1)
		go func() {
			_, _, err := client.SendRequest("keepalive@openssh.com", true, nil)
			answered <- err
		}()
		select {
		case err := <-answered:
			if err == nil {
				continue
			}
		case <-time.After(keepalive):
		}
		client.Close() // dead, or closed already: Wait returns
		return
	}
}

func (t *Tunnel) closeClient() {
	t.mu.Lock()
	c := t.client
	t.client = nil
	t.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// serve forwards every connection made to the local socket.
func (t *Tunnel) serve() {
	defer t.wg.Done()
	for {
		local, err := t.ln.Accept()
		if err != nil {
			select {
			case <-t.closed:
				return
			default:
			}
			t.cfg.Log.Warn("ssh tunnel: accept", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		t.wg.Add(1)
		go t.forward(local)
	}
}

// forward copies between a local connection and a new channel to the
// remote socket. A failure closes the local connection, which the
// bindings see as Podman unreachable; the next one opens the SSH
// connection again.
func (t *Tunnel) forward(local net.Conn) {
	defer t.wg.Done()
	defer local.Close()
	if !t.track(local, true) {
		return
	}
	defer t.track(local, false)
	ctx, cancel := context.WithTimeout(context.Background(), t.cfg.DialTimeout)
	client, err := t.dial(ctx)
	cancel()
	if err != nil {
		t.cfg.Log.Warn("ssh tunnel: connect", "host", t.cfg.Target.Addr, "err", err)
		return
	}
	remote, err := client.Dial("unix", t.cfg.Target.Socket)
	if err != nil {
		t.cfg.Log.Warn("ssh tunnel: open the remote socket", "host", t.cfg.Target.Addr, "socket", t.cfg.Target.Socket, "err", err)
		// The host refused this one channel (its socket is missing, say):
		// the connection, and the calls in flight on it, are fine. Any
		// other error means the connection is dead.
		var refused *ssh.OpenChannelError
		if !errors.As(err, &refused) {
			t.closeClient()
		}
		return
	}
	defer remote.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(remote, local); done <- struct{}{} }()
	go func() { _, _ = io.Copy(local, remote); done <- struct{}{} }()
	<-done // either side ended: end both
}

// track adds or removes a local connection, so that Close can end them;
// false when the tunnel is closed.
func (t *Tunnel) track(c net.Conn, add bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.closed:
		return false
	default:
	}
	if add {
		t.conns[c] = struct{}{}
	} else {
		delete(t.conns, c)
	}
	return true
}

// Close stops listening, ends every forwarded connection and the SSH
// connection, and removes the local socket.
func (t *Tunnel) Close() error {
	t.mu.Lock()
	select {
	case <-t.closed:
		t.mu.Unlock()
		return nil
	default:
	}
	close(t.closed)
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	err := t.ln.Close()
	t.closeClient()
	t.wg.Wait()
	t.closeClient() // one a dial in progress may have opened meanwhile
	_ = os.Remove(t.cfg.Socket)
	return err
}

// errGotKey ends the handshake of FetchHostKey once the key is known.
var errGotKey = errors.New("got the host key")

// FetchHostKey connects to addr (host:port) only to read the host key it
// offers, its ed25519 one when it has one; it logs in to nothing.
func FetchHostKey(ctx context.Context, addr string, timeout time.Duration) (ssh.PublicKey, error) {
	var got ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User: "podboard-hostkey",
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got = key
			return errGotKey
		},
		HostKeyAlgorithms: preferred,
		Timeout:           timeout,
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ssh to %s: %w", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	_, _, _, err = ssh.NewClientConn(conn, addr, cfg)
	if got == nil {
		return nil, fmt.Errorf("ssh to %s: no host key: %v", addr, err)
	}
	return got, nil
}

// AddKnownHost appends addr's key to the known_hosts file, creating it
// (and its directory) readable by its owner only.
func AddKnownHost(file, addr string, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
