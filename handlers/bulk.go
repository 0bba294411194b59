package handlers

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"podboard/lifecycle"
	"podboard/templates"
)

// apiBulk is the answer to a bulk operation for scripts.
type apiBulk struct {
	Op      string         `json:"op"`
	Started []apiContainer `json:"started"`
	Refused []apiRefusal   `json:"refused"`
}

// apiRefusal is one container a bulk operation did not start on.
type apiRefusal struct {
	Name      string        `json:"name"`
	Error     string        `json:"error"`
	Container *apiContainer `json:"container,omitempty"`
}

// Bulk starts one operation on several containers: POST /bulk with the
// form fields op (stop, start, restart or kill) and name, once per
// container; ?timeout= and ?signal= as for one container. Each container
// gets its own transitional state and job before the answer, which says
// which started and which were refused and why: htmx gets the rows and the
// summary out of band, a plain form the page with the summary, a script
// JSON. The status is 202 when at least one started; otherwise that of the
// refusals (409 when they differ).
func (h *Handlers) Bulk(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			err = fmt.Errorf("%w: the form is larger than %d bytes", lifecycle.ErrInvalid, tooLarge.Limit)
		} else {
			err = fmt.Errorf("%w: unreadable form: %v", lifecycle.ErrInvalid, err)
		}
		h.fail(w, r, err)
		return
	}
	op, err := lifecycle.ParseOp(r.PostForm.Get("op"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	opts, err := options(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	begun, run, err := h.beginEach(r.Context(), r.PostForm["name"], op, origin(r), opts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer run()
	status := bulkStatus(begun)
	now := h.now()
	summary := templates.Bulk{Op: string(op)}
	for _, b := range begun {
		if b.Err == nil {
			summary.Started = append(summary.Started, b.Name)
			continue
		}
		h.log.Info("operation refused", "op", op, "container", b.Name, "job", nil, "user", origin(r), "err", b.Err)
		summary.Refused = append(summary.Refused, templates.Refusal{Name: b.Name, Reason: message(b.Err)})
	}
	switch {
	case wantsJSON(r):
		out := apiBulk{Op: string(op), Started: []apiContainer{}, Refused: []apiRefusal{}}
		for _, b := range begun {
			if b.Err == nil {
				out.Started = append(out.Started, toAPI(b.Container, now))
				continue
			}
			_, title := classify(b.Err)
			ref := apiRefusal{Name: b.Name, Error: title + ": " + message(b.Err)}
			if b.Container.Name != "" {
				ref.Container = ptr(toAPI(b.Container, now))
			}
			out.Refused = append(out.Refused, ref)
		}
		writeJSON(w, status, out)
	case isHTMX(r):
		rows := make([]templates.Row, 0, len(begun))
		for _, b := range begun {
			if b.Container.Name == "" {
				continue
			}
			hst, err := h.host(b.Container.Host)
			if !h.several() || err != nil {
				hst = &h.hosts[0]
			}
			row := h.row(hst, b.Container, now)
			if b.Err != nil {
				row.Notice = message(b.Err)
			}
			rows = append(rows, row)
		}
		render(w, r, status, templates.BulkAnswer(summary, rows))
	default:
		// Post, redirect, get: a reload of the page does not post the
		// action again. The page shows the summary the redirect names.
		http.Redirect(w, r, "/?bulk="+h.bulk.keep(summary), http.StatusSeeOther)
	}
	_ = http.NewResponseController(w).Flush()
}

// Bulk summaries are kept this long, and this many at most, for the page a
// plain form's bulk action redirects to.
const (
	bulkKeep    = 10 * time.Minute
	bulkKeepMax = 100
)

// bulkResults holds the summaries of recent bulk actions by a random id.
type bulkResults struct {
	mu sync.Mutex
	m  map[string]keptBulk
}

type keptBulk struct {
	b  templates.Bulk
	at time.Time
}

// keep stores b and returns its id.
func (k *bulkResults) keep(b templates.Bulk) string {
	id := rand.Text()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]keptBulk{}
	}
	now := time.Now()
	for id, kb := range k.m {
		if now.Sub(kb.at) > bulkKeep || len(k.m) >= bulkKeepMax {
			delete(k.m, id)
		}
	}
	k.m[id] = keptBulk{b: b, at: now}
	return id
}

// get returns the summary of id while it is kept.
func (k *bulkResults) get(id string) (templates.Bulk, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	kb, ok := k.m[id]
	if !ok || time.Since(kb.at) > bulkKeep {
		return templates.Bulk{}, false
	}
	return kb.b, true
}

// bulkStatus is 202 when any container started, else the refusals' status
// when they share one, else 409.
func bulkStatus(begun []lifecycle.Begun) int {
	status := 0
	for _, b := range begun {
		if b.Err == nil {
			return http.StatusAccepted
		}
		s, _ := classify(b.Err)
		switch status {
		case 0:
			status = s
		case s:
		default:
			status = http.StatusConflict
		}
	}
	if status == 0 {
		status = http.StatusConflict
	}
	return status
}
