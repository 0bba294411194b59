package lifecycle

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Observed is what the engine reports about one container.
type Observed struct {
	Name        string
	ID          string
	Image       string
	EngineState string
	ExitCode    int
	CreatedAt   time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	StopTimeout int    // seconds; 0 when the engine did not say
	Health      string // healthy, unhealthy or starting; "" without a healthcheck
}

// Engine is the container engine as the lifecycle needs it. Every call
// blocks until the engine has finished: Stop returns only when the container
// has stopped, however long its own stop timeout lets it take. Callers bound
// calls with the context; a job passes one without a deadline.
//
// Implementations wrap ErrNotFound when the container does not exist and
// ErrUnreachable when the engine cannot be reached.
type Engine interface {
	List(ctx context.Context) ([]Observed, error)
	Inspect(ctx context.Context, name string) (Observed, error)
	// Stop stops with SIGTERM and kills after timeout seconds; a negative
	// timeout leaves the container's own stop timeout in force.
	Stop(ctx context.Context, name string, timeout int) error
	Start(ctx context.Context, name string) error
	// Restart must stop gracefully (SIGTERM and the stop timeout: the
	// container's own when timeout is negative) before starting again,
	// never kill outright.
	Restart(ctx context.Context, name string, timeout int) error
	// Kill sends signal ("SIGKILL") to the container's main process. The
	// engine accepts it while the container runs, is paused or stops.
	Kill(ctx context.Context, name, signal string) error
}

// call runs job's operation on the engine. An operation it does not know
// is an error, never a guess: a typo must not restart a production
// service.
func call(ctx context.Context, e Engine, job Job) error {
	timeout := -1
	if job.TimeoutSet {
		timeout = job.StopTimeout
	}
	switch job.Op {
	case Stop:
		return e.Stop(ctx, job.Container, timeout)
	case Start:
		return e.Start(ctx, job.Container)
	case Restart:
		return e.Restart(ctx, job.Container, timeout)
	case Kill:
		return e.Kill(ctx, job.Container, job.Signal)
	}
	return fmt.Errorf("%w: no engine call for operation %q", ErrInvalid, job.Op)
}

// signals are the signals a kill may send, by name: the ones services
// are commonly asked to handle.
var signals = map[string]bool{
	"SIGKILL": true, "SIGTERM": true, "SIGINT": true, "SIGQUIT": true, "SIGHUP": true,
	"SIGUSR1": true, "SIGUSR2": true, "SIGWINCH": true, "SIGSTOP": true, "SIGCONT": true,
}

// ParseSignal reads a kill's signal: a name with or without "SIG", any
// case ("kill", "SIGTERM"), or a number from 1 to 64.
func ParseSignal(s string) (string, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return "", fmt.Errorf("%w: signal %d: want 1 to 64", ErrInvalid, n)
		}
		return strconv.Itoa(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if !signals[name] {
		return "", fmt.Errorf("%w: unknown signal %q (want SIGKILL, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, … or a number)", ErrInvalid, s)
	}
	return name, nil
}

// MaxStopTimeout bounds a stop timeout a caller may choose: a day.
const MaxStopTimeout = 86400

// check validates the options for op.
func (o Options) check(op Op) error {
	if o.Signal != "" {
		if op != Kill {
			return fmt.Errorf("%w: a signal is for kill, not %s", ErrInvalid, op)
		}
		if _, err := ParseSignal(o.Signal); err != nil {
			return err
		}
	}
	if o.Timeout != nil {
		if op != Stop && op != Restart {
			return fmt.Errorf("%w: a timeout is for stop and restart, not %s", ErrInvalid, op)
		}
		if *o.Timeout < 0 || *o.Timeout > MaxStopTimeout {
			return fmt.Errorf("%w: timeout %d s: want 0 to %d seconds", ErrInvalid, *o.Timeout, MaxStopTimeout)
		}
	}
	return nil
}

// Watcher is an engine that reports changes as they happen. The scan stays
// the safety net: events can be lost while the stream reconnects.
type Watcher interface {
	// Watch calls changed for each change until ctx ends or the stream
	// breaks, and returns why it stopped.
	Watch(ctx context.Context, changed func()) error
}
