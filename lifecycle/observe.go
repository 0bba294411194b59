package lifecycle

import "time"

// Observer is told what the manager does, for measurement: operations as
// they begin and end, and each scan. The manager calls it after the store
// has decided and written, never inside a store transaction, and from the
// goroutine doing the work, so its methods must be cheap and safe to call
// from several goroutines at once (count and return).
type Observer interface {
	// OperationBegun: a job of this process was stored and is about to
	// run (a kill during a stop is a job of its own).
	OperationBegun(j Job)
	// OperationEnded: a job that OperationBegun reported has ended, once
	// per job, with its outcome (succeeded, failed, lost, timed-out,
	// force-stopped) and finish time set. It is called even when the
	// outcome could not be stored: the job no longer runs.
	OperationEnded(j Job)
	// OperationInterrupted: a job an earlier process left running was
	// found at start-up and ended interrupted. This process never began
	// it, so no OperationBegun preceded it.
	OperationInterrupted(j Job)
	// ScanDone: a scan ended. A scan cut short because its context ended
	// (shutdown) is not reported: it says nothing about the engine.
	ScanDone(r ScanReport)
}

// ScanReport is what one scan did.
type ScanReport struct {
	Host   string // the host scanned
	Took   time.Duration
	Result ScanResult
	// Err is why the scan failed, nil when it worked.
	Err error
	// Listed reports whether the engine answered the scan's listing: false
	// when it could not be reached or was too slow (or the store failed
	// before the engine was asked).
	Listed bool
}

// nopObserver is the Observer of a manager given none.
type nopObserver struct{}

func (nopObserver) OperationBegun(Job)       {}
func (nopObserver) OperationEnded(Job)       {}
func (nopObserver) OperationInterrupted(Job) {}
func (nopObserver) ScanDone(ScanReport)      {}
