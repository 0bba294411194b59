package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
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

// Hosts whose Podman accepts connections and never answers: the start
// waits for their first attempts 2 s in all, not 10 s (the connect
// timeout) each.
func TestConnectingToHungHostsWaitsTwoSecondsInAll(t *testing.T) {
	dir := t.TempDir()
	var args []string
	for _, name := range []string{"a", "b", "c"} {
		path := filepath.Join(dir, name+".sock")
		ln, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		var held []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				held = append(held, c) // read nothing, answer nothing
				mu.Unlock()
			}
		}()
		t.Cleanup(func() {
			ln.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range held {
				c.Close()
			}
		})
		args = append(args, "--podman", name+"=unix://"+path)
	}
	cfg := testConfig(t, t.TempDir(), args[1], time.Hour, args[2:]...)
	bg, cancel := context.WithCancel(context.Background())
	defer cancel()
	began := time.Now()
	engines, closeAll, err := connectAll(context.Background(), bg, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("connecting to 3 hung hosts took %s, want about 2s in all", took)
	}
	if len(engines) != 3 {
		t.Fatalf("%d engines, want 3", len(engines))
	}
	if _, err := engines[0].engine.List(context.Background()); !errors.Is(err, lifecycle.ErrUnreachable) {
		t.Errorf("a hung host before it connected: %v, want at once ErrUnreachable", err)
	}
}
