package lifecycle

import (
	"context"
	"fmt"
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
	StopTimeout int // seconds; 0 when the engine did not say
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
	Stop(ctx context.Context, name string) error
	Start(ctx context.Context, name string) error
	// Restart must stop gracefully (SIGTERM and the container's own stop
	// timeout) before starting again, never kill outright.
	Restart(ctx context.Context, name string) error
}

// call runs op on the engine. An operation it does not know is an error,
// never a guess: a typo must not restart a production service.
func call(ctx context.Context, e Engine, op Op, name string) error {
	switch op {
	case Stop:
		return e.Stop(ctx, name)
	case Start:
		return e.Start(ctx, name)
	case Restart:
		return e.Restart(ctx, name)
	}
	return fmt.Errorf("%w: no engine call for operation %q", ErrInvalid, op)
}

// Watcher is an engine that reports changes as they happen. The scan stays
// the safety net: events can be lost while the stream reconnects.
type Watcher interface {
	// Watch calls changed for each change until ctx ends or the stream
	// breaks, and returns why it stopped.
	Watch(ctx context.Context, changed func()) error
}
