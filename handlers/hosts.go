package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"podboard/lifecycle"
	"podboard/templates"
)

// Host is one Podman host as the handlers see it.
type Host struct {
	Name      string
	Podman    string // its URI, redacted, for the page
	Lifecycle Lifecycle
}

// hostOf is the host a request's URL names: /hosts/{host}/…, or the only
// host for the routes without one. A dashboard of several hosts refuses
// those: a name alone could be a container of any of them.
func (h *Handlers) hostOf(r *http.Request) (*Host, error) {
	name := chi.URLParam(r, "host")
	if name == "" {
		if h.several() {
			return nil, fmt.Errorf("%w: this dashboard has several hosts (%s): name one, as in /hosts/%s%s", lifecycle.ErrNoHost,
				strings.Join(h.hostNames(), ", "), h.hosts[0].Name, r.URL.Path)
		}
		return &h.hosts[0], nil
	}
	return h.host(name)
}

// host is the named host.
func (h *Handlers) host(name string) (*Host, error) {
	for i := range h.hosts {
		if h.hosts[i].Name == name {
			return &h.hosts[i], nil
		}
	}
	if err := lifecycle.ValidateHost(name); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: %q (the hosts are %s)", lifecycle.ErrNoHost, name, strings.Join(h.hostNames(), ", "))
}

func (h *Handlers) several() bool { return len(h.hosts) > 1 }

func (h *Handlers) hostNames() []string {
	names := make([]string, len(h.hosts))
	for i, hst := range h.hosts {
		names[i] = hst.Name
	}
	return names
}

// state is the host's state as its page shows it.
func (hst *Host) state(now time.Time) templates.HostState {
	since, err := hst.Lifecycle.Unreachable()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	return templates.NewHostState(hst.Name, hst.Podman, msg, lifecycle.EngineDown(err), since, now)
}

// rowOn is c's row on hst as of now, with its usage, marked when hst is
// unreachable (down, from state).
func (h *Handlers) rowOn(hst *Host, c lifecycle.Container, now time.Time, down string) templates.Row {
	r := templates.RowOn(c, now, h.several()).WithUsage(hst.Lifecycle.Usage(c.Name))
	r.HostDown = down
	return r
}

// groups is every host's part of the table as of now, in the operator's
// order: hosts are read one after the other from the database, never
// from Podman, so a host that is down costs nothing here.
func (h *Handlers) groups(ctx context.Context, filter string, now time.Time) ([]templates.HostGroup, error) {
	groups := make([]templates.HostGroup, 0, len(h.hosts))
	for i := range h.hosts {
		hst := &h.hosts[i]
		cs, err := hst.Lifecycle.Containers(ctx)
		if err != nil {
			return nil, err
		}
		g := templates.HostGroup{State: hst.state(now), Hidden: filter != "" && filter != hst.Name}
		for _, c := range cs {
			g.Rows = append(g.Rows, h.rowOn(hst, c, now, g.State.Down))
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// beginEach begins op on the containers a bulk form names: NAME on a
// dashboard of one host, HOST/NAME on one of several, where each host's
// containers are begun on it, all hosts at once. Bad input (a name with
// no host or an unknown one, too many names) refuses the whole request.
func (h *Handlers) beginEach(ctx context.Context, names []string, op lifecycle.Op, origin string, opts lifecycle.Options) ([]lifecycle.Begun, func(), error) {
	if !h.several() {
		return h.hosts[0].Lifecycle.BeginEach(ctx, names, op, origin, opts)
	}
	if len(names) == 0 || len(names) > lifecycle.MaxBulk {
		return h.hosts[0].Lifecycle.BeginEach(ctx, names, op, origin, opts) // its refusal
	}
	byHost := map[*Host][]string{}
	var order []*Host
	for _, n := range names {
		host, name, ok := lifecycle.SplitHostName(n)
		if !ok {
			return nil, nil, fmt.Errorf("%w: %q names no host: this dashboard has several, so each name is HOST/NAME, such as %s/%s", lifecycle.ErrInvalid, n, h.hosts[0].Name, n)
		}
		hst, err := h.host(host)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %q: %s", lifecycle.ErrInvalid, n, message(err))
		}
		if err := lifecycle.ValidateName(name); err != nil {
			return nil, nil, err
		}
		if _, seen := byHost[hst]; !seen {
			order = append(order, hst)
		}
		byHost[hst] = append(byHost[hst], name)
	}
	type part struct {
		begun []lifecycle.Begun
		run   func()
		err   error
	}
	parts := make([]part, len(order))
	var wg sync.WaitGroup
	for i, hst := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, run, err := hst.Lifecycle.BeginEach(ctx, byHost[hst], op, origin, opts)
			for j := range b {
				b[j].Name = lifecycle.HostName(hst.Name, b[j].Name)
			}
			parts[i] = part{b, run, err}
		}()
	}
	wg.Wait()
	var begun []lifecycle.Begun
	var runs []func()
	for _, p := range parts {
		if p.run != nil {
			runs = append(runs, p.run)
		}
		begun = append(begun, p.begun...)
	}
	run := func() {
		for _, r := range runs {
			r()
		}
	}
	for _, p := range parts {
		if p.err != nil {
			// Cannot happen after the checks above; begun operations must
			// still run.
			run()
			return nil, nil, p.err
		}
	}
	return begun, run, nil
}
