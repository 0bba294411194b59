package lifecycle_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web/webtest"
)

// observed records what the manager tells its Observer.
type observed struct {
	mu          sync.Mutex
	begun       []lifecycle.Job
	ended       []lifecycle.Job
	interrupted []lifecycle.Job
	scans       []lifecycle.ScanReport
}

func (o *observed) OperationBegun(j lifecycle.Job) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.begun = append(o.begun, j)
}

func (o *observed) OperationEnded(j lifecycle.Job) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ended = append(o.ended, j)
}

func (o *observed) OperationInterrupted(j lifecycle.Job) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.interrupted = append(o.interrupted, j)
}

func (o *observed) ScanDone(r lifecycle.ScanReport) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.scans = append(o.scans, r)
}

// ops says each job as "op outcome", sorted: jobs that end at once (a
// kill and the stop it ends) may be reported in either order.
func ops(jobs []lifecycle.Job) []string {
	out := make([]string, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, fmt.Sprintf("%s %s", j.Op, j.Outcome))
	}
	slices.Sort(out)
	return out
}

func TestTheObserverHearsEveryOperationBeginAndEndOnce(t *testing.T) {
	ctx := context.Background()
	do := func(t *testing.T, e *webtest.Env, name string, op lifecycle.Op) {
		t.Helper()
		if _, err := e.Manager.Do(ctx, name, op, "alice"); err != nil {
			t.Fatalf("%s %s: %v", op, name, err)
		}
	}
	tests := []struct {
		name  string
		from  lifecycle.Observed
		cfg   lifecycle.Config
		act   func(t *testing.T, e *webtest.Env)
		begun []string // "op outcome" as OperationBegun sees it: running
		ended []string
	}{
		{
			name:  "a stop that succeeds",
			from:  fake.Running("web"),
			act:   func(t *testing.T, e *webtest.Env) { do(t, e, "web", lifecycle.Stop) },
			begun: []string{"stop running"},
			ended: []string{"stop succeeded"},
		},
		{
			name: "a start Podman refuses",
			from: fake.Exited("web"),
			act: func(t *testing.T, e *webtest.Env) {
				e.Engine.Fail(lifecycle.Start, "web", errors.New("OCI runtime error"))
				do(t, e, "web", lifecycle.Start)
			},
			begun: []string{"start running"},
			ended: []string{"start failed"},
		},
		{
			name: "a restart of a container removed meanwhile",
			from: fake.Running("web"),
			act: func(t *testing.T, e *webtest.Env) {
				e.Engine.Fail(lifecycle.Restart, "web", fmt.Errorf("restart web: %w", lifecycle.ErrNotFound))
				do(t, e, "web", lifecycle.Restart)
			},
			begun: []string{"restart running"},
			ended: []string{"restart failed"},
		},
		{
			name: "a stop whose connection breaks",
			from: fake.Running("web"),
			act: func(t *testing.T, e *webtest.Env) {
				e.Engine.Fail(lifecycle.Stop, "web", fmt.Errorf("stop web: %w: EOF", lifecycle.ErrLost))
				do(t, e, "web", lifecycle.Stop)
			},
			begun: []string{"stop running"},
			ended: []string{"stop lost"},
		},
		{
			name: "a start Podman does not answer in time, then answers late",
			from: fake.Exited("web"),
			cfg:  lifecycle.Config{StartTimeout: 50 * time.Millisecond},
			act: func(t *testing.T, e *webtest.Env) {
				release := e.Hold(lifecycle.Start, "web")
				do(t, e, "web", lifecycle.Start)
				e.WaitIdle() // ended at its deadline
				release()
				if err := e.Manager.WaitAbandoned(ctx); err != nil {
					t.Fatal(err)
				}
			},
			begun: []string{"start running"},
			ended: []string{"start timed-out"},
		},
		{
			name: "a kill during a stop",
			from: fake.Running("web"),
			act: func(t *testing.T, e *webtest.Env) {
				e.Hold(lifecycle.Stop, "web")
				do(t, e, "web", lifecycle.Stop)
				e.WaitCall("stop web")
				do(t, e, "web", lifecycle.Kill)
			},
			begun: []string{"kill running", "stop running"},
			ended: []string{"kill succeeded", "stop force-stopped"},
		},
		{
			name: "a kill Podman refuses",
			from: fake.Running("web"),
			act: func(t *testing.T, e *webtest.Env) {
				e.Engine.Fail(lifecycle.Kill, "web", errors.New("no such process"))
				do(t, e, "web", lifecycle.Kill)
			},
			begun: []string{"kill running"},
			ended: []string{"kill failed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &observed{}
			cfg := tt.cfg
			cfg.Observer = obs
			e := webtest.New(t, webtest.Containers(tt.from), webtest.Config(cfg))
			tt.act(t, e)
			e.WaitIdle()

			obs.mu.Lock()
			defer obs.mu.Unlock()
			if got := ops(obs.begun); !slices.Equal(got, tt.begun) {
				t.Errorf("begun %v, want %v", got, tt.begun)
			}
			if got := ops(obs.ended); !slices.Equal(got, tt.ended) {
				t.Errorf("ended %v, want %v", got, tt.ended)
			}
			if len(obs.interrupted) != 0 {
				t.Errorf("interrupted %v, want none", ops(obs.interrupted))
			}
			stored := map[int64]lifecycle.Job{}
			for _, j := range e.JobsOf("web") {
				stored[j.ID] = j
			}
			for _, j := range obs.ended {
				s, ok := stored[j.ID]
				if j.Container != "web" || j.FinishedAt.IsZero() || j.FinishedAt.Before(j.StartedAt) {
					t.Errorf("ended job %+v: want web's, with its finish time", j)
				}
				if !ok || s.Outcome != j.Outcome || s.Op != j.Op {
					t.Errorf("ended job %d %s %s; the store has %+v", j.ID, j.Op, j.Outcome, s)
				}
			}
		})
	}
}

func TestTheObserverHearsOfJobsAnEarlierProcessLeftRunning(t *testing.T) {
	obs := &observed{}
	e := webtest.New(t, webtest.Containers(fake.Running("btc")), webtest.Config(lifecycle.Config{Observer: obs}))
	beginInStore(t, e, "btc", time.Now().Add(-time.Minute))
	if _, err := e.Manager.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if got := ops(obs.interrupted); !slices.Equal(got, []string{"stop interrupted"}) || obs.interrupted[0].Container != "btc" {
		t.Errorf("interrupted %+v, want btc's stop", obs.interrupted)
	}
	if len(obs.begun)+len(obs.ended) != 0 {
		t.Errorf("begun %v, ended %v: want none, this process ran no job", ops(obs.begun), ops(obs.ended))
	}
}

func TestTheObserverHearsEachScanAndWhetherPodmanAnswered(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		down    error
		ctx     context.Context
		want    int // scans reported
		listed  bool
		failed  bool
		changed bool
	}{
		{name: "a scan that works", ctx: context.Background(), want: 1, listed: true, changed: true},
		{name: "Podman unreachable", down: lifecycle.ErrUnreachable, ctx: context.Background(), want: 1, failed: true},
		{name: "a scan cut short by shutdown", ctx: canceled, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &observed{}
			e := webtest.New(t, webtest.NoScan(), webtest.Containers(fake.Running("web")), webtest.Config(lifecycle.Config{Observer: obs}))
			e.Engine.Down(tt.down)
			_, err := e.Manager.Scan(tt.ctx)
			if (err != nil) != (tt.failed || tt.ctx.Err() != nil) {
				t.Fatalf("scan: %v", err)
			}
			obs.mu.Lock()
			defer obs.mu.Unlock()
			if len(obs.scans) != tt.want {
				t.Fatalf("scans reported %+v, want %d", obs.scans, tt.want)
			}
			if tt.want == 0 {
				return
			}
			r := obs.scans[0]
			if r.Listed != tt.listed || (r.Err != nil) != tt.failed || r.Result.Changed() != tt.changed || r.Took <= 0 {
				t.Errorf("report %+v: want listed %t, failed %t, changed %t, a duration", r, tt.listed, tt.failed, tt.changed)
			}
			if tt.failed && !errors.Is(r.Err, tt.down) {
				t.Errorf("report's error %v, want %v", r.Err, tt.down)
			}
		})
	}
}
