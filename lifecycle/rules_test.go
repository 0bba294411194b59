package lifecycle

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Every (state, operation) pair: whether the operation may start, the
// state it shows while it runs and the state it ends in.
func TestEveryStateAndOperationPair(t *testing.T) {
	type want struct {
		allowed      bool
		transitional State
		final        State
	}
	states := []State{Running, Stopped, Paused, Stopping, Starting, Restarting}
	tests := map[Op]map[State]want{
		Stop: {
			Running: {true, Stopping, Stopped}, Paused: {true, Stopping, Stopped},
		},
		Start: {
			Stopped: {true, Starting, Running},
		},
		Restart: {
			Running: {true, Restarting, Running},
		},
		// Unknown operations (a typo, an operation of a later version) are
		// never allowed from any state.
		"kill":     {},
		"restrat":  {},
		"":         {},
		"STOP":     {},
		"dismiss":  {},
		"stop; rm": {},
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for op, byState := range tests {
		for _, s := range states {
			w := byState[s]
			t.Run(string(op)+" from "+string(s), func(t *testing.T) {
				if got := op.AllowedFrom(s); got != w.allowed {
					t.Fatalf("AllowedFrom = %v, want %v", got, w.allowed)
				}
				cur := Container{Name: "web", State: s, StopTimeout: 600, Error: "old failure", Version: 7}
				next, job, err := beginRule(op, "10.0.0.1", now)(cur)
				if !w.allowed {
					if !errors.Is(err, ErrState) || next != cur {
						t.Fatalf("begin = %+v, %v; want ErrState and the row unchanged", next, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if next.State != w.transitional || op.Transitional() != w.transitional || !next.State.Transitional() {
					t.Errorf("transitional state %q, want %q", next.State, w.transitional)
				}
				if got := next.State.InFlight(); got != op {
					t.Errorf("%q shows %q in flight, want %q", next.State, got, op)
				}
				if next.PrevState != s || next.Error != "" {
					t.Errorf("begun row %+v: want prev state %q and the old failure cleared", next, s)
				}
				wantJob := Job{Container: "web", Op: op, PrevState: s, Outcome: JobRunning, StartedAt: now, StopTimeout: 600, Origin: "10.0.0.1"}
				if job != wantJob {
					t.Errorf("job %+v, want %+v", job, wantJob)
				}
				next.JobID = 1
				done, remove := succeededRule(op, now)(next)
				if remove || done.State != w.final || op.Final() != w.final || done.Busy() || done.PrevState != "" {
					t.Errorf("succeeded: %+v remove=%v, want %q with no job", done, remove, w.final)
				}
				back, remove := revertRule("podman said no")(next)
				if remove || back.State != s || back.Error != "podman said no" || back.Busy() {
					t.Errorf("reverted: %+v remove=%v, want %q with the reason and no job", back, remove, s)
				}
			})
		}
	}
}

func TestOnlyTransitionalStatesHaveAnOperationInFlight(t *testing.T) {
	for _, s := range []State{Running, Stopped, Paused, ""} {
		if op := s.InFlight(); op != "" {
			t.Errorf("%q shows %q in flight, want none", s, op)
		}
	}
}

func TestAnOperationOnABusyContainerIsRefusedWhateverItsState(t *testing.T) {
	for _, op := range Ops {
		cur := Container{Name: "web", State: Running, JobID: 3, PrevState: Running}
		if _, _, err := beginRule(op, "", time.Now())(cur); !errors.Is(err, ErrBusy) {
			t.Errorf("%s on a busy container: %v, want ErrBusy", op, err)
		}
	}
}

func TestParseOpAcceptsExactlyTheKnownOperations(t *testing.T) {
	for _, s := range []string{"stop", "start", "restart", "kill", "Stop", "restart ", "", "../stop"} {
		op, err := ParseOp(s)
		known := s == "stop" || s == "start" || s == "restart"
		if known != (err == nil) || known && string(op) != s {
			t.Errorf("ParseOp(%q) = %q, %v", s, op, err)
		}
		if !known && !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseOp(%q): %v, want ErrInvalid", s, err)
		}
	}
}

// Podman's words for a container's state, as its API reports them, and the
// one the dashboard shows.
func TestEveryEngineStateMapsToTheDashboardsState(t *testing.T) {
	for engine, want := range map[string]State{
		"running":     Running,
		"paused":      Paused,
		"stopping":    Stopping,
		"removing":    Stopping,
		"created":     Stopped,
		"configured":  Stopped,
		"initialized": Stopped,
		"exited":      Stopped,
		"stopped":     Stopped,
		"dead":        Stopped,
		"unknown":     Stopped,
		"":            Stopped,
	} {
		if got := StateFromEngine(engine); got != want {
			t.Errorf("StateFromEngine(%q) = %q, want %q", engine, got, want)
		}
	}
}

// recordingEngine remembers which call it received.
type recordingEngine struct {
	Engine
	calls []string
}

func (e *recordingEngine) Stop(_ context.Context, n string) error {
	e.calls = append(e.calls, "stop "+n)
	return nil
}
func (e *recordingEngine) Start(_ context.Context, n string) error {
	e.calls = append(e.calls, "start "+n)
	return nil
}
func (e *recordingEngine) Restart(_ context.Context, n string) error {
	e.calls = append(e.calls, "restart "+n)
	return nil
}

func TestEachOperationMakesItsOwnEngineCallAndAnUnknownOneNone(t *testing.T) {
	for _, tt := range []struct {
		op   Op
		call string
	}{
		{Stop, "stop web"}, {Start, "start web"}, {Restart, "restart web"},
		{"kill", ""}, {"restrat", ""}, {"", ""},
	} {
		e := &recordingEngine{}
		err := call(context.Background(), e, tt.op, "web")
		switch {
		case tt.call == "" && (!errors.Is(err, ErrInvalid) || len(e.calls) != 0):
			t.Errorf("op %q: err %v, calls %v; want ErrInvalid and no engine call", tt.op, err, e.calls)
		case tt.call != "" && (err != nil || strings.Join(e.calls, ",") != tt.call):
			t.Errorf("op %q: err %v, calls %v; want exactly %q", tt.op, err, e.calls, tt.call)
		}
	}
}
