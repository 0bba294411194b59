package web

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"time"

	"github.com/r3labs/sse/v2"

	"podboard/templates"
	"podboard/web/auth"
)

func (h *Hub) clientAddr(r *http.Request) string {
	if h.ClientAddr != nil {
		return h.ClientAddr(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// signedOut is the last event a signed-out page receives: it replaces the
// page's live part with a notice and a link to sign in, which also closes
// the page's connection (htmx closes a removed element's EventSource).
var signedOut = func() []byte {
	var buf bytes.Buffer
	if err := templates.SignedOut().Render(context.Background(), &buf); err != nil {
		panic(err)
	}
	return sseSafe(buf.Bytes())
}()

// SignOut ends the live feeds of the principals that match: each gets the
// signed-out notice, then its stream ends (r3labs ends a stream at an
// empty event, after the events before it are written). It returns how
// many feeds it ended.
func (h *Hub) SignOut(match func(auth.Principal) bool) int {
	h.mu.Lock()
	var ended []*client
	for id, c := range h.conns {
		if c.dropped || !match(c.who) {
			continue
		}
		c.dropped = true
		if !h.srv.TryPublish(id, &sse.Event{Data: signedOut}) || !h.srv.TryPublish(id, &sse.Event{}) {
			c.cancel()
		}
		ended = append(ended, c)
	}
	h.mu.Unlock()
	limit := time.Now().Add(closeGrace)
	for _, c := range ended {
		c.w.endBy(limit, false)
		h.log.Info("live feed signed out", "who", c.who.Who, "remote", c.remote)
	}
	return len(ended)
}

// EndSession ends the live feeds of the session (or token) id.
func (h *Hub) EndSession(id string) {
	h.SignOut(func(p auth.Principal) bool {
		return (p.Kind == auth.KindSession || p.Kind == auth.KindToken) && p.Session == id
	})
}

// Revalidate ends the feeds whose credentials no longer hold, by live's
// judgement (auth.Auth.Live): sessions expire, and a user or token may be
// deleted by a command run in another process.
func (h *Hub) Revalidate(ctx context.Context, live func(context.Context) (func(auth.Principal) bool, error)) error {
	ok, err := live(ctx)
	if err != nil {
		return err
	}
	h.SignOut(func(p auth.Principal) bool { return !ok(p) })
	return nil
}

// WatchSessions revalidates the open feeds every interval until ctx ends.
func (h *Hub) WatchSessions(ctx context.Context, every time.Duration, live func(context.Context) (func(auth.Principal) bool, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := h.Revalidate(ctx, live); err != nil && ctx.Err() == nil {
				h.log.Warn("revalidate live feeds", "err", err)
			}
		}
	}
}
