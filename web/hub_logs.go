package web

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/r3labs/sse/v2"

	"podboard/lifecycle"
	"podboard/templates"
)

// A container's page follows its logs over the page's one live connection
// (browsers allow about six per host over HTTP/1.1): GET
// /events?stream=containers&logs=NAME carries the rows, as every page's
// does, and the container's last LogTail lines, then each new one. The
// Podman log stream lives exactly as long as the connection.

const (
	// logBatch is how many lines one event carries at most. A line goes
	// at once when no event went in the last logFlush, else it waits for
	// the next tick with the lines that follow it: a program that writes
	// a thousand lines a second makes ten events a second.
	logBatch = 200
	logFlush = 100 * time.Millisecond
	// logRetry is how long the follower waits before following again
	// after the log stream ended (the container stopped; it may start
	// again).
	logRetry    = time.Second
	logRetryMax = 30 * time.Second
)

// LogSource reads a container's logs, as lifecycle.LogReader.
// host is the container's host.
type LogSource func(ctx context.Context, host, name string, opts lifecycle.LogOptions, line func(lifecycle.LogLine)) error

// followLogs sends name's logs to c until ctx ends: the last LogTail
// lines, then new ones as they come, batched. A log stream that ends (the
// container stopped) is followed again from its last line.
func (h *Hub) followLogs(ctx context.Context, c *client, name string) {
	// Events sent before the library subscribed the connection are lost.
	select {
	case <-c.w.began:
	case <-ctx.Done():
		return
	}
	lines := make(chan lifecycle.LogLine, logBatch)
	go func() {
		defer close(lines)
		opts := lifecycle.LogOptions{Tail: templates.LogTail, Follow: true}
		var last time.Time
		wait, failing := logRetry, ""
		for ctx.Err() == nil {
			got := false
			err := h.Logs(ctx, c.onlyHost, name, opts, func(l lifecycle.LogLine) {
				got = true
				if !l.Time.IsZero() {
					last = l.Time
				}
				select {
				case lines <- l:
				case <-ctx.Done():
				}
			})
			if ctx.Err() != nil {
				return
			}
			switch {
			case err != nil && err.Error() != failing:
				// Said once, then tried again, less and less often: the
				// container may be recreated, Podman may come back.
				failing = err.Error()
				h.sendLogs(c, nil, "Logs unavailable: "+failing+"; trying again")
				wait = logRetry
			case err != nil:
				wait = min(2*wait, logRetryMax)
			case got || failing != "":
				failing, wait = "", logRetry
			}
			// Follow again from after the last line read.
			opts = lifecycle.LogOptions{Tail: -1, Follow: true, Since: last.Add(time.Nanosecond)}
			if last.IsZero() {
				opts = lifecycle.LogOptions{Tail: templates.LogTail, Follow: true}
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
	}()
	tick := time.NewTicker(logFlush)
	defer tick.Stop()
	var batch []lifecycle.LogLine
	var sent time.Time
	flush := func() bool {
		if len(batch) == 0 || ctx.Err() != nil {
			return true
		}
		ok := h.sendLogs(c, batch, "")
		batch, sent = batch[:0], time.Now()
		return ok
	}
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				flush()
				return
			}
			batch = append(batch, l)
			quiet := len(lines) == 0 && time.Since(sent) >= logFlush
			if (len(batch) >= logBatch || quiet) && !flush() {
				return
			}
		case <-tick.C:
			if !flush() {
				return
			}
		}
	}
}

// sendLogs queues lines (or a notice about the logs) to c alone; false
// when c was dropped for a full queue.
func (h *Hub) sendLogs(c *client, lines []lifecycle.LogLine, notice string) bool {
	for i, l := range lines {
		if len(l.Text) > maxLogLine {
			lines[i].Text = strings.ToValidUTF8(l.Text[:maxLogLine], "") + " …"
		}
	}
	var buf bytes.Buffer
	if err := templates.LogLines(lines, notice).Render(context.Background(), &buf); err != nil {
		h.log.Error("render log lines", "err", err)
		return true
	}
	return h.sendTo(c, &sse.Event{Data: sseSafe(buf.Bytes())})
}

// maxLogLine bounds one line on a container's page: a program that writes
// megabytes without a newline must not make one event of them. The
// download (logs.txt) has the whole line.
const maxLogLine = 16 << 10
