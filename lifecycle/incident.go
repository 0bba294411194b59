package lifecycle

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// IncidentLog is the append-only text file operators grep after an
// incident: one timestamped line per operation begun, ended, failed or
// interrupted. Each line is a single write to a file opened with O_APPEND,
// so a killed process leaves whole lines behind, never half of one.
type IncidentLog struct {
	mu sync.Mutex
	f  *os.File
}

// OpenIncidentLog opens (creating if needed) the log at path for appending.
func OpenIncidentLog(path string) (*IncidentLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open incident log: %w", err)
	}
	return &IncidentLog{f: f}, nil
}

// Path is the file the log writes to.
func (l *IncidentLog) Path() string { return l.f.Name() }

// Close closes the file.
func (l *IncidentLog) Close() error { return l.f.Close() }

// record appends "<time> <OP> <WHAT>: <name> — <detail>". Newlines in
// detail are folded so that one event stays one line for grep.
func (l *IncidentLog) record(now time.Time, op Op, what, name, detail string) error {
	line := fmt.Sprintf("%s %s %s: %s", now.UTC().Format("2006-01-02T15:04:05.000Z"), op.Upper(), what, name)
	if detail != "" {
		line += " — " + oneLine(detail)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.WriteString(line + "\n"); err != nil {
		return fmt.Errorf("write incident log %s: %w", l.f.Name(), err)
	}
	return nil
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
