package db

import "testing"

// SetPruneBatch makes PruneJobs delete n jobs per transaction until t ends,
// so that a test needs only a few jobs to span several batches.
func SetPruneBatch(t *testing.T, n int64) {
	old := pruneBatch
	pruneBatch = n
	t.Cleanup(func() { pruneBatch = old })
}
