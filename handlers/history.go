package handlers

import (
	"net/http"

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
	if name != "" {
		if err := lifecycle.ValidateName(name); err != nil {
			h.fail(w, r, err)
			return
		}
		title = "Operations on " + name
	}
	jobs, err := h.lc.Jobs(r.Context(), name, historyLimit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.now()
	page := templates.HistoryPage{Title: title}
	for _, j := range jobs {
		page.Jobs = append(page.Jobs, templates.NewJobRow(j, now))
	}
	render(w, r, http.StatusOK, templates.History(page))
}
