package lifecycle

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// DefaultHost is the name of a dashboard's only host when the operator
// named none (a bare --podman URI).
const DefaultHost = "local"

// validHost is the rule for host names: they appear in URLs, element ids
// and log lines, and never contain the '/' that joins a host to a
// container name ("host/name").
var validHost = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidateHost rejects a name that cannot name a host.
func ValidateHost(name string) error {
	if !validHost.MatchString(name) {
		return fmt.Errorf("%w: %q is not a valid host name (want lowercase letters, digits and '-', at most 63, such as nas-2)", ErrInvalid, name)
	}
	return nil
}

// Fleet is the managers of every host, one each, in the order the
// operator gave the hosts. Each runs on its own: its scan, its events,
// its jobs; a host whose Podman is down or slow never delays another's.
type Fleet struct {
	names    []string
	managers map[string]*Manager
}

// NewFleet returns the fleet of ms, which must have distinct hosts.
func NewFleet(ms ...*Manager) (*Fleet, error) {
	f := &Fleet{managers: make(map[string]*Manager, len(ms))}
	for _, m := range ms {
		if _, dup := f.managers[m.Host()]; dup {
			return nil, fmt.Errorf("%w: host %q is given twice", ErrInvalid, m.Host())
		}
		f.names = append(f.names, m.Host())
		f.managers[m.Host()] = m
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("%w: no host", ErrInvalid)
	}
	return f, nil
}

// Hosts are the hosts' names, in the operator's order.
func (f *Fleet) Hosts() []string { return slices.Clone(f.names) }

// Several reports whether there is more than one host.
func (f *Fleet) Several() bool { return len(f.names) > 1 }

// Manager is the manager of the named host.
func (f *Fleet) Manager(host string) (*Manager, bool) {
	m, ok := f.managers[host]
	return m, ok
}

// Each calls fn with every manager, in the hosts' order.
func (f *Fleet) Each(fn func(*Manager)) {
	for _, h := range f.names {
		fn(f.managers[h])
	}
}

// Containers is every host's stored containers, host by host.
func (f *Fleet) Containers(ctx context.Context) ([]Container, error) {
	var all []Container
	for _, h := range f.names {
		cs, err := f.managers[h].Containers(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, cs...)
	}
	return all, nil
}

// Running is the jobs every host's manager runs now.
func (f *Fleet) Running() []Job {
	var jobs []Job
	f.Each(func(m *Manager) { jobs = append(jobs, m.Running()...) })
	return jobs
}

// Wait blocks until every host's jobs have ended, or ctx is done.
func (f *Fleet) Wait(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(f.names))
	for i, h := range f.names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.managers[h].Wait(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Usage is a container's CPU and memory on its host.
func (f *Fleet) Usage(host, name string) (Usage, bool) {
	if m, ok := f.managers[host]; ok {
		return m.Usage(name)
	}
	return Usage{}, false
}

// Logs reads a container's logs on its host.
func (f *Fleet) Logs(ctx context.Context, host, name string, opts LogOptions, line func(LogLine)) error {
	m, ok := f.managers[host]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoHost, host)
	}
	return m.Logs(ctx, name, opts, line)
}

// HostName is how a container is named across hosts: "host/name". Host
// names never contain '/', so SplitHostName undoes it.
func HostName(host, name string) string { return host + "/" + name }

// SplitHostName splits "host/name" (HostName) into its parts; ok is false
// when s has no host.
func SplitHostName(s string) (host, name string, ok bool) {
	return strings.Cut(s, "/")
}
