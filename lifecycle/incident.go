package lifecycle

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// IncidentLog is the append-only text file operators grep after an
// incident: one timestamped line per operation begun, ended, failed or
// interrupted. Each line is a single write to a file opened with O_APPEND,
// so a killed process leaves whole lines behind, never half of one.
type IncidentLog struct {
	path string

	mu     sync.Mutex // guards f against a Reopen during a write
	f      *os.File
	closed bool
}

// OpenIncidentLog opens (creating if needed) the log at path for appending.
func OpenIncidentLog(path string) (*IncidentLog, error) {
	f, err := openIncidentFile(path)
	if err != nil {
		return nil, err
	}
	return &IncidentLog{path: path, f: f}, nil
}

func openIncidentFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open incident log: %w", err)
	}
	return f, nil
}

// Path is the file the log writes to.
func (l *IncidentLog) Path() string { return l.path }

// Reopen closes the file and opens the same path again, so that after
// logrotate has renamed the file the next lines go to a new one at the old
// path. When the path cannot be opened the log keeps writing to the file it
// has.
func (l *IncidentLog) Reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("reopen incident log %s: it is closed", l.path)
	}
	f, err := openIncidentFile(l.path)
	if err != nil {
		return err
	}
	old := l.f
	l.f = f
	if err := old.Close(); err != nil {
		return fmt.Errorf("close the incident log before reopening %s: %w", l.path, err)
	}
	return nil
}

// Close closes the file.
func (l *IncidentLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return l.f.Close()
}

// record appends "<time> <OP> <WHAT>: <name> — <detail>". Newlines in
// detail are folded so that one event stays one line for grep, and every
// other control character is escaped: Podman's error text is written as the
// engine sent it, and an ESC in it would otherwise act on the terminal of
// whoever tails the log.
func (l *IncidentLog) record(now time.Time, op Op, what, name, detail string) error {
	line := fmt.Sprintf("%s %s %s: %s", now.UTC().Format("2006-01-02T15:04:05.000Z"), op.Upper(), what, escapeControls(name))
	if detail != "" {
		line += " — " + oneLine(detail)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.WriteString(line + "\n"); err != nil {
		return fmt.Errorf("write incident log %s: %w", l.path, err)
	}
	return nil
}

// oneLine folds line breaks and runs of white space into single spaces, as
// the log always has, and escapes the control characters that remain.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	words := strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || unicode.IsSpace(r) && !isControl(r)
	})
	return escapeControls(strings.Join(words, " "))
}

// isControl reports the C0 controls, DEL and the C1 controls (U+0080 to
// U+009F, which some terminals obey as escape sequences).
func isControl(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f
}

// escapeControls writes every control character as an escape (\x1b, \u009b)
// and every byte that is not valid UTF-8 as \xNN.
func escapeControls(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && isControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case isControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
