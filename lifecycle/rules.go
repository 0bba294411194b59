package lifecycle

import (
	"fmt"
	"time"
)

// The rules of an operation's life, as pure functions of the row they
// apply to. The store runs them inside its write transaction on the row it
// has just read (see Store), so a rule never decides on a stale row.

// beginRule decides whether op may start on a container now and, if so,
// returns the row it starts with and its job: the transitional state, the
// state to revert to, and the last failure cleared (a new attempt starts).
//
// A kill during the dashboard's own stop or restart is the exception to
// "one operation at a time": it is a job of its own that leaves the row to
// the stop, which ends as Podman's stop returns (next.JobID keeps the
// stop's job, which tells the store not to hand the row to the kill).
func beginRule(op Op, origin string, opts Options, now time.Time) func(Container) (Container, Job, error) {
	return func(c Container) (Container, Job, error) {
		job := Job{
			Container:   c.Name,
			Op:          op,
			PrevState:   c.State,
			Outcome:     JobRunning,
			StartedAt:   now,
			StopTimeout: c.StopTimeout,
			Origin:      origin,
			Signal:      opts.Signal,
		}
		if opts.Timeout != nil {
			job.StopTimeout, job.TimeoutSet = *opts.Timeout, true
		}
		if op == Kill && job.Signal == "" {
			job.Signal = "SIGKILL"
		}
		if c.Busy() {
			if op == Kill && (c.State == Stopping || c.State == Restarting) {
				return c, job, nil
			}
			return c, Job{}, fmt.Errorf("%w: %s is already %s", ErrBusy, c.Name, c.State.Label())
		}
		if !op.AllowedFrom(c.State) {
			return c, Job{}, fmt.Errorf("%w: cannot %s %s while it is %s", ErrState, op, c.Name, c.State)
		}
		next := c
		next.PrevState = c.State
		next.State = op.Transitional()
		next.Error = ""
		next.Waiting = ""
		return next, job, nil
	}
}

// Options are a caller's choices for one operation.
type Options struct {
	// Signal is the signal a kill sends ("" for SIGKILL); see ParseSignal.
	Signal string
	// Timeout overrides the container's stop timeout for a stop or a
	// restart, in seconds; nil keeps the container's own.
	Timeout *int
}

// waitRule settles a container whose operation's outcome is unknown (the
// connection broke, Podman did not answer in time): it stays in its
// transitional state, no longer carried by the job, with why; the next
// successful scan takes Podman's state.
func waitRule(why string) func(Container) (Container, bool) {
	return func(c Container) (Container, bool) {
		c.Waiting = why
		c.JobID, c.PrevState, c.Job = 0, "", nil
		return c, false
	}
}

// succeededRule settles a container whose operation op succeeded at now: it
// takes op's final state. Podman's own timestamps are not known here; the
// next scan brings the exact ones. A container with a healthcheck that
// (re)started has passed no check yet: its health starts over, as Podman's
// does, until the scan brings the first verdict.
func succeededRule(op Op, now time.Time) func(Container) (Container, bool) {
	return func(c Container) (Container, bool) {
		c.State = op.Final()
		c.EngineState = engineStateOf(c.State)
		switch c.State {
		case Running:
			c.StartedAt = now
			if c.Health != "" {
				c.Health = HealthStarting
			}
		case Stopped:
			c.FinishedAt = now
		}
		c.Error, c.Waiting = "", ""
		c.JobID, c.PrevState, c.Job = 0, "", nil
		return c, false
	}
}

// revertRule settles a container whose operation failed or was
// interrupted: it goes back to the state it had before, and keeps msg as
// the reason to show.
func revertRule(msg string) func(Container) (Container, bool) {
	return func(c Container) (Container, bool) {
		if c.PrevState != "" {
			c.State = c.PrevState
		}
		c.Error = msg
		c.JobID, c.PrevState, c.Job = 0, "", nil
		return c, false
	}
}

// removeRule settles a container that disappeared from the engine while
// its operation ran: its row goes.
func removeRule(c Container) (Container, bool) { return c, true }

// clearErrorRule forgets the failure shown on a container; it writes
// nothing when there is none.
func clearErrorRule(c Container) (Container, bool) {
	if c.Error == "" {
		return c, false
	}
	c.Error = ""
	return c, true
}

// engineStateOf is Podman's word for a state the dashboard wrote itself,
// until the next scan brings Podman's own.
func engineStateOf(s State) string {
	switch s {
	case Running:
		return "running"
	case Paused:
		return "paused"
	case Stopped:
		return "exited"
	}
	return ""
}

// ended is j as it ended at now with outcome and msg.
func ended(j Job, outcome JobOutcome, msg string, now time.Time) Job {
	j.Outcome = outcome
	j.Error = msg
	j.FinishedAt = now
	return j
}
