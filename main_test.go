package main

// Tests of main's own small parts, without Podman: the configuration, the
// signal handling that does not end the process, and what newApp does with
// the settings (over the fake engine).

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"podboard/db"
	"podboard/lifecycle"
	"podboard/lifecycle/fake"
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

func TestParseConfigReadsTheHistoryRetention(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want time.Duration
	}{
		{"the default keeps 90 days", nil, nil, 90 * day},
		{"days from the flag", []string{"--history-keep", "30d"}, nil, 30 * day},
		{"a Go duration from the flag", []string{"--history-keep=2160h"}, nil, 2160 * time.Hour},
		{"a mixed Go duration", []string{"--history-keep", "36h30m"}, nil, 36*time.Hour + 30*time.Minute},
		{"0 keeps forever", []string{"--history-keep", "0"}, nil, 0},
		{"0d keeps forever too", []string{"--history-keep", "0d"}, nil, 0},
		{"days from the environment", nil, map[string]string{"PODBOARD_HISTORY_KEEP": "7d"}, 7 * day},
		{"the flag wins over the environment", []string{"--history-keep", "1d"}, map[string]string{"PODBOARD_HISTORY_KEEP": "7d"}, day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatalf("parseConfig(%q): %v", tt.args, err)
			}
			if c.historyKeep != tt.want {
				t.Fatalf("parseConfig(%q) keeps the history %s, want %s", tt.args, c.historyKeep, tt.want)
			}
		})
	}
}

func TestParseConfigRefusesAnInvalidHistoryRetentionWithAClearMessage(t *testing.T) {
	for _, tt := range []struct {
		name  string
		args  []string
		env   map[string]string
		value string
	}{
		{"a number without a unit", []string{"--history-keep", "90"}, nil, "90"},
		{"a fraction of days", []string{"--history-keep", "1.5d"}, nil, "1.5d"},
		{"negative days", []string{"--history-keep", "-1d"}, nil, "-1d"},
		{"a negative duration", []string{"--history-keep", "-5h"}, nil, "-5h"},
		{"a unit only", []string{"--history-keep", "d"}, nil, "d"},
		{"weeks", []string{"--history-keep", "2w"}, nil, "2w"},
		{"more days than a duration holds", []string{"--history-keep", "200000d"}, nil, "200000d"},
		{"garbage in the environment", nil, map[string]string{"PODBOARD_HISTORY_KEEP": "forever"}, "forever"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, func(k string) string { return tt.env[k] })
			want := `invalid history keep "` + tt.value + `": want days such as 90d, a duration such as 2160h, or 0 to keep it forever`
			if err == nil || err.Error() != want {
				t.Fatalf("parseConfig(%q) = %v, want the error %q", tt.args, err, want)
			}
		})
	}
}

func TestNewAppShowsThePodmanURIWithoutItsPassword(t *testing.T) {
	logs := &lockedBuffer{}
	ta := serveApp(t, fake.New(fake.Running("web")),
		testConfig(t, t.TempDir(), "tcp://core:s3cret@host.example:8888", time.Hour), logs)
	res, err := ta.client.Get(ta.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "Podman: tcp://core:xxxxx@host.example:8888") {
		t.Errorf("the footer does not show the redacted URI:\n%s", page)
	}
	if strings.Contains(string(page), "s3cret") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("the page or the log shows the password:\n%s", logs.String())
	}
}

func TestNewAppPrunesTheHistoryAtStart(t *testing.T) {
	tests := []struct {
		name   string
		keep   time.Duration
		pruned bool
	}{
		{"a job that ended two days ago goes with one day kept", 24 * time.Hour, true},
		{"keep 0 keeps it", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			ended := time.Now().Add(-48 * time.Hour)
			storeOldJob(t, data, ended)

			logs := &lockedBuffer{}
			cfg := testConfig(t, data, "unix:///fake/test.sock", time.Hour)
			cfg.historyKeep = tt.keep
			ta := serveApp(t, fake.New(fake.Running("web")), cfg, logs)
			jobs, err := ta.a.manager.Jobs(context.Background(), "", 10)
			if err != nil {
				t.Fatal(err)
			}
			if pruned := len(jobs) == 0; pruned != tt.pruned {
				t.Fatalf("jobs after the start: %+v, want pruned=%v", jobs, tt.pruned)
			}
			if logged := strings.Contains(logs.String(), "pruned the job history"); logged != tt.pruned {
				t.Errorf("log says pruned: %v, want %v:\n%s", logged, tt.pruned, logs.String())
			}
		})
	}
}

// storeOldJob leaves in data's database one stop of "web" that ended at
// ended, as an earlier run of the dashboard would have.
func storeOldJob(t *testing.T, data string, ended time.Time) {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(data, "podboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m := lifecycle.NewManager(lifecycle.Config{
		Store: store, Engine: fake.New(fake.Running("web")), Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return ended },
	})
	if _, err := m.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Do(ctx, "web", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if jobs, err := m.Jobs(ctx, "web", 10); err != nil || len(jobs) != 1 || jobs[0].Outcome != lifecycle.JobSucceeded {
		t.Fatalf("jobs stored before the start: %+v, %v", jobs, err)
	}
}
