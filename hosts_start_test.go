package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
)

// A host whose Podman hangs (it accepts connections and never answers)
// must not delay the start of the dashboard, nor the first scan of the
// other hosts: each is scanned on its own, in the background.
func TestAHungHostDelaysNeitherTheStartNorTheOtherHosts(t *testing.T) {
	hung, ok := fake.New(fake.Running("web")), fake.New(fake.Running("web"))
	release := hung.HoldList()
	defer release()
	cfg := testConfig(t, t.TempDir(), "a=unix:///fake/a.sock", time.Hour, "--podman", "b=unix:///fake/b.sock", "--auth", "none")
	began := time.Now()
	a, err := newApp(context.Background(), cfg, []hostEngine{{"a", "unix:///fake/a.sock", hung}, {"b", "unix:///fake/b.sock", ok}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { a.shutdown(); release(); a.close() }()
	// The bug this guards against is the scan timeout, 10 s, per hung host.
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("the dashboard took %s to start with a hung host", took)
	}
	b, _ := a.fleet.Manager("b")
	waitUntil(t, "host b scanned while a hangs", deadline, func() bool {
		cs, err := b.Containers(context.Background())
		return err == nil && len(cs) == 1 && cs[0].State == lifecycle.Running
	})
	if cs, _ := a.manager.Containers(context.Background()); len(cs) != 0 {
		t.Errorf("host a has rows while its list hangs: %+v", cs)
	}
}
