package lifecycle

import (
	"context"
	"time"
)

// Store keeps containers and jobs. Every method is one transaction, and the
// writes are compare-and-set so that concurrent writers (a job, the scan, a
// second click) cannot overwrite each other's newer data.
type Store interface {
	// Container returns one container with its running job, or ErrNotFound.
	Container(ctx context.Context, name string) (Container, error)
	// Containers returns every container, ordered by name.
	Containers(ctx context.Context) ([]Container, error)

	// BeginJob records op on name in one transaction: it checks the
	// container exists (ErrNotFound), has no job (ErrBusy) and is in a state
	// op allows (ErrInvalid); then remembers the current state, writes the
	// transitional state and inserts the job. On ErrBusy and ErrInvalid the
	// current container is returned with the error.
	BeginJob(ctx context.Context, name string, op Op, origin string, now time.Time) (Container, Job, error)
	// FinishJob ends job successfully: the container takes state final.
	// ok is false (and nothing is written) when the container no longer
	// carries that job, for instance because it was removed.
	FinishJob(ctx context.Context, job Job, final State, now time.Time) (c Container, ok bool, err error)
	// FailJob ends job with an error: the container reverts to the state
	// it had before the job, and the message is kept on both.
	FailJob(ctx context.Context, job Job, msg string, now time.Time) (c Container, ok bool, err error)
	// DropJobContainer ends job with an error and deletes its container,
	// for a container that disappeared from the engine while the job ran.
	DropJobContainer(ctx context.Context, job Job, msg string, now time.Time) (ok bool, err error)
	// InterruptJobs ends every job still marked running (left by an earlier
	// process) as interrupted, reverting their containers to the state they
	// had before, with msg as their error.
	InterruptJobs(ctx context.Context, msg string, now time.Time) ([]Job, error)

	// ClearError forgets the last failure shown on a container. ok is
	// false when there was none to clear.
	ClearError(ctx context.Context, name string) (c Container, ok bool, err error)

	// ApplyScan applies the writes of one scan. Each write only lands if
	// the row is still the version the scan read and carries no job;
	// ApplyScan returns the writes that landed with the rows as written.
	ApplyScan(ctx context.Context, writes []ScanWrite) ([]ScanWrite, error)

	// Jobs returns the most recent jobs first, for one container when
	// container is not empty.
	Jobs(ctx context.Context, container string, limit int) ([]Job, error)
}
