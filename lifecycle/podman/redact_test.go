package podman

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"podboard/lifecycle"
)

func TestRedactHidesThePasswordOfAURIAndNothingElse(t *testing.T) {
	tests := []struct{ name, uri, want string }{
		{"an ssh URI with a password", "ssh://user:secret@host/run/podman/podman.sock", "ssh://user:xxxxx@host/run/podman/podman.sock"},
		{"port and query are kept", "ssh://core:secret@10.0.0.5:2222/run/user/1000/podman/podman.sock?secure=true",
			"ssh://core:xxxxx@10.0.0.5:2222/run/user/1000/podman/podman.sock?secure=true"},
		{"an escaped password", "ssh://core:p%40ss%2Fw@host/run/podman/podman.sock", "ssh://core:xxxxx@host/run/podman/podman.sock"},
		{"an empty password", "ssh://core:@host/run/podman/podman.sock", "ssh://core:xxxxx@host/run/podman/podman.sock"},
		{"a user without a password", "ssh://core@host:22/run/podman/podman.sock", "ssh://core@host:22/run/podman/podman.sock"},
		{"a unix socket", "unix:///run/podman/podman.sock", "unix:///run/podman/podman.sock"},
		{"a unix socket in Podman's short form", "unix:/run/podman/podman.sock", "unix:/run/podman/podman.sock"},
		{"tcp", "tcp://localhost:8080", "tcp://localhost:8080"},
		{"a URI that does not parse", "ssh://core:secret@host:port/x", "ssh://core:secret@host:port/x"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.uri); got != tt.want {
				t.Fatalf("Redact(%q) = %q, want %q", tt.uri, got, tt.want)
			}
		})
	}
}

// podmanError is an error as the bindings return Podman's answers.
type podmanError struct {
	code int
	msg  string
}

func (e *podmanError) Error() string { return e.msg }
func (e *podmanError) Code() int     { return e.code }

func TestEngineErrorsNeverCarryThePassword(t *testing.T) {
	const uri = "ssh://core:s3cr%40t@host.example:2222/run/podman/podman.sock"
	const shown = "ssh://core:xxxxx@host.example:2222/run/podman/podman.sock"
	e := newEngine(uri, nil)
	if e.URI() != shown {
		t.Fatalf("URI() = %q, want %q", e.URI(), shown)
	}
	tests := []struct {
		name string
		err  error
		want string
		is   error
	}{
		{"Podman's message quoting the URI as written", &podmanError{500, "cannot reach " + uri + ": boom"},
			"cannot reach " + shown + ": boom", nil},
		{"a message with the decoded password", errors.New("ssh: handshake failed for core with s3cr@t"),
			"stop web: ssh: handshake failed for core with xxxxx", nil},
		{"a deadline still matches", fmt.Errorf("dial %s: %w", uri, context.DeadlineExceeded),
			"stop web: dial " + shown + ": " + context.DeadlineExceeded.Error(), context.DeadlineExceeded},
		{"a refused connection names the redacted URI",
			&url.Error{Op: "Post", URL: "http://d/v5.0.0/libpod/containers/web/stop", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}},
			"stop web: podman unreachable at " + shown + ": connection refused", lifecycle.ErrUnreachable},
		{"a missing container", &podmanError{404, "no such container web"}, "no such container: web", lifecycle.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.wrap("stop", "web", tt.err)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("wrap = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr") {
				t.Fatalf("wrap = %q carries the password", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("wrap = %q does not match %v", err, tt.is)
			}
			if errors.Unwrap(err) != nil && strings.Contains(errors.Unwrap(err).Error(), "s3cr") {
				t.Fatalf("wrap = %q unwraps to an error that carries the password", err)
			}
		})
	}
}

func TestEngineErrorsOfAURIWithoutPasswordKeepTheirText(t *testing.T) {
	e := newEngine("unix:///run/podman/podman.sock", nil)
	in := &podmanError{500, "OCI runtime error: xxxxx secret"}
	if err := e.wrap("start", "web", in); err == nil || err.Error() != in.msg {
		t.Fatalf("wrap = %v, want Podman's message %q unchanged", err, in.msg)
	}
}

func TestConnectErrorsNeverCarryThePassword(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "podman.sock")
	tests := []struct{ name, uri, want string }{
		// The bindings accept user information in a unix URI and ignore it.
		{"a missing socket", "unix://core:s3cret@" + sock,
			"podman unreachable at unix://core:xxxxx@" + sock + ": no such file or directory"},
		// The bindings quote a URI they cannot parse in full.
		{"a URI that does not parse", "ssh://core:s3cret@host:port/run/podman/podman.sock", "ssh://core:xxxxx@host:port/run/podman/podman.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Connect(context.Background(), tt.uri, time.Minute)
			if err == nil {
				t.Fatalf("Connect(%q) succeeded", tt.uri)
			}
			t.Logf("Connect: %v", err)
			if !errors.Is(err, lifecycle.ErrUnreachable) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("Connect: %q, want ErrUnreachable naming %q without the password", err, tt.want)
			}
		})
	}
}
