package main

// The dashboard's own log (--log-format json: one JSON object per line,
// every operation line with the operation, the container, the job and who
// asked) and the containers' logs on their pages.

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle/podman/podmantest"
	"podboard/web/webtest"
)

func TestLogFormatJSONGivesEveryOperationLineItsFields(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "logged", podmantest.Workload{Start: true})
	createWorkload(t, svc, "logged-broken", podmantest.Workload{BrokenEntrypoint: true})
	engine := connectPodman(t, svc)
	logs := &lockedBuffer{}
	ta := serveApp(t, engine, testConfig(t, t.TempDir(), svc.URI, 200*time.Millisecond, "--log-format", "json"), logs)
	ta.waitSettled("logged", "running")
	ta.waitSettled("logged-broken", "stopped")
	for _, step := range []struct {
		name, op string
		status   int
	}{
		{"logged", "stop", http.StatusAccepted},
		{"logged", "stop", http.StatusConflict}, // refused while it stops, or once stopped
		{"logged-broken", "start", http.StatusAccepted},
	} {
		if resp, body := ta.do(step.name, step.op, jsonRequest); resp.StatusCode != step.status {
			t.Fatalf("%s %s: %d %s", step.op, step.name, resp.StatusCode, body)
		}
	}
	ta.waitSettled("logged", "stopped")
	ta.waitSettled("logged-broken", "stopped")
	waitUntil(t, "the failed start logged", deadline, func() bool { return strings.Contains(logs.String(), `"operation failed"`) })

	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a log line is not JSON: %q: %v", sc.Text(), err)
		}
		msg, _ := line["msg"].(string)
		if !strings.HasPrefix(msg, "operation ") {
			continue
		}
		seen[msg] = true
		for _, field := range []string{"op", "container", "job", "user"} {
			if _, ok := line[field]; !ok {
				t.Errorf("%q has no %s field: %s", msg, field, sc.Text())
			}
		}
		if user, _ := line["user"].(string); !strings.HasPrefix(user, "token:") {
			t.Errorf("%q: user %q, want the token that asked", msg, user)
		}
	}
	for _, msg := range []string{"operation started", "operation done", "operation refused", "operation failed"} {
		if !seen[msg] {
			t.Errorf("no %q line in the log:\n%s", msg, logs.String())
		}
	}
}

func TestLogFormatMustBeTextOrJSON(t *testing.T) {
	for _, f := range []string{"text", "json"} {
		if _, err := parseConfig([]string{"--log-format", f}, func(string) string { return "" }); err != nil {
			t.Errorf("--log-format %s: %v", f, err)
		}
	}
	if _, err := parseConfig([]string{"--log-format", "xml"}, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "want text or json") {
		t.Errorf("--log-format xml: %v", err)
	}
}

// A container page's live connection follows the container's logs on the
// real Podman for exactly as long as it is open: a hundred pages opened
// and closed leave no goroutine and no connection to Podman behind.
func TestContainerPagesOpenedAndClosedLeaveNoLogStreamBehind(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "talker", podmantest.Workload{Start: true, LogEvery: 100 * time.Millisecond})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("talker", "running")
	open := func() {
		req, err := http.NewRequest(http.MethodGet, ta.srv.URL+"/events?stream=containers&logs=talker", nil)
		if err != nil {
			t.Fatal(err)
		}
		s := webtest.SubscribeRequest(t, ta.client, req)
		s.Next(0, "a log line", webtest.Contains("log-line"))
		s.Close()
	}
	open()
	waitUntil(t, "the first page's stream gone", deadline, func() bool { return ta.a.hub.Feeds() == 0 })
	goroutines, files := runtime.NumGoroutine(), openFiles(t)
	for range 100 {
		open()
	}
	waitUntil(t, "every page's log stream gone", deadline, func() bool {
		return ta.a.hub.Feeds() == 0 && runtime.NumGoroutine() <= goroutines+3 && openFiles(t) <= files+3
	})
}

// openFiles counts this process's open file descriptors, its connections
// to Podman among them.
func openFiles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
