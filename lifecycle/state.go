// Package lifecycle owns the container state machine of the dashboard: the
// operations an operator can ask for, the transitional and final states they
// move through, the background jobs that call the engine, the revert on
// failure, the merge rules of the periodic scan and the recovery of jobs that
// an earlier process left behind. Storage, the engine and the live feed are
// interfaces declared here and implemented elsewhere.
package lifecycle

import (
	"fmt"
	"strings"
	"time"
)

// State is the dashboard's word for a container's state. Podman's own word is
// kept next to it (Container.EngineState) because several of Podman's states
// mean the same thing to an operator.
type State string

const (
	Running    State = "running"
	Stopped    State = "stopped"
	Paused     State = "paused"
	Stopping   State = "stopping"
	Starting   State = "starting"
	Restarting State = "restarting"
)

// Transitional reports whether s is a state the dashboard shows while an
// operation is in flight.
func (s State) Transitional() bool {
	return s == Stopping || s == Starting || s == Restarting
}

// InFlight is the operation a transitional state shows running, "" for a
// state that is not transitional. A stop begun outside the dashboard is a
// stop too.
func (s State) InFlight() Op {
	switch s {
	case Stopping:
		return Stop
	case Starting:
		return Start
	case Restarting:
		return Restart
	}
	return ""
}

// Label is the word an operator reads in the state column.
func (s State) Label() string {
	switch s {
	case Running:
		return "Running"
	case Stopped:
		return "Stopped"
	case Paused:
		return "Paused"
	case Stopping:
		return "Stopping…"
	case Starting:
		return "Starting…"
	case Restarting:
		return "Restarting…"
	}
	return string(s)
}

// StateFromEngine maps Podman's container states onto the dashboard's. A
// container that exists but does not run (created, exited, configured,
// stopped) is Stopped to an operator; "stopping" is kept because a stop begun
// outside the dashboard is still a stop in progress.
func StateFromEngine(engineState string) State {
	switch engineState {
	case "running":
		return Running
	case "paused":
		return Paused
	case "stopping":
		return Stopping
	case "removing":
		return Stopping
	default: // created, configured, exited, stopped, unknown
		return Stopped
	}
}

// Op is an operation an operator can start on a container.
type Op string

const (
	Stop    Op = "stop"
	Start   Op = "start"
	Restart Op = "restart"
	// Kill is a force stop: a signal (SIGKILL unless asked otherwise)
	// that ends the service without its clean shutdown.
	Kill Op = "kill"
)

// Ops lists the operations in the order the page offers them.
var Ops = []Op{Start, Stop, Restart, Kill}

// ParseOp turns the operation named in a URL into an Op.
func ParseOp(s string) (Op, error) {
	switch Op(s) {
	case Stop, Start, Restart, Kill:
		return Op(s), nil
	}
	return "", fmt.Errorf("%w: unknown operation %q (want stop, start, restart or kill)", ErrInvalid, s)
}

// Transitional is the state a container shows while op runs, "" for an
// operation this package does not know.
func (op Op) Transitional() State {
	switch op {
	case Stop, Kill:
		return Stopping
	case Start:
		return Starting
	case Restart:
		return Restarting
	}
	return ""
}

// Final is the state a container reaches when op succeeds, "" for an
// operation this package does not know.
func (op Op) Final() State {
	switch op {
	case Stop, Kill:
		return Stopped
	case Start, Restart:
		return Running
	}
	return ""
}

// AllowedFrom reports whether op makes sense for a container in state s.
// The page offers exactly these actions, and the server enforces the same
// rule so a stale page cannot start a nonsensical operation.
func (op Op) AllowedFrom(s State) bool {
	switch op {
	case Stop:
		// Stopping: a stop begun outside podboard, which Podman lets a
		// second stop join.
		return s == Running || s == Paused || s == Stopping
	case Kill:
		// Podman accepts a kill while the container runs, is paused or is
		// stopping; a restart is a stop first.
		return s == Running || s == Paused || s == Stopping || s == Restarting
	case Start:
		return s == Stopped
	case Restart:
		return s == Running
	}
	return false
}

// Upper is the operation's name as incident log lines print it.
func (op Op) Upper() string { return strings.ToUpper(string(op)) }

// Container is the dashboard's record of one container.
type Container struct {
	// Host names the Podman the container runs on (the store's; "local"
	// for a dashboard of one Podman).
	Host        string
	Name        string
	ID          string
	Image       string
	State       State
	EngineState string // Podman's own word: created, running, exited, …
	ExitCode    int
	StartedAt   time.Time
	FinishedAt  time.Time
	CreatedAt   time.Time
	StopTimeout int // seconds; 0 when not known yet

	// Error is the reason the last operation failed, shown until the next
	// operation on this container starts.
	Error string

	// Waiting says why the row waits for Podman to tell the outcome: the
	// connection broke during the call, or Podman did not answer in time.
	// The next successful scan takes Podman's state and clears it.
	Waiting string

	// Health is Podman's verdict of the container's healthcheck: healthy,
	// unhealthy or starting; "" when it has none. Podman keeps the last
	// verdict of a stopped container; HealthNow says what holds now.
	Health string

	// JobID is the operation in flight, 0 when none. PrevState is the state
	// to revert to when that operation fails.
	JobID     int64
	PrevState State
	Job       *Job // the job JobID names, when loaded

	// Version grows with every write; the scan writes only when the row it
	// read is still the current one.
	Version int64
}

// Busy reports whether an operation is in flight on the container.
func (c Container) Busy() bool { return c.JobID != 0 }

// Podman's healthcheck verdicts.
const (
	Healthy   = "healthy"
	Unhealthy = "unhealthy"
	// HealthStarting: the container started and no check has passed yet.
	HealthStarting = "starting"
)

// HealthNow is the container's health as it holds now: its healthcheck's
// verdict while it runs, "" when it has no healthcheck or does not run
// (Podman's verdict of a stopped container is the last one before it
// stopped).
func (c Container) HealthNow() string {
	if c.State != Running && c.State != Paused {
		return ""
	}
	return c.Health
}

// ParseHealth keeps Podman's word for a healthcheck's verdict when it is
// one of the three, "" otherwise (no healthcheck, or a word of a later
// Podman).
func ParseHealth(s string) string {
	switch s {
	case Healthy, Unhealthy, HealthStarting:
		return s
	}
	return ""
}

// JobOutcome records how a job ended.
type JobOutcome string

const (
	JobRunning     JobOutcome = "running"
	JobSucceeded   JobOutcome = "succeeded"
	JobFailed      JobOutcome = "failed"
	JobInterrupted JobOutcome = "interrupted"
	// JobLost: the connection to Podman broke during the call, so the
	// outcome is unknown; the row takes Podman's state at the next scan.
	JobLost JobOutcome = "lost"
	// JobTimedOut: Podman did not answer by the operation's deadline; the
	// call was given up and the row handed back to the scan.
	JobTimedOut JobOutcome = "timed-out"
	// JobForceStopped: a stop (or a restart's stop) ended by a kill.
	JobForceStopped JobOutcome = "force-stopped"
)

// Job is one operation on one container, kept for history and post-mortems.
type Job struct {
	ID          int64
	Host        string // the Podman of the container, as Container.Host
	Container   string
	Op          Op
	PrevState   State
	Outcome     JobOutcome
	Error       string
	StartedAt   time.Time
	FinishedAt  time.Time // zero while running
	StopTimeout int       // seconds, when known: the one this call uses
	Origin      string    // who asked: the user, a token, or the client address
	// Note is what happened besides the outcome: who force-stopped it and
	// when, a late answer of a call given up.
	Note string
	// Signal is the signal of a kill ("SIGKILL"); Timeout the stop
	// timeout a caller chose for this call (TimeoutSet), overriding the
	// container's own. Neither is stored.
	Signal     string
	TimeoutSet bool
}

// Duration is how long the job ran, or has been running by now.
func (j Job) Duration(now time.Time) time.Duration {
	if j.FinishedAt.IsZero() {
		return now.Sub(j.StartedAt)
	}
	return j.FinishedAt.Sub(j.StartedAt)
}
