package handlers

import (
	"cmp"
	"context"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"podboard/lifecycle"
	"podboard/templates"
)

// historyLimit is how many operations the history shows.
const historyLimit = 200

// History lists recent operations: GET /history for all containers, GET
// /containers/{name}/history for one.
func (h *Handlers) History(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	title := "Recent operations"
	hosts := h.hosts
	if name != "" || chi.URLParam(r, "host") != "" {
		hst, err := h.hostOf(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if err := lifecycle.ValidateName(name); name != "" && err != nil {
			h.fail(w, r, err)
			return
		}
		hosts = []Host{*hst}
		switch {
		case name != "" && h.several():
			title = "Operations on " + name + " on " + hst.Name
		case name != "":
			title = "Operations on " + name
		default:
			title = "Recent operations on " + hst.Name
		}
	}
	jobs, err := h.jobs(r.Context(), hosts, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.now()
	page := templates.HistoryPage{Title: title}
	for _, j := range jobs {
		page.Jobs = append(page.Jobs, templates.NewJobRow(j, now, h.several()))
	}
	render(w, r, http.StatusOK, templates.History(page))
}

// jobs is the recent jobs of the hosts, newest first: job IDs grow across
// hosts, since every host's jobs are in one table.
func (h *Handlers) jobs(ctx context.Context, hosts []Host, name string) ([]lifecycle.Job, error) {
	var all []lifecycle.Job
	for _, hst := range hosts {
		jobs, err := hst.Lifecycle.Jobs(ctx, name, historyLimit)
		if err != nil {
			return nil, err
		}
		all = append(all, jobs...)
	}
	if len(hosts) > 1 {
		slices.SortFunc(all, func(a, b lifecycle.Job) int { return cmp.Compare(b.ID, a.ID) })
		all = all[:min(len(all), historyLimit)]
	}
	return all, nil
}
