package lifecycle

import (
	"context"
	"fmt"
	"time"
)

// What an operator reads about one container beyond its row: what Podman's
// inspect says, and its logs. The engine reads them; the lifecycle only
// bounds the calls.

// Details is what Podman's inspect says about one container, in the
// words an operator needs.
type Details struct {
	Name, ID          string
	Image, ImageID    string
	Created, Started  time.Time
	Finished          time.Time // zero while it never ended
	ExitCode          int
	EngineState       string
	RestartPolicy     string // "no", "always", "on-failure (3 retries)"
	RestartCount      int
	StopSignal        string
	StopTimeout       int // seconds
	Command           []string
	Ports             []string // "0.0.0.0:8080 → 80/tcp"
	Mounts            []Mount
	Networks          []string
	Labels            map[string]string
	Health            string // as Observed.Health
	HealthFailStreak  int
	HealthLog         []HealthCheck // oldest first, as Podman keeps them
	HealthcheckConfig []string      // the healthcheck's command, when it has one
}

// Mount is one volume or bind mount of a container.
type Mount struct {
	Type, Source, Destination string
	ReadOnly                  bool
}

// HealthCheck is one run of a container's healthcheck.
type HealthCheck struct {
	Start, End time.Time
	ExitCode   int
	Output     string
}

// Describer is an engine that can describe a container in full.
type Describer interface {
	Details(ctx context.Context, name string) (Details, error)
}

// Log streams, as LogLine.Stream names them.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// LogLine is one line a container wrote.
type LogLine struct {
	Stream string // Stdout or Stderr
	Time   time.Time
	Text   string
}

// LogOptions chooses what Logs reads.
type LogOptions struct {
	// Tail is how many of the last lines to start with; negative for all.
	Tail int
	// Follow keeps reading new lines until the context ends.
	Follow bool
	// Since, when not zero, skips the lines written before it.
	Since time.Time
}

// LogReader is an engine that can read a container's logs. Logs calls
// line for each line, in one goroutine, until the logs end (without
// Follow) or ctx ends; it returns only once it calls line no more.
type LogReader interface {
	Logs(ctx context.Context, name string, opts LogOptions, line func(LogLine)) error
}

// detailsTimeout bounds a container page's inspect (a few milliseconds
// when Podman is well): a hung Podman must not hold the page.
const detailsTimeout = 2 * time.Second

// Details returns what the engine says about the named container.
func (m *Manager) Details(ctx context.Context, name string) (Details, error) {
	if err := ValidateName(name); err != nil {
		return Details{}, err
	}
	d, ok := m.engine.(Describer)
	if !ok {
		return Details{}, fmt.Errorf("%w: this engine cannot describe a container", ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(ctx, detailsTimeout)
	defer cancel()
	out, err := d.Details(ctx, name)
	if ctx.Err() != nil && err != nil {
		return Details{}, fmt.Errorf("%w: Podman did not describe %s within %s", ErrTimeout, name, detailsTimeout)
	}
	return out, err
}

// Logs reads the named container's logs; see LogReader.
func (m *Manager) Logs(ctx context.Context, name string, opts LogOptions, line func(LogLine)) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	r, ok := m.engine.(LogReader)
	if !ok {
		return fmt.Errorf("%w: this engine cannot read logs", ErrInvalid)
	}
	return r.Logs(ctx, name, opts, line)
}
