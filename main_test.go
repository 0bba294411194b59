package main

// Tests of main's own small parts, without Podman: the configuration and
// the signal handling that does not end the process.

import (
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"podboard/lifecycle"
)

func TestHangupReopensTheIncidentLogAtItsPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lifecycle.log")
	l, err := lifecycle.OpenIncidentLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stop := reopenOnHangup(l, slog.New(slog.DiscardHandler))
	defer stop()

	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new %s after SIGHUP", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
