package templates_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/templates"
)

// benchContainers are the rows a dashboard shows most: a running service, a
// stop in flight and a failed start with Podman's message.
func benchContainers() map[string]lifecycle.Container {
	running := lifecycle.Container{Name: "bitcoind", ID: "0123456789ab", Image: "localhost/bitcoind:27.0",
		State: lifecycle.Running, EngineState: "running", StartedAt: now.Add(-3 * time.Hour), StopTimeout: 600, Version: 4}
	stopping := running
	stopping.State, stopping.PrevState, stopping.JobID = lifecycle.Stopping, lifecycle.Running, 9
	stopping.Job = &lifecycle.Job{ID: 9, Container: "bitcoind", Op: lifecycle.Stop, PrevState: lifecycle.Running, StartedAt: now.Add(-4 * time.Second)}
	failed := running
	failed.State, failed.EngineState, failed.FinishedAt = lifecycle.Stopped, "exited", now.Add(-time.Minute)
	failed.Error = "runc: runc create failed: unable to start container process: exec: \"/does-not-exist\": stat /does-not-exist: no such file or directory: OCI runtime attempted to invoke a command that was not found"
	return map[string]lifecycle.Container{"running": running, "stopping": stopping, "failed": failed}
}

// BenchmarkNewRow is the view model of one row: what every answer and every
// live push builds first.
func BenchmarkNewRow(b *testing.B) {
	for _, name := range []string{"running", "stopping", "failed"} {
		c := benchContainers()[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = templates.NewRow(c, now)
			}
		})
	}
}

// BenchmarkRowRender is one row rendered to HTML, as the POST answer (oob
// false) and the live push (oob true) do.
func BenchmarkRowRender(b *testing.B) {
	ctx := context.Background()
	for _, name := range []string{"running", "stopping", "failed"} {
		c := benchContainers()[name]
		b.Run(name, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := templates.RowItem(templates.NewRow(c, now), true).Render(ctx, &buf); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}

// BenchmarkDashboardRender is the whole page with 50 containers, what a
// browser gets on load.
func BenchmarkDashboardRender(b *testing.B) {
	ctx := context.Background()
	c := benchContainers()["running"]
	p := templates.Page{Podman: "unix:///run/podman/podman.sock"}
	for i := range 50 {
		c.Name = fmt.Sprintf("service-%02d", i)
		p.Rows = append(p.Rows, templates.NewRow(c, now))
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := templates.Dashboard(p).Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
