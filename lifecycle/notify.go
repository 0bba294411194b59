package lifecycle

import "time"

// Event says that a container's row changed, so every open page can show it.
type Event struct {
	// Kind says what the change did to the row: Insert (a container the
	// pages do not show yet), Update or Delete (only Container.Name is
	// set). It is zero for a Health event.
	Kind WriteKind
	// Container is the row as stored by this change.
	Container Container
	// Seq orders the changes of one container: it grows with every write
	// in the order the writes were stored (it is the row's version after
	// the write). Events may reach the Notifier out of order; a row event
	// whose Seq is not above the last one delivered for that container is
	// older than what the pages already show.
	Seq int64
	// Ended is the job that this change ends, if any: pages use it to tell
	// the operator that an operation finished or failed.
	Ended *Job

	// Health, when set, says the scan started failing or works again; the
	// event then concerns no container. Its Seq orders health events among
	// themselves.
	Health *Health

	// Usage, when set, is the CPU and memory of the containers whose
	// usage changed noticeably; the event then concerns no row.
	Usage []Usage
}

// changed is the event announcing a row as a write of kind stored it: its
// Seq is the version the write gave the row.
func changed(kind WriteKind, c Container) Event {
	return Event{Kind: kind, Container: c, Seq: c.Version}
}

// Removed reports whether the event deletes the container's row.
func (e Event) Removed() bool { return e.Kind == Delete }

// Health is whether the dashboard can read a host's engine.
type Health struct {
	Host string // the host whose scans these are
	// ScanErr is why the last scan failed, "" when it worked; Since is
	// when the scans began to fail.
	ScanErr string
	Since   time.Time
	// Unreachable says the engine is why (it did not answer, too slowly,
	// or the connection broke), rather than the dashboard's own store.
	Unreachable bool
}

// Notifier carries events to the pages. Notify is called without any lock
// held, possibly from several goroutines at once and so possibly out of the
// order the changes were stored: Event.Seq restores that order. Notify must
// not block (queue the event and return).
type Notifier interface {
	Notify(Event)
}

// NotifierFunc lets a function be a Notifier.
type NotifierFunc func(Event)

// Notify calls f.
func (f NotifierFunc) Notify(e Event) { f(e) }
