package lifecycle

import (
	"context"
	"fmt"
	"sync"
)

// MaxBulk is the most containers one bulk operation names.
const MaxBulk = 200

// Begun is one container's part in a bulk operation.
type Begun struct {
	Name string
	// Container is the row as the begin stored it, or as it stands when
	// the operation was refused; its Name is "" when there is no such
	// container.
	Container Container
	// Err says why the operation was refused on this container; nil when
	// it started.
	Err error
}

// BeginEach begins op on every container of names, each with its own
// transitional state and job, as BeginWith does for one: a container that
// is busy, in the wrong state or unknown is refused alone, with its
// reason, and the others start. Bad input (an unknown operation or
// option, an invalid or missing name, more than MaxBulk names) refuses
// the whole request, before anything changes. A name given twice counts
// once. run starts the engine calls of those that started; it must be
// called, once their answer is written.
//
// The containers are begun all at once: one the scan has not seen is
// looked up in Podman, and while Podman hangs each lookup takes its whole
// timeout, which the whole request then takes once rather than once per
// container.
func (m *Manager) BeginEach(ctx context.Context, names []string, op Op, origin string, opts Options) (begun []Begun, run func(), err error) {
	names, err = bulkNames(names)
	if err != nil {
		return nil, nil, err
	}
	if op.Transitional() == "" {
		return nil, nil, fmt.Errorf("%w: unknown operation %q", ErrInvalid, op)
	}
	if err := opts.check(op); err != nil {
		return nil, nil, err
	}
	begun = make([]Begun, len(names))
	runs := make([]func(), len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, r, err := m.BeginWith(ctx, name, op, origin, opts)
			begun[i] = Begun{Name: name, Container: c, Err: err}
			runs[i] = r
		}()
	}
	wg.Wait()
	return begun, func() {
		for _, r := range runs {
			if r != nil {
				r()
			}
		}
	}, nil
}

// bulkNames checks a bulk operation's names and drops repeats, keeping
// the order they came in.
func bulkNames(names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no container selected", ErrInvalid)
	}
	if len(names) > MaxBulk {
		return nil, fmt.Errorf("%w: %d containers named, at most %d at once", ErrInvalid, len(names), MaxBulk)
	}
	seen := make(map[string]bool, len(names))
	out := names[:0:0]
	for _, n := range names {
		if err := ValidateName(n); err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}
