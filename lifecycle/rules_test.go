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
			// A stop begun outside podboard, which a stop may join.
			Stopping: {true, Stopping, Stopped},
		},
		Kill: {
			Running: {true, Stopping, Stopped}, Paused: {true, Stopping, Stopped},
			Stopping: {true, Stopping, Stopped}, Restarting: {true, Stopping, Stopped},
		},
		Start: {
			Stopped: {true, Starting, Running},
		},
		Restart: {
			Running: {true, Restarting, Running},
		},
		// Unknown operations (a typo, an operation of a later version) are
		// never allowed from any state.
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
				cur := Container{Name: "web", State: s, StopTimeout: 600, Error: "old failure", Version: 7, Health: Unhealthy}
				next, job, err := beginRule(op, "10.0.0.1", Options{}, now)(cur)
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
				if got := next.State.InFlight(); got != op && !(op == Kill && got == Stop) {
					t.Errorf("%q shows %q in flight, want %q", next.State, got, op)
				}
				if next.PrevState != s || next.Error != "" {
					t.Errorf("begun row %+v: want prev state %q and the old failure cleared", next, s)
				}
				wantJob := Job{Container: "web", Op: op, PrevState: s, Outcome: JobRunning, StartedAt: now, StopTimeout: 600, Origin: "10.0.0.1"}
				if op == Kill {
					wantJob.Signal = "SIGKILL"
				}
				if job != wantJob {
					t.Errorf("job %+v, want %+v", job, wantJob)
				}
				next.JobID = 1
				done, remove := succeededRule(op, now)(next)
				if remove || done.State != w.final || op.Final() != w.final || done.Busy() || done.PrevState != "" {
					t.Errorf("succeeded: %+v remove=%v, want %q with no job", done, remove, w.final)
				}
				// A container that runs again has passed no healthcheck yet.
				wantHealth := ""
				if w.final == Running {
					wantHealth = HealthStarting
				}
				if got := done.HealthNow(); got != wantHealth {
					t.Errorf("health after success %q, want %q", got, wantHealth)
				}
				// Lost or given up: the outcome is unknown, the row stays
				// transitional, without the job, until the scan.
				wait, remove := waitRule("waiting for Podman")(next)
				if remove || wait.State != w.transitional || wait.Busy() || wait.Waiting == "" || wait.Error != "" {
					t.Errorf("unknown outcome: %+v remove=%v, want %q waiting, with no job and no error", wait, remove, w.transitional)
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
		for _, s := range []State{Running, Starting} {
			cur := Container{Name: "web", State: s, JobID: 3, PrevState: Running}
			if _, _, err := beginRule(op, "", Options{}, time.Now())(cur); !errors.Is(err, ErrBusy) {
				t.Errorf("%s on a busy %s container: %v, want ErrBusy", op, s, err)
			}
		}
	}
	for _, op := range []Op{Stop, Start, Restart} {
		cur := Container{Name: "web", State: Stopping, JobID: 3, PrevState: Running}
		if _, _, err := beginRule(op, "", Options{}, time.Now())(cur); !errors.Is(err, ErrBusy) {
			t.Errorf("%s during the dashboard's stop: %v, want ErrBusy", op, err)
		}
	}
}

// A kill during the dashboard's own stop or restart runs beside it: the
// row stays the stop's (its job, its state), the kill is a job of its own.
func TestAKillDuringAStopOrRestartLeavesTheRowToIt(t *testing.T) {
	for _, s := range []State{Stopping, Restarting} {
		cur := Container{Name: "web", State: s, JobID: 3, PrevState: Running, StopTimeout: 600}
		next, job, err := beginRule(Kill, "alice", Options{Signal: "SIGKILL"}, time.Now())(cur)
		if err != nil {
			t.Fatalf("kill during %s: %v", s, err)
		}
		if next != cur {
			t.Errorf("kill during %s changed the row: %+v", s, next)
		}
		if job.Op != Kill || job.PrevState != s || job.Origin != "alice" || job.Signal != "SIGKILL" {
			t.Errorf("kill job %+v", job)
		}
	}
}

// A (re)started container with a healthcheck has passed no check yet,
// whatever its verdict before; one without a healthcheck gains none; a
// stopped one has no health now, whatever Podman last said.
func TestHealthAfterEachOperation(t *testing.T) {
	tests := []struct {
		op           Op
		from         State
		health, want string // stored before, and HealthNow after
	}{
		{Start, Stopped, Unhealthy, HealthStarting},
		{Start, Stopped, Healthy, HealthStarting},
		{Start, Stopped, "", ""},
		{Restart, Running, Unhealthy, HealthStarting},
		{Restart, Running, Healthy, HealthStarting},
		{Restart, Running, "", ""},
		{Stop, Running, Healthy, ""},
		{Kill, Running, Unhealthy, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.op)+" "+tt.health, func(t *testing.T) {
			cur := Container{Name: "web", State: tt.from, Health: tt.health}
			next, _, err := beginRule(tt.op, "", Options{}, time.Now())(cur)
			if err != nil {
				t.Fatal(err)
			}
			if next.HealthNow() != "" {
				t.Errorf("%s in flight shows health %q", next.State, next.HealthNow())
			}
			next.JobID = 1
			done, _ := succeededRule(tt.op, time.Now())(next)
			if got := done.HealthNow(); got != tt.want {
				t.Errorf("health after %s = %q, want %q", tt.op, got, tt.want)
			}
		})
	}
}

func TestParseHealthKeepsPodmansThreeVerdictsOnly(t *testing.T) {
	for in, want := range map[string]string{
		"healthy": Healthy, "unhealthy": Unhealthy, "starting": HealthStarting,
		"": "", "Up 3 hours": "", "stopped": "", "HEALTHY": "",
	} {
		if got := ParseHealth(in); got != want {
			t.Errorf("ParseHealth(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAnUnknownOutcomeKeepsTheRowTransitionalUntilTheScan(t *testing.T) {
	cur := Container{Name: "web", State: Stopping, JobID: 3, PrevState: Running, Error: ""}
	next, remove := waitRule("connection to Podman lost after 1.6s; waiting for Podman")(cur)
	if remove || next.State != Stopping || next.Busy() || next.PrevState != "" || next.Waiting == "" || next.Error != "" {
		t.Errorf("waiting row %+v", next)
	}
	// The scan takes Podman's word, and the row stops waiting, even when
	// Podman says what the row shows.
	for _, engine := range []string{"exited", "stopping"} {
		w := Merge([]Container{next}, []Observed{{Name: "web", EngineState: engine}})
		if len(w) != 1 || w[0].Container.Waiting != "" || w[0].Container.State != StateFromEngine(engine) {
			t.Errorf("scan saying %s: %+v", engine, w)
		}
	}
}

func TestOptionsFitTheirOperation(t *testing.T) {
	n, big, neg := 30, MaxStopTimeout+1, -1
	tests := []struct {
		op   Op
		o    Options
		okay bool
	}{
		{Kill, Options{Signal: "SIGTERM"}, true},
		{Kill, Options{Signal: "term"}, true},
		{Kill, Options{Signal: "9"}, true},
		{Kill, Options{Signal: "SIGBOGUS"}, false},
		{Kill, Options{Signal: "65"}, false},
		{Stop, Options{Signal: "SIGKILL"}, false},
		{Stop, Options{Timeout: &n}, true},
		{Restart, Options{Timeout: &n}, true},
		{Start, Options{Timeout: &n}, false},
		{Stop, Options{Timeout: &big}, false},
		{Stop, Options{Timeout: &neg}, false},
	}
	for _, tt := range tests {
		if err := tt.o.check(tt.op); (err == nil) != tt.okay || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s %+v: %v, want ok %v", tt.op, tt.o, err, tt.okay)
		}
	}
	if s, _ := ParseSignal("term"); s != "SIGTERM" {
		t.Errorf("ParseSignal(term) = %q", s)
	}
}

func TestParseOpAcceptsExactlyTheKnownOperations(t *testing.T) {
	for _, s := range []string{"stop", "start", "restart", "kill", "Stop", "restart ", "", "../stop"} {
		op, err := ParseOp(s)
		known := s == "stop" || s == "start" || s == "restart" || s == "kill"
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

func (e *recordingEngine) Stop(_ context.Context, n string, _ int) error {
	e.calls = append(e.calls, "stop "+n)
	return nil
}
func (e *recordingEngine) Start(_ context.Context, n string) error {
	e.calls = append(e.calls, "start "+n)
	return nil
}
func (e *recordingEngine) Restart(_ context.Context, n string, _ int) error {
	e.calls = append(e.calls, "restart "+n)
	return nil
}
func (e *recordingEngine) Kill(_ context.Context, n, signal string) error {
	e.calls = append(e.calls, "kill "+n+" "+signal)
	return nil
}

func TestEachOperationMakesItsOwnEngineCallAndAnUnknownOneNone(t *testing.T) {
	for _, tt := range []struct {
		op   Op
		call string
	}{
		{Stop, "stop web"}, {Start, "start web"}, {Restart, "restart web"}, {Kill, "kill web SIGKILL"},
		{"restrat", ""}, {"", ""}, {"KILL", ""},
	} {
		e := &recordingEngine{}
		err := call(context.Background(), e, Job{Op: tt.op, Container: "web", Signal: "SIGKILL"})
		switch {
		case tt.call == "" && (!errors.Is(err, ErrInvalid) || len(e.calls) != 0):
			t.Errorf("op %q: err %v, calls %v; want ErrInvalid and no engine call", tt.op, err, e.calls)
		case tt.call != "" && (err != nil || strings.Join(e.calls, ",") != tt.call):
			t.Errorf("op %q: err %v, calls %v; want exactly %q", tt.op, err, e.calls, tt.call)
		}
	}
}
