package podman

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"podboard/lifecycle"
)

// The bindings send a request up to three times, whatever failed. A call
// that changes something and broke after it was sent must reach Podman
// once, and end as lost; a read may be sent again.
func TestACallThatBrokeAfterItWasSentIsNotSentAgain(t *testing.T) {
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close() // the service died with the request in hand
		}
	}))
	defer srv.Close()
	client := &http.Client{Transport: onceSent{http.DefaultTransport}}
	tests := []struct {
		method string
		sends  int32
	}{
		{http.MethodPost, 1},
		{http.MethodGet, 3},
	}
	for _, tt := range tests {
		got.Store(0)
		ctx := (&Engine{conn: context.Background()}).withConn(context.Background())
		var err error
		for range 3 { // as the bindings' DoRequest does
			req, _ := http.NewRequestWithContext(ctx, tt.method, srv.URL, nil)
			var resp *http.Response
			if resp, err = client.Do(req); err == nil {
				resp.Body.Close()
				break
			}
		}
		if got.Load() != tt.sends {
			t.Errorf("%s reached the server %d times, want %d", tt.method, got.Load(), tt.sends)
		}
		if !lostMidCall(err) {
			t.Errorf("%s: %v, want a connection lost mid-call", tt.method, err)
		}
		e := newEngine("unix:///run/podman/podman.sock", nil)
		if tt.method == http.MethodPost && !errors.Is(e.wrap("stop", "web", err), lifecycle.ErrLost) {
			t.Errorf("the stop's error %v is not ErrLost", e.wrap("stop", "web", err))
		}
	}
}
