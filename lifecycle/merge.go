package lifecycle

// WriteKind says what a scan write does to a row.
type WriteKind int

const (
	Insert WriteKind = iota + 1
	Update
	Delete
)

func (k WriteKind) String() string {
	switch k {
	case Insert:
		return "insert"
	case Update:
		return "update"
	case Delete:
		return "delete"
	}
	return "unknown"
}

// ScanWrite is one change a scan wants to make. Container holds the row as
// it should be after the write (for Delete only its Name matters); Version
// is the version the scan read, which must still be current for the write
// to land.
type ScanWrite struct {
	Kind      WriteKind
	Container Container
	Version   int64
}

// Merge compares what the dashboard has (stored) with what the engine
// reports (observed) and returns the writes that bring the dashboard in line.
// Its rules:
//   - a container the engine reports and the dashboard lacks is inserted;
//   - a container the dashboard has and the engine no longer reports is
//     deleted;
//   - a stored container whose observed fields differ is updated;
//   - a container with an operation in flight is left alone: its
//     transitional state belongs to the job until the job's final write;
//   - a container waiting for Podman's word (its call's connection broke,
//     or Podman did not answer in time) takes Podman's state, even when
//     no field differs, and stops waiting;
//   - nothing is written when nothing changed.
//
// stored must have been read before observed was listed: the version of each
// stored row then protects against a job's write that lands in between.
func Merge(stored []Container, observed []Observed) []ScanWrite {
	byName := make(map[string]*Container, len(stored))
	for i := range stored {
		byName[stored[i].Name] = &stored[i]
	}
	var writes []ScanWrite
	seen := make(map[string]bool, len(observed))
	for _, o := range observed {
		if o.Name == "" || seen[o.Name] {
			continue
		}
		seen[o.Name] = true
		cur, ok := byName[o.Name]
		if !ok {
			writes = append(writes, ScanWrite{Kind: Insert, Container: fromObserved(o)})
			continue
		}
		if cur.Busy() {
			continue
		}
		next := *cur
		applyObserved(&next, o)
		next.Waiting = ""
		if cur.Waiting != "" || !sameObservedFields(*cur, next) {
			writes = append(writes, ScanWrite{Kind: Update, Container: next, Version: cur.Version})
		}
	}
	for _, c := range stored {
		if !seen[c.Name] && !c.Busy() {
			writes = append(writes, ScanWrite{Kind: Delete, Container: Container{Name: c.Name}, Version: c.Version})
		}
	}
	return writes
}

func fromObserved(o Observed) Container {
	var c Container
	applyObserved(&c, o)
	return c
}

// applyObserved copies the engine's facts onto c, keeping what only the
// dashboard knows (the last error, a stop timeout the engine did not repeat).
func applyObserved(c *Container, o Observed) {
	c.Name = o.Name
	c.ID = o.ID
	c.Image = o.Image
	c.State = StateFromEngine(o.EngineState)
	c.EngineState = o.EngineState
	c.ExitCode = o.ExitCode
	c.CreatedAt = o.CreatedAt
	c.StartedAt = o.StartedAt
	c.FinishedAt = o.FinishedAt
	c.Health = o.Health
	if o.StopTimeout > 0 {
		c.StopTimeout = o.StopTimeout
	}
}

func sameObservedFields(a, b Container) bool {
	return a.ID == b.ID &&
		a.Image == b.Image &&
		a.State == b.State &&
		a.EngineState == b.EngineState &&
		a.ExitCode == b.ExitCode &&
		a.CreatedAt.Equal(b.CreatedAt) &&
		a.StartedAt.Equal(b.StartedAt) &&
		a.FinishedAt.Equal(b.FinishedAt) &&
		a.StopTimeout == b.StopTimeout &&
		a.Health == b.Health
}
