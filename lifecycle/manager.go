package lifecycle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// Manager runs operations on containers: it writes the transitional state,
// starts the engine call in the background, and writes the final or reverted
// state when the call returns. It also runs the scan and the start-up
// recovery, so every write to a container's state goes through it.
//
// It holds no lock of its own: each decision runs inside the store's write
// transaction on the row just read (see Store), and each stored write
// carries a sequence number (Event.Seq) with which the notifier delivers
// one container's changes in the order they were stored, whatever order
// the goroutines that made them announce them in.
type Manager struct {
	store  Store
	engine Engine
	notify Notifier
	log    *slog.Logger
	incid  *IncidentLog
	now    func() time.Time

	observe Observer // told of operations and scans, for metrics

	host  string // the host this manager runs (Config.Host)
	named bool   // incident lines and logs name the host

	lookupTimeout time.Duration
	scanTimeout   time.Duration
	opGrace       time.Duration
	startTimeout  time.Duration

	scanErr   atomic.Pointer[scanFailure]
	scanned   chan struct{} // closed when the first scan has ended
	scanOnce  sync.Once
	healthSeq atomic.Int64
	usage     usage

	jobs      sync.WaitGroup
	abandoned sync.WaitGroup // calls given up, whose late answer is awaited
	running   sync.Map       // job ID → Job, the jobs this process runs
	forced    sync.Map       // stop or restart job ID → forced, while a kill ends it
	launch    launcher
}

// forced is a kill begun during a stop or a restart.
type forced struct {
	kill int64 // the kill's job
	by   string
	at   time.Time
}

// Config holds a Manager's dependencies.
type Config struct {
	Store    Store
	Engine   Engine
	Notifier Notifier     // nil: no live updates
	Observer Observer     // nil: nothing measured
	Incident *IncidentLog // nil: no incident log
	Logger   *slog.Logger // nil: slog.Default()
	Now      func() time.Time

	// Host names the Podman host this manager runs, as the store keys its
	// rows; "" is DefaultHost. Named says the dashboard has several: the
	// incident lines and the log lines then name the host.
	Host  string
	Named bool

	// LookupTimeout bounds the engine call made when an operation names a
	// container the dashboard has not scanned yet, which the operator's
	// click waits for. Default 900 ms.
	LookupTimeout time.Duration
	// ScanTimeout bounds each engine call of a scan. Default 10 s.
	ScanTimeout time.Duration
	// OpGrace is how long past a stop's timeout (when Podman kills the
	// container) the dashboard waits for Podman's answer before giving the
	// call up. Default 60 s.
	OpGrace time.Duration
	// StartTimeout is how long a start may take. Default 120 s.
	StartTimeout time.Duration
}

// NewManager returns a Manager using cfg.
func NewManager(cfg Config) *Manager {
	m := &Manager{
		store:         cfg.Store,
		engine:        cfg.Engine,
		notify:        cfg.Notifier,
		observe:       cfg.Observer,
		log:           cfg.Logger,
		incid:         cfg.Incident,
		now:           cfg.Now,
		lookupTimeout: cfg.LookupTimeout,
		scanTimeout:   cfg.ScanTimeout,
		opGrace:       cfg.OpGrace,
		startTimeout:  cfg.StartTimeout,
		host:          cmp.Or(cfg.Host, DefaultHost),
		scanned:       make(chan struct{}),
		named:         cfg.Named,
	}
	if m.notify == nil {
		m.notify = NotifierFunc(func(Event) {})
	}
	if m.observe == nil {
		m.observe = nopObserver{}
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.named {
		m.log = m.log.With("host", m.host)
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.lookupTimeout <= 0 {
		m.lookupTimeout = 900 * time.Millisecond
	}
	if m.opGrace <= 0 {
		m.opGrace = 60 * time.Second
	}
	if m.startTimeout <= 0 {
		m.startTimeout = 120 * time.Second
	}
	if m.scanTimeout <= 0 {
		m.scanTimeout = 10 * time.Second
	}
	m.launch = launcher{quiet: launchQuiet, maxWait: launchMaxWait}
	return m
}

// validName is Podman's rule for container names.
var validName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// ValidateName rejects names Podman could never have given a container.
func ValidateName(name string) error {
	if len(name) > 253 || !validName.MatchString(name) {
		return fmt.Errorf("%w: %q is not a valid container name", ErrInvalid, name)
	}
	return nil
}

// An engine call starts once no other operation is being begun for
// launchQuiet, and at the latest launchMaxWait after it was asked to: a
// burst of clicks is answered before Podman gets busy with it.
const (
	launchQuiet   = 2 * time.Millisecond
	launchMaxWait = 100 * time.Millisecond
)

// Do starts op on the named container and returns as soon as the
// transitional state is stored and announced; the engine call runs in the
// background for as long as it takes. origin says who asked (for history).
// See Begin for the errors.
func (m *Manager) Do(ctx context.Context, name string, op Op, origin string) (Container, error) {
	c, run, err := m.Begin(ctx, name, op, origin)
	if err != nil {
		return c, err
	}
	run()
	return c, nil
}

// Begin stores and announces the transitional state of op on the named
// container and returns run, which starts the engine call in the
// background. A handler answers the operator first and calls run after:
// the engine's work (Podman and its runtime busy on earlier clicks) then
// never competes with the answer. run must be called exactly once when
// err is nil (further calls do nothing); until it is, Wait waits for it.
//
// Errors: ErrInvalid (bad name, unknown operation), ErrState (an op the
// state does not allow) and ErrBusy (an operation is already running) —
// with both of these the current container is returned too —,
// ErrNotFound, and ErrUnreachable or ErrTimeout when the container was not
// scanned yet and the engine could not be asked about it.
func (m *Manager) Begin(ctx context.Context, name string, op Op, origin string) (c Container, run func(), err error) {
	return m.BeginWith(ctx, name, op, origin, Options{})
}

// BeginWith is Begin with the caller's options: a kill's signal, a stop
// timeout for this call.
func (m *Manager) BeginWith(ctx context.Context, name string, op Op, origin string, opts Options) (c Container, run func(), err error) {
	if err := ValidateName(name); err != nil {
		return Container{}, nil, err
	}
	if op.Transitional() == "" {
		return Container{}, nil, fmt.Errorf("%w: unknown operation %q", ErrInvalid, op)
	}
	if err := opts.check(op); err != nil {
		return Container{}, nil, err
	}
	if opts.Signal != "" {
		opts.Signal, _ = ParseSignal(opts.Signal)
	}
	m.launch.enter()
	c, job, err := m.begin(ctx, name, op, origin, opts)
	if err != nil {
		m.launch.leave(nil)
		return c, nil, err
	}
	var once sync.Once
	return c, func() { once.Do(func() { m.launch.leave(func() { m.run(job) }) }) }, nil
}

func (m *Manager) begin(ctx context.Context, name string, op Op, origin string, opts Options) (Container, Job, error) {
	c, job, err := m.store.BeginJob(ctx, name, beginRule(op, origin, opts, m.now()))
	if errors.Is(err, ErrNotFound) {
		// Podman may know a container the scan has not seen yet.
		if err := m.adopt(ctx, name); err != nil {
			return Container{}, Job{}, err
		}
		c, job, err = m.store.BeginJob(ctx, name, beginRule(op, origin, opts, m.now()))
	}
	if err != nil {
		return c, job, err
	}
	m.notify.Notify(changed(Update, c))
	detail := fmt.Sprintf("job %d, was %s, from %s", job.ID, job.PrevState, origin)
	switch {
	case op == Kill:
		detail += ", " + job.Signal
	case job.TimeoutSet:
		detail += fmt.Sprintf(", stop timeout %d s", job.StopTimeout)
	}
	if c.JobID != job.ID {
		// A kill during the stop (or restart) job the row carries: that
		// job ends as Podman's call returns, force-stopped.
		m.forced.Store(c.JobID, forced{kill: job.ID, by: origin, at: job.StartedAt})
		detail += fmt.Sprintf(", during job %d", c.JobID)
	}
	m.record(job.StartedAt, op, "BEGIN", name, detail)
	m.opLog(job).Info("operation started", "was", job.PrevState)

	m.jobs.Add(1)
	m.running.Store(job.ID, job)
	m.observe.OperationBegun(job)
	return c, job, nil
}

// adopt asks the engine about a container the dashboard has no row for and
// stores it, so that an operation can run on it before the next scan.
func (m *Manager) adopt(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, m.lookupTimeout)
	defer cancel()
	o, err := m.engine.Inspect(ctx, name)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%w: %s is not in the table yet, and Podman did not say within %s whether it exists (Podman may be busy or hung): nothing was done", ErrTimeout, name, m.lookupTimeout)
		}
		return err
	}
	landed, err := m.store.ApplyScan(ctx, []ScanWrite{{Kind: Insert, Container: fromObserved(o)}})
	if err != nil {
		return err
	}
	for _, w := range landed {
		m.notify.Notify(changed(w.Kind, w.Container))
	}
	return nil
}

// run is the background half of an operation. Its context has no deadline
// and is not tied to the request or to shutdown: a stop must get the
// container's whole stop timeout.
//
// A call that has not returned by its deadline (deadline) is given up:
// the job ends timed out, the row goes back to the scan, and the call's
// late answer, if it comes, goes to the job's history only.
func (m *Manager) run(job Job) {
	defer m.jobs.Done()
	defer m.running.Delete(job.ID)
	answer := make(chan error, 1)
	go func() { answer <- call(context.Background(), m.engine, job) }()
	limit := m.deadline(job)
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case err := <-answer:
		m.finish(job, err)
	case <-t.C:
		m.giveUp(job, limit)
		m.abandoned.Add(1)
		go m.late(job, answer)
	}
}

// deadline is how long a job's engine call may take: a stop its stop
// timeout (after which Podman kills) and the grace, a start the start
// timeout, a restart both, a kill the grace.
func (m *Manager) deadline(job Job) time.Duration {
	stop := time.Duration(job.StopTimeout) * time.Second
	if stop <= 0 && !job.TimeoutSet {
		stop = 10 * time.Second // Podman's default stop timeout
	}
	switch job.Op {
	case Stop:
		return stop + m.opGrace
	case Start:
		return m.startTimeout
	case Restart:
		return stop + m.opGrace + m.startTimeout
	}
	return m.opGrace
}

// giveUp ends a job whose call did not return within limit.
func (m *Manager) giveUp(job Job, limit time.Duration) {
	now := m.now()
	msg := fmt.Sprintf("Podman did not answer within %s", limit.Round(time.Second))
	if m.end(ended(job, JobTimedOut, msg, now), waitRule(msg+"; waiting for Podman")) {
		m.record(now, job.Op, "TIMEOUT", job.Container, fmt.Sprintf("job %d, %s; the call was given up and the state is re-read from Podman", job.ID, msg))
		m.opLog(job).Warn("operation timed out", "after", limit)
	}
	m.forced.Delete(job.ID)
}

// late records the answer of a call given up, in the job's history only:
// the row has long been the scan's.
func (m *Manager) late(job Job, answer <-chan error) {
	defer m.abandoned.Done()
	err := <-answer
	took := m.now().Sub(job.StartedAt).Round(time.Millisecond)
	note := fmt.Sprintf("Podman answered %s after it began: ok", took)
	if err != nil {
		note = fmt.Sprintf("Podman answered %s after it began: %v", took, err)
	}
	if err := m.store.NoteJob(context.Background(), job.ID, note); err != nil {
		m.opLog(job).Warn("record a late answer", "err", err)
		return
	}
	m.record(m.now(), job.Op, "LATE", job.Container, fmt.Sprintf("job %d, %s", job.ID, note))
}

// finish writes the outcome of job and announces it.
func (m *Manager) finish(job Job, opErr error) {
	now := m.now()
	took := now.Sub(job.StartedAt).Round(time.Millisecond)
	if f, ok := m.forced.LoadAndDelete(job.ID); ok {
		// A kill ended this stop: Podman's stop returns once the container
		// is gone, whatever it answers then.
		f := f.(forced)
		job.Note = fmt.Sprintf("force-stopped by %s after %s", f.by, f.at.Sub(job.StartedAt).Round(time.Second))
		done := ended(job, JobForceStopped, "", now)
		if opErr != nil {
			done.Note += "; Podman's " + string(job.Op) + " answered: " + opErr.Error()
		}
		if m.end(done, succeededRule(job.Op, now)) {
			m.record(now, job.Op, "FORCED", job.Container, fmt.Sprintf("job %d, %s, %s", job.ID, done.Note, took))
			m.opLog(job).Info("operation force-stopped", "by", f.by, "took", took)
		}
		return
	}
	if job.Op == Kill && opErr != nil {
		m.unforce(job.ID)
	}
	switch {
	case errors.Is(opErr, ErrLost):
		// The call may have done its work: the outcome is unknown, not a
		// failure. The row waits for Podman's word.
		msg := fmt.Sprintf("connection to Podman lost after %s", took)
		if m.end(ended(job, JobLost, msg, now), waitRule(msg+"; waiting for Podman")) {
			m.record(now, job.Op, "LOST", job.Container, fmt.Sprintf("job %d, %s; state re-read from Podman", job.ID, msg))
			m.opLog(job).Warn("operation outcome unknown", "err", opErr)
		}
	case opErr == nil:
		done := ended(job, JobSucceeded, "", now)
		if m.end(done, succeededRule(job.Op, now)) {
			m.record(now, job.Op, "OK", job.Container, fmt.Sprintf("job %d, %s", job.ID, took))
			m.opLog(job).Info("operation done", "took", took)
		}
	case errors.Is(opErr, ErrNotFound):
		// The container was removed while the job ran: its row goes too.
		msg := fmt.Sprintf("container %s no longer exists: %v", job.Container, opErr)
		m.fail(ended(job, JobFailed, msg, now), removeRule)
	default:
		msg := opErr.Error()
		m.fail(ended(job, JobFailed, msg, now), revertRule(msg))
	}
}

// unforce forgets the kill job kill, which failed: the stop it was to end
// goes on as a stop.
func (m *Manager) unforce(kill int64) {
	m.forced.Range(func(k, v any) bool {
		if v.(forced).kill == kill {
			m.forced.Delete(k)
		}
		return true
	})
}

// fail stores a job's failure, logs it and announces it.
func (m *Manager) fail(job Job, settle func(Container) (Container, bool)) {
	if m.end(job, settle) {
		m.record(job.FinishedAt, job.Op, "FAIL", job.Container, job.Error)
		m.opLog(job).Warn("operation failed", "err", job.Error)
	}
}

// end stores job as it ended and settles its container with settle, then
// announces the container's new (or removed) row. It reports whether the
// outcome was stored.
func (m *Manager) end(job Job, settle func(Container) (Container, bool)) bool {
	var removed bool
	c, ok, err := m.store.EndJob(context.Background(), job, func(cur Container) (Container, bool) {
		next, remove := settle(cur)
		removed = remove
		return next, remove
	})
	m.observe.OperationEnded(job)
	if err != nil {
		m.storeFailed(job, err)
		return false
	}
	if ok {
		kind := Update
		if removed {
			kind = Delete
		}
		e := changed(kind, c)
		e.Ended = &job
		m.notify.Notify(e)
	}
	return true
}

// storeFailed handles a job whose outcome could not be stored. The row stays
// transitional in the database; the next start-up recovers it, and the
// operator learns of it from the log.
func (m *Manager) storeFailed(job Job, err error) {
	msg := fmt.Sprintf("could not store the outcome: %v", err)
	m.record(m.now(), job.Op, "FAIL", job.Container, msg)
	m.opLog(job).Error("operation outcome not stored", "err", err)
}

func (m *Manager) record(now time.Time, op Op, what, name, detail string) {
	if m.incid == nil {
		return
	}
	if m.named {
		name = HostName(m.host, name)
	}
	if err := m.incid.record(now, op, what, name, detail); err != nil {
		m.log.Error("incident log", "err", err)
	}
}

// Host is the name of the Podman host this manager runs.
func (m *Manager) Host() string { return m.host }

// Running returns the jobs this process is running now.
func (m *Manager) Running() []Job {
	var jobs []Job
	m.running.Range(func(_, v any) bool {
		jobs = append(jobs, v.(Job))
		return true
	})
	return jobs
}

// Wait blocks until every background job has ended or ctx is done.
func (m *Manager) Wait(ctx context.Context) error { return waitFor(ctx, &m.jobs) }

// WaitAbandoned blocks until the calls given up have answered and their
// late answers are recorded, or ctx is done. Shutdown does not wait for
// them (Podman may never answer); tests do.
func (m *Manager) WaitAbandoned(ctx context.Context) error { return waitFor(ctx, &m.abandoned) }

// waitFor waits for wg, or until ctx is done.
func waitFor(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Dismiss clears the failure reason shown on a container, once the
// operator has read it.
func (m *Manager) Dismiss(ctx context.Context, name string) (Container, error) {
	if err := ValidateName(name); err != nil {
		return Container{}, err
	}
	c, ok, err := m.store.UpdateContainer(ctx, name, clearErrorRule)
	if err != nil {
		return c, err
	}
	if ok {
		m.notify.Notify(changed(Update, c))
	}
	return c, nil
}

// Container returns the stored container with its running job.
func (m *Manager) Container(ctx context.Context, name string) (Container, error) {
	return m.store.Container(ctx, name)
}

// Containers returns every stored container, ordered by name.
func (m *Manager) Containers(ctx context.Context) ([]Container, error) {
	return m.store.Containers(ctx)
}

// Jobs returns recent jobs, newest first, for one container or all.
func (m *Manager) Jobs(ctx context.Context, container string, limit int) ([]Job, error) {
	return m.store.Jobs(ctx, container, limit)
}

// opLog is the log of job's lines: each carries the operation, the
// container, the job and who asked, as fields a log search can select on.
func (m *Manager) opLog(job Job) *slog.Logger {
	return m.log.With("op", job.Op, "container", job.Container, "job", job.ID, "user", job.Origin)
}
