package main

// The page follows what happens while it is open: restarts of the
// dashboard, containers created or removed from the CLI, Podman going away,
// and the races between the live feed and the page's own requests.

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/lifecycle/podman/podmansvc"
	"podboard/lifecycle/podman/podmantest"
)

func TestBrowserPageShowsReconnectingWhileTheDashboardRestartsThenMatchesPodman(t *testing.T) {
	svc := sharedPodman(t)
	bin := buildBinary(t)
	createWorkload(t, svc, "keeps-running", podmantest.Workload{Start: true})
	createWorkload(t, svc, "stopped-meanwhile", podmantest.Workload{Start: true})
	createWorkload(t, svc, "removed-meanwhile", podmantest.Workload{Start: true})
	data := t.TempDir()
	addUser(t, bin, data, testUser, testPassword)
	args := []string{"--listen", freeAddr(t), "--podman", svc.URI, "--data", data, "--scan-interval", "500ms"}

	first := startProc(t, bin, args...)
	_, p := newBrowser(t)
	p.open(first.url)
	for _, name := range []string{"keeps-running", "stopped-meanwhile", "removed-meanwhile"} {
		p.waitFor(name+" running", rowShows(name, "running", "Running", false))
	}
	p.markPage()

	first.signal(syscall.SIGTERM)
	if code := first.wait(deadline); code != 0 {
		t.Fatalf("the dashboard exited %d on SIGTERM:\n%s", code, first.log())
	}
	p.waitFor("the live indicator says reconnecting", `document.getElementById('live').dataset.state === 'reconnecting'`)

	// Changes the page cannot hear of while the dashboard is down.
	svc.MustPodman(t, "stop", "stopped-meanwhile")
	removeContainer(t, svc, "removed-meanwhile")
	createWorkload(t, svc, "created-meanwhile", podmantest.Workload{})

	second := startProc(t, bin, args...)
	if second.url != first.url {
		t.Fatalf("the dashboard came back at %s, not at %s", second.url, first.url)
	}
	p.waitLive()
	p.waitFor("the stop made meanwhile", rowShows("stopped-meanwhile", "stopped", "Stopped", false))
	p.waitFor("the removed container gone", rowGone("removed-meanwhile"))
	p.waitFor("the created container shown", rowShows("created-meanwhile", "stopped", "Stopped", false))
	p.assertNotReloaded()

	var listed []struct {
		Names []string
		State string
	}
	if err := json.Unmarshal([]byte(svc.MustPodman(t, "ps", "--all", "--format", "json")), &listed); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, c := range listed {
		want[c.Names[0]] = string(lifecycle.StateFromEngine(c.State))
	}
	if got := p.rows(); !maps.Equal(got, want) {
		t.Errorf("after reconnecting the page shows %v, Podman has %v", got, want)
	}
	second.signal(syscall.SIGTERM)
	if code := second.wait(deadline); code != 0 {
		t.Errorf("the restarted dashboard exited %d on SIGTERM:\n%s", code, second.log())
	}
}

func TestBrowserContainersCreatedOrRemovedFromTheCLIAppearAndDisappearWithoutReload(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "m-middle", podmantest.Workload{})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("m-middle", "stopped")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.markPage()

	createWorkload(t, svc, "a-first", podmantest.Workload{Start: true})
	createWorkload(t, svc, "z-last", podmantest.Workload{})
	p.waitFor("a-first appears running", rowShows("a-first", "running", "Running", false))
	p.waitFor("z-last appears stopped", rowShows("z-last", "stopped", "Stopped", false))
	order := evalIn[[]string](p, `Array.prototype.map.call(document.querySelectorAll('#rows [role=row][data-name]'), function (r) { return r.dataset.name; })`)
	if !slices.Equal(order, []string{"a-first", "m-middle", "z-last"}) {
		t.Errorf("rows in the order %q, want the new ones in name order", order)
	}
	p.settle()
	p.waitFor("a stop button on the new row", rowExpr("a-first")+".querySelector('button[data-op=stop]') !== null")

	// A new row works like any other.
	p.click("#row-a-first button[data-op=stop]")
	p.waitFor("the new row stopped", rowShows("a-first", "stopped", "Stopped", false))

	removeContainer(t, svc, "a-first")
	svc.MustPodman(t, "rm", "--force", "z-last")
	p.waitFor("the removed rows gone", rowGone("a-first")+" && "+rowGone("z-last"))
	p.waitFor("the aria-live region announcing the removal", announces("was removed"))
	p.assertNotReloaded()
	p.assertNoDialogs()
}

func TestBrowserAStopThatEndsWhileThePageIsStillConnectingIsNotLeftStopping(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("quick"))
	release := f.engine.Hold(lifecycle.Stop, "quick")
	t.Cleanup(release)
	ctx := context.Background()
	if _, err := f.m.Do(ctx, "quick", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}

	_, p := newBrowser(t)
	held := p.intercept("*/events*", fetch.RequestStageRequest)
	p.navigate(f.url)
	id := held.next("the live stream")
	p.waitFor("Stopping… as the page was rendered", rowShows("quick", "stopping", "Stopping…", true))
	p.markPage()

	// The stop ends after the page was rendered and before it listens:
	// the stopped row is pushed to nobody.
	release()
	if err := f.m.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	held.release(id)
	p.waitLive()
	p.waitFor("Stopped without a reload", rowShows("quick", "stopped", "Stopped", false))
	p.assertNotReloaded()
}

func TestBrowserARowPushedWhileTheTableIsFetchedAgainIsNotOverwrittenByIt(t *testing.T) {
	f := startFakeDashboard(t, fake.Running("racer"))
	release := f.engine.Hold(lifecycle.Stop, "racer")
	t.Cleanup(release)
	ctx := context.Background()
	_, p := newBrowser(t)
	p.open(f.url)
	if _, err := f.m.Do(ctx, "racer", lifecycle.Stop, "test"); err != nil {
		t.Fatal(err)
	}
	p.waitFor("Stopping…", rowShows("racer", "stopping", "Stopping…", true))
	p.settle()
	p.markPage()

	// The connection drops; the page reconnects and fetches the table
	// again. The table is rendered (Stopping…) and held on its way back
	// while the stop ends and its Stopped row is pushed.
	held := p.intercept("*/rows*", fetch.RequestStageResponse)
	evalIn[chromedp.Void](p, `document.getElementById('rows').dataset.before = 'cut'`)
	f.cut()
	p.waitFor("reconnecting", `document.getElementById('live').dataset.state === 'reconnecting'`)
	id := held.next("the table fetched after the reconnection")
	release()
	if err := f.m.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	p.waitFor("the pushed Stopped row", rowShows("racer", "stopped", "Stopped", false))
	held.release(id)
	p.waitFor("the fetched table in place", `document.getElementById('rows').dataset.before !== 'cut'`)
	p.settle()
	p.waitFor("Stopped, not the older fetched row", rowShows("racer", "stopped", "Stopped", false))
	p.assertNotReloaded()
}

func TestBrowserBannerShowsWhilePodmanIsUnreachableAndGoesWhenItIsBack(t *testing.T) {
	sharedPodman(t) // podman and runc are there
	dir, err := os.MkdirTemp("", "podmantest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	raw, err := podmansvc.Launch(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	svc := &podmantest.Service{Service: raw}
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.markPage()
	banner := `document.querySelector('[data-testid=scan-error]')`
	if evalIn[bool](p, banner+" !== null") {
		t.Fatal("the page warns that Podman is unreachable while it answers")
	}

	if err := svc.Close(); err != nil {
		t.Fatalf("stopping the Podman service: %v", err)
	}
	p.waitFor("the unreachable banner", banner+" !== null")
	text := evalIn[string](p, banner+".textContent")
	t.Logf("the banner says: %s", strings.Join(strings.Fields(text), " "))
	if !strings.Contains(text, "Podman unreachable") {
		t.Errorf("the banner says %q", text)
	}
	if role := evalIn[string](p, banner+".getAttribute('role')"); role != "alert" {
		t.Errorf("the banner's role is %q, want alert so screen readers announce it", role)
	}

	back, err := podmansvc.Launch(dir) // the same socket
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { back.Close() })
	p.waitFor("the banner gone once Podman answers again", banner+" === null")
	p.assertNotReloaded()
}
