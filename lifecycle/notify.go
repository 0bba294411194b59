package lifecycle

// Event says that a container's row changed, so every open page can show it.
type Event struct {
	Container Container
	// Removed is true when the container is gone; only Container.Name is set.
	Removed bool
	// Ended is the job that this change ends, if any: pages use it to tell
	// the operator that an operation finished or failed.
	Ended *Job

	// Health, when set, says the scan started failing or works again; the
	// event then concerns no container.
	Health *Health
}

// Health is whether the dashboard can read the engine.
type Health struct {
	// ScanErr is why the last scan failed, "" when it worked.
	ScanErr string
}

// Notifier carries events to the pages. Notify is called in the order the
// changes were written, and must not block for long: it runs while the
// manager holds the lock that keeps that order.
type Notifier interface {
	Notify(Event)
}

// NotifierFunc lets a function be a Notifier.
type NotifierFunc func(Event)

// Notify calls f.
func (f NotifierFunc) Notify(e Event) { f(e) }
