package handlers

import (
	"encoding/json"
	"net/http"
	"time"

	"podboard/lifecycle"
	"podboard/templates"
)

// apiContainer is a container as GET /api/containers reports it.
type apiContainer struct {
	Host        string     `json:"host"` // the Podman it runs on: "local" with one
	Name        string     `json:"name"`
	ID          string     `json:"id"`
	Image       string     `json:"image"`
	State       string     `json:"state"`
	PodmanState string     `json:"podman_state"`
	Status      string     `json:"status"`
	ExitCode    int        `json:"exit_code"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	StopTimeout int        `json:"stop_timeout,omitempty"`
	// Health is the healthcheck's verdict while the container runs
	// (healthy, unhealthy, starting); null without a healthcheck or when
	// it does not run.
	Health *string `json:"health"`
	Error  string  `json:"error"`
	Job    *apiJob `json:"job"` // null when no operation runs
}

// apiJob is the operation in flight on a container.
type apiJob struct {
	ID        int64     `json:"id"`
	Op        string    `json:"op"`
	StartedAt time.Time `json:"started_at"`
	PrevState string    `json:"prev_state"`
}

type apiError struct {
	Error     string        `json:"error"`
	Container *apiContainer `json:"container,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toAPI(c lifecycle.Container, now time.Time) apiContainer {
	a := apiContainer{
		Host: c.Host, Name: c.Name, ID: c.ID, Image: c.Image, State: string(c.State), PodmanState: c.EngineState,
		Status: templates.Status(c, now), ExitCode: c.ExitCode,
		StartedAt: timePtr(c.StartedAt), FinishedAt: timePtr(c.FinishedAt),
		StopTimeout: c.StopTimeout, Error: c.Error,
	}
	if h := c.HealthNow(); h != "" {
		a.Health = &h
	}
	if c.Job != nil {
		a.Job = &apiJob{ID: c.Job.ID, Op: string(c.Job.Op), StartedAt: c.Job.StartedAt, PrevState: string(c.Job.PrevState)}
	}
	return a
}

// APIContainers serves GET /api/containers: every container of every
// host as JSON, host by host in the operator's order; ?host=NAME keeps
// one host's.
func (h *Handlers) APIContainers(w http.ResponseWriter, r *http.Request) {
	r.Header.Set("Accept", "application/json") // errors too
	hosts := h.hosts
	if name := r.URL.Query().Get("host"); name != "" {
		hst, err := h.host(name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		hosts = []Host{*hst}
	}
	now := h.now()
	out := []apiContainer{}
	for _, hst := range hosts {
		cs, err := hst.Lifecycle.Containers(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, c := range cs {
			out = append(out, toAPI(c, now))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
