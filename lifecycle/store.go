package lifecycle

import (
	"context"
	"time"
)

// Store keeps containers and jobs. It only stores: every rule (whether an
// operation may start, which state a job ends in, what a revert restores)
// is a function of this package that the store runs inside its transaction
// on the row it has just read, so the decision and the write are one atomic
// step however many writers there are.
//
// Every write gives the rows it writes a new Version, taken from one
// sequence that grows in the order the writes are stored: it is the Seq of
// the events that announce them.
type Store interface {
	// Container returns one container with its running job, or ErrNotFound.
	Container(ctx context.Context, name string) (Container, error)
	// Containers returns every container, ordered by name.
	Containers(ctx context.Context) ([]Container, error)
	// Jobs returns the most recent jobs first, for one container when
	// container is not empty.
	Jobs(ctx context.Context, container string, limit int) ([]Job, error)
	// RunningJobs returns the jobs still marked running, oldest first.
	RunningJobs(ctx context.Context) ([]Job, error)
	// PruneJobs deletes the jobs that ended (any outcome but running)
	// before the given time, except a job a container row still carries,
	// and returns how many it deleted.
	PruneJobs(ctx context.Context, before time.Time) (int64, error)

	// BeginJob reads name's row (ErrNotFound when there is none) and calls
	// decide with it, in one write transaction. When decide returns an
	// error nothing is written, and the error is returned with the row as
	// read. Otherwise the job is inserted (its ID assigned) and the row is
	// written as decide returned it, carrying that job, unless decide left
	// the row carrying a job of its own (next.JobID set): the new job then
	// runs beside it (a kill during a stop).
	BeginJob(ctx context.Context, name string, decide func(cur Container) (next Container, job Job, err error)) (Container, Job, error)

	// EndJob stores job as it ended (outcome, error and finish time set)
	// and, when the container still carries that job, calls settle with
	// its row and writes what settle returns, or deletes the row when
	// settle says remove. ok is false, and only the job is written, when
	// no row carries the job any more.
	EndJob(ctx context.Context, job Job, settle func(cur Container) (next Container, remove bool)) (c Container, ok bool, err error)

	// NoteJob sets the note of a job (a late answer of a call given up).
	NoteJob(ctx context.Context, id int64, note string) error

	// UpdateContainer reads name's row and calls change with it, in one
	// write transaction, and writes the row that change returns when it
	// returns true. It returns the row as it is afterwards.
	UpdateContainer(ctx context.Context, name string, change func(cur Container) (next Container, write bool)) (c Container, written bool, err error)

	// ApplyScan applies the writes of one scan. Each write only lands if
	// the row is still the version the scan read (an insert only if there
	// is no row); ApplyScan returns the writes that landed, with the rows
	// as written (for a delete, the name and the Version of the deletion).
	ApplyScan(ctx context.Context, writes []ScanWrite) ([]ScanWrite, error)
}
