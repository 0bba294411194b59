package podman_test

// Redial, the engine of a host that may be down: until Keep connects,
// every call fails at once with lifecycle.ErrUnreachable and the last
// attempt's reason, and the event and stats streams wait; Keep tries
// again until the dial works. The failing side runs over dial functions
// that fail; the connecting one over the package's shared Podman service.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/podman"
	"podboard/lifecycle/podman/sshtunnel"
)

// redialWait bounds every wait of these tests: each ends as soon as what
// it waits for happens, and only a broken Redial reaches it.
const redialWait = 30 * time.Second

// lockedLog is a log Keep writes from its goroutine while the test reads.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *lockedLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// failing is a dial that fails with err, counting its attempts.
func failing(err error, attempts *atomic.Int32) func(context.Context) (*podman.Engine, error) {
	return func(ctx context.Context) (*podman.Engine, error) {
		attempts.Add(1)
		return nil, err
	}
}

// keep runs r.Keep until the test ends, and returns the channel closed
// when Keep returns and the function that ends it.
func keep(t *testing.T, r *podman.Redial) (done <-chan struct{}, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan struct{})
	go func() { r.Keep(ctx); close(ch) }()
	stop = func() {
		cancel()
		<-ch
	}
	t.Cleanup(stop)
	return ch, stop
}

// await fails the test unless ch is closed within redialWait.
func await(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(redialWait):
		t.Fatalf("%s: not within %s", what, redialWait)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// redialCalls are the calls of a Redial that answer at once, each as the
// dashboard makes it.
var redialCalls = []struct {
	name string
	call func(context.Context, *podman.Redial) error
}{
	{"List", func(ctx context.Context, r *podman.Redial) error { _, err := r.List(ctx); return err }},
	{"Inspect", func(ctx context.Context, r *podman.Redial) error { _, err := r.Inspect(ctx, "web"); return err }},
	{"Stop", func(ctx context.Context, r *podman.Redial) error { return r.Stop(ctx, "web", 10) }},
	{"Start", func(ctx context.Context, r *podman.Redial) error { return r.Start(ctx, "web") }},
	{"Restart", func(ctx context.Context, r *podman.Redial) error { return r.Restart(ctx, "web", 10) }},
	{"Kill", func(ctx context.Context, r *podman.Redial) error { return r.Kill(ctx, "web", "SIGKILL") }},
	{"Details", func(ctx context.Context, r *podman.Redial) error { _, err := r.Details(ctx, "web"); return err }},
	{"Logs", func(ctx context.Context, r *podman.Redial) error {
		return r.Logs(ctx, "web", lifecycle.LogOptions{Tail: -1, Follow: true}, func(lifecycle.LogLine) {})
	}},
}

func TestRedialFailsEveryCallAtOnceWithTheLastAttemptsReasonUntilConnected(t *testing.T) {
	refused := errors.New("dial unix /run/podman/podman.sock: connect: connection refused")
	unreachable := fmt.Errorf("%w at unix:///run/podman/podman.sock: no answer within 10s", lifecycle.ErrUnreachable)
	for _, tt := range []struct {
		name    string
		dialErr error // nil: Keep never ran
		want    string
	}{
		{"before any attempt", nil, "podman unreachable at tcp://core:xxxxx@nas.lan:8888: not connected yet"},
		{"after an attempt that failed", refused, "podman unreachable: " + refused.Error()},
		{"after an attempt whose error says unreachable itself", unreachable, unreachable.Error()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dialErr := tt.dialErr
			if dialErr == nil {
				dialErr = errors.New("never dialled")
			}
			var attempts atomic.Int32
			r := podman.NewRedial("tcp://core:s3cret@nas.lan:8888", failing(dialErr, &attempts), slog.New(slog.DiscardHandler))
			if tt.dialErr != nil {
				_, stop := keep(t, r)
				await(t, "the first attempt", r.Tried())
				stop()
			}
			// An ended context: a call that waited for the connection
			// would say so instead of failing with the reason.
			ended, cancel := context.WithCancel(context.Background())
			cancel()
			for _, c := range redialCalls {
				for _, ctx := range []context.Context{context.Background(), ended} {
					err := c.call(ctx, r)
					if !errors.Is(err, lifecycle.ErrUnreachable) || err.Error() != tt.want {
						t.Errorf("%s = %v, want ErrUnreachable saying %q", c.name, err, tt.want)
					}
					if tt.dialErr != nil && !errors.Is(err, tt.dialErr) {
						t.Errorf("%s = %v, which does not wrap the dial's error", c.name, err)
					}
					if strings.Contains(fmt.Sprint(err), "s3cret") {
						t.Errorf("%s shows the password: %v", c.name, err)
					}
				}
			}
			if r.URI() != "tcp://core:xxxxx@nas.lan:8888" {
				t.Errorf("URI() = %q, want the password redacted", r.URI())
			}
		})
	}
}

func TestRedialTriedClosesOnceTheFirstAttemptHasEnded(t *testing.T) {
	release := make(chan error)
	var attempts atomic.Int32
	r := podman.NewRedial("unix:///x.sock", func(ctx context.Context) (*podman.Engine, error) {
		attempts.Add(1)
		select {
		case err := <-release:
			return nil, err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}, slog.New(slog.DiscardHandler))
	if isClosed(r.Tried()) {
		t.Fatal("Tried is closed before Keep ran")
	}
	keep(t, r)
	release <- errors.New("connection refused") // the first attempt is under way until now
	await(t, "Tried after the first attempt failed", r.Tried())
	if _, err := r.List(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("List once Tried is closed: %v, want the first attempt's reason", err)
	}
	if n := attempts.Load(); n != 1 {
		t.Errorf("%d attempts when Tried closed, want 1", n)
	}
}

func TestRedialTriedClosesWhenKeepEndsBeforeAnyAttemptEnded(t *testing.T) {
	r := podman.NewRedial("unix:///x.sock", func(ctx context.Context) (*podman.Engine, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Keep(ctx) // returns: its context has ended
	if !isClosed(r.Tried()) {
		t.Fatal("Tried is still open after Keep returned")
	}
	// The attempt cut short by the context is no reason of the host's.
	if _, err := r.List(context.Background()); err == nil || err.Error() != "podman unreachable at unix:///x.sock: not connected yet" {
		t.Fatalf("List = %v, want not connected yet", err)
	}
}

func TestRedialStreamsWaitForTheConnectionAndEndWithTheirContext(t *testing.T) {
	streams := []struct {
		name string
		run  func(ctx context.Context, r *podman.Redial, heard func()) error
	}{
		{"Watch", func(ctx context.Context, r *podman.Redial, heard func()) error { return r.Watch(ctx, heard) }},
		{"Stats", func(ctx context.Context, r *podman.Redial, heard func()) error {
			return r.Stats(ctx, time.Second, func([]lifecycle.Usage) { heard() })
		}},
	}
	for _, s := range streams {
		for _, tt := range []struct {
			name   string
			failed bool // an attempt failed before the stream began
			ctx    func() (context.Context, context.CancelFunc)
			want   error
		}{
			{"cancelled", false, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, context.Canceled},
			{"cancelled after a failed attempt", true, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, context.Canceled},
			{"past its deadline", true, func() (context.Context, context.CancelFunc) {
				return context.WithDeadline(context.Background(), time.Unix(0, 0))
			}, context.DeadlineExceeded},
		} {
			t.Run(s.name+" "+tt.name, func(t *testing.T) {
				var attempts atomic.Int32
				r := podman.NewRedial("unix:///x.sock", failing(errors.New("connection refused"), &attempts), slog.New(slog.DiscardHandler))
				if tt.failed {
					_, stop := keep(t, r)
					await(t, "the first attempt", r.Tried())
					stop()
				}
				ctx, cancel := tt.ctx()
				defer cancel()
				var heard atomic.Int32
				ended := make(chan error, 1)
				go func() { ended <- s.run(ctx, r, func() { heard.Add(1) }) }()
				cancel() // while it waits, or before it began: the same answer
				select {
				case err := <-ended:
					if err != tt.want {
						t.Fatalf("%s = %v, want %v: it must wait for the connection, not fail with the reason", s.name, err, tt.want)
					}
				case <-time.After(redialWait):
					t.Fatalf("%s did not return once its context ended", s.name)
				}
				if n := heard.Load(); n != 0 {
					t.Errorf("%s called back %d times without a connection", s.name, n)
				}
			})
		}
	}
}

func TestRedialLogsEachReasonWithTheDelayBeforeTheNextAttempt(t *testing.T) {
	for _, tt := range []struct {
		name  string
		err   error
		level string
	}{
		{"a refused connection is a warning", errors.New("connection refused"), "level=WARN"},
		{"an unknown host key is an error", fmt.Errorf("nas.lan:22: %w: add it with podboard hostkey add", sshtunnel.ErrUnknownHostKey), "level=ERROR"},
		{"a changed host key is an error", fmt.Errorf("nas.lan:22: %w", sshtunnel.ErrHostKeyChanged), "level=ERROR"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var log lockedLog
			var attempts atomic.Int32
			r := podman.NewRedial("ssh://core:s3cret@nas.lan/run/podman/podman.sock", failing(tt.err, &attempts), log.logger())
			_, stop := keep(t, r)
			await(t, "the first attempt", r.Tried())
			stop()
			out := log.String()
			for _, want := range []string{tt.level, `msg="Podman not reached; trying again"`, "podman=ssh://core:xxxxx@nas.lan/run/podman/podman.sock", "retry_in=1s"} {
				if !strings.Contains(out, want) {
					t.Errorf("the log lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "s3cret") {
				t.Errorf("the log shows the password:\n%s", out)
			}
			if n := strings.Count(out, "Podman not reached"); n != 1 {
				t.Errorf("%d lines for one failed attempt, want 1:\n%s", n, out)
			}
			if _, err := r.List(context.Background()); !errors.Is(err, tt.err) {
				t.Errorf("List = %v, want the attempt's error", err)
			}
		})
	}
}

func TestRedialCloseBeforeAnyConnectionIsHarmless(t *testing.T) {
	var attempts atomic.Int32
	r := podman.NewRedial("unix:///x.sock", failing(errors.New("connection refused"), &attempts), slog.New(slog.DiscardHandler))
	for range 2 {
		if err := r.Close(); err != nil {
			t.Fatalf("Close of a Redial never connected: %v", err)
		}
	}
	if _, err := r.List(context.Background()); !errors.Is(err, lifecycle.ErrUnreachable) {
		t.Fatalf("List after Close: %v, want ErrUnreachable", err)
	}
}

// On the shared service: a dial that fails once, then connects. Keep tries
// again after its first delay (1 s), the calls reach Podman from then on,
// and Watch, which waited, asks for a scan at once.
func TestRedialKeepsTryingUntilTheDialWorksThenCallsReachPodman(t *testing.T) {
	svc := service(t)
	var log lockedLog
	var attempts atomic.Int32
	r := podman.NewRedial(svc.URI, func(ctx context.Context) (*podman.Engine, error) {
		if attempts.Add(1) == 1 {
			return nil, errors.New("connection refused")
		}
		return podman.Connect(ctx, svc.URI, redialWait)
	}, log.logger())
	t.Cleanup(func() { r.Close() })

	watchCtx, endWatch := context.WithCancel(context.Background())
	defer endWatch()
	var once sync.Once
	scanned := make(chan struct{})
	watched := make(chan error, 1)
	go func() { watched <- r.Watch(watchCtx, func() { once.Do(func() { close(scanned) }) }) }()

	done, _ := keep(t, r)
	await(t, "the first attempt", r.Tried())
	await(t, "Watch's first scan once connected", scanned)
	await(t, "Keep returning once connected", done)
	if n := attempts.Load(); n != 2 {
		t.Errorf("%d attempts, want 2: one refused, one that connected", n)
	}
	if _, err := r.List(opContext(t)); err != nil {
		t.Fatalf("List once connected: %v", err)
	}
	if _, err := r.Inspect(opContext(t), "redial-nobody"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("Inspect of a container Podman does not have: %v, want Podman's ErrNotFound", err)
	}
	endWatch()
	select {
	case err := <-watched:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Watch ended with %v, want its context's error", err)
		}
	case <-time.After(redialWait):
		t.Fatal("Watch did not end with its context")
	}
	out := log.String()
	for _, want := range []string{"retry_in=1s", `msg="connected to Podman"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}

// A Redial closed before its dial worked closes the connection it gets,
// and its calls go on failing: the dashboard is shutting down.
func TestRedialClosedBeforeConnectingDropsTheConnectionItGets(t *testing.T) {
	svc := service(t)
	var attempts atomic.Int32
	r := podman.NewRedial(svc.URI, func(ctx context.Context) (*podman.Engine, error) {
		attempts.Add(1)
		return podman.Connect(ctx, svc.URI, redialWait)
	}, slog.New(slog.DiscardHandler))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	done, _ := keep(t, r)
	await(t, "Keep returning", done)
	if !isClosed(r.Tried()) {
		t.Error("Tried is open after Keep returned")
	}
	if n := attempts.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
	if _, err := r.List(context.Background()); !errors.Is(err, lifecycle.ErrUnreachable) {
		t.Errorf("List of a Redial closed before it connected: %v, want ErrUnreachable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Watch(ctx, func() { t.Error("Watch asked for a scan without a connection") }); err != context.Canceled {
		t.Errorf("Watch = %v, want it to wait for a connection that never comes", err)
	}
}
