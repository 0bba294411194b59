package main

// Text from Podman (container names, images, error messages) is shown as
// text, never run as markup.

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"podboard/lifecycle/fake"
	"podboard/lifecycle/podman/podmantest"
)

// hostileEntrypoint is markup that would run script if the page ever put
// Podman's error message into HTML unescaped.
const hostileEntrypoint = `/<img src=x onerror=alert(1)><script>alert(2)</script>"'`

func TestBrowserPodmansErrorQuotingAHostileEntrypointRendersAsText(t *testing.T) {
	svc := sharedPodman(t)
	t.Cleanup(func() { removeContainer(t, svc, "hostile") })
	svc.MustPodman(t, "create", "--pull", "never", "--name", "hostile", "--entrypoint", hostileEntrypoint, podmantest.WorkloadImage)
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("hostile", "stopped")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.click("#row-hostile button[data-op=start]")
	p.waitFor("the failure on the row", rowShows("hostile", "stopped", "Stopped", false)+
		" && "+rowExpr("hostile")+".querySelector('[data-testid=error]') !== null")
	p.waitFor("the toast", `document.querySelector('#toasts [data-testid=toast]') !== null`)

	reason := evalIn[string](p, rowExpr("hostile")+".querySelector('[data-testid=error]').textContent")
	t.Logf("the row shows: %s", strings.Join(strings.Fields(reason), " "))
	if !strings.Contains(reason, "<script>alert(2)</script>") || !strings.Contains(reason, "<img src=x onerror=alert(1)>") {
		t.Errorf("the row's error does not show the entrypoint as text: %q", reason)
	}
	if n := evalIn[int](p, `document.querySelectorAll('#rows script, #rows img, #toasts script, #toasts img, #announce *').length`); n != 0 {
		t.Errorf("%d elements were created from Podman's error message", n)
	}
	if n := evalIn[int](p, `document.querySelectorAll('img').length`); n != 0 {
		t.Errorf("the page has %d img elements; it has none of its own", n)
	}

	p.do("open the container's history", chromedp.Navigate(ta.srv.URL+"/containers/hostile/history"))
	if got := evalIn[string](p, `document.querySelector('tr[data-testid=job]').textContent`); !strings.Contains(got, "<script>alert(2)</script>") {
		t.Errorf("the history does not show the reason as text: %q", got)
	}
	if n := evalIn[int](p, `document.querySelectorAll('main script, img').length`); n != 0 {
		t.Errorf("%d elements were created from the history's error text", n)
	}
	p.assertNoDialogs()
}

func TestBrowserAHostileContainerNameRendersAsText(t *testing.T) {
	const name = `x"><script>alert(1)</script>`
	const image = `<img src=x onerror=alert(3)>`
	o := fake.Running("placeholder")
	o.Name, o.ID, o.Image = name, "id-hostile", image
	f := startFakeDashboard(t, o, fake.Running("neighbour"))

	_, p := newBrowser(t)
	p.open(f.url)
	p.waitFor("the hostile row", rowExpr(name)+" !== null")
	if got := evalIn[string](p, rowExpr(name)+".querySelector('[data-testid=name]').textContent"); got != name {
		t.Errorf("the name cell says %q, want the name as text %q", got, name)
	}
	if got := evalIn[string](p, rowExpr(name)+".dataset.image"); got != image {
		t.Errorf("data-image is %q, want %q", got, image)
	}
	if n := evalIn[int](p, `document.querySelectorAll('main script, img').length`); n != 0 {
		t.Errorf("%d script or img elements were created from the container's name or image", n)
	}
	if n := evalIn[int](p, `document.querySelectorAll('#rows [role=row][data-name]').length`); n != 2 {
		t.Errorf("%d rows, want the hostile one and its neighbour: the name broke the markup", n)
	}

	// The same when the row arrives over the live feed.
	changed := o
	changed.EngineState = "exited"
	f.engine.Put(changed)
	f.scan(t)
	p.waitFor("the hostile row pushed as stopped", rowExpr(name)+".dataset.state === 'stopped'")
	if n := evalIn[int](p, `document.querySelectorAll('main script, img').length`); n != 0 {
		t.Errorf("%d script or img elements were created from the pushed row", n)
	}
	p.assertNoDialogs()
}
