package lifecycle

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// openTestLog opens an incident log in t's temporary directory.
func openTestLog(t *testing.T) *IncidentLog {
	t.Helper()
	l, err := OpenIncidentLog(filepath.Join(t.TempDir(), "lifecycle.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var incidentTime = time.Date(2026, 11, 28, 11, 58, 42, 113_000_000, time.UTC)

func TestIncidentLineEscapesControlCharactersAndFoldsNewlines(t *testing.T) {
	const prefix = "2026-11-28T11:58:42.113Z STOP FAIL: "
	tests := []struct {
		name, container, detail string
		want                    string
	}{
		{"plain text stays as it is", "web", "OCI runtime error: café ünïcode �", "web — OCI runtime error: café ünïcode �"},
		{"newlines and runs of spaces fold into one space", "web", "  boom\nsecond   line\r\nthird\n", "web — boom second line third"},
		{"no detail, no dash", "web", "", "web"},
		{"ESC and BEL are escaped", "web", "\x1b]0;owned\x07\x1b[2Jgone", `web — \x1b]0;owned\x07\x1b[2Jgone`},
		{"a lone CR is escaped, not obeyed", "web", "50%\rdone", `web — 50%\x0ddone`},
		{"NUL, tab and DEL are escaped", "web", "a\x00b\tc\x7fd", `web — a\x00b\x09c\x7fd`},
		{"C1 controls are escaped as runes", "web", "a\u009b31mred\u0085next", `web — a\u009b31mred\u0085next`},
		{"invalid UTF-8 is escaped byte by byte", "web", "a\xffb\x9bc\xc3", `web — a\xffb\x9bc\xc3`},
		{"the container name is escaped too", "we\x1b[31mb\n", "x", `we\x1b[31mb\x0a — x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openTestLog(t)
			if err := l.record(incidentTime, Stop, "FAIL", tt.container, tt.detail); err != nil {
				t.Fatal(err)
			}
			if got, want := readFile(t, l.Path()), prefix+tt.want+"\n"; got != want {
				t.Fatalf("incident log\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestReopenAfterARenameWritesNewLinesToANewFileAtTheOldPath(t *testing.T) {
	l := openTestLog(t)
	if err := l.record(incidentTime, Stop, "BEGIN", "web", "before"); err != nil {
		t.Fatal(err)
	}
	rotated := l.Path() + ".1"
	if err := os.Rename(l.Path(), rotated); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	if err := l.record(incidentTime, Stop, "OK", "web", "after"); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, rotated), "2026-11-28T11:58:42.113Z STOP BEGIN: web — before\n"; got != want {
		t.Errorf("rotated file %q, want only the line from before the rename %q", got, want)
	}
	if got, want := readFile(t, l.Path()), "2026-11-28T11:58:42.113Z STOP OK: web — after\n"; got != want {
		t.Errorf("file at the old path %q, want only the line from after the reopen %q", got, want)
	}
}

func TestReopenWhileRecordingLosesAndSplitsNoLine(t *testing.T) {
	l := openTestLog(t)
	const writers, lines = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range lines {
				if err := l.record(incidentTime, Stop, "OK", "web", fmt.Sprintf("writer %d line %d", w, i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var rotated []string
	for i := range 20 {
		path := fmt.Sprintf("%s.%d", l.Path(), i)
		if err := os.Rename(l.Path(), path); err != nil {
			t.Fatal(err)
		}
		rotated = append(rotated, path)
		if err := l.Reopen(); err != nil {
			t.Fatalf("Reopen: %v", err)
		}
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, path := range append(rotated, l.Path()) {
		for _, line := range strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n") {
			if line == "" {
				continue
			}
			if !strings.HasPrefix(line, "2026-11-28T11:58:42.113Z STOP OK: web — writer ") || seen[line] {
				t.Fatalf("%s holds a split or repeated line %q", path, line)
			}
			seen[line] = true
		}
	}
	if len(seen) != writers*lines {
		t.Fatalf("%d lines across the files, want %d", len(seen), writers*lines)
	}
}

func TestReopenOfAClosedLogFailsAndOpensNothing(t *testing.T) {
	l := openTestLog(t)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(l.Path()); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err == nil {
		t.Fatal("Reopen of a closed log succeeded")
	}
	if _, err := os.Stat(l.Path()); !os.IsNotExist(err) {
		t.Fatalf("Reopen of a closed log created %s (stat: %v)", l.Path(), err)
	}
}
