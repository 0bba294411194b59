package main

// The history of operations, reached from a row.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"podboard/lifecycle/podman/podmantest"
)

func TestBrowserHistoryLinkedFromARowListsItsOperationsWithTheirOutcome(t *testing.T) {
	svc := sharedPodman(t)
	createWorkload(t, svc, "journal", podmantest.Workload{Start: true})
	createWorkload(t, svc, "other", podmantest.Workload{Start: true})
	ta := startApp(t, svc, t.TempDir(), 200*time.Millisecond)
	ta.waitSettled("journal", "running")
	ta.waitSettled("other", "running")

	_, p := newBrowser(t)
	p.open(ta.srv.URL)
	p.click("#row-journal button[data-op=stop]")
	p.waitFor("Stopped", rowShows("journal", "stopped", "Stopped", false))
	p.click("#row-journal button[data-op=start]")
	p.waitFor("Running", rowShows("journal", "running", "Running", false))
	p.click("#row-other button[data-op=restart]")
	p.waitFor("other Running after its restart", rowShows("other", "running", "Running", false))

	p.settle()
	// A scan may push the row again (Podman's exact times of the last
	// operation) between finding the link and clicking it: click the link
	// of the row as it is then, as an operator would.
	var resp *network.Response
	for attempt := 1; ; attempt++ {
		var err error
		resp, err = chromedp.RunResponse(p.ctx, chromedp.Click(chromedp.CSS(`#row-journal a[href$="/history"]`)))
		if err == nil {
			break
		}
		if attempt == 5 || !replacedNode(err) {
			t.Fatalf("following the history link: %v", err)
		}
	}
	if resp.Status != 200 || !strings.HasSuffix(resp.URL, "/containers/journal/history") {
		t.Fatalf("the row's history link led to %d %s", resp.Status, resp.URL)
	}
	jobs := func() []string {
		return evalIn[[]string](p, `Array.prototype.map.call(document.querySelectorAll('tr[data-testid=job]'), function (tr) {
			var c = tr.querySelectorAll('td'); return c[1].textContent + ' ' + c[2].textContent + ' ' + tr.dataset.outcome; })`)
	}
	if got, want := jobs(), []string{"start journal succeeded", "stop journal succeeded"}; !slices.Equal(got, want) {
		t.Errorf("the container's history lists %q, want %q (newest first)", got, want)
	}
	p.do("open the whole history", chromedp.Navigate(ta.srv.URL+"/history"))
	if got, want := jobs(), []string{"restart other succeeded", "start journal succeeded", "stop journal succeeded"}; !slices.Equal(got, want) {
		t.Errorf("the history lists %q, want %q (newest first)", got, want)
	}
}
