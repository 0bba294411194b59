package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle/fake"
)

// A client that sends its body a byte at a time holds a connection and a
// goroutine for as long as it likes, unless the whole request must arrive
// within the read timeout.
func TestABodySentSlowlyIsCutAtTheReadTimeout(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), "unix:///fake/test.sock", time.Hour)
	cfg.readTimeout = 300 * time.Millisecond
	ta := serveApp(t, fake.New(fake.Running("web")), cfg, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ta.a.srv.Serve(ln) // closed by the app's shutdown when the test ends

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n")
	start := time.Now()
	done := make(chan struct{})
	defer close(done)
	go func() { // one byte every 50 ms: the whole body would take 50 s
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the connection ended: %v (after %s)", err, time.Since(start))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400 for the unreadable form", resp.StatusCode)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the slow body was cut after %s, want about the read timeout (300ms)", took)
	}
	if !strings.EqualFold(resp.Header.Get("Connection"), "close") && !resp.Close {
		t.Errorf("the connection stays open after a timed-out body")
	}
}
