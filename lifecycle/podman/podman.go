// Package podman is the lifecycle engine backed by Podman's REST API
// through the podman v5 bindings. It is the only package that imports them.
package podman

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containers/podman/v5/libpod/define"
	"github.com/containers/podman/v5/pkg/bindings"
	"github.com/containers/podman/v5/pkg/bindings/containers"
	"github.com/containers/podman/v5/pkg/bindings/system"
	"github.com/containers/podman/v5/pkg/domain/entities/types"

	"podboard/lifecycle"
	"podboard/lifecycle/podman/sshtunnel"
)

// Engine talks to one Podman API service.
type Engine struct {
	// uri is the address with its password redacted, for messages; the
	// real one is used only to connect. passwords are the forms of that
	// password, scrubbed from every error the Engine returns.
	uri       string
	passwords []string
	conn      context.Context // carries the bindings' connection

	mu          sync.Mutex
	stopTimeout map[string]int    // container ID → seconds; fixed at creation
	ids         map[string]string // container name → ID, as last listed or inspected

	closeTunnel func() error // ends the SSH tunnel an ssh:// URI is reached through; nil for others
}

var (
	_ lifecycle.Engine  = (*Engine)(nil)
	_ lifecycle.Watcher = (*Engine)(nil)
)

// Connect opens a connection to the Podman API at uri and checks that it
// answers within timeout. Its errors, and the Engine's, name the URI
// without its password.
func Connect(ctx context.Context, uri string, timeout time.Duration) (*Engine, error) {
	e := newEngine(uri, nil)
	type result struct {
		conn context.Context
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// The bindings keep this context for every later call, so it must
		// not carry the connect timeout.
		conn, err := bindings.NewConnection(context.Background(), uri)
		done <- result{conn, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, scrub(fmt.Errorf("%w at %s: %v", lifecycle.ErrUnreachable, e.uri, cleanConnectError(r.err)), e.passwords)
		}
		if c, err := bindings.GetClient(r.conn); err == nil && c.Client != nil {
			next := c.Client.Transport
			if next == nil {
				next = http.DefaultTransport
			}
			c.Client.Transport = onceSent{next}
		}
		e.conn = r.conn
		return e, nil
	case <-time.After(timeout):
		return nil, fmt.Errorf("%w at %s: no answer within %s", lifecycle.ErrUnreachable, e.uri, timeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// SSH is what ConnectSSH needs to reach a Podman over ssh://.
type SSH struct {
	Identity   string // the private key file that logs in
	KnownHosts string // the known_hosts file holding the host's key
	// SocketDir holds the tunnel's local socket; a short one under
	// os.TempDir when empty or too long for a socket path.
	SocketDir string
}

// ConnectSSH reaches the Podman socket of an ssh://user@host[:port]/path
// URI through an SSH tunnel that checks the host key and logs in with the
// identity file only (package sshtunnel); the bindings talk to the
// tunnel's local socket. The Engine's errors name the ssh URI. Close ends
// the tunnel.
func ConnectSSH(ctx context.Context, uri string, s SSH, timeout time.Duration) (*Engine, error) {
	target, err := sshtunnel.ParseTarget(uri)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", lifecycle.ErrInvalid, err)
	}
	if s.Identity == "" {
		return nil, fmt.Errorf("%w: %s needs an identity file (--podman-identity FILE): podboard logs in with a key only", lifecycle.ErrInvalid, Redact(uri))
	}
	// An absolute path: the bindings read unix://data/… as a host.
	dir, err := filepath.Abs(s.SocketDir)
	if s.SocketDir == "" || err != nil {
		dir = ""
	}
	const socketName = "/podman.sock"
	var temp string
	if dir == "" || len(dir)+len(socketName) > 100 {
		if dir, err = os.MkdirTemp("", "podboard-ssh-"); err != nil {
			return nil, err
		}
		temp = dir
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	removeTemp := func() {
		if temp != "" {
			os.RemoveAll(temp)
		}
	}
	t, err := sshtunnel.Open(ctx, sshtunnel.Config{
		Target: target, Identity: s.Identity, KnownHosts: s.KnownHosts,
		Socket: dir + socketName, DialTimeout: timeout,
	})
	if err != nil {
		removeTemp()
		return nil, fmt.Errorf("%w at %s: %w", lifecycle.ErrUnreachable, Redact(uri), err)
	}
	e, err := Connect(ctx, t.URI(), timeout)
	if err != nil {
		t.Close()
		removeTemp()
		return nil, fmt.Errorf("%w at %s: the SSH connection works, but Podman does not answer on %s: %v", lifecycle.ErrUnreachable, Redact(uri), target.Socket, err)
	}
	e.uri = Redact(uri)
	e.closeTunnel = func() error {
		defer removeTemp()
		return t.Close()
	}
	return e, nil
}

// Close ends the engine's SSH tunnel, if any.
func (e *Engine) Close() error {
	if e.closeTunnel == nil {
		return nil
	}
	return e.closeTunnel()
}

// newEngine returns an Engine on the bindings' connection conn to uri.
func newEngine(uri string, conn context.Context) *Engine {
	return &Engine{uri: Redact(uri), passwords: passwordForms(uri), conn: conn,
		stopTimeout: map[string]int{}, ids: map[string]string{}}
}

// URI is the address of the Podman API, its password redacted.
func (e *Engine) URI() string { return e.uri }

// withConn returns ctx (its deadline and cancellation) carrying the
// bindings' connection, and a record of the call's attempts (see
// onceSent).
func (e *Engine) withConn(ctx context.Context) context.Context {
	return connCtx{Context: context.WithValue(ctx, attemptsKey{}, &attempts{}), values: e.conn}
}

// The bindings send a request up to three times when it fails, whatever
// the failure, and return the last error. A stop whose connection broke
// after it was sent (the service died during it) is then sent again, and
// reported as "connection refused", as if nothing had happened. onceSent
// is the bindings' transport wrapped: once an attempt of a call that
// changes something was sent and its connection broke, every later
// attempt fails at once with that attempt's error, so the call is sent
// once and its error says the outcome is unknown. A read (GET) may be
// tried again: it changes nothing.
type onceSent struct{ next http.RoundTripper }

type attemptsKey struct{}

// attempts records the first attempt of a call that broke after it was
// sent.
type attempts struct {
	mu   sync.Mutex
	lost error
}

func (t onceSent) RoundTrip(req *http.Request) (*http.Response, error) {
	a, _ := req.Context().Value(attemptsKey{}).(*attempts)
	if a == nil || req.Method == http.MethodGet || req.Method == http.MethodHead {
		return t.next.RoundTrip(req)
	}
	a.mu.Lock()
	lost := a.lost
	a.mu.Unlock()
	if lost != nil {
		return nil, lost
	}
	resp, err := t.next.RoundTrip(req)
	// A kept-alive connection the service had closed: the request never
	// left, and trying again is safe.
	if err != nil && lostMidCall(err) && !strings.Contains(err.Error(), "server closed idle connection") {
		a.mu.Lock()
		a.lost = err
		a.mu.Unlock()
	}
	return resp, err
}

type connCtx struct {
	context.Context
	values context.Context
}

func (c connCtx) Value(key any) any {
	if v := c.Context.Value(key); v != nil {
		return v
	}
	return c.values.Value(key)
}

// List implements lifecycle.Engine.
func (e *Engine) List(ctx context.Context) ([]lifecycle.Observed, error) {
	all := true
	list, err := await(ctx, func() ([]types.ListContainer, error) {
		return containers.List(e.withConn(ctx), &containers.ListOptions{All: &all})
	})
	if err != nil {
		return nil, e.wrap("list containers", "", err)
	}
	out := make([]lifecycle.Observed, 0, len(list))
	ids := make(map[string]string, len(list))
	defer func() {
		e.mu.Lock()
		e.ids = ids
		e.mu.Unlock()
	}()
	for _, c := range list {
		if len(c.Names) == 0 || c.IsInfra {
			continue
		}
		o := lifecycle.Observed{
			Name:        c.Names[0],
			ID:          c.ID,
			Image:       c.Image,
			EngineState: c.State,
			ExitCode:    int(c.ExitCode),
			CreatedAt:   c.Created.UTC(),
			StartedAt:   unixTime(c.StartedAt),
			FinishedAt:  unixTime(c.ExitedAt),
			// The list's Status is the healthcheck's verdict (podman ps
			// words it as "Up 3 hours (healthy)").
			Health: lifecycle.ParseHealth(c.Status),
		}
		if c.State != "running" && c.State != "paused" {
			// Podman keeps the last start time of a stopped container;
			// the dashboard shows only when it exited.
			o.StartedAt = time.Time{}
		}
		ids[o.Name] = c.ID
		o.StopTimeout = e.knownStopTimeout(c.ID)
		if o.StopTimeout == 0 && timeLeft(ctx) > 2*time.Second {
			// The list does not carry the stop timeout; it never changes
			// for a container, so one inspect per new container is enough.
			if full, err := e.Inspect(ctx, c.ID); err == nil {
				o.StopTimeout = full.StopTimeout
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// await runs call and returns when it does or when ctx ends, whichever
// comes first. After a failed attempt the bindings sleep before the next
// (100, 200 then 300 ms), whatever ctx says: a read bounded by ctx (a
// lookup while Podman hangs, a scan) returns at its deadline instead, and
// the call ends on its own once its attempts are over.
func await[T any](ctx context.Context, call func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := call()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// timeLeft is how long ctx still allows; the stop timeouts of a first scan
// of many containers are filled in over several scans rather than letting
// the inspects make the scan miss its deadline.
func timeLeft(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return time.Hour
}

func unixTime(s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

func (e *Engine) knownStopTimeout(id string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopTimeout[id]
}

// Inspect implements lifecycle.Engine.
func (e *Engine) Inspect(ctx context.Context, name string) (lifecycle.Observed, error) {
	data, err := await(ctx, func() (*define.InspectContainerData, error) {
		return containers.Inspect(e.withConn(ctx), name, nil)
	})
	if err != nil {
		return lifecycle.Observed{}, e.wrap("inspect", name, err)
	}
	o := lifecycle.Observed{
		Name:      strings.TrimPrefix(data.Name, "/"),
		ID:        data.ID,
		Image:     data.ImageName,
		CreatedAt: data.Created.UTC(),
	}
	if data.State != nil {
		o.EngineState = data.State.Status
		o.ExitCode = int(data.State.ExitCode)
		if data.State.Running || data.State.Paused {
			o.StartedAt = data.State.StartedAt.UTC()
		}
		if !data.State.FinishedAt.IsZero() && data.State.FinishedAt.Unix() > 0 {
			o.FinishedAt = data.State.FinishedAt.UTC()
		}
		if data.State.Health != nil {
			o.Health = lifecycle.ParseHealth(data.State.Health.Status)
		}
	}
	if data.Config != nil {
		o.StopTimeout = int(data.Config.StopTimeout)
		e.mu.Lock()
		e.stopTimeout[data.ID] = o.StopTimeout
		e.ids[o.Name] = data.ID
		e.mu.Unlock()
	}
	return o, nil
}

// Stop implements lifecycle.Engine. With a negative timeout none is sent,
// so Podman applies the container's own stop timeout; the HTTP client has
// no timeout either, so a ten-minute shutdown gets its ten minutes.
func (e *Engine) Stop(ctx context.Context, name string, timeout int) error {
	var opts *containers.StopOptions
	if timeout >= 0 {
		t := uint(timeout)
		opts = &containers.StopOptions{Timeout: &t}
	}
	return e.wrap("stop", name, containers.Stop(e.withConn(ctx), name, opts))
}

// Kill implements lifecycle.Engine.
func (e *Engine) Kill(ctx context.Context, name, signal string) error {
	return e.wrap("kill", name, containers.Kill(e.withConn(ctx), name, &containers.KillOptions{Signal: &signal}))
}

// Start implements lifecycle.Engine.
func (e *Engine) Start(ctx context.Context, name string) error {
	return e.wrap("start", name, containers.Start(e.withConn(ctx), name, nil))
}

// Restart implements lifecycle.Engine. Podman's restart endpoint kills the
// container at once when no timeout is given, so the container's own stop
// timeout is passed explicitly: the service gets its SIGTERM and its time to
// shut down cleanly before it starts again.
//
// The timeout is fixed when a container is created. When the scan has seen
// this name, its ID and timeout are known, and the restart is sent to that
// ID, which saves an inspect round trip. Should the name now belong to a
// container created since, the ID is gone, Podman answers 404 and the
// container is inspected by name as when nothing is known: a timeout is
// never applied to a container other than the one it was read from.
//
// A timeout the caller chose (not negative) is sent as it is.
func (e *Engine) Restart(ctx context.Context, name string, timeout int) error {
	if timeout >= 0 {
		return e.restart(ctx, name, name, timeout)
	}
	if id, timeout, ok := e.known(name); ok {
		err := e.restart(ctx, name, id, timeout)
		if !errors.Is(err, lifecycle.ErrNotFound) {
			return err
		}
	}
	o, err := e.Inspect(ctx, name)
	if err != nil {
		return err
	}
	return e.restart(ctx, name, name, o.StopTimeout)
}

func (e *Engine) restart(ctx context.Context, name, nameOrID string, timeout int) error {
	opts := &containers.RestartOptions{Timeout: &timeout}
	return e.wrap("restart", name, containers.Restart(e.withConn(ctx), nameOrID, opts))
}

// known returns the ID the name had at the last list or inspect, and that
// container's stop timeout, when both are known.
func (e *Engine) known(name string) (id string, timeout int, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id = e.ids[name]
	timeout, ok = e.stopTimeout[id]
	return id, timeout, ok && id != "" && timeout > 0
}

// wrap turns a bindings error into one the lifecycle understands, keeping
// Podman's own message for the operator, and scrubs the URI's password
// from its text, which the bindings may have quoted.
func (e *Engine) wrap(what, name string, err error) error {
	if err == nil {
		return nil
	}
	return scrub(e.describe(what, name, err), e.passwords)
}

func (e *Engine) describe(what, name string, err error) error {
	subject := what
	if name != "" {
		subject = what + " " + name
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		msg := podmanMessage(err)
		if coded.Code() == 404 {
			return fmt.Errorf("%w: %s", lifecycle.ErrNotFound, name)
		}
		// Podman's message names the container and says what went wrong;
		// it is what the operator needs to read.
		return errors.New(msg)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", subject, err)
	}
	if lostMidCall(err) {
		// The request went out and the answer never came: Podman may have
		// done the work.
		return fmt.Errorf("%s: %w at %s: %v", subject, lifecycle.ErrLost, e.uri, cleanConnectError(err))
	}
	if isConnError(err) {
		return fmt.Errorf("%s: %w at %s: %v", subject, lifecycle.ErrUnreachable, e.uri, cleanConnectError(err))
	}
	return fmt.Errorf("%s: %w", subject, err)
}

// podmanMessage is Podman's error text, or its status code when it sent none.
func podmanMessage(err error) string {
	if msg := strings.TrimSpace(err.Error()); msg != "" {
		return msg
	}
	var coded interface{ Code() int }
	errors.As(err, &coded)
	return fmt.Sprintf("podman answered with status %d", coded.Code())
}

func isConnError(err error) bool {
	var op *net.OpError
	var ue *url.Error
	return errors.As(err, &op) || errors.As(err, &ue) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		strings.Contains(err.Error(), "EOF")
}

// lostMidCall reports whether err is a connection that broke after the
// request was sent (the server closed or reset it, or answered half), as
// opposed to one that could not be made (refused, no socket), which did
// nothing.
func lostMidCall(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection reset")
}

// cleanConnectError keeps the useful end of a dial error ("connect:
// connection refused", "no such file or directory").
func cleanConnectError(err error) string {
	s := err.Error()
	for _, hint := range []string{"no such file or directory", "connection refused", "permission denied", "connection reset by peer", "EOF"} {
		if strings.Contains(s, hint) {
			return hint
		}
	}
	return s
}

// Watch implements lifecycle.Watcher: it calls changed for every container
// event Podman reports (create, start, died, remove, health_status, …)
// until ctx ends or the stream breaks. Podman writes a stop's event only
// once the stop has finished, so events can only make the scan sooner; the
// transitional state always comes from the click. A health_status event is
// not read for its verdict: Podman 4.3 sends the verdict before the check
// that triggered it, so the scan it triggers reads the current one.
func (e *Engine) Watch(ctx context.Context, changed func()) error {
	events := make(chan types.Event, 64)
	cancel := make(chan bool)
	defer close(cancel)
	stream := true
	opts := &system.EventsOptions{Stream: &stream, Filters: map[string][]string{"type": {"container"}}}
	if err := system.Events(e.withConn(ctx), events, cancel, opts); err != nil {
		return e.wrap("watch events", "", err)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-events:
			if !ok {
				return fmt.Errorf("watch events: %w at %s: the event stream ended", lifecycle.ErrUnreachable, e.uri)
			}
			changed()
		}
	}
}
